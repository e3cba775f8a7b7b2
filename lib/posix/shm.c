/*
 * The shared arena: SHM_PAGES pages that every process of this POSIX
 * instance maps at SHM_BASE, holding the process table, open-file
 * descriptions, pipes, the tty and the file system.  The first process
 * allocates it (init: the instance ends with it); fork grants each child
 * capabilities derived from its parent's (cap_grant), charged to no one
 * again: a parent lingers until its children are gone (proc.c), so the
 * derivation chain stays whole while anyone maps the arena.
 *
 * One spinlock guards it (held only for short critical sections, never
 * while sleeping).  Waiting is on the epoch word: whoever changes state
 * someone may wait for bumps it, and sleepers use env_wait's "word !=
 * value" predicate on it, then re-check their condition.
 *
 * Allocation: power-of-two size classes from 16 bytes, carved from a bump
 * pointer, with a free list per class.
 */
#include "posix.h"

capref_t shm_caps[SHM_CAPS];

#define SHM_HEAD_PAGES ((sizeof(struct posix_shared) + PAGE_SIZE - 1) / PAGE_SIZE)
#define SHM_CHUNK 8                 /* heap pages mapped per fault */

/* Map arena pages [first, first + n) that are not mapped yet. */
static bool shm_map_range(uint64_t first, uint64_t n)
{
    struct vn_map_entry batch[64];
    size_t k = 0;
    for (uint64_t p = first; p < first + n && p < SHM_PAGES; p++) {
        if (!(vn_pte(SHM_BASE + p * PAGE_SIZE) & 1))
            batch[k++] = (struct vn_map_entry){SHM_BASE + p * PAGE_SIZE, shm_caps[p / 512], VM_PROT_WRITE, p % 512};
        if (k == 64 || (k && p + 1 == first + n)) {
            if (vn_page_map(CAP_SELF, batch, k) != (long)k)
                return false;
            k = 0;
        }
    }
    return k == 0 || vn_page_map(CAP_SELF, batch, k) == (long)k;
}

/* The heap part of the arena is mapped on first touch. */
static bool shm_fault(struct vn_xframe *x)
{
    if (x->addr < SHM_BASE || x->addr >= SHM_BASE + SHM_PAGES * PAGE_SIZE || (vn_pte(x->addr) & 1))
        return false;       /* mapped already: a real fault (say, executing the arena) */
    return shm_map_range((x->addr - SHM_BASE) / PAGE_SIZE / SHM_CHUNK * SHM_CHUNK, SHM_CHUNK);
}

static void shm_map(void)
{
    if (!shm_map_range(0, SHM_HEAD_PAGES) || vn_pgfault_register(shm_fault) < 0) {
        printf("posix: cannot map the shared arena\n");
        vn_exit(126);
    }
}

void shm_create(void)
{
    for (int c = 0; c < SHM_CAPS; c++) {
        long r = vn_page_alloc(CAP_SELF, 0, 512);
        if (r < 0) {
            printf("posix: no memory for the shared arena (%s)\n", vn_strerror(r));
            vn_exit(126);
        }
        shm_caps[c] = (capref_t)r;
    }
    shm_map();
    shared->heap_next = (SHM_BASE + sizeof(struct posix_shared) + 4095) & ~4095ul;
    shared->heap_end = SHM_BASE + SHM_PAGES * PAGE_SIZE;
    shared->next_pid = 1;
}

int shm_attach(const capref_t caps[SHM_CAPS])
{
    for (int c = 0; c < SHM_CAPS; c++)
        shm_caps[c] = caps[c];
    shm_map();
    return 0;
}

void shm_lock(void)
{
    for (unsigned spins = 0; __atomic_exchange_n(&shared->lock, 1, __ATOMIC_ACQUIRE);) {
        __builtin_ia32_pause();
        if (++spins % 128 == 0)
            vn_yield();     /* the holder may be preempted on this CPU */
    }
    shared->lock_owner = me.pid;
}

void shm_unlock(void)
{
    shared->lock_owner = 0;
    __atomic_store_n(&shared->lock, 0, __ATOMIC_RELEASE);
}

void shm_unlock_if_mine(void)
{
    if (shared->lock && shared->lock_owner == me.pid)
        shm_unlock();
}

/* Bump the epoch.  The kernel checks sleepers' predicates at every
 * scheduling decision (and every millisecond on an idle CPU), so nobody
 * needs waking explicitly.  (Waking them at once with env_wake_word cost
 * 22% more instructions per pipe round trip on one CPU, since every event
 * wakes every sleeper, and showed no gain on two: measured, not kept.) */
void shm_event(void)
{
    __atomic_add_fetch(&shared->epoch, 1, __ATOMIC_SEQ_CST);
}

void shm_wait(uint64_t seen, uint64_t timeout_ns)
{
    vn_env_wait(timeout_ns, (const uint64_t *)&shared->epoch, seen, VN_WAIT_NE);
}

static int size_class(size_t n)
{
    int c = 4;
    while ((1ul << c) < n)
        c++;
    return c;
}

/* Zeroed memory from the arena, or NULL.  The caller holds the lock. */
void *shm_alloc(size_t n)
{
    if (n == 0 || n > (1ul << 23))
        return NULL;
    int c = size_class(n);
    size_t sz = 1ul << c;
    void *p = shared->free_lists[c];
    if (p) {
        shared->free_lists[c] = *(void **)p;
    } else {
        uint64_t a = (shared->heap_next + (sz < 4096 ? sz : 4096) - 1) & ~((sz < 4096 ? sz : 4096) - 1);
        if (a + sz > shared->heap_end)
            return NULL;
        p = (void *)a;
        shared->heap_next = a + sz;
    }
    memset(p, 0, sz);
    return p;
}

void shm_free(void *p, size_t n)
{
    if (!p)
        return;
    int c = size_class(n);
    *(void **)p = shared->free_lists[c];
    shared->free_lists[c] = p;
}

static void *fs_alloc_cb(void *ctx, size_t n)
{
    (void)ctx;
    return shm_alloc(n);
}

static void fs_free_cb(void *ctx, void *p, size_t n)
{
    (void)ctx;
    shm_free(p, n);
}

const struct fs_alloc shm_fs_alloc = {fs_alloc_cb, fs_free_cb, NULL};
