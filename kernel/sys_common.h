/* Decode helpers shared by the syscall glue files (sys_*.c). */
#ifndef KERNEL_SYS_COMMON_H
#define KERNEL_SYS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <veneer/cap.h>
#include "klock.h"
#include "pmem.h"
#include "syscall.h"

struct env;

/* The shared tier (klock.h) runs a call under its space's lock only.  A
 * call that finds it needs more returns SYSCALL_EXCLUSIVE (syscall.h)
 * before it changes anything; under the big lock every call may go on. */
static inline bool sys_tier_ok(bool only_own_space)
{
    return only_own_space || !kernel_shared_held();
}
/* The most pages one shared-tier call takes from the pool. */
#define SYS_SHARED_CALL_PAGES 1024
/* Whether `worst` pages are free for the caller whatever the other CPUs'
 * shared-tier calls take after this check (each at most
 * SYS_SHARED_CALL_PAGES): exact under the big lock, where no one else
 * runs. */
static inline bool sys_pages_free(uint64_t worst)
{
    uint64_t others = kernel_shared_held() ? (cpu_count() - 1) * SYS_SHARED_CALL_PAGES : 0;
    return page_free_count() >= worst + others;
}

/* The live environment named by the caller's env capability ref, which
 * must hold all of `rights`.  Errors: -E_BADCAP, -E_TYPE, -E_PERM,
 * -E_DEAD (gone, dying, or the id reused by an environment this
 * capability's tree does not name). */
int sys_env_target(capref_t ref, unsigned rights, struct env **out);
/* The same for an environment the call charges: CR_WRITE, and CR_CONTROL
 * too unless it is the caller.  Errors: sys_env_target's. */
int sys_env_charged(capref_t ref, struct env **out);
/* A root just made in t's table, as the caller gets it: the root itself if
 * t is the caller, else a child of it in the caller's table (with the
 * references it holds), the root deleted again if that fails. */
long sys_root_to_caller(struct env *t, capref_t root);
/* A child of the caller, or with vcpu a vCPU in its address space, named
 * by a string in user memory; returns its capref.  Errors: env_create's,
 * -E_FAULT (the name). */
long sys_env_new(uint64_t quota, const char *name, bool vcpu);

#endif
