/*
 * The Linux system-call entry of the POSIX libOS.  The kernel reflects
 * every syscall with a non-Veneer number to this environment's syscall
 * upcall; posix_serve() dispatches it by Linux number to the file, process,
 * signal and memory code, stores the result in the frame and delivers
 * pending signals, and vn_upcall_entry returns straight to the program.
 * Calls not served return -ENOSYS and are logged once, by name.
 */
#include "posix.h"

extern long sig_restart_nr, sig_interrupted_nr;

/* Calls SA_RESTART restarts after a handler (as Linux does); waits with
 * a timeout or for a signal (pause, sigsuspend, poll, select, sleeps)
 * are not restarted. */
static bool restartable(uint64_t nr)
{
    switch (nr) {
    case 0: case 1: case 2: case 16: case 17: case 18: case 19: case 20: case 40: case 61: case 72: case 257:
    case 43: case 44: case 45: case 288: case 46: case 47:
        return true;
    default:
        return false;
    }
}

static uint8_t logged[512];

/* Linux's names, by number (generated from <asm/unistd_64.h>). */
static const char *const linux_names[] = {
#include "linux_names.h"
};

static const char *syscall_name(uint64_t nr)
{
    return nr < sizeof(linux_names) / sizeof(linux_names[0]) ? linux_names[nr] : NULL;
}

