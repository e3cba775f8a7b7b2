/*
 * Environment ABI: upcall frames, mapping batches, and the read-only pages
 * the kernel exposes to every environment (see <veneer/memlayout.h>).
 */
#ifndef VENEER_ENV_H
#define VENEER_ENV_H

#include <stdint.h>
#include <veneer/cap.h>
#include <veneer/xframe_layout.h>

/* An environment id (vn_envinfo.envid, a CAP_ENV's object) is
 * generation << VN_ENV_SLOT_BITS | slot: the slot is its place in the
 * kernel's table, the generation tells its occupants apart. */
#define VN_ENV_SLOT_BITS 14
#define VN_ENV_SLOT(id)  ((uint32_t)(id) & ((1u << VN_ENV_SLOT_BITS) - 1))

/* Upcall kinds for env_set_upcall(). */
#define UPCALL_EXCEPTION 0      /* CPU exceptions raised by the environment */
#define UPCALL_REVOKE    1      /* the kernel asks for pages back */
#define UPCALL_SCHED     2      /* scheduler activation: slice ended / ending */
#define UPCALL_SYSCALL   3      /* a syscall with a foreign number, reflected */
#define UPCALL_COUNT     4

/* Pseudo trap numbers delivered through upcalls (CPU vectors are 0-31). */
#define VN_T_REVOKE     256     /* err = pages asked back */
#define VN_T_PREEMPT    257     /* the frame is the context its last slice ended in */
#define VN_T_SLICE_WARN 258     /* the slice ends in env's warn time */
#define VN_T_SYSCALL    259     /* a reflected syscall: number in rax; set rax to the result */

/* env_wait() predicates on a word of the caller's memory. */
#define VN_WAIT_NONE 0          /* no predicate */
#define VN_WAIT_EQ   1          /* wake when *word == value */
#define VN_WAIT_NE   2          /* wake when *word != value */
/* env_wait() results. */
#define VN_WAKE_TIMEOUT   0
#define VN_WAKE_PREDICATE 1
#define VN_WAKE_NOTIFY    2

#define VN_SHARE_MAX 16         /* most time slices per round an env can hold */

/* Notification words carry 63 bits: bit 63 is reserved (results are signed). */
#define VN_NOTIFY_BITS 0x7fffffffffffffffull

/* Bounds on one call's work, so no call holds the kernel for long: */
#define VN_RANGE_MAX      4096  /* pages one page_unmap / page_protect covers */
#define VN_CONS_WRITE_MAX 1024  /* bytes one cons_write takes (a short write) */

/*
 * Saved state delivered on the upcall stack.  The handler returns to the
 * interrupted code by restoring it itself (lib/libveneer/upcall_entry.S),
 * without entering the kernel.
 */
struct vn_xframe {
    uint64_t trapno;        /* CPU vector or VN_T_* */
    uint64_t err;           /* CPU error code */
    uint64_t addr;          /* faulting address (page faults) */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rip, rflags, rsp;
};

_Static_assert(sizeof(struct vn_xframe) == VN_XF_SIZE && __builtin_offsetof(struct vn_xframe, trapno) == VN_XF_TRAPNO &&
                   __builtin_offsetof(struct vn_xframe, err) == VN_XF_ERR &&
                   __builtin_offsetof(struct vn_xframe, addr) == VN_XF_ADDR &&
                   __builtin_offsetof(struct vn_xframe, r15) == VN_XF_R15 &&
                   __builtin_offsetof(struct vn_xframe, rax) == VN_XF_RAX &&
                   __builtin_offsetof(struct vn_xframe, rip) == VN_XF_RIP &&
                   __builtin_offsetof(struct vn_xframe, rflags) == VN_XF_RFLAGS &&
                   __builtin_offsetof(struct vn_xframe, rsp) == VN_XF_RSP,
               "vn_xframe ABI: <veneer/xframe_layout.h>");

/* Page-fault error-code bits (in vn_xframe.err for trapno 14). */
#define PF_PRESENT 0x1
#define PF_WRITE   0x2
#define PF_USER    0x4
#define PF_EXEC    0x10

/* Registers for env_set_regs(): where a stopped environment starts. */
struct vn_regs {
    uint64_t rip, rsp;
    uint64_t rdi, rsi, rdx, rcx;    /* first arguments */
};

