/*
 * Boot-CPU setup: GDT with a TSS, IDT, the syscall MSRs, and the protection
 * features the CPU offers (NX was enabled in boot.S; SMEP, SMAP, WP and
 * SSE here).  Interrupt gates keep interrupts off in the kernel; NMI,
 * double fault and machine check run on their own IST stacks so a broken
 * kernel stack still gets a clean panic.
 */
#include "../../console.h"
#include "../../klib.h"
#include "percpu.h"
#include "trapframe.h"
#include "x86.h"

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern char trap_stubs[], syscall_entry[];

struct percpu cpus[MAX_CPUS];
unsigned ncpus = 1;
static struct idt_gate idt[256];
static uint8_t cpu0_kstack[16384] __attribute__((aligned(16)));
static uint8_t cpu0_ist[3 * 4096] __attribute__((aligned(16)));

bool cpu_has_smep, cpu_has_smap;

static void gdt_init(struct percpu *c)
{
    c->gdt[0] = 0;
    c->gdt[1] = 0x00af9a000000ffff;     /* GDT_KCODE */
    c->gdt[2] = 0x00cf92000000ffff;     /* GDT_KDATA */
    c->gdt[3] = 0x00cff2000000ffff;     /* GDT_UDATA */
    c->gdt[4] = 0x00affa000000ffff;     /* GDT_UCODE */
    uint64_t base = (uint64_t)&c->tss, limit = sizeof(c->tss) + sizeof(c->iobm) - 1;
    c->gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ul << 40) |
                ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    c->gdt[6] = base >> 32;
    c->tss.iomap_base = sizeof(c->tss); /* the bitmap follows: all ports denied until dev_ports */
    memset(c->iobm, 0xff, sizeof(c->iobm));

    struct desc_ptr d = {sizeof(c->gdt) - 1, (uint64_t)c->gdt};
    __asm__ volatile("lgdt %0\n"
                     "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
                     "pushq %2\n lea 1f(%%rip), %%rax\n pushq %%rax\n lretq\n1:\n"
                     : : "m"(d), "r"((uint64_t)GDT_KDATA), "i"(GDT_KCODE) : "rax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
}

static void idt_build(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)trap_stubs + 16 * v;
        idt[v] = (struct idt_gate){
            .off_lo = a & 0xffff, .sel = GDT_KCODE,
            .ist = v == T_NMI ? 1 : v == T_DBLFLT ? 2 : v == T_MCHK ? 3 : 0,
            .type = v == T_BRKPT ? 0xee : 0x8e,   /* int3 allowed from ring 3 */
            .off_mid = a >> 16 & 0xffff, .off_hi = a >> 32,
        };
    }
}

static void features_init(void)
{
    uint32_t a, b, c, d;
    cpuid(7, 0, &a, &b, &c, &d);
    cpu_has_smep = b & (1u << 7);
    cpu_has_smap = b & (1u << 20);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (b & 1u)
        cr4 |= CR4_FSGSBASE;    /* libOSes set their own TLS base (wrfsbase) */
    if (cpu_has_smep)
        cr4 |= CR4_SMEP;
    if (cpu_has_smap)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    write_cr0((read_cr0() | CR0_WP | 2 /* MP */) & ~4ul /* EM */);
}

void cpu_init_one(unsigned idx, uint64_t kstack, uint64_t ist_base)
{
    struct percpu *c = &cpus[idx];
    c->self = c;
    c->id = idx;
    c->kstack_top = kstack;
    c->tss.rsp[0] = kstack;
    for (int i = 0; i < 3; i++)
        c->tss.ist[i] = ist_base + (uint64_t)(i + 1) * 4096;
    gdt_init(c);
    if (idx == 0)
        idt_build();
    struct desc_ptr d = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(d));
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE | EFER_NXE);
    wrmsr(MSR_STAR, ((uint64_t)GDT_KDATA << 48) | ((uint64_t)GDT_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL);
    features_init();
}

void cpu_init(void)
{
    cpu_init_one(0, (uint64_t)cpu0_kstack + sizeof(cpu0_kstack), (uint64_t)cpu0_ist);
    kprintf("cpu: NX on, W^X kernel, SMEP %s, SMAP %s\n", cpu_has_smep ? "on" : "absent",
            cpu_has_smap ? "on" : "absent");
}
