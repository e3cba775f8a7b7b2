/*
 * Starting programs from the boot archive, entirely in user space: the
 * parent maps the archive read-only (VN_CAP_ARCHIVE), creates an empty
 * child, allocates pages owned by the child, fills them through a scratch
 * mapping of its own, maps them into the child with the segment's rights,
 * sets the child's registers and starts it.  The parent's capabilities to
 * the child's pages are derived from the child's, so they vanish when the
 * child dies: nothing to clean up but the child's root capability.
 */
#include <veneer/archive.h>
#include <veneer/elf.h>
#include "libveneer.h"
#include "vn.h"

#define SPAWN_STACK_PAGES 16
#define SPAWN_MAX_PAGES   1024

static const struct var_header *archive;
static uint64_t scratch_va, archive_va, archive_pages;

#define ARCHIVE_CHUNK 16    /* pages mapped per fault in lazy mode */

/* Lazy mode: archive pages are mapped when first touched. */
static bool archive_fault(struct vn_xframe *x)
{
    if (x->addr < archive_va || x->addr >= archive_va + archive_pages * PAGE_SIZE)
        return false;
    uint64_t first = (x->addr - archive_va) / PAGE_SIZE / ARCHIVE_CHUNK * ARCHIVE_CHUNK;
    struct vn_map_entry batch[ARCHIVE_CHUNK];
    size_t n = 0;
    for (uint64_t i = first; i < first + ARCHIVE_CHUNK && i < archive_pages; i++)
        if (!(vn_pte(archive_va + i * PAGE_SIZE) & 1))
            batch[n++] = (struct vn_map_entry){archive_va + i * PAGE_SIZE, VN_CAP_ARCHIVE, VM_PROT_READ, i};
    return n && vn_page_map(CAP_SELF, batch, n) == (long)n;
}

void vn_archive_place(uint64_t va)
{
    if (!archive)
        archive_va = va;
}

static int map_range(uint64_t va, uint64_t from, uint64_t to)
{
    struct vn_map_entry batch[64];
    for (uint64_t done = from; done < to;) {
        uint64_t k = to - done < 64 ? to - done : 64;
        for (uint64_t i = 0; i < k; i++)
            batch[i] = (struct vn_map_entry){va + (done + i) * PAGE_SIZE, VN_CAP_ARCHIVE, VM_PROT_READ, done + i};
        long r = vn_page_map(CAP_SELF, batch, k);
        if (r < 0)
            return (int)r;
        done += k;
    }
    return 0;
}

/* Map the archive: all of it at a reserved address, or, once placed with
 * vn_archive_place(), its header and directory only, the rest on demand
 * through a page-fault handler (the caller must have set up upcalls). */
static int archive_map(void)
{
    struct vn_capinfo ci;
    long r = vn_cap_info(VN_CAP_ARCHIVE, &ci);
    if (r < 0)
        return (int)r;
    bool lazy = archive_va != 0;
    uint64_t va = lazy ? archive_va : vn_va_reserve(ci.count);
    uint64_t off = vn_sysinfo->archive_offset;
    if ((r = map_range(va, 0, lazy ? (off + sizeof(struct var_header)) / PAGE_SIZE + 1 : ci.count)) < 0)
        return (int)r;
    const struct var_header *h = (const struct var_header *)(va + off);
    if (h->magic != VAR_MAGIC)
        return -E_INVAL;
    archive_va = va;
    archive_pages = ci.count;
    if (lazy) {
        uint64_t dir_end = off + sizeof(*h) + h->count * sizeof(struct var_entry);
        if (dir_end > ci.count * PAGE_SIZE || (r = map_range(va, 0, (dir_end + PAGE_SIZE - 1) / PAGE_SIZE)) < 0)
            return r < 0 ? (int)r : -E_INVAL;
        if ((r = vn_pgfault_register(archive_fault)) < 0)
            return (int)r;
    }
    archive = h;
    return 0;
}

const char *vn_archive_name(uint64_t i)
{
    if (!archive && archive_map() < 0)
        return NULL;
    const struct var_entry *ents = (const void *)(archive + 1);
    return i < archive->count ? ents[i].name : NULL;
}

const void *vn_archive_find(const char *name, uint64_t *size)
{
    if (!archive && archive_map() < 0)
        return NULL;
    const struct var_entry *ents = (const void *)(archive + 1);
    for (uint32_t i = 0; i < archive->count; i++) {
        if (strcmp(ents[i].name, name) == 0) {
            *size = ents[i].size;
            return (const uint8_t *)archive + ents[i].offset;
        }
    }
    return NULL;
}

/* Pages given to one child so far (segments may share a page). */
struct spawn_pages {
    uint64_t n;
    struct { uint64_t va; capref_t cap; unsigned prot; uint64_t index; } p[SPAWN_MAX_PAGES];
};

static struct spawn_pages sp;

