/*
 * The POSIX library OS (first steps).  It loads an unmodified static Linux
 * executable (musl, fixed-address) into its own address space, builds the
 * System V initial stack, and serves the program's Linux system calls from
 * the syscall-reflection upcall, returning straight to the program.
 * So far: the calls a static C program needs to start, print, allocate and
 * exit.  Unknown calls return -ENOSYS and are logged once by number.
 * Usage: init=posix [arg0=command] [arg1=1: trace].  Processes, files,
 * pipes, signals and the tty are still to come (issue 6).
 */
#include "libveneer.h"
#include "vn.h"
#include <veneer/elf.h>

#define LINUX_ENOSYS 38
#define LINUX_ENOTTY 25
#define LINUX_ENOMEM 12
#define LINUX_EBADF  9
#define STACK_TOP    0x7c0000000000ul
#define STACK_PAGES  32

static uint64_t brk_start, brk_cur;         /* program break */
static uint64_t mmap_next = 0x600000000000ul;
static uint8_t logged[512];

/* Map pages for [lo, hi) if not mapped yet. */
static int ensure_mapped(uint64_t lo, uint64_t hi)
{
    for (uint64_t va = lo & ~(PAGE_SIZE - 1); va < hi; va += PAGE_SIZE)
        if (!(vn_pte(va) & 1) && vn_map_fresh(va, 1, VM_PROT_WRITE | VM_PROT_EXEC) < 0)
            return -1;
    return 0;
}

static long sys_write(int fd, const char *buf, uint64_t len)
{
    if (fd != 1 && fd != 2)
        return -LINUX_EBADF;
    return vn_cons_write(buf, len);
}

static long sys_writev(int fd, const uint64_t *iov, int cnt)
{
    long total = 0;
    for (int i = 0; i < cnt; i++) {
        long r = sys_write(fd, (const char *)iov[2 * i], iov[2 * i + 1]);
        if (r < 0)
            return total ? total : r;
        total += r;
    }
    return total;
}

static long sys_brk(uint64_t want)
{
    if (want <= brk_cur)
        return (long)(want >= brk_start ? (brk_cur = want) : brk_cur);
    if (ensure_mapped(brk_cur, want) < 0)
        return (long)brk_cur;
    return (long)(brk_cur = want);
}

static long sys_mmap(uint64_t addr, uint64_t len, int flags, int fd)
{
    if (fd != -1 || !(flags & 0x20) || addr)    /* anonymous, kernel-chosen only (for now) */
        return -LINUX_ENOSYS;
    uint64_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE, va = mmap_next;
    mmap_next += (n + 1) * PAGE_SIZE;
    return vn_map_fresh(va, n, VM_PROT_WRITE) < 0 ? -LINUX_ENOMEM : (long)va;
}

static long sys_mprotect(uint64_t addr, uint64_t len, int prot)
{
    if (addr % PAGE_SIZE)
        return -22;     /* EINVAL */
    uint64_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    unsigned vp = ((prot & 2) ? VM_PROT_WRITE : 0) | ((prot & 4) ? VM_PROT_EXEC : 0);
    return vn_page_protect(CAP_SELF, addr, n, vp) < 0 ? -LINUX_ENOMEM : 0;
}

static long sys_clock_gettime(int clk, uint64_t *ts)
{
    (void)clk;          /* monotonic and realtime alike: time since boot, for now */
    uint64_t ns = vn_clock_ns();
    ts[0] = ns / 1000000000ul;
    ts[1] = ns % 1000000000ul;
    return 0;
}

static long sys_getrandom(uint8_t *buf, uint64_t len)
{
    static uint64_t state = 0x9e3779b97f4a7c15ul;
    state ^= vn_clock_ns();
    for (uint64_t i = 0; i < len; i++) {
        state = state * 6364136223846793005ul + 1442695040888963407ul;
        buf[i] = (uint8_t)(state >> 56);
    }
    return (long)len;
}

