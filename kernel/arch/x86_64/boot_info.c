/*
 * Read the boot loader's hand-over structure into boot_info.
 *   PVH:        struct hvm_start_info (Xen PVH ABI, version >= 1 for memmap)
 *   multiboot2: tag list (cmdline 1, module 3, memory map 6)
 * Runs on the boot page tables, where the first 4 GiB are in the physmap.
 */
#include "../../boot_info.h"
#include "../../klib.h"
#include "../../panic.h"
#include "../../pmem.h"
#include "boot_proto.h"

struct boot_info boot_info;

#define PVH_MAGIC 0x336ec578

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

struct mmap_entry {                 /* PVH's memory map and multiboot2's, alike */
    uint64_t base, len;
    uint32_t type, reserved;        /* type 1: usable RAM */
};

struct mb2_tag {
    uint32_t type, size;
};

static void add_region(paddr_t base, uint64_t len, bool usable)
{
    if (boot_info.nregions < BOOT_MAX_REGIONS)
        boot_info.regions[boot_info.nregions++] = (struct boot_region){base, len, usable};
}

static void add_module(paddr_t base, uint64_t len)
{
    if (boot_info.nmodules < BOOT_MAX_MODULES)
        boot_info.modules[boot_info.nmodules++] = (struct boot_module){base, len};
}

static void set_cmdline(paddr_t pa)
{
    if (pa)
        for (size_t i = 0; i + 1 < BOOT_CMDLINE_MAX && ((char *)P2V(pa))[i]; i++)
            boot_info.cmdline[i] = ((char *)P2V(pa))[i];
}

static void parse_pvh(paddr_t pa)
{
    struct hvm_start_info *si = P2V(pa);
    if (si->magic != PVH_MAGIC)
        panic("boot: bad PVH magic %x", si->magic);
    boot_info.loader = "pvh";
    set_cmdline(si->cmdline_paddr);
    boot_info.rsdp = si->rsdp_paddr;
    struct hvm_modlist_entry *mods = P2V(si->modlist_paddr);
    for (uint32_t i = 0; i < si->nr_modules; i++)
        add_module(mods[i].paddr, mods[i].size);
    if (si->version < 1 || !si->memmap_paddr)
        panic("boot: PVH start info without a memory map");
    struct mmap_entry *mm = P2V(si->memmap_paddr);
    for (uint32_t i = 0; i < si->memmap_entries; i++)
        add_region(mm[i].base, mm[i].len, mm[i].type == 1);
}

static void parse_mb2(paddr_t pa)
{
    uint32_t total = *(uint32_t *)P2V(pa);
    boot_info.loader = "multiboot2";
    for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
        struct mb2_tag *t = P2V(pa + off);
        if (t->type == 0 || t->size < 8)
            break;
        if (t->type == 1) {
            set_cmdline(pa + off + 8);
        } else if (t->type == 3) {
            uint32_t *m = (uint32_t *)(t + 1);
            add_module(m[0], m[1] - m[0]);
        } else if ((t->type == 14 || t->type == 15) && t->size > 8) {
            uint32_t n = MIN(t->size - 8, sizeof(boot_info.rsdp_copy));
            memcpy(boot_info.rsdp_copy, (uint8_t *)(t + 1), n);
            boot_info.has_rsdp_copy = true;
        } else if (t->type == 6) {
            uint32_t esize = ((uint32_t *)(t + 1))[0];
            for (uint32_t e = 16; esize && e + esize <= t->size; e += esize) {
                struct mmap_entry *me = P2V(pa + off + e);
                add_region(me->base, me->len, me->type == 1);
            }
        }
        off += ROUND_UP(t->size, 8);
    }
    if (boot_info.nregions == 0)
        panic("boot: multiboot2 information without a memory map");
}

void arch_boot_info_parse(int protocol, paddr_t info_phys)
{
    if (protocol == BOOT_PROTO_PVH)
        parse_pvh(info_phys);
    else if (protocol == BOOT_PROTO_MB2)
        parse_mb2(info_phys);
    else
        panic("boot: unknown boot loader (protocol %d)", protocol);
}
