/*
 * Veneer side of `make bench` (issue 7): runs the operations of the table
 * below with the measurement core shared with the Linux peer
 * (bench/bench_common.h, and bench/bench_mem.h for the memory rows) and
 * prints BENCH lines on the console for bench/report.awk.  Boot it with
 * init=bench; arg0=1 makes the quick run of `make bench-smoke`.  Wall-clock
 * times come from rdtsc, calibrated by the host (docs/performance.md).
 *
 * The program is also its own child: started with arg0 = one of the
 * CHILD_* modes, it is the trivial program of the spawn row or the
 * partner of the ctxsw, yield, ipc and notify rows.
 *
 * The irq and dma rows drive QEMU's edu device (mk/bench.mk puts it in
 * both guests' machine) through the device capability the kernel gives
 * the first environment; they have no Linux twin (docs/performance.md).
 *
 * Adding an operation: one row here and the row of the same name in
 * bench/linux/init.c, or one entry of BENCH_MEM_OPS in bench/bench_mem.h.
 */
#include <libveneer.h>
#include <vn.h>
#include <ipc.h>
#include <veneer/blk.h>
#include <veneer/dev.h>
#include "../bench/bench_common.h"
#include "../bench/bench_mem.h"

enum {
    CHILD_EXIT = 0xbe0,     /* return 0 at once */
    CHILD_PINGPONG,         /* forever: yield_to the environment in VN_CAP_SPAWN_SHARE */
    CHILD_YIELD,            /* forever: count in the page in VN_CAP_SPAWN_SHARE, yield */
    CHILD_SERVER,           /* forever: answer IPC calls with w[0] + 1 */
    CHILD_NOTIFY,           /* forever: wait on one word, signal the other (the page in
                             * VN_CAP_SPAWN_SHARE: [0] signal, [1] wait) */
};

#define CHILD_QUOTA 256     /* pages: this program's image, stack, tables */
#define CHUNK 512           /* pages per page_alloc of the region */

/* The null syscall: the bare cost of entering and leaving the kernel. */
static void op_null(void)
{
    vn_null();
}

/* ---- the same with SLEEPERS environments asleep (issue 19): vCPUs of
 * this address space (env_create_vcpu, cheap: no image of their own), on
 * 1 KiB of stack each, a third of each kind of sleep the kernel keeps:
 * on a word that never changes (the predicate poll's list), with a
 * timeout that never comes (the timeout heap), and with neither (woken
 * only by env_wake: on no list).  prep starts them (not for the run of 0,
 * which counts only the loop), done destroys them. */
#define SLEEPERS 10000
static capref_t sleeper[SLEEPERS];
static uint64_t *sleeper_stacks;
static uint64_t sleeper_word;           /* stays 0 */
static volatile uint64_t sleepers_in;   /* how many have reached their sleep */

__attribute__((force_align_arg_pointer, noreturn)) static void sleeper_run(uint64_t kind)
{
    __atomic_fetch_add(&sleepers_in, 1, __ATOMIC_SEQ_CST);
    for (;;)
        vn_env_wait(kind == 1 ? 1000000000000ul : 0, kind == 0 ? &sleeper_word : NULL, 0,
                    kind == 0 ? VN_WAIT_NE : VN_WAIT_NONE);
}

static void sleepers_up(uint64_t n)
{
    if (!n)
        return;
    if (!sleeper_stacks)
        sleeper_stacks = vn_alloc_pages(SLEEPERS / 4);
    for (int i = 0; i < SLEEPERS; i++) {
        long v = vn_env_create_vcpu(8, "sleeper");
        struct vn_regs regs = {.rip = (uint64_t)sleeper_run,
                               .rsp = (uint64_t)sleeper_stacks + (uint64_t)(i + 1) * 1024 - 8,
                               .rdi = (uint64_t)i % 3};
        if (v < 0 || vn_env_set_regs((capref_t)v, &regs) < 0 || vn_env_start((capref_t)v) < 0) {
            printf("bench: sleepers: cannot start number %d: %s\n", i, vn_strerror(v < 0 ? v : -E_INVAL));
            return;
        }
        sleeper[i] = (capref_t)v;
    }
    for (int i = 0; i < 100000 && sleepers_in < SLEEPERS; i++)  /* until all are asleep */
        vn_yield();
    if (sleepers_in < SLEEPERS)
        printf("bench: sleepers: only %lu of %d ran\n", (unsigned long)sleepers_in, SLEEPERS);
    vn_yield();                         /* the last one from its count to its sleep */
}

static uint64_t sleepers_down(uint64_t n)
{
    for (int i = 0; i < SLEEPERS && sleeper[i] > 0; i++)       /* destroys it, and frees our slot */
        vn_cap_delete(sleeper[i]), sleeper[i] = 0;
    if (sleeper_stacks)     /* 2,500 pages: libveneer tracks 4,096 a program, and touch needs 2,000 */
        vn_unmap_free((uint64_t)sleeper_stacks, SLEEPERS / 4);
    sleeper_stacks = NULL;
    sleepers_in = 0;
    (void)n;
    return 0;
}

