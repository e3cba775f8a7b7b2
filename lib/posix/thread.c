/*
 * Threads of a POSIX process (clone with CLONE_VM|CLONE_THREAD).
 *
 * Each extra thread is a vCPU environment (env_create_vcpu) of the
 * process's environment: it shares the address space, so the program,
 * the libOS's private state (`me`: descriptors, signal actions) and the
 * arena are the same memory, and it runs on any CPU at once with the
 * others.  It shares the capability table too (the kernel's env_caps):
 * every capability of the process is usable from every thread, and what
 * a thread makes outlives it.  So any thread serves any call: memory
 * calls, fork, clone, files, sockets.  An execve from a thread parks the
 * main thread (main_linger: its environment owns the space), ends the
 * others and runs the new program itself, with the pid as its tid
 * (thread_exec_commit).  A thread serves its own faults (copy-on-write,
 * under the libOS lock).
 *
 * The libOS is entered by one thread of a process at a time: a
 * per-process lock (thread_enter/thread_leave) is held while a call is
 * served and released while it sleeps (posix_block, futex waits).
 * Taking it swaps in the thread's signal mask, so `me.sigmask` is always
 * the running thread's.  Signals posted to the process are taken by the
 * first thread that enters with them unblocked; tgkill posts to one
 * thread's own pending word.
 */
#include "posix.h"

#define T_STACK_PAGES 4
#define T_STACKS      5         /* exception, revoke, sched, syscall upcalls; the start trampoline */
#define T_SPAN        ((T_STACK_PAGES + 1) * PAGE_SIZE)

struct thread threads[MAX_THREADS];
int thread_count = 1;           /* live threads, the main one included */
bool thread_multi;              /* a thread was ever created: the lock is in use */
volatile int thread_group_status = -1;  /* exit_group from a thread: the status for the main one */

static int thread_hi = 1;       /* slots below it may have stacks */
static int leader;              /* the slot whose tid is the pid: 0, or the thread that exec'd */
static int leader_code;         /* the leader's exit code (wait status), once it has exited */
static volatile int exec_slot = -1;     /* a thread's execve in progress (thread_exec_commit) */
static volatile bool main_parked;       /* the main thread left the program to the others */
/* The libOS lock: 0 free, 1 held, 2 held and a thread may sleep on it.
 * A waiter spins a little, then sleeps in env_wait on the word (a 64-bit
 * word, as env_wait reads), and the release wakes sleepers: spinning
 * vCPUs would steal the CPU from the holder (more vCPUs than CPUs). */
static volatile uint64_t big_lock __attribute__((aligned(8)));
static volatile int big_holder = -1;

/* Each thread's user GS base names its slot (the kernel keeps it per
 * environment, and musl's programs leave GS alone), so thread_cur() is
 * one rdgsbase; a program that moved its GS base gets the scan by stack. */
#define T_GS_MAGIC 0x00007e0000000000ul

static void gs_mark(int slot)
{
    __asm__ volatile("wrgsbase %0" : : "r"(T_GS_MAGIC | (uint64_t)slot));
}

int thread_cur(void)
{
    if (!thread_multi)
        return 0;               /* one thread, so the main one (and no scan on every call) */
    uint64_t g;
    __asm__ volatile("rdgsbase %0" : "=r"(g));
    if ((g & ~0xffful) == T_GS_MAGIC && (g & 0xfff) < MAX_THREADS)
        return (int)(g & 0xfff);
    uint64_t sp = (uint64_t)__builtin_frame_address(0);
    for (int i = 1; i < thread_hi; i++)
        if (threads[i].stacks && sp >= threads[i].stacks && sp < threads[i].stacks + T_STACKS * T_SPAN)
            return i;
    return 0;
}

int thread_tid(void)
{
    int t = thread_cur();
    return t ? threads[t].tid : me.pid;
}

static void lock_taken(int t)
{
    big_holder = t;
    me.sigmask = threads[t].sigmask;
}

