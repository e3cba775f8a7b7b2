/*
 * Intel VT-d: the IOMMU of iommu.h on x86 (docs/devices.md: what each unit
 * is given at boot, domains, invalidation, faults).  Every DMA is blocked
 * until its function is attached to a domain (a second-level page table
 * charged to its owner; context tables are the kernel's, one per bus).
 * Every change that could leave a stale cached entry is invalidated and
 * waited for before the call returns, through the queue of qi_run; a unit
 * that does not complete a command in TIMEOUT_MS is broken and panics.
 * GCMD acts on the whole value written, so each write carries the
 * persistent state (TE, QIE, IRE) with at most one one-shot command.
 * Formats and registers are in vtd_format.h.
 */
#include <veneer/errors.h>
#include "../../arch.h"
#include "../../console.h"
#include "../../iommu.h"
#include "../../klib.h"
#include "../../panic.h"
#include "../../pmem.h"
#include "../../vm.h"
#include "acpi.h"
#include "vtd_format.h"

#define VTD_DOMAINS   256           /* domain ids kept (id 0 is never used) */
#define IRT_ENTRIES   256           /* interrupt remapping table: one page */
#define IRT_SIZE      7             /* IRTA.S: 2^(S+1) entries */
#define QUEUE_ENTRIES 256           /* invalidation queue: one page of descriptors */
#define FAULT_DEVS    64            /* requester ids whose faults are counted */
#define FAULT_LOG_MAX 16            /* lines logged per requester id, then silence */
#define TIMEOUT_MS    1000
#define WAIT_DONE     0x600du

struct vtd_unit {
    paddr_t base;                   /* register page */
    volatile uint8_t *regs;
    const struct acpi_drhd *drhd;   /* the functions it serves */
    uint64_t cap, ecap;
    bool on;                        /* translating (else nothing below is set up) */
    uint32_t gcmd;                  /* persistent GCMD bits in force */
    paddr_t root;                   /* root table: a context table pointer per bus */
    paddr_t ctx[256];               /* context tables, 0: none yet */
    uint16_t ctx_used[256];         /* present entries in each */
    volatile struct vtd_desc *queue;
    unsigned tail;                  /* next descriptor slot */
    volatile uint32_t status;       /* wait descriptors write WAIT_DONE here */
    volatile uint64_t *irt;         /* interrupt remapping table (NULL: remapping off) */
    uint64_t irt_used[IRT_ENTRIES / 64];
};

struct iommu_domain {
    bool used;
    uint16_t did;
    void *owner;                    /* charged for the page tables (NULL: the kernel) */
    paddr_t root;                   /* top-level page table */
    uint64_t mapped;                /* leaf entries present */
    uint32_t units;                 /* units it was attached through (bit per unit) */
};

struct fault_count {
    pci_addr_t source;
    uint32_t logged;                /* lines printed */
    uint64_t n;
};

static struct {
    unsigned nunits;
    struct vtd_unit unit[ACPI_MAX_DRHD];
    unsigned levels;                /* page-table levels of every domain (0: no unit on) */
    unsigned addr_bits;             /* I/O virtual address width */
    unsigned ndomains;              /* ids 1 .. ndomains - 1 usable */
    bool flush;                     /* some unit does not snoop CPU caches */
    bool caching;                   /* some unit caches absent entries too (caching mode) */
    bool overflowed;                /* a fault log overflow was reported */
    struct iommu_domain dom[VTD_DOMAINS];
    unsigned nfaulted;
    struct fault_count faults[FAULT_DEVS + 1];  /* the last: every requester id beyond */
} vtd;                              /* the kernel lock guards all of it */

static uint32_t r32(struct vtd_unit *u, unsigned off) { return *(volatile uint32_t *)(u->regs + off); }
static uint64_t r64(struct vtd_unit *u, unsigned off) { return *(volatile uint64_t *)(u->regs + off); }
static void w32(struct vtd_unit *u, unsigned off, uint32_t v) { *(volatile uint32_t *)(u->regs + off) = v; }
static void w64(struct vtd_unit *u, unsigned off, uint64_t v) { *(volatile uint64_t *)(u->regs + off) = v; }

