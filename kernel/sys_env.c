/*
 * Syscall glue for the console and environment life cycle.  Each sys_*
 * decodes and checks its arguments, then invokes the mechanism.
 */
#include <veneer/errors.h>
#include "console.h"
#include "env.h"
#include "syscall_decl.h"
#include "user_copy.h"

long sys_null(void)
{
    return 0;
}

long sys_cons_write(const char *buf, size_t len)
{
    char chunk[256];
    if (!user_range_ok((uint64_t)buf, len))
        return -E_FAULT;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
        if (copy_from_user(chunk, (uint64_t)buf + done, n) < 0)
            return -E_FAULT;
        console_write(chunk, n);
        done += n;
    }
    return (long)len;
}

long sys_env_exit(int status)
{
    struct env *e = arch_curenv();
    env_exit(e, status);
    sched_run();
}

long sys_yield(void)
{
    sched_run();
}
