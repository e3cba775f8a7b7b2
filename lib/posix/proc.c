/*
 * Processes without a kernel process abstraction.  A process is an
 * environment running this libOS; its POSIX identity (pid, parent, process
 * group, session, exit status) is an entry of the shared process table.
 *
 * fork: the parent creates a stopped environment running a fresh copy of
 * the libOS (from the boot archive), gives it its own root capabilities to
 * the arena and to every program page (copy-on-write, mm.c), and a
 * hand-off area holding its private state, descriptors and the register
 * frame of the fork call; then starts it.  The child maps what it was
 * given and resumes the frame with rax = 0.
 *
 * Memory policy: a quota is a limit, not a reservation.  A child is made
 * with env_create_shared, so it reserves nothing: each page is charged
 * when it comes, to the child (at most its parent's own limit) and to the
 * one account the whole tree shares (init's quota).  Fork refuses with
 * EAGAIN when the process table or the caller's table of children is
 * full, or when fewer than FORK_RESERVE pages beyond the child's first
 * needs are free, so the processes already running keep room to run; a
 * fork bomb stops there (MAX_PROCS bounds it as RLIMIT_NPROC does).
 *
 * exit: descriptors closed, memory freed, the entry becomes a zombie for
 * the parent's wait4 and children are handed to init (pid 1).  An
 * environment whose children still run lingers, empty, until they end:
 * it owns them in the kernel's hierarchy, so orphans keep running.
 */
#include "posix.h"

#define FORK_RESERVE 4096ul         /* pages (16 MiB) fork leaves free for those running */
#define LIBOS_PAGES 400ul           /* a fresh libOS image, stacks and tables (at most) */
#define HANDOFF_MAGIC 0x6b726f66766e7670ul
#define MAX_KIDS MAX_PROCS

struct handoff {
    uint64_t magic;
    struct proc_local local;
    capref_t shm[SHM_CAPS];
    uint64_t fsbase;
    uint64_t ctid;              /* clone(CLONE_CHILD_SETTID): where the child stores its tid */
    uint8_t fx[512] __attribute__((aligned(16)));
    struct vn_xframe frame;
    uint64_t count;
    struct handoff_page pages[];
};

/* Children environments we own (their root capabilities). */
static struct { int pid; capref_t env; } kids[MAX_KIDS];
static uint64_t handoff_scratch;

struct proc *proc_find(int pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (shared->procs[i].state != P_FREE && shared->procs[i].pid == pid)
            return &shared->procs[i];
    return NULL;
}

void proc_init_first(void)
{
    struct proc *p = &shared->procs[0];
    *p = (struct proc){.state = P_ALIVE, .pid = 1, .ppid = 0, .pgid = 1, .sid = 1,
                       .envid = vn_envinfo->envid, .start_ns = vn_clock_ns()};
    shared->next_pid = 2;
    me.pid = 1;
    me.self = p;
}

/* A process whose environment ended without posix_exit (killed by the
 * kernel, or a libOS that could not start): make it a zombie killed by
 * SIGKILL, as its parent's wait4 expects.  The lock is held. */
static void proc_died(int pid)
{
    struct proc *p = proc_find(pid);
    if (!p || p->state == P_ZOMBIE)
        return;
    for (int i = 0; i < MAX_PROCS; i++)
        if (shared->procs[i].state != P_FREE && shared->procs[i].ppid == pid)
            shared->procs[i].ppid = 1;
    filelock_release_pid(pid);
    sfutex_release_pid(pid);
    struct proc *parent = proc_find(p->ppid);
    p->wstatus = L_SIGKILL;
    p->state = parent && parent->nocldwait ? P_FREE : P_ZOMBIE;
    if (parent) {
        parent->chld_status = L_SIGKILL;
        sig_post(parent, L_SIGCHLD, pid);
    }
    shm_event();
}

/* Delete the roots of children environments that have ended, first
 * accounting for any that ended without exiting. */
void proc_reap_envs(void)
{
    for (int i = 0; i < MAX_KIDS; i++) {
        struct vn_capinfo ci;
        if (kids[i].env > 0 && vn_cap_info(kids[i].env, &ci) == 0 && ci.env_status != 1) {
            shm_lock();
            proc_died(kids[i].pid);
            shm_unlock();
            vn_cap_delete(kids[i].env);
            kids[i].env = 0;
        }
    }
}

