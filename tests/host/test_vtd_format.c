/*
 * Host unit test of the VT-d formats (kernel/arch/x86_64/vtd_format.h):
 * the capability registers QEMU 7.2 reports decoded field by field, and
 * each entry and descriptor checked bit by bit against the spec's layout
 * (built here from the field positions, not from the encoders).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch/x86_64/vtd_format.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

/* What QEMU 7.2's intel-iommu (aw-bits 39, intremap on) reports. */
#define QEMU_CAP  0xd2008c22260206ul
#define QEMU_ECAP 0xf00f4aul

static void test_caps(void)
{
    CHECK(vtd_cap_domains(QEMU_CAP) == 65536);
    CHECK(!vtd_cap_cm(QEMU_CAP));
    CHECK(vtd_cap_sagaw(QEMU_CAP) == 2 && vtd_levels(vtd_cap_sagaw(QEMU_CAP)) == 3);
    CHECK(vtd_cap_mgaw(QEMU_CAP) == 39);
    CHECK(vtd_cap_fro(QEMU_CAP) == 0x220 && vtd_cap_nfr(QEMU_CAP) == 1);
    CHECK(vtd_cap_psi(QEMU_CAP) && vtd_cap_drd(QEMU_CAP) && vtd_cap_dwd(QEMU_CAP));
    CHECK(vtd_cap_domains(0) == 16 && vtd_cap_domains(2) == 256);
    CHECK(vtd_cap_cm(1ul << 7) && vtd_cap_nfr(7ul << 40) == 8);
    CHECK(vtd_levels(4) == 4 && vtd_levels(6) == 3 && vtd_levels(1) == 0 && vtd_levels(0x18) == 0);
    CHECK(!vtd_ecap_coherent(QEMU_ECAP) && vtd_ecap_qi(QEMU_ECAP) && vtd_ecap_ir(QEMU_ECAP));
    CHECK(vtd_ecap_iro(QEMU_ECAP) == 0xf0);
}

static void test_entries(void)
{
    CHECK(vtd_root_entry(0x123000) == (0x123000 | 1));
    CHECK(vtd_context_lo(0x456000) == (0x456000 | 1));         /* TT 0, FPD 0 */
    CHECK(vtd_context_hi(0x1234, 3) == (0x1234ul << 8 | 1));   /* AW 1: 39-bit */
    CHECK(vtd_context_hi(5, 4) == (5ul << 8 | 2));             /* AW 2: 48-bit */
    CHECK(vtd_context_did(vtd_context_hi(0xfffe, 3)) == 0xfffe);
    uint64_t iova = 0x7fc0603000ul;     /* indices 511 (bits 38:30), 3, 3 */
    CHECK(vtd_pt_index(iova, 3) == 511 && vtd_pt_index(iova, 2) == 3 && vtd_pt_index(iova, 1) == 3);
    CHECK(vtd_pt_index(1ul << 39, 4) == 1 && vtd_pt_index(1ul << 39, 3) == 0);
    CHECK(vtd_pt_index(0xfff, 1) == 0 && vtd_pt_index(0x1000, 1) == 1 && vtd_pt_index(0x200000, 1) == 0);
}

static void test_irte(void)
{
    /* lo: P bit 0, FPD 1, DM 2, RH 3, TM 4, DLM 7:5, IM 15, V 23:16, DST 63:32 (xAPIC 47:40) */
    CHECK(vtd_irte_lo(0, 0x30, false) == (1 | 0x30ul << 16));
    CHECK(vtd_irte_lo(0xab, 0xfe, true) == (1 | 1ul << 4 | 0xfeul << 16 | 0xabul << 40));
    CHECK((vtd_irte_lo(0x1ff, 0x30, false) >> 32) == 0xff00);  /* 8-bit ids only */
    /* hi: SID 15:0, SQ 17:16, SVT 19:18 */
    CHECK(vtd_irte_hi(0xff00) == (0xff00 | 1ul << 18));
    CHECK(vtd_msi_address(0) == 0xfee00010);
    CHECK(vtd_msi_address(1) == (0xfee00010 | 1 << 5));
    CHECK(vtd_msi_address(0x7fff) == (0xfee00010 | 0x7fff << 5));
    CHECK(vtd_msi_address(0x8000) == (0xfee00010 | 1 << 2));
    CHECK((vtd_msi_address(0xffff) & 0xfff00000) == 0xfee00000);
}