long posix_block(bool (*ready)(void *arg), void *arg, uint64_t deadline)
{
    for (;;) {
        shm_lock();
        bool ok = ready(arg);
        uint64_t seen = shared->epoch;
        shm_unlock();
        if (ok)
            return 0;
        sig_check_alarm();
        if (sig_pending_now())
            return -L_EINTR;
        uint64_t now = vn_clock_ns(), t = 10000000;     /* the tty is polled every 10 ms */
        if (deadline && now >= deadline)
            return -L_EAGAIN;
        if (deadline && deadline - now < t)
            t = deadline - now;
        if (me.alarm_ns && me.alarm_ns > now && me.alarm_ns - now < t)
            t = me.alarm_ns - now;                      /* wake for our own timer */
        thread_leave();
        shm_wait(seen, t ? t : 1);
        thread_enter();
        thread_check_group_exit();
        tty_poll_input();
    }
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

static long sys_nanosleep(const uint64_t *req, uint64_t *rem, uint64_t base)
{
    if (!mm_user_ok(req, 16, false) || (rem && !mm_user_ok(rem, 16, true)))
        return -L_EFAULT;
    if ((int64_t)req[0] < 0 || req[1] >= 1000000000ul)
        return -L_EINVAL;
    uint64_t sec = req[0] > 1000000000ul ? 1000000000ul : req[0];     /* ~31 years: forever enough */
    uint64_t deadline = (base ? base : vn_clock_ns()) + sec * 1000000000ul + req[1];
    if (deadline <= vn_clock_ns())
        return 0;
    long r = posix_block(never, NULL, deadline);
    if (r == -L_EINTR && rem) {
        uint64_t now = vn_clock_ns(), left = deadline > now ? deadline - now : 0;
        rem[0] = left / 1000000000ul;
        rem[1] = left % 1000000000ul;
    }
    return r == -L_EAGAIN ? 0 : r;
}

/* Realtime needs no system call either (posix.h). */
#define realtime_ns posix_realtime_ns

static long sys_clock_gettime(int clk, uint64_t *ts)
{
    if (clk < 0 || clk > 11)
        return -L_EINVAL;
    if (!mm_user_ok(ts, 16, true))
        return -L_EFAULT;
    uint64_t ns = clk == 0 || clk == 8 || clk == 5 ? realtime_ns() : vn_clock_ns();
    if (clk == 2 || clk == 3) {                     /* process/thread CPU time */
        uint64_t t = vn_envinfo->run_tsc, hz = vn_sysinfo->tsc_hz ? vn_sysinfo->tsc_hz : 1;
        ns = t / hz * 1000000000ul + t % hz * 1000000000ul / hz;
    }
    ts[0] = ns / 1000000000ul;
    ts[1] = ns % 1000000000ul;
    return 0;
}

static long sys_getrandom(uint8_t *buf, uint64_t len)
{
    static uint64_t state = 0x9e3779b97f4a7c15ul;
    if (!mm_user_ok(buf, len, true))
        return -L_EFAULT;
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    state ^= ((uint64_t)hi << 32 | lo) + (uint64_t)me.pid;
    for (uint64_t i = 0; i < len; i++) {
        state = state * 6364136223846793005ul + 1442695040888963407ul;
        buf[i] = (uint8_t)(state >> 56);
    }
    return (long)len;
}

/* getrusage(2): CPU time (all of it as user time: the kernel does not
 * split an environment's time), the peak of pages held for RUSAGE_SELF;
 * RUSAGE_CHILDREN: the children waited for.  Errors: EINVAL, EFAULT. */
static long sys_getrusage(int who, uint64_t *ru)
{
    if (who != 0 && who != -1 && who != 1)              /* SELF, CHILDREN, THREAD */
        return -L_EINVAL;
    if (!mm_user_ok(ru, 144, true))
        return -L_EFAULT;
    me.self->cpu_tsc = vn_envinfo->run_tsc;
    uint64_t us = tsc_to(who == -1 ? me.self->child_cpu_tsc : me.self->cpu_tsc, 1000000);
    memset(ru, 0, 144);
    ru[0] = us / 1000000;                               /* ru_utime */
    ru[1] = us % 1000000;
    if (who != -1)
        ru[4] = mm_pages() * 4;                         /* ru_maxrss, KiB: pages held now */
    return 0;
}

/* times(2): clock ticks (100 a second) since boot; tms of this process and
 * the children waited for.  Errors: EFAULT. */
static long sys_times(uint64_t *tms)
{
    if (tms && !mm_user_ok(tms, 32, true))
        return -L_EFAULT;
    me.self->cpu_tsc = vn_envinfo->run_tsc;
    if (tms) {
        tms[0] = tsc_to(me.self->cpu_tsc, 100);
        tms[1] = 0;
        tms[2] = tsc_to(me.self->child_cpu_tsc, 100);
        tms[3] = 0;
    }
    return (long)(vn_clock_ns() / 10000000);
}

static long misc_syscall(struct vn_xframe *x, bool *handled)
{
    uint64_t a = x->rdi, b = x->rsi, c = x->rdx;
    *handled = true;
    switch (x->rax) {
    case 9: return sys_mmap(a, b, (int)c, (int)x->r10, (int)x->r8, x->r9);
    case 10: return sys_mprotect(a, b, (int)c);
    case 11: return sys_munmap(a, b);
    case 12: return sys_brk(a);
    case 28: return mm_madvise(a, b, (int)c);
    case 26: return sys_msync(a, b, (int)c);                  /* fmap.c */
    case 25: return sys_mremap(a, b, c, (int)x->r10, x->r8);     /* mremap.c */
    case 24: vn_yield(); return 0;
    case 35: return sys_nanosleep((const uint64_t *)a, (uint64_t *)b, 0);
    case 230:                                           /* clock_nanosleep */
        if (b & 1) {                                    /* TIMER_ABSTIME */
            if (!mm_user_ok((void *)c, 16, false))
                return -L_EFAULT;
            uint64_t abs = ((uint64_t *)c)[0] * 1000000000ul + ((uint64_t *)c)[1];
            uint64_t base = a == 0 ? realtime_ns() : vn_clock_ns();
            uint64_t rel[2] = {abs > base ? (abs - base) / 1000000000ul : 0, abs > base ? (abs - base) % 1000000000ul : 0};
            long r = posix_block(never, NULL, vn_clock_ns() + rel[0] * 1000000000ul + rel[1]);
            return r == -L_EAGAIN ? 0 : r;
        }
        return sys_nanosleep((const uint64_t *)c, (uint64_t *)x->r10, 0);
    case 228: return sys_clock_gettime((int)a, (uint64_t *)b);
    case 229:                                           /* clock_getres */
        if (b) {
            if (!mm_user_ok((void *)b, 16, true))
                return -L_EFAULT;
            ((uint64_t *)b)[0] = 0;
            ((uint64_t *)b)[1] = 1;
        }
        return a > 11 ? -L_EINVAL : 0;
    case 96:                                            /* gettimeofday */
        if (a) {
            if (!mm_user_ok((void *)a, 16, true))
                return -L_EFAULT;
            uint64_t ns = realtime_ns();
            ((uint64_t *)a)[0] = ns / 1000000000ul;
            ((uint64_t *)a)[1] = ns % 1000000000ul / 1000;
        }
        return 0;
    case 201:                                           /* time */
        if (a) {
            if (!mm_user_ok((void *)a, 8, true))
                return -L_EFAULT;
            *(uint64_t *)a = realtime_ns() / 1000000000ul;
        }
        return (long)(realtime_ns() / 1000000000ul);
    case 318: return sys_getrandom((uint8_t *)a, b);
    case 283: case 286: case 287: return timerfd_syscall(x);        /* timerfd.c */
    case 282: case 289: return sys_signalfd4((int)a, (const uint64_t *)b, c, x->rax == 289 ? (int)x->r10 : 0);
    case 302: return sys_prlimit64((int)a, (int)b, (const uint64_t *)c, (uint64_t *)x->r10);    /* rlimit.c */
    case 97: return b ? sys_prlimit64(0, (int)a, NULL, (uint64_t *)b) : -L_EFAULT;              /* getrlimit */
    case 160: return b ? sys_prlimit64(0, (int)a, (const uint64_t *)b, NULL) : -L_EFAULT;       /* setrlimit */
    case 102: case 104: case 107: case 108: return 0;   /* get[e]uid, get[e]gid: root */
    case 105: case 106: case 113: case 114: case 117: case 119: return 0;   /* set*id: one user */
    case 115: return 0;                                 /* getgroups: none */
    case 158:                                           /* arch_prctl */
        if (a == 0x1002) {
            if (b >= LIBOS_BASE)                        /* non-canonical, or the libOS's own */
                return -L_EPERM;
            __asm__ volatile("wrfsbase %0" : : "r"(b));
            return 0;
        }
        if (a == 0x1003) {
            if (!mm_user_ok((void *)b, 8, true))
                return -L_EFAULT;
            __asm__ volatile("rdfsbase %0" : "=r"(*(uint64_t *)b));
            return 0;
        }
        return -L_EINVAL;
    case 98: return sys_getrusage((int)a, (uint64_t *)b);
    case 100: return sys_times((uint64_t *)a);
    case 99:                                            /* sysinfo */
        if (!mm_user_ok((void *)a, 112, true))
            return -L_EFAULT;
        memset((void *)a, 0, 112);
        ((uint64_t *)a)[0] = vn_clock_ns() / 1000000000ul;
        ((uint64_t *)a)[4] = vn_sysinfo->npages * PAGE_SIZE;
        ((uint64_t *)a)[5] = vn_sysinfo->free_pages * PAGE_SIZE;
        ((uint32_t *)a)[26] = 1;
        return 0;
    case 157: return -L_EINVAL;                         /* prctl */
    case 334: return -L_ENOSYS;                         /* rseq: glibc runs without it */
    default:
        *handled = false;
        return 0;
    }
}

/* The calls thread.c serves or must see: its own, and with threads the
 * ones only the main thread may make. */
static inline bool thread_call(uint64_t nr)
{
    switch (nr) {
    case 186: case 218: case 273: case 274: case 202: case 234: case 200: case 60: case 231: case 204:
        return true;
    case 9: case 10: case 11: case 12: case 25: case 56: case 57: case 58: case 59:
        return thread_multi;
    default:
        return false;
    }
}

void posix_serve(struct vn_xframe *x)
{
    uint64_t nr = x->rax;
    long r;
    bool handled;
    if (me.trace)
        printf("posix[%d]: syscall %lu(%lx, %lx, %lx)\n", me.pid, nr, x->rdi, x->rsi, x->rdx);
    if (thread_multi)
        thread_enter();                 /* one thread of the process in the libOS at a time */
    handled = false;
    if (thread_call(nr))
        r = thread_syscall(x, &handled);    /* threads, futex, tgkill (thread.c) */
    if (!handled)
        r = disk_syscall(x, &handled);  /* the root on disk, if fsd serves: its path calls */
    if (!handled)
        r = fd_syscall(x, &handled);
    if (!handled)
        r = sock_syscall(x, &handled);
    if (!handled)
        r = sock_msg_syscall(x, &handled);
    if (!handled)
        r = epoll_syscall(x, &handled);
    if (!handled)
        r = eventfd_syscall(x, &handled);
    if (!handled)
        r = proc_syscall(x, &handled);
    if (!handled)
        r = sig_syscall(x, &handled);
    if (!handled)
        r = misc_syscall(x, &handled);
    if (!handled) {
        if (nr < sizeof(logged) && !logged[nr]++) {
            const char *name = syscall_name(nr);
            if (name)
                printf("posix: %s (syscall %lu) not implemented (-ENOSYS)\n", name, nr);
            else
                printf("posix: syscall %lu not implemented (-ENOSYS)\n", nr);
        }
        r = -L_ENOSYS;
    }
    if (me.trace)
        printf("posix[%d]: syscall %lu -> %ld\n", me.pid, nr, r);
    if (nr == 59 && r == 0) {
        thread_leave();
        return;                 /* exec: the frame is the new program's */
    }
    x->rax = (uint64_t)r;
    sig_interrupted_nr = r == -L_EINTR && nr != 15 ? (long)nr : -1;
    sig_restart_nr = sig_interrupted_nr >= 0 && restartable(nr) ? (long)nr : -1;
    me.self->cpu_tsc = vn_envinfo->run_tsc;    /* for ps, top and getrusage */
    if (me.alarm_ns)
        sig_check_alarm();
    volatile uint64_t *tp = thread_multi ? thread_pending() : NULL;
    if (me.self->sig_pending || (tp && *tp))
        sig_deliver(x);
    sig_restart_nr = sig_interrupted_nr = -1;
    if (thread_multi)
        thread_leave();
}