/* Make CPU writes to [p, p + len) visible to units that do not snoop. */
static void flush(const volatile void *p, size_t len)
{
    if (!vtd.flush)
        return;
    for (uintptr_t a = (uintptr_t)p & ~63ul; a < (uintptr_t)p + len; a += 64)
        __asm__ volatile("clflush (%0)" : : "r"(a) : "memory");
    __asm__ volatile("mfence" : : : "memory");
}

/* Panic if a command given to u at TSC `start` is overdue. */
static void check_overdue(struct vtd_unit *u, uint64_t start, const char *what)
{
    if (arch_tsc() - start > arch_tsc_hz() / 1000 * TIMEOUT_MS)
        panic("iommu: unit %lx: %s not done after %u ms: the hardware is broken", u->base, what, TIMEOUT_MS);
    __asm__ volatile("pause");
}

/* Write GCMD, the persistent state plus the one-shot command `once`, and
 * wait until GSTS shows every bit of `status`. */
static void command(struct vtd_unit *u, uint32_t once, uint32_t status, const char *what)
{
    w32(u, VTD_REG_GCMD, u->gcmd | once);
    for (uint64_t t = arch_tsc(); (r32(u, VTD_REG_GSTS) & status) != status;)
        check_overdue(u, t, what);
}

/* Queue n descriptors and a wait descriptor and wait until the unit has
 * carried them all out.  Each call waits, so the queue is empty between
 * calls.  Panics on a queue error (a descriptor the unit refused). */
static void qi_run(struct vtd_unit *u, const struct vtd_desc *d, unsigned n)
{
    assert(n < QUEUE_ENTRIES);
    u->status = 0;
    for (unsigned i = 0; i <= n; i++) {
        u->queue[u->tail] = i < n ? d[i] : vtd_desc_wait(WAIT_DONE, KV2P((const void *)&u->status));
        flush(&u->queue[u->tail], sizeof(struct vtd_desc));
        u->tail = (u->tail + 1) % QUEUE_ENTRIES;
    }
    w64(u, VTD_REG_IQT, (uint64_t)u->tail << 4);
    for (uint64_t t = arch_tsc(); u->status != WAIT_DONE;) {
        if (r32(u, VTD_REG_FSTS) & VTD_FSTS_IQE)
            panic("iommu: unit %lx: invalidation queue error at descriptor %lu", u->base, r64(u, VTD_REG_IQH) >> 4);
        check_overdue(u, t, "invalidation");
    }
}

static void qi_one(struct vtd_unit *u, struct vtd_desc d) { qi_run(u, &d, 1); }

static struct vtd_desc iotlb_desc(struct vtd_unit *u, unsigned gran, unsigned did, uint64_t page)
{
    return vtd_desc_iotlb(gran, did, page, vtd_cap_drd(u->cap), vtd_cap_dwd(u->cap));
}

/* u forgets requester sid's context entry (which named domain did) and
 * every translation of did, and finishes DMA already using them. */
static void flush_context(struct vtd_unit *u, unsigned did, uint16_t sid)
{
    struct vtd_desc d[2] = {vtd_desc_context(VTD_GRAN_DEVICE, did, sid), iotlb_desc(u, VTD_GRAN_DOMAIN, did, 0)};
    qi_run(u, d, 2);
}

/* Every unit d was attached through forgets its translation of iova. */
static void flush_iotlb(struct iommu_domain *d, uint64_t iova)
{
    for (unsigned i = 0; i < vtd.nunits; i++) {
        struct vtd_unit *u = &vtd.unit[i];
        if (d->units >> i & 1)
            qi_one(u, iotlb_desc(u, vtd_cap_psi(u->cap) ? VTD_GRAN_PAGE : VTD_GRAN_DOMAIN, d->did, iova));
    }
}

/* ---- which unit serves a requester */

/* The function scope s names: its path followed from the start bus
 * through bridges, as enumeration numbered them.  False if a bridge on
 * the way is unknown or unnumbered. */
static bool scope_target(const struct acpi_dmar_scope *s, unsigned seg, pci_addr_t *out)
{
    unsigned bus = s->bus;
    for (unsigned i = 0; i < s->depth; i++) {
        pci_addr_t f = PCI_ADDR(seg, bus, s->path[i][0], s->path[i][1]);
        if (i + 1 == s->depth) {
            *out = f;
            return true;
        }
        const struct pci_func *b = pci_func_by_addr(f);
        if (!b || b->header != PCI_HDR_BRIDGE || !b->sec_bus)
            return false;
        bus = b->sec_bus;
    }
    return false;
}

