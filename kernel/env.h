/*
 * Environments: the unit of protection and scheduling.  An environment is
 * an address space, a saved register context and (from the memory issue
 * on) a capability table and upcall entry points.  The kernel keeps no
 * other per-process state: processes, threads and files are the libOS's.
 */
#ifndef KERNEL_ENV_H
#define KERNEL_ENV_H

#include "arch.h"
#include "types.h"
#include "vm.h"

#define NENV 1024               /* environment slots */
#define ENV_NAME_MAX 32

enum env_status {
    ENV_FREE = 0,               /* slot unused */
    ENV_RUNNABLE,               /* waiting for a CPU */
    ENV_RUNNING,                /* on a CPU */
};

struct env {
    struct trapframe tf;        /* saved user context while not running */
    uint8_t fpu[512] __attribute__((aligned(16))); /* fxsave area */
    envid_t id;                 /* generation << 10 | slot; 0 when free */
    enum env_status status;
    struct vm_space vm;
    char name[ENV_NAME_MAX];    /* program name, for logs */
};

/* Create an environment running ELF image (size bytes) with a default
 * stack.  Errors: -E_NOSPC (no free slot), -E_NOMEM, -E_INVAL (bad ELF). */
int env_create_from_elf(const char *name, const void *image, size_t size, struct env **out);
/* Release every resource of e and free its slot; logs nothing. */
void env_destroy(struct env *e);
/* Destroy e after logging one line with the reason. */
void env_kill(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* e ends itself with status (logged); the first environment's status
 * becomes the result of the whole run. */
void env_exit(struct env *e, int status);
/* Result of the run so far: the first environment's exit status, or -1
 * if it was killed or has not exited. */
int env_first_status(void);
/* Run e on this CPU (restores its context); never returns. */
void env_run(struct env *e) __attribute__((noreturn));
/* Number of environments alive. */
unsigned env_count(void);
/* Pick the next runnable environment round-robin and run it; when none is
 * left, finish the boot (kernel_finish).  Never returns. */
void sched_run(void) __attribute__((noreturn));
/* All environments are gone: check for leaked pages and stop. */
void kernel_finish(void) __attribute__((noreturn));

extern struct env envs[NENV];

#endif
