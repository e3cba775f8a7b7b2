/*
 * The child the environment tests spawn; what it does is chosen by its
 * first argument (rdi) and tuned by the second (rsi).
 */
#include "check.h"

enum {
    CHILD_EXIT = 0,         /* exit(arg) */
    CHILD_FAULT = 1,        /* touch NULL with no handler: killed */
    CHILD_HOG = 2,          /* fill the quota; arg 1: give pages back when asked */
    CHILD_SPIN = 3,         /* yield forever */
    CHILD_GRANTED = 4,      /* map granted page arg, watch it until it is revoked */
    CHILD_HANDLER_FAULT = 5,/* its fault handler faults */
    CHILD_BAD_STACK = 6,    /* upcall stack unmapped */
    CHILD_ALLOC = 7,        /* allocate and touch arg pages; exit 0 if all worked */
    CHILD_SPIN_COUNT = 8,   /* count in shared[arg] without ever yielding, until shared[63] */
    CHILD_LATE_WRITE = 9,   /* after ~30 ms, shared[0] = 42 */
    CHILD_SLEEP = 10,       /* env_wait with nothing but env_wake to end it; exit with its result */
    CHILD_ATOMIC = 11,      /* arg = idx << 32 | n: n atomic increments of shared[0]; CPUs seen in shared[8 + idx] */
    CHILD_PINGPONG = 12,    /* forever: yield_to the environment in VN_CAP_SPAWN_SHARE */
};

/* Hidden from the optimizer, which would reject constant wild pointers. */
static volatile int *volatile wild = (volatile int *)16;

static uint64_t hog_base;
static volatile uint64_t *shared;   /* the parent's page in VN_CAP_SPAWN_SHARE, if any */

static void map_shared(void)
{
    uint64_t va = vn_va_reserve(1);
    struct vn_map_entry m = {va, VN_CAP_SPAWN_SHARE, VM_PROT_WRITE, 0};
    if (vn_page_map(CAP_SELF, &m, 1) == 1)
        shared = (volatile uint64_t *)va;
}
static volatile uint64_t hog_pages, released;

static void give_back(uint64_t npages)
{
    while (npages-- && hog_pages) {
        hog_pages--;
        vn_unmap_free(hog_base + hog_pages * PAGE_SIZE, 1);
        released++;
    }
}

/* A hostile revoke handler: never gives anything back, never returns. */
static void stall_in_handler(uint64_t npages)
{
    (void)npages;
    for (;;) {
        vn_yield();
        if (vn_envinfo->repossessed_total) {
            printf("child: repossessed while stalling in the revoke handler\n");
            vn_exit(30);
        }
    }
}

static bool revoked_fault(struct vn_xframe *x)
{
    (void)x;
    vn_exit(7);
}

static bool faulting_handler(struct vn_xframe *x)
{
    (void)x;
    *wild = 1;     /* fault again, inside the handler */
    return true;
}

int main(uint64_t mode, uint64_t arg);
int main(uint64_t mode, uint64_t arg)
{
    switch (mode) {
    case CHILD_EXIT:
        return (int)arg;
    case CHILD_FAULT:
        return wild[-4];
    case CHILD_HOG:
        vn_upcalls_init();
        if (arg == 1 || arg == 2)
            vn_revoke_handler(arg == 2 ? stall_in_handler : give_back);
        map_shared();               /* before the quota is full */
        hog_base = vn_va_reserve(100000);
        while (vn_map_fresh(hog_base + hog_pages * PAGE_SIZE, 1, VM_PROT_WRITE) == 0)
            hog_pages++;
        printf("child: hog holds %lu pages (quota %lu)\n", hog_pages, vn_envinfo->quota);
        if (shared)
            shared[1] = 1;          /* tell the parent we are full */
        if (arg == 3) {             /* never enter the kernel again: only preemption happens */
            while (!vn_envinfo->repossessed_total)
                ;
            printf("child: repossessed without ever entering the kernel\n");
            return 40;
        }
        for (;;) {
            vn_yield();
            if (released && vn_envinfo->revoke_request == 0 && vn_envinfo->held <= vn_envinfo->quota) {
                printf("child: gave back %lu pages when asked\n", released);
                return 10;
            }
            if (vn_envinfo->repossessed_total) {
                printf("child: kernel repossessed %lu pages, first at %lx\n", vn_envinfo->repossessed_total,
                       vn_envinfo->repossessed[0]);
                return 20;
            }
        }
    case CHILD_SPIN:
        for (;;)
            vn_yield();
    case CHILD_GRANTED:
        vn_upcalls_init();
        map_shared();
        if (!shared)
            return 98;
        vn_pgfault_register(revoked_fault);
        shared[1] = 1;              /* mapped: the parent may revoke now */
        for (;;) {
            if (shared[0] != 0x1234)
                return 99;
            vn_yield();
        }
    case CHILD_HANDLER_FAULT:
        vn_upcalls_init();
        vn_pgfault_register(faulting_handler);
        return *wild;
    case CHILD_BAD_STACK:
        vn_env_set_upcall(CAP_SELF, UPCALL_EXCEPTION, 0x401000, 0x500000000ul, 4 * PAGE_SIZE);
        return *wild;
    case CHILD_SPIN_COUNT:
        map_shared();
        while (!shared[63]) {
            shared[arg]++;
            shared[32 + arg] = vn_envinfo->run_tsc;     /* CPU time the kernel gave us */
        }
        return 0;
    case CHILD_LATE_WRITE: {
        map_shared();
        uint64_t until = vn_clock_ns() + 30000000;
        while (vn_clock_ns() < until)
            ;
        shared[0] = 42;
        return 0;
    }
    case CHILD_SLEEP:
        return (int)vn_env_wait(0, NULL, 0, VN_WAIT_NONE);
    case CHILD_ATOMIC: {
        map_shared();
        uint64_t idx = arg >> 32, n = arg & 0xffffffff, seen = 0;
        /* Barrier: start counting only when every child is running, so
         * the counting really happens on several CPUs at once. */
        __atomic_fetch_add(&shared[1], 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&shared[1], __ATOMIC_SEQ_CST) < shared[2])
            seen |= 1ul << vn_envinfo->cpu;
        for (uint64_t i = 0; i < n; i++) {
            __atomic_fetch_add(&shared[0], 1, __ATOMIC_RELAXED);
            if (i % 1024 == 0)
                seen |= 1ul << vn_envinfo->cpu;
        }
        shared[8 + idx] = seen | 1ul << vn_envinfo->cpu;
        return 0;
    }
    case CHILD_PINGPONG:
        for (;;)
            vn_yield_to(VN_CAP_SPAWN_SHARE);
    case CHILD_ALLOC: {
        volatile char *p = vn_alloc_pages(arg);
        if (!p) {
            printf("child: cannot allocate %lu pages (held %lu, quota %lu)\n", arg, vn_envinfo->held,
                   vn_envinfo->quota);
            return 1;
        }
        for (uint64_t i = 0; i < arg; i++)
            p[i * PAGE_SIZE] = 1;
        return 0;
    }
    }
    return 100;
}