/* Give the child a fresh page at va (or widen the one there) and fill it
 * from src[lo-va .. hi-va); map_child_pages() maps them all with their
 * rights afterwards.  Returns 0 or -E_*. */
static int child_page(capref_t child, uint64_t va, unsigned prot, const uint8_t *src, uint64_t lo, uint64_t hi)
{
    uint64_t i;
    for (i = 0; i < sp.n && sp.p[i].va != va; i++)
        ;
    if (i == sp.n) {
        if (sp.n == SPAWN_MAX_PAGES)
            return -E_NOSPC;
        long c = vn_page_alloc(child, 0, 1);
        if (c < 0)
            return (int)c;
        sp.p[sp.n++] = (typeof(sp.p[0])){va, (capref_t)c, 0, 0};
    }
    sp.p[i].prot |= prot;
    struct vn_map_entry m = {scratch_va, sp.p[i].cap, VM_PROT_WRITE, sp.p[i].index};
    long r;
    if (lo < hi) {      /* fresh pages come zeroed: only contents need the scratch map */
        if ((r = vn_page_map(CAP_SELF, &m, 1)) < 0)
            return (int)r;
        memcpy((uint8_t *)scratch_va + (lo - va), src, hi - lo);
        vn_page_unmap(CAP_SELF, scratch_va, 1);
    }
    return 0;
}

/* Give the child the pages of [start, end) that no earlier segment gave
 * (all but perhaps the first) as one contiguous run: one call, one
 * capability, instead of one per page.  If no run can be had, child_page
 * gives them one by one. */
static void give_run(capref_t child, uint64_t start, uint64_t end)
{
    uint64_t first = start, n;
    for (uint64_t i = 0; i < sp.n; i++)
        if (sp.p[i].va == start)
            first = start + PAGE_SIZE;
    n = end > first ? (end - first + PAGE_SIZE - 1) / PAGE_SIZE : 0;
    if (n < 2 || sp.n + n > SPAWN_MAX_PAGES)
        return;
    long run = vn_page_alloc(child, 0, n);
    for (uint64_t k = 0; run >= 0 && k < n; k++)
        sp.p[sp.n++] = (typeof(sp.p[0])){first + k * PAGE_SIZE, (capref_t)run, 0, k};
}

/* Map every page child_page() gave the child, in batches. */
static int map_child_pages(capref_t child)
{
    struct vn_map_entry batch[64];
    for (uint64_t done = 0; done < sp.n;) {
        uint64_t k = sp.n - done < 64 ? sp.n - done : 64;
        for (uint64_t i = 0; i < k; i++)
            batch[i] = (struct vn_map_entry){sp.p[done + i].va, sp.p[done + i].cap, sp.p[done + i].prot,
                                             sp.p[done + i].index};
        long r = vn_page_map(child, batch, k);
        if (r < 0)
            return (int)r;
        done += k;
    }
    return 0;
}

static unsigned spawn_flags;

/* Whether read-only segment i can be mapped from the archive itself: asked
 * for (VN_SPAWN_MAP_TEXT), page-congruent, no bss, in whole archive pages,
 * and sharing no page with another segment. */
static bool direct_ok(const struct elf64_ehdr *eh, const struct elf64_phdr *ph, unsigned i, const uint8_t *image)
{
    if (!(spawn_flags & VN_SPAWN_MAP_TEXT) || (ph[i].flags & ELF_PF_W) || ph[i].memsz != ph[i].filesz ||
        ph[i].offset % PAGE_SIZE != ph[i].vaddr % PAGE_SIZE ||
        ((uint64_t)image + ph[i].offset - archive_va) % PAGE_SIZE != ph[i].vaddr % PAGE_SIZE)
        return false;
    uint64_t lo = ph[i].vaddr & ~(PAGE_SIZE - 1), hi = (ph[i].vaddr + ph[i].memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (!archive_pages || (uint64_t)image + ph[i].offset + ph[i].filesz > archive_va + archive_pages * PAGE_SIZE)
        return false;
    for (unsigned j = 0; j < eh->phnum; j++)
        if (j != i && ph[j].type == ELF_PT_LOAD && ph[j].memsz && ph[j].vaddr < hi && ph[j].vaddr + ph[j].memsz > lo)
            return false;
    return true;
}

static int load(capref_t child, const uint8_t *image, uint64_t size, uint64_t *entry)
{
    const struct elf64_ehdr *eh = (const void *)image;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) || eh->machine != ELF_EM_X86_64 ||
        eh->phoff > size || eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
        return -E_INVAL;
    const struct elf64_phdr *ph = (const void *)(image + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type != ELF_PT_LOAD || ph[i].memsz == 0)
            continue;
        if (ph[i].filesz > ph[i].memsz || ph[i].offset > size || ph[i].filesz > size - ph[i].offset)
            return -E_INVAL;
        unsigned prot = ((ph[i].flags & ELF_PF_W) ? VM_PROT_WRITE : 0) | ((ph[i].flags & ELF_PF_X) ? VM_PROT_EXEC : 0);
        uint64_t start = ph[i].vaddr & ~(PAGE_SIZE - 1);
        if (direct_ok(eh, ph, i, image)) {
            /* Read-only pages straight from the archive: no page, no copy. */
            uint64_t first = ((uint64_t)image + ph[i].offset - (ph[i].vaddr - start) - archive_va) / PAGE_SIZE;
            for (uint64_t va = start; va < ph[i].vaddr + ph[i].memsz; va += PAGE_SIZE) {
                if (sp.n == SPAWN_MAX_PAGES)
                    return -E_NOSPC;
                sp.p[sp.n++] = (typeof(sp.p[0])){va, VN_CAP_ARCHIVE, prot, first + (va - start) / PAGE_SIZE};
            }
            continue;
        }
        give_run(child, start, ph[i].vaddr + ph[i].memsz);
        for (uint64_t va = start; va < ph[i].vaddr + ph[i].memsz; va += PAGE_SIZE) {
            uint64_t lo = va > ph[i].vaddr ? va : ph[i].vaddr;
            uint64_t hi = ph[i].vaddr + ph[i].filesz;
            if (hi > va + PAGE_SIZE)
                hi = va + PAGE_SIZE;
            int r = child_page(child, va, prot, image + ph[i].offset + (lo - ph[i].vaddr), lo, hi);
            if (r < 0)
                return r;
        }
    }
    *entry = eh->entry;
    return 0;
}

