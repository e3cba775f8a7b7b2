/*
 * Scheduler: round-robin over the environment table.  For now environments
 * run until they yield, exit or die (time slices arrive with the CPU
 * issue).  When no environment is left the boot is over.
 */
#include "env.h"

void sched_run(void)
{
    struct env *cur = arch_curenv();
    unsigned start = cur ? (unsigned)(cur - envs) + 1 : 0;
    for (unsigned n = 0; n < NENV; n++) {
        struct env *e = &envs[(start + n) % NENV];
        if (e->status == ENV_RUNNABLE)
            env_run(e);
    }
    if (cur && cur->status == ENV_RUNNING)
        env_run(cur);
    kernel_finish();
}
