/*
 * Hostile regression (issue 12, hole 2): the kernel must not read or write
 * user memory for us through the page-table window (VN_UVPT) or the
 * exposed kernel data (VN_EXPOSED_BASE..VN_EXPOSED_END).  Through the
 * window's recursive entry the kernel reaches supervisor-only page tables
 * and the first 4 KiB of large frames; a user pointer is acceptable only
 * in the ranges a program may map (VN_USER_MAPPABLE).
 *
 * For each pointer into those regions, and for ranges that start in
 * mappable memory and run into them, every syscall taking a user pointer
 * must return E_FAULT: cons_write, cons_read, env_wait's word,
 * env_wake_word, page_map's entries, cap_info's result, env_create's and
 * env_create_vcpu's name, env_set_regs's registers.  The same calls on
 * mapped pages right next to the regions (below VN_EXPOSED_BASE and at
 * VN_UVPT_END, in PML4 slot 255) must still work.
 */
#include "check.h"

#define LOW_PAGE  (VN_EXPOSED_BASE - PAGE_SIZE)     /* mappable, just below the exposed data */
#define HIGH_PAGE VN_UVPT_END                       /* mappable, just above the window */

static int failures, oks;

static void expect(const char *what, const char *call, long got, long want)
{
    if (got != want) {
        printf("bad_pointers_window: FAIL %s: %s returned %ld (%s), expected %ld\n", what, call, got,
               got < 0 ? vn_strerror(got) : "accepted", want);
        failures++;
    } else {
        oks++;
    }
}

static capref_t stopped;    /* a stopped child for env_set_regs */

/* Every pointer-taking call on p must fail with E_FAULT. */
static void refuse_all(const char *what, uint64_t p)
{
    expect(what, "cons_write", vn_cons_write((const char *)p, 1), -E_FAULT);  /* 1 byte: little noise if accepted */
    expect(what, "cons_read", vn_cons_read((char *)p, 8), -E_FAULT);
    /* An equality oracle if accepted: NE against an unlikely value returns
     * VN_WAKE_PREDICATE at once, or times out after 1 ms. */
    expect(what, "env_wait", vn_env_wait(1000000, (const uint64_t *)(p & ~7ul), 0x5eed5eed5eed5eedul, VN_WAIT_NE),
           -E_FAULT);
    expect(what, "env_wake_word", vn_env_wake_word((const uint64_t *)(p & ~7ul)), -E_FAULT);
    expect(what, "page_map", vn_page_map(CAP_SELF, (const struct vn_map_entry *)p, 1), -E_FAULT);
    expect(what, "cap_info", vn_cap_info(CAP_SELF, (struct vn_capinfo *)p), -E_FAULT);
    long c = vn_env_create(8, (const char *)p);
    expect(what, "env_create", c, -E_FAULT);
    if (c >= 0)
        vn_cap_delete((capref_t)c);
    c = vn_env_create_vcpu(8, (const char *)p);
    expect(what, "env_create_vcpu", c, -E_FAULT);
    if (c >= 0)
        vn_cap_delete((capref_t)c);
    expect(what, "env_set_regs", vn_env_set_regs(stopped, (const struct vn_regs *)p), -E_FAULT);
}

