/*
 * Boot archive access.  The archive is a boot module; it is validated once
 * (every entry inside the module) so lookups can trust it afterwards.
 */
#include <veneer/archive.h>
#include "boot_archive.h"
#include "boot_info.h"
#include "console.h"
#include "klib.h"
#include "pmem.h"

static const struct var_header *archive;

bool boot_archive_region(paddr_t *base, uint64_t *len)
{
    if (!archive)
        return false;
    *base = V2P(archive);
    *len = archive->size;
    return true;
}

bool boot_archive_init(void)
{
    for (unsigned m = 0; m < boot_info.nmodules; m++) {
        const struct var_header *h = P2V(boot_info.modules[m].base);
        uint64_t len = boot_info.modules[m].len;
        if (len < sizeof(*h) || h->magic != VAR_MAGIC)
            continue;
        if (h->size > len || h->count > (len - sizeof(*h)) / sizeof(struct var_entry)) {
            kprintf("boot archive: header out of bounds, ignored\n");
            continue;
        }
        const struct var_entry *ents = (const void *)(h + 1);
        bool ok = true;
        for (uint32_t i = 0; i < h->count && ok; i++)
            ok = ents[i].offset <= h->size && ents[i].size <= h->size - ents[i].offset &&
                 strnlen(ents[i].name, VAR_NAME_MAX) < VAR_NAME_MAX;
        if (!ok) {
            kprintf("boot archive: entry out of bounds, ignored\n");
            continue;
        }
        archive = h;
        kprintf("boot archive: %u files, %lu bytes\n", h->count, h->size);
        return true;
    }
    return false;
}

const void *boot_archive_find(const char *name, size_t *size)
{
    if (!archive)
        return NULL;
    const struct var_entry *ents = (const void *)(archive + 1);
    for (uint32_t i = 0; i < archive->count; i++) {
        if (strcmp(ents[i].name, name) == 0) {
            *size = ents[i].size;
            return (const uint8_t *)archive + ents[i].offset;
        }
    }
    return NULL;
}