static void yield_prep(uint64_t n);
static uint64_t yield_done(uint64_t n);
static void op_yield(void);
static void yield_sleep_prep(uint64_t n)
{
    sleepers_up(n);
    yield_prep(n);
}

static uint64_t yield_sleep_done(uint64_t n)
{
    uint64_t r = yield_done(n);
    sleepers_down(n);
    return r;
}

/* ---- memory rows (bench/bench_mem.h) on page_protect and upcalls */

static void bench_protect(uint64_t va, uint64_t npages, int writable)
{
    vn_page_protect(CAP_SELF, va, npages, writable ? VM_PROT_WRITE : VM_PROT_READ);
}

static uint64_t bench_area_new(uint64_t npages)
{
    return vn_va_reserve(npages);
}

static void bench_area_free(uint64_t va, uint64_t npages)
{
    vn_unmap_free(va, npages);
}

/* The one page-fault handler: the Appel-Li rows' protection faults, and
 * touch's demand paging, which maps a fresh page where the fault was. */
static bool on_fault(struct vn_xframe *x)
{
    if (bench_prot_fault(x->addr))
        return true;
    if (x->addr - bench_area < bench_area_pages * PAGE_SIZE && !(x->err & PF_PRESENT))
        return vn_map_fresh(x->addr & ~(PAGE_SIZE - 1), 1, VM_PROT_WRITE) == 0;
    return false;
}

static capref_t region_caps[BENCH_PAGES / CHUNK + 1];

/* The region: pages from page_alloc in contiguous chunks, mapped
 * read-write and written once.  Returns 0 or -E_*. */
static int region_setup(uint64_t pages)
{
    struct vn_map_entry batch[CHUNK];   /* 12 KiB of the 64 KiB stack, not of every child's image */
    bench_region = vn_va_reserve(pages);
    for (uint64_t done = 0, c = 0; done < pages; done += CHUNK, c++) {
        uint64_t k = pages - done < CHUNK ? pages - done : CHUNK;
        long cap = vn_page_alloc(CAP_SELF, 0, k);
        if (cap < 0)
            return (int)cap;
        region_caps[c] = (capref_t)cap;
        for (uint64_t i = 0; i < k; i++)
            batch[i] = (struct vn_map_entry){bench_pg(done + i), (capref_t)cap, VM_PROT_WRITE, i};
        long r = vn_page_map(CAP_SELF, batch, k);
        if (r < 0)
            return (int)r;
    }
    bench_region_pages = pages;
    for (uint64_t i = 0; i < pages; i++)
        bench_write(bench_pg(i));
    return 0;
}

static void region_release(void)
{
    vn_page_unmap(CAP_SELF, bench_region, bench_region_pages);
    for (uint64_t c = 0; c * CHUNK < bench_region_pages; c++)
        vn_cap_delete(region_caps[c]);
}

/* ---- two environments on one CPU */

static capref_t partner;            /* the child of ctxsw, yield, ipc or notify */
static uint64_t partner_calls;
static long misses;                 /* ctxsw, ipc, notify: round trips that failed */
static uint64_t switched;           /* yield: yields after which the partner had run */
static volatile uint64_t *yield_count;  /* yield: the child's count, shared */

/* ctxsw: the child gets a capability to us and yields to it, we to the
 * child; one call is a round trip, two switches. */
static void ctxsw_prep(uint64_t n)
{
    static long self;
    if (!n)
        return;
    if (!self)
        self = vn_cap_derive(CAP_SELF, CR_READ | CR_RUN | CR_GRANT);
    partner = vn_spawn_share("bench", CHILD_QUOTA, CHILD_PINGPONG, 0, (capref_t)self, CR_READ | CR_RUN);
    if (partner < 0) {
        printf("bench: ctxsw: cannot start the partner: %s\n", vn_strerror(partner));
        return;
    }
    for (int i = 0; i < 4; i++)     /* into its loop */
        vn_yield_to(partner);
    misses = 0;
    partner_calls = n;
}

static void op_ctxsw(void)
{
    if (vn_yield_to(partner) != 0)
        misses++;
}

static uint64_t ctxsw_done(uint64_t n)
{
    (void)n;
    if (partner <= 0)
        return 0;
    vn_kill(partner);
    partner = 0;
    if (misses)
        printf("bench: ctxsw: %ld of %lu yield_to calls did not switch\n", misses, partner_calls);
    return 0;
}

/* yield: the child yields to whoever is next, as we do; on one CPU the
 * run queue holds just the two of us.  It counts its turns in a page we
 * share, so that we see which yields switched. */
