/*
 * Environments: the unit of protection and scheduling.  An environment is
 * an address space, a saved register context, a capability table, a page
 * quota and a set of upcall entry points.  The kernel keeps no other
 * per-process state: processes, threads and files are the libOS's.
 *
 * Life cycle: created empty and stopped by a parent holding the resulting
 * root capability (or by the kernel at boot), filled from user space,
 * started, and destroyed when it exits, faults without a handler, is
 * killed through a capability with CR_CONTROL, or its root capability is
 * deleted.  Destruction is queued and done by env_reap(), so deleting a
 * capability never recurses into another environment's teardown.
 */
#ifndef KERNEL_ENV_H
#define KERNEL_ENV_H

#include <veneer/dev.h>
#include <veneer/env.h>
#include "arch.h"
#include "cap.h"
#include "klock.h"
#include "types.h"
#include "vm.h"

/* Environment slots: all the ids can name.  The fuzzing kernel keeps 1,024,
 * so that its slot-reuse sequences (user/fuzz_seq.h, churn) come round to
 * a given slot within a thousand creations. */
#ifdef VENEER_FUZZ
#define NENV 1024
#else
#define NENV (1u << VN_ENV_SLOT_BITS)
#endif
#define ENV_NAME_MAX 32
#define REVOKE_DEADLINE 16      /* yields a libOS gets to give pages back */
#define ENV_MIN_QUOTA 8         /* pages an empty environment costs (info, tables, caps) */

/* What a SLEEPING environment waits for.  Exactly one, always set with
 * the status (sched_block) and cleared when it leaves (sched_unblock,
 * sched_cancel_wait), which also undoes every link the wait made. */
enum env_wait {
    WAIT_NONE = 0,              /* not sleeping */
    WAIT_SLEEP,                 /* env_wait: timeout, predicate or env_wake */
    WAIT_IPC_RECV,              /* ipc_recv: for a call */
    WAIT_IPC_QUEUED,            /* ipc_call: on ipc_callee's ipc_queue */
    WAIT_IPC_REPLY,             /* ipc_call: served by ipc_callee, for its reply */
    WAIT_NOTIFY,                /* notify_wait: on the word e->notify_wait */
};

enum env_status {
    ENV_FREE = 0,               /* slot unused */
    ENV_STOPPED,                /* created, not started */
    ENV_RUNNABLE,               /* waiting for a CPU */
    ENV_RUNNING,                /* on a CPU */
    ENV_SLEEPING,               /* blocked: what for is e->wait (sched.c) */
    ENV_DYING,                  /* queued for env_reap() */
};

struct env_upcall {
    uint64_t entry;             /* user address of the handler; 0: none */
    uint64_t stack_base;        /* upcall stack [base, top) */
    uint64_t stack_top;
    uint64_t frame;             /* where its vn_xframe goes: inside the stack, 16-aligned */
};