int main(void)
{
    CHECK_EQ(vn_map_fresh(LOW_PAGE, 1, VM_PROT_WRITE), 0);
    CHECK_EQ(vn_map_fresh(HIGH_PAGE, 1, VM_PROT_WRITE), 0);
    memset((void *)LOW_PAGE, ' ', PAGE_SIZE);
    memset((void *)HIGH_PAGE, ' ', PAGE_SIZE);
    long s = vn_env_create(8, "stopped");
    CHECK(s > 0);
    stopped = (capref_t)s;

    /* The bug as seen from here: the kernel prints a page-table entry we
     * pass it (one byte: the flags of PML4[0], which we may read) and one
     * from the kernel's own PDPT, which we may not read. */
    expect("UVPT, our PML4", "cons_write", vn_cons_write((const char *)VN_PML4E_ADDR(0ul), 1), -E_FAULT);
    expect("UVPT, the kernel's PDPT", "cons_write", vn_cons_write((const char *)VN_PDPTE_ADDR(KERNEL_BASE), 1),
           -E_FAULT);

    refuse_all("UVPT base", VN_UVPT);
    refuse_all("UVPT, our PML4", VN_PML4E_ADDR(0ul));
    refuse_all("UVPT, PTE of a mapped page", VN_PTE_ADDR(LOW_PAGE));
    refuse_all("UVPT, the kernel's PDPT", VN_PDPTE_ADDR(KERNEL_BASE));
    refuse_all("UVPT, last word", VN_UVPT_END - 8);
    refuse_all("envinfo", VN_ENVINFO);
    refuse_all("sysinfo", VN_SYSINFO);
    refuse_all("page records", VN_PAGEINFO);
    refuse_all("exposed, last word", VN_EXPOSED_END - 8);

    /* Ranges that start in mappable memory and run into the exposed data. */
    const char *st = "straddling into envinfo";
    expect(st, "cons_write", vn_cons_write((const char *)(VN_EXPOSED_BASE - 1), 2), -E_FAULT);
    expect(st, "cons_read", vn_cons_read((char *)(VN_EXPOSED_BASE - 8), 16), -E_FAULT);
    expect(st, "page_map", vn_page_map(CAP_SELF, (const struct vn_map_entry *)(VN_EXPOSED_BASE - 8), 1), -E_FAULT);
    expect(st, "cap_info", vn_cap_info(CAP_SELF, (struct vn_capinfo *)(VN_EXPOSED_BASE - 16)), -E_FAULT);
    expect(st, "env_set_regs", vn_env_set_regs(stopped, (const struct vn_regs *)(VN_EXPOSED_BASE - 16)), -E_FAULT);
    memcpy((void *)(VN_EXPOSED_BASE - 4), "abcd", 4);       /* no NUL before the boundary */
    long c = vn_env_create(8, (const char *)(VN_EXPOSED_BASE - 4));
    expect(st, "env_create", c, -E_FAULT);
    if (c >= 0)
        vn_cap_delete((capref_t)c);
    /* And from the window's end into slot 255. */
    st = "straddling out of UVPT";
    expect(st, "cons_write", vn_cons_write((const char *)(VN_UVPT_END - 1), 2), -E_FAULT);
    expect(st, "page_map", vn_page_map(CAP_SELF, (const struct vn_map_entry *)(VN_UVPT_END - 8), 1), -E_FAULT);
    expect(st, "env_set_regs", vn_env_set_regs(stopped, (const struct vn_regs *)(VN_UVPT_END - 8)), -E_FAULT);

    /* Mappable memory right next to them still works. */
    memset((void *)(VN_EXPOSED_BASE - 64), ' ', 64);
    ((char *)VN_EXPOSED_BASE)[-1] = '\n';
    const char *ok = "mapped page below the exposed data";
    expect(ok, "cons_write", vn_cons_write((const char *)(VN_EXPOSED_BASE - 8), 8), 8);
    expect(ok, "env_wait", vn_env_wait(1000000, (const uint64_t *)(VN_EXPOSED_BASE - 8), 0, VN_WAIT_NE),
           VN_WAKE_PREDICATE);
    expect(ok, "cap_info", vn_cap_info(CAP_SELF, (struct vn_capinfo *)(VN_EXPOSED_BASE - 32)), 0);
    ((char *)HIGH_PAGE)[7] = '\n';
    ok = "mapped page at VN_UVPT_END";
    expect(ok, "cons_write", vn_cons_write((const char *)HIGH_PAGE, 8), 8);
    expect(ok, "env_wait", vn_env_wait(1000000, (const uint64_t *)HIGH_PAGE, 0, VN_WAIT_NE), VN_WAKE_PREDICATE);
    expect(ok, "env_wake_word", vn_env_wake_word((const uint64_t *)HIGH_PAGE), 0);
    expect(ok, "cap_info", vn_cap_info(CAP_SELF, (struct vn_capinfo *)HIGH_PAGE), 0);
    expect(ok, "cons_read", vn_cons_read((char *)HIGH_PAGE, 8), 0);
    struct vn_regs *regs = (struct vn_regs *)(HIGH_PAGE + 64);
    memset(regs, 0, sizeof(*regs));
    expect(ok, "env_set_regs", vn_env_set_regs(stopped, regs), 0);
    struct vn_map_entry *m = (struct vn_map_entry *)(HIGH_PAGE + 128);
    *m = (struct vn_map_entry){HIGH_PAGE + PAGE_SIZE, vn_page_cap(HIGH_PAGE), VM_PROT_READ, 0};
    expect(ok, "page_map", vn_page_map(CAP_SELF, m, 1), 1);
    vn_page_unmap(CAP_SELF, HIGH_PAGE + PAGE_SIZE, 1);
    memcpy((void *)(HIGH_PAGE + 256), "nameok", 7);
    c = vn_env_create(8, (const char *)(HIGH_PAGE + 256));
    expect(ok, "env_create", c > 0, 1);
    if (c > 0)
        vn_cap_delete((capref_t)c);

    CHECK_EQ(vn_cap_delete(stopped), 0);
    printf("bad_pointers_window: %d calls as expected, %d not\n", oks, failures);
    check_failures += failures;
    return check_done("bad_pointers_window");
}
