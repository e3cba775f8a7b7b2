/*
 * The syscall fuzzer.  Booted as the first environment with arg0 = seed
 * and arg1 = number of calls, it starts a canary (pages with known
 * contents, checked continuously) and FUZZ_WORKERS workers that issue
 * random syscalls generated from the ABI table (build/gen/.../
 * syscall_fuzz.h, derived from include/veneer/syscalls.tbl, so a new
 * syscall is fuzzed the day it is added): random and boundary integers,
 * their own valid capabilities mixed with stale, forged and random ones,
 * kernel, exposed, unmapped, misaligned and non-canonical pointers, huge
 * lengths, and create/derive/grant/revoke/map/unmap/destroy sequences.
 * Workers also raise exceptions and break their own upcall stacks; when
 * one dies another takes its place.  At the end every worker is destroyed,
 * the canary must be intact and every page accounted for.
 */
#include <veneer/syscall_fuzz.h>
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

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dul;
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
        vn_yield();
    }
}

/* ------------------------------------------------------------ worker */

static capref_t caps[NCAPS];
static unsigned ncaps;
static uint8_t *buf[NBUF];
static uint64_t region;             /* address space the worker maps into */

static void remember(capref_t c)
{
    caps[ncaps < NCAPS ? ncaps++ : rnd() % NCAPS] = c;
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

static uint64_t arg_addr(void)
{
    if (rnd() % 3)
        return region + (rnd() % 256) * PAGE_SIZE;
    if (rnd() % 2)
        return pick(bad_ptrs, sizeof(bad_ptrs) / 8);
    return rnd() & ~0xffful;
}

static uint64_t arg_size(void)
{
    static const uint64_t edge[] = {0, 1, 2, 511, 512, 513, VN_MAP_BATCH_MAX, VN_MAP_BATCH_MAX + 1,
                                    1ul << 31, 1ul << 32, ~0ul, ~0ul >> 1, 4096};
    return rnd() % 2 ? rnd() % 8 : pick(edge, sizeof(edge) / 8);
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
        m[i].va = rnd() % 4 ? region + (rnd() % 256) * PAGE_SIZE : arg_addr();
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
    if (rnd() % 3 == 0)
        return pick(bad_ptrs, sizeof(bad_ptrs) / 8) + (rnd() % 4 == 0 ? rnd() % 64 : 0);
    uint8_t *b = out ? buf[rnd() % NBUF] : fill_buffer();
    return (uint64_t)b + (rnd() % 4 == 0 ? PAGE_SIZE - rnd() % 64 : 0);    /* may cross into unmapped */
}

static void random_syscall(void)
{
    if (rnd() % 50 == 0) {  /* foreign numbers: reflected (or -E_NOSYS without a handler) */
        uint64_t num = rnd() % 2 ? rnd() % 600 : rnd();
        vn_syscall6((long)num, (long)arg_ptr(false), (long)arg_int(), (long)arg_addr(), (long)arg_size(), 0, 0);
        return;
    }
    const struct vn_fuzz_sys *s = &vn_fuzz_table[rnd() % (sizeof(vn_fuzz_table) / sizeof(vn_fuzz_table[0]))];
    if (s->num == SYS_env_exit && rnd() % 200)
        return;
    if (s->num == SYS_cons_write && rnd() % 64)
        return;     /* keep the log readable */
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
    if (s->num == SYS_cons_write)
        a[1] = a[1] % 8;
    long r = vn_syscall6(s->num, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r > 0 && (s->num == SYS_page_alloc || s->num == SYS_cap_derive || s->num == SYS_env_create ||
                  s->num == SYS_page_share))
        remember((capref_t)r);
}

/* A sequence that builds state the random calls can then tear apart. */
static void sequence(void)
{
    long p = vn_page_alloc(CAP_SELF, 0, 1 + rnd() % 4);
    if (p < 0)
        return;
    remember((capref_t)p);
    struct vn_map_entry m = {region + (rnd() % 256) * PAGE_SIZE, (capref_t)p, VM_PROT_WRITE, 0};
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
        long c = vn_env_create((8 + rnd() % 64), "fuzz-child");
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
                vn_env_start((capref_t)c);      /* runs into zeroed or unmapped memory: dies */
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

static volatile int wild_target;
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

static volatile uint64_t *progress;    /* shared with the driver: [index] = calls made */

static int worker(uint64_t seed, uint64_t index)
{
    rng = seed | 1;
    uint64_t pva = vn_va_reserve(1);
    struct vn_map_entry pm = {pva, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &pm, 1) != 1)
        return 2;
    progress = (volatile uint64_t *)pva;
    region = vn_va_reserve(256);
    for (int i = 0; i < NBUF; i++)
        if (!(buf[i] = vn_alloc_pages(1)))
            return 2;
    if (rnd() % 2) {
        vn_upcalls_init();
        vn_exception_handler(skip_handler);
        vn_pgfault_register(skip_handler);
    }
    for (uint64_t n = 0;; n++) {
        progress[index] = n;
        unsigned op = rnd() % 100;
        if (op < 88)
            random_syscall();
        else if (op < 96)
            sequence();
        else if (op < 98)
            vn_yield();
        else if (op < 99 && rnd() % 8 == 0)
            break_upcall_stack();
        else if (rnd() % 16 == 0)
            raise_exception();
    }
}

/* ------------------------------------------------------------ driver */

static capref_t workers[FUZZ_WORKERS];

static int paths_covered(void)
{
    int n = 0;
    for (int s = 0; s < VN_PATH_SYSCALLS; s++)
        for (int r = 0; r < VN_PATH_RESULTS; r++)
            n += vn_sysinfo->paths[s][r] != 0;
    return n;
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
    rng = seed;
    printf("fuzz: seed %lu, %lu calls, %d workers (replay: make fuzz SEED=%lu CALLS=%lu)\n", seed, calls,
           FUZZ_WORKERS, seed, calls);
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    capref_t can = vn_spawn("fuzz", 128, 0, MODE_CANARY << MODE_SHIFT);
    if (can < 0) {
        printf("fuzz: FAIL cannot start the canary: %s\n", vn_strerror(can));
        return 1;
    }
    uint64_t start = vn_sysinfo->syscalls, spawned = 0, next_report = calls / 10, stalled = 0;
    volatile uint64_t *prog = vn_alloc_pages(1);
    uint64_t seen[FUZZ_WORKERS] = {0}, still[FUZZ_WORKERS] = {0};
    int failures = 0;
    while (vn_sysinfo->syscalls - start < calls) {
        for (int i = 0; i < FUZZ_WORKERS; i++) {
            struct vn_capinfo ci;
            /* A worker that made no call for ~200 ms is asleep for good
             * (a blocking call with no timeout): replace it. */
            if (workers[i] > 0 && vn_cap_info(workers[i], &ci) == 0 && ci.env_status == 1) {
                still[i] = prog[i] == seen[i] ? still[i] + 1 : 0;
                seen[i] = prog[i];
                if (still[i] < 200)
                    continue;
                stalled++;
                vn_kill(workers[i]);
                workers[i] = 0;
            }
            if (workers[i] > 0)
                vn_cap_delete(workers[i]);
            prog[i] = seen[i] = still[i] = 0;
            workers[i] = vn_spawn_share("fuzz", WORKER_QUOTA, rnd(), MODE_WORKER << MODE_SHIFT | (uint64_t)i,
                                        vn_page_cap((uint64_t)prog), CR_READ | CR_WRITE | CR_MAP);
            spawned++;
        }
        struct vn_capinfo ci;
        if (vn_cap_info(can, &ci) < 0 || ci.env_status != 1) {
            printf("fuzz: FAIL the canary died (status %d)\n", ci.env_status);
            failures++;
            break;
        }
        if (vn_sysinfo->syscalls - start >= next_report) {
            printf("fuzz: %lu calls, %lu workers so far, %d paths covered\n", vn_sysinfo->syscalls - start,
                   spawned, paths_covered());
            next_report += calls / 10;
        }
        vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);    /* look again in 1 ms */
    }
    for (int i = 0; i < FUZZ_WORKERS; i++)
        if (workers[i] > 0)
            vn_kill(workers[i]);    /* waits until it is really gone */
    struct vn_capinfo ci;
    if (vn_cap_info(can, &ci) < 0 || ci.env_status != 1) {
        printf("fuzz: FAIL the canary died\n");
        failures++;
    }
    vn_kill(can);
    long lost = (long)(free0 - vn_sysinfo->free_pages) - (long)(vn_envinfo->held - held0);
    printf("fuzz: %lu calls by %lu workers (%lu replaced when stuck asleep), %d (syscall, result) paths covered, "
           "%ld pages unaccounted\n", vn_sysinfo->syscalls - start, spawned, stalled, paths_covered(), lost);
    if (lost < -4 || lost > 4) {      /* binding-record slab pages: SLAB_SLACK in tests/user/check.h */
        printf("fuzz: FAIL pages leaked\n");
        failures++;
    }
    if (failures)
        return 1;
    printf("fuzz: PASS seed %lu\n", seed);
    return 0;
}
