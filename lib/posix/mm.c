/*
 * The program's memory, managed entirely by the libOS.  Every page of the
 * program (text, data, brk, mmap, stack) is one page capability in this
 * process's table, recorded in a registry keyed by address with its
 * logical rights (PG_W, PG_X) and state (PG_COW, PG_SHARED).
 *
 * Read-only pages of programs from the boot archive are the archive's own
 * pages (PG_ARCHIVE, mapped through VN_CAP_ARCHIVE, the registry keeping
 * their index): exec and fork map them instead of copying them.
 *
 * Copy-on-write fork (as in JOS and ExOS, with capabilities): fork gives
 * the child its own root capability to every page (page_share), maps the
 * writable private ones read-only in both and marks them PG_COW.  A write
 * faults to mm_fault in whichever process writes: if nobody else holds
 * the page any more (its page record shows only our capability and our
 * mapping), it is simply made writable again; otherwise the process copies
 * it into a fresh page of its own.  No kernel involvement beyond the page
 * syscalls, and nothing is shared after either process exits.
 */
#include "posix.h"

static struct reg {
    uint64_t key;               /* va | PG_* flags; 0 empty, 1 deleted */
    capref_t cap;
    uint32_t pad;
} *reg;
static uint64_t reg_slots, reg_used, reg_dead;   /* reg_dead: deleted entries (key 1) */
static uint64_t scratch_va;

#define KEY_VA(k) ((k) & ~0xffful)
#define KEY_FL(k) ((unsigned)((k) & 0xfff))

static uint64_t hash(uint64_t va)
{
    return (va >> 12) * 0x9e3779b97f4a7c15ul >> 20;
}

static struct reg *reg_find(uint64_t va)
{
    for (uint64_t n = 0, s = hash(va) & (reg_slots - 1); n < reg_slots; n++, s = (s + 1) & (reg_slots - 1)) {
        if (reg[s].key == 0)
            return NULL;
        if (reg[s].key > 1 && KEY_VA(reg[s].key) == va)
            return &reg[s];
    }
    return NULL;
}

/* Put key in the first empty or deleted slot of its probe sequence;
 * returns whether that slot was a deleted one. */
static bool reg_insert(struct reg *table, uint64_t slots, uint64_t key, capref_t cap)
{
    for (uint64_t s = hash(KEY_VA(key)) & (slots - 1);; s = (s + 1) & (slots - 1)) {
        if (table[s].key <= 1) {
            bool dead = table[s].key == 1;
            table[s].key = key;
            table[s].cap = cap;
            return dead;
        }
    }
}

/* Rebuild the table without its deleted entries (which would otherwise
 * lengthen every probe, a miss's up to the whole table), sized so that
 * the live entries fill at most half of it (so it shrinks again after a
 * burst: fork walks every slot).  Errors: -L_ENOMEM. */
static int reg_rehash(void)
{
    uint64_t slots = 1024;
    while ((reg_used + 1) * 2 > slots)
        slots *= 2;
    struct reg *t = vn_alloc_pages(slots * sizeof(*t) / PAGE_SIZE);
    if (!t)
        return -L_ENOMEM;
    for (uint64_t s = 0; s < reg_slots; s++)
        if (reg[s].key > 1)
            reg_insert(t, slots, reg[s].key, reg[s].cap);
    if (reg)
        vn_unmap_free((uint64_t)reg, reg_slots * sizeof(*t) / PAGE_SIZE);
    reg = t;
    reg_slots = slots;
    reg_dead = 0;
    return 0;
}

static int reg_put(uint64_t va, capref_t cap, unsigned flags)
{
    struct reg *r = reg_find(va);
    if (r) {
        r->key = va | flags;
        r->cap = cap;
        return 0;
    }
    if ((reg_used + reg_dead + 1) * 10 > reg_slots * 7 && reg_rehash() < 0)
        return -L_ENOMEM;
    reg_dead -= reg_insert(reg, reg_slots, va | flags, cap);
    reg_used++;
    return 0;
}

/* Mark entry r deleted. */
static void reg_kill(struct reg *r)
{
    r->key = 1;
    reg_used--;
    reg_dead++;
}

