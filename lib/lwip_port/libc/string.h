/* <string.h> for lwIP and the programs built with it: libveneer's functions. */
#include <libveneer.h>
