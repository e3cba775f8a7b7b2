/*
 * Signals, delivered by the libOS to its own program.  Posting (kill, the
 * tty, a child's exit) sets a bit in the target's shared process entry and
 * bumps the epoch, which wakes it if it sleeps in the libOS.  The target
 * takes its pending signals when its program next gives the libOS control:
 * on the way back from every system call, from an exception (SIGSEGV,
 * SIGILL, SIGFPE...), and from the scheduler's preemption upcall, so even
 * a program spinning in user code gets them within a time slice.
 *
 * A handler gets the Linux x86_64 frame: rt_sigframe { restorer address;
 * ucontext with the interrupted registers, the mask and a pointer to the
 * FPU state; siginfo }.  rt_sigreturn restores all of it, FPU included
 * (the saved area is the one vn_upcall_entry keeps below the frame).
 */
#include "posix.h"

#define UC_SIZE 304
#define SI_SIZE 128
#define FRAME_SIZE (8 + UC_SIZE + SI_SIZE)
#define UNBLOCKABLE (SIGBIT(L_SIGKILL) | SIGBIT(L_SIGSTOP))
#define STOPS (SIGBIT(L_SIGSTOP) | SIGBIT(L_SIGTSTP) | SIGBIT(L_SIGTTIN) | SIGBIT(L_SIGTTOU))
#define DFL_IGNORE (SIGBIT(L_SIGCHLD) | SIGBIT(L_SIGWINCH) | SIGBIT(23) | SIGBIT(L_SIGCONT))

long sig_restart_nr = -1;           /* the interrupted call (-EINTR) SA_RESTART may restart, or -1 */
long sig_interrupted_nr = -1;       /* any call that returned -EINTR: resumed after a stop */
static bool in_exception;           /* running in the exception upcall */
static uint8_t exit_stack[8192] __attribute__((aligned(16)));

static void exit_trampoline(int wstatus) __attribute__((noreturn, used));
static void exit_trampoline(int wstatus)
{
    posix_exit(wstatus);
}

/* End the process with wstatus.  From the exception upcall, the exit runs
 * after the handler returns, on a stack of its own (it may take faults:
 * a fault inside the exception handler itself would be fatal). */
void sig_exit_after_upcall(struct vn_xframe *x, int wstatus);

static void terminate(struct vn_xframe *x, int wstatus)
{
    if (!in_exception)
        posix_exit(wstatus);
    sig_exit_after_upcall(x, wstatus);
}

void sig_exit_after_upcall(struct vn_xframe *x, int wstatus)
{
    x->rip = (uint64_t)exit_trampoline;
    x->rdi = (uint64_t)wstatus;
    x->rsp = thread_exit_stack((uint64_t)(exit_stack + sizeof(exit_stack)) - 8);   /* a thread's own */
    x->rflags = 0x202;          /* not the program's flags: DF or TF set would derail the exit */
}
static uint64_t suspend_mask;       /* the mask sigsuspend replaced, to restore */
static bool in_suspend;

/* Post sig to p (the lock is held).  Errors: -L_EINVAL. */
int sig_post(struct proc *p, int sig, int sender)
{
    if (sig <= 0 || sig >= NSIG_L)
        return -L_EINVAL;
    if (sig == 0)
        return 0;
    if (sig == L_SIGCONT)                       /* a continue cancels stops not yet taken */
        __atomic_and_fetch(&p->sig_pending, ~STOPS, __ATOMIC_RELAXED);
    if ((sig == L_SIGCONT || sig == L_SIGKILL) && p->state == P_STOPPED) {
        p->state = P_ALIVE;
        if (sig == L_SIGCONT) {
            p->wstatus = 0xffff;                /* reported to WCONTINUED */
            p->report = 1;
        }
    }
    if (SIGBIT(sig) & STOPS)
        __atomic_and_fetch(&p->sig_pending, ~SIGBIT(L_SIGCONT), __ATOMIC_RELAXED);
    p->sig_sender[sig] = sender;
    __atomic_or_fetch(&p->sig_pending, SIGBIT(sig), __ATOMIC_RELEASE);
    shm_event();
    return 0;
}

/* Signals we would ignore anyway never interrupt anything. */
static uint64_t ignored_set(void)
{
    uint64_t s = 0;
    for (int sig = 1; sig < NSIG_L; sig++)
        if (me.act[sig].handler == L_SIG_IGN || (me.act[sig].handler == L_SIG_DFL && (SIGBIT(sig) & DFL_IGNORE)))
            s |= SIGBIT(sig);
    return s & ~UNBLOCKABLE;
}