/* Whether u's scopes name requester a: exactly, or as a bridge with
 * everything behind it. */
static bool scope_match(const struct vtd_unit *u, pci_addr_t a)
{
    const struct acpi_drhd *h = u->drhd;
    for (unsigned i = 0; i < h->nscopes; i++) {
        const struct acpi_dmar_scope *s = &h->scopes[i];
        pci_addr_t t;
        if (!scope_target(s, h->segment, &t))
            continue;
        if (t == a)
            return true;
        const struct pci_func *b = s->type == ACPI_SCOPE_BRIDGE ? pci_func_by_addr(t) : NULL;
        if (b && b->sec_bus && PCI_BUS(a) >= b->sec_bus && PCI_BUS(a) <= b->sub_bus && PCI_SEG(a) == h->segment)
            return true;
    }
    return false;
}

/* The unit that remaps requester a: the one whose scopes name it (an
 * SR-IOV VF: its PF, as the VT-d specification says), else its segment's
 * include-all unit; NULL if none (it may be off). */
static struct vtd_unit *unit_of(pci_addr_t a)
{
    struct vtd_unit *all = NULL;
    const struct pci_func *vf = pci_func_by_addr(a);
    if (vf && vf->vf)
        a = vf->pf;
    for (unsigned i = 0; i < vtd.nunits; i++) {
        struct vtd_unit *u = &vtd.unit[i];
        if (u->drhd->segment != PCI_SEG(a))
            continue;
        if (scope_match(u, a))
            return u;
        if (u->drhd->flags & ACPI_DRHD_INCLUDE_ALL)
            all = u;
    }
    return all;
}

/* ---- boot */

/* Interrupt remapping: an empty table, its pointer, a global entry cache
 * invalidation, then IRE.  xAPIC mode (no EIME): 8-bit destinations. */
static void intremap_init(struct vtd_unit *u)
{
    paddr_t t = page_alloc();
    if (!t)
        panic("iommu_init: no page for the interrupt remapping table");
    flush(P2V(t), PAGE_SIZE);
    u->irt = P2V(t);
    w64(u, VTD_REG_IRTA, t | IRT_SIZE);
    command(u, VTD_GCMD_SIRTP, VTD_GCMD_SIRTP, "setting the interrupt remapping table");
    qi_one(u, vtd_desc_iec(-1));
    u->gcmd |= VTD_GCMD_IRE;
    command(u, 0, VTD_GCMD_IRE, "enabling interrupt remapping");
}

/* Bring unit u up with translation on and nothing attached; returns why
 * it was left off, or NULL. */