static void yield_prep(uint64_t n)
{
    if (!n)
        return;
    if (!yield_count)
        yield_count = vn_alloc_pages(1);
    *yield_count = 0;
    partner = vn_spawn_share("bench", CHILD_QUOTA, CHILD_YIELD, 0, vn_page_cap((uint64_t)yield_count),
                             CR_READ | CR_WRITE | CR_MAP);
    if (partner < 0) {
        printf("bench: yield: cannot start the partner: %s\n", vn_strerror(partner));
        return;
    }
    for (int i = 0; i < 1000000 && *yield_count < 4; i++)     /* as the Linux side does */
        vn_yield();
    switched = 0;
    partner_calls = n;
}

/* Counts the yields after which the partner had run: two switches each. */
static void op_yield(void)
{
    uint64_t before = *yield_count;
    vn_yield();
    if (*yield_count != before)
        switched++;
}

/* Every yield should switch; fewer than half means the partner is gone. */
static uint64_t yield_done(uint64_t n)
{
    (void)n;
    if (partner <= 0)
        return 0;
    vn_kill(partner);
    partner = 0;
    if (switched * 2 < partner_calls)
        printf("bench: yield: %lu of %lu yields switched\n", switched, partner_calls);
    return 2 * switched;
}

/* ipc: protected control transfer.  The child is a server started
 * stopped, so that we can take an endpoint to its entry first (as
 * tests/user/ipc_pct.c does); it waits in vn_recv, then answers each call
 * with vn_reply_recv.  One call of op_ipc is one vn_call round trip, four
 * words each way, through a badged endpoint (as a server's clients call);
 * the server answers w[0] + badge, which we check. */
#define IPC_BADGE 7
static long ipc_ep, ipc_root_ep;
static uint64_t ipc_seq;

static void op_ipc(void)
{
    uint64_t in[4] = {++ipc_seq, 1, 2, 3};
    struct vn_msg out;
    if (vn_call((capref_t)ipc_ep, in, -1, &out) != 0 || out.w[0] != ipc_seq + IPC_BADGE)
        misses++;
}

static void ipc_prep(uint64_t n)
{
    if (!n)
        return;
    partner = vn_spawn_stopped("bench", CHILD_QUOTA, CHILD_SERVER, 0);
    if (partner < 0) {
        printf("bench: ipc: cannot start the server: %s\n", vn_strerror(partner));
        return;
    }
    ipc_root_ep = vn_ipc_endpoint(partner);
    ipc_ep = ipc_root_ep < 0 ? ipc_root_ep : vn_ipc_badge((capref_t)ipc_root_ep, IPC_BADGE, CR_WRITE);
    long r = ipc_ep < 0 ? ipc_ep : vn_env_start(partner);
    if (r < 0) {
        printf("bench: ipc: no endpoint: %s\n", vn_strerror(r));
        return;
    }
    misses = 0;
    for (int i = 0; i < 4; i++)     /* into its loop */
        op_ipc();
    if (misses)
        printf("bench: ipc: the server does not answer\n");
    misses = 0;
    partner_calls = n;
}

static uint64_t ipc_done(uint64_t n)
{
    (void)n;
    if (partner <= 0)
        return 0;
    vn_kill(partner);
    vn_cap_delete((capref_t)ipc_ep);    /* dead with its environment; frees our slots */
    vn_cap_delete((capref_t)ipc_root_ep);
    partner = 0;
    if (misses)
        printf("bench: ipc: %ld of %lu calls failed\n", misses, partner_calls);
    return 0;
}

/* notify: a notification round trip.  We create two words: ours, which
 * the child may only signal, and the child's, which it may only wait on;
 * the child gets its capabilities (vn_cap_grant, as in
 * tests/user/ipc_notify.c) through a page shared with vn_spawn_share.
 * One call signals the child's word and waits on ours, the child doing
 * the reverse: two signals, two waits, two switches. */
static volatile uint64_t *notify_page;
static long notify_mine, notify_peer;

static void op_notify(void)
{
    vn_notify_signal((capref_t)notify_peer, 1);
    if (vn_notify_wait((capref_t)notify_mine, 0) != 1)
        misses++;
}

static void notify_prep(uint64_t n)
{
    if (!n)
        return;
    if (!notify_page)
        notify_page = vn_alloc_pages(1);
    notify_page[0] = notify_page[1] = 0;
    notify_mine = vn_notify_create();
    notify_peer = vn_notify_create();
    if (notify_mine < 0 || notify_peer < 0) {
        printf("bench: notify: no notification words\n");
        return;
    }
    partner = vn_spawn_share("bench", CHILD_QUOTA, CHILD_NOTIFY, 0, vn_page_cap((uint64_t)notify_page),
                             CR_READ | CR_WRITE | CR_MAP);
    if (partner < 0) {
        printf("bench: notify: cannot start the partner: %s\n", vn_strerror(partner));
        return;
    }
    long sig = vn_cap_grant((capref_t)notify_mine, partner, CR_WRITE);
    long wait = vn_cap_grant((capref_t)notify_peer, partner, CR_READ);
    if (sig < 0 || wait < 0) {
        printf("bench: notify: cannot grant the words\n");
        return;
    }
    notify_page[0] = (uint64_t)sig;
    notify_page[1] = (uint64_t)wait;    /* last: the child waits for this one */
    /* Into its loop, with a timeout in case it never gets there. */
    misses = 0;
    for (int i = 0; i < 4; i++) {
        vn_notify_signal((capref_t)notify_peer, 1);
        if (vn_notify_wait((capref_t)notify_mine, 2000000000ul) != 1)
            misses++;
    }
    if (misses)
        printf("bench: notify: the partner does not answer\n");
    misses = 0;
    partner_calls = n;
}

