/*
 * Every pointer a syscall receives goes through these: the range must lie
 * entirely in the libOS-mappable part of user space and be mapped with the
 * needed rights, or the call fails with -E_FAULT.  Kernel addresses, the
 * exposed pages, the page-table window, wrap-around and non-canonical
 * pointers are refused before any access.
 */
#ifndef KERNEL_USER_COPY_H
#define KERNEL_USER_COPY_H

#include "types.h"

/* Whether [uptr, uptr + len) lies in memory a program may name: below
 * USER_TOP without wrapping and outside [VN_EXPOSED_BASE, VN_UVPT_END)
 * (the exposed kernel pages and the page-table window). */
bool user_range_ok(uint64_t uptr, size_t len);
/* Copy len bytes from user uptr to kernel dst.  Errors: -E_FAULT. */
int copy_from_user(void *dst, uint64_t uptr, size_t len);
/* Copy len bytes from kernel src to user uptr.  Errors: -E_FAULT. */
int copy_to_user(uint64_t uptr, const void *src, size_t len);

/* Copy a NUL-terminated user string of at most max - 1 characters into
 * dst (always terminated; longer strings are cut).  NULL gives "".
 * Errors: -E_FAULT. */
int copy_str_from_user(char *dst, uint64_t uptr, size_t max);

#endif