static int live_kids(void)
{
    int n = 0;
    proc_reap_envs();
    for (int i = 0; i < MAX_KIDS; i++)
        n += kids[i].env > 0;
    return n;
}

long sys_fork(struct vn_xframe *x)
{
    proc_reap_envs();
    int slot = -1;
    for (int i = 0; i < MAX_KIDS && slot < 0; i++)
        if (kids[i].env <= 0)
            slot = i;
    uint64_t need = mm_pages() + LIBOS_PAGES;
    if (slot < 0 || vn_sysinfo->free_pages < need + FORK_RESERVE)
        return -L_EAGAIN;
    /* A process-table entry. */
    shm_lock();
    struct proc *c = NULL;
    for (int i = 0; i < MAX_PROCS && !c; i++)
        if (shared->procs[i].state == P_FREE)
            c = &shared->procs[i];
    if (!c) {
        shm_unlock();
        return -L_EAGAIN;
    }
    int pid = shared->next_pid++;
    *c = *me.self;
    c->state = P_EMBRYO;
    c->pid = pid;
    c->ppid = me.pid;
    c->sig_pending = 0;
    c->report = 0;
    c->start_ns = vn_clock_ns();
    shm_unlock();
    long r;
    /* The libOS's text comes straight from the archive: we linger until
     * the child is gone, so our mappings of it stay valid (exit). */
    capref_t env = vn_spawn_share_stopped("posix", vn_envinfo->quota, MODE_FORK, (uint64_t)pid, VN_CAP_ARCHIVE,
                                          CR_READ | CR_MAP | CR_GRANT, VN_SPAWN_MAP_TEXT | VN_SPAWN_SHARED);
    if (env < 0) {
        r = env == -E_QUOTA || env == -E_NOMEM ? -L_EAGAIN : -L_ENOMEM;
        goto fail;
    }
    /* The hand-off area: ours while we fill it, then given to the child
     * (page_share: its own root; ours goes), whose start registers carry
     * its capref. */
    uint64_t npages = (sizeof(struct handoff) + (mm_pages() + 16) * sizeof(struct handoff_page)) / PAGE_SIZE + 1;
    if (npages > 512) {
        r = -L_ENOMEM;
        goto fail_env;
    }
    long hc = vn_page_alloc(CAP_SELF, 0, npages);
    if (hc < 0) {
        r = -L_EAGAIN;
        goto fail_env;
    }
    if (!handoff_scratch)
        handoff_scratch = vn_va_reserve(512);
    static struct vn_map_entry batch[512];     /* (not on the 16 KiB upcall stack) */
    for (uint64_t i = 0; i < npages; i++)
        batch[i] = (struct vn_map_entry){handoff_scratch + i * PAGE_SIZE, (capref_t)hc, VM_PROT_WRITE, i};
    if (vn_page_map(CAP_SELF, batch, npages) < 0) {
        vn_cap_delete((capref_t)hc);
        r = -L_ENOMEM;
        goto fail_env;
    }
    struct handoff *h = (struct handoff *)handoff_scratch;
    h->magic = HANDOFF_MAGIC;
    for (int i = 0; i < SHM_CAPS; i++)
        h->shm[i] = (capref_t)vn_cap_grant(shm_caps[i], env, CR_READ | CR_WRITE | CR_MAP | CR_GRANT);
    long n = mm_fork(env, h->pages, (npages * PAGE_SIZE - sizeof(*h)) / sizeof(struct handoff_page));
    bool shm_ok = true;
    for (int i = 0; i < SHM_CAPS; i++)
        shm_ok &= h->shm[i] >= 0;
    h->count = (uint64_t)n;
    h->local = me;
    h->local.pid = pid;
    h->local.self = c;
    h->local.netd_kick = me.netd_kick < 0 ? -1 : (capref_t)vn_cap_grant(me.netd_kick, env, CR_WRITE | CR_GRANT);
    shm_ok &= me.netd_kick < 0 || h->local.netd_kick >= 0;
    /* (Once netd is destroyed its capability may not pass on: the child
     * then learns of netd's death from the table alone.) */
    h->local.netd_env = me.netd_env < 0 ? -1 : (capref_t)vn_cap_grant(me.netd_env, env, CR_READ | CR_CONTROL | CR_GRANT);
    if (h->local.netd_env < 0)
        h->local.netd_env = -1;
    h->local.fsd_kick = me.fsd_kick < 0 ? -1 : (capref_t)vn_cap_grant(me.fsd_kick, env, CR_WRITE | CR_GRANT);
    shm_ok &= me.fsd_kick < 0 || h->local.fsd_kick >= 0;
    h->local.fsd_env = me.fsd_env < 0 ? -1 : (capref_t)vn_cap_grant(me.fsd_env, env, CR_READ | CR_CONTROL | CR_GRANT);
    if (h->local.fsd_env < 0)
        h->local.fsd_env = -1;              /* fsd is gone: the table tells the child */
    h->frame = *x;
    h->frame.rax = 0;
    memcpy(h->fx, (uint8_t *)x - 512, 512);
    __asm__ volatile("rdfsbase %0" : "=r"(h->fsbase));
    /* clone(CLONE_CHILD_SETTID): the child's tid at ctid, in its memory. */
    h->ctid = x->rax == 56 && (x->rdi & 0x01000000) && mm_user_ok((void *)x->r10, 4, true) ? x->r10 : 0;
    if (x->rax == 56 && x->rsi)
        h->frame.rsp = x->rsi;
    long given = n < 0 || !shm_ok ? -1 : vn_page_share((capref_t)hc, env, CR_READ | CR_MAP);
    vn_cap_delete((capref_t)hc);                /* our root (and scratch mapping) go */
    extern void _start(void);
    struct vn_regs regs = {.rip = (uint64_t)_start, .rsp = USER_STACK_TOP, .rdi = MODE_FORK, .rsi = (uint64_t)given};
    if (given < 0 || vn_env_set_regs(env, &regs) < 0) {
        r = -L_EAGAIN;
        goto fail_env;
    }
    shm_lock();
    fd_fork_refs();
    shm_unlock();
    if ((r = vn_env_start(env)) < 0) {
        r = -L_EAGAIN;
        goto fail_env;      /* (descriptor references leak with it; start cannot fail here) */
    }
    kids[slot].pid = pid;
    kids[slot].env = env;
    if (x->rax == 56 && (x->rdi & 0x00100000) && mm_user_ok((void *)x->rdx, 4, true))
        *(int *)x->rdx = pid;       /* CLONE_PARENT_SETTID */
    return pid;
fail_env:
    vn_cap_delete(env);
fail:
    shm_lock();
    c->state = P_FREE;
    shm_unlock();
    return r;
}

