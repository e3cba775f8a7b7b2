/* <stdlib.h> for lwIP and the programs built with it: libveneer's atoi. */
#include <libveneer.h>
