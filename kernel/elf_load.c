/*
 * Minimal ELF64 loader used to start the first environment.  Everything
 * in the image is treated as hostile: every offset and size is checked
 * against the image and every address against user space before use.
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "elf_load.h"
#include "klib.h"
#include "pmem.h"

#define PT_LOAD 1
#define PF_X 1
#define PF_W 2

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

/* Map (or reuse) the page at va and copy/zero the part of the segment in it. */
static int load_page(struct vm_space *s, vaddr_t va, unsigned rights, const uint8_t *src,
                     uint64_t seg_va, uint64_t filesz)
{
    paddr_t pa;
    unsigned old_rights;
    bool fresh = vm_lookup(s, va, &pa, &old_rights) < 0;
    if (fresh) {
        pa = page_alloc();
        if (!pa)
            return -E_NOMEM;
    } else {
        rights |= old_rights;   /* two segments share this page */
    }
    int r = vm_map(s, va, pa, rights, NULL);
    if (r < 0) {
        if (fresh)
            page_free(pa);
        return r;
    }
    /* Copy the file-backed bytes that fall inside [va, va + PAGE_SIZE). */
    uint64_t lo = MAX(va, seg_va), hi = MIN(va + PAGE_SIZE, seg_va + filesz);
    if (lo < hi)
        memcpy((uint8_t *)P2V(pa) + (lo - va), src + (lo - seg_va), hi - lo);
    return 0;
}

int elf_load(struct vm_space *s, const void *image, size_t size, uint64_t *entry)
{
    const struct elf64_ehdr *eh = image;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != 2 ||
        eh->type != 2 || eh->machine != 62 || eh->phentsize != sizeof(struct elf64_phdr) ||
        eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff ||
        eh->entry >= USER_TOP)
        return -E_INVAL;
    const struct elf64_phdr *ph = (const void *)((const uint8_t *)image + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->type != PT_LOAD || p->memsz == 0)
            continue;
        if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset ||
            p->vaddr >= USER_TOP || p->memsz > USER_TOP - p->vaddr)
            return -E_INVAL;
        unsigned rights = VM_USER | ((p->flags & PF_W) ? VM_WRITE : 0) | ((p->flags & PF_X) ? VM_EXEC : 0);
        const uint8_t *src = (const uint8_t *)image + p->offset;
        for (vaddr_t va = ROUND_DOWN(p->vaddr, PAGE_SIZE); va < p->vaddr + p->memsz; va += PAGE_SIZE) {
            int r = load_page(s, va, rights, src, p->vaddr, p->filesz);
            if (r < 0)
                return r;
        }
    }
    *entry = eh->entry;
    return 0;
}