static const char *unit_init(struct vtd_unit *u, bool ir)
{
    if (vm_kernel_map_mmio(u->base, PAGE_SIZE) < 0)
        return "its registers cannot be mapped";
    u->regs = P2V(u->base);
    u->cap = r64(u, VTD_REG_CAP);
    u->ecap = r64(u, VTD_REG_ECAP);
    unsigned levels = vtd_levels(vtd_cap_sagaw(u->cap));
    if (!levels || (vtd.levels && levels != vtd.levels))
        return "no page-table format in common (3- or 4-level)";
    if (!vtd_ecap_qi(u->ecap))
        return "no queued invalidation";
    if (vtd_cap_fro(u->cap) + 16 * vtd_cap_nfr(u->cap) > PAGE_SIZE)
        return "fault registers beyond its register page";
    vtd.flush |= !vtd_ecap_coherent(u->ecap);
    vtd.caching |= vtd_cap_cm(u->cap);
    if (r32(u, VTD_REG_GSTS) & (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE)) {  /* left on by firmware */
        w32(u, VTD_REG_GCMD, 0);
        for (uint64_t t = arch_tsc(); r32(u, VTD_REG_GSTS) & (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE);)
            check_overdue(u, t, "turning off");
    }
    paddr_t root = page_alloc(), queue = page_alloc();
    if (!root || !queue)
        panic("iommu_init: no pages for the root table and invalidation queue");
    flush(P2V(root), PAGE_SIZE);
    u->root = root;
    u->queue = P2V(queue);
    w64(u, VTD_REG_IQT, 0);
    w64(u, VTD_REG_IQA, queue);         /* 128-bit descriptors, one page */
    u->gcmd = VTD_GCMD_QIE;
    command(u, 0, VTD_GCMD_QIE, "enabling queued invalidation");
    w32(u, VTD_REG_FEDATA, VEC_IOMMU_FAULT);
    w32(u, VTD_REG_FEADDR, 0xfee00000u | lapic_id() << 12);    /* fixed, physical, to this CPU */
    w32(u, VTD_REG_FEUADDR, 0);
    w32(u, VTD_REG_FECTL, 0);           /* unmasked */
    w64(u, VTD_REG_RTADDR, root);
    command(u, VTD_GCMD_SRTP, VTD_GCMD_SRTP, "setting the root table");
    struct vtd_desc g[2] = {vtd_desc_context(VTD_GRAN_GLOBAL, 0, 0), iotlb_desc(u, VTD_GRAN_GLOBAL, 0, 0)};
    qi_run(u, g, 2);
    u->gcmd |= VTD_GCMD_TE;
    command(u, 0, VTD_GCMD_TE, "enabling translation");
    u->on = true;
    vtd.levels = levels;
    unsigned bits = MIN(12 + 9 * levels, vtd_cap_mgaw(u->cap));
    vtd.addr_bits = vtd.addr_bits ? MIN(vtd.addr_bits, bits) : bits;
    vtd.ndomains = MIN(vtd.ndomains, vtd_cap_domains(u->cap));
    ir = ir && vtd_ecap_ir(u->ecap);
    if (ir)
        intremap_init(u);
    kprintf("iommu: unit %lx: translation on (%u-level, %u-bit, domains %u), queued invalidation, %s\n", u->base,
            levels, bits, vtd.ndomains - 1, ir ? "interrupt remapping on (256 entries)" : "no interrupt remapping");
    return NULL;
}

void iommu_init(void)
{
    const struct acpi_devices *acpi = acpi_devices_init();
    vtd.ndomains = VTD_DOMAINS;
    for (unsigned i = 0; i < acpi->ndrhd; i++) {
        struct vtd_unit *u = &vtd.unit[vtd.nunits++];
        u->drhd = &acpi->drhd[i];
        u->base = u->drhd->base;
        const char *why = unit_init(u, acpi->dmar_flags & ACPI_DMAR_INTR_REMAP);
        if (why)
            kprintf("iommu: unit %lx: left off: %s\n", u->base, why);
    }
    if (!vtd.levels)
        kprintf("iommu: none%s: no device may be handed to user space for DMA\n", vtd.nunits ? " on" : "");
    iommu_fault_serve();            /* whatever the firmware's devices left */
}

bool iommu_covers(pci_addr_t a)
{
    struct vtd_unit *u = unit_of(a);
    return u && u->on;
}

bool iommu_intremap(void)
{
    for (unsigned i = 0; i < vtd.nunits; i++)
        if (vtd.unit[i].irt)
            return true;
    return false;
}

uint64_t iommu_iova_limit(void) { return vtd.levels ? 1ul << vtd.addr_bits : 0; }

/* ---- domains */

/* A zeroed page-table page charged to owner; 0 with *err if none. */
static paddr_t table_alloc(void *owner, int *err)
{
    paddr_t pa = owner ? vm_table_alloc(owner) : page_alloc();
    if (!pa)
        *err = owner && page_free_count() ? -E_QUOTA : -E_NOMEM;
    else
        flush(P2V(pa), PAGE_SIZE);
    return pa;
}

static void tables_free(void *owner, paddr_t t, unsigned level)
{
    uint64_t *e = P2V(t);
    for (unsigned i = 0; level > 1 && i < 512; i++)
        if (e[i] & VTD_SL_R)
            tables_free(owner, e[i] & VTD_ADDR, level - 1);
    if (owner)
        vm_table_free(owner, t);
    else
        page_free(t);
}

/* d's leaf entry for iova; missing tables are made if err is not NULL.
 * NULL if a table is absent (or could not be made: *err). */
