/*
 * User-level threads (see uthread.h).  Every thread's saved state is a
 * struct vn_xframe plus an fxsave area.  A voluntary switch saves the
 * caller with vn_xframe_save(); a preemption arrives as the scheduling
 * upcall, whose frame (and the FPU area vn_upcall_entry saved just below
 * it) is swapped with the next thread's, so the upcall's own epilogue
 * resumes the chosen thread.  `critical` keeps the upcall away from the
 * run queue while the library itself is changing it.
 */
#include "libveneer.h"
#include "uthread.h"
#include "vn.h"

#define STACK_PAGES 16
#define SCHED_STACK_PAGES 4

enum { T_RUNNABLE, T_BLOCKED, T_DONE };

struct vn_thread {
    struct vn_xframe ctx;               /* saved registers while not running */
    uint8_t fpu[512] __attribute__((aligned(16)));
    int state;
    void *(*fn)(void *);
    void *arg, *ret;
    uint64_t stack;                     /* base of its stack (0: main thread) */
    struct vn_thread *next;             /* ring of all threads */
    struct vn_thread *wait_next;        /* mutex/cond wait list */
    struct vn_thread *joiner;
};

uint64_t vn_xframe_save(struct vn_xframe *f) __attribute__((returns_twice));

static struct vn_thread main_thread;
static struct vn_thread *current;
static volatile int critical;           /* library code is changing the ring */
static volatile int pending;            /* a preemption arrived meanwhile */
static uint64_t preemptions;

uint64_t vn_thread_preemptions(void)
{
    return preemptions;
}

/* Next runnable thread after current (current itself if it is the only one). */
static struct vn_thread *pick(void)
{
    struct vn_thread *volatile t = current->next;
    for (; t != current; t = t->next)
        if (t->state == T_RUNNABLE)
            return t;
    return current->state == T_RUNNABLE ? current : NULL;
}

/* Switch away from current (inside the critical section); returns when
 * current runs again, still inside it. */
static void reschedule(void)
{
    struct vn_thread *volatile next = pick();
    if (!next) {
        printf("uthread: every thread is blocked: deadlock\n");
        vn_exit(126);
    }
    if (next == current)
        return;
    struct vn_thread *volatile prev = current;
    __asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
    if (vn_xframe_save(&prev->ctx))
        return;         /* resumed later */
    current = next;
    __asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
    vn_xframe_resume(&next->ctx);
}

static void enter(void)
{
    critical = 1;
}

static void leave(void)
{
    critical = 0;
    if (pending) {
        pending = 0;
        enter();
        reschedule();
        critical = 0;
    }
}

/* The scheduling upcall: the slice ended with `x` interrupted.  Put it
 * back in its thread and continue with the next one. */
static void on_preempt(struct vn_xframe *x)
{
    if (critical) {
        pending = 1;    /* finish the library's work first */
        return;
    }
    struct vn_thread *next = pick();
    if (!next || next == current)
        return;
    uint8_t *fpu = (uint8_t *)x - 512;  /* saved by vn_upcall_entry */
    current->ctx = *x;
    memcpy(current->fpu, fpu, 512);
    current = next;
    *x = next->ctx;
    memcpy(fpu, next->fpu, 512);
    preemptions++;
}

static void start(void)
{
    struct vn_thread *t = current;
    critical = 0;
    vn_thread_exit(t->fn(t->arg));
}

int vn_threads_init(void)
{
    if (current)
        return 0;
    main_thread.state = T_RUNNABLE;
    main_thread.next = &main_thread;
    current = &main_thread;
    uint64_t va = vn_va_reserve(SCHED_STACK_PAGES + 1) + PAGE_SIZE;
    int r = vn_map_fresh(va, SCHED_STACK_PAGES, VM_PROT_WRITE);
    if (r < 0)
        return r;
    vn_sched_handler(on_preempt);
    extern void vn_upcall_entry(void);
    return (int)vn_env_set_upcall(CAP_SELF, UPCALL_SCHED, (uint64_t)vn_upcall_entry, va,
                                  SCHED_STACK_PAGES * PAGE_SIZE);
}

vn_thread_t *vn_thread_create(void *(*fn)(void *), void *arg)
{
    if (vn_threads_init() < 0)
        return NULL;
    enter();
    struct vn_thread *t = vn_alloc_pages((sizeof(struct vn_thread) + PAGE_SIZE - 1) / PAGE_SIZE);
    uint64_t stack = vn_va_reserve(STACK_PAGES + 1) + PAGE_SIZE;    /* guard page below */
    if (!t || vn_map_fresh(stack, STACK_PAGES, VM_PROT_WRITE) < 0) {
        leave();
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->stack = stack;
    t->ctx.rip = (uint64_t)start;
    t->ctx.rsp = stack + STACK_PAGES * PAGE_SIZE - 8;    /* as if just called */
    t->ctx.rflags = 0x202;
    __asm__ volatile("fxsave64 %0" : "=m"(t->fpu));     /* sane control words */
    t->state = T_RUNNABLE;
    t->next = current->next;
    current->next = t;
    leave();
    return t;
}

void vn_thread_yield(void)
{
    enter();
    reschedule();
    leave();
}

void vn_thread_exit(void *ret)
{
    enter();
    current->ret = ret;
    current->state = T_DONE;
    if (current->joiner)
        current->joiner->state = T_RUNNABLE;
    reschedule();
    vn_exit(125);       /* unreachable: a done thread is never picked */
}

void *vn_thread_join(vn_thread_t *t)
{
    enter();
    while (t->state != T_DONE) {
        t->joiner = current;
        current->state = T_BLOCKED;
        reschedule();
    }
    /* Unlink and free. */
    struct vn_thread *p = current;
    while (p->next != t)
        p = p->next;
    p->next = t->next;
    void *ret = t->ret;
    leave();
    vn_unmap_free(t->stack, STACK_PAGES);
    vn_unmap_free((uint64_t)t, (sizeof(struct vn_thread) + PAGE_SIZE - 1) / PAGE_SIZE);
    return ret;
}

static void block_on(struct vn_thread **list)
{
    current->state = T_BLOCKED;
    current->wait_next = NULL;
    struct vn_thread **pp = list;
    while (*pp)
        pp = &(*pp)->wait_next;
    *pp = current;
    reschedule();
}

static void wake_one(struct vn_thread **list)
{
    struct vn_thread *t = *list;
    if (t) {
        *list = t->wait_next;
        t->state = T_RUNNABLE;
    }
}

void vn_mutex_lock(struct vn_mutex *m)
{
    enter();
    while (m->locked)
        block_on(&m->waiters);
    m->locked = 1;
    leave();
}

void vn_mutex_unlock(struct vn_mutex *m)
{
    enter();
    m->locked = 0;
    wake_one(&m->waiters);
    leave();
}

void vn_cond_wait(struct vn_cond *c, struct vn_mutex *m)
{
    enter();
    m->locked = 0;
    wake_one(&m->waiters);
    block_on(&c->waiters);
    while (m->locked)
        block_on(&m->waiters);
    m->locked = 1;
    leave();
}

void vn_cond_signal(struct vn_cond *c)
{
    enter();
    wake_one(&c->waiters);
    leave();
}

void vn_cond_broadcast(struct vn_cond *c)
{
    enter();
    while (c->waiters)
        wake_one(&c->waiters);
    leave();
}
