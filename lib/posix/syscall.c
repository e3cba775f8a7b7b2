/*
 * The Linux system-call entry of the POSIX libOS.  The kernel reflects
 * every syscall with a non-Veneer number to this environment's syscall
 * upcall; posix_serve() looks the number up in the table generated from
 * linux_calls.tbl (one indexed load), runs the paths its flags name and
 * its handler, stores the result in the frame and delivers pending
 * signals, and vn_upcall_entry returns straight to the program.  This
 * file also holds the handlers of the memory, time, identity and limit
 * calls.  Calls not served return -ENOSYS and are logged once, by name.
 */
#include "linux_calls.h"

extern long sig_restart_nr, sig_interrupted_nr;

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

long lx_mmap(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_mmap(a, b, (int)c, (int)x->r10, (int)x->r8, x->r9);
}

long lx_mprotect(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_mprotect(a, b, (int)c);
}

long lx_munmap(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_munmap(a, b);
}

long lx_brk(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_brk(a);
}

long lx_madvise(struct vn_xframe *x)
{
    LX_ARGS(x);
    return mm_madvise(a, b, (int)c);
}

long lx_msync(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_msync(a, b, (int)c);                     /* fmap.c */
}

long lx_mremap(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_mremap(a, b, c, (int)x->r10, x->r8);     /* mremap.c */
}

/* timerfd_create, timerfd_settime, timerfd_gettime (timerfd.c decodes them) */
long lx_timerfd(struct vn_xframe *x)
{
    return timerfd_syscall(x);
}

/* signalfd, signalfd4 */
long lx_signalfd(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_signalfd4((int)a, (const uint64_t *)b, c, x->rax == 289 ? (int)x->r10 : 0);
}

long lx_sched_yield(struct vn_xframe *x)
{
    (void)x;
    vn_yield();
    return 0;
}

long lx_nanosleep(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_nanosleep((const uint64_t *)a, (uint64_t *)b, 0);
}

long lx_clock_nanosleep(struct vn_xframe *x)
{
    LX_ARGS(x);
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
}

long lx_clock_gettime(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_clock_gettime((int)a, (uint64_t *)b);
}

long lx_clock_getres(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (b) {
        if (!mm_user_ok((void *)b, 16, true))
            return -L_EFAULT;
        ((uint64_t *)b)[0] = 0;
        ((uint64_t *)b)[1] = 1;
    }
    return a > 11 ? -L_EINVAL : 0;
}

long lx_gettimeofday(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (a) {
        if (!mm_user_ok((void *)a, 16, true))
            return -L_EFAULT;
        uint64_t ns = realtime_ns();
        ((uint64_t *)a)[0] = ns / 1000000000ul;
        ((uint64_t *)a)[1] = ns % 1000000000ul / 1000;
    }
    return 0;
}

long lx_time(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (a) {
        if (!mm_user_ok((void *)a, 8, true))
            return -L_EFAULT;
        *(uint64_t *)a = realtime_ns() / 1000000000ul;
    }
    return (long)(realtime_ns() / 1000000000ul);
}

long lx_getrandom(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_getrandom((uint8_t *)a, b);
}

long lx_prlimit64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_prlimit64((int)a, (int)b, (const uint64_t *)c, (uint64_t *)x->r10);    /* rlimit.c */
}

long lx_getrlimit(struct vn_xframe *x)
{
    LX_ARGS(x);
    return b ? sys_prlimit64(0, (int)a, NULL, (uint64_t *)b) : -L_EFAULT;
}

long lx_setrlimit(struct vn_xframe *x)
{
    LX_ARGS(x);
    return b ? sys_prlimit64(0, (int)a, (const uint64_t *)b, NULL) : -L_EFAULT;
}

/* getuid, getgid, geteuid, getegid: root */
long lx_getuid(struct vn_xframe *x)
{
    (void)x;
    return 0;
}

/* setuid, setgid, setreuid, setregid, setresuid, setresgid: one user */
long lx_setuid(struct vn_xframe *x)
{
    (void)x;
    return 0;
}

/* getgroups: none */
long lx_getgroups(struct vn_xframe *x)
{
    (void)x;
    return 0;
}

long lx_getpid(struct vn_xframe *x)
{
    (void)x;
    return me.pid;
}

long lx_getppid(struct vn_xframe *x)
{
    (void)x;
    return me.self->ppid;
}

long lx_getpgrp(struct vn_xframe *x)
{
    (void)x;
    return me.self->pgid;
}

long lx_arch_prctl(struct vn_xframe *x)
{
    LX_ARGS(x);
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
}

long lx_getrusage(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_getrusage((int)a, (uint64_t *)b);
}

long lx_times(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_times((uint64_t *)a);
}

long lx_sysinfo(struct vn_xframe *x)
{
    LX_ARGS(x);
    if (!mm_user_ok((void *)a, 112, true))
        return -L_EFAULT;
    memset((void *)a, 0, 112);
    ((uint64_t *)a)[0] = vn_clock_ns() / 1000000000ul;
    ((uint64_t *)a)[4] = vn_sysinfo->npages * PAGE_SIZE;
    ((uint64_t *)a)[5] = vn_sysinfo->free_pages * PAGE_SIZE;
    ((uint32_t *)a)[26] = 1;
    return 0;
}