struct env {
    struct trapframe tf;        /* saved user context while not running */
    struct arch_env_state arch; /* FPU/SSE and segment bases (machine layer) */
    envid_t id;                 /* generation << VN_ENV_SLOT_BITS | slot; 0 when free */
    enum env_status status;
    int cpu;                    /* CPU running it, or -1 */
    struct vm_space *vm;        /* its address space: vm_own, or its owner's */
    struct vm_space vm_own;
    struct env *space_owner;    /* vCPU: the environment whose space it shares */
    unsigned vcpus;             /* vCPUs alive that share this one's space */
    bool preempted;             /* its slice ended: scheduling upcall due */
    bool warned;                /* slice-end warning given for this slice */
    uint32_t share;             /* time slices per round (1..VN_SHARE_MAX) */
    uint64_t warn_ns;           /* warn this long before the slice ends (0: no) */
    enum env_wait wait;         /* SLEEPING: what for (WAIT_NONE otherwise) */
    long wait_timeout_rv;       /* what the blocked call returns on its timeout */
    uint64_t wake_tsc;          /* sleeping: wake at this TSC (0: no timeout) */
    uint64_t run_start;         /* TSC when it last started running */
    uint64_t wait_va, wait_value;   /* sleeping: predicate on a word */
    unsigned wait_op;           /* VN_WAIT_* (VN_WAIT_NONE: no predicate) */
    paddr_t wait_pa;            /* predicate: the word's physical address when it began */
    uint32_t timer_ix;          /* sleeping with a timeout: its place in sched.c's heap + 1 (0: none) */
    struct env *w_next, *w_prev;    /* predicate: link in sched.c's bucket of wait_pa */
    struct env *ipc_callee;     /* WAIT_IPC_QUEUED/REPLY: the env it calls */
    struct env *ipc_caller;     /* serving a call: its caller (may itself call meanwhile) */
    envid_t ipc_caller_id;      /* to notice that caller died or gave up */
    struct env *ipc_queue;      /* callers in WAIT_IPC_QUEUED on this env, FIFO */
    struct env *ipc_next;       /* link in the callee's ipc_queue */
    uint64_t ipc_timeout_ns;    /* reply timeout for its calls (0: none) */
    uint64_t ipc_msg[4];        /* a queued caller's message */
    capref_t ipc_xfer;          /* a queued caller's capability, or -1 */
    uint64_t ipc_badge;         /* a queued caller's endpoint badge */
    struct notify *notify_wait; /* WAIT_NOTIFY: the word */
    uint64_t nnotify;           /* notification words it created (charged per 128) */
    struct captable caps;
    struct spinlock space_lock; /* the shared tier's, of a space owner (klock.h) */
    struct cap *root;           /* the root capability naming this env */
    struct cap kernel_root;     /* storage for root when the kernel created it */
    envid_t parent;             /* creator (0: the kernel) */
    uint64_t quota;             /* pages it may be charged for */
    uint64_t held;              /* pages charged now (user pages + its kernel pages) */
    struct env *acct;           /* env_create_shared: the account it also charges (NULL once that died) */
    bool shared;                /* made by env_create_shared: nothing reserved from its parent */
    uint32_t nsharers;          /* an account: environments whose acct it is */
    uint64_t acct_held;         /* an account: pages its sharers hold, against its quota too */
    uint64_t nbindings;         /* binding records in its address space */
    void **bind_index;          /* its bindings by virtual address (bind_index.c) */
    struct io_grant {
        struct cap *cap;        /* the I/O register capability (NULL: free) */
        uint16_t port, n;       /* ports [port, port + n) */
        struct io_grant *next;  /* list in cap->bindings */
        struct env *env;
    } io[VN_IO_RANGES];         /* ports it may use (dev_ports) */
    uint32_t io_gen;            /* bumped on every change of io[], for the machine layer */
    struct vn_envinfo *info;    /* exposed read-only at VN_ENVINFO */
    paddr_t info_pa;
    struct env_upcall upcall[UPCALL_COUNT];
    bool revoke_upcall_due;     /* deliver UPCALL_REVOKE when next run */
    int exit_state;             /* for the root cap: 0 exited, -1 killed */
    int exit_status;
    struct env *reap_next;      /* destruction queue */
    struct env *q_next, *q_prev;    /* the run queue, or a predicate sleeper's poll list (sched.c) */
    char name[ENV_NAME_MAX];    /* program name, for logs */
};

extern struct env envs[NENV];
/* syscall_entry (trapentry.S) pushes a call's frame straight into its env. */
_Static_assert(__builtin_offsetof(struct env, tf) == 0 && sizeof(struct trapframe) == 22 * 8 && _Alignof(struct env) % 16 == 0,
               "trapentry.S TF_SIZE; the CPU aligns rsp0 to 16");

/* Set up the capability hooks; call once at boot. */
void env_init(void);
/* Create a stopped, empty environment with the given quota: with its own
 * address space, or a vCPU in space's (page tables and bindings stay
 * charged to the space's owner).  The root capability goes into parent's
 * table (*ref) or, for parent == NULL, is held by the kernel.  The parent
 * is charged `quota` until the child dies.  Errors: -E_QUOTA (quota below
 * ENV_MIN_QUOTA or beyond the parent's), -E_NOSPC (no slot), -E_NOMEM. */
int env_create(struct env *parent, struct env *space, uint64_t quota, const char *name, struct env **out,
               capref_t *ref);
/* Like env_create (no space), but reserve nothing: quota is only a limit.
 * Every page the child is charged is also charged, when it is charged, to
 * the account of the parent's address space (its owner's quota, or the
 * account that owner shares), so a whole tree of such children shares one
 * quota.  Errors: env_create's; -E_QUOTA also for a limit above the
 * parent's own quota. */
int env_create_shared(struct env *parent, uint64_t quota, const char *name, struct env **out, capref_t *ref);
/* Give t count fresh pages (the one at paddr, if not 0, for count 1) under
 * a new root page capability in its table, charged to it.  Errors:
 * -E_QUOTA, -E_NOMEM, -E_NOSPC and page_give's (-E_RANGE, -E_BUSY). */
int env_page_root(struct env *t, paddr_t paddr, uint64_t count, capref_t *ref);
/* The environment that owns e's address space (e itself unless a vCPU). */
static inline struct env *env_space(struct env *e)
{
    return e->space_owner ? e->space_owner : e;
}
/* The capability table e's references name: its space owner's.  A vCPU
 * has a table of its own only for its self capability (slot CAP_SELF), so
 * whatever a thread of a space makes or receives belongs to the space and
 * outlives the thread; the thread's own charges (its environment) stay in
 * its reservation. */
