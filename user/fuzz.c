/*
 * The syscall fuzzer.  Booted as the first environment with arg0 = seed
 * and arg1 = number of calls, it starts a canary (pages with known
 * contents, checked continuously) and FUZZ_WORKERS workers.  They issue
 * random syscalls generated from the ABI table (build/gen/.../
 * syscall_fuzz.h, derived from include/veneer/syscalls.tbl, so a new
 * syscall is fuzzed the day it is added): random and boundary integers,
 * huge counts and lengths, their own valid capabilities mixed with stale,
 * forged and random ones, pointers into and straddling every named region
 * (the page-table window, the exposed pages, the kernel half, unmapped,
 * misaligned and non-canonical addresses), and create/derive/grant/revoke/
 * map/unmap/destroy sequences.  They also cooperate (fuzz_seq.h): vCPUs
 * wait in every way the kernel offers while workers serve, call, wake,
 * kill, revoke, lower quotas and signal, and reuse the slots of the dead.
 * Workers raise exceptions and break their own upcall stacks; when one
 * dies another takes its place.
 *
 * The run fails on a kernel panic (including the fuzzing kernel's own
 * checks: invariant audits, lock held or waited for too long, a user copy
 * touching memory the user cannot), a hang, a changed canary or victim
 * page, a worker's "fuzz: FAIL" (a call nobody made, a capability nobody
 * gave, a result its syscalls.tbl row does not allow) or a leaked page.
 * fuzz_skip=family,... on the kernel command line (make fuzz FUZZ_SKIP=)
 * turns families of sequences off; see family_names in fuzz_seq.h.
 */
#include <veneer/dev.h>
#include <veneer/blk.h>
#include <veneer/net.h>
#include <veneer/syscall_fuzz.h>
#include "ipc.h"
#include "libveneer.h"
#include "vn.h"

#define FUZZ_WORKERS 4
#define WORKER_QUOTA 1024
#define MODE_SHIFT 48
#define MODE_WORKER 1ul
#define MODE_CANARY 2ul
#define NCAPS 64
#define NBUF 6
#define CANARY_PAGES 16
#define BOARD_VA  0x0000200000000000ul  /* the shared board, in every worker */
#define REGION_VA 0x0000300000000000ul  /* each worker's playground */
#define REGION_PAGES 256
#define VICTIM_VA (REGION_VA + 17 * PAGE_SIZE)  /* the driver's page, mapped read-only */

#include "fuzz_seq.h"

static uint64_t rnd(void)
{
    return arnd(&me);
}

static uint64_t pick(const uint64_t *v, unsigned n)
{
    return v[rnd() % n];
}

/* ------------------------------------------------------------ canary */

static uint64_t pattern(uint64_t va)
{
    return va * 0x9e3779b97f4a7c15ul ^ 0x5a5a5a5a;
}

static int canary(void)
{
    uint64_t *p = vn_alloc_pages(CANARY_PAGES);
    if (!p)
        return 2;
    for (uint64_t i = 0; i < CANARY_PAGES * 512; i++)
        p[i] = pattern((uint64_t)&p[i]);
    for (;;) {
        for (uint64_t i = 0; i < CANARY_PAGES * 512; i++) {
            if (p[i] != pattern((uint64_t)&p[i])) {
                printf("fuzz: CANARY CORRUPTED at %p\n", (void *)&p[i]);
                return 1;
            }
        }
        vn_env_wait(2000000, NULL, 0, VN_WAIT_NONE);     /* 2 ms: no flood of yields in the trace */
    }
}

/* ------------------------------------------------------------ arguments */

static capref_t caps[NCAPS];
static unsigned ncaps;
static uint8_t *buf[NBUF];
static uint64_t region;             /* address space the worker maps into */

static void remember(capref_t c)
{
    unsigned n = ncaps;         /* read once: a vCPU of ours may remember at the same time */
    if (n < NCAPS)
        ncaps = n + 1;
    caps[n < NCAPS ? n : rnd() % NCAPS] = c;
}

static capref_t arg_cap(void)
{
    switch (rnd() % 10) {
    case 0: return CAP_SELF;
    case 1: return (capref_t)(rnd() % 64);
    case 2: return (capref_t)rnd();
    case 3: return ncaps ? caps[rnd() % ncaps] + (1 << CAPREF_SLOT_BITS) : -1;   /* forged generation */
    default: return ncaps ? caps[rnd() % ncaps] : CAP_SELF;
    }
}

static const uint64_t bad_ptrs[] = {
    0, 8, 0xfff, 0xffffffff80200000ul, 0xffff800000000000ul, 0xffffffffffffffff, 0x0000800000000000ul,
    0x00007ffffffffff8ul, 0x8000000000000000ul, VN_UVPT, VN_UVPT + 0x1238, VN_ENVINFO, VN_SYSINFO,
    VN_PAGEINFO + 8, VN_EXPOSED_BASE - 4, 0x400000 /* our text: read-only */, 0x10000000,
};

static uint64_t len_hint;           /* a length that goes with the last pointer (16 for a straddling one) */

/* An address in the page-table window (VN_UVPT): the entries it shows for
 * a kernel-image, physmap, exposed or own address, at any level, or for
 * random table indexes.  Only the user half's are the user's to read. */