/* The child's side: called from main() in a fresh libOS, with its root
 * capability to the hand-off area. */
void proc_fork_child(capref_t handoff) __attribute__((noreturn));
void proc_fork_child(capref_t handoff)
{
    struct vn_capinfo ci;
    if (vn_cap_info(handoff, &ci) < 0 || ci.type != CAP_PAGE || ci.count > 512) {
        printf("posix: fork hand-off missing\n");
        vn_exit(126);
    }
    static struct vn_map_entry batch[512];
    for (uint64_t i = 0; i < ci.count; i++)
        batch[i] = (struct vn_map_entry){HANDOFF_VA + i * PAGE_SIZE, handoff, VM_PROT_READ, i};
    struct handoff *h = (struct handoff *)HANDOFF_VA;
    if (vn_page_map(CAP_SELF, batch, ci.count) < 0 || h->magic != HANDOFF_MAGIC) {
        printf("posix: fork hand-off unreadable\n");
        vn_exit(126);
    }
    shm_attach(h->shm);
    me = h->local;
    thread_fork_child();                        /* only the forking thread lives on */
    me.alarm_ns = me.alarm_interval_ns = 0;     /* timers are not inherited */
    if (mm_adopt(h->pages, h->count) < 0) {
        printf("posix: fork: cannot map the program's pages\n");
        vn_exit(126);
    }
    static struct {
        uint8_t fx[512];
        struct vn_xframe f;
    } __attribute__((aligned(64))) resume;
    memcpy(resume.fx, h->fx, 512);
    resume.f = h->frame;
    uint64_t fsbase = h->fsbase;
    if (h->ctid)
        *(int *)h->ctid = me.pid;       /* a copy-on-write fault, served by mm_fault */
    vn_cap_delete(handoff);             /* the area goes, with its mapping */
    shm_lock();
    me.self->state = P_ALIVE;
    me.self->envid = vn_envinfo->envid;
    shm_unlock();
    __asm__ volatile("wrfsbase %0" : : "r"(fsbase));
    __asm__ volatile("fxrstor64 %0" : : "m"(resume.fx));
    vn_xframe_resume(&resume.f);
}

