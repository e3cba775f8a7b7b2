/*
 * Capability tables and the derivation tree.  Pure mechanism: this file
 * knows nothing of pages or environments; what a capability names is
 * dropped through the release hook when the capability goes away.  Host
 * unit-tested (tests/host/test_cap.c).
 */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <veneer/cap.h>

struct captable;

struct cap {
    uint8_t type;               /* enum vn_cap_type; CAP_NONE: empty slot */
    uint8_t rights;             /* CR_*; never more than the parent's */
    uint16_t gen;               /* slot generation, part of the capref */
    uint32_t slot;              /* index in table */
    uint64_t obj;               /* CAP_PAGE: first frame; CAP_ENV: envid; others below */
    union {
        uint64_t count;         /* CAP_PAGE: frames */
        struct {
            int32_t state;      /* CAP_ENV root: 1 alive, 0 exited, -1 killed */
            int32_t status;     /* exit status once exited */
        } env;
        struct {
            uint32_t n;         /* CAP_REGS: pages (obj: first frame) or ports (obj: first port) */
            uint16_t dev;       /* device index (device.c) */
            uint8_t bar;
            uint8_t io;         /* an I/O-port BAR */
        } regs;
        struct {
            uint16_t gen;       /* CAP_IRQ (obj: irq slot): the binding's generation */
            uint16_t dev;       /* device index */
        } irq;                  /* CAP_DEVICE: obj is the device index, count 1 */
    };
    struct cap *parent;         /* derivation tree; NULL for a root */
    struct cap *first_child, *next_sibling, *prev_sibling;
    struct captable *table;     /* owning table; NULL if held by the kernel */
    void *bindings;             /* owned by the object's mechanism (mappings; CAP_BLK: requests in flight) */
};

#define CAPS_PER_PAGE  (4096 / sizeof(struct cap))
#define CAPDIR_ENTRIES 512
#define CAPTABLE_MAX   (CAPDIR_ENTRIES * CAPS_PER_PAGE)

struct captable {
    struct cap **dir;           /* CAPDIR_ENTRIES pointers to cap pages */
    uint32_t nslots;            /* slots in allocated pages */
    uint32_t used;              /* non-empty slots */
    uint32_t hint;              /* where the next free-slot search starts */
    void *owner;                /* the environment, passed to the hooks */
};

struct cap_ops {
    void *(*alloc_page)(void *owner);           /* zeroed 4 KiB page or NULL */
    void (*free_page)(void *owner, void *page);
    void (*release)(struct cap *c);             /* c (a leaf, still linked to its parent) is leaving */
};

void cap_init(const struct cap_ops *ops);
/* Empty table with its first page of slots.  Errors: -E_NOMEM. */
int cap_table_init(struct captable *t, void *owner);
/* Delete every capability in t (roots take their subtrees, wherever they
 * are), then free the table's pages. */
void cap_table_destroy(struct captable *t);
/* Resolve ref in t, checking the type (0: any) and that all of `rights`
 * are held.  Errors: -E_BADCAP (out of range, empty, stale generation),
 * -E_TYPE, -E_PERM. */
int cap_lookup(struct captable *t, capref_t ref, unsigned type, unsigned rights, struct cap **out);
/* New root capability in t.  Errors: -E_NOSPC, -E_NOMEM. */
int cap_create_root(struct captable *t, unsigned type, unsigned rights, uint64_t obj, uint64_t count,
                    capref_t *out);
/* Set up a kernel-held root (not in any table) in caller storage. */
void cap_init_kernel_root(struct cap *c, unsigned type, unsigned rights, uint64_t obj, uint64_t count);
/* New child of src in dst with `rights` (a subset of src's).
 * Errors: -E_PERM (more rights than src), -E_NOSPC, -E_NOMEM. */
int cap_derive(struct cap *src, struct captable *dst, unsigned rights, capref_t *out);
/* New child of src in dst naming another object that src's holder may
 * make (a register capability of a device): type, rights, obj and count
 * are the caller's; src NULL makes a root.  Errors: -E_NOSPC, -E_NOMEM. */
int cap_derive_object(struct cap *src, struct captable *dst, unsigned type, unsigned rights, uint64_t obj,
                      uint64_t count, capref_t *out);
/* Delete every descendant of c; c stays. */
void cap_revoke(struct cap *c);
/* Delete c.  A root takes its whole subtree (the object dies); a derived
 * capability hands its children to its parent. */
void cap_delete(struct cap *c);
/* Slot by index (NULL if beyond the table), for iteration. */
static inline struct cap *cap_slot(struct captable *t, uint32_t slot)
{
    return slot < t->nslots ? &t->dir[slot / CAPS_PER_PAGE][slot % CAPS_PER_PAGE] : NULL;
}

#endif
