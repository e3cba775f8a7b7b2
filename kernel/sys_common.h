/* Decode helpers shared by the syscall glue files (sys_*.c). */
#ifndef KERNEL_SYS_COMMON_H
#define KERNEL_SYS_COMMON_H

#include <veneer/cap.h>

struct env;

/* The live environment named by the caller's env capability ref, which
 * must hold all of `rights`.  Errors: -E_BADCAP, -E_TYPE, -E_PERM,
 * -E_DEAD (gone, dying, or the id reused by an environment this
 * capability's tree does not name). */
int sys_env_target(capref_t ref, unsigned rights, struct env **out);

#endif