void thread_enter(void)
{
    if (!thread_multi)
        return;
    int t = thread_cur();
    if (big_holder == t)
        return;
    uint64_t free_ = 0;
    for (unsigned spins = 0; spins < 100; spins++) {
        if (__atomic_compare_exchange_n(&big_lock, &free_, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            lock_taken(t);
            return;
        }
        free_ = 0;
        __builtin_ia32_pause();
    }
    while (__atomic_exchange_n(&big_lock, 2, __ATOMIC_ACQUIRE) != 0)
        vn_env_wait(10000000, (const uint64_t *)&big_lock, 2, VN_WAIT_NE);
    lock_taken(t);
}

bool thread_try_enter(void)
{
    if (!thread_multi)
        return true;
    int t = thread_cur();
    if (big_holder == t)
        return true;
    uint64_t free_ = 0;
    if (!__atomic_compare_exchange_n(&big_lock, &free_, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return false;
    lock_taken(t);
    return true;
}

void thread_leave(void)
{
    if (!thread_multi || big_holder != thread_cur())
        return;
    threads[big_holder].sigmask = me.sigmask;
    big_holder = -1;
    if (__atomic_exchange_n(&big_lock, 0, __ATOMIC_RELEASE) == 2)
        vn_env_wake_word((const uint64_t *)&big_lock);
}

volatile uint64_t *thread_pending(void)
{
    return thread_multi ? &threads[thread_cur()].pending : NULL;
}

/* The new thread's first instructions: its TLS, then the parent's frame
 * with rax 0 on its own stack. */
__attribute__((force_align_arg_pointer, noreturn)) static void thread_start(struct thread *t)
{
    __asm__ volatile("wrfsbase %0" : : "r"(t->tls));
    gs_mark((int)(t - threads));
    vn_xframe_resume(&t->start);
    for (;;)
        ;
}

/* Grow a slot's stacks once; they are reused by later threads of the slot. */
static int slot_stacks(struct thread *t)
{
    if (t->stacks)
        return 0;
    uint64_t va = vn_va_reserve(T_STACKS * (T_STACK_PAGES + 1));
    for (int k = 0; k < T_STACKS; k++)
        if (vn_map_fresh(va + k * T_SPAN + PAGE_SIZE, T_STACK_PAGES, VM_PROT_WRITE) < 0)
            return -L_EAGAIN;
    t->stacks = va;
    if (t - threads >= thread_hi)
        thread_hi = (int)(t - threads) + 1;
    return 0;
}

#define L_CLONE_VM 0x100
#define L_CLONE_FS 0x200
#define L_CLONE_FILES 0x400
#define L_CLONE_SIGHAND 0x800
#define L_CLONE_SETTLS 0x80000
#define L_CLONE_PARENT_SETTID 0x100000
#define L_CLONE_CHILD_CLEARTID 0x200000
#define L_CLONE_CHILD_SETTID 0x1000000
#define L_CLONE_THREAD 0x10000
#define THREAD_NEEDS (L_CLONE_VM | L_CLONE_FS | L_CLONE_FILES | L_CLONE_SIGHAND | L_CLONE_THREAD)

long thread_clone(struct vn_xframe *x)
{
    uint64_t flags = x->rdi, stack = x->rsi, ptid = x->rdx, ctid = x->r10, tls = x->r8;
    if ((flags & THREAD_NEEDS) != THREAD_NEEDS || (flags & 0xff) || !stack || !prog_range(stack - 256, 256))
        return -L_EINVAL;
    if (((flags & L_CLONE_PARENT_SETTID) && !mm_user_ok((void *)ptid, 4, true)) ||
        ((flags & (L_CLONE_CHILD_SETTID | L_CLONE_CHILD_CLEARTID)) && !mm_user_ok((void *)ctid, 4, true)) ||
        ((flags & L_CLONE_SETTLS) && tls >= LIBOS_BASE))
        return -L_EINVAL;
    int slot = 0;
    for (int i = 1; i < MAX_THREADS && !slot; i++)
        if (threads[i].state != T_LIVE)
            slot = i;
    if (!slot)
        return -L_EAGAIN;
    struct thread *t = &threads[slot];
    if (t->state == T_EXITING) {        /* its vCPU may still be on its way out */
        vn_wait(t->env);
        vn_cap_delete(t->env);
        t->state = T_FREE;
    }
    if (slot_stacks(t) < 0)
        return -L_EAGAIN;
    long v = vn_env_create_vcpu(16, "posix-thread");
    if (v < 0)
        return -L_EAGAIN;
    for (unsigned k = 0; k < UPCALL_COUNT; k++) {
        extern void vn_upcall_entry(void);
        if (vn_env_set_upcall((capref_t)v, k, (uint64_t)vn_upcall_entry, t->stacks + k * T_SPAN + PAGE_SIZE,
                              T_STACK_PAGES * PAGE_SIZE) < 0) {
            vn_env_destroy((capref_t)v);
            vn_cap_delete((capref_t)v);
            return -L_EAGAIN;
        }
    }
    shm_lock();
    int tid = shared->next_pid++;
    shm_unlock();
    t->env = (capref_t)v;
    t->tid = tid;
    t->ctid = (flags & L_CLONE_CHILD_CLEARTID) ? ctid : 0;
    t->pending = 0;
    t->sigmask = me.sigmask;
    t->robust = 0;
    t->tls = (flags & L_CLONE_SETTLS) ? tls : 0;
    if (!(flags & L_CLONE_SETTLS))
        __asm__ volatile("rdfsbase %0" : "=r"(t->tls));
    t->start = *x;
    t->start.rax = 0;
    t->start.rsp = stack;
    if (flags & L_CLONE_PARENT_SETTID)
        *(int *)ptid = tid;
    if (flags & L_CLONE_CHILD_SETTID)
        *(int *)ctid = tid;
    if (!thread_multi) {                /* from now on the libOS is entered under the lock */
        gs_mark(0);                     /* the caller is the main thread, the only one */
        threads[0].sigmask = me.sigmask;
        __atomic_exchange_n(&big_lock, 1, __ATOMIC_ACQUIRE);
        big_holder = 0;
        thread_multi = true;
    }
    struct vn_regs regs = {.rip = (uint64_t)thread_start, .rsp = t->stacks + 5 * T_SPAN - 8, .rdi = (uint64_t)t};
    t->state = T_LIVE;
    __atomic_add_fetch(&thread_count, 1, __ATOMIC_RELAXED);
    if (vn_env_set_regs(t->env, &regs) < 0 || vn_env_start(t->env) < 0) {
        t->state = T_FREE;
        __atomic_sub_fetch(&thread_count, 1, __ATOMIC_RELAXED);
        vn_env_destroy(t->env);
        vn_cap_delete(t->env);
        return -L_EAGAIN;
    }
    return tid;
}

bool thread_hold(void)
{
    if (!thread_multi)
        return true;
    bool held = big_holder == thread_cur();
    thread_enter();
    return held;
}

void thread_unhold(bool held)
{
    if (!held)
        thread_leave();
}

uint64_t thread_exit_stack(uint64_t fallback)
{
    int slot = thread_cur();
    return slot ? threads[slot].stacks + T_STACKS * T_SPAN - 8 : fallback;
}

/* CLONE_CHILD_CLEARTID: zero the tid word and wake one waiter (the joiner). */
static void clear_ctid(uint64_t ctid)
{
    if (ctid && mm_user_ok((void *)ctid, 4, true)) {
        __atomic_store_n((int *)ctid, 0, __ATOMIC_RELEASE);
        futex_wake_addr(ctid, 1, ~0u);
    }
}

/* The main thread leaves the program to the others: its environment owns
 * the address space they run in, so it lingers, outside the libOS, until
 * the last of them has gone (the process then ends with the leader's exit
 * code, as Linux reports it) or one ends the group. */
static __attribute__((noreturn)) void main_linger(void)
{
    threads[0].state = T_EXITING;
    main_parked = true;
    while (__atomic_load_n(&thread_count, __ATOMIC_ACQUIRE) > 1 && thread_group_status < 0) {
        thread_leave();
        vn_env_wait(10000000, NULL, 0, VN_WAIT_NONE);
        thread_enter();
    }
    posix_exit(thread_group_status >= 0 ? thread_group_status : leader_code);
}

void thread_exit(int code)
{
    int slot = thread_cur();
    struct thread *t = &threads[slot];
    clear_ctid(t->ctid);
    if (slot == leader)
        leader_code = (code & 0xff) << 8;
    if (slot == 0)
        main_linger();
    t->state = T_EXITING;
    __atomic_sub_fetch(&thread_count, 1, __ATOMIC_RELEASE);
    shm_event();
    thread_leave();
    vn_env_exit(0);
    for (;;)
        ;
}

void thread_group_exit(int wstatus)
{
    int expect = -1;
    __atomic_compare_exchange_n(&thread_group_status, &expect, wstatus, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    shm_lock();
    shm_event();                        /* the main thread may be waiting on the epoch */
    shm_unlock();
    thread_exit(0);
}

void thread_check_group_exit(void)
{
    if (!thread_multi || thread_cur() != 0)
        return;
    if (thread_group_status >= 0)
        posix_exit(thread_group_status);
    if (exec_slot > 0 && !main_parked)
        main_linger();          /* a thread's execve: the new program is its (thread_exec_commit) */
}

/* End the vCPU of slot i and free the slot.  The caller holds the lock. */
static void kill_slot(int i)
{
    struct thread *t = &threads[i];
    vn_env_destroy(t->env);
    vn_wait(t->env);
    vn_cap_delete(t->env);
    t->state = T_FREE;
    t->fwait = false;
}

void thread_exec_commit(void)
{
    int slot = thread_cur();
    if (!thread_multi)
        return;
    if (slot == 0) {
        thread_kill_others();
        return;
    }
    if (slot != leader) {
        int expect = -1;
        if (!__atomic_compare_exchange_n(&exec_slot, &expect, slot, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            thread_exit(0);     /* another thread's execve won: this one ends with the old program */
        /* The main thread parks at its next entry (a call, a preemption, a wake). */
        while (!main_parked) {
            if (thread_group_status >= 0)
                thread_exit(0);
            thread_leave();
            vn_env_wait(1000000, NULL, 0, VN_WAIT_NONE);
            thread_enter();
        }
    }
    for (int i = 1; i < MAX_THREADS; i++)
        if (i != slot && (threads[i].state == T_LIVE || threads[i].state == T_EXITING))
            kill_slot(i);
    thread_count = 2;           /* the parked main thread and this one */
    leader = slot;
    threads[slot].tid = me.pid;
    threads[slot].ctid = 0;
    threads[slot].robust = 0;
    exec_slot = -1;
}

void thread_kill_others(void)
{
    if (!thread_multi || thread_cur() != 0)
        return;
    for (int i = 1; i < MAX_THREADS; i++) {
        struct thread *t = &threads[i];
        if (t->state == T_LIVE || t->state == T_EXITING)
            kill_slot(i);
    }
    thread_count = 1;
    big_holder = -1;
    __atomic_store_n(&big_lock, 0, __ATOMIC_RELEASE);
    thread_multi = false;
}

/* The child of fork: only the forking (main) thread lives on.  The other
 * slots' vCPUs and stacks belong to the parent. */
void thread_fork_child(void)
{
    for (int i = 1; i < MAX_THREADS; i++)
        memset(&threads[i], 0, sizeof(threads[i]));
    threads[0].tid = me.pid;
    threads[0].state = T_LIVE;
    threads[0].pending = 0;
    threads[0].fwait = false;
    thread_count = 1;
    thread_hi = 1;
    thread_group_status = -1;
    leader = 0;
    exec_slot = -1;
    main_parked = false;
    big_holder = -1;
    __atomic_store_n(&big_lock, 0, __ATOMIC_RELEASE);
    thread_multi = false;
}

static long sys_tgkill(int tgid, int tid, int sig)
{
    if (sig < 0 || sig >= NSIG_L || tid <= 0)
        return -L_EINVAL;
    if (tgid == -1 || tgid == me.pid) {
        int slot = -1;
        if (tid == me.pid)
            slot = leader;
        for (int i = 1; i < MAX_THREADS && slot < 0; i++)
            if (threads[i].state == T_LIVE && threads[i].tid == tid)
                slot = i;
        if (slot == 0 && !thread_multi) {
            if (sig == 0)
                return 0;
            shm_lock();
            int r = sig_post(me.self, sig, me.pid);
            shm_unlock();
            return r;
        }
        if (slot >= 0) {
            if (sig)
                __atomic_or_fetch(&threads[slot].pending, SIGBIT(sig), __ATOMIC_RELEASE);
            return 0;
        }
        if (tgid == me.pid)
            return -L_ESRCH;
    }
    /* Another process's main thread. */
    shm_lock();
    struct proc *p = proc_find(tid);
    int r = !p || p->state == P_ZOMBIE || p->service || (tgid != -1 && tgid != tid) ? -L_ESRCH
          : sig ? sig_post(p, sig, me.pid) : 0;
    shm_unlock();
    return r;
}

long thread_syscall(struct vn_xframe *x, bool *handled)
{
    *handled = true;
    int slot = thread_cur();
    switch (x->rax) {
    case 186: return thread_tid();                                  /* gettid */
    case 218:                                                       /* set_tid_address */
        threads[slot].ctid = x->rdi;
        return thread_tid();
    case 273:                                                       /* set_robust_list */
        if (x->rsi != 24)
            return -L_EINVAL;
        threads[slot].robust = x->rdi;
        return 0;
    case 274:                                                       /* get_robust_list */
        if (x->rdi != 0 && (int)x->rdi != thread_tid())
            return -L_ESRCH;
        if (!mm_user_ok((void *)x->rsi, 8, true) || !mm_user_ok((void *)x->rdx, 8, true))
            return -L_EFAULT;
        *(uint64_t *)x->rsi = threads[slot].robust;
        *(uint64_t *)x->rdx = 24;
        return 0;
    case 202: return futex_syscall(x);
    case 234: return sys_tgkill((int)x->rdi, (int)x->rsi, (int)x->rdx);
    case 200: return sys_tgkill(-1, (int)x->rdi, (int)x->rsi);      /* tkill */
    case 60: thread_exit((int)x->rdi); return 0;
    case 231:
        if (slot != 0)
            thread_group_exit(((int)x->rdi & 0xff) << 8);
        *handled = false;
        return 0;
    case 204: {                                                     /* sched_getaffinity */
        uint64_t n = vn_sysinfo->ncpus ? vn_sysinfo->ncpus : 1;
        if (x->rsi < 8 || (x->rsi & 7))
            return -L_EINVAL;
        if (!mm_user_ok((void *)x->rdx, 8, true))
            return -L_EFAULT;
        *(uint64_t *)x->rdx = n >= 64 ? ~0ul : (1ul << n) - 1;
        return 8;
    }
    default:
        *handled = false;
        return 0;
    }
}
