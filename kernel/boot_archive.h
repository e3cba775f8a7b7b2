/* The boot archive (see <veneer/archive.h>) as the kernel reads it. */
#ifndef KERNEL_BOOT_ARCHIVE_H
#define KERNEL_BOOT_ARCHIVE_H

#include "types.h"

/* Find the archive among the boot modules and check it.  Returns false if
 * there is none or it is malformed (logged). */
bool boot_archive_init(void);
/* Physical extent of the archive module; false if there is none. */
bool boot_archive_region(paddr_t *base, uint64_t *len);
/* Look up a file by name; returns its bytes and size, or NULL. */
const void *boot_archive_find(const char *name, size_t *size);

#endif
