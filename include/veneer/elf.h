/*
 * The parts of the ELF64 format that Veneer's loaders read: the kernel's
 * (first environment), libveneer's (spawn) and the POSIX libOS's (exec).
 */
#ifndef VENEER_ELF_H
#define VENEER_ELF_H

#include <stdint.h>

#define ELF_ET_EXEC 2
#define ELF_ET_DYN 3
#define ELF_EM_X86_64 62
#define ELF_PT_LOAD 1
#define ELF_PT_PHDR 6
#define ELF_PF_X 1
#define ELF_PF_W 2

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

#endif
