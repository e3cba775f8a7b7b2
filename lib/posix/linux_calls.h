/*
 * The table of Linux calls the POSIX libOS serves (linux_calls.tbl): one
 * entry per number, its handler and flags, generated at build time and
 * checked there against the host's <asm/unistd_64.h>.  posix_serve()
 * (syscall.c) finds a call with one indexed load; the handlers decode the
 * registers and call the mechanism (lx_*) or a subsystem's own decoder
 * (via_*).  A file that defines handlers includes this header.
 */
#pragma once
#include "posix.h"

#define LX_RESTART 0x1          /* restarted after an SA_RESTART handler */
#define LX_DISK    0x4          /* the root on disk (diskpath.c) may serve it first */
#define LX_NOLOCK  0x8          /* served without the libOS lock (syscall.c) */

struct linux_call {
    long (*fn)(struct vn_xframe *x);    /* NULL: only a flag's path serves it */
    uint8_t flags;                      /* LX_* */
};

/* A handler's arguments, by Linux's register convention. */
#define LX_ARGS(x) \
    __attribute__((unused)) uint64_t a = (x)->rdi, b = (x)->rsi, c = (x)->rdx, \
                                     d = (x)->r10, e = (x)->r8, f = (x)->r9

#include "linux_calls_decl.h"
