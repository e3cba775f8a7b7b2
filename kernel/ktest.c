/*
 * Kernel self-tests for mechanisms that cannot be reached from user space
 * in isolation.  Each returns 0 on success or prints why it failed.  They
 * run after paging_init and before the first environment.
 */
#include <veneer/errors.h>
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "klib.h"
#include "ktest.h"
#include "pmem.h"
#include "vm.h"

#define CHECK(c) \
    do { if (!(c)) { kprintf("ktest: check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); return -1; } } while (0)

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
    {"page_alloc", ktest_page_alloc},
    {"panic", ktest_panic},
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