void posix_exit(int wstatus)
{
    static bool exiting;
    if (thread_cur() != 0)
        thread_group_exit(wstatus);     /* the main thread ends the process (thread.c) */
    thread_kill_others();
    if (exiting)                /* a fault while exiting: give up on the rest */
        vn_exit((wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff);
    exiting = true;
    shm_unlock_if_mine();       /* a fault or signal may end us inside a critical section */
    fd_close_all(false);
    mm_clear();
    shm_lock();
    if (me.cwd)
        fs_node_put(&shared->fs, me.cwd);
    me.cwd = NULL;
    sfutex_release_pid(me.pid);
    struct proc *p = me.self, *parent = proc_find(p->ppid);
    bool orphans_zombie = false;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *k = &shared->procs[i];
        if (k->state != P_FREE && k->ppid == me.pid) {
            k->ppid = 1;
            orphans_zombie |= k->state == P_ZOMBIE;
        }
    }
    p->wstatus = wstatus;
    p->cpu_tsc = vn_envinfo->run_tsc;
    p->state = parent && parent->nocldwait ? P_FREE : P_ZOMBIE;    /* SIGCHLD ignored: no zombie */
    if (parent && parent->state != P_ZOMBIE) {
        parent->chld_status = wstatus;
        sig_post(parent, L_SIGCHLD, me.pid);
    }
    if (orphans_zombie && proc_find(1))
        sig_post(proc_find(1), L_SIGCHLD, me.pid);
    shm_event();
    shm_unlock();
    int code = (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
    if (me.pid == 1) {
        disk_unmount();         /* the disk is clean when the instance ends */
        vn_exit(code);          /* init: the instance ends with it */
    }
    while (live_kids())         /* linger: our environments' children run on */
        vn_env_wait(20000000, NULL, 0, VN_WAIT_NONE);
    vn_exit(code);
}

struct wait_req {
    int pid, options;
    int found;                  /* matching children */
    struct proc *hit;
};

static bool wait_scan(void *arg)
{
    struct wait_req *w = arg;
    w->found = 0;
    w->hit = NULL;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &shared->procs[i];
        if (p->state == P_FREE || p->ppid != me.pid)
            continue;
        if (w->pid > 0 ? p->pid != w->pid : w->pid == 0 ? p->pgid != me.self->pgid
                                                         : w->pid < -1 && p->pgid != -w->pid)
            continue;
        w->found++;
        if (p->state == P_ZOMBIE || (p->report && p->state == P_STOPPED && (w->options & 2)) ||
            (p->report && p->wstatus == 0xffff && p->state == P_ALIVE && (w->options & 8))) {
            w->hit = p;
            return true;
        }
    }
    return w->found == 0;
}

long sys_wait4(int pid, int *status, int options)
{
    if (status && !mm_user_ok(status, 4, true))
        return -L_EFAULT;
    struct wait_req w = {pid, options, 0, NULL};
    for (;;) {
        proc_reap_envs();       /* children that ended without exiting */
        shm_lock();
        bool done = wait_scan(&w);
        if (done && w.hit) {
            struct proc *p = w.hit;
            int st = p->wstatus, rpid = p->pid;
            if (p->state == P_ZOMBIE) {
                me.self->child_cpu_tsc += p->cpu_tsc + p->child_cpu_tsc;
                p->state = P_FREE;
            }
            else
                p->report = 0;
            shm_unlock();
            if (status)
                *status = st;
            return rpid;
        }
        shm_unlock();
        if (done)
            return -L_ECHILD;
        if (options & 1)
            return 0;           /* WNOHANG */
        long r = posix_block(wait_scan, &w, vn_clock_ns() + 50000000);
        if (r < 0 && r != -L_EAGAIN)
            return r;
    }
}

