/*
 * User-level threads for Veneer-native programs, built on scheduler
 * activations: when the kernel ends this environment's time slice, the
 * next slice begins in the scheduling upcall with the preempted context,
 * and the library picks which thread continues (preemptive round robin).
 * Mutexes and condition variables block the waiting thread and run
 * another: nobody spins on a preempted holder.  One environment runs on
 * one CPU at a time, so the library needs no atomics, only a critical
 * section against its own upcall.
 */
#ifndef LIBVENEER_UTHREAD_H
#define LIBVENEER_UTHREAD_H

#include <stdint.h>

struct vn_thread;
typedef struct vn_thread vn_thread_t;

struct vn_mutex {
    int locked;
    struct vn_thread *waiters;
};

struct vn_cond {
    struct vn_thread *waiters;
};

#define VN_MUTEX_INIT {0, 0}
#define VN_COND_INIT {0}

/* Turn the calling context into the main thread and take over the
 * scheduling upcall.  Errors: negative E_*. */
int vn_threads_init(void);
/* New runnable thread running fn(arg); NULL if out of memory. */
vn_thread_t *vn_thread_create(void *(*fn)(void *), void *arg);
/* Wait for t to finish; returns fn's result and frees t. */
void *vn_thread_join(vn_thread_t *t);
void vn_thread_yield(void);
void vn_thread_exit(void *ret) __attribute__((noreturn));
/* Preemptive switches done so far (from the scheduling upcall). */
uint64_t vn_thread_preemptions(void);

void vn_mutex_lock(struct vn_mutex *m);
void vn_mutex_unlock(struct vn_mutex *m);
void vn_cond_wait(struct vn_cond *c, struct vn_mutex *m);
void vn_cond_signal(struct vn_cond *c);
void vn_cond_broadcast(struct vn_cond *c);

#endif
