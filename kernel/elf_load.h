/* Loading a static ELF64 executable into an address space. */
#ifndef KERNEL_ELF_LOAD_H
#define KERNEL_ELF_LOAD_H

#include "types.h"

struct env;

/* Validate image (size bytes) as an x86_64 ET_EXEC, map fresh pages owned
 * by e for each PT_LOAD segment with the segment's rights, copy the file
 * bytes and zero the rest.  Errors: -E_INVAL (malformed or outside user
 * space), -E_NOMEM, -E_QUOTA.  On error, pages already mapped stay with e
 * for its teardown to release. */
int elf_load(struct env *e, const void *image, size_t size, uint64_t *entry);

#endif
