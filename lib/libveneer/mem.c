/*
 * A simple page and address-space manager on top of the page syscalls.
 * Address space is handed out by a bump pointer from VA_POOL_BASE (never
 * reused); every page it maps is one page capability, remembered in an
 * open-addressing table keyed by virtual address so it can be freed.
 * The table is made on first use, one page at first, and doubles as it
 * fills (up to TRACK_SLOTS), so a program starts without 64 KiB of bss to
 * fill.  Mapping is batched: one page_map call per
 * MAP_CHUNK pages.
 */
#include "libveneer.h"
#include "vn.h"

#define VA_POOL_BASE 0x0000100000000000ul
#define TRACK_SLOTS  4096           /* most slots (power of two): 64 KiB */
#define TRACK_FIRST  256            /* the first table: one page */
#define TRACK_PAGES_MAX (TRACK_SLOTS * 16 / PAGE_SIZE)
#define MAP_CHUNK    64

static uint64_t va_next = VA_POOL_BASE;
static struct track_slot {
    uint64_t va;                    /* 0: empty, 1: deleted */
    capref_t cap;
} *track;
static uint64_t track_slots, track_used;
static capref_t track_caps[TRACK_PAGES_MAX];    /* the table's own pages */

static uint64_t slot_of(uint64_t va, uint64_t slots)
{
    return (va >> 12) * 0x9e3779b97f4a7c15ul >> 50 & (slots - 1);
}

/* Make the table (TRACK_FIRST slots) or double it, rehashing.  Errors:
 * -E_NOMEM (the old table stays). */
static int track_grow(void)
{
    uint64_t slots = track_slots ? track_slots * 2 : TRACK_FIRST, npages = slots * 16 / PAGE_SIZE;
    capref_t caps[TRACK_PAGES_MAX];
    struct vn_map_entry m[TRACK_PAGES_MAX];
    uint64_t va = vn_va_reserve(npages);
    for (uint64_t i = 0; i < npages; i++) {
        long c = vn_page_alloc(CAP_SELF, 0, 1);
        if (c < 0) {
            for (uint64_t j = 0; j < i; j++)
                vn_cap_delete(caps[j]);
            return -E_NOMEM;
        }
        caps[i] = (capref_t)c;
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, caps[i], VM_PROT_WRITE, 0};
    }
    if (vn_page_map(CAP_SELF, m, npages) < 0) {
        for (uint64_t i = 0; i < npages; i++)
            vn_cap_delete(caps[i]);
        return -E_NOMEM;
    }
    struct track_slot *t = (struct track_slot *)va;
    track_used = 0;                                 /* live entries (tombstones are dropped) */
    for (uint64_t s = 0; s < track_slots; s++) {
        if (track[s].va <= 1)
            continue;
        uint64_t d = slot_of(track[s].va, slots);
        while (t[d].va)
            d = (d + 1) & (slots - 1);
        t[d] = track[s];
        track_used++;
    }
    for (uint64_t i = 0; i < track_slots * 16 / PAGE_SIZE; i++)
        vn_cap_delete(track_caps[i]);               /* the old table's pages, with their mapping */
    for (uint64_t i = 0; i < npages; i++)
        track_caps[i] = caps[i];
    track = t;
    track_slots = slots;
    return 0;
}

uint64_t vn_pte(uint64_t va)
{
    if (!(*(volatile uint64_t *)VN_PML4E_ADDR(va) & 1) || !(*(volatile uint64_t *)VN_PDPTE_ADDR(va) & 1) ||
        !(*(volatile uint64_t *)VN_PDE_ADDR(va) & 1))
        return 0;
    return *(volatile uint64_t *)VN_PTE_ADDR(va);
}

uint64_t vn_va_reserve(uint64_t npages)
{
    uint64_t va = va_next;
    va_next += npages * PAGE_SIZE;
    return va;
}

static int track_put(uint64_t va, capref_t cap)
{
    if ((!track || ((track_used + 1) * 10 > track_slots * 7 && track_slots < TRACK_SLOTS)) && track_grow() < 0 &&
        !track)
        return -E_NOMEM;
    for (uint64_t n = 0, s = slot_of(va, track_slots); n < track_slots; n++, s = (s + 1) & (track_slots - 1)) {
        if (track[s].va <= 1) {
            track[s].va = va;
            track[s].cap = cap;
            track_used++;
            return 0;
        }
    }
    return -E_NOSPC;
}

static int track_find(uint64_t va)
{
    if (!track)
        return -1;
    for (uint64_t n = 0, s = slot_of(va, track_slots); n < track_slots; n++, s = (s + 1) & (track_slots - 1)) {
        if (track[s].va == va)
            return (int)s;
        if (track[s].va == 0)
            return -1;
    }
    return -1;
}

capref_t vn_page_cap(uint64_t va)
{
    int s = track_find(va);
    return s < 0 ? -E_NOENT : track[s].cap;
}

int vn_map_fresh(uint64_t va, uint64_t npages, unsigned prot)
{
    struct vn_map_entry batch[MAP_CHUNK];
    for (uint64_t done = 0; done < npages;) {
        uint64_t k = npages - done < MAP_CHUNK ? npages - done : MAP_CHUNK;
        long r = 0;
        uint64_t got;
        for (got = 0; got < k; got++) {
            r = vn_page_alloc(CAP_SELF, 0, 1);
            if (r < 0)
                break;
            batch[got] = (struct vn_map_entry){va + (done + got) * PAGE_SIZE, (capref_t)r, prot, 0};
        }
        if (r >= 0)
            r = vn_page_map(CAP_SELF, batch, k);
        if (r < 0) {
            for (uint64_t i = 0; i < got; i++)
                vn_cap_delete(batch[i].cap);
            vn_unmap_free(va, done);
            return (int)r;
        }
        for (uint64_t i = 0; i < k; i++) {
            if (track_put(batch[i].va, batch[i].cap) < 0) {
                /* The table is full: undo this chunk (untracked pages could
                 * never be freed) and what came before. */
                vn_page_unmap(CAP_SELF, batch[i].va, k - i);
                for (uint64_t j = i; j < k; j++)
                    vn_cap_delete(batch[j].cap);
                vn_unmap_free(va, done + i);
                return -E_NOSPC;
            }
        }
        done += k;
    }
    return 0;
}

int vn_unmap_free(uint64_t va, uint64_t npages)
{
    long r = 0;
    for (uint64_t done = 0; done < npages && r >= 0; done += VN_RANGE_MAX)     /* the kernel's bound per call */
        r = vn_page_unmap(CAP_SELF, va + done * PAGE_SIZE, (npages - done < VN_RANGE_MAX ? npages - done : VN_RANGE_MAX));
    for (uint64_t i = 0; i < npages; i++) {
        int s = track_find(va + i * PAGE_SIZE);
        if (s >= 0) {
            vn_cap_delete(track[s].cap);
            track[s].va = 1;
        }
    }
    return r < 0 ? (int)r : 0;
}

void *vn_alloc_pages(uint64_t npages)
{
    uint64_t va = vn_va_reserve(npages);
    return vn_map_fresh(va, npages, VM_PROT_WRITE) < 0 ? NULL : (void *)va;
}

void vn_mem_release_all(void)
{
    if (!track)
        return;
    for (uint64_t s = 0; s < track_slots; s++) {
        if (track[s].va > 1) {
            vn_page_unmap(CAP_SELF, track[s].va, 1);
            vn_cap_delete(track[s].cap);
            track[s].va = 1;
        }
    }
}