static uint64_t uvpt_ptr(void)
{
    static const uint64_t idx[] = {0, 1, 253, 254, 255, 256, 257, 384, 510, 511};
    uint64_t va, ram = vn_sysinfo->npages * PAGE_SIZE, off = rnd() % 4 ? 0 : rnd() % PAGE_SIZE;
    switch (rnd() % 6) {
    case 0: va = KERNEL_BASE + KERNEL_PHYS_LOAD + rnd() % (8ul << 20); break;
    case 1: va = PHYSMAP_BASE + rnd() % ram; break;
    case 2: va = REGION_VA + rnd() % (REGION_PAGES * PAGE_SIZE); break;
    case 3: va = VN_SYSINFO + rnd() % (4ul << 20); break;
    case 4: va = rnd() & 0xfffffffff000ul; break;
    default:
        len_hint = 8 << (rnd() % 4);
        return VN_UVPT + (pick(idx, 10) << 30) + (pick(idx, 10) << 21) + (pick(idx, 10) << 12) + rnd() % 512 * 8;
    }
    len_hint = 8 << (rnd() % 4);
    switch (rnd() % 4) {
    case 0: return VN_PTE_ADDR(va) + off;
    case 1: return VN_PDE_ADDR(va) + off;
    case 2: return VN_PDPTE_ADDR(va) + off;
    default: return VN_PML4E_ADDR(va) + off;
    }
}

/* A pointer at, around or inside a named region of the address space. */
static uint64_t named_ptr(void)
{
    const uint64_t range[][2] = {
        {VN_UVPT, VN_UVPT_END}, {VN_ENVINFO, VN_ENVINFO + PAGE_SIZE}, {VN_SYSINFO, VN_SYSINFO + PAGE_SIZE},
        {VN_PAGEINFO, VN_PAGEINFO + vn_sysinfo->page_info_count * sizeof(struct vn_page_info)},
        {VN_EXPOSED_BASE, VN_EXPOSED_END}, {REGION_VA, REGION_VA + REGION_PAGES * PAGE_SIZE},
        {USER_TOP - PAGE_SIZE, USER_TOP}, {KERNEL_BASE, 0},     /* (not the board: the run's own notes) */
        {PHYSMAP_BASE, PHYSMAP_BASE + PHYSMAP_MAX}, {0, PAGE_SIZE},
    };
    unsigned r = rnd() % (sizeof(range) / sizeof(range[0]));
    uint64_t lo = range[r][0], hi = range[r][1];
    if (r == 0 && rnd() % 2)
        return uvpt_ptr();
    switch (rnd() % 6) {
    case 0: len_hint = 16; return lo - 8;          /* straddles the start */
    case 1: len_hint = 16; return hi - 8;          /* straddles the end */
    case 2: return lo;
    case 3: len_hint = 8; return hi - 8;           /* the last word */
    case 4: return hi;                             /* just past it */
    default: return lo + rnd() % ((hi - lo) / 8) * 8;
    }
}

static uint64_t arg_addr(void)
{
    if (rnd() % 3)
        return region + (rnd() % REGION_PAGES) * PAGE_SIZE;
    if (rnd() % 2)
        return pick(bad_ptrs, sizeof(bad_ptrs) / 8);
    return rnd() & ~0xffful;
}

static uint64_t arg_size(void)
{
    static const uint64_t edge[] = {0, 1, 2, 8, 16, 511, 512, 513, VN_MAP_BATCH_MAX, VN_MAP_BATCH_MAX + 1, 4096,
                                    1ul << 31, 1ul << 32, ~0ul, ~0ul >> 1,
                                    1ul << 20, 1ul << 23, 1ul << 24, (1ul << 24) + 1};     /* last 4: huge */
    if (len_hint && rnd() % 2) {
        uint64_t l = len_hint;
        len_hint = 0;
        return l;
    }
    return rnd() % 2 ? rnd() % 8 : pick(edge, sizeof(edge) / 8 - (on(F_HUGE) ? 0 : 4));
}

static uint64_t arg_int(void)
{
    static const uint64_t edge[] = {0, 1, 7, 8, 16, 64, 128, 1024, 0x7fffffff, 0x80000000ul, ~0ul,
                                    1ul << 63, 1ul << 40};
    return rnd() % 2 ? rnd() % 256 : pick(edge, sizeof(edge) / 8);
}

/* Fill a buffer with plausible structures: map entries naming our caps. */
static uint8_t *fill_buffer(void)
{
    uint8_t *b = buf[rnd() % NBUF];
    struct vn_map_entry *m = (struct vn_map_entry *)b;
    for (unsigned i = 0; i < PAGE_SIZE / sizeof(*m); i++) {
        m[i].va = rnd() % 4 ? region + (rnd() % REGION_PAGES) * PAGE_SIZE : arg_addr();
        m[i].cap = arg_cap();
        m[i].prot = (uint32_t)(rnd() % 8 ? rnd() % 2 : rnd());     /* never exec: no wild code */
        m[i].index = rnd() % 4 ? 0 : rnd() % 600;
    }
    if (rnd() % 4 == 0)
        memcpy(b, "fuzz-child", 11);
    return b;
}

static uint64_t arg_ptr(bool out)
{
    len_hint = 0;
    switch (rnd() % 6) {
    case 0: return pick(bad_ptrs, sizeof(bad_ptrs) / 8) + (rnd() % 4 == 0 ? rnd() % 64 : 0);
    case 1: if (on(F_UVPT)) return named_ptr(); break;
    default: break;
    }
    uint8_t *b = out ? buf[rnd() % NBUF] : fill_buffer();
    return (uint64_t)b + (rnd() % 4 == 0 ? PAGE_SIZE - rnd() % 64 : 0);    /* may cross into unmapped */
}

