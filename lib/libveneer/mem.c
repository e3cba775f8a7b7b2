/*
 * A simple page and address-space manager on top of the page syscalls.
 * Address space is handed out by a bump pointer from VA_POOL_BASE (never
 * reused); every page it maps is one page capability, remembered in an
 * open-addressing table keyed by virtual address so it can be freed.
 * Mapping is batched: one page_map call per MAP_CHUNK pages.
 */
#include "libveneer.h"
#include "vn.h"

#define VA_POOL_BASE 0x0000100000000000ul
#define TRACK_SLOTS  4096           /* power of two; bss cost 64 KiB */
#define MAP_CHUNK    64

static uint64_t va_next = VA_POOL_BASE;
static struct {
    uint64_t va;                    /* 0: empty, 1: deleted */
    capref_t cap;
} track[TRACK_SLOTS];

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

static uint64_t slot_of(uint64_t va)
{
    return (va >> 12) * 0x9e3779b97f4a7c15ul >> 50 & (TRACK_SLOTS - 1);
}

static int track_put(uint64_t va, capref_t cap)
{
    for (uint64_t n = 0, s = slot_of(va); n < TRACK_SLOTS; n++, s = (s + 1) & (TRACK_SLOTS - 1)) {
        if (track[s].va <= 1) {
            track[s].va = va;
            track[s].cap = cap;
            return 0;
        }
    }
    return -E_NOSPC;
}

static int track_find(uint64_t va)
{
    for (uint64_t n = 0, s = slot_of(va); n < TRACK_SLOTS; n++, s = (s + 1) & (TRACK_SLOTS - 1)) {
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
    long r = npages ? vn_page_unmap(CAP_SELF, va, npages) : 0;
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
    for (int s = 0; s < TRACK_SLOTS; s++) {
        if (track[s].va > 1) {
            vn_page_unmap(CAP_SELF, track[s].va, 1);
            vn_cap_delete(track[s].cap);
            track[s].va = 1;
        }
    }
}
