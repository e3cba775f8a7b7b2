/*
 * RPC over protected control transfer, and the shared-memory ring.  The
 * ring never enters the kernel while both sides keep up: a side sleeps on
 * its notification word only when the ring is full (producer) or empty
 * (consumer), after announcing it in the header, and the peer signals only
 * when it sees that announcement.
 */
#include "ipc.h"
#include "libveneer.h"
#include "vn.h"

void vn_rpc_serve(vn_rpc_handler_t h)
{
    struct vn_msg req;
    uint64_t rep[4] = {0};
    long r = vn_recv(0, &req);
    for (;;) {
        if (r < 0) {
            r = vn_recv(0, &req);
            continue;
        }
        h(&req, rep);
        r = vn_reply_recv(rep, &req);
    }
}

long vn_rpc(capref_t ep, uint64_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t res[3])
{
    uint64_t in[4] = {op, a, b, c};
    struct vn_msg out;
    long r = vn_call(ep, in, -1, &out);
    if (r < 0)
        return r;
    if (res) {
        res[0] = out.w[1];
        res[1] = out.w[2];
        res[2] = out.w[3];
    }
    return (long)out.w[0];
}

void vn_ring_init(struct vn_ring *r, void *mem, uint64_t npages)
{
    r->hdr = mem;
    r->data = (uint8_t *)mem + PAGE_SIZE;
    uint64_t size = PAGE_SIZE;
    while (size * 2 <= (npages - 1) * PAGE_SIZE)
        size *= 2;
    r->hdr->head = r->hdr->tail = 0;
    r->hdr->size = size;
    r->hdr->prod_waiting = r->hdr->cons_waiting = 0;
}

void vn_ring_attach(struct vn_ring *r, void *mem)
{
    r->hdr = mem;
    r->data = (uint8_t *)mem + PAGE_SIZE;
}

long vn_ring_write(struct vn_ring *r, const void *buf, uint64_t n)
{
    struct vn_ring_hdr *h = r->hdr;
    const uint8_t *p = buf;
    while (n) {
        uint64_t space = h->size - (h->head - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE));
        if (!space) {
            h->prod_waiting = 1;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (h->size - (h->head - h->tail) == 0) {
                long w = vn_notify_wait(r->my_wait, 0);
                if (w < 0 && w != -E_TIMEOUT)
                    return w;
            }
            h->prod_waiting = 0;
            continue;
        }
        uint64_t k = n < space ? n : space, off = h->head & (h->size - 1);
        if (k > h->size - off)
            k = h->size - off;
        memcpy(r->data + off, p, k);
        __atomic_store_n(&h->head, h->head + k, __ATOMIC_RELEASE);
        p += k;
        n -= k;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (h->cons_waiting)
            vn_notify_signal(r->wake_peer, 1);
    }
    return 0;
}

long vn_ring_read(struct vn_ring *r, void *buf, uint64_t n)
{
    struct vn_ring_hdr *h = r->hdr;
    uint8_t *p = buf;
    while (n) {
        uint64_t avail = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) - h->tail;
        if (!avail) {
            h->cons_waiting = 1;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (h->head == h->tail) {
                long w = vn_notify_wait(r->my_wait, 0);
                if (w < 0 && w != -E_TIMEOUT)
                    return w;
            }
            h->cons_waiting = 0;
            continue;
        }
        uint64_t k = n < avail ? n : avail, off = h->tail & (h->size - 1);
        if (k > h->size - off)
            k = h->size - off;
        memcpy(p, r->data + off, k);
        __atomic_store_n(&h->tail, h->tail + k, __ATOMIC_RELEASE);
        p += k;
        n -= k;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (h->prod_waiting)
            vn_notify_signal(r->wake_peer, 1);
    }
    return 0;
}