/* ------------------------------------------------------------ worker */

/* One random call; from a vCPU (thread) none of the IPC calls, which
 * keep the actor's message format and state. */
static void random_call(bool thread)
{
    if (rnd() % 50 == 0) {  /* foreign numbers: reflected (or -E_NOSYS without a handler) */
        uint64_t num = rnd() % 2 ? rnd() % 600 : rnd();
        vn_syscall6((long)num, (long)arg_ptr(false), (long)arg_int(), (long)arg_addr(), (long)arg_size(), 0, 0);
        return;
    }
    const struct vn_fuzz_sys *s = &vn_fuzz_table[rnd() % (sizeof(vn_fuzz_table) / sizeof(vn_fuzz_table[0]))];
    if (s->num == SYS_env_exit && rnd() % 200)
        return;
    if (s->num == SYS_cons_write && rnd() % 16)
        return;     /* keep the log readable */
    capref_t got;
    if (thread && (s->num == SYS_ipc_call || s->num == SYS_ipc_recv || s->num == SYS_ipc_reply_recv ||
                   s->num == SYS_ipc_reply))
        return;
    switch (s->num) {       /* IPC keeps the fuzzer's message format (fuzz_seq.h) */
    case SYS_ipc_call: vn_ipc_timeout(rnd() % 4 ? wait_ns(&me) : arg_int()); fz_call(&me, arg_cap(), arg_cap()); return;
    case SYS_ipc_recv: fz_recv(&me, SYS_ipc_recv, arg_int(), &got); after_recv(got); return;
    case SYS_ipc_reply_recv: fz_recv(&me, SYS_ipc_reply_recv, 0, &got); after_recv(got); return;
    case SYS_ipc_reply: fz_reply(&me); return;
    default: break;
    }
    long a[6] = {0};
    for (int i = 0; i < s->nargs; i++) {
        switch (s->kind[i]) {
        case VA_CAP: a[i] = arg_cap(); break;
        case VA_PTR_IN: a[i] = (long)arg_ptr(false); break;
        case VA_PTR_OUT: a[i] = (long)arg_ptr(true); break;
        case VA_STR: a[i] = (long)arg_ptr(false); break;
        case VA_SIZE: a[i] = (long)arg_size(); break;
        case VA_ADDR: a[i] = (long)arg_addr(); break;
        case VA_FLAGS: a[i] = (long)(rnd() % 8 ? rnd() % 64 : rnd()); break;
        case VA_INT: a[i] = (long)arg_int(); break;
        }
    }
    if (s->num == SYS_cons_write && (uint64_t)a[1] > 16)
        a[1] = a[1] % 8;
    if (s->num == SYS_env_wait && rnd() % 2)
        a[3] = (long)(rnd() % 3);   /* a valid predicate, so that the word is read */
    long r = vn_syscall6(s->num, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r > 0 && (s->num == SYS_page_alloc || s->num == SYS_cap_derive || s->num == SYS_env_create ||
                  s->num == SYS_env_create_vcpu || s->num == SYS_env_create_shared || s->num == SYS_page_share || s->num == SYS_notify_create))
        remember((capref_t)r);
    if (s->num == SYS_env_wait && r != VN_WAKE_TIMEOUT && r != VN_WAKE_PREDICATE && r != VN_WAKE_NOTIFY &&
        r != -E_INVAL && r != -E_FAULT && on(F_RESULTS))
        fuzz_fail(&me, "env_wait(%lx, %lx, %lx, %lx) returned %ld, which its syscalls.tbl row does not allow", a[0],
                  a[1], a[2], a[3], r);
}

static void random_syscall(void) { random_call(false); }

/* A vCPU of the worker: random calls in the worker's address space and
 * capability table (which a vCPU shares), racing the worker's own. */