static uint64_t *leaf(struct iommu_domain *d, uint64_t iova, int *err)
{
    paddr_t t = d->root;
    for (unsigned level = vtd.levels; level > 1; level--) {
        uint64_t *e = (uint64_t *)P2V(t) + vtd_pt_index(iova, level);
        if (!(*e & VTD_SL_R)) {
            paddr_t pa;
            if (!err || !(pa = table_alloc(d->owner, err)))
                return NULL;
            *e = pa | VTD_SL_R | VTD_SL_W;  /* rights are the leaf's */
            flush(e, 8);
        }
        t = *e & VTD_ADDR;
    }
    return (uint64_t *)P2V(t) + vtd_pt_index(iova, 1);
}

int iommu_domain_create(void *owner, struct iommu_domain **out)
{
    if (!vtd.levels)
        return -E_NODEV;
    for (unsigned id = 1; id < vtd.ndomains; id++) {
        struct iommu_domain *d = &vtd.dom[id];
        if (d->used)
            continue;
        int err = 0;
        paddr_t root = table_alloc(owner, &err);
        if (!root)
            return err;
        *d = (struct iommu_domain){.used = true, .did = (uint16_t)id, .owner = owner, .root = root};
        *out = d;
        return 0;
    }
    return -E_NOSPC;
}

static volatile uint64_t *root_entry(struct vtd_unit *u, unsigned bus)
{
    return (volatile uint64_t *)P2V(u->root) + 2 * bus;
}

static volatile uint64_t *context_entry(struct vtd_unit *u, unsigned bus, unsigned devfn)
{
    return (volatile uint64_t *)P2V(u->ctx[bus]) + 2 * devfn;
}

/* Clear the present context entry of (bus, devfn) and wait until u has
 * forgotten it; the bus's context table goes with its last entry. */
static void context_clear(struct vtd_unit *u, unsigned bus, unsigned devfn)
{
    volatile uint64_t *ce = context_entry(u, bus, devfn);
    unsigned did = vtd_context_did(ce[1]);
    ce[0] = 0;
    ce[1] = 0;
    flush(ce, 16);
    flush_context(u, did, (uint16_t)(bus << 8 | devfn));
    if (--u->ctx_used[bus])
        return;
    root_entry(u, bus)[0] = 0;
    flush(root_entry(u, bus), 8);
    qi_one(u, vtd_desc_context(VTD_GRAN_GLOBAL, 0, 0));
    page_free(u->ctx[bus]);
    u->ctx[bus] = 0;
}

void iommu_domain_destroy(struct iommu_domain *d)
{
    for (unsigned i = 0; i < vtd.nunits; i++) {
        struct vtd_unit *u = &vtd.unit[i];
        for (unsigned bus = 0; u->on && bus < 256; bus++) {
            for (unsigned devfn = 0; u->ctx[bus] && devfn < 256; devfn++) {
                volatile uint64_t *ce = context_entry(u, bus, devfn);
                if ((ce[0] & VTD_P) && vtd_context_did(ce[1]) == d->did)
                    context_clear(u, bus, devfn);
            }
        }
        if (d->units >> i & 1)      /* no walk may still hold a table page */
            qi_one(u, iotlb_desc(u, VTD_GRAN_DOMAIN, d->did, 0));
    }
    if (d->mapped)
        panic("iommu_domain_destroy: domain %u still maps %lu pages", d->did, d->mapped);
    tables_free(d->owner, d->root, vtd.levels);
    d->used = false;
}

int iommu_attach(struct iommu_domain *d, pci_addr_t a)
{
    struct vtd_unit *u = unit_of(a);
    if (!u || !u->on)
        return -E_NODEV;
    unsigned bus = PCI_BUS(a), devfn = a & 0xff;
    uint16_t sid = (uint16_t)a;
    if (!u->ctx[bus]) {
        paddr_t t = page_alloc();
        if (!t)
            return -E_NOMEM;
        flush(P2V(t), PAGE_SIZE);
        u->ctx[bus] = t;
        root_entry(u, bus)[0] = vtd_root_entry(t);
        flush(root_entry(u, bus), 8);
    }
    volatile uint64_t *ce = context_entry(u, bus, devfn);
    if (ce[0] & VTD_P) {            /* leave the old domain first */
        ce[0] = 0;
        flush(ce, 8);
        flush_context(u, vtd_context_did(ce[1]), sid);
    } else {
        u->ctx_used[bus]++;
    }
    ce[1] = vtd_context_hi(d->did, vtd.levels);
    ce[0] = vtd_context_lo(d->root);
    flush(ce, 16);
    if (vtd_cap_cm(u->cap))         /* caching mode caches absent entries too, as domain 0 */
        flush_context(u, 0, sid);
    d->units |= 1u << (u - vtd.unit);
    return 0;
}

