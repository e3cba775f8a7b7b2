/* Error messages, generated from the one list in <veneer/errors.def>. */
#include "libveneer.h"

static const char *const messages[] = {
#define ERR(name, value, msg) [value] = #name ": " msg,
#include <veneer/errors.def>
#undef ERR
};

const char *vn_strerror(long err)
{
    unsigned long v = (unsigned long)(err < 0 ? -err : err);
    if (v < sizeof(messages) / sizeof(messages[0]) && messages[v])
        return messages[v];
    return "unknown error";
}