static volatile int thread_live;
static uint8_t thread_stack[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

__attribute__((force_align_arg_pointer, noreturn)) static void thread_main(void)
{
    for (uint64_t n = 1 + rnd() % 2000; n--;)
        random_call(true);
    thread_live = 0;
    vn_exit(0);
    for (;;)
        ;
}

static void thread_start(void)
{
    if (thread_live)
        return;
    long v = vn_env_create_vcpu(8 + rnd() % 32, "fuzz-vcpu");
    if (v < 0)
        return;
    remember((capref_t)v);
    struct vn_regs regs = {.rip = (uint64_t)thread_main, .rsp = (uint64_t)thread_stack + sizeof(thread_stack) - 8};
    thread_live = 1;
    if (vn_env_set_regs((capref_t)v, &regs) < 0 || vn_env_start((capref_t)v) < 0)
        thread_live = 0;
}

/* A sequence that builds state the random calls can then tear apart. */
static void sequence(void)
{
    long p = vn_page_alloc(CAP_SELF, 0, 1 + rnd() % 4);
    if (p < 0)
        return;
    remember((capref_t)p);
    struct vn_map_entry m = {region + (rnd() % REGION_PAGES) * PAGE_SIZE, (capref_t)p, VM_PROT_WRITE, 0};
    vn_page_map(CAP_SELF, &m, 1);
    long d = vn_cap_derive((capref_t)p, CR_READ | CR_MAP | CR_GRANT);
    if (d > 0)
        remember((capref_t)d);
    if (rnd() % 4 == 0) {           /* a second root to the same pages (ours, as page_share returns) */
        long sh = vn_page_share((capref_t)p, CAP_SELF, CR_READ | CR_MAP | CR_GRANT);
        if (sh > 0)
            remember((capref_t)sh);
    }
    if (rnd() % 3 == 0) {
        /* A reserved quota, or a limit on a share of ours (env_create_shared). */
        long c = rnd() % 2 ? vn_env_create((8 + rnd() % 64), "fuzz-child")
                           : vn_env_create_shared(8 + rnd() % 128, "fuzz-sharer");
        if (c > 0) {
            remember((capref_t)c);
            vn_cap_grant((capref_t)d, (capref_t)c, CR_READ | CR_MAP);
            if (rnd() % 2)
                vn_page_share((capref_t)p, (capref_t)c, CR_READ | CR_MAP);   /* charged to the child */
            struct vn_map_entry cm = {0x400000 + (rnd() % 16) * PAGE_SIZE, (capref_t)d, VM_PROT_READ, 0};
            vn_page_map((capref_t)c, &cm, 1);
            if (rnd() % 2) {
                struct vn_regs regs = {.rip = 0x400000 + (rnd() % 8) * 8, .rsp = 0x7000};
                vn_env_set_regs((capref_t)c, &regs);
                vn_env_start((capref_t)c);      /* runs into zeroed, unmapped or ud2 memory: dies */
            }
        }
    }
    switch (rnd() % 4) {
    case 0: vn_cap_revoke((capref_t)p); break;
    case 1: vn_cap_delete((capref_t)p); break;
    case 2: vn_page_unmap(CAP_SELF, m.va, 1 + rnd() % 4); break;
    default: break;
    }
}

/* Devices: the calls' arguments made mostly valid, so that the state
 * behind them (holding, domains, DMA bindings, register mappings, port
 * grants, interrupts) is built and then torn apart by everything else. */
static void device_sequence(void)
{
    capref_t dev = board->caps[widx].dev[rnd() % NDEV];
    if (dev < 0)
        return;
    if (rnd() % 2) {
        long d = vn_cap_derive(dev, rnd() % 4 ? CR_ALL : (unsigned)(rnd() & CR_ALL));
        if (d > 0) {
            remember((capref_t)d);
            dev = (capref_t)d;
        }
    }
    switch (rnd() % 9) {
    case 0: {
        long r = vn_dev_regs(dev, rnd() % 7, rnd() % 4 ? CR_READ | CR_WRITE | CR_MAP : (unsigned)(rnd() & 0xf));
        if (r < 0)
            break;
        remember((capref_t)r);
        struct vn_map_entry m = {region + (rnd() % REGION_PAGES) * PAGE_SIZE, (capref_t)r, 0, rnd() % 8};
        if (rnd() % 2)
            vn_page_map(CAP_SELF, &m, 1);   /* read-only: random writes into device registers could wedge it */
        else
            vn_dev_ports(rnd() % 4 ? CAP_SELF : arg_cap(), (capref_t)r);
        break;
    }
    case 1: {
        long p = vn_page_alloc(CAP_SELF, 0, 1 + rnd() % 4);
        if (p < 0)
            break;
        remember((capref_t)p);
        vn_dma_map(dev, (capref_t)p, (rnd() % 64) * PAGE_SIZE * (rnd() % 2 ? 1 : 512),
                   rnd() % 4 ? 1 + (unsigned)(rnd() % 3) : (unsigned)rnd());
        if (rnd() % 2)
            vn_cap_delete((capref_t)p);
        break;
    }
    case 2: vn_dma_unmap(dev, (rnd() % 64) * PAGE_SIZE, rnd() % 8); break;
    case 3: {
        capref_t n = board->caps[widx].notify[rnd() % NNOTIFY];
        long q = vn_dev_irq(dev, 1 + rnd() % 2, rnd() % 4, n, 1ul << (rnd() % 63));
        if (q > 0) {
            remember((capref_t)q);
            if (rnd() % 2)
                vn_irq_ack((capref_t)q);
        }
        break;
    }
    case 4: {
        /* Config writes the filter may let through; never a power state
         * (a device put to sleep stays unusable for the rest of the run). */
        unsigned off = rnd() % 2 ? 4 : (unsigned)(rnd() % 0x140);
        uint32_t v = off == 4 ? (uint32_t)(rnd() & (VN_CMD_IO | VN_CMD_MEM | VN_CMD_MASTER | VN_CMD_INTX_OFF)) : (uint32_t)rnd();
        if (off >= 0x40 && off < 0x100)
            break;
        vn_dev_cfg_write(dev, off & ~3u, 1u << (rnd() % 3), v);
        break;
    }
    case 5: vn_dev_reset(dev); break;
    case 7: {
        /* SR-IOV: enable some VFs (or too many, or none) and take one. */
        vn_dev_sriov(dev, rnd() % 4 ? (unsigned)(rnd() % 6) : (unsigned)rnd());
        long v = vn_dev_vf(dev, rnd() % 4 ? (unsigned)(rnd() % 5) : (unsigned)rnd());
        if (v > 0)
            remember((capref_t)v);
        break;
    }
    case 6: {
        struct vn_devinfo di;
        vn_dev_info(dev, &di);
        vn_dev_cfg_read(dev, (unsigned)(rnd() % 0x1000) & ~3u, 4);
        break;
    }
    default: if (rnd() % 4 == 0) vn_cap_revoke(dev); break;
    }
}

/* The network: filter programs mostly valid (a few random comparisons in
 * one or two terms, shared or not), on rings of fresh pages, and frames
 * mostly of the shapes they claim, sent through them. */
static void net_sequence(void)
{
    capref_t nic = board->caps[widx].nic;
    static capref_t filters[4];
    if (nic < 0)
        return;
    if (rnd() % 2) {
        struct vn_pf_insn p[VN_PF_MAX_INSNS];
        unsigned n = 0, terms = 1 + (unsigned)(rnd() % 2);
        for (unsigned t = 0; t < terms; t++) {
            unsigned start = n, k = 1 + (unsigned)(rnd() % 4);
            for (unsigned i = 0; i < k; i++) {
                static const uint8_t sizes[3] = {1, 2, 4};
                uint8_t size = sizes[rnd() % 3];
                uint32_t mask = size == 4 ? (uint32_t)rnd() | 1 : ((1u << (8 * size)) - 1) & ((uint32_t)rnd() | 1);
                p[n++] = (struct vn_pf_insn){.op = VN_PF_CMP, .size = size,
                                             .off = (uint16_t)(rnd() % (VN_PF_MAX_OFF - size + (rnd() % 8 == 0))),
                                             .mask = mask, .val = (uint32_t)rnd() & mask};
            }
            p[n++] = (struct vn_pf_insn){.op = VN_PF_ACCEPT};
            for (unsigned i = start; i < n - 1; i++)
                p[i].fail = (uint16_t)n;
        }
        p[n++] = (struct vn_pf_insn){.op = VN_PF_REJECT};
        if (rnd() % 8 == 0)
            p[rnd() % n].fail = (uint16_t)rnd();                 /* malformed */
        long pages = vn_page_alloc(CAP_SELF, 0, 2 + rnd() % 3), w = vn_notify_create();
        if (pages > 0)
            remember((capref_t)pages);
        if (w > 0)
            remember((capref_t)w);
        struct vn_filter_req q = {.prog = (uint64_t)p, .n = n, .flags = rnd() % 3 == 0 ? VN_PF_SHARED : 0,
                                  .ring = (capref_t)pages, .notify = (capref_t)w, .bits = 1ul << (rnd() % 63)};
        long f = vn_net_filter(rnd() % 8 ? nic : arg_cap(), rnd() % 16 ? &q : (void *)arg_ptr(false));
        if (f > 0) {
            remember((capref_t)f);
            filters[rnd() % 4] = (capref_t)f;
        }
        return;
    }
    uint8_t frame[VN_FRAME_MAX];
    size_t len = 14 + rnd() % (rnd() % 2 ? 100 : VN_FRAME_MAX - 13);
    for (size_t i = 0; i < len; i++)
        frame[i] = (uint8_t)rnd();
    struct vn_netinfo ni;
    if (rnd() % 2 && vn_net_info(nic, &ni) == 0)
        memcpy(frame + 6, ni.mac, 6);
    vn_net_send(rnd() % 4 ? filters[rnd() % 4] : arg_cap(), frame, len);
}

/* Storage: extents derived from the worker's (random ranges and rights),
 * queues over rings of fresh pages, and batches of requests, mostly
 * well-formed, on fresh data pages that random calls may free meanwhile. */
static void blk_sequence(void)
{
    capref_t root = board->caps[widx].blk;
    static capref_t exts[4];
    static struct {
        capref_t q;
        volatile struct vn_blkq_hdr *h;
        volatile struct vn_blk_req *sq;
        uint32_t n, tail;
    } qs;
    if (root < 0)
        return;
    unsigned op = (unsigned)(rnd() % 8);
    if (op == 0) {
        struct vn_blkinfo bi;
        vn_blk_info(rnd() % 4 ? root : arg_cap(), rnd() % 8 ? &bi : (void *)arg_ptr(true));
    } else if (op <= 2) {
        capref_t from = rnd() % 2 ? root : exts[rnd() % 4];
        uint64_t off = rnd() % 8 ? rnd() % 8192 : rnd(), count = rnd() % 8 ? 1 + rnd() % 512 : rnd();
        long e = vn_blk_derive(rnd() % 8 ? from : arg_cap(), off, count, (unsigned)(rnd() % 16));
        if (e > 0) {
            remember((capref_t)e);
            exts[rnd() % 4] = (capref_t)e;
        }
    } else if (op == 3 || qs.n == 0) {
        static const uint32_t shapes[] = {2, 4, 8, 16, 64, 3, 0, 512};
        uint32_t n = shapes[rnd() % 8], pages = n && n <= VN_BLKQ_SLOTS_MAX ? VN_BLKQ_PAGES(n) : 2;
        long p = vn_page_alloc(CAP_SELF, 0, pages + rnd() % 2 - (rnd() % 8 == 0)), w = vn_notify_create();
        if (p > 0)
            remember((capref_t)p);
        if (w > 0)
            remember((capref_t)w);
        uint64_t va = vn_va_reserve(pages);
        struct vn_map_entry m[VN_BLKQ_PAGES(VN_BLKQ_SLOTS_MAX)];
        for (uint32_t i = 0; i < pages; i++)
            m[i] = (struct vn_map_entry){va + i * 4096ul, (capref_t)p, VM_PROT_WRITE, i};
        bool mapped = p > 0 && vn_page_map(CAP_SELF, m, pages) == (long)pages;
        struct vn_blkq_req r = {.ring = (capref_t)p, .notify = (capref_t)w, .bits = 1ul << (rnd() % 64),
                                .nslots = n, .inflight = (uint32_t)(rnd() % (n + 2))};
        long q = vn_blk_queue(rnd() % 8 ? root : arg_cap(), rnd() % 16 ? &r : (void *)arg_ptr(false));
        if (q > 0) {
            remember((capref_t)q);
            if (mapped)
                qs.q = (capref_t)q, qs.h = (void *)va, qs.sq = (void *)(va + 4096), qs.n = n, qs.tail = 0;
        }
    } else {
        unsigned k = 1 + (unsigned)(rnd() % qs.n);
        for (unsigned i = 0; i < k && vn_pte((uint64_t)qs.h) & 1; i++) {
            uint32_t nb = 1 + (uint32_t)(rnd() % (rnd() % 4 ? 16 : 600));
            long d = rnd() % 2 ? vn_page_alloc(CAP_SELF, 0, (nb * 512 + 4095) / 4096) : arg_cap();
            if (d > 0)
                remember((capref_t)d);
            qs.sq[qs.tail % qs.n] = (struct vn_blk_req){
                .id = rnd(), .op = (uint8_t)(rnd() % 8 ? 1 + rnd() % 3 : rnd()), .flags = (uint8_t)(rnd() % 4 == 0),
                .npages = (uint16_t)(rnd() % 8 ? (nb * 512 + 4095) / 4096 : rnd()),
                .extent = rnd() % 2 ? root : rnd() % 2 ? exts[rnd() % 4] : arg_cap(),
                .block = rnd() % 8 ? rnd() % 8192 : rnd(), .nblocks = nb, .pages = (capref_t)d,
                .page_index = rnd() % 8 ? 0 : rnd()};
            qs.tail += rnd() % 32 ? 1 : (uint32_t)rnd();
            qs.h->sq_tail = qs.tail;
            if (rnd() % 8 == 0)
                qs.h->cq_tail = (uint32_t)rnd();
            else
                qs.h->cq_tail = qs.h->cq_head;
        }
        vn_blk_doorbell(rnd() % 8 ? qs.q : arg_cap());
    }
}

static bool skip_handler(struct vn_xframe *x)
{
    (void)x;
    vn_exit(3);     /* exceptions end the worker cleanly half the time */
}

static void raise_exception(void)
{
    switch (rnd() % 5) {
    case 0: __asm__ volatile("ud2"); break;
    case 1: __asm__ volatile("int3"); break;
    case 2: *(volatile int *)arg_addr() = 1; break;
    case 3: __asm__ volatile("xor %%ecx, %%ecx\n div %%ecx" ::: "eax", "ecx", "edx"); break;
    default: __asm__ volatile("hlt"); break;
    }
}

static void break_upcall_stack(void)
{
    switch (rnd() % 3) {
    case 0: vn_env_set_upcall(CAP_SELF, rnd() % (UPCALL_COUNT + 1), (uint64_t)arg_addr(), arg_addr(), arg_size()); break;
    case 1: vn_page_protect(CAP_SELF, arg_addr(), 1 + rnd() % 8, VM_PROT_READ); break;
    default: vn_page_unmap(CAP_SELF, arg_addr(), 1 + rnd() % 8); break;
    }
}

static int worker(uint64_t seed, uint64_t index)
{
    struct vn_capinfo ci;
    me = (struct actor){.rng = seed | 1, .who = "worker"};
    if (vn_cap_info(CAP_SELF, &ci) == 0)
        me.id = (int32_t)ci.object;
    widx = (unsigned)index;
    parse_skip();
    struct vn_map_entry bm = {BOARD_VA, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &bm, 1) != 1)
        return 2;
    board = (struct board *)BOARD_VA;
    region = REGION_VA;
    for (int i = 0; i < NBUF; i++)
        if (!(buf[i] = vn_alloc_pages(1)))
            return 2;
    cooperation_init();
    for (unsigned k = 0; k < NDEV; k++)
        if (board->caps[widx].dev[k] >= 0)
            remember(board->caps[widx].dev[k]);
    if (board->caps[widx].nic >= 0)
        remember(board->caps[widx].nic);
    if (board->caps[widx].blk >= 0)
        remember(board->caps[widx].blk);
    if (rnd() % 2) {
        vn_upcalls_init();
        vn_exception_handler(skip_handler);
        vn_pgfault_register(skip_handler);
    }
    for (uint64_t n = 0;; n++) {
        board->progress[widx] = n;
        if (vn_envinfo->revoke_request && on(F_SLEEP))
            nap();
        else if (board->quiet)
            vn_env_wait(20000000, (const uint64_t *)&board->quiet, 0, VN_WAIT_EQ);
        unsigned op = rnd() % 100;
        if (op < 30 && cooperate())
            continue;
        if (op < 88 && on(F_RANDOM))
            random_syscall();
        else if (op < 93 && on(F_RANDOM))
            rnd() % 16 ? sequence() : thread_start();
        else if (op < 95 && on(F_DEVICE))
            device_sequence();
        else if (op < 96 && on(F_NET))
            net_sequence();
        else if (op < 97 && on(F_BLK))
            blk_sequence();
        else if (op < 98)
            vn_yield();
        else if (op < 99 && rnd() % 8 == 0)
            break_upcall_stack();
        else if (rnd() % 16 == 0)
            raise_exception();
    }
}