/* ------------------------------------------------------------ files
 * A read-only file system seeded from the boot archive: "/" holds "bin",
 * and /bin holds every file of the archive.  Descriptors 0-2 are the
 * console. */
#include <veneer/archive.h>

#define MAX_FDS 32
#define LINUX_ENOENT 2
#define LINUX_EMFILE 24
#define LINUX_ENOTDIR 20

enum { FD_FREE, FD_CONSOLE, FD_FILE, FD_DIR };

static struct fd {
    int kind;
    const uint8_t *data;    /* FD_FILE */
    uint64_t size, pos;     /* FD_DIR: pos = next entry */
    int dir;                /* FD_DIR: 0 "/", 1 "/bin" */
} fds[MAX_FDS] = {{FD_CONSOLE, 0, 0, 0, 0}, {FD_CONSOLE, 0, 0, 0, 0}, {FD_CONSOLE, 0, 0, 0, 0}};

/* Resolve a path: 0 "/", 1 "/bin", 2 a file (data/size set), or -ENOENT. */
static int resolve(const char *path, const uint8_t **data, uint64_t *size)
{
    if (!strcmp(path, "/") || !strcmp(path, "."))
        return 0;
    if (!strcmp(path, "/bin") || !strcmp(path, "/bin/"))
        return 1;
    const char *name = path;
    if (!memcmp(path, "/bin/", 5))
        name = path + 5;
    else if (path[0] == '/')
        name = path + 1;
    *data = vn_archive_find(name, size);
    return *data ? 2 : -LINUX_ENOENT;
}

static long sys_open(const char *path)
{
    const uint8_t *data = NULL;
    uint64_t size = 0;
    int kind = resolve(path, &data, &size);
    if (kind < 0)
        return kind;
    for (int fd = 3; fd < MAX_FDS; fd++) {
        if (fds[fd].kind == FD_FREE) {
            fds[fd] = (struct fd){kind == 2 ? FD_FILE : FD_DIR, data, size, 0, kind};
            return fd;
        }
    }
    return -LINUX_EMFILE;
}

static long sys_read(int fd, uint8_t *buf, uint64_t n)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_FREE)
        return -LINUX_EBADF;
    if (fds[fd].kind == FD_CONSOLE)
        return 0;           /* no console input yet: end of file */
    if (fds[fd].kind != FD_FILE)
        return -21;         /* EISDIR */
    struct fd *f = &fds[fd];
    uint64_t k = f->pos >= f->size ? 0 : (n < f->size - f->pos ? n : f->size - f->pos);
    memcpy(buf, f->data + f->pos, k);
    f->pos += k;
    return (long)k;
}

/* struct stat as x86_64 Linux lays it out (144 bytes). */
static long fill_stat(int kind, uint64_t size, uint64_t ino, uint64_t *st)
{
    memset(st, 0, 144);
    st[1] = ino;                                            /* st_ino */
    st[2] = 1;                                              /* st_nlink */
    ((uint32_t *)st)[6] = kind == 2 ? 0100755 : 040755;     /* st_mode */
    st[6] = size;                                           /* st_size */
    st[7] = 4096;                                           /* st_blksize */
    st[8] = (size + 511) / 512;                             /* st_blocks */
    return 0;
}

static long sys_fstat(int fd, uint64_t *st)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_FREE)
        return -LINUX_EBADF;
    if (fds[fd].kind == FD_CONSOLE) {
        fill_stat(2, 0, 1, st);
        ((uint32_t *)st)[6] = 020620;                       /* a character device */
        return 0;
    }
    return fill_stat(fds[fd].kind == FD_FILE ? 2 : fds[fd].dir, fds[fd].size, (uint64_t)fd + 100, st);
}

static long sys_stat(const char *path, uint64_t *st)
{
    const uint8_t *data = NULL;
    uint64_t size = 0;
    int kind = resolve(path, &data, &size);
    return kind < 0 ? kind : fill_stat(kind, size, (uint64_t)(uintptr_t)data, st);
}

