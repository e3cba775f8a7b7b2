/*
 * Host unit test of the DMAR parser (kernel/arch/x86_64/acpi_dmar.c) under
 * ASan/UBSan: a table like QEMU's q35 one is read exactly; then hostile
 * tables, each in a buffer of exactly its stated length so that any read
 * past the end is caught: every truncation of a good table, zero-length
 * structures and scopes, scopes running past their unit, too many units
 * and scopes, a unit whose registers are in RAM, and random corruption.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch/x86_64/acpi.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static uint8_t *table_buf;     /* what acpi_table("DMAR") returns */

const struct acpi_sdt *acpi_table(const char *sig, unsigned instance)
{
    return strncmp(sig, "DMAR", 4) == 0 && instance == 0 ? (const struct acpi_sdt *)table_buf : NULL;
}

bool acpi_overlaps_ram(paddr_t base, uint64_t len)
{
    return base < (256u << 20) && len;     /* RAM is the first 256 MiB */
}

#include "kprintf_capture.h"

/* ---- building tables */

static uint8_t img[4096];
static size_t len;

static void put(size_t off, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++)
        img[off + i] = (uint8_t)(v >> (8 * i));
}

static void begin(uint8_t haw_minus_1, uint8_t flags)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "DMAR", 4);
    img[36] = haw_minus_1;
    img[37] = flags;
    len = 48;
}

static size_t drhd(uint8_t flags, uint16_t seg, uint64_t base)
{
    size_t at = len;
    put(at, 2, 0);
    put(at + 2, 2, 16);
    img[at + 4] = flags;
    put(at + 6, 2, seg);
    put(at + 8, 8, base);
    len += 16;
    return at;
}

static size_t rmrr(uint16_t seg, uint64_t base, uint64_t limit)
{
    size_t at = len;
    put(at, 2, 1);
    put(at + 2, 2, 24);
    put(at + 6, 2, seg);
    put(at + 8, 8, base);
    put(at + 16, 8, limit);
    len += 24;
    return at;
}

/* A one-step scope appended to the structure at parent. */
static void scope(size_t parent, uint8_t type, uint8_t id, uint8_t bus, uint8_t dev, uint8_t fn)
{
    uint8_t *s = img + len;
    s[0] = type;
    s[1] = 8;
    s[4] = id;
    s[5] = bus;
    s[6] = dev;
    s[7] = fn;
    len += 8;
    put(parent + 2, 2, (uint16_t)(len - parent));
}

/* Parse img[0, n) from a buffer of exactly n bytes, with the header's length n. */
static struct acpi_devices parse(size_t n)
{
    put(4, 4, n);
    table_buf = malloc(n);
    memcpy(table_buf, img, n);
    struct acpi_devices d;
    memset(&d, 0, sizeof(d));
    acpi_dmar_parse(&d);
    free(table_buf);
    table_buf = NULL;
    CHECK(d.ndrhd <= ACPI_MAX_DRHD && d.nrmrr <= ACPI_MAX_RMRR);
    for (unsigned i = 0; i < d.ndrhd; i++) {
        CHECK(d.drhd[i].nscopes <= ACPI_MAX_SCOPES);
        for (unsigned j = 0; j < d.drhd[i].nscopes; j++)
            CHECK(d.drhd[i].scopes[j].depth <= ACPI_SCOPE_PATH && d.drhd[i].scopes[j].type >= 1 &&
                  d.drhd[i].scopes[j].type <= 5);
    }
    for (unsigned i = 0; i < d.nrmrr; i++)
        CHECK(d.rmrr[i].nscopes <= ACPI_MAX_SCOPES && d.rmrr[i].base <= d.rmrr[i].limit);
    return d;
}

/* QEMU's q35 table: one unit at 0xfed90000 with an I/O APIC scope on the
 * pseudo bus 0xff and explicit PCI scopes. */
static void build_q35(void)
{
    begin(38, ACPI_DMAR_INTR_REMAP);
    size_t u = drhd(0, 0, 0xfed90000);
    scope(u, ACPI_SCOPE_IOAPIC, 0, 0xff, 0, 0);
    scope(u, ACPI_SCOPE_ENDPOINT, 0, 0, 2, 0);
    scope(u, ACPI_SCOPE_BRIDGE, 0, 0, 4, 0);
    scope(u, ACPI_SCOPE_ENDPOINT, 0, 0, 0x1f, 2);
    size_t r = rmrr(0, 0xe0000, 0xeffff);
    scope(r, ACPI_SCOPE_ENDPOINT, 0, 0, 0x1d, 0);
}

