/*
 * panic() and symbolized backtraces.  The kernel is built with frame
 * pointers; the symbol table (.ksyms, sorted by address) is produced by
 * tools/mksyms.sh from the first link and placed in the second link, so
 * names are printed by the kernel itself, without host tools.
 */
#include <veneer/memlayout.h>
#include "arch.h"
#include "console.h"
#include "panic.h"
#include "fuzz.h"

struct ksym {
    uint64_t addr;
    uint64_t name;      /* offset into ksyms_names */
};

extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];
extern char kernel_text_start[], kernel_text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    if (addr < (uint64_t)kernel_text_start || addr >= (uint64_t)kernel_text_end || ksyms_count == 0)
        return NULL;
    uint64_t lo = 0, hi = ksyms_count;      /* last symbol with addr <= target */
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (ksyms_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_table[lo].addr > addr)
        return NULL;
    *offset = addr - ksyms_table[lo].addr;
    return ksyms_names + ksyms_table[lo].name;
}

static bool frame_ok(uint64_t rbp) { return rbp >= KERNEL_BASE && rbp % 8 == 0 && rbp < ~0ul - 16; }

void backtrace_print(uint64_t rbp)
{
    for (int depth = 0; depth < 32 && frame_ok(rbp); depth++) {
        uint64_t ret = ((uint64_t *)rbp)[1];
        uint64_t off;
        /* ret - 1 lies in the call instruction: right even for noreturn calls. */
        const char *name = ksym_lookup(ret - 1, &off);
        off++;
        if (name)
            kprintf("    #%d %016lx %s+0x%lx\n", depth, ret, name, off);
        else
            kprintf("    #%d %016lx ?\n", depth, ret);
        uint64_t next = ((uint64_t *)rbp)[0];
        if (next <= rbp)
            break;
        rbp = next;
    }
}

void panic(const char *fmt, ...)
{
    static int nested;
    va_list ap;
    if (nested++)
        arch_halt(EXIT_PANIC);
    kprintf("\nPANIC: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n  backtrace:\n");
    backtrace_print(arch_frame_pointer());
    syscall_trace_dump();
    arch_halt(EXIT_PANIC);
}
