/*
 * Kernel self-tests for mechanisms that cannot be reached from user space
 * in isolation.  Each returns 0 on success or prints why it failed.  They
 * run after paging_init and before the first environment.
 */
#include <veneer/errors.h>
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "iommu.h"
#include "ipc.h"
#include "irq.h"
#include "klib.h"
#include "ktest.h"
#include "pci.h"
#include "pmem.h"
#include "vm.h"

/* Take every free page, mark each with its own address, and check no page
 * came twice (a second hand-out would zero the first marker), then give
 * them all back and check the free count returns exactly. */
static int ktest_page_alloc(void)
{
    uint64_t before = page_free_count();
    paddr_t head = 0;
    uint64_t n = 0;
    for (paddr_t pa; (pa = page_alloc()) != 0; n++) {
        uint64_t *w = P2V(pa);
        w[0] = head;
        w[1] = pa ^ 0x5a5a5a5a5a5a5a5aul;
        head = pa;
    }
    CHECK(n == before);
    CHECK(page_free_count() == 0);
    CHECK(page_alloc() == 0);
    uint64_t seen = 0;
    for (paddr_t pa = head; pa; pa = ((uint64_t *)P2V(pa))[0], seen++)
        CHECK(((uint64_t *)P2V(pa))[1] == (pa ^ 0x5a5a5a5a5a5a5a5aul));
    CHECK(seen == n);
    /* Named allocation: a taken page is busy, a freed one can be named. */
    CHECK(page_alloc_at(head) == -E_BUSY);
    CHECK(page_alloc_at(head + 1) == -E_INVAL);
    for (paddr_t pa = head, next; pa; pa = next) {
        next = ((uint64_t *)P2V(pa))[0];
        page_free(pa);
    }
    CHECK(page_free_count() == before);
    paddr_t some = page_alloc();
    CHECK(some != 0);
    page_free(some);
    CHECK(page_alloc_at(some) == 0);
    CHECK(page_free_count() == before - 1);
    page_free(some);
    kprintf("ktest page_alloc: %lu pages taken and returned, none twice\n", n);
    return 0;
}

/* W^X: no kernel mapping is both writable and executable, the kernel text
 * has no writable alias in the physmap, and non-RAM is not mapped. */
static int ktest_wx(void)
{
    extern char kernel_text_start[], kernel_text_end[], kernel_rodata_end[], kernel_data_end[];
    uint64_t text = (uint64_t)kernel_text_start;
    CHECK(vm_kernel_rights(text) == VM_EXEC);
    CHECK(vm_kernel_rights(text + PHYSMAP_BASE - KERNEL_BASE) == 0);       /* alias: read-only, NX */
    CHECK(vm_kernel_rights((uint64_t)kernel_text_end) == 0);                /* rodata */
    CHECK(vm_kernel_rights((uint64_t)kernel_rodata_end) == VM_WRITE);       /* data */
    CHECK(vm_kernel_rights((uint64_t)kernel_data_end - 8) == VM_WRITE);
    CHECK(vm_kernel_rights(PHYSMAP_BASE + 0xb8000) == -1);                   /* VGA hole: not RAM */
    CHECK(vm_kernel_rights(PHYSMAP_BASE + 0x100000) == VM_WRITE);
    for (uint64_t va = text; va < (uint64_t)kernel_data_end; va += PAGE_SIZE)
        CHECK(vm_kernel_rights(va) != (VM_WRITE | VM_EXEC));
    for (uint64_t pa = 0; pa < pmem_top(); pa += LARGE_PAGE_SIZE / 4)
        CHECK(vm_kernel_rights(PHYSMAP_BASE + pa) == -1 || !(vm_kernel_rights(PHYSMAP_BASE + pa) & VM_EXEC));
    kprintf("ktest wx: kernel text RX, alias read-only, data NX, physmap NX, holes unmapped\n");
    return 0;
}

