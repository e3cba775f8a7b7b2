/*
 * Syscall reflection and user TLS bases, the kernel's share of running
 * another system's programs.  A syscall with a foreign (here: Linux)
 * number goes to the environment's UPCALL_SYSCALL handler, which serves it
 * and returns straight to the caller; without a handler it fails with
 * E_NOSYS.  The FS base a program sets itself (wrfsbase) survives switches
 * to another environment that sets its own.
 * Modes: 0 the test; 1 a child that keeps its own FS base and yields.
 */
#include "check.h"

static volatile uint64_t reflected;

static volatile uint64_t t_handler;     /* rdtsc on entering serve (the breakdown below) */

static void serve(struct vn_xframe *x)
{
    t_handler = rdtsc();
    reflected++;
    switch (x->rax) {
    case 1:     /* write(fd, buf, len) */
        x->rax = (uint64_t)vn_cons_write((const char *)x->rsi, x->rdx);
        break;
    case 39:    /* getpid() */
        x->rax = 4242;
        break;
    default:
        x->rax = (uint64_t)-38;     /* -ENOSYS, as Linux would say */
    }
}

static long raw_syscall3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static uint64_t rdfsbase(void)
{
    uint64_t v;
    __asm__ volatile("rdfsbase %0" : "=r"(v));
    return v;
}

static void wrfsbase(uint64_t v)
{
    __asm__ volatile("wrfsbase %0" : : "r"(v));
}

static uint64_t tls_word[2] = {0x1111, 0x2222};

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    (void)arg;
    if (mode == 1) {
        wrfsbase(0xdead0000);
        for (int i = 0; i < 2000; i++) {
            if (rdfsbase() != 0xdead0000)
                return 1;
            vn_yield();
        }
        return 0;
    }
    CHECK_EQ(vn_upcalls_init(), 0);
    /* No handler yet: foreign numbers fail. */
    CHECK_EQ(raw_syscall3(39, 0, 0, 0), -E_NOSYS);
    uint64_t stack = vn_va_reserve(5) + PAGE_SIZE;
    CHECK_EQ(vn_map_fresh(stack, 4, VM_PROT_WRITE), 0);
    extern void vn_upcall_entry(void);
    vn_syscall_handler(serve);
    CHECK_EQ(vn_env_set_upcall(CAP_SELF, UPCALL_SYSCALL, (uint64_t)vn_upcall_entry, stack, 4 * PAGE_SIZE), 0);
    CHECK_EQ(raw_syscall3(39, 0, 0, 0), 4242);
    static const char msg[] = "reflect: hello through a reflected Linux write()\n";
    CHECK_EQ(raw_syscall3(1, 1, (long)msg, sizeof(msg) - 1), sizeof(msg) - 1);
    CHECK_EQ(raw_syscall3(999, 0, 0, 0), -38);
    CHECK_EQ(vn_null(), 0);                     /* Veneer's own still go to the kernel */
    CHECK(reflected == 3);
    uint64_t t0 = rdtsc();
    for (int i = 0; i < 1000; i++)
        raw_syscall3(39, 0, 0, 0);
    printf("reflect: %lu ticks per reflected syscall\n", (rdtsc() - t0) / 1000);
    /* Where they go: the syscall to the handler's first line (the kernel's
     * reflection and libveneer's upcall entry), and from there back past
     * the syscall instruction (the handler and the resume). */
    uint64_t to = 0, back = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t a = rdtsc();
        raw_syscall3(39, 0, 0, 0);
        uint64_t b = rdtsc();
        to += t_handler - a;
        back += b - t_handler;
    }
    printf("reflect: %lu ticks to the handler, %lu back\n", to / 1000, back / 1000);

    /* TLS: our FS base survives another environment using its own. */
    wrfsbase((uint64_t)tls_word);
    capref_t c = vn_spawn("reflect", 128, 1, 0);
    CHECK(c > 0);
    int same = 1;
    for (int i = 0; i < 2000; i++) {
        uint64_t v;
        __asm__ volatile("mov %%fs:8, %0" : "=r"(v));
        same &= rdfsbase() == (uint64_t)tls_word && v == 0x2222;
        vn_yield();
    }
    CHECK(same);
    CHECK_EQ(vn_wait(c), 0);
    return check_done("reflect");
}