long lx_prctl(struct vn_xframe *x)
{
    (void)x;
    return -L_EINVAL;
}

/* rseq: glibc runs without it */
long lx_rseq(struct vn_xframe *x)
{
    (void)x;
    return -L_ENOSYS;
}

/* exit_group: from another thread, thread.c first stops the others. */
long lx_exit_group(struct vn_xframe *x)
{
    bool handled;
    thread_syscall(x, &handled);
    return via_proc(x);
}

/* The subsystems that decode their own calls (their switch on the number):
 * the table sends each of their calls here. */
#define VIA(group, decoder)                                     \
    long via_##group(struct vn_xframe *x)                       \
    {                                                           \
        bool handled;                                           \
        long r = decoder(x, &handled);                          \
        return handled ? r : -L_ENOSYS;                         \
    }
VIA(thread, thread_syscall)
VIA(proc, proc_syscall)
VIA(sig, sig_syscall)
VIA(sock, sock_syscall)
VIA(sock_msg, sock_msg_syscall)
VIA(epoll, epoll_syscall)
VIA(eventfd, eventfd_syscall)

static const struct linux_call linux_calls[LINUX_CALLS_MAX] = {
#include "linux_calls_table.h"
};

/* Serve call nr from the table: the paths its flags name, then its
 * handler.  Returns the result; *served is false for a number the table
 * does not serve (-ENOSYS). */
static long linux_call(struct vn_xframe *x, uint64_t nr, bool *served)
{
    const struct linux_call *c = nr < LINUX_CALLS_MAX ? &linux_calls[nr] : NULL;
    bool handled = false;
    long r = 0;
    *served = true;
    if (c && (c->flags & LX_DISK))
        r = disk_syscall(x, &handled);      /* the root on disk, if fsd serves it */
    if (handled)
        return r;
    if (c && c->fn)
        return c->fn(x);
    *served = false;
    return -L_ENOSYS;
}

/* After a call: an expired alarm, then the signals pending for the
 * process or this thread (their handler frames).  The lock is held. */
static void serve_signals(struct vn_xframe *x)
{
    if (me.alarm_ns)
        sig_check_alarm();
    volatile uint64_t *tp = thread_multi ? thread_pending() : NULL;
    if (me.self->sig_pending || (tp && *tp))
        sig_deliver(x);
}

/* The fast path of a call flagged L: its handler reads only what does not
 * change under it (its own process's ids), so it runs without the libOS
 * lock and with none of the restart bookkeeping; the lock is taken only
 * if a signal or an alarm is due.  The unlocked look at the pending words
 * is a hint: serve_signals looks again with the lock held. */
static void serve_lock_free(struct vn_xframe *x, const struct linux_call *c)
{
    x->rax = (uint64_t)c->fn(x);
    volatile uint64_t *tp = thread_multi ? thread_pending() : NULL;
    if (!me.alarm_ns && !me.self->sig_pending && !(tp && *tp))
        return;
    thread_enter();
    serve_signals(x);
    thread_leave();
}

void posix_serve(struct vn_xframe *x)
{
    uint64_t nr = x->rax;
    long r;
    bool served;
    if (nr < LINUX_CALLS_MAX && (linux_calls[nr].flags & LX_NOLOCK) && !me.trace) {
        serve_lock_free(x, &linux_calls[nr]);
        return;
    }
    if (me.trace)
        printf("posix[%d]: syscall %lu(%lx, %lx, %lx)\n", me.pid, nr, x->rdi, x->rsi, x->rdx);
    if (thread_multi) {
        thread_enter();                 /* one thread of the process in the libOS at a time */
        thread_check_group_exit();      /* the main thread: another ended the group, or exec'd */
    }
    r = linux_call(x, nr, &served);
    if (!served && nr < sizeof(logged) && !logged[nr]++) {
        const char *name = syscall_name(nr);
        if (name)
            printf("posix: %s (syscall %lu) not implemented (-ENOSYS)\n", name, nr);
        else
            printf("posix: syscall %lu not implemented (-ENOSYS)\n", nr);
    }
    if (me.trace)
        printf("posix[%d]: syscall %lu -> %ld\n", me.pid, nr, r);
    if (nr == 59 && r == 0) {
        thread_leave();
        return;                 /* exec: the frame is the new program's */
    }
    x->rax = (uint64_t)r;
    sig_interrupted_nr = r == -L_EINTR && nr != 15 ? (long)nr : -1;
    sig_restart_nr = sig_interrupted_nr >= 0 && nr < LINUX_CALLS_MAX && (linux_calls[nr].flags & LX_RESTART) ? (long)nr : -1;
    me.self->cpu_tsc = vn_envinfo->run_tsc;    /* for ps, top and getrusage */
    serve_signals(x);
    sig_restart_nr = sig_interrupted_nr = -1;
    if (thread_multi)
        thread_leave();
}