/* getdents64: "/" lists bin; "/bin" lists the archive. */
static long sys_getdents64(int fd, uint8_t *buf, uint64_t n)
{
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind != FD_DIR)
        return fd >= 0 && fd < MAX_FDS && fds[fd].kind != FD_FREE ? -LINUX_ENOTDIR : -LINUX_EBADF;
    struct fd *d = &fds[fd];
    uint64_t used = 0;
    for (;;) {
        const char *name;
        int type;
        if (d->dir == 0) {
            if (d->pos > 0)
                break;
            name = "bin";
            type = 4;           /* DT_DIR */
        } else {
            const char *nm = vn_archive_name(d->pos);
            if (!nm)
                break;
            name = nm;
            type = 8;           /* DT_REG */
        }
        uint64_t len = strlen(name), rec = (19 + len + 1 + 7) & ~7ul;
        if (used + rec > n)
            break;
        uint8_t *e = buf + used;
        *(uint64_t *)e = d->pos + 1;                        /* d_ino */
        *(uint64_t *)(e + 8) = d->pos + 1;                  /* d_off */
        *(uint16_t *)(e + 16) = (uint16_t)rec;              /* d_reclen */
        e[18] = (uint8_t)type;                              /* d_type */
        memcpy(e + 19, name, len + 1);
        used += rec;
        d->pos++;
    }
    return (long)used;
}

/* The reflected-syscall upcall: Linux numbers in x->rax. */
static int trace_calls;

/* A Linux program's fault: report where it came from (SIGSEGV later). */
static bool program_fault(struct vn_xframe *x)
{
    printf("posix: program fault %lu at rip %lx (address %lx), return address on stack %lx\n", x->trapno, x->rip,
           x->addr, *(uint64_t *)x->rsp);
    vn_exit(128 + 11);
}

static void serve(struct vn_xframe *x)
{
    long r;
    if (trace_calls)
        printf("posix: syscall %lu(%lx, %lx, %lx)\n", x->rax, x->rdi, x->rsi, x->rdx);
    switch (x->rax) {
    case 1: r = sys_write((int)x->rdi, (const char *)x->rsi, x->rdx); break;
    case 0: r = sys_read((int)x->rdi, (uint8_t *)x->rsi, x->rdx); break;
    case 2: r = sys_open((const char *)x->rdi); break;
    case 257: r = sys_open((const char *)x->rsi); break;            /* openat(AT_FDCWD, ...) */
    case 3:
        r = x->rdi < MAX_FDS && fds[x->rdi].kind != FD_FREE ? 0 : -LINUX_EBADF;
        if (r == 0 && x->rdi > 2)
            fds[x->rdi].kind = FD_FREE;
        break;
    case 5: r = sys_fstat((int)x->rdi, (uint64_t *)x->rsi); break;
    case 4: case 6: r = sys_stat((const char *)x->rdi, (uint64_t *)x->rsi); break;
    case 262:                                                       /* newfstatat */
        r = *(const char *)x->rsi ? sys_stat((const char *)x->rsi, (uint64_t *)x->rdx)
                                  : sys_fstat((int)x->rdi, (uint64_t *)x->rdx);
        break;
    case 217: r = sys_getdents64((int)x->rdi, (uint8_t *)x->rsi, x->rdx); break;
    case 8:                                                         /* lseek */
        if (x->rdi >= MAX_FDS || fds[x->rdi].kind != FD_FILE) {
            r = -LINUX_EBADF;
        } else {
            struct fd *f = &fds[x->rdi];
            int64_t base = x->rdx == 0 ? 0 : x->rdx == 1 ? (int64_t)f->pos : (int64_t)f->size;
            int64_t np = base + (int64_t)x->rsi;
            r = np < 0 ? -22 : (long)(f->pos = (uint64_t)np);
        }
        break;
    case 20: r = sys_writev((int)x->rdi, (const uint64_t *)x->rsi, (int)x->rdx); break;
    case 12: r = sys_brk(x->rdi); break;
    case 9: r = sys_mmap(x->rdi, x->rsi, (int)x->r10, (int)x->r8); break;
    case 11: r = vn_unmap_free(x->rdi, (x->rsi + PAGE_SIZE - 1) / PAGE_SIZE) < 0 ? -22 : 0; break;
    case 16: r = -LINUX_ENOTTY; break;                  /* ioctl: no tty yet */
    case 10: r = sys_mprotect(x->rdi, x->rsi, (int)x->rdx); break;
    case 228: r = sys_clock_gettime((int)x->rdi, (uint64_t *)x->rsi); break;
    case 318: r = sys_getrandom((uint8_t *)x->rdi, x->rsi); break;
    case 273: r = 0; break;                             /* set_robust_list: no futexes to clean yet */
    case 334: case 302: case 89: r = -LINUX_ENOSYS; break;  /* rseq, prlimit64, readlink: glibc copes */
    case 102: case 104: case 107: case 108: r = 0; break;   /* get[e]uid, get[e]gid: root */
    case 13: case 14: r = 0; break;                     /* rt_sigaction, rt_sigprocmask */
    case 39: case 186: r = 1; break;                    /* getpid, gettid */
    case 218: r = 1; break;                             /* set_tid_address */
    case 158:                                           /* arch_prctl */
        if (x->rdi == 0x1002) {                         /* ARCH_SET_FS */
            __asm__ volatile("wrfsbase %0" : : "r"(x->rsi));
            r = 0;
        } else {
            r = -22;
        }
        break;
    case 60: case 231:                                  /* exit, exit_group */
        vn_exit((int)x->rdi);
    default:
        if (x->rax < sizeof(logged) && !logged[x->rax]++)
            printf("posix: syscall %lu not implemented (-ENOSYS)\n", x->rax);
        r = -LINUX_ENOSYS;
    }
    x->rax = (uint64_t)r;
}

