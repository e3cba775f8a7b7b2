/*
 * Boot: the table of contents of the kernel.  Each line brings up one
 * mechanism; after the last one the kernel only reacts to traps.
 */
#include "blk.h"
#include "boot_archive.h"
#include "fuzz.h"
#include "boot_info.h"
#include "klib.h"
#include "irq.h"
#include "klock.h"
#include "console.h"
#include "device.h"
#include "home_kernel.h"
#include "ktest.h"
#include "net.h"
#include "panic.h"
#include "page_meta.h"
#include "pmem.h"
#include "sched.h"

static uint64_t free_pages_at_start;

/* Publish what a libOS needs to read the clock without a syscall. */
static void clock_expose(void)
{
    sysinfo->tsc_hz = arch_tsc_hz();
    sysinfo->tsc_boot = arch_tsc();
    sysinfo->rtc_boot_sec = arch_rtc_seconds();
    sysinfo->ncpus = cpu_count();
    memcpy(sysinfo->cmdline, boot_info.cmdline, MIN(sizeof(sysinfo->cmdline) - 1, strlen(boot_info.cmdline)));
}
static struct cap archive_root;     /* kernel-held: the boot archive's pages */

/* Give the first environment its root capabilities beyond itself: the
 * boot archive, read-only, in slot 1 (VN_CAP_ARCHIVE), the devices and the
 * NIC.  A later boot environment (init=a,b: b, ...) gets the archive in
 * slot 1 as well and a CAP_NET of its own, a sibling of the first's rather
 * than a copy of it: a capability derived from the first's would win every
 * overlap with the first's filters (the kernel's rule), and two sibling
 * stacks can only claim disjoint traffic.  Each environment finds its NIC
 * in vn_envinfo.net_cap: with net=user an endpoint to the driver
 * environment instead (net_user.c). */
static void grant_boot_caps(struct env *e, bool first)
{
    paddr_t base;
    uint64_t len;
    capref_t ref;
    if (!boot_archive_region(&base, &len))
        return;
    if (archive_root.type == CAP_NONE)
        cap_init_kernel_root(&archive_root, CAP_PAGE, CR_READ | CR_MAP | CR_GRANT, base / PAGE_SIZE,
                             ROUND_UP(base % PAGE_SIZE + len, PAGE_SIZE) / PAGE_SIZE);
    if (cap_derive(&archive_root, &e->caps, CR_READ | CR_MAP | CR_GRANT, &ref) < 0 || ref != VN_CAP_ARCHIVE)
        panic("boot: cannot give the archive capability to a boot environment");
    page_ref_range(archive_root.obj, archive_root.count);
    if (first) {
        sysinfo->archive_offset = base % PAGE_SIZE;
        sysinfo->ndevices = device_grant_boot(e);
        if (net_user_wanted())
            net_user_boot(e, (unsigned)sysinfo->ndevices);  /* net=user: netmux, e's child */
        sysinfo->net_cap = e->info->net_cap = net_user_wanted() ? net_user_grant(e, true) : net_grant_boot(e, true);
        sysinfo->blk_cap = blk_grant_boot(e, &sysinfo->nblk);
    } else {
        e->info->net_cap = net_user_wanted() ? net_user_grant(e, false) : net_grant_boot(e, false);
    }
}

/* The first program's arguments: arg0= and arg1= on the command line
 * (decimal or 0x hex), in rdi and rsi. */
static void set_first_args(struct env *e)
{
    char buf[24];
    uint64_t v[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        if (!cmdline_get(i ? "arg1" : "arg0", buf, sizeof(buf)))
            continue;
        bool hex = buf[0] == '0' && buf[1] == 'x';
        for (char *p = buf + (hex ? 2 : 0); *p; p++) {
            int d = *p >= '0' && *p <= '9' ? *p - '0' : hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
            if (d < 0)
                break;
            v[i] = v[i] * (hex ? 16 : 10) + (uint64_t)d;
        }
    }
    arch_context_set_args(&e->tf, v[0], v[1]);
}

