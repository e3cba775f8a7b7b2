/*
 * Boot: the table of contents of the kernel.  Each line brings up one
 * mechanism; after the last one the kernel only reacts to traps.
 */
#include "arch.h"
#include "boot_archive.h"
#include "boot_info.h"
#include "console.h"
#include "env.h"
#include "ktest.h"
#include "panic.h"
#include "pmem.h"
#include "vm.h"

static uint64_t free_pages_at_start;

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
        int r = image ? env_create_from_elf(name, image, size, &e) : -1;
        if (r < 0)
            panic("boot: cannot start program '%s' (%d)", name, r);
    }
}

void kernel_finish(void)
{
    uint64_t now = page_free_count();
    int status = env_first_status();
    kprintf("veneer: all environments finished; free pages %lu before, %lu after\n",
            free_pages_at_start, now);
    if (now != free_pages_at_start) {
        kprintf("veneer: LEAK of %ld pages\n", (long)(free_pages_at_start - now));
        arch_halt(EXIT_FAIL);
    }
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
    pic_disable();                                  /* legacy PIC remapped and masked */
    pmem_init();                                    /* physical page pool from the memory map */
    paging_init();                                  /* physmap + W^X kernel image; boot map gone */
    kprintf("memory: %lu MiB usable, %lu pages free\n", pmem_top() >> 20, page_free_count());
    ktest_run_requested();                          /* kernel self-tests named by ktest= */
    if (!boot_archive_init())                       /* user programs come from a boot module */
        panic("boot: no boot archive module");
    start_first_envs();                             /* programs named by init= */
    sched_run();                                    /* run environments; never returns */
}
