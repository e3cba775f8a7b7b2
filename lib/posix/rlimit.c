/*
 * Resource limits: getrlimit, setrlimit and prlimit64 report the limits
 * the instance really has.  RLIMIT_NOFILE is the descriptor table's size
 * (MAX_FDS), RLIMIT_NPROC the process table's (MAX_PROCS), RLIMIT_STACK
 * the program stack's reach (PSTACK_MAX), RLIMIT_AS, RLIMIT_DATA and
 * RLIMIT_MEMLOCK the environment's page quota as the kernel exposes it
 * (vn_envinfo), which is what an allocation can reach; the rest are
 * unlimited, or 0 where Linux's default is 0 (core, nice, rtprio).  A
 * limit set lower is remembered in the process's private state (so it
 * follows fork and exec, and is what get returns) but is not enforced; a
 * soft limit may not pass the hard one and the hard one may not be
 * raised past the real limit (EPERM), as for an unprivileged process.
 */
#include "posix.h"

#define RLIM_INF   (~0ul)
#define NLIMITS    16
enum { R_CPU, R_FSIZE, R_DATA, R_STACK, R_CORE, R_RSS, R_NPROC, R_NOFILE, R_MEMLOCK, R_AS, R_LOCKS,
       R_SIGPENDING, R_MSGQUEUE, R_NICE, R_RTPRIO, R_RTTIME };

/* The real (hard) limit of resource res. */
static uint64_t rlimit_real(int res)
{
    uint64_t mem = vn_envinfo->quota * PAGE_SIZE;
    switch (res) {
    case R_DATA: case R_AS: case R_MEMLOCK: return mem;
    case R_STACK: return PSTACK_MAX;
    case R_NPROC: return MAX_PROCS;
    case R_NOFILE: return MAX_FDS;
    case R_SIGPENDING: return NSIG_L - 1;       /* one pending instance of each signal */
    case R_MSGQUEUE: return 819200;
    case R_CORE: case R_NICE: case R_RTPRIO: return 0;
    default: return RLIM_INF;
    }
}

static void rlimit_get(int res, uint64_t *out)
{
    uint64_t real = rlimit_real(res);
    out[0] = out[1] = real;
    if (me.rlim_set & (1u << res)) {
        out[0] = me.rlim[res][0] < real ? me.rlim[res][0] : real;
        out[1] = me.rlim[res][1] < real ? me.rlim[res][1] : real;
    }
}

/* prlimit64(pid, res, new, old): pid 0 or the caller's own (another
 * process's limits: EPERM, an unknown pid: ESRCH).  Errors: EINVAL (res
 * out of range, soft above hard), EPERM (a hard limit above the real
 * one), EFAULT.  Nothing is changed unless every check passes. */
long sys_prlimit64(int pid, int res, const uint64_t *nw, uint64_t *old)
{
    if (res < 0 || res >= NLIMITS)
        return -L_EINVAL;
    if ((nw && !mm_user_ok(nw, 16, false)) || (old && !mm_user_ok(old, 16, true)))
        return -L_EFAULT;
    if (pid != 0 && pid != me.pid) {
        shm_lock();
        bool exists = proc_find(pid) != NULL;
        shm_unlock();
        return exists ? -L_EPERM : -L_ESRCH;
    }
    uint64_t cur[2], want[2];
    rlimit_get(res, cur);
    if (nw) {
        memcpy(want, nw, sizeof want);
        if (want[0] > want[1])
            return -L_EINVAL;
        if (want[1] > cur[1])
            return -L_EPERM;
    }
    if (old)
        memcpy(old, cur, sizeof cur);
    if (nw) {
        me.rlim[res][0] = want[0];
        me.rlim[res][1] = want[1];
        me.rlim_set |= 1u << res;
    }
    return 0;
}
