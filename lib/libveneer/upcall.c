/*
 * Upcall dispatch: the C side of vn_upcall_entry.  Page faults go to the
 * registered handlers (newest first), other exceptions to one handler,
 * revocation requests to the revoke handler.  An exception nobody handles
 * ends the program with status 128 + trap number, after one line saying so.
 */
#include "libveneer.h"
#include "vn.h"

#define UPCALL_STACK_PAGES 4
#define MAX_PGFAULT_HANDLERS 8

extern void vn_upcall_entry(void);

static vn_fault_handler_t pgfault[MAX_PGFAULT_HANDLERS];
static int npgfault;
static vn_fault_handler_t other;
static void (*revoke)(uint64_t npages);
static void (*sched)(struct vn_xframe *x);
static void (*reflect)(struct vn_xframe *x);

void vn_syscall_handler(void (*h)(struct vn_xframe *x))
{
    reflect = h;
}

void vn_sched_handler(void (*h)(struct vn_xframe *x))
{
    sched = h;
}

/* A stack of UPCALL_STACK_PAGES with an unmapped guard page below it. */
static int upcall_stack(unsigned kind)
{
    uint64_t va = vn_va_reserve(UPCALL_STACK_PAGES + 1) + PAGE_SIZE;
    int r = vn_map_fresh(va, UPCALL_STACK_PAGES, VM_PROT_WRITE);
    if (r < 0)
        return r;
    return (int)vn_env_set_upcall(CAP_SELF, kind, (uint64_t)vn_upcall_entry, va,
                                  UPCALL_STACK_PAGES * PAGE_SIZE);
}

int vn_upcalls_init(void)
{
    int r = upcall_stack(UPCALL_EXCEPTION);
    return r < 0 ? r : upcall_stack(UPCALL_REVOKE);
}

int vn_pgfault_register(vn_fault_handler_t h)
{
    if (npgfault == MAX_PGFAULT_HANDLERS)
        return -E_NOSPC;
    pgfault[npgfault++] = h;
    return 0;
}

void vn_pgfault_unregister(vn_fault_handler_t h)
{
    for (int i = 0; i < npgfault; i++) {
        if (pgfault[i] == h) {
            pgfault[i] = pgfault[--npgfault];
            return;
        }
    }
}

void vn_exception_handler(vn_fault_handler_t h)
{
    other = h;
}

void vn_revoke_handler(void (*h)(uint64_t npages))
{
    revoke = h;
}

void vn_upcall_dispatch(struct vn_xframe *x)
{
    if (x->trapno == VN_T_REVOKE) {
        if (revoke)
            revoke(x->err);
        return;
    }
    if (x->trapno == VN_T_SYSCALL) {
        if (reflect)
            reflect(x);
        else
            x->rax = (uint64_t)-E_NOSYS;
        return;
    }
    if (x->trapno == VN_T_PREEMPT || x->trapno == VN_T_SLICE_WARN) {
        if (sched)
            sched(x);
        return;
    }
    if (x->trapno == 14) {
        for (int i = npgfault - 1; i >= 0; i--)
            if (pgfault[i](x))
                return;
    } else if (other && other(x)) {
        return;
    }
    printf("libveneer: unhandled trap %lu (err %lx) at rip %lx, address %lx\n", x->trapno, x->err, x->rip,
           x->addr);
    vn_exit(128 + (int)x->trapno);
}