static void test_descriptors(void)
{
    struct vtd_desc d = vtd_desc_context(VTD_GRAN_DEVICE, 7, 0x0010);
    CHECK(d.lo == (0x1 | 3 << 4 | 7ul << 16 | 0x10ul << 32) && d.hi == 0);
    d = vtd_desc_context(VTD_GRAN_GLOBAL, 0, 0);
    CHECK(d.lo == 0x11 && d.hi == 0);
    d = vtd_desc_iotlb(VTD_GRAN_PAGE, 9, 0x12345fff, true, true);
    CHECK(d.lo == (0x2 | 3 << 4 | 1 << 6 | 1 << 7 | 9ul << 16) && d.hi == 0x12345000);   /* AM 0, IH 0 */
    d = vtd_desc_iotlb(VTD_GRAN_DOMAIN, 9, 0x12345000, false, true);
    CHECK(d.lo == (0x2 | 2 << 4 | 1 << 6 | 9ul << 16) && d.hi == 0);
    d = vtd_desc_iotlb(VTD_GRAN_GLOBAL, 0, 0, true, false);
    CHECK(d.lo == (0x2 | 1 << 4 | 1 << 7));
    d = vtd_desc_iec(-1);
    CHECK(d.lo == 0x4 && d.hi == 0);                            /* G 0: global */
    d = vtd_desc_iec(200);
    CHECK(d.lo == (0x4 | 1 << 4 | 200ul << 32) && d.hi == 0);   /* IM 0 */
    d = vtd_desc_wait(0x600d, 0x1234567c);
    CHECK(d.lo == (0x5 | 1 << 5 | 1 << 6 | 0x600dul << 32) && d.hi == 0x1234567c);
    /* No descriptor sets the bits QEMU rejects as reserved. */
    CHECK((vtd_desc_context(3, 0xffff, 0xffff).lo & 0xfffc00000000ffc0ul) == 0);
    CHECK((vtd_desc_iotlb(3, 0xffff, ~0ul, true, true).lo & 0xffffffff0000ff00ul) == 0);
    CHECK((vtd_desc_iotlb(3, 0xffff, ~0ul, true, true).hi & 0xf80) == 0);
    CHECK((vtd_desc_wait(~0u, ~0ul).lo & 0xffffff80ul) == 0 && (vtd_desc_wait(~0u, ~0ul).hi & 3) == 0);
}

static void test_faults(void)
{
    /* A write by 00:02.0 at 0x538000, reason 1, as QEMU records it. */
    struct vtd_fault f = vtd_fault_decode(0x538000, 1ul << 63 | 1ul << 32 | 0x0010);
    CHECK(f.valid && !f.read && f.reason == 1 && f.source == 0x10 && f.info == 0x538000);
    f = vtd_fault_decode(0x538abc, 1ul << 63 | 1ul << 62 | 6ul << 32 | 0xff00);
    CHECK(f.valid && f.read && f.reason == 6 && f.source == 0xff00 && f.info == 0x538000);
    CHECK(!vtd_fault_decode(0, 0).valid);
    CHECK(strcmp(vtd_fault_reason(1), "root entry not present") == 0);
    CHECK(strcmp(vtd_fault_reason(2), "context entry not present") == 0);
    CHECK(strcmp(vtd_fault_reason(5), "write not allowed") == 0);
    CHECK(strcmp(vtd_fault_reason(6), "read not allowed") == 0);
    CHECK(strcmp(vtd_fault_reason(0xd), "blocked by translation type") == 0);
    CHECK(strcmp(vtd_fault_reason(0xe), "other") == 0);
    CHECK(strcmp(vtd_fault_reason(0x22), "interrupt entry not present") == 0);
    CHECK(strcmp(vtd_fault_reason(0x26), "interrupt source mismatch") == 0);
    CHECK(strcmp(vtd_fault_reason(0x27), "other") == 0 && strcmp(vtd_fault_reason(255), "other") == 0);
}

int main(void)
{
    test_caps();
    test_entries();
    test_irte();
    test_descriptors();
    test_faults();
    printf("vtd_format: %d checks passed\n", checks);
    return 0;
}