static capref_t spawn(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1, capref_t share,
                      unsigned rights);

capref_t vn_spawn_stopped(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1)
{
    return spawn(name, quota, arg0, arg1, -1, 0);
}

capref_t vn_spawn_share_stopped(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1, capref_t share,
                                unsigned rights, unsigned flags)
{
    spawn_flags = flags;
    capref_t c = spawn(name, quota, arg0, arg1, share, rights);
    spawn_flags = 0;
    return c;
}

capref_t vn_spawn_share(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1, capref_t share,
                        unsigned rights)
{
    capref_t child = spawn(name, quota, arg0, arg1, share, rights);
    long r = child < 0 ? child : vn_env_start(child);
    if (r < 0 && child >= 0)
        vn_cap_delete(child);   /* destroys it with everything it got */
    return r < 0 ? (capref_t)r : child;
}

capref_t vn_spawn(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1)
{
    return vn_spawn_share(name, quota, arg0, arg1, -1, 0);
}

static capref_t spawn(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1, capref_t share,
                      unsigned rights)
{
    uint64_t size, entry = 0;
    const uint8_t *image = vn_archive_find(name, &size);
    if (!image)
        return -E_NOENT;
    if (!scratch_va)
        scratch_va = vn_va_reserve(1);
    long child = (spawn_flags & VN_SPAWN_SHARED) ? vn_env_create_shared(quota, name) : vn_env_create(quota, name);
    if (child < 0)
        return (capref_t)child;
    sp.n = 0;
    int r = 0;
    if (share >= 0) {
        long g = vn_cap_grant(share, (capref_t)child, rights);
        r = g < 0 ? (int)g : g == VN_CAP_SPAWN_SHARE ? 0 : -E_INVAL;
    }
    if (r == 0)
        r = load((capref_t)child, image, size, &entry);
    if (r == 0)
        give_run((capref_t)child, USER_STACK_TOP - SPAWN_STACK_PAGES * PAGE_SIZE, USER_STACK_TOP);
    for (uint64_t i = 1; r == 0 && i <= SPAWN_STACK_PAGES; i++)
        r = child_page((capref_t)child, USER_STACK_TOP - i * PAGE_SIZE, VM_PROT_WRITE, NULL, 0, 0);
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP, .rdi = arg0, .rsi = arg1};
    if (r == 0)
        r = map_child_pages((capref_t)child);
    if (r == 0)
        r = (int)vn_env_set_regs((capref_t)child, &regs);
    if (r < 0) {
        vn_cap_delete((capref_t)child);     /* destroys it and everything it got */
        return r;
    }
    return (capref_t)child;
}

int vn_wait(capref_t env)
{
    struct vn_capinfo ci;
    for (;;) {
        if (vn_cap_info(env, &ci) < 0)
            return -1;
        if (ci.env_status != 1)
            break;
        vn_env_wait(200000, NULL, 0, VN_WAIT_NONE);     /* 0.2 ms, then look again */
    }
    vn_cap_delete(env);
    return ci.env_status == 0 ? ci.exit_status : -1;
}

void vn_kill(capref_t env)
{
    vn_env_destroy(env);
    vn_wait(env);
}

uint64_t vn_clock_ns(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t t = (((uint64_t)hi << 32) | lo) - vn_sysinfo->tsc_boot, hz = vn_sysinfo->tsc_hz;
    return t / hz * 1000000000ul + t % hz * 1000000000ul / hz;
}