static uint64_t notify_done(uint64_t n)
{
    (void)n;
    if (partner <= 0)
        return 0;
    vn_kill(partner);
    partner = 0;
    vn_cap_delete((capref_t)notify_mine);
    vn_cap_delete((capref_t)notify_peer);
    if (misses)
        printf("bench: notify: %ld of %lu round trips failed\n", misses, partner_calls);
    return 0;
}

/* spawn: create this program as a child that returns at once, and wait
 * for it.  vn_wait sleeps 0.2 ms between looks, which would leave the CPU
 * idle; yielding until the child is gone lets it run, then vn_wait finds
 * it ended and reaps it. */
static long spawn_errors;

static void op_spawn(void)
{
    capref_t c = vn_spawn("bench", CHILD_QUOTA, CHILD_EXIT, 0);
    struct vn_capinfo ci;
    if (c < 0) {
        spawn_errors++;
        return;
    }
    while (vn_cap_info(c, &ci) == 0 && ci.env_status == 1)
        vn_yield();
    if (vn_wait(c) != 0)
        spawn_errors++;
}

/* ---- device rows, on QEMU's edu (registers as in tests/user/dev_hostile.c) */

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_RAISE  (0x60 / 4)   /* 32-bit registers: raise the interrupt, status bits */
#define EDU_ACK    (0x64 / 4)   /* acknowledge those bits */
#define IRQ_BITS   0x10         /* what the interrupt ORs into its word */
#define DMA_IOVA   0x200000ul   /* where dma maps its page in edu's domain */

static capref_t edu;                /* edu's device capability: its holder */
static volatile uint32_t *edu_regs; /* BAR 0's first page, mapped uncached */
static long irq_word, irq_cap, dma_page;

/* Set up the device rows once: edu's first register page mapped (a
 * register capability maps uncached), bus mastering on (an MSI is a
 * memory write, allowed only with an IOMMU domain), its MSI bound to a
 * notification word, and one page for dma to map.  Returns 1, 0 if edu
 * has no IOMMU domain (MACHINE=pc: neither row can run), or -E_NOENT
 * without edu, or another -E_*. */
static int dev_setup(void)
{
    struct vn_devinfo di;
    edu = -1;
    for (uint64_t i = 0; i < vn_sysinfo->ndevices && edu < 0; i++)
        if (vn_dev_info((capref_t)(VN_CAP_DEV_FIRST + i), &di) == 0 && di.vendor == EDU_VENDOR &&
            di.device == EDU_DEVICE)
            edu = (capref_t)(VN_CAP_DEV_FIRST + i);
    if (edu < 0)
        return -E_NOENT;
    if (!(di.flags & VN_DEVF_IOMMU))
        return 0;
    long regs = vn_dev_regs(edu, 0, CR_READ | CR_WRITE | CR_MAP);
    if (regs < 0)
        return (int)regs;
    struct vn_map_entry m = {vn_va_reserve(1), (capref_t)regs, VM_PROT_WRITE, 0};
    long r = vn_page_map(CAP_SELF, &m, 1);
    if (r < 0 || (r = vn_dev_cfg_write(edu, 4, 2, VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF)) < 0 ||
        (r = irq_word = vn_notify_create()) < 0 ||
        (r = irq_cap = vn_dev_irq(edu, VN_IRQ_MSI, 0, (capref_t)irq_word, IRQ_BITS)) < 0 ||
        (r = dma_page = vn_page_alloc(CAP_SELF, 0, 1)) < 0)
        return (int)r;
    edu_regs = (volatile uint32_t *)m.va;
    return 1;
}

/* Letting go of edu resets it: the interrupt is unbound, the domain freed. */
static void dev_release(void)
{
    vn_cap_delete(edu);
    vn_cap_delete((capref_t)irq_word);
    vn_cap_delete((capref_t)dma_page);
}

/* irq: one interrupt round trip.  A store to edu's raise register sends
 * its MSI; the kernel takes it at once, from user mode, masks the source
 * and sets IRQ_BITS in our word, so notify_wait finds them without
 * sleeping; then edu's status is acknowledged and irq_ack unmasks.  TCG
 * takes an interrupt where a translated block begins: -icount ends the
 * block at the device store, plain TCG only at the jump, which keeps the
 * syscall out of that block (its kernel entry has interrupts off, and
 * notify_wait would sleep and be woken: another path).  The timeout only
 * bounds a lost interrupt. */