/* Load a static executable; returns the entry point, fills the auxv facts. */
static uint64_t load(const uint8_t *img, uint64_t size, uint64_t *phdr, uint64_t *phnum)
{
    const struct elf64_ehdr *eh = (const void *)img;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) || eh->machine != ELF_EM_X86_64 || eh->type != ELF_ET_EXEC)
        return 0;
    const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
    uint64_t end = 0;
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type == ELF_PT_PHDR)
            *phdr = ph[i].vaddr;
        if (ph[i].type != ELF_PT_LOAD)
            continue;
        if (ensure_mapped(ph[i].vaddr, ph[i].vaddr + ph[i].memsz) < 0)
            return 0;
        memcpy((void *)ph[i].vaddr, img + ph[i].offset, ph[i].filesz);
        memset((void *)(ph[i].vaddr + ph[i].filesz), 0, ph[i].memsz - ph[i].filesz);
        if (ph[i].vaddr + ph[i].memsz > end)
            end = ph[i].vaddr + ph[i].memsz;
        if (!*phdr && ph[i].offset == 0)
            *phdr = ph[i].vaddr + eh->phoff;
    }
    *phnum = eh->phnum;
    brk_start = brk_cur = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    return eh->entry;
}

static void enter(uint64_t entry, uint64_t sp) __attribute__((noreturn));
static void enter(uint64_t entry, uint64_t sp)
{
    __asm__ volatile("mov %0, %%rsp\n xor %%edx, %%edx\n xor %%ebp, %%ebp\n jmp *%1" : : "D"(sp), "a"(entry)
                     : "rdx", "memory");
    __builtin_unreachable();
}

/* What init=posix runs: arg0= picks a command line ({archive file,
 * argv...}) unless run= gives one; arg1=1 traces every call served. */
static const char *const commands[][4] = {
    {"hello_musl", "/bin/hello_musl", NULL},
    {"busybox", "echo", "hello from Debian's busybox-static", NULL},
    {"busybox", "cat", "/bin/motd", NULL},
    {"busybox", "ls", "/bin", NULL},
};

/* run=file,arg0,arg1,... on the kernel command line overrides the table:
 * e.g. init=posix run=busybox,ls,/bin */
static char run_buf[256];
static const char *run_cmd[8];