/* Map a registry entry's page at va with hw rights for flags. */
static long entry_map(uint64_t va, capref_t cap, unsigned flags);

/* Forget the page of entry r (its mapping goes too). */
static void reg_drop(struct reg *r)
{
    if (KEY_FL(r->key) & (PG_ARCHIVE | PG_ARENA))
        vn_page_unmap(CAP_SELF, KEY_VA(r->key), 1);     /* the archive's or the file's page: only unmapped */
    else
        vn_cap_delete(r->cap);                          /* our page: freed with its mapping */
    reg_kill(r);
}

void mm_init(void)
{
    if (!reg)
        reg_rehash();
    if (!scratch_va)
        scratch_va = vn_va_reserve(1);
}

bool mm_mapped(uint64_t va)
{
    return reg_find(va & ~0xffful) != NULL;
}

uint64_t mm_pages(void)
{
    return reg_used;
}

static unsigned hw_prot(unsigned flags)
{
    return ((flags & PG_W) && !(flags & PG_COW) ? VM_PROT_WRITE : 0) | ((flags & PG_X) ? VM_PROT_EXEC : 0);
}

static long entry_map(uint64_t va, capref_t cap, unsigned flags)
{
    struct vn_map_entry m = {va, cap, hw_prot(flags), 0};
    if (flags & PG_ARCHIVE)
        m = (struct vn_map_entry){va, VN_CAP_ARCHIVE, hw_prot(flags) & ~VM_PROT_WRITE, (uint64_t)cap};
    if (flags & PG_ARENA)
        m = (struct vn_map_entry){va, shm_caps[(uint32_t)cap / 512], hw_prot(flags), (uint32_t)cap % 512};
    return vn_page_map(CAP_SELF, &m, 1);
}

int mm_add(uint64_t va, capref_t cap, unsigned flags, bool map)
{
    if (map && !(flags & PG_NONE)) {
        long r = entry_map(va, cap, flags);
        if (r < 0)
            return (int)r;
    }
    return reg_put(va, cap, flags);
}

int mm_adopt(const struct handoff_page *pages, uint64_t n)
{
    struct vn_map_entry batch[64];
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        unsigned fl = pages[i].flags;
        if (reg_put(pages[i].va, pages[i].cap, fl) < 0)
            return -L_ENOMEM;
        uint32_t p = (uint32_t)pages[i].cap;
        if (!(fl & PG_NONE))
            batch[k++] = (fl & PG_ARCHIVE)
                ? (struct vn_map_entry){pages[i].va, VN_CAP_ARCHIVE, hw_prot(fl) & ~VM_PROT_WRITE, p}
                : (fl & PG_ARENA) ? (struct vn_map_entry){pages[i].va, shm_caps[p / 512], hw_prot(fl), p % 512}
                : (struct vn_map_entry){pages[i].va, pages[i].cap, hw_prot(fl), 0};
        if (k == 64 || (k && i + 1 == n)) {
            if (vn_page_map(CAP_SELF, batch, k) != (long)k)
                return -L_ENOMEM;
            k = 0;
        }
    }
    return 0;
}

int mm_add_archive(uint64_t va, uint64_t index, unsigned flags)
{
    struct reg *old = reg_find(va);
    if (old)
        reg_drop(old);
    return mm_add(va, (capref_t)index, (flags & ~PG_W) | PG_ARCHIVE, true);
}

/* Fresh zeroed pages for [va, va + npages) (replacing what was there).
 * Errors: -L_ENOMEM (quota or memory; pages mapped so far stay). */