/* PCI placement, seen from the CPU: edu (at 00:02.0) answers at its BAR 0
 * through an uncached mapping, with its identification register and the
 * liveness register (it reads back the complement of what was written);
 * behind the root port, virtio-net's MSI-X table answers too (entries
 * start masked), so the bridge forwards its window. */
static int ktest_pci_place(void)
{
    const struct pci_func *edu = pci_func_by_addr(PCI_ADDR(0, 0, 2, 0)), *nic = NULL, *owner = NULL;
    unsigned bar = 9;
    CHECK(edu && edu->vendor == 0x1234 && edu->device == 0x11e8 && edu->bar[0].placed);
    paddr_t pa = edu->bar[0].base;
    CHECK(vm_kernel_map_mmio(pa, PAGE_SIZE) == 0);
    volatile uint32_t *r = P2V(pa);
    uint32_t id = r[0];
    kprintf("ktest pci_place: edu BAR 0 at %lx reads id %08x\n", pa, id);
    CHECK(id == 0x010000ed);
    r[1] = 0x12345678;
    CHECK(r[1] == ~0x12345678u);
    r[1] = 0;
    CHECK(r[1] == 0xffffffffu);
    CHECK(pci_mmio_owner(pa + 4, 4, &owner, &bar) && owner == edu && bar == 0);
    CHECK(!pci_mmio_owner(pa, edu->bar[0].size + 1, NULL, NULL));
    for (unsigned i = 0; i < pci_func_count(); i++)
        if (pci_func_get(i)->vendor == 0x1af4 && PCI_BUS(pci_func_get(i)->addr) != 0)
            nic = pci_func_get(i);
    CHECK(nic && (nic->caps & PCI_CAP_MSIX) && nic->bar[nic->msix_table_bar].placed);
    paddr_t table = nic->bar[nic->msix_table_bar].base + nic->msix_table_off;
    CHECK(vm_kernel_map_mmio(ROUND_DOWN(table, PAGE_SIZE), PAGE_SIZE) == 0);
    uint32_t ctrl = *(volatile uint32_t *)P2V(table + 12);
    kprintf("ktest pci_place: virtio-net behind the root port: MSI-X entry 0 at %lx, control %x\n", table, ctrl);
    CHECK(ctrl == 1);
    return 0;
}

/* Deliberately crash: the panic must name this function in its backtrace. */
static int __attribute__((noinline)) ktest_panic(void)
{
    kprintf("ktest panic: dereferencing an unmapped kernel address\n");
    return *(volatile int *)0xffffffffdead0000ul;
}

static const struct {
    const char *name;
    int (*fn)(void);
} ktests[] = {
    {"irq", ktest_irq},
    {"iommu", ktest_iommu},
    {"page_alloc", ktest_page_alloc},
    {"panic", ktest_panic},
    {"pci_place", ktest_pci_place},
    {"virtio_net", ktest_virtio_net},
    {"nvme", ktest_nvme},
    {"wx", ktest_wx},
};

void ktest_run_requested(void)
{
    char list[128];
    if (!cmdline_get("ktest", list, sizeof(list)))
        return;
    int failed = 0, ran = 0;
    for (char *p = list; *p;) {
        char *name = p;
        while (*p && *p != ',')
            p++;
        if (*p)
            *p++ = 0;
        bool found = false;
        for (unsigned i = 0; i < ARRAY_SIZE(ktests); i++) {
            if (strcmp(ktests[i].name, name) == 0) {
                found = true;
                ran++;
                int r = ktests[i].fn();
                kprintf("ktest %s: %s\n", name, r == 0 ? "PASS" : "FAIL");
                failed += r != 0;
            }
        }
        if (!found) {
            kprintf("ktest %s: no such test\n", name);
            failed++;
        }
    }
    kprintf("ktest: %d run, %d failed\n", ran, failed);
    arch_halt(failed ? EXIT_FAIL : EXIT_PASS);
}