static bool run_from_cmdline(void)
{
    const volatile char *c = vn_sysinfo->cmdline;
    for (size_t i = 0; c[i]; i++) {
        if ((i == 0 || c[i - 1] == ' ') && c[i] == 'r' && c[i + 1] == 'u' && c[i + 2] == 'n' && c[i + 3] == '=') {
            size_t n = 0, k = 0;
            for (i += 4; c[i] && c[i] != ' ' && n + 1 < sizeof(run_buf); i++)
                run_buf[n++] = c[i];
            run_buf[n] = 0;
            run_cmd[k++] = run_buf;
            for (size_t j = 0; j < n && k + 1 < 8; j++)
                if (run_buf[j] == ',') {
                    run_buf[j] = 0;
                    run_cmd[k++] = &run_buf[j + 1];
                }
            run_cmd[k] = NULL;
            return k >= 2;
        }
    }
    return false;
}

int main(uint64_t which, uint64_t arg1);
int main(uint64_t which, uint64_t arg1)
{
    trace_calls = (int)arg1;
    if (which >= sizeof(commands) / sizeof(commands[0]))
        which = 0;
    const char *const *cmd = run_from_cmdline() ? run_cmd : commands[which];
    const char *prog = cmd[0];
    uint64_t size, phdr = 0, phnum = 0;
    const uint8_t *img = vn_archive_find(prog, &size);
    if (!img) {
        printf("posix: no program %s\n", prog);
        return 127;
    }
    vn_upcalls_init();
    uint64_t ustack = vn_va_reserve(5) + PAGE_SIZE;
    if (vn_map_fresh(ustack, 4, VM_PROT_WRITE) < 0)
        return 126;
    vn_syscall_handler(serve);
    vn_pgfault_register(program_fault);
    vn_exception_handler(program_fault);
    extern void vn_upcall_entry(void);
    vn_env_set_upcall(CAP_SELF, UPCALL_SYSCALL, (uint64_t)vn_upcall_entry, ustack, 4 * PAGE_SIZE);
    uint64_t entry = load(img, size, &phdr, &phnum);
    if (!entry) {
        printf("posix: %s is not a static x86_64 executable\n", prog);
        return 126;
    }
    /* System V initial stack: argc, argv, NULL, envp, NULL, auxv. */
    if (vn_map_fresh(STACK_TOP - STACK_PAGES * PAGE_SIZE, STACK_PAGES, VM_PROT_WRITE) < 0)
        return 126;
    /* Strings at the top, then the random bytes, then the vectors. */
    char *str = (char *)(STACK_TOP - 1024);
    uint64_t argv[8] = {0}, argc = 0;
    for (int i = 1; i < 8 && cmd[i] && argc < 7; i++) {
        size_t n = strlen(cmd[i]) + 1;
        memcpy(str, cmd[i], n);
        argv[argc++] = (uint64_t)str;
        str += n;
    }
    uint8_t *random = (uint8_t *)(STACK_TOP - 64);
    for (int i = 0; i < 16; i++)
        random[i] = (uint8_t)(vn_clock_ns() >> (i % 8) ^ (uint64_t)i * 37);
    /* argc, argv[0..argc-1], NULL, envp NULL, then the auxiliary vector. */
    uint64_t v[32], n = 0;
    v[n++] = argc;
    for (uint64_t i = 0; i < argc; i++)
        v[n++] = argv[i];
    v[n++] = 0;                                     /* end of argv */
    v[n++] = 0;                                     /* empty environment */
    uint64_t aux[] = {3, phdr, 4, 56, 5, phnum, 6, PAGE_SIZE, 9, entry, 25, (uint64_t)random, 23, 0, 0, 0};
    memcpy(&v[n], aux, sizeof(aux));
    n += sizeof(aux) / 8;
    uint64_t *sp = (uint64_t *)(((STACK_TOP - 2048) - n * 8) & ~15ul);
    memcpy(sp, v, n * 8);
    enter(entry, (uint64_t)sp);
}