/* ------------------------------------------------------------ driver */

static capref_t workers[NW], entries[NW], notes[NNOTIFY], victim_cap;
static uint64_t *victim;

static int paths_covered(void)
{
    int n = 0;
    for (int s = 0; s < VN_PATH_SYSCALLS; s++)
        for (int r = 0; r < VN_PATH_RESULTS; r++)
            n += vn_sysinfo->paths[s][r] != 0;
    return n;
}

static void map_victim(unsigned i)
{
    struct vn_map_entry m = {VICTIM_VA, victim_cap, VM_PROT_READ, 0};
    vn_page_map(workers[i], &m, 1);
}

/* Start worker i, stopped until it holds its peers, their entries and the
 * shared notification words, and the victim page is mapped in it. */
static void spawn_worker(unsigned i, uint64_t board_cap)
{
    struct vn_capinfo ci;
    for (unsigned j = 0; j < NW; j++) {
        board->caps[i].env[j] = board->caps[i].ep[j] = board->caps[j].env[i] = board->caps[j].ep[i] = -1;
        for (unsigned k = 0; k < NVCPU; k++)
            board->caps[i].vep[j][k] = board->caps[i].venv[j][k] = board->caps[j].vep[i][k] =
                board->caps[j].venv[i][k] = -1;
    }
    workers[i] = vn_spawn_share_stopped("fuzz", WORKER_QUOTA, rnd(), MODE_WORKER << MODE_SHIFT | i,
                                        (capref_t)board_cap, CR_READ | CR_WRITE | CR_MAP, 0);
    if (workers[i] < 0 || vn_cap_info(workers[i], &ci) < 0)
        return;
    board->id[i] = (int32_t)ci.object;
    board->progress[i] = 0;
    entries[i] = (capref_t)vn_ipc_endpoint(workers[i]);
    for (unsigned k = 0; k < NNOTIFY; k++)
        board->caps[i].notify[k] = grant(notes[k], workers[i], CR_READ | CR_WRITE | CR_GRANT);
    for (unsigned j = 0; j < NW; j++) {
        if (j == i || workers[j] <= 0 || vn_cap_info(workers[j], &ci) < 0 || ci.env_status != 1)
            continue;
        board->caps[i].env[j] = grant(workers[j], workers[i], PEER_RIGHTS);
        board->caps[j].env[i] = grant(workers[i], workers[j], PEER_RIGHTS);
        board->caps[i].ep[j] = grant(entries[j], workers[i], CR_WRITE | CR_GRANT);
        board->caps[j].ep[i] = grant(entries[i], workers[j], CR_WRITE | CR_GRANT);
    }
    for (unsigned k = 0; k < NDEV; k++)
        board->caps[i].dev[k] = k < vn_sysinfo->ndevices && on(F_DEVICE)
                                    ? grant((capref_t)(VN_CAP_DEV_FIRST + k), workers[i], CR_ALL) : -1;
    board->caps[i].nic = vn_sysinfo->net_cap > 0 && on(F_NET)
                             ? grant((capref_t)vn_sysinfo->net_cap, workers[i], CR_ALL & ~CR_CONTROL) : -1;
    board->caps[i].blk = vn_sysinfo->blk_cap > 0 && on(F_BLK)
                             ? grant((capref_t)vn_sysinfo->blk_cap, workers[i], CR_READ | CR_WRITE | CR_GRANT) : -1;
    map_victim(i);
    if (vn_env_start(workers[i]) < 0) {
        vn_cap_delete(workers[i]);
        workers[i] = 0;
    }
}