static uint64_t deliverable(void)
{
    struct proc *p = me.self;
    uint64_t ign = __atomic_load_n(&p->sig_pending, __ATOMIC_ACQUIRE) & ignored_set() & ~me.sigmask;
    if (ign)
        __atomic_and_fetch(&p->sig_pending, ~ign, __ATOMIC_RELAXED);
    volatile uint64_t *tp = thread_pending();
    uint64_t mine = tp ? __atomic_load_n(tp, __ATOMIC_ACQUIRE) : 0;   /* tgkill's, to this thread */
    return (__atomic_load_n(&p->sig_pending, __ATOMIC_ACQUIRE) | mine) & ~(me.sigmask & ~UNBLOCKABLE);
}

bool sig_pending_now(void)
{
    return deliverable() != 0;
}

int sig_default_terminate(int sig)
{
    return !(SIGBIT(sig) & (DFL_IGNORE | STOPS));
}

/* Default action of a stop signal: stopped until SIGCONT (or SIGKILL).
 * Other signals stay pending meanwhile; a SIGCONT posted since the stop
 * signal was taken cancels it. */
static void do_stop(int sig)
{
    shm_lock();
    struct proc *p = me.self, *parent = proc_find(p->ppid);
    if (p->sig_pending & SIGBIT(L_SIGCONT)) {
        shm_unlock();
        return;
    }
    p->state = P_STOPPED;
    p->wstatus = (sig << 8) | 0x7f;
    p->report = 1;
    if (parent)
        sig_post(parent, L_SIGCHLD, p->pid);
    for (;;) {
        bool stopped = p->state == P_STOPPED && !(p->sig_pending & SIGBIT(L_SIGKILL));
        uint64_t seen = shared->epoch;
        shm_unlock();
        if (!stopped)
            return;
        shm_wait(seen, 10000000);
        tty_poll_input();
        shm_lock();
    }
}

/* Build a handler frame for sig on the program's stack and point x at
 * the handler.  Returns false if the stack is unusable. */
static bool push_frame(struct vn_xframe *x, int sig, const int32_t *info)
{
    struct k_sigaction *a = &me.act[sig];
    uint64_t sp = (x->rsp - 128 - 512) & ~63ul;
    uint8_t *fx = (uint8_t *)sp;
    sp = ((sp - FRAME_SIZE) & ~15ul) - 8;
    if (!mm_user_ok((void *)sp, x->rsp - 128 - sp, true))
        return false;
    memcpy(fx, (uint8_t *)x - 512, 512);
    uint8_t *f = (uint8_t *)sp;
    memset(f, 0, FRAME_SIZE);
    *(uint64_t *)f = a->restorer;
    uint8_t *uc = f + 8;
    uint64_t *g = (uint64_t *)(uc + 40);        /* uc_mcontext.gregs */
    uint64_t regs[] = {x->r8, x->r9, x->r10, x->r11, x->r12, x->r13, x->r14, x->r15, x->rdi, x->rsi,
                       x->rbp, x->rbx, x->rdx, x->rax, x->rcx, x->rsp, x->rip, x->rflags};
    memcpy(g, regs, sizeof(regs));
    g[18] = 0x33;                               /* cs */
    g[19] = x->err;
    g[20] = x->trapno < 32 ? x->trapno : 0;
    g[21] = in_suspend ? suspend_mask : me.sigmask;
    g[22] = x->addr;
    g[23] = (uint64_t)fx;                       /* fpstate */
    *(uint64_t *)(uc + 296) = in_suspend ? suspend_mask : me.sigmask;
    in_suspend = false;
    uint8_t *si = uc + UC_SIZE;
    memcpy(si, info, 32);
    x->rip = a->handler;
    x->rsp = sp;
    x->rdi = (uint64_t)sig;
    x->rsi = (uint64_t)si;
    x->rdx = (uint64_t)uc;
    x->rax = 0;
    x->rflags &= ~0x400ul;                      /* DF clear, as the ABI wants */
    me.sigmask |= a->mask | ((a->flags & L_SA_NODEFER) ? 0 : SIGBIT(sig));
    if (a->flags & L_SA_RESETHAND)
        a->handler = L_SIG_DFL;
    return true;
}