static void op_irq(void)
{
    edu_regs[EDU_RAISE] = 1;
    __asm__ volatile("jmp 1f\n1:" : : : "memory");
    if (vn_notify_wait((capref_t)irq_word, 2000000000ul) != IRQ_BITS)
        misses++;
    edu_regs[EDU_ACK] = 1;
    if (vn_irq_ack((capref_t)irq_cap) != 0)
        misses++;
}

/* dma: map one page for edu at DMA_IOVA and unmap it, which waits for
 * the IOMMU's invalidation. */
static void op_dma(void)
{
    if (vn_dma_map(edu, (capref_t)dma_page, DMA_IOVA, VN_DMA_READ | VN_DMA_WRITE) != 1 ||
        vn_dma_unmap(edu, DMA_IOVA, 1) != 1)
        misses++;
}

static void dev_prep(uint64_t n)
{
    (void)n;
    misses = 0;
}

static uint64_t irq_done(uint64_t n)
{
    if (misses)
        printf("bench: irq: %ld of %lu round trips failed\n", misses, n);
    return 0;
}

static uint64_t dma_done(uint64_t n)
{
    if (misses)
        printf("bench: dma: %ld of %lu map and unmap pairs failed\n", misses, n);
    return 0;
}

/* ---- network rows: the kernel's demultiplexing cost per received frame
 * with 1, 10 and 100 exclusive filters installed.  Each call pings the
 * gateway of QEMU's user networking through an ICMP filter and waits for
 * the reply; the row reports the kernel's own count of the TSC ticks
 * (instructions under -icount) spent classifying frames
 * (vn_netinfo.rx_classify_tsc) per frame received, since the round trip
 * itself is mostly the emulator's. */

#define NET_IP_ME 0x0a00020fu   /* 10.0.2.15 */
#define NET_IP_GW 0x0a000202u   /* 10.0.2.2 */

static capref_t nic, net_word, net_ring_pages, net_dummy_pages, net_icmp;
static volatile struct vn_rxring *net_ring;
static unsigned net_filters;        /* exclusive filters installed */
static uint8_t net_mac[6], net_gw[6], net_frame[128];
static uint16_t net_seq;
static struct vn_netinfo net_before;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Install a one-term filter comparing n fields (size, off, val) on ring. */
static long net_filter(const uint16_t (*cmp)[3], unsigned n, unsigned flags, capref_t ring)
{
    struct vn_pf_insn p[VN_PF_MAX_INSNS];
    for (unsigned i = 0; i < n; i++)
        p[i] = (struct vn_pf_insn){.op = VN_PF_CMP, .size = (uint8_t)cmp[i][0], .off = cmp[i][1],
                                   .fail = (uint16_t)(n + 1), .val = cmp[i][2],
                                   .mask = cmp[i][0] == 1 ? 0xff : 0xffff};
    p[n] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
    p[n + 1] = (struct vn_pf_insn){.op = VN_PF_REJECT};
    struct vn_filter_req q = {.prog = (uint64_t)p, .n = n + 2, .flags = flags, .ring = ring, .notify = net_word,
                              .bits = 1};
    return vn_net_filter(nic, &q);
}

/* The next frame of the ring within a second (its slot), or NULL. */
static const struct vn_rxslot *net_next(void)
{
    uint64_t until = vn_clock_ns() + 1000000000ul;
    while (net_ring->head == net_ring->tail && vn_clock_ns() < until)
        vn_notify_wait(net_word, 100000000ul);
    if (net_ring->head == net_ring->tail)
        return NULL;
    uint32_t i = net_ring->tail++ % net_ring->nslots;
    return (const void *)((uintptr_t)net_ring + 4096 * (1 + i / 2) + VN_RX_SLOT * (i % 2));
}

/* Set up the network rows: a ring for the gateway's replies, its MAC
 * (ARP, through a shared filter then removed), an ICMP filter.  Returns
 * 1, 0 without a NIC (the rows are left out), or -E_*. */
