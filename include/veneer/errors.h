/*
 * Error codes: negative E_* values returned by every syscall, derived from
 * errors.def so kernel, libOSes and docs agree.
 */
#ifndef VENEER_ERRORS_H
#define VENEER_ERRORS_H

enum {
#define ERR(name, value, msg) name = (value),
#include <veneer/errors.def>
#undef ERR
    E_MAX_
};

#endif