int mm_map_fresh(uint64_t va, uint64_t npages, unsigned flags)
{
    struct vn_map_entry batch[64];
    for (uint64_t done = 0; done < npages;) {
        uint64_t k = npages - done < 64 ? npages - done : 64;
        for (uint64_t i = 0; i < k; i++) {
            long c = vn_page_alloc(CAP_SELF, 0, 1);
            if (c < 0) {
                for (uint64_t j = 0; j < i; j++)
                    vn_cap_delete(batch[j].cap);
                return -L_ENOMEM;
            }
            batch[i] = (struct vn_map_entry){va + (done + i) * PAGE_SIZE, (capref_t)c, hw_prot(flags), 0};
        }
        for (uint64_t i = 0; i < k; i++) {
            struct reg *old = reg_find(batch[i].va);
            if (old)
                reg_drop(old);
        }
        if (vn_page_map(CAP_SELF, batch, k) < 0) {
            for (uint64_t j = 0; j < k; j++)
                vn_cap_delete(batch[j].cap);
            return -L_ENOMEM;
        }
        for (uint64_t i = 0; i < k; i++) {
            if (reg_put(batch[i].va, batch[i].cap, flags) < 0) {
                for (uint64_t j = i; j < k; j++)
                    vn_cap_delete(batch[j].cap);    /* unregistered pages would never be freed */
                return -L_ENOMEM;
            }
        }
        done += k;
    }
    return 0;
}

/* The PG_* flags of the page at va, or -1: none there. */
int mm_page_flags(uint64_t va)
{
    struct reg *r = reg_find(va);
    return r ? (int)KEY_FL(r->key) : -1;
}

/* Move the page at from to to, where nothing is: its capability, rights
 * and state, and its mapping (mremap.c).  *flags gets its PG_* flags.
 * Errors: -L_EFAULT (no page at from), -L_ENOMEM (nothing moved). */
int mm_move(uint64_t from, uint64_t to, unsigned *flags)
{
    struct reg *r = reg_find(from);
    if (!r)
        return -L_EFAULT;
    unsigned fl = KEY_FL(r->key);
    capref_t cap = r->cap;
    if (reg_put(to, cap, fl) < 0)                       /* may grow the table: r moves */
        return -L_ENOMEM;
    r = reg_find(from);
    if (!(fl & PG_NONE)) {
        vn_page_unmap(CAP_SELF, from, 1);
        if (entry_map(to, cap, fl) < 0) {
            entry_map(from, cap, fl);
            reg_kill(reg_find(to));
            return -L_ENOMEM;
        }
    }
    reg_kill(r);
    *flags = fl;
    return 0;
}

void mm_unmap(uint64_t va, uint64_t npages)
{
    for (uint64_t i = 0; i < npages; i++) {
        struct reg *r = reg_find(va + i * PAGE_SIZE);
        if (r)
            reg_drop(r);
    }
}

void mm_clear(void)
{
    fmap_clear();                                   /* shared file mappings go back to their files */
    for (uint64_t s = 0; s < reg_slots; s++)
        if (reg[s].key > 1)
            reg_drop(&reg[s]);
    memset(reg, 0, reg_slots * sizeof(*reg));
    reg_used = reg_dead = 0;
}

static bool cow_break(struct reg *r, uint64_t va);

static bool in_stack(uint64_t va)
{
    return va < PSTACK_TOP && va >= PSTACK_TOP - PSTACK_MAX;
}

/* Whether the program may access [p, p + len): every page is the
 * program's (stack pages are made on demand), writable if asked.  For a
 * write, copy-on-write pages are copied now, so the libOS's own writes
 * never fault (a fault inside an upcall handler would be fatal). */
bool mm_user_ok(const void *p, uint64_t len, bool write)
{
    uint64_t va = (uint64_t)p;
    if (len == 0)
        return true;
    if (!prog_range(va, len))
        return false;
    for (uint64_t pg = va & ~0xffful; pg < va + len; pg += PAGE_SIZE) {
        struct reg *r = reg_find(pg);
        if (!r) {
            if (!in_stack(pg) || mm_map_fresh(pg, 1, PG_W) < 0)
                return false;
            continue;
        }
        if ((write && !(KEY_FL(r->key) & PG_W)) || (KEY_FL(r->key) & PG_NONE))
            return false;
        if (write && (KEY_FL(r->key) & PG_COW) && !cow_break(r, pg))
            return false;
    }
    return true;
}

bool mm_str_ok(const char *s, uint64_t max)
{
    uint64_t va = (uint64_t)s;
    for (uint64_t n = 0; n < max; n++) {
        if (n == 0 || (va + n) % PAGE_SIZE == 0)
            if (!mm_user_ok(s + n, 1, false))
                return false;
        if (!s[n])
            return true;
    }
    return false;
}