/* Run sig's action for the interrupted context x; info is its siginfo. */
static void act_on(struct vn_xframe *x, int sig, const int32_t *info)
{
    uint64_t h = me.act[sig].handler;
    if (sig == L_SIGKILL || sig == L_SIGSTOP || h == L_SIG_DFL) {
        if (SIGBIT(sig) & STOPS) {
            do_stop(sig);
            if (sig_interrupted_nr >= 0 && (long)x->rax == -L_EINTR) {
                x->rax = (uint64_t)sig_interrupted_nr;  /* stopped and continued: carry on */
                x->rip -= 2;
                sig_interrupted_nr = sig_restart_nr = -1;
            }
        }
        else if (sig_default_terminate(sig))
            terminate(x, sig);
        return;
    }
    if (h == L_SIG_IGN)
        return;
    if (sig_restart_nr >= 0 && (long)x->rax == -L_EINTR && (me.act[sig].flags & L_SA_RESTART)) {
        x->rax = (uint64_t)sig_restart_nr;      /* the handler returns into the call again */
        x->rip -= 2;
    }
    if (!push_frame(x, sig, info))
        terminate(x, L_SIGSEGV);
}

void sig_deliver(struct vn_xframe *x)
{
    uint64_t d;
    while ((d = deliverable()) != 0) {
        int sig = __builtin_ctzl(d) + 1;
        volatile uint64_t *tp = thread_pending();
        if (!(tp && (__atomic_fetch_and(tp, ~SIGBIT(sig), __ATOMIC_ACQ_REL) & SIGBIT(sig))) &&
            !(__atomic_fetch_and(&me.self->sig_pending, ~SIGBIT(sig), __ATOMIC_ACQ_REL) & SIGBIT(sig)))
            continue;
        int32_t info[8] = {sig, 0, 0, 0, me.self->sig_sender[sig], 0, 0, 0};   /* si_pid at 16 */
        if (sig == L_SIGCHLD) {                 /* the last child's exit, as wait would see it */
            int st = me.self->chld_status;
            info[2] = (st & 0x7f) == 0 ? 1 : (st & 0xff) == 0x7f ? 5 : st == 0xffff ? 6 : 2;
            info[6] = (st & 0x7f) == 0 ? (st >> 8) & 0xff : (st & 0xff) == 0x7f ? (st >> 8) & 0xff : st & 0x7f;
        }
        uint64_t h = me.act[sig].handler;
        act_on(x, sig, info);
        if (h > L_SIG_IGN && sig != L_SIGKILL && sig != L_SIGSTOP)
            break;                              /* one frame at a time; the rest after sigreturn */
    }
    sig_restart_nr = sig_interrupted_nr = -1;
    if (in_suspend && !deliverable()) {         /* no handler frame took the old mask along */
        me.sigmask = suspend_mask;
        in_suspend = false;
    }
}

/* A CPU exception in the program: the matching signal, synchronously. */
bool sig_fault(struct vn_xframe *x)
{
    in_exception = true;
    if (x->rip >= LIBOS_BASE) {
        printf("posix: libOS fault %lu at rip %lx (address %lx)\n", x->trapno, x->rip, x->addr);
        terminate(x, L_SIGSEGV);
        in_exception = false;
        return true;
    }
    int sig = x->trapno == 14 || x->trapno == 13 || x->trapno == 12 ? L_SIGSEGV : x->trapno == 6 ? L_SIGILL
            : x->trapno == 3 || x->trapno == 1 ? L_SIGTRAP : x->trapno == 17 ? L_SIGBUS : L_SIGFPE;
    int32_t info[8] = {sig, 0, x->trapno == 14 ? ((x->err & PF_PRESENT) || mm_mapped(x->addr) ? 2 : 1) : 128, 0, 0, 0, 0, 0};
    uint64_t addr = x->trapno == 14 ? x->addr : x->rip;
    memcpy(&info[4], &addr, 8);
    if ((me.sigmask & SIGBIT(sig)) || me.act[sig].handler <= L_SIG_IGN)
        terminate(x, sig);                      /* blocked, ignored or default: it kills */
    else
        act_on(x, sig, info);
    in_exception = false;
    return true;
}

void sig_check_alarm(void)
{
    if (!me.alarm_ns || vn_clock_ns() < me.alarm_ns)
        return;
    me.alarm_ns = me.alarm_interval_ns ? me.alarm_ns + me.alarm_interval_ns : 0;
    shm_lock();
    sig_post(me.self, L_SIGALRM, me.pid);
    shm_unlock();
}

void sig_on_preempt(struct vn_xframe *x)
{
    if (!prog_range(x->rip, 1))
        return;
    sig_check_alarm();
    if (deliverable())
        sig_deliver(x);
}

