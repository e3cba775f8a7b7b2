/*
 * User-level exceptions and the Appel-Li operations.  A page-fault handler
 * maps pages on demand and resumes; protection faults are fixed by the
 * handler (prot1, prot100, unprot100, trap, appel1, appel2); divide error,
 * invalid opcode and breakpoint are delivered and resumed.  Registers and
 * the red zone of the interrupted code survive the round trip.  Prints the
 * rdtsc cost of each operation (guest instructions under -icount).
 */
#include "check.h"

#define N 100
static uint64_t region;             /* N pages */
static uint64_t demand_base;        /* demand-paged area */
static volatile int faults;

/* Demand paging: map a fresh page at the faulting address. */
static bool demand_fault(struct vn_xframe *x)
{
    if (x->addr < demand_base || x->addr >= demand_base + 64 * PAGE_SIZE)
        return false;
    faults++;
    return vn_map_fresh(x->addr & ~(PAGE_SIZE - 1), 1, VM_PROT_WRITE) == 0;
}

/* Protection faults: unprotect the page (appel-style handlers). */
static bool unprotect_fault(struct vn_xframe *x)
{
    if (x->addr < region || x->addr >= region + N * PAGE_SIZE || !(x->err & PF_PRESENT))
        return false;
    faults++;
    return vn_page_protect(CAP_SELF, x->addr & ~(PAGE_SIZE - 1), 1, VM_PROT_WRITE) == 0;
}

/* Other exceptions: skip the faulting instruction (lengths known here). */
static volatile uint64_t last_trap;
static bool skip_insn(struct vn_xframe *x)
{
    last_trap = x->trapno;
    if (x->trapno == 0)             /* div %rcx: 3 bytes */
        x->rip += 3;
    else if (x->trapno == 6)        /* ud2: 2 bytes */
        x->rip += 2;
    else if (x->trapno == 3)        /* int3: the CPU already points after it */
        ;
    else
        return false;
    return true;
}

static void test_registers_survive(void)
{
    /* Fault with known values in every register and check them after. */
    volatile uint64_t *p = (volatile uint64_t *)(demand_base + 5 * PAGE_SIZE);
    uint64_t out[6];
    __asm__ volatile(
        "push %%rbx\n push %%rbp\n"
        "mov $0x1111, %%rbx\n mov $0x2222, %%rbp\n mov $0x3333, %%r12\n"
        "mov $0x4444, %%r13\n mov $0x5555, %%r14\n mov $0x6666, %%r15\n"
        "movq $0x7777, -8(%%rsp)\n"             /* red zone */
        "movq $1, (%%rdi)\n"                    /* faults: demand page */
        "mov %%rbx, 0(%%rsi)\n mov %%rbp, 8(%%rsi)\n mov %%r12, 16(%%rsi)\n"
        "mov %%r13, 24(%%rsi)\n mov -8(%%rsp), %%rax\n mov %%rax, 32(%%rsi)\n"
        "mov %%r15, 40(%%rsi)\n"
        "pop %%rbp\n pop %%rbx\n"
        : : "D"(p), "S"(out) : "rax", "r12", "r13", "r14", "r15", "memory");
    CHECK(out[0] == 0x1111 && out[1] == 0x2222 && out[2] == 0x3333 && out[3] == 0x4444);
    CHECK(out[4] == 0x7777 && out[5] == 0x6666);
    CHECK(*p == 1);
}

int main(void)
{
    CHECK_EQ(vn_upcalls_init(), 0);
    demand_base = vn_va_reserve(64);
    region = vn_va_reserve(N);
    CHECK_EQ(vn_map_fresh(region, N, VM_PROT_WRITE), 0);
    vn_pgfault_register(demand_fault);
    vn_pgfault_register(unprotect_fault);
    vn_exception_handler(skip_insn);

    /* Demand paging: touch 10 pages never mapped. */
    for (int i = 0; i < 10; i++)
        ((volatile char *)demand_base)[i * PAGE_SIZE + 7] = (char)i;
    CHECK(faults == 10);
    CHECK(vn_pte(demand_base) & 1);
    test_registers_survive();

    /* trap: one protection fault fixed by the handler, measured. */
    volatile uint64_t *pg = (volatile uint64_t *)region;
    CHECK_EQ(vn_page_protect(CAP_SELF, region, 1, VM_PROT_READ), 0);
    CHECK(!(vn_pte(region) & 2));               /* the PTE view shows it read-only */
    uint64_t t0 = rdtsc();
    *pg = 42;
    uint64_t t_trap = rdtsc() - t0;
    CHECK(*pg == 42 && (vn_pte(region) & 2));

    /* prot1: protect one page (syscall), N times. */
    t0 = rdtsc();
    for (int i = 0; i < N; i++)
        vn_page_protect(CAP_SELF, region, 1, VM_PROT_READ);
    uint64_t t_prot1 = (rdtsc() - t0) / N;
    /* prot100 / unprot100: 100 pages in one call each. */
    t0 = rdtsc();
    CHECK_EQ(vn_page_protect(CAP_SELF, region, N, VM_PROT_READ), 0);
    uint64_t t_prot100 = rdtsc() - t0;
    t0 = rdtsc();
    CHECK_EQ(vn_page_protect(CAP_SELF, region, N, VM_PROT_WRITE), 0);
    uint64_t t_unprot100 = rdtsc() - t0;

    /* appel1: protect 100 pages, then touch each: fault, unprotect one, resume. */
    CHECK_EQ(vn_page_protect(CAP_SELF, region, N, VM_PROT_READ), 0);
    int before = faults;
    t0 = rdtsc();
    for (int i = 0; i < N; i++)
        ((volatile uint64_t *)region)[i * 512] = (uint64_t)i;
    uint64_t t_appel1 = (rdtsc() - t0) / N;
    CHECK(faults - before == N);
    /* appel2: protect all, fault on each and unprotect it (one batch protect). */
    t0 = rdtsc();
    vn_page_protect(CAP_SELF, region, N, VM_PROT_READ);
    for (int i = 0; i < N; i++)
        ((volatile uint64_t *)region)[i * 512] += 1;
    uint64_t t_appel2 = (rdtsc() - t0) / N;
    for (int i = 0; i < N; i++)
        CHECK(((volatile uint64_t *)region)[i * 512] == (uint64_t)i + 1);

    /* Other exceptions go to the exception handler and resume. */
    __asm__ volatile("xor %%edx, %%edx\n xor %%ecx, %%ecx\n mov $1, %%eax\n div %%rcx" ::: "rax", "rcx", "rdx");
    CHECK(last_trap == 0);
    __asm__ volatile("ud2");
    CHECK(last_trap == 6);
    __asm__ volatile("int3");
    CHECK(last_trap == 3);

    /* Null syscall, for comparison. */
    t0 = rdtsc();
    for (int i = 0; i < 1000; i++)
        vn_null();
    uint64_t t_null = (rdtsc() - t0) / 1000;

    printf("mem_upcall: rdtsc per op: null %lu, trap %lu, prot1 %lu, prot100 %lu, unprot100 %lu, "
           "appel1 %lu, appel2 %lu\n", t_null, t_trap, t_prot1, t_prot100, t_unprot100, t_appel1, t_appel2);
    vn_mem_release_all();
    return check_done("mem_upcall");
}
