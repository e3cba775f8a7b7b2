/*
 * Hostile: the reflected syscall's fast path (a foreign syscall number
 * goes straight to UPCALL_SYSCALL, its frame written on the upcall stack
 * and sysretq taken into the handler) must kill, never crash or hang the
 * kernel, an environment that makes the reflection impossible:
 *   1  a reflected call from inside the handler (its stack pointer inside
 *      the upcall stack): "fault inside its own upcall handler";
 *   2  an upcall stack unmapped after it was set: "upcall stack ... unusable";
 *   3  an upcall stack mapped read-only: the same;
 *   4  a handler entry at an unmapped address: a page fault at the entry;
 *   5  a reflected call with the stack pointer in the kernel half, and
 *   6  with a non-canonical one: the handler runs on its own stack, and
 *      the resume onto that stack pointer faults in user mode.
 * Each is a child that would return 0 if it survived.  The first three
 * must be killed by the kernel; the last three fault in user mode, which
 * the child's own exception handler (libveneer's) turns into an exit with
 * a fault status: never 0.  ROUNDS times each, while a sibling keeps
 * making reflected calls, and no page may be lost.
 *   8  the reflection runs without the kernel lock, so an upcall changed
 *      from another CPU may be read half old, half new: a vCPU makes
 *      reflected calls while its owner keeps switching the vCPU's upcall
 *      between two stacks and two entries; every call must be served.
 * Modes (arg0): 0 the test; 1-6 and 8 the children; 7 the sibling.
 */
#include "check.h"

#define ROUNDS 5

static long raw_syscall1(long n, long a)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
    return r;
}

static int mode;

static void serve(struct vn_xframe *x)
{
    if (mode == 1)
        raw_syscall1(39, 0);        /* reflected again, from the handler's own stack */
    x->rax = 4242;
}

/* A reflected call with rsp set to sp for the call (restored after). */
static long call_with_sp(uint64_t sp)
{
    long r;
    __asm__ volatile("mov %%rsp, %%r12\n"
                     "mov %2, %%rsp\n"
                     "syscall\n"
                     "mov %%r12, %%rsp"
                     : "=a"(r) : "a"(39L), "r"(sp) : "rcx", "r11", "r12", "memory");
    return r;
}

extern void vn_upcall_entry(void);

#define RACE_CALLS 20000
static volatile int race_done, race_bad;

__attribute__((force_align_arg_pointer, noreturn)) static void race_vcpu(void)
{
    for (int i = 0; i < RACE_CALLS; i++)
        if (raw_syscall1(39, 0) != 4242)
            race_bad++;
    race_done = 1;
    vn_exit(0);
    for (;;)
        ;
}

/* vn_upcall_entry's twin, so that the two upcalls differ in entry too. */
__attribute__((naked)) static void entry_twin(void)
{
    __asm__ volatile("jmp vn_upcall_entry");
}

/* Mode 8: the upcall switched under a vCPU's reflected calls. */
static int race(void)
{
    static uint8_t vstack[4 * PAGE_SIZE] __attribute__((aligned(16)));
    uint64_t s[2] = {vn_va_reserve(5) + PAGE_SIZE, vn_va_reserve(5) + PAGE_SIZE};
    uint64_t entry[2] = {(uint64_t)vn_upcall_entry, (uint64_t)entry_twin};
    for (int i = 0; i < 2; i++)
        if (vn_map_fresh(s[i], 4, VM_PROT_WRITE) < 0)
            return 3;
    long v = vn_env_create_vcpu(16, "reflect-race");
    if (v < 0)
        return 4;
    struct vn_regs regs = {.rip = (uint64_t)race_vcpu, .rsp = (uint64_t)vstack + sizeof(vstack) - 8};
    if (vn_env_set_upcall((capref_t)v, UPCALL_SYSCALL, entry[0], s[0], 4 * PAGE_SIZE) < 0 ||
        vn_env_set_regs((capref_t)v, &regs) < 0 || vn_env_start((capref_t)v) < 0)
        return 5;
    /* Stack i with entry i, then stack i with entry 1 - i: a torn read of
     * any two of them is a valid pair. */
    for (unsigned n = 0; !race_done; n++)
        if (vn_env_set_upcall((capref_t)v, UPCALL_SYSCALL, entry[(n >> 1 ^ n) & 1], s[n >> 1 & 1],
                              (4 - (n & 1)) * PAGE_SIZE) < 0)
            return 6;
    return race_bad ? 7 : 0;
}

static int child(void)
{
    if (vn_upcalls_init() < 0)
        return 2;
    uint64_t stack = vn_va_reserve(5) + PAGE_SIZE;
    if (vn_map_fresh(stack, 4, VM_PROT_WRITE) < 0)
        return 3;
    vn_syscall_handler(serve);
    uint64_t entry = mode == 4 ? 0x0000600000000000ul : (uint64_t)vn_upcall_entry;
    if (vn_env_set_upcall(CAP_SELF, UPCALL_SYSCALL, entry, stack, 4 * PAGE_SIZE) < 0)
        return 4;
    if (mode == 2)
        vn_page_unmap(CAP_SELF, stack, 4);
    if (mode == 3)
        vn_page_protect(CAP_SELF, stack, 4, VM_PROT_READ);
    if (mode == 7) {                    /* the sibling: reflected calls that must keep working */
        for (int i = 0; i < 20000; i++)
            if (raw_syscall1(39, 0) != 4242)
                return 5;
        return 0;
    }
    if (mode == 5)
        call_with_sp(0xffff800000001000ul);
    else if (mode == 6)
        call_with_sp(0x8000000000001000ul);
    else
        raw_syscall1(39, 0);
    return 0;                           /* survived: the test fails */
}

int main(uint64_t arg0);
int main(uint64_t arg0)
{
    mode = (int)arg0;
    if (mode == 8) {
        if (vn_upcalls_init() < 0)
            return 2;
        vn_syscall_handler(serve);
        return race();
    }
    if (mode)
        return child();
    uint64_t size;
    CHECK(vn_archive_find("reflect_hostile", &size) != NULL);      /* mapped before counting */
    uint64_t free0 = vn_sysinfo->free_pages, held0 = vn_envinfo->held;
    int killed = 0;
    for (int r = 0; r < ROUNDS; r++) {
        capref_t sib = vn_spawn("reflect_hostile", 256, 7, 0);
        CHECK(sib > 0);
        for (int m = 1; m <= 6; m++) {
            capref_t c = vn_spawn("reflect_hostile", 256, (uint64_t)m, 0);
            CHECK(c > 0);
            int st = vn_wait(c);
            bool ok = m <= 3 ? st == -1 : st != 0;
            if (!ok)
                printf("reflect_hostile: FAIL mode %d ended with %d\n", m, st);
            killed += ok;
        }
        CHECK_EQ(vn_wait(sib), 0);
        capref_t c = vn_spawn("reflect_hostile", 256, 8, 0);
        CHECK(c > 0);
        int st = vn_wait(c);
        if (st != 0)
            printf("reflect_hostile: FAIL the upcall race ended with %d\n", st);
        CHECK_EQ(st, 0);
    }
    long lost = pages_unaccounted(free0, held0);
    printf("reflect_hostile: %d of %d ended as they must, the sibling's reflected calls and the upcall race "
           "all right, %ld pages unaccounted\n",
           killed, 6 * ROUNDS, lost);
    CHECK(killed == 6 * ROUNDS);
    CHECK(labs(lost) <= SLAB_SLACK);
    return check_done("reflect_hostile");
}