/* Whether some process of session sid leads or belongs to group pgid
 * (caller holds the shm lock). */
static bool group_in_session(int pgid, int sid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (shared->procs[i].state != P_FREE && shared->procs[i].pgid == pgid && shared->procs[i].sid == sid)
            return true;
    return false;
}

/* setpgid(2): ESRCH for a process not us or our child, EPERM as Linux:
 * moving a session leader, a process of another session, or into a group
 * no process of that session is in. */
static long sys_setpgid(int pid, int pgid)
{
    if (pgid < 0)
        return -L_EINVAL;
    shm_lock();
    struct proc *p = pid == 0 ? me.self : proc_find(pid);
    long r = 0;
    if (!p || (p != me.self && p->ppid != me.pid))
        r = -L_ESRCH;
    else if (p->sid == p->pid || p->sid != me.self->sid || (pgid && pgid != p->pid && !group_in_session(pgid, p->sid)))
        r = -L_EPERM;           /* a session leader, another session, or a group of another session */
    else
        p->pgid = pgid ? pgid : p->pid;
    shm_unlock();
    return r;
}

static long sys_uname(char *u)
{
    if (!mm_user_ok(u, 6 * 65, true))
        return -L_EFAULT;
    static const char *const f[6] = {"Linux", "veneer", "6.1.0-veneer", "#1 Veneer POSIX libOS", "x86_64", "(none)"};
    memset(u, 0, 6 * 65);
    for (int i = 0; i < 6; i++)
        memcpy(u + i * 65, f[i], strlen(f[i]));
    return 0;
}

long proc_syscall(struct vn_xframe *x, bool *handled)
{
    *handled = true;
    struct proc *p;
    switch (x->rax) {
    case 57: case 58: return sys_fork(x);
    case 56:
        if (x->rdi & 0x10000)   /* CLONE_THREAD: a thread (thread.c) */
            return thread_clone(x);
        if (x->rdi & 0x100)     /* CLONE_VM without CLONE_THREAD (vfork-style spawns): not supported */
            return -L_ENOSYS;
        return sys_fork(x);
    case 59: return posix_exec(x, (const char *)x->rdi, (char *const *)x->rsi, (char *const *)x->rdx);
    case 60: case 231: posix_exit((int)(x->rdi & 0xff) << 8);
    case 61:
        if (x->r10) {                                   /* rusage: not kept; zeros */
            if (!mm_user_ok((void *)x->r10, 144, true))
                return -L_EFAULT;
            memset((void *)x->r10, 0, 144);
        }
        return sys_wait4((int)x->rdi, (int *)x->rsi, (int)x->rdx);
    case 109: return sys_setpgid((int)x->rdi, (int)x->rsi);
    case 121:
        shm_lock();
        p = x->rdi ? proc_find((int)x->rdi) : me.self;
        shm_unlock();
        return p ? p->pgid : -L_ESRCH;
    case 124:
        shm_lock();
        p = x->rdi ? proc_find((int)x->rdi) : me.self;
        shm_unlock();
        return p ? p->sid : -L_ESRCH;
    case 112:
        if (me.self->pgid == me.pid)
            return -L_EPERM;
        me.self->sid = me.self->pgid = me.pid;
        return me.pid;
    case 63: return sys_uname((char *)x->rdi);
    default:
        *handled = false;
        return 0;
    }
}

void service_mark_down(volatile int *down, int pid)
{
    if (*down)
        return;
    *down = 1;
    for (int i = 0; i < MAX_PROCS; i++)
        if (shared->procs[i].service && shared->procs[i].state == P_ALIVE && shared->procs[i].pid == pid)
            shared->procs[i].state = P_FREE;
    shm_event();
}

bool service_env_dead(capref_t env, uint64_t *next_look)
{
    uint64_t now = vn_clock_ns();
    if (now < *next_look)
        return false;
    *next_look = now + 10000000;
    struct vn_capinfo ci;
    return vn_cap_info(env, &ci) < 0 || ci.env_status != 1;
}