/* alarm / setitimer / getitimer (ITIMER_REAL only): the timer is a
 * deadline of this process, checked on every call, every preemption and
 * while it sleeps in the libOS; expiry posts SIGALRM to itself. */
static long itimer_get(uint64_t *val)
{
    uint64_t now = vn_clock_ns(), left = me.alarm_ns > now ? me.alarm_ns - now : (me.alarm_ns ? 1000 : 0);
    uint64_t iv = me.alarm_interval_ns;
    val[0] = iv / 1000000000ul;
    val[1] = iv % 1000000000ul / 1000;
    val[2] = left / 1000000000ul;
    val[3] = left % 1000000000ul / 1000;
    return 0;
}

static long sys_setitimer(int which, const uint64_t *nv, uint64_t *old)
{
    if (which != 0)
        return which == 1 || which == 2 ? -L_ENOSYS : -L_EINVAL;   /* virtual and profiling timers */
    if ((nv && !mm_user_ok(nv, 32, false)) || (old && !mm_user_ok(old, 32, true)))
        return -L_EFAULT;
    if (nv && (nv[1] >= 1000000 || nv[3] >= 1000000))
        return -L_EINVAL;
    if (old)
        itimer_get(old);
    if (nv) {
        uint64_t sec = nv[2] > 100000000ul ? 100000000ul : nv[2], isec = nv[0] > 100000000ul ? 100000000ul : nv[0];
        uint64_t value = sec * 1000000000ul + nv[3] * 1000;
        me.alarm_interval_ns = isec * 1000000000ul + nv[1] * 1000;
        me.alarm_ns = value ? vn_clock_ns() + value : 0;
    }
    return 0;
}

void sig_exec_reset(void)
{
    for (int sig = 1; sig < NSIG_L; sig++)
        if (me.act[sig].handler != L_SIG_IGN)
            me.act[sig] = (struct k_sigaction){0};
    me.self->nocldwait = me.act[L_SIGCHLD].handler == L_SIG_IGN;
}

static long sys_rt_sigreturn(struct vn_xframe *x)
{
    uint8_t *uc = (uint8_t *)x->rsp;
    if (!mm_user_ok(uc, UC_SIZE, false))
        posix_exit(L_SIGSEGV);
    const uint64_t *g = (const uint64_t *)(uc + 40);
    x->r8 = g[0], x->r9 = g[1], x->r10 = g[2], x->r11 = g[3], x->r12 = g[4], x->r13 = g[5], x->r14 = g[6];
    x->r15 = g[7], x->rdi = g[8], x->rsi = g[9], x->rbp = g[10], x->rbx = g[11], x->rdx = g[12];
    x->rcx = g[14], x->rsp = g[15], x->rip = g[16];
    x->rflags = (g[17] & 0xcd5) | 0x202;        /* status flags only */
    uint8_t *fx = (uint8_t *)g[23];
    if (fx && mm_user_ok(fx, 512, false))
        memcpy((uint8_t *)x - 512, fx, 512);
    me.sigmask = *(uint64_t *)(uc + 296) & ~UNBLOCKABLE;
    return (long)g[13];                         /* rax, returned as the "result" */
}

static long sys_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old)
{
    if (sig <= 0 || sig >= NSIG_L || ((sig == L_SIGKILL || sig == L_SIGSTOP) && act))
        return -L_EINVAL;
    if ((act && !mm_user_ok(act, sizeof(*act), false)) || (old && !mm_user_ok(old, sizeof(*old), true)))
        return -L_EFAULT;
    struct k_sigaction prev = me.act[sig];
    if (act) {
        me.act[sig] = *act;
        me.act[sig].mask &= ~UNBLOCKABLE;
        if (sig == L_SIGCHLD)                   /* children of a parent ignoring SIGCHLD are not kept */
            me.self->nocldwait = act->handler == L_SIG_IGN || (act->flags & 2);     /* SA_NOCLDWAIT */
        /* Ignoring a signal discards it if pending, blocked or not (POSIX). */
        if (act->handler == L_SIG_IGN || (act->handler == L_SIG_DFL && (SIGBIT(sig) & DFL_IGNORE)))
            __atomic_and_fetch(&me.self->sig_pending, ~SIGBIT(sig), __ATOMIC_RELEASE);
    }
    if (old)
        *old = prev;
    return 0;
}

static long sys_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
    if ((set && !mm_user_ok(set, 8, false)) || (old && !mm_user_ok(old, 8, true)))
        return -L_EFAULT;
    uint64_t prev = me.sigmask;
    if (set) {
        if (how == 0)
            me.sigmask |= *set;
        else if (how == 1)
            me.sigmask &= ~*set;
        else if (how == 2)
            me.sigmask = *set;
        else
            return -L_EINVAL;
        me.sigmask &= ~UNBLOCKABLE;
    }
    if (old)
        *old = prev;
    return 0;
}