/* Resolve a write to a copy-on-write page. */
static bool cow_break(struct reg *r, uint64_t va)
{
    unsigned flags = KEY_FL(r->key) & ~(PG_COW | PG_ARCHIVE);
    uint64_t pfn = (vn_pte(va) & 0x000ffffffffff000ul) >> 12;
    if (!(KEY_FL(r->key) & PG_ARCHIVE) && vn_pageinfo[pfn].refs <= 2 &&   /* our root and mapping only */
        vn_page_protect(CAP_SELF, va, 1, hw_prot(flags)) == 0) {          /* (a read-only root: copy) */
        r->key = va | flags;
        return true;
    }
    long c = vn_page_alloc(CAP_SELF, 0, 1);
    if (c < 0)
        return false;
    struct vn_map_entry m = {scratch_va, (capref_t)c, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) < 0) {
        vn_cap_delete((capref_t)c);
        return false;
    }
    memcpy((void *)scratch_va, (const void *)va, PAGE_SIZE);
    vn_page_unmap(CAP_SELF, scratch_va, 1);
    m = (struct vn_map_entry){va, (capref_t)c, hw_prot(flags), 0};
    if (vn_page_map(CAP_SELF, &m, 1) < 0) {
        vn_cap_delete((capref_t)c);
        return false;
    }
    if (!(KEY_FL(r->key) & PG_ARCHIVE))
        vn_cap_delete(r->cap);
    r->key = va | flags;
    r->cap = (capref_t)c;
    return true;
}

int mm_privatize(uint64_t va)
{
    struct reg *r = reg_find(va);
    if (!r || !(KEY_FL(r->key) & PG_ARCHIVE))
        return 0;
    r->key |= PG_W;             /* the copy is writable; exec sets the final rights */
    return cow_break(r, va) ? 0 : -L_ENOMEM;
}

/* Page-fault upcall: copy-on-write and stack growth.  Anything else is the
 * program's fault (signal.c turns it into SIGSEGV). */
bool mm_fault(struct vn_xframe *x)
{
    uint64_t va = x->addr & ~0xffful;
    struct reg *r = reg_find(va);
    if (r && (x->err & PF_WRITE) && (KEY_FL(r->key) & (PG_COW | PG_W)) == (PG_COW | PG_W))
        return cow_break(r, va);
    /* Another thread broke the page, mapped it or widened its rights while
     * this one waited for the lock: retry the access. */
    uint64_t pte = vn_pte(va);
    if (r && (pte & 1) && (!(x->err & PF_PRESENT) || ((x->err & PF_WRITE) && (pte & 2))))
        return true;
    if (!r && !(x->err & PF_PRESENT) && in_stack(va) && x->addr + 65536 + 256 >= x->rsp)
        return mm_map_fresh(va, 1, PG_W) == 0;
    return false;
}

long sys_brk(uint64_t want)
{
    uint64_t cur_top = (me.brk_cur + PAGE_SIZE - 1) & ~0xffful;
    if (want < me.brk_start || want > me.brk_start + (1ul << 30))
        return (long)me.brk_cur;
    uint64_t new_top = (want + PAGE_SIZE - 1) & ~0xffful;
    if (new_top > cur_top && mm_map_fresh(cur_top, (new_top - cur_top) / PAGE_SIZE, PG_W) < 0)
        return (long)me.brk_cur;
    if (new_top < cur_top)
        mm_unmap(new_top, (cur_top - new_top) / PAGE_SIZE);
    me.brk_cur = want;
    return (long)want;
}

#define L_PROT_WRITE 2
#define L_PROT_EXEC 4
#define L_MAP_SHARED 0x01
#define L_MAP_FIXED 0x10
#define L_MAP_ANON 0x20

static unsigned pg_flags(int prot)
{
    return ((prot & L_PROT_WRITE) ? PG_W : 0) | ((prot & L_PROT_EXEC) ? PG_X : 0);
}