void iommu_detach(pci_addr_t a)
{
    struct vtd_unit *u = unit_of(a);
    unsigned bus = PCI_BUS(a), devfn = a & 0xff;
    if (u && u->on && u->ctx[bus] && (context_entry(u, bus, devfn)[0] & VTD_P))
        context_clear(u, bus, devfn);
}

int iommu_map(struct iommu_domain *d, uint64_t iova, paddr_t pa, bool write)
{
    if (iova % PAGE_SIZE || iova >= iommu_iova_limit() || pa % PAGE_SIZE || (pa & ~VTD_ADDR))
        return -E_INVAL;
    int err = 0;
    uint64_t *e = leaf(d, iova, &err);
    if (!e)
        return err;
    if (*e & VTD_SL_R)
        return -E_INVAL;
    *e = pa | VTD_SL_R | (write ? VTD_SL_W : 0);
    flush(e, 8);
    d->mapped++;
    if (vtd.caching)
        flush_iotlb(d, iova);
    return 0;
}

int iommu_unmap(struct iommu_domain *d, uint64_t iova, paddr_t *pa)
{
    uint64_t *e = iova % PAGE_SIZE || iova >= iommu_iova_limit() ? NULL : leaf(d, iova, NULL);
    if (!e || !(*e & VTD_SL_R))
        return -E_NOENT;
    *pa = *e & VTD_ADDR;
    *e = 0;
    flush(e, 8);
    d->mapped--;
    flush_iotlb(d, iova);           /* the device cannot reach *pa from here on */
    return 0;
}

int iommu_lookup(struct iommu_domain *d, uint64_t iova, paddr_t *pa, bool *write)
{
    uint64_t *e = iova >= iommu_iova_limit() ? NULL : leaf(d, iova, NULL);
    if (!e || !(*e & VTD_SL_R))
        return -E_NOENT;
    *pa = (*e & VTD_ADDR) | (iova % PAGE_SIZE);
    *write = *e & VTD_SL_W;
    return 0;
}

/* ---- faults */

/* a's fault counter, made if `make` (the shared last one when the table
 * is full); NULL if a has none. */
static struct fault_count *fault_slot(pci_addr_t a, bool make)
{
    for (unsigned i = 0; i < vtd.nfaulted; i++)
        if (vtd.faults[i].source == a)
            return &vtd.faults[i];
    if (!make)
        return NULL;
    if (vtd.nfaulted == FAULT_DEVS)
        return &vtd.faults[FAULT_DEVS];
    vtd.faults[vtd.nfaulted] = (struct fault_count){.source = a};
    return &vtd.faults[vtd.nfaulted++];
}

static void fault_log(struct vtd_unit *u, struct vtd_fault f)
{
    struct fault_count *c = fault_slot((pci_addr_t)u->drhd->segment << 16 | f.source, true);
    c->n++;
    unsigned bus = f.source >> 8, dev = f.source >> 3 & 31, fn = f.source & 7;
    if (c->logged < FAULT_LOG_MAX && f.reason >= 0x20)
        kprintf("iommu: fault: %02x:%02x.%x interrupt index %lu, reason 0x%x (%s)\n", bus, dev, fn, f.info >> 48,
                f.reason, vtd_fault_reason(f.reason));
    else if (c->logged < FAULT_LOG_MAX)
        kprintf("iommu: fault: %02x:%02x.%x %s at iova 0x%lx, reason 0x%x (%s)\n", bus, dev, fn,
                f.read ? "read" : "write", f.info, f.reason, vtd_fault_reason(f.reason));
    else if (c->logged == FAULT_LOG_MAX)
        kprintf("iommu: fault: %02x:%02x.%x: over %u faults, counting the rest silently\n", bus, dev, fn,
                FAULT_LOG_MAX);
    if (c->logged <= FAULT_LOG_MAX)
        c->logged++;
}

