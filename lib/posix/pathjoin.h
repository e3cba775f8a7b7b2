/*
 * Path arithmetic for the root on disk (diskpath.c), as pure logic
 * (host-tested by tests/host/test_posix_path.c): joining a path with its
 * starting directory into one absolute path without "." and "..", and
 * telling which of the memory tree's mounts it falls in.
 */
#ifndef POSIX_PATHJOIN_H
#define POSIX_PATHJOIN_H

#include <stdbool.h>
#include <stddef.h>

/* base (absolute) + "/" + path, or path alone if it is absolute, with
 * empty and "." components dropped and ".." taking the previous one off
 * (the root's ".." is the root), into abs (max bytes): "/" or
 * "/a/b" without a trailing slash.  Returns 0, or -36 (ENAMETOOLONG)
 * if it does not fit. */
long path_join(const char *base, const char *path, char *abs, size_t max);

/* Whether normalized abs is one of mounts[0..n) or under one of them
 * (each "/name" with no trailing slash). */
bool path_under(const char *abs, const char *const *mounts, size_t n);

#endif
