/* <stdio.h> for lwIP and the programs built with it: libveneer's printf family. */
#include <libveneer.h>