long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    uint64_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    if (len == 0 || n > (1ul << 24) || off % PAGE_SIZE)
        return -L_EINVAL;
    struct ofd *o = NULL;
    if (!(flags & L_MAP_ANON)) {
        o = fd_get(fd);
        if (!o)
            return -L_EBADF;
        if (o->kind != OFD_FILE)
            return -L_EACCES;
        if ((flags & L_MAP_SHARED) && (prot & L_PROT_WRITE) && (o->flags & L_O_ACCMODE) != L_O_RDWR)
            return -L_EACCES;       /* a writable shared mapping needs a read-write file */
    }
    uint64_t va;
    if (flags & L_MAP_FIXED) {
        if (addr % PAGE_SIZE || !prog_range(addr, n * PAGE_SIZE))
            return -L_EINVAL;
        va = addr;
    } else {
        va = me.mmap_next;
        me.mmap_next += (n + 1) * PAGE_SIZE;        /* a guard page between mappings */
    }
    if (flags & L_MAP_FIXED)
        fmap_unmap(va, n * PAGE_SIZE);              /* what it replaces */
    if (o && (flags & L_MAP_SHARED)) {              /* the file's own pages (fmap.c) */
        if (flags & L_MAP_FIXED)
            mm_unmap(va, n);
        long r = fmap_map(va, n, o->node, off, prot, (o->flags & L_O_ACCMODE) == L_O_RDWR);
        return r < 0 ? r : (long)va;
    }
    unsigned fl = pg_flags(prot) | ((flags & L_MAP_SHARED) ? PG_SHARED : 0);
    if (prot == 0 && !(flags & L_MAP_FIXED))
        return (long)va;                            /* a reservation: pages come with mprotect */
    if (mm_map_fresh(va, n, fl | PG_W) < 0) {
        mm_unmap(va, n);
        return -L_ENOMEM;
    }
    if (o) {
        shm_lock();
        fs_read(o->node, off, (void *)va, len);
        shm_unlock();
    }
    if (!(fl & PG_W))
        sys_mprotect(va, n * PAGE_SIZE, prot);
    return (long)va;
}

long sys_munmap(uint64_t addr, uint64_t len)
{
    if (addr % PAGE_SIZE || len == 0 || !prog_range(addr, len))
        return -L_EINVAL;
    fmap_unmap(addr, (len + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE);
    mm_unmap(addr, (len + PAGE_SIZE - 1) / PAGE_SIZE);
    return 0;
}

long sys_mprotect(uint64_t addr, uint64_t len, int prot)
{
    uint64_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    if (addr % PAGE_SIZE || !prog_range(addr, n * PAGE_SIZE))
        return -L_EINVAL;
    if ((prot & L_PROT_WRITE) && !fmap_may_write(addr, n * PAGE_SIZE))
        return -L_EACCES;           /* a shared mapping of a file opened read-only */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t va = addr + i * PAGE_SIZE;
        struct reg *r = reg_find(va);
        if (!r) {
            /* Part of a PROT_NONE reservation (or the stack): make it now. */
            if (prot && mm_map_fresh(va, 1, pg_flags(prot)) < 0)
                return -L_ENOMEM;
            continue;
        }
        unsigned old = KEY_FL(r->key), fl = (old & (PG_COW | PG_SHARED | PG_ARCHIVE | PG_ARENA)) | pg_flags(prot) |
                                            (prot ? 0 : PG_NONE);
        if (fl & PG_ARCHIVE)
            fl |= PG_COW;                               /* a write will copy it */
        if (!prot) {
            vn_page_unmap(CAP_SELF, va, 1);             /* the page stays ours, unreachable */
        } else if (old & PG_NONE) {
            if (entry_map(va, r->cap, fl) < 0)
                return -L_ENOMEM;
        } else if (vn_page_protect(CAP_SELF, va, 1, hw_prot(fl)) < 0) {
            return -L_ENOMEM;
        }
        r->key = va | fl;
    }
    return 0;
}

/* Write-protect the pages listed in keys[0..n) (va | 1 if executable),
 * one page_protect call per run of adjacent pages with the same rights. */
