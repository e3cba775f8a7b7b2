/*
 * What the boot loader told us, in a loader-neutral form.  The arch layer
 * fills it (from PVH start info or multiboot2 tags) before anything else
 * runs; after that the loader's own structures are never touched again.
 */
#ifndef KERNEL_BOOT_INFO_H
#define KERNEL_BOOT_INFO_H

#include "types.h"

#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 512

struct boot_region {
    paddr_t base;
    uint64_t len;
    bool usable;        /* ordinary RAM the kernel may hand out */
};

struct boot_module {
    paddr_t base;
    uint64_t len;
};

struct boot_info {
    const char *loader;                     /* "pvh" or "multiboot2" */
    unsigned nregions;
    struct boot_region regions[BOOT_MAX_REGIONS];
    unsigned nmodules;
    struct boot_module modules[BOOT_MAX_MODULES];
    char cmdline[BOOT_CMDLINE_MAX];
    paddr_t rsdp;                           /* ACPI RSDP if the loader said (else 0) */
    uint8_t rsdp_copy[36];                  /* multiboot2 hands over a copy instead */
    bool has_rsdp_copy;
};

extern struct boot_info boot_info;

/* Fill boot_info from the loader's structure at info_phys. Panics if the
 * loader is unknown or gave no memory map. */
void arch_boot_info_parse(int protocol, paddr_t info_phys);
/* Value of key=value on the kernel command line (copied into buf, at most
 * len bytes with the NUL); returns false if key is absent. */
bool cmdline_get(const char *key, char *buf, size_t len);
/* Whether a bare word or key=... is present on the command line. */
bool cmdline_has(const char *key);

#endif