static int net_setup(void)
{
    struct vn_netinfo ni;
    nic = (capref_t)vn_sysinfo->net_cap;
    if (nic <= 0)
        return 0;
    long r, pages;
    if ((r = vn_net_info(nic, &ni)) < 0 || (r = net_word = (capref_t)vn_notify_create()) < 0 ||
        (r = pages = vn_page_alloc(CAP_SELF, 0, 3)) < 0 || (r = net_dummy_pages = (capref_t)vn_page_alloc(CAP_SELF, 0, 2)) < 0)
        return (int)r;
    net_ring_pages = (capref_t)pages;
    memcpy(net_mac, ni.mac, 6);
    uint64_t va = vn_va_reserve(3);
    struct vn_map_entry m[3];
    for (unsigned i = 0; i < 3; i++)
        m[i] = (struct vn_map_entry){va + i * 4096, net_ring_pages, VM_PROT_WRITE, i};
    if ((r = vn_page_map(CAP_SELF, m, 3)) < 0)
        return (int)r;
    net_ring = (volatile struct vn_rxring *)va;
    static const uint16_t arp[][3] = {{2, 12, 0x0806}, {2, 38, NET_IP_ME >> 16}, {2, 40, NET_IP_ME & 0xffff}};
    long af = net_filter(arp, 3, VN_PF_SHARED, net_ring_pages);
    if (af < 0)
        return (int)af;
    uint8_t *f = net_frame;
    memset(f, 0xff, 6);
    memcpy(f + 6, net_mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1), put16(f + 16, 0x0800), f[18] = 6, f[19] = 4, put16(f + 20, 1);
    memcpy(f + 22, net_mac, 6);
    put32(f + 28, NET_IP_ME);
    memset(f + 32, 0, 28);
    put32(f + 38, NET_IP_GW);
    const struct vn_rxslot *s = vn_net_send((capref_t)af, f, 60) == 0 ? net_next() : NULL;
    if (!s)
        return -E_TIMEOUT;
    memcpy(net_gw, s->data + 22, 6);
    vn_cap_delete((capref_t)af);
    static const uint16_t icmp[][3] = {{2, 12, 0x0800}, {1, 14, 0x45}, {1, 23, 1},
                                       {2, 30, NET_IP_ME >> 16}, {2, 32, NET_IP_ME & 0xffff}};
    long icf = net_filter(icmp, 5, 0, net_ring_pages);
    if (icf < 0)
        return (int)icf;
    net_filters = 1;
    /* The echo request, rewritten with a new sequence number each time. */
    memcpy(f, net_gw, 6);
    put16(f + 12, 0x0800);
    memset(f + 14, 0, 84);
    f[14] = 0x45, put16(f + 16, 84), f[22] = 64, f[23] = 1;
    put32(f + 26, NET_IP_ME);
    put32(f + 30, NET_IP_GW);
    put16(f + 24, csum(f + 14, 20));
    f[34] = 8;
    put16(f + 38, 0x5eed);
    net_icmp = (capref_t)icf;
    return 1;
}

static void net_grow(unsigned want)
{
    for (; net_filters < want; net_filters++) {
        uint16_t udp[][3] = {{2, 12, 0x0800}, {1, 14, 0x45}, {1, 23, 17}, {2, 36, (uint16_t)(6000 + net_filters)}};
        if (net_filter(udp, 4, 0, net_dummy_pages) < 0)
            break;
    }
}

static void op_ping(void)
{
    uint8_t *ic = net_frame + 34;
    put16(ic + 6, ++net_seq);
    put16(ic + 2, 0);
    put16(ic + 2, csum(ic, 64));
    if (vn_net_send(net_icmp, net_frame, 98) != 0 || !net_next())
        misses++;
}

static void demux_prep(unsigned want)
{
    net_grow(want);
    misses = 0;
    vn_net_info(nic, &net_before);
}
static void demux1_prep(uint64_t n) { (void)n; demux_prep(1); }
static void demux10_prep(uint64_t n) { (void)n; demux_prep(10); }
static void demux100_prep(uint64_t n) { (void)n; demux_prep(100); }

/* Frames classified in the run (the replies, and anything else that came). */
static uint64_t demux_done(uint64_t n)
{
    struct vn_netinfo ni;
    vn_net_info(nic, &ni);
    if (misses)
        printf("bench: demux: %ld of %lu pings unanswered\n", misses, n);
    bench_ticks_override = n ? ni.rx_classify_tsc - net_before.rx_classify_tsc : 0;
    return n ? ni.rx_frames - net_before.rx_frames : 0;
}

/* A claim: install a one-port UDP filter (a shape the trie already has)
 * on a kept ring and remove it, which is the kernel's part of a socket's
 * bind and close in netd (vnetif_claim, vnetif_unclaim); the demux rows'
 * 100 filters stay installed meanwhile. */
static void op_claim(void)
{
    static const uint16_t udp[][3] = {{2, 12, 0x0800}, {1, 14, 0x45}, {1, 23, 17}, {2, 36, 5000}};
    long f = net_filter(udp, 4, 0, net_dummy_pages);
    if (f < 0)
        misses++;
    else
        vn_cap_delete((capref_t)f);
}

static void claim_prep(uint64_t n) { (void)n; misses = 0; }
static uint64_t claim_done(uint64_t n)
{
    if (misses)
        printf("bench: claim: %ld of %lu installs refused\n", misses, n);
    return n - (uint64_t)misses;
}

static void net_release(void)
{
    vn_cap_delete(nic);         /* every filter goes with it */
    vn_cap_delete(net_ring_pages);
    vn_cap_delete(net_dummy_pages);
    vn_cap_delete(net_word);
}


/* ---- the disk rows: 4 KiB requests through the kernel's block queue
 * (include/veneer/blk.h), the first namespace's root extent, one request
 * at a time: blk_read is a read's round trip (queue it, ring, sleep until
 * its completion); blk_wflush a write and then a flush, each waited for. */
