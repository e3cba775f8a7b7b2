/*
 * Per-CPU data, reached through %gs in the kernel (swapgs on every entry
 * from and exit to user mode).  The first fields are read by assembly.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#define PERCPU_KSTACK   8
#define PERCPU_USER_RSP 16
#define PERCPU_REFLECT_ENTRY 24
#define PERCPU_TF_TOP   32
#define PERCPU_CURENV   40

#ifndef __ASSEMBLER__
#include <stdint.h>

struct env;

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct vm_space;

#define IOBM_BYTES  8192        /* one bit per port, 65536 ports */
#define IOBM_RANGES 4           /* = VN_IO_RANGES */

/* Fields are touched only by their own CPU, except where noted. */
struct percpu {
    struct percpu *self;    /* 0: for %gs:0 loads */
    uint64_t kstack_top;    /* 8: stack for syscall/interrupt entry */
    uint64_t user_rsp;      /* 16: scratch for the syscall entry path */
    uint64_t reflect_entry; /* 24: the upcall entry the reflection tier returns to */
    uint64_t tf_top;        /* 32: the end of curenv->tf, where syscalls and user-mode traps
                             * push their frame (also the TSS's rsp0; the last env's while none) */
    struct env *curenv;     /* 40: environment running on this CPU, or NULL (BKL) */
    struct env *fpu_env;    /* whose state the FPU registers hold, or NULL */
    struct vm_space *loaded_vm; /* user address space in CR3, or NULL (BKL) */
    uint32_t id;            /* index in cpus[] */
    uint32_t apic_id;
    volatile uint32_t tlb_pending;  /* set by a shootdown sender, cleared here */
    volatile uint32_t started;      /* AP has come up */
    bool idle;              /* halted in the idle loop (BKL) */
    uint64_t ticks;         /* timer interrupts taken */
    uint64_t nolock_calls;  /* lock-free null calls not yet in vn_sysinfo.syscalls (trap.c) */
    struct tss tss;
    uint8_t iobm[IOBM_BYTES + 1];   /* the TSS's I/O permission bitmap (0: allowed), then 0xff */
    const struct env *io_env;       /* whose ports iobm opens ... */
    uint32_t io_gen;                /* ... as of this io_gen of it */
    uint16_t io_open[IOBM_RANGES][2];   /* open ranges (port, count), to close them again */
    bool io_any;                    /* some range of io_open is open */
    uint64_t gdt[7];
} __attribute__((aligned(64)));

#define MAX_CPUS 16
extern struct percpu cpus[MAX_CPUS];
extern unsigned ncpus;

_Static_assert(__builtin_offsetof(struct percpu, kstack_top) == PERCPU_KSTACK, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, curenv) == PERCPU_CURENV &&
                   __builtin_offsetof(struct percpu, tf_top) == PERCPU_TF_TOP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, reflect_entry) == PERCPU_REFLECT_ENTRY, "percpu");

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Set up GDT, TSS, IDT, syscall MSRs and CPU features on this CPU, whose
 * index is idx and kernel stack top kstack. */
void cpu_init_one(unsigned idx, uint64_t kstack, uint64_t ist_base);
#endif

#endif