int main(uint64_t seed, uint64_t calls);
int main(uint64_t seed, uint64_t calls)
{
    uint64_t mode = calls >> MODE_SHIFT;
    if (mode == MODE_WORKER)
        return worker(seed, calls & 0xff);
    if (mode == MODE_CANARY)
        return canary();
    if (!seed)
        seed = 1;
    if (!calls)
        calls = 200000;
    me = (struct actor){.rng = seed, .who = "driver"};
    parse_skip();
    printf("fuzz: seed %lu, %lu calls, %d workers (replay: make fuzz SEED=%lu CALLS=%lu)\n", seed, calls,
           FUZZ_WORKERS, seed, calls);
    if (skip_mask) {
        printf("fuzz: skipping");
        for (unsigned f = 0; f < F_COUNT; f++)
            if (!on(f))
                printf(" %s", family_names[f]);
        printf("\n");
    }
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t can = vn_spawn("fuzz", 128, 0, MODE_CANARY << MODE_SHIFT);
    if (can < 0) {
        printf("fuzz: FAIL cannot start the canary: %s\n", vn_strerror(can));
        return 1;
    }
    board = vn_alloc_pages(1);
    victim = vn_alloc_pages(1);
    if (!board || !victim)
        return 2;
    uint64_t board_cap = (uint64_t)vn_page_cap((uint64_t)board);
    victim_cap = vn_page_cap((uint64_t)victim);
    for (unsigned i = 0; i < 512; i++)
        victim[i] = pattern((uint64_t)&victim[i]);
    for (unsigned k = 0; k < NNOTIFY; k++)
        notes[k] = (capref_t)vn_notify_create();
    uint64_t start = vn_sysinfo->syscalls, spawned = 0, next_report = calls / 10, stalled = 0, loops = 0;
    uint64_t t0 = vn_clock_ns(), last_report = t0, quiet_at = t0 + 20000000, quiet_end = 0;
    uint64_t seen[FUZZ_WORKERS] = {0}, still[FUZZ_WORKERS] = {0};
    int failures = 0;
    while (vn_sysinfo->syscalls - start < calls && !failures) {
        for (unsigned i = 0; i < FUZZ_WORKERS; i++) {
            struct vn_capinfo ci;
            /* A worker that made no progress for ~200 ms is asleep for
             * good (a blocking call with no timeout): replace it. */
            if (workers[i] > 0 && vn_cap_info(workers[i], &ci) == 0 && ci.env_status == 1) {
                still[i] = board->progress[i] == seen[i] ? still[i] + 1 : 0;
                seen[i] = board->progress[i];
                if (loops % 16 == i)
                    map_victim(i);      /* the worker may have mapped over it */
                if (still[i] < 200)
                    continue;
                stalled++;
                vn_kill(workers[i]);
                workers[i] = 0;
            }
            if (workers[i] > 0)
                vn_cap_delete(workers[i]);
            seen[i] = still[i] = 0;
            spawn_worker(i, board_cap);
            spawned++;
        }
        loops++;
        struct vn_capinfo ci;
        if (vn_cap_info(can, &ci) < 0 || ci.env_status != 1) {
            printf("fuzz: FAIL the canary died (status %d)\n", ci.env_status);
            failures++;
        }
        for (unsigned i = 0; i < 512 && !failures; i++) {
            if (victim[i] != pattern((uint64_t)&victim[i])) {
                printf("fuzz: FAIL the victim page changed at word %u (%lx): env %lx wrote a page it may only "
                       "read\n", i, victim[i], victim[i] & 0xffffffff);
                failures++;
            }
        }
        if (board->fail == FAIL_MAGIC) {
            printf("fuzz: FAIL reported by a worker: %s", board->fail_msg);
            failures++;
        }
        uint64_t now = vn_clock_ns();
        if (on(F_QUIET) && !board->quiet && now >= quiet_at) {
            /* Everybody rests, but perhaps one worker, asked for pages back,
             * naps in env_wait while its vCPUs keep running. */
            unsigned w = rnd() % NW;
            if (on(F_QUOTA) && rnd() % 2 && workers[w] > 0 && vn_env_set_quota(workers[w], rnd() % 64) == 0)
                vn_env_wake(workers[w]);        /* out of whatever wait, to nap */
            board->quiet = 1;
            quiet_end = now + 2000000 + rnd() % 4000000;
        } else if (board->quiet && now >= quiet_end) {
            board->quiet = 0;
            vn_env_wake_word((const uint64_t *)&board->quiet);
            quiet_at = now + 10000000 + rnd() % 50000000;
        }
        if (vn_sysinfo->syscalls - start >= next_report || now - last_report > 20000000000ul) {
            printf("fuzz: %lu calls, %lu workers so far, %d paths covered, %lu calls/s\n",
                   vn_sysinfo->syscalls - start, spawned, paths_covered(),
                   (vn_sysinfo->syscalls - start) * 1000 / ((now - t0) / 1000000 + 1));
            while (next_report <= vn_sysinfo->syscalls - start)
                next_report += calls / 10;
            last_report = now;
        }
        /* Look again in 1 ms, or when everybody's rest ends. */
        vn_env_wait(board->quiet && quiet_end > now ? quiet_end - now : 1000000, NULL, 0, VN_WAIT_NONE);
    }
    if (failures)
        return 1;       /* leave the evidence as it is: everything dies with us */
    for (int i = 0; i < FUZZ_WORKERS; i++)
        if (workers[i] > 0)
            vn_kill(workers[i]);    /* waits until it is really gone */
    struct vn_capinfo ci;
    if (vn_cap_info(can, &ci) < 0 || ci.env_status != 1) {
        printf("fuzz: FAIL the canary died\n");
        failures++;
    }
    vn_kill(can);
    for (unsigned k = 0; k < NNOTIFY; k++)
        vn_cap_delete(notes[k]);
    uint64_t secs = (vn_clock_ns() - t0) / 1000000000ul + 1;
    long lost = (long)(free0 - vn_sysinfo->free_pages) - (long)(vn_envinfo->held - held0);
    printf("fuzz: %lu calls by %lu workers (%lu replaced when stuck asleep) in about %lu s, %d (syscall, result) "
           "paths covered, %ld pages unaccounted\n", vn_sysinfo->syscalls - start, spawned, stalled, secs,
           paths_covered(), lost);
    /* Kernel slab pages (binding records, notification words) stay with the
     * slabs; the kernel's exact check at shutdown (a leak fails the boot)
     * is the authority, this one catches gross charging errors early. */
    if (lost < -16 || lost > 16) {
        printf("fuzz: FAIL pages leaked\n");
        failures++;
    }
    if (failures)
        return 1;
    printf("fuzz: PASS seed %lu\n", seed);
    return 0;
}
