/*
 * IPC for Veneer-native programs: protected control transfer with whole
 * messages (four words and a capability each way in registers), a simple
 * RPC convention on top, and single-producer/single-consumer byte rings in
 * shared memory that notify the peer only when it sleeps.
 */
#ifndef LIBVENEER_IPC_H
#define LIBVENEER_IPC_H

#include <stdint.h>
#include <veneer/syscall.h>

struct vn_msg {
    uint64_t w[4];
    capref_t cap;           /* received capability (in our table), or -1 */
    uint64_t badge;         /* received: the badge of the endpoint called (0: none) */
};

/* Call the environment behind ep with in (and xfer, or -1); on success
 * (0) out holds the reply.  Errors: negative E_*. */
static inline long vn_call(capref_t ep, const uint64_t in[4], capref_t xfer, struct vn_msg *out)
{
    register long rdi __asm__("rdi") = ep;
    register uint64_t rsi __asm__("rsi") = in[0];
    register uint64_t rdx __asm__("rdx") = in[1];
    register uint64_t r10 __asm__("r10") = in[2];
    register uint64_t r8 __asm__("r8") = in[3];
    register long r9 __asm__("r9") = xfer;
    long rax = SYS_ipc_call;
    __asm__ volatile("syscall" : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : : "rcx", "r11", "memory");
    /* The reply arrives in rdi, rsi, rdx, r10. */
    out->w[0] = (uint64_t)rdi;
    out->w[1] = rsi;
    out->w[2] = rdx;
    out->w[3] = r10;
    out->cap = -1;
    out->badge = 0;
    return rax;
}

/* Shared tail of recv and reply_recv: the message is in rdi..r10, r8, r9. */
static inline long vn_ipc_wait(long num, const uint64_t rep[4], uint64_t timeout, struct vn_msg *in)
{
    register uint64_t rdi __asm__("rdi") = num == SYS_ipc_recv ? timeout : rep[0];
    register uint64_t rsi __asm__("rsi") = rep ? rep[1] : 0;
    register uint64_t rdx __asm__("rdx") = rep ? rep[2] : 0;
    register uint64_t r10 __asm__("r10") = rep ? rep[3] : 0;
    register uint64_t r8 __asm__("r8") = 0;
    register uint64_t r9 __asm__("r9") = 0;
    long rax = num;
    __asm__ volatile("syscall" : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : : "rcx", "r11", "memory");
    in->w[0] = rdi;
    in->w[1] = rsi;
    in->w[2] = rdx;
    in->w[3] = r10;
    in->cap = (capref_t)r8;
    in->badge = r9;
    return rax;
}

/* Wait for a call (timeout 0: forever). */
static inline long vn_recv(uint64_t timeout_ns, struct vn_msg *in)
{
    return vn_ipc_wait(SYS_ipc_recv, 0, timeout_ns, in);
}

/* Reply to the current caller and wait for the next call. */
static inline long vn_reply_recv(const uint64_t rep[4], struct vn_msg *in)
{
    return vn_ipc_wait(SYS_ipc_reply_recv, rep, 0, in);
}

/* ---- RPC: w[0] is the operation, w[1..3] its arguments; the reply's
 * w[0] is a status (>= 0 or -E_*), w[1..3] results. */
typedef void (*vn_rpc_handler_t)(const struct vn_msg *req, uint64_t rep[4]);
/* Serve calls on this environment's entry forever (until a handler exits). */
void vn_rpc_serve(vn_rpc_handler_t h) __attribute__((noreturn));
/* Call op(a, b, c) on ep; returns the reply status, results in res[3]. */
long vn_rpc(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t res[3]);

/* ---- SPSC byte ring in shared memory. */
struct vn_ring_hdr {
    volatile uint64_t head;         /* bytes written (producer) */
    volatile uint64_t tail;         /* bytes read (consumer) */
    uint64_t size;                  /* data bytes, a power of two */
    volatile uint32_t prod_waiting; /* producer sleeps for space */
    volatile uint32_t cons_waiting; /* consumer sleeps for data */
    volatile capref_t caps[4];      /* free for the creator to pass caprefs */
};

struct vn_ring {
    struct vn_ring_hdr *hdr;
    uint8_t *data;
    capref_t wake_peer;             /* notification we signal */
    capref_t my_wait;               /* notification we wait on */
};

/* Lay out a ring over npages mapped at mem (first page: header). */
void vn_ring_init(struct vn_ring *r, void *mem, uint64_t npages);
/* Attach to a ring someone else initialised. */
void vn_ring_attach(struct vn_ring *r, void *mem);
/* Write/read exactly n bytes, sleeping (on my_wait) when full/empty. */
long vn_ring_write(struct vn_ring *r, const void *buf, uint64_t n);
long vn_ring_read(struct vn_ring *r, void *buf, uint64_t n);

#endif