static void protect_runs(uint64_t *keys, uint64_t n)
{
    for (uint64_t gap = n / 2; gap > 0; gap /= 2)          /* shell sort: n is modest */
        for (uint64_t i = gap; i < n; i++)
            for (uint64_t j = i; j >= gap && keys[j - gap] > keys[j]; j -= gap) {
                uint64_t t = keys[j];
                keys[j] = keys[j - gap];
                keys[j - gap] = t;
            }
    for (uint64_t i = 0; i < n;) {
        uint64_t j = i + 1;
        while (j < n && KEY_VA(keys[j]) == KEY_VA(keys[j - 1]) + PAGE_SIZE && (keys[j] & 1) == (keys[i] & 1))
            j++;
        vn_page_protect(CAP_SELF, KEY_VA(keys[i]), j - i, (keys[i] & 1) ? VM_PROT_EXEC : VM_PROT_READ);
        i = j;
    }
}

long mm_fork(capref_t child, struct handoff_page *out, uint64_t max)
{
    static uint64_t *keys;                  /* pages to write-protect (libOS-private) */
    static uint64_t keys_cap;
    if (keys_cap < reg_used) {
        uint64_t pages = (reg_used * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
        uint64_t *k = vn_alloc_pages(pages);
        if (!k)
            return -L_ENOMEM;
        keys = k;                           /* (an old, smaller buffer is simply left) */
        keys_cap = pages * PAGE_SIZE / 8;
    }
    uint64_t n = 0, nk = 0;
    for (uint64_t s = 0; s < reg_slots; s++) {
        if (reg[s].key <= 1)
            continue;
        if (n == max)
            return -L_ENOMEM;
        uint64_t va = KEY_VA(reg[s].key);
        unsigned fl = KEY_FL(reg[s].key);
        if (fl & (PG_ARCHIVE | PG_ARENA)) {     /* the child maps the archive's or the file's page itself */
            out[n++] = (struct handoff_page){va, reg[s].cap, fl};
            continue;
        }
        /* Private pages go without CR_WRITE: the child can only copy them
         * (even by raw page syscalls); shared ones stay writable. */
        long c = vn_page_share(reg[s].cap, child, CR_READ | CR_MAP | CR_GRANT | ((fl & PG_SHARED) ? CR_WRITE : 0));
        if (c < 0)
            return -L_ENOMEM;
        if (!(fl & (PG_SHARED | PG_COW))) {
            /* Every private page: a later mprotect must not make it shared-writable. */
            fl |= PG_COW;
            if ((fl & PG_W) && !(fl & PG_NONE)) {
                if (nk < keys_cap)
                    keys[nk++] = va | ((fl & PG_X) ? 1 : 0);
                else
                    vn_page_protect(CAP_SELF, va, 1, hw_prot(fl));
            }
            reg[s].key = va | fl;
        }
        out[n++] = (struct handoff_page){va, (capref_t)c, fl};
    }
    protect_runs(keys, nk);
    return (long)n;
}

/* madvise: MADV_DONTNEED (4) gives private pages back as fresh zero
 * pages; other advice is only advice. */
long mm_madvise(uint64_t addr, uint64_t len, int advice)
{
    uint64_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    if (addr % PAGE_SIZE || !prog_range(addr, n * PAGE_SIZE))
        return -L_EINVAL;
    if (advice != 4)
        return 0;
    for (uint64_t i = 0; i < n; i++) {
        struct reg *r = reg_find(addr + i * PAGE_SIZE);
        if (r && !(KEY_FL(r->key) & (PG_SHARED | PG_NONE | PG_ARCHIVE | PG_ARENA)) &&
            mm_map_fresh(addr + i * PAGE_SIZE, 1, KEY_FL(r->key) & (PG_W | PG_X)) < 0)
            return -L_ENOMEM;
    }
    return 0;
}

/* Resuming the program from an upcall stores the return address just
 * below its red zone (vn_upcall_entry): make sure that stack word is
 * writable now (stack growth, copy-on-write), or the store would fault
 * inside the upcall handler, which the kernel treats as fatal. */
bool mm_prepare_resume(const struct vn_xframe *x)
{
    uint64_t va = x->rsp - 136;
    return !prog_range(va, 8) || mm_user_ok((void *)va, 8, true);
}
