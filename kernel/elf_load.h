/* Loading a static ELF64 executable into an address space. */
#ifndef KERNEL_ELF_LOAD_H
#define KERNEL_ELF_LOAD_H

#include "types.h"
#include "vm.h"

/* Validate image (size bytes) as an x86_64 ET_EXEC, map fresh pages for
 * each PT_LOAD segment in s with the segment's rights, copy the file bytes
 * and zero the rest.  Errors: -E_INVAL (malformed or outside user space),
 * -E_NOMEM.  On error, pages already mapped stay in s for its owner to
 * release. */
int elf_load(struct vm_space *s, const void *image, size_t size, uint64_t *entry);

#endif
