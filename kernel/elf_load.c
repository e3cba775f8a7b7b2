/*
 * Minimal ELF64 loader used to start the first environment.  Everything
 * in the image is treated as hostile: every offset and size is checked
 * against the image and every address against user space before use.
 */
#include <veneer/errors.h>
#include <veneer/elf.h>
#include "elf_load.h"
#include "env.h"
#include "klib.h"
#include "pmem.h"

int elf_load(struct env *e, const void *image, size_t size, uint64_t *entry)
{
    const struct elf64_ehdr *eh = image;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != 2 ||
        eh->type != ELF_ET_EXEC || eh->machine != ELF_EM_X86_64 || eh->phentsize != sizeof(struct elf64_phdr) ||
        eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff ||
        eh->entry >= USER_TOP)
        return -E_INVAL;
    const struct elf64_phdr *ph = (const void *)((const uint8_t *)image + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->type != ELF_PT_LOAD || p->memsz == 0)
            continue;
        if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset ||
            p->vaddr >= USER_TOP || p->memsz > USER_TOP - p->vaddr)
            return -E_INVAL;
        unsigned prot = ((p->flags & ELF_PF_W) ? VM_PROT_WRITE : 0) | ((p->flags & ELF_PF_X) ? VM_PROT_EXEC : 0);
        const uint8_t *src = (const uint8_t *)image + p->offset;
        for (vaddr_t va = ROUND_DOWN(p->vaddr, PAGE_SIZE); va < p->vaddr + p->memsz; va += PAGE_SIZE) {
            if (!VN_USER_MAPPABLE(va))
                return -E_INVAL;
            int r;
            uint8_t *page = env_map_fresh_page(e, va, prot, &r);
            if (!page)
                return r;
            /* Copy the file-backed bytes that fall inside this page. */
            uint64_t lo = MAX(va, p->vaddr), hi = MIN(va + PAGE_SIZE, p->vaddr + p->filesz);
            if (lo < hi)
                memcpy(page + (lo - va), src + (lo - p->vaddr), hi - lo);
        }
    }
    *entry = eh->entry;
    return 0;
}