/* Mapping rights (page_map entries, page_protect). */
#define VM_PROT_READ  0x0u
#define VM_PROT_WRITE 0x1u
#define VM_PROT_EXEC  0x2u

/* One entry of a page_map() batch: map page `index` of page cap `cap` at
 * user address `va` with VM_PROT_* rights. */
struct vn_map_entry {
    uint64_t va;
    capref_t cap;
    uint32_t prot;
    uint64_t index;
};

_Static_assert(sizeof(struct vn_map_entry) == 24, "vn_map_entry ABI");

/* Most entries one page_map() call takes. */
#define VN_MAP_BATCH_MAX 512
/* Most repossessed pages the kernel records in vn_envinfo. */
#define VN_REPOSSESS_MAX 64

/* Per-environment read-only page at VN_ENVINFO. */
struct vn_envinfo {
    int32_t  envid;
    int32_t  net_cap;           /* boot environments (init=): the NIC's CAP_NET slot, or -1 */
    uint64_t quota;             /* pages this environment may hold */
    uint64_t held;              /* pages charged to it now */
    uint64_t revoke_request;    /* pages the kernel asks back (0: none) */
    uint64_t revoke_deadline;   /* yields left before the kernel takes them */
    uint64_t repossessed_total; /* pages ever taken by force */
    uint64_t repossessed_count; /* valid entries in repossessed[] (ring) */
    uint64_t repossessed[VN_REPOSSESS_MAX]; /* physical addresses taken */
    uint32_t cpu;               /* CPU it last ran on */
    uint32_t pad1;
    uint64_t slice_end_tsc;     /* when its current slice ends (TSC) */
    uint64_t run_tsc;           /* CPU time received so far (TSC ticks, updated when it stops running) */
};

/* Syscall outcome counters: [number][0] successes, [number][e] -E_e
 * results; saturating.  A cheap path-coverage signal for the fuzzer. */
#define VN_PATH_SYSCALLS 64
#define VN_PATH_RESULTS  24

/* Global read-only page at VN_SYSINFO. */
struct vn_sysinfo {
    uint64_t npages;            /* physical pages tracked (page_info entries) */
    uint64_t free_pages;        /* free right now */
    uint64_t page_info_count;   /* entries at VN_PAGEINFO */
    uint64_t syscalls;          /* syscalls served since boot (lock-free and shared tiers: to their CPU's last tick or big-lock entry) */
    uint64_t tsc_hz;            /* clock: TSC ticks per second ... */
    uint64_t tsc_boot;          /* ... and the TSC at boot: ns = (tsc - boot) * 1e9 / hz */
    uint64_t ncpus;             /* CPUs running environments */
    uint64_t archive_offset;    /* boot archive: byte offset in VN_CAP_ARCHIVE's first page */
    char cmdline[256];          /* the kernel command line, for libOSes that take options from it */
    uint64_t rtc_boot_sec;      /* wall clock at tsc_boot: seconds since 1970 (UTC), 0 if unknown */
    uint64_t ndevices;          /* first environment: device capabilities from VN_CAP_DEV_FIRST */
    int64_t net_cap;            /* first environment: the NIC's CAP_NET slot, or -1 */
    int64_t blk_cap;            /* first environment: the first root extent (CAP_BLK), or -1 */
    uint64_t nblk;              /* ... and how many (one per namespace, consecutive slots) */
    uint16_t paths[VN_PATH_SYSCALLS][VN_PATH_RESULTS];
};

_Static_assert(sizeof(struct vn_sysinfo) <= 4096, "vn_sysinfo fits its page");

/* One record per physical page at VN_PAGEINFO (indexed by frame number). */
struct vn_page_info {
    int32_t  owner;             /* envid charged for it; 0 free or kernel */
    uint16_t refs;              /* root capabilities + mappings naming it */
    uint16_t flags;             /* VN_PI_* */
};

#define VN_PI_KERNEL 0x1        /* kernel or firmware memory: never handed out */
#define VN_PI_FREE   0x2        /* in the free pool */

_Static_assert(sizeof(struct vn_page_info) == 8, "vn_page_info ABI");

#endif