static inline struct captable *env_caps(struct env *e)
{
    return &env_space(e)->caps;
}
/* cap_lookup of e's reference ref: slot CAP_SELF in e's own table (a
 * vCPU's self is itself), every other slot in env_caps(e).  Errors:
 * cap_lookup's. */
static inline int env_cap_lookup(struct env *e, capref_t ref, unsigned type, unsigned rights, struct cap **out)
{
    return cap_lookup(CAPREF_SLOT(ref) == CAP_SELF ? &e->caps : env_caps(e), ref, type, rights, out);
}
/* Kernel-started program (e from env_create with no parent): load the ELF
 * image, give it a default stack and make it runnable.  On error e is
 * destroyed.  Errors: -E_INVAL (bad image), -E_NOMEM, -E_QUOTA. */
int env_load_elf(struct env *e, const void *image, size_t size);
/* Map a fresh zeroed page owned by e at va (or widen the rights of the
 * page already there) and return its kernel address.  For loaders. */
void *env_map_fresh_page(struct env *e, vaddr_t va, unsigned prot, int *err);
/* Live environment with this id, or NULL. */
static inline struct env *env_lookup(envid_t id)
{
    struct env *e = &envs[VN_ENV_SLOT(id) & (NENV - 1)];
    return id > 0 && e->id == id && e->status != ENV_FREE ? e : NULL;
}
/* Queue e for destruction (state: 0 exited, -1 killed), then env_reap(). */
void env_destroy(struct env *e, int state, int status);
/* Destroy every queued environment. */
void env_reap(void);
/* Whether env_reap has anything to do. */
bool env_reap_pending(void);
/* Destroy e after logging one line with the reason. */
void env_kill(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* e ends itself with status (logged). */
void env_exit(struct env *e, int status);
/* Result of the run: the first environment's exit status, or -1. */
int env_first_status(void);
/* Quota accounting.  env_charge fails with -E_QUOTA past e's quota or its
 * account's; env_room is how many pages it may still be charged. */
int env_charge(struct env *e, uint64_t pages);
uint64_t env_room(struct env *e);
void env_uncharge_env(struct env *e, uint64_t pages);
/* A zeroed page charged to e, or 0 with *err: -E_QUOTA, -E_NOMEM. */
paddr_t env_page_alloc(struct env *e, int *err);
/* Free a page of env_page_alloc and its charge. */
void env_page_free(struct env *e, paddr_t pa);
/* Change e's quota.  Raising it reserves pages from the parent (-E_QUOTA);
 * lowering it below what e holds starts the revocation protocol: an
 * UPCALL_REVOKE asking for the difference, then repossession by force
 * after REVOKE_DEADLINE yields. */
int env_set_quota(struct env *e, uint64_t quota);
/* Bookkeeping on each kernel entry from e (revocation requests met). */
void env_on_entry(struct env *e);
/* e gives up the CPU (a yield, a sleep, or a slice lost to preemption):
 * one step closer to its revocation deadline, after which its pages are
 * repossessed. */
void env_on_yield(struct env *e);
/* Deliver an upcall of `kind` to e, describing the event in the frame.
 * Returns false (caller kills e) if no handler is set, the handler stack
 * is unusable, or e faulted inside its own handler. */
bool env_upcall(struct env *e, unsigned kind, uint64_t trapno, uint64_t err, uint64_t addr);
/* The same on frame tf instead of e->tf (the syscall fast path's). */
bool env_upcall_tf(struct env *e, struct trapframe *tf, unsigned kind, uint64_t trapno, uint64_t err,
                   uint64_t addr);
/* Change e's status, keeping the scheduler's queues in step: the run
 * queue holds exactly the RUNNABLE environments (FIFO), the sleep list
 * the SLEEPING ones.  Every status change goes through here. */
void env_set_status(struct env *e, enum env_status s);
/* After a syscall: resume e directly if nothing else needs doing (the
 * common case), else fall back to env_run.  Never returns. */
void env_return(struct env *e) __attribute__((noreturn));
/* e stops running on this CPU (it stays runnable unless it was not). */
void env_switch_out(struct env *e);
/* Run e on this CPU (restores its context, releases the kernel lock);
 * never returns. */
void env_run(struct env *e) __attribute__((noreturn));
/* Number of environments alive. */
unsigned env_count(void);
/* Pick the next runnable environment round-robin and run it; idle when
 * none is; when none is left at all, finish the boot (kernel_finish).
 * Never returns.  See sched.h for the rest of the scheduler. */
void sched_run(void) __attribute__((noreturn));
/* All environments are gone: check for leaked pages and stop. */
void kernel_finish(void) __attribute__((noreturn));

#endif
