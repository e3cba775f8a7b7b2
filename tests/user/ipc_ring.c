/*
 * A shared-memory ring between two environments, under preemption (extra
 * spinners keep every CPU busy): a producer child streams 2 MiB of
 * pseudo-random bytes, this environment checks every one.  The peers
 * signal each other only when the other is asleep.
 * Modes: 0 the test; 1 the producer (ring pages in the share slot; its
 * caprefs for the two notification words in the ring header).
 */
#include <ipc.h>
#include "check.h"

#define RING_PAGES 5
#define TOTAL (2u << 20)

static uint8_t byte_at(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ul;
    return (uint8_t)(x >> 29 ^ x >> 7);
}

static int producer(void)
{
    uint64_t va = vn_va_reserve(RING_PAGES);
    for (uint64_t i = 0; i < RING_PAGES; i++) {
        struct vn_map_entry m = {va + i * PAGE_SIZE, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, i};
        if (vn_page_map(CAP_SELF, &m, 1) != 1)
            return 2;
    }
    struct vn_ring r;
    vn_ring_attach(&r, (void *)va);
    vn_env_wait(5000000000ul, (const uint64_t *)&r.hdr->caps[0], 0, VN_WAIT_NE);
    r.wake_peer = r.hdr->caps[0];
    r.my_wait = r.hdr->caps[1];
    uint8_t buf[1000];
    for (uint64_t done = 0; done < TOTAL;) {
        uint64_t n = TOTAL - done < sizeof(buf) ? TOTAL - done : sizeof(buf);
        for (uint64_t i = 0; i < n; i++)
            buf[i] = byte_at(done + i);
        if (vn_ring_write(&r, buf, n) < 0)
            return 3;
        done += n;
    }
    return 0;
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    (void)arg;
    if (mode == 1)
        return producer();
    CHECK_EQ(vn_upcalls_init(), 0);
    long pages = vn_page_alloc(CAP_SELF, 0, RING_PAGES);
    CHECK(pages > 0);
    uint64_t va = vn_va_reserve(RING_PAGES);
    for (uint64_t i = 0; i < RING_PAGES; i++) {
        struct vn_map_entry m = {va + i * PAGE_SIZE, (capref_t)pages, VM_PROT_WRITE, i};
        CHECK_EQ(vn_page_map(CAP_SELF, &m, 1), 1);
    }
    struct vn_ring r;
    vn_ring_init(&r, (void *)va, RING_PAGES);
    long data = vn_notify_create(), space = vn_notify_create();
    r.my_wait = (capref_t)data;
    r.wake_peer = (capref_t)space;
    /* Spinners to force preemption, then the producer. */
    volatile uint64_t *spin = vn_alloc_pages(1);
    int nspin = (int)vn_sysinfo->ncpus;
    capref_t sp[8];
    for (int i = 0; i < nspin && i < 8; i++)
        sp[i] = vn_spawn("child", 128, 3, 0);
    (void)spin;
    capref_t prod = vn_spawn_share("ipc_ring", 128, 1, 0, (capref_t)pages, CR_READ | CR_WRITE | CR_MAP);
    CHECK(prod > 0);
    r.hdr->caps[1] = (capref_t)vn_cap_grant((capref_t)space, prod, CR_READ);
    r.hdr->caps[0] = (capref_t)vn_cap_grant((capref_t)data, prod, CR_WRITE);
    uint8_t buf[777];
    uint64_t bad = 0, first_bad = ~0ul;
    uint64_t t0 = vn_clock_ns();
    for (uint64_t done = 0; done < TOTAL;) {
        uint64_t n = TOTAL - done < sizeof(buf) ? TOTAL - done : sizeof(buf);
        CHECK_EQ(vn_ring_read(&r, buf, n), 0);
        for (uint64_t i = 0; i < n; i++)
            if (buf[i] != byte_at(done + i) && bad++ == 0)
                first_bad = done + i;
        done += n;
    }
    uint64_t ms = (vn_clock_ns() - t0) / 1000000;
    CHECK_EQ(vn_wait(prod), 0);
    for (int i = 0; i < nspin && i < 8; i++)
        vn_kill(sp[i]);
    printf("ipc_ring: %u bytes through a %lu-byte ring in %lu ms with %d spinners, %lu wrong (first at %lx)\n",
           TOTAL, r.hdr->size, ms, nspin, bad, first_bad);
    CHECK(bad == 0);
    return check_done("ipc_ring");
}
