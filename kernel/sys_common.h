/* Decode helpers shared by the syscall glue files (sys_*.c). */
#ifndef KERNEL_SYS_COMMON_H
#define KERNEL_SYS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <veneer/cap.h>

struct env;

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
