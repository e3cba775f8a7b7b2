/*
 * What CPU multiplexing costs, in rdtsc ticks (guest instructions when run
 * under QEMU -icount shift=0, which is how the numbers in the notes are
 * taken; with -smp 1 so both environments share one CPU):
 *   - switch: one directed yield from this environment to another and the
 *     environment switch it causes (half of a ping-pong round trip);
 *   - activation: from the last instruction before a time slice ends to
 *     the first instruction of the scheduling upcall handler, and from
 *     the handler's last instruction back to the interrupted loop.
 */
#include "check.h"

static volatile uint64_t last_seen, at_entry, entries, exit_mark, lost_entry, lost_exit, exits, pending;
static volatile uint64_t gap_min = ~0ul, gap_max;

static volatile uint64_t warnings, warn_left_ns;

static void on_sched(struct vn_xframe *x)
{
    if (x->trapno == VN_T_SLICE_WARN) {     /* the slice ends soon: how soon? */
        warnings++;
        uint64_t now = rdtsc(), end = vn_envinfo->slice_end_tsc;
        warn_left_ns = end > now ? (end - now) * 1000000000ul / vn_sysinfo->tsc_hz : 0;
        return;
    }
    at_entry = rdtsc();
    if (!last_seen)
        return;         /* not yet in the measuring loop */
    entries++;
    uint64_t gap = at_entry - last_seen;
    gap_min = gap < gap_min ? gap : gap_min;
    gap_max = gap > gap_max ? gap : gap_max;
    lost_entry += gap;
    pending = 1;
    exit_mark = rdtsc();
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    /* Environment switch: ping-pong with a child through yield_to. */
    long me = vn_cap_derive(CAP_SELF, CR_READ | CR_RUN | CR_GRANT);
    capref_t c = vn_spawn_share("child", 128, 12, 0, (capref_t)me, CR_READ | CR_RUN);
    CHECK(c > 0);
    for (int i = 0; i < 10; i++)
        vn_yield_to(c);
    const int rounds = 2000;
    uint64_t t0 = rdtsc();
    for (int i = 0; i < rounds; i++)
        vn_yield_to(c);
    uint64_t per_switch = (rdtsc() - t0) / (2 * rounds);
    vn_kill(c);

    /* Activation upcalls: spin until several slices have ended. */
    uint64_t stack = vn_va_reserve(5) + PAGE_SIZE;
    CHECK_EQ(vn_map_fresh(stack, 4, VM_PROT_WRITE), 0);
    vn_sched_handler(on_sched);
    extern void vn_upcall_entry(void);
    CHECK_EQ(vn_env_set_upcall(CAP_SELF, UPCALL_SCHED, (uint64_t)vn_upcall_entry, stack, 4 * PAGE_SIZE), 0);
    uint64_t until = vn_clock_ns() + 60000000;
    while (vn_clock_ns() < until) {
        uint64_t now = rdtsc();
        if (pending && now > exit_mark) {       /* first sample after an upcall */
            lost_exit += now - exit_mark;
            exits++;
            pending = 0;
        }
        last_seen = now;
    }
    last_seen = 0;          /* stop measuring */
    CHECK(entries > 0);
    uint64_t act_entry = entries ? lost_entry / entries : 0, act_exit = exits ? lost_exit / exits : 0;
    uint64_t act_n = entries;
    printf("cpu_costs: activation gaps: min %lu, max %lu\n", gap_min, gap_max);

    /* Slice-end warnings: ask for one 1 ms before each slice ends. */
    CHECK_EQ(vn_sched_warn(1000000), 0);
    until = vn_clock_ns() + 40000000;
    while (vn_clock_ns() < until || (!warnings && vn_clock_ns() < until + 400000000))
        ;       /* 40 ms, or up to 0.44 s for the first warning on a loaded host */
    CHECK_EQ(vn_sched_warn(0), 0);
    printf("cpu_costs: %lu slice-end warnings, the last %lu us before the end\n", warnings, warn_left_ns / 1000);
    CHECK(warnings > 0);
    printf("cpu_costs: environment switch (yield_to) %lu ticks; activation: %lu ticks slice end to handler, "
           "%lu handler to resumed code, over %lu upcalls\n", per_switch, act_entry, act_exit, act_n);
    return check_done("cpu_costs");
}
