/*
 * Scheduler: round-robin over the environment table.  For now environments
 * run until they yield, exit or die (time slices arrive with the CPU
 * issue).  When no environment is left the boot is over.
 */
#include "console.h"
#include "env.h"

void sched_run(void)
{
    env_reap();
    struct env *cur = arch_curenv();
    unsigned start = cur ? (unsigned)(cur - envs) + 1 : 0;
    for (unsigned n = 0; n < NENV; n++) {
        struct env *e = &envs[(start + n) % NENV];
        if (e->status == ENV_RUNNABLE)
            env_run(e);
    }
    if (cur && cur->status == ENV_RUNNING)
        env_run(cur);
    /* Nothing can run.  Stopped environments that nobody will start are
     * destroyed, so the leak check sees every page come back. */
    for (unsigned i = 0; i < NENV; i++) {
        if (envs[i].status == ENV_STOPPED) {
            kprintf("env %x (%s) never started; destroyed\n", envs[i].id, envs[i].name);
            env_destroy(&envs[i], -1, 0);
        }
    }
    env_reap();
    kernel_finish();
}
