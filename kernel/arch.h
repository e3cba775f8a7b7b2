/*
 * The interface between portable kernel code and the machine layer.  Each
 * function is implemented in kernel/arch/<arch>/.
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <veneer/env.h>
#include "types.h"
#include "arch_types.h"        /* kernel/arch/$(ARCH)/: opaque machine types */

struct env;

#define EXIT_PASS  0    /* isa-debug-exit value: QEMU exits with 1 */
#define EXIT_FAIL  1    /* QEMU exits with 3 */
#define EXIT_PANIC 2    /* QEMU exits with 5 */

/* Boot-CPU descriptor tables, syscall entry and protection features. */
void cpu_init(void);
/* Mask the legacy interrupt controller. */
void pic_disable(void);
/* Stop the machine: QEMU's isa-debug-exit with code, else halt forever. */
void arch_halt(int code) __attribute__((noreturn));
/* Environment running on this CPU, or NULL: arch_curenv(), inline in
 * arch_types.h, as is arch_tsc(). */
void arch_set_curenv(struct env *e);
/* Fresh user context entering at rip with stack pointer rsp. */
void arch_context_init(struct trapframe *tf, uint64_t rip, uint64_t rsp);
/* Describe tf (plus the event) in an upcall frame. */
void arch_xframe_fill(const struct trapframe *tf, struct vn_xframe *x, uint64_t trapno, uint64_t err,
                      uint64_t addr);
/* Redirect tf to an upcall handler: rip = entry, rsp = rdi = frame. */
void arch_context_enter_upcall(struct trapframe *tf, uint64_t entry, uint64_t frame);
/* Inline in arch_types.h, for the switch path: arch_ipc_set_msg(tf, rv, m,
 * extra, badge), an IPC message arriving in tf; arch_context_set_return(tf,
 * v) and arch_context_get_return(tf), the value a syscall returns when tf
 * resumes. */
/* Reset values of a new environment's FPU/SSE and segment-base state. */
void arch_env_state_init(struct arch_env_state *a);
/* The first two arguments a program's entry point receives. */
void arch_context_set_args(struct trapframe *tf, uint64_t a0, uint64_t a1);
/* Set the start registers of a stopped environment. */
void arch_context_set_regs(struct trapframe *tf, const struct vn_regs *r);
/* User stack pointer saved in tf. */
uint64_t arch_context_sp(const struct trapframe *tf);
/* Return to user mode in the given context; never returns. */
void arch_context_resume(struct env *e) __attribute__((noreturn));
/* Whether e, entered by syscall with frame tf on this CPU, may return with
 * sysretq from tf as it stands: tf's rip is a user address and this
 * CPU's I/O bitmap is still e's. */
bool arch_context_fast_ok(struct env *e, const struct trapframe *tf);
/* e stops running here: save its FPU/SSE state.  e starts running here:
 * load it, unless the registers still hold it. */
void arch_fpu_save(struct env *e);
void arch_fpu_restore(struct env *e);
/* Time: the TSC's rate (calibrated at boot); arch_tsc() (arch_types.h) reads it. */
uint64_t arch_tsc_hz(void);
/* Wall-clock seconds since 1970 from the real-time clock (0 if unreadable). */
uint64_t arch_rtc_seconds(void);
/* One timer interrupt on this CPU after ns (0: none). */
void arch_timer_oneshot(uint64_t ns);
/* Halt this CPU until an interrupt, with the kernel lock released. */
void arch_idle(void);
/* Halt until any interrupt (waiting for the kernel lock). */
void arch_wait_for_kick(void);
/* Make another CPU enter the kernel soon (leave idle or user mode). */
void arch_kick_cpu(unsigned cpu);
/* Whether a CPU is halted in the idle loop. */
bool arch_cpu_idle(unsigned cpu);
/* e is being destroyed: never restore from (or save into) its FPU area. */
void arch_fpu_forget(struct env *e);
/* Frame pointer of the caller, for backtraces. */
uint64_t arch_frame_pointer(void);
/* Whether user mode could read (or write) va in the current address space:
 * present and user-accessible at every level.  For the fuzzing audit. */
bool arch_user_can_access(uint64_t va, bool write);
/* Copy n bytes where one side is user memory already checked to lie below
 * USER_TOP; returns 0 or -E_FAULT if a page was missing. */
long arch_copy_user(void *dst, const void *src, size_t n);

#endif