/* Wait with a temporary mask (sigsuspend, ppoll, pselect6): the mask in
 * force ends with the call, or with the handler the call was interrupted
 * for (its frame restores the old one). */
void sig_suspend_begin(uint64_t mask)
{
    suspend_mask = me.sigmask;
    me.sigmask = mask & ~UNBLOCKABLE;
    in_suspend = true;
}

void sig_suspend_end(void)
{
    if (!deliverable()) {
        me.sigmask = suspend_mask;
        in_suspend = false;
    }
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

/* kill(2) semantics for pid > 0, 0, -1 and -pgrp. */
static long sys_kill(int pid, int sig)
{
    if (sig < 0 || sig >= NSIG_L)
        return -L_EINVAL;
    long found = 0;
    shm_lock();
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &shared->procs[i];
        if (p->state != P_ALIVE && p->state != P_STOPPED && p->state != P_EMBRYO && p->state != P_ZOMBIE)
            continue;
        bool match = pid > 0 ? p->pid == pid : pid == 0 ? p->pgid == me.self->pgid
                   : pid == -1 ? p->pid != 1 && p->pid != me.pid : p->pgid == -pid;
        if (!match || (p->service && pid <= 0))
            continue;                   /* netd and fsd are reached by their pids only */
        found++;
        if (p->service) {
            if (sig) {
                sock_netd_signal(p, sig);
                disk_fsd_signal(p, sig);
            }
            continue;
        }
        if (sig && p->state != P_ZOMBIE)
            sig_post(p, sig, me.pid);
    }
    shm_unlock();
    return found ? 0 : -L_ESRCH;
}

long sig_syscall(struct vn_xframe *x, bool *handled)
{
    *handled = true;
    switch (x->rax) {
    case 13: return sys_sigaction((int)x->rdi, (const void *)x->rsi, (void *)x->rdx);
    case 14: return sys_sigprocmask((int)x->rdi, (const uint64_t *)x->rsi, (uint64_t *)x->rdx);
    case 15: return sys_rt_sigreturn(x);
    case 62: return sys_kill((int)x->rdi, (int)x->rsi);
    case 200: return sys_kill((int)x->rdi, (int)x->rsi);                /* tkill: one thread each */
    case 234: return sys_kill((int)x->rsi, (int)x->rdx);                /* tgkill */
    case 127:                                                           /* rt_sigpending */
        if (!mm_user_ok((void *)x->rdi, 8, true))
            return -L_EFAULT;
        *(uint64_t *)x->rdi = me.self->sig_pending & me.sigmask;
        return 0;
    case 34:                                                            /* pause */
        return posix_block(never, NULL, 0);
    case 130: {                                                         /* rt_sigsuspend */
        if (!mm_user_ok((void *)x->rdi, 8, false))
            return -L_EFAULT;
        sig_suspend_begin(*(const uint64_t *)x->rdi);
        long r = posix_block(never, NULL, 0);
        sig_suspend_end();
        return r;
    }
    case 37: {                                                          /* alarm */
        uint64_t now = vn_clock_ns(), left = me.alarm_ns > now ? me.alarm_ns - now : 0;
        uint64_t sec = x->rdi > 100000000ul ? 100000000ul : x->rdi;
        me.alarm_ns = sec ? now + sec * 1000000000ul : 0;
        me.alarm_interval_ns = 0;
        return (long)((left + 999999999ul) / 1000000000ul);
    }
    case 38: return sys_setitimer((int)x->rdi, (const uint64_t *)x->rsi, (uint64_t *)x->rdx);
    case 36:                                                            /* getitimer */
        if ((int)x->rdi != 0)
            return (int)x->rdi == 1 || (int)x->rdi == 2 ? -L_ENOSYS : -L_EINVAL;
        if (!mm_user_ok((void *)x->rsi, 32, true))
            return -L_EFAULT;
        return itimer_get((uint64_t *)x->rsi);
    case 131:                                                           /* sigaltstack */
        if (x->rsi && !mm_user_ok((void *)x->rsi, 24, true))
            return -L_EFAULT;
        if (x->rsi)
            memset((void *)x->rsi, 0, 24), ((uint32_t *)x->rsi)[2] = 2;  /* SS_DISABLE */
        return 0;
    default:
        *handled = false;
        return 0;
    }
}