void iommu_fault_serve(void)
{
    for (unsigned i = 0; i < vtd.nunits; i++) {
        struct vtd_unit *u = &vtd.unit[i];
        if (!u->on)
            continue;
        uint32_t fsts = r32(u, VTD_REG_FSTS);
        unsigned fro = vtd_cap_fro(u->cap), nfr = vtd_cap_nfr(u->cap), first = fsts >> 8 & 0xff;
        for (unsigned k = 0; k < nfr; k++) {
            unsigned off = fro + (first + k) % nfr * 16;
            struct vtd_fault f = vtd_fault_decode(r64(u, off), r64(u, off + 8));
            if (!f.valid)
                continue;
            w32(u, off + 12, VTD_FRCD_F);
            fault_log(u, f);
        }
        if (fsts & VTD_FSTS_PFO && !vtd.overflowed) {
            vtd.overflowed = true;
            kprintf("iommu: unit %lx: fault records overflowed: some faults were not recorded\n", u->base);
        }
        if (fsts & (VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF))
            w32(u, VTD_REG_FSTS, fsts & (VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF));
    }
}

uint64_t iommu_fault_count(pci_addr_t a)
{
    struct fault_count *c = fault_slot(a, false);
    return c ? c->n : 0;
}

bool iommu_fault_event(uint64_t *addr, uint32_t *data, bool *masked)
{
    for (unsigned i = 0; i < vtd.nunits; i++) {
        struct vtd_unit *u = &vtd.unit[i];
        if (u->on) {
            *addr = (uint64_t)r32(u, VTD_REG_FEUADDR) << 32 | r32(u, VTD_REG_FEADDR);
            *data = r32(u, VTD_REG_FEDATA);
            *masked = r32(u, VTD_REG_FECTL) >> 31;
            return true;
        }
    }
    return false;
}

/* ---- interrupt remapping: handle = unit index << 16 | table index */

static struct vtd_unit *irte_unit(unsigned handle, unsigned *x)
{
    unsigned i = handle >> 16;
    *x = handle & 0xffff;
    if (i >= vtd.nunits || !vtd.unit[i].irt || *x >= IRT_ENTRIES || !(vtd.unit[i].irt_used[*x / 64] >> (*x % 64) & 1))
        panic("iommu: interrupt remapping handle %x is not allocated", handle);
    return &vtd.unit[i];
}

int iommu_irte_alloc(uint16_t source, unsigned *handle)
{
    struct vtd_unit *u = unit_of(source);
    if (!u || !u->irt)
        return -E_NODEV;
    for (unsigned x = 0; x < IRT_ENTRIES; x++) {
        if (u->irt_used[x / 64] >> (x % 64) & 1)
            continue;
        u->irt_used[x / 64] |= 1ul << (x % 64);
        u->irt[2 * x] = 0;
        u->irt[2 * x + 1] = vtd_irte_hi(source);
        flush(&u->irt[2 * x], 16);
        *handle = (unsigned)(u - vtd.unit) << 16 | x;
        return 0;
    }
    return -E_NOSPC;
}

void iommu_irte_set(unsigned handle, unsigned apic_id, unsigned vector)
{
    unsigned x;
    struct vtd_unit *u = irte_unit(handle, &x);
    if (apic_id > 0xff || vector < 32 || vector > 0xff)
        panic("iommu_irte_set: APIC id %u or vector %u out of range (xAPIC mode)", apic_id, vector);
    u->irt[2 * x] = vtd_irte_lo(apic_id, vector, false);   /* one write: the high half keeps the source */
    flush(&u->irt[2 * x], 8);
    qi_one(u, vtd_desc_iec((int)x));
}

void iommu_irte_free(unsigned handle)
{
    unsigned x;
    struct vtd_unit *u = irte_unit(handle, &x);
    u->irt[2 * x] = 0;
    u->irt[2 * x + 1] = 0;
    flush(&u->irt[2 * x], 16);
    qi_one(u, vtd_desc_iec((int)x));
    u->irt_used[x / 64] &= ~(1ul << (x % 64));
}

void iommu_irte_read(unsigned handle, uint64_t e[2])
{
    unsigned x;
    struct vtd_unit *u = irte_unit(handle, &x);
    e[0] = u->irt[2 * x];
    e[1] = u->irt[2 * x + 1];
}

void iommu_msi_message(unsigned handle, uint64_t *addr, uint32_t *data)
{
    *addr = vtd_msi_address(handle & 0xffff);
    *data = 0;
}