static void test_q35(void)
{
    build_q35();
    struct acpi_devices d = parse(len);
    CHECK(d.has_dmar && d.dmar_haw == 39 && d.dmar_flags == ACPI_DMAR_INTR_REMAP && d.dropped == 0);
    CHECK(d.ndrhd == 1 && d.drhd[0].base == 0xfed90000 && d.drhd[0].segment == 0 && d.drhd[0].flags == 0);
    CHECK(d.drhd[0].nscopes == 4);
    const struct acpi_dmar_scope *s = d.drhd[0].scopes;
    CHECK(s[0].type == ACPI_SCOPE_IOAPIC && s[0].enum_id == 0 && s[0].bus == 0xff && s[0].depth == 1);
    CHECK(s[2].type == ACPI_SCOPE_BRIDGE && s[2].path[0][0] == 4 && s[2].path[0][1] == 0);
    CHECK(s[3].path[0][0] == 0x1f && s[3].path[0][1] == 2);
    CHECK(d.nrmrr == 1 && d.rmrr[0].base == 0xe0000 && d.rmrr[0].limit == 0xeffff && d.rmrr[0].nscopes == 1);
    outlen = 0;
    acpi_dmar_print(&d);
    CHECK(strstr(out, "dmar: unit at fed90000, segment 0, intremap, 39-bit address width, scopes: ioapic 0 "
                      "ff:00.0, pci 00:02.0, bridge 00:04.0, pci 00:1f.2\n"));
    CHECK(strstr(out, "dmar: rmrr e0000-effff, segment 0, for pci 00:1d.0\n"));
}

static void test_truncated(void)
{
    build_q35();
    size_t full = len;
    for (size_t n = 0; n <= full; n++) {
        if (n < 8)
            continue;           /* shorter than its own length field: acpi_table never returns it */
        struct acpi_devices d = parse(n);
        CHECK(d.ndrhd <= 1 && (n >= 48 || !d.has_dmar));
    }
}

static void test_hostile(void)
{
    /* A zero-length structure: the walk must stop, not spin. */
    begin(38, 0);
    size_t u = drhd(0, 0, 0xfed90000);
    put(u + 2, 2, 0);
    struct acpi_devices d = parse(64);
    CHECK(d.ndrhd == 0 && d.dropped == 1);

    /* A zero-length scope, and a scope longer than its unit. */
    begin(38, 0);
    u = drhd(0, 0, 0xfed90000);
    scope(u, ACPI_SCOPE_ENDPOINT, 0, 0, 2, 0);
    img[u + 16 + 1] = 0;
    d = parse(len);
    CHECK(d.ndrhd == 1 && d.drhd[0].nscopes == 0 && d.dropped == 1);
    begin(38, 0);
    u = drhd(0, 0, 0xfed90000);
    scope(u, ACPI_SCOPE_ENDPOINT, 0, 0, 2, 0);
    img[u + 16 + 1] = 200;
    d = parse(len);
    CHECK(d.ndrhd == 1 && d.drhd[0].nscopes == 0 && d.dropped == 1);

    /* A unit longer than the table. */
    begin(38, 0);
    u = drhd(0, 0, 0xfed90000);
    put(u + 2, 2, 4000);
    d = parse(len);
    CHECK(d.ndrhd == 0 && d.dropped == 1);

    /* Six units: four kept.  20 scopes: 16 kept.  Unknown scope type and
     * a path deeper than kept: dropped. */
    begin(38, 0);
    for (int i = 0; i < 6; i++)
        drhd(0, 0, 0xfed90000 + 0x1000 * (uint64_t)i);
    u = drhd(1, 0, 0xfeda0000);
    for (int i = 0; i < 20; i++)
        scope(u, ACPI_SCOPE_ENDPOINT, 0, 0, (uint8_t)i, 0);
    d = parse(len);
    CHECK(d.ndrhd == 4 && d.dropped == 3);
    begin(38, 0);
    u = drhd(1, 0, 0xfeda0000);
    for (int i = 0; i < 20; i++)
        scope(u, ACPI_SCOPE_ENDPOINT, 0, 0, (uint8_t)i, 0);
    scope(u, 9, 0, 0, 1, 0);
    img[len + 0] = ACPI_SCOPE_ENDPOINT;
    img[len + 1] = 6 + 2 * (ACPI_SCOPE_PATH + 1);
    len += 6 + 2 * (ACPI_SCOPE_PATH + 1);
    put(u + 2, 2, (uint16_t)(len - u));
    d = parse(len);
    CHECK(d.ndrhd == 1 && d.drhd[0].nscopes == ACPI_MAX_SCOPES && d.dropped == 4 + 1 + 1);

    /* Registers in RAM, unaligned or at 0; an RMRR that ends before it starts. */
    begin(38, 0);
    drhd(0, 0, 0x100000);
    drhd(0, 0, 0xfed90010);
    drhd(0, 0, 0);
    rmrr(0, 0x2000, 0x1000);
    d = parse(len);
    CHECK(d.ndrhd == 0 && d.nrmrr == 0 && d.dropped == 4);
}

static void test_random(void)
{
    srand(14);
    for (int round = 0; round < 20000; round++) {
        build_q35();
        size_t n = 8 + (size_t)rand() % (len - 7);
        for (int k = rand() % 6; k >= 0; k--)
            img[(size_t)rand() % n] = (uint8_t)rand();
        parse(n);
    }
}

int main(void)
{
    test_q35();
    test_truncated();
    test_hostile();
    test_random();
    printf("acpi_dmar: %d checks passed\n", checks);
    return 0;
}