/* Start the programs named by init=a,b,c (default "init") in order. */
static void start_first_envs(void)
{
    char list[256] = "init";
    cmdline_get("init", list, sizeof(list));
    free_pages_at_start = page_free_count();
    for (char *p = list; *p;) {
        char *name = p;
        while (*p && *p != ',')
            p++;
        if (*p)
            *p++ = 0;
        size_t size;
        const void *image = boot_archive_find(name, &size);
        struct env *e;
        if (!image)
            panic("boot: no program '%s' in the boot archive", name);
        int r = env_create(NULL, NULL, page_free_count(), name, &e, NULL);
        if (r == 0)
            grant_boot_caps(e, name == list);
        if (r < 0 || (r = env_load_elf(e, image, size)) < 0)
            panic("boot: cannot start program '%s' (%d)", name, r);
        if (name == list)
            set_first_args(e);
    }
}

void kernel_finish(void)
{
    uint64_t now = page_free_count();
    int status = env_first_status();
    kprintf("veneer: all environments finished; free pages %lu before, %lu after\n",
            free_pages_at_start, now);
    kernel_audit();
    arch_print_cpu_stats();
    kernel_lock_print_stats();
    sched_print_stats();
    if (now != free_pages_at_start) {
        kprintf("veneer: LEAK of %ld pages\n", (long)(free_pages_at_start - now));
        arch_halt(EXIT_FAIL);
    }
    if (kernel_audits_passed())
        kprintf("veneer: %lu invariant audits passed\n", kernel_audits_passed());
    kprintf("veneer: halting, first environment status %d\n", status);
    arch_halt(status == 0 ? EXIT_PASS : EXIT_FAIL);
}

void kernel_main(int protocol, paddr_t boot_info_phys)
{
    arch_console_init();                            /* COM1: every message from here on */
    arch_boot_info_parse(protocol, boot_info_phys); /* memory map, modules, command line */
    kprintf("\nVeneer exokernel (x86_64), booted by %s\ncmdline: %s\n", boot_info.loader,
            boot_info.cmdline);
    cpu_init();                                     /* GDT, TSS, IDT, syscall MSRs, SMEP/SMAP */
    kernel_lock();                                  /* the big kernel lock: held until user mode */
    pic_disable();                                  /* legacy PIC remapped and masked */
    pmem_init();                                    /* physical page pool from the memory map */
    paging_init();                                  /* physmap + W^X kernel image; boot map gone */
    page_meta_init();                               /* per-page records, exposed read-only */
    paging_expose_init(page_meta_sysinfo_pa(),      /* ... mapped into every address space */
                       page_meta_info_pa(), page_meta_info_pages());
    env_init();                                     /* capability hooks */
    smp_boot();                                     /* local APICs, timer, the other CPUs */
    clock_expose();                                 /* TSC calibration for libOS clocks */
    pci_init();                                     /* ACPI device tables, PCI functions: the inventory */
    irq_init();                                     /* device vectors; I/O APIC pins masked */
    drv_probe_all();                                /* the kernel's own drivers take their functions */
    device_init();                                  /* the functions handed out as capabilities */
    kprintf("memory: %lu MiB usable, %lu pages free\n", pmem_top() >> 20, page_free_count());
    ktest_run_requested();                          /* kernel self-tests named by ktest= */
    net_init();                                     /* the NIC up, shared by packet filters */
    blk_init();                                     /* the disks' namespaces, shared by extents */
    audit_init();                                   /* invariant audits (fuzzing builds) */
    if (!boot_archive_init())                       /* user programs come from a boot module */
        panic("boot: no boot archive module");
    for (unsigned i = 0; i < boot_info.nmodules; i++)   /* modules are never handed out */
        page_meta_mark_kernel(boot_info.modules[i].base, boot_info.modules[i].len);
    start_first_envs();                             /* programs named by init= */
    sched_run();                                    /* run environments; never returns */
}
