/*
 * Boot archive ("VNAR"): the boot module holding the user programs.
 * tools/mkarchive writes it; the kernel reads it to start the first
 * environment, and the first environment may read it to start the rest.
 *
 *   +------------------+ offset 0
 *   | var_header       |
 *   | var_entry[count] |
 *   | file data ...    | each file at a VAR_ALIGN-aligned (page) offset,
 *   +------------------+ the archive padded to a whole page with zeros
 *
 * Page alignment lets a libOS map a program's read-only pages straight
 * from the archive instead of copying them (lib/posix/exec.c).
 */
#ifndef VENEER_ARCHIVE_H
#define VENEER_ARCHIVE_H

#include <stdint.h>

#define VAR_MAGIC    0x52414e56u /* "VNAR" little-endian */
#define VAR_NAME_MAX 48
#define VAR_ALIGN    4096

struct var_header {
    uint32_t magic;
    uint32_t count;   /* number of var_entry records that follow */
    uint64_t size;    /* total archive size in bytes */
};

struct var_entry {
    char name[VAR_NAME_MAX]; /* NUL-terminated file name */
    uint64_t offset;         /* from the start of the archive */
    uint64_t size;           /* bytes */
};

_Static_assert(sizeof(struct var_header) == 16, "var_header ABI");
_Static_assert(sizeof(struct var_entry) == 64, "var_entry ABI");

#endif