#define BLK_SLOTS 8
static struct {
    capref_t ext, ring, word, q, data;
    volatile struct vn_blkq_hdr *h;
    volatile struct vn_blk_req *sq;
    volatile struct vn_blk_cpl *cq;
    uint32_t tail, cq_tail, block_size;
    long errors;
} blk;

/* Open the queue; 0 without a disk (the rows are left out), 1, or an error. */
static int blk_setup(void)
{
    struct vn_blkinfo bi;
    if (vn_sysinfo->nblk == 0 || vn_blk_info((capref_t)vn_sysinfo->blk_cap, &bi) < 0)
        return 0;
    blk.ext = (capref_t)vn_sysinfo->blk_cap;
    blk.block_size = bi.block_size;
    if (bi.count * bi.block_size < 2 * BENCH_BLK_BYTES || BENCH_BLK_BYTES % bi.block_size)
        return 0;
    uint64_t n = VN_BLKQ_PAGES(BLK_SLOTS);
    long w = vn_notify_create(), ring = vn_page_alloc(CAP_SELF, 0, n), data = vn_page_alloc(CAP_SELF, 0, 1);
    if (w < 0 || ring < 0 || data < 0)
        return (int)(w < 0 ? w : ring < 0 ? ring : data);
    uint64_t va = vn_va_reserve(n);
    struct vn_map_entry m[8];
    for (uint64_t i = 0; i < n; i++)
        m[i] = (struct vn_map_entry){va + i * PAGE_SIZE, (capref_t)ring, VM_PROT_WRITE, i};
    long r = vn_page_map(CAP_SELF, m, n);
    if (r < 0)
        return (int)r;
    struct vn_blkq_req req = {.ring = (capref_t)ring, .notify = (capref_t)w, .bits = 1, .nslots = BLK_SLOTS,
                              .inflight = 1};
    long q = vn_blk_queue(blk.ext, &req);
    if (q < 0)
        return (int)q;
    blk.ring = (capref_t)ring;
    blk.word = (capref_t)w;
    blk.q = (capref_t)q;
    blk.data = (capref_t)data;
    blk.h = (volatile struct vn_blkq_hdr *)va;
    blk.sq = (volatile struct vn_blk_req *)(va + PAGE_SIZE);
    blk.cq = (volatile struct vn_blk_cpl *)(va + PAGE_SIZE * (1 + (BLK_SLOTS + VN_BLKQ_SQ_PER_PAGE - 1) /
                                                               VN_BLKQ_SQ_PER_PAGE));
    return 1;
}

/* One request, rung and waited for (a completion with an error counts). */
static void blk_do(uint8_t op)
{
    uint32_t nb = op == VN_BLK_FLUSH ? 0 : BENCH_BLK_BYTES / blk.block_size;
    blk.sq[blk.tail % BLK_SLOTS] = (struct vn_blk_req){
        .id = blk.tail, .op = op, .npages = op == VN_BLK_FLUSH ? 0 : 1, .extent = blk.ext, .block = 0,
        .nblocks = nb, .pages = op == VN_BLK_FLUSH ? 0 : blk.data, .page_index = 0};
    __atomic_store_n(&blk.h->sq_tail, ++blk.tail, __ATOMIC_RELEASE);
    if (vn_blk_doorbell(blk.q) != 1)
        blk.errors++;
    while (__atomic_load_n(&blk.h->cq_head, __ATOMIC_ACQUIRE) == blk.cq_tail)
        if (vn_notify_wait(blk.word, 1000000000ul) < 0)
            break;
    if (blk.h->cq_head == blk.cq_tail || blk.cq[blk.cq_tail % BLK_SLOTS].status != 0)
        blk.errors++;
    if (blk.h->cq_head != blk.cq_tail)
        __atomic_store_n(&blk.h->cq_tail, ++blk.cq_tail, __ATOMIC_RELEASE);
}

static void op_blk_read(void)
{
    blk_do(VN_BLK_READ);
}

static void op_blk_wflush(void)
{
    blk_do(VN_BLK_WRITE);
    blk_do(VN_BLK_FLUSH);
}

static void blk_release(void)
{
    vn_cap_delete(blk.q);
    vn_cap_delete(blk.word);
    vn_cap_delete(blk.data);
}

static const struct bench_op ops[] = {
    {"null", op_null, 0, 0, NULL, NULL},
    BENCH_MEM_OPS,
    {"ctxsw", op_ctxsw, BENCH_SWITCH_ITERS, 2, ctxsw_prep, ctxsw_done},
    {"yield", op_yield, BENCH_SWITCH_ITERS, 2, yield_prep, yield_done},
    {"ipc", op_ipc, BENCH_SWITCH_ITERS, 0, ipc_prep, ipc_done},
    {"notify", op_notify, BENCH_SWITCH_ITERS, 0, notify_prep, notify_done},
    {"null_sleep10k", op_null, 0, 0, sleepers_up, sleepers_down},
    {"yield_sleep10k", op_yield, BENCH_SWITCH_ITERS, 2, yield_sleep_prep, yield_sleep_done},
    {"spawn", op_spawn, BENCH_SPAWN_ITERS, 0, NULL, NULL},
    /* The device rows: last, so that dev_setup can leave them out. */
    {"irq", op_irq, BENCH_DEV_ITERS, 0, dev_prep, irq_done},
    {"dma", op_dma, BENCH_DEV_ITERS, 0, dev_prep, dma_done},
};
#define DEV_ROWS 2

