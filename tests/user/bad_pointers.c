/*
 * Hostile: hand the kernel bad pointers.  Every one must be refused with
 * E_FAULT (or E_NOSYS for a bad number) and this program keeps running.
 */
#include <libveneer.h>
#include <veneer/memlayout.h>

static int failures;

static void expect(const char *what, long got, long want)
{
    if (got != want) {
        printf("bad_pointers: FAIL %s returned %ld, expected %ld\n", what, got, want);
        failures++;
    } else {
        printf("bad_pointers: ok %s -> %s\n", what, got < 0 ? vn_strerror(got) : "accepted");
    }
}

int main(void)
{
    expect("kernel text pointer", vn_cons_write((const char *)0xffffffff80200000ul, 16), -E_FAULT);
    expect("physmap pointer", vn_cons_write((const char *)0xffff800000000000ul, 16), -E_FAULT);
    expect("non-canonical pointer", vn_cons_write((const char *)0x0000900000000000ul, 16), -E_FAULT);
    expect("unmapped pointer", vn_cons_write((const char *)0x10000000ul, 16), -E_FAULT);
    expect("NULL pointer", vn_cons_write(NULL, 1), -E_FAULT);
    expect("range wrapping into the kernel", vn_cons_write((const char *)0x7ffffffff000ul, ~0ul), -E_FAULT);
    expect("range ending past user space", vn_cons_write((const char *)0x7fffffffff00ul, 0x200), -E_FAULT);
    /* A valid start (top of the stack) that runs into an unmapped page. */
    expect("range crossing into unmapped page",
           vn_cons_write((const char *)(USER_STACK_TOP - 16), 64), -E_FAULT);
    /* cons_read writes into the buffer: kernel, unmapped and read-only
     * (text) destinations are refused even when nothing was received. */
    expect("cons_read into the kernel", vn_cons_read((char *)0xffffffff80200000ul, 16), -E_FAULT);
    expect("cons_read into unmapped memory", vn_cons_read((char *)0x10000000ul, 16), -E_FAULT);
    expect("cons_read wrapping", vn_cons_read((char *)0x7ffffffff000ul, ~0ul), -E_FAULT);
    char rbuf[8];
    expect("cons_read with nothing received", vn_cons_read(rbuf, sizeof(rbuf)), 0);
    expect("unknown syscall number", vn_syscall0(9999), -E_NOSYS);
    expect("negative syscall number", vn_syscall0(-1), -E_NOSYS);
    expect("valid write", vn_cons_write("bad_pointers: ", 14), 14);
    printf("still alive\n");
    if (failures)
        return 1;
    printf("bad_pointers: all refused\n");
    return 0;
}
