/*
 * What both sides of the vf suite of make bench share (user/vfbench.c
 * under Veneer, bench/vf/linux_init.c under Linux): the counts, the
 * request size and region, and the page a leader client shares with its
 * background client.  The leader is timed by bench/bench_common.h; the
 * background runs the operation in vfb_ctl.op in a loop, counting each in
 * vfb_ctl.count, and sleeps while op is VFB_OP_IDLE (Veneer: on the
 * notification word wake_cap[its role]; Linux: on a futex on op).
 */
#ifndef BENCH_VF_VFB_H
#define BENCH_VF_VFB_H

#include <stdint.h>

#define VFB_BYTES   4096                /* one request */
#define VFB_REGION  (8u << 20)          /* bytes a client's random offsets fall in */
#define VFB_ITERS   200                 /* operations per sample (quick: 2) */

/* user/vfbench.c's arg0 */
#define VFB_QUICK       0x1
#define VFB_ROLE        0x300
#define VFB_TOP         0x000           /* vfk: the first environment, the leader */
#define VFB_LEADER      0x100           /* vf: the leader, spawned by vfmgr */
#define VFB_BACKGROUND  0x200           /* the background client */

enum { VFB_OP_IDLE = 0, VFB_OP_READ = 1, VFB_OP_WRITE = 2, VFB_OP_STOP = 3 };

struct vfb_ctl {
    uint32_t op;                        /* VFB_OP_*, set by the leader */
    uint32_t pad;
    uint64_t count;                     /* operations the background completed */
    uint64_t wake_cap[2];               /* Veneer: the word's capref, [0] background's, [1] leader's */
    int64_t bg_status;                  /* 0 starting, 1 running, 2 stopped, < 0 its error */
    uint64_t bg_errors;                 /* requests of the background that failed */
};

#endif