static const struct bench_op net_ops[] = {
    {"demux1", op_ping, BENCH_NET_ITERS, 0, demux1_prep, demux_done},
    {"demux10", op_ping, BENCH_NET_ITERS, 0, demux10_prep, demux_done},
    {"demux100", op_ping, BENCH_NET_ITERS, 0, demux100_prep, demux_done},
    {"claim", op_claim, BENCH_NET_ITERS, 0, claim_prep, claim_done},
};

static const struct bench_op blk_ops[] = {
    {"blk_read", op_blk_read, BENCH_BLK_ITERS, 0, NULL, NULL},
    {"blk_wflush", op_blk_wflush, BENCH_BLK_ITERS, 0, NULL, NULL},
};

/* The child modes; the shared page of CHILD_YIELD is mapped as child.c does. */
static int child(uint64_t mode)
{
    switch (mode) {
    case CHILD_EXIT:
        return 0;
    case CHILD_PINGPONG:
        for (;;)
            vn_yield_to(VN_CAP_SPAWN_SHARE);
    case CHILD_YIELD: {
        uint64_t va = vn_va_reserve(1);
        struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
        if (vn_page_map(CAP_SELF, &m, 1) != 1)
            return 1;
        for (;;) {
            (*(volatile uint64_t *)va)++;
            vn_yield();
        }
    }
    case CHILD_SERVER: {
        struct vn_msg req;
        uint64_t rep[4] = {0};
        long r = vn_recv(0, &req);
        for (;;) {
            while (r < 0)
                r = vn_recv(0, &req);
            rep[0] = req.w[0] + req.badge;
            r = vn_reply_recv(rep, &req);
        }
    }
    case CHILD_NOTIFY: {
        uint64_t va = vn_va_reserve(1);
        struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
        if (vn_page_map(CAP_SELF, &m, 1) != 1)
            return 1;
        volatile uint64_t *w = (volatile uint64_t *)va;
        vn_env_wait(5000000000ul, (const uint64_t *)&w[1], 0, VN_WAIT_NE);
        capref_t sig = (capref_t)w[0], wait = (capref_t)w[1];
        for (;;) {
            vn_notify_wait(wait, 0);
            vn_notify_signal(sig, 1);
        }
    }
    }
    return 2;
}

int main(uint64_t arg0, uint64_t unused);
int main(uint64_t arg0, uint64_t unused)
{
    (void)unused;
    if (arg0 >= CHILD_EXIT)
        return child(arg0);
    int quick = arg0 != 0, r, dev = 0, net = 0, disk = 0;
    if ((r = vn_upcalls_init()) < 0 || (r = vn_pgfault_register(on_fault)) < 0 ||
        (r = region_setup(quick ? BENCH_QUICK_PAGES : BENCH_PAGES)) < 0 || (r = dev = dev_setup()) < 0 ||
        (r = net = net_setup()) < 0 || (r = disk = blk_setup()) < 0) {
        printf("bench: setup%s: %s\n", dev < 0 ? " of edu (QEMU -device edu)" : net < 0 ? " of the NIC" :
               disk < 0 ? " of the disk" : "", vn_strerror(r));
        return 1;
    }
    static struct bench_op all[sizeof(ops) / sizeof(ops[0]) + sizeof(net_ops) / sizeof(net_ops[0]) +
                               sizeof(blk_ops) / sizeof(blk_ops[0])];
    size_t nops = sizeof(ops) / sizeof(ops[0]) - (dev ? 0 : DEV_ROWS);
    memcpy(all, ops, nops * sizeof(ops[0]));
    if (net)
        memcpy(all + nops, net_ops, sizeof(net_ops)), nops += sizeof(net_ops) / sizeof(net_ops[0]);
    if (!dev)
        printf("edu has no IOMMU domain (MACHINE=pc): the irq and dma rows are left out\n");
    if (disk)
        memcpy(all + nops, blk_ops, sizeof(blk_ops)), nops += sizeof(blk_ops) / sizeof(blk_ops[0]);
    if (!net)
        printf("no NIC: the demux rows are left out\n");
    if (!disk)
        printf("no disk: the blk rows are left out\n");
    int status = bench_main("veneer", all, nops, NULL, quick);
    if (spawn_errors) {
        printf("bench: spawn: %ld children failed\n", spawn_errors);
        status = 1;
    }
    if (dev)
        dev_release();
    if (net)
        net_release();
    if (disk) {
        blk_release();
        if (blk.errors) {
            printf("bench: blk: %ld requests failed\n", blk.errors);
            status = 1;
        }
    }
    region_release();
    vn_mem_release_all();
    return status;
}
