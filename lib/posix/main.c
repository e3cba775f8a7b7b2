/*
 * The POSIX libOS's start: as init (pid 1, started by the kernel with
 * init=posix) or as the child half of a fork (started by its parent).
 *
 * Init creates the shared arena, seeds the file system from the boot
 * archive (/bin holds every archive file but those under a directory,
 * such as www/, plus busybox applet links), sets up the tty and
 * descriptors 0-2, and execs the command given on the kernel command line
 * (run=prog,arg,...; default: an interactive shell).
 * Usage: init=posix [run=prog,arg,...] [arg1=1: trace every call].
 */
#include "posix.h"

struct proc_local me;

#define SYSCALL_STACK_PAGES 4

void proc_fork_child(capref_t handoff) __attribute__((noreturn));

/* The exception upcall prepares the stack word its resume writes
 * (mm_prepare_resume): a fault there would be fatal.  The other upcalls
 * need not: a fault while they resume is an ordinary exception upcall. */
static void on_sched(struct vn_xframe *x)
{
    if (!prog_range(x->rip, 1) || !thread_try_enter())
        return;                 /* in the libOS, or another thread is: next time */
    thread_check_group_exit();
    sig_on_preempt(x);
    thread_leave();
}

/* Faults and exceptions are served under the libOS lock once threaded
 * (thread_hold): another thread may be changing the memory map, and the
 * signal frame and the resume check may break copy-on-write pages. */
static bool on_fault(struct vn_xframe *x)
{
    bool held = thread_hold();
    bool handled = mm_fault(x) || sig_fault(x);
    bool resumable = mm_prepare_resume(x);
    thread_unhold(held);
    if (!resumable)
        sig_exit_after_upcall(x, L_SIGSEGV);    /* no usable stack to resume on */
    return handled;
}

static bool on_exception(struct vn_xframe *x)
{
    bool held = thread_hold();
    bool handled = sig_fault(x);
    bool resumable = mm_prepare_resume(x);
    thread_unhold(held);
    if (!resumable)
        sig_exit_after_upcall(x, L_SIGSEGV);
    return handled;
}

static void upcalls_init(void)
{
    extern void vn_upcall_entry(void);
    vn_upcalls_init();
    vn_pgfault_register(on_fault);
    vn_exception_handler(on_exception);
    vn_syscall_handler(posix_serve);
    vn_sched_handler(on_sched);
    for (unsigned kind = UPCALL_SCHED; kind <= UPCALL_SYSCALL; kind++) {
        uint64_t stack = vn_va_reserve(SYSCALL_STACK_PAGES + 1) + PAGE_SIZE;
        if (vn_map_fresh(stack, SYSCALL_STACK_PAGES, VM_PROT_WRITE) < 0 ||
            vn_env_set_upcall(CAP_SELF, kind, (uint64_t)vn_upcall_entry, stack, SYSCALL_STACK_PAGES * PAGE_SIZE) < 0) {
            printf("posix: no upcall stack\n");
            vn_exit(126);
        }
    }
}

static uint64_t now_cb(void *ctx)
{
    (void)ctx;
    return posix_realtime_ns();
}

static void put_file(struct fs_node *dir, const char *name, const char *text)
{
    struct fs_node *n;
    if (fs_create(&shared->fs, dir, name, 0644, &n) == 0)
        fs_write(&shared->fs, n, 0, text, strlen(text));
}

/* Busybox applets reachable by name on PATH (links to /bin/busybox). */
static const char *const applets[] = {
    "sh", "ash", "ls", "cat", "echo", "wc", "grep", "sed", "awk", "sort", "uniq", "head", "tail", "cut", "tr",
    "tar", "cp", "mv", "rm", "mkdir", "rmdir", "ln", "touch", "ps", "kill", "sleep", "true", "false", "test",
    "[", "expr", "env", "pwd", "date", "uname", "id", "whoami", "printf", "yes", "seq", "find", "xargs",
    "basename", "dirname", "stat", "du", "df", "od", "hexdump", "md5sum", "sha256sum", "diff", "cmp", "tee",
    "clear", "reset", "stty", "tty", "more", "less", "vi", "chmod", "readlink", "realpath", "nproc", "free",
    "uptime", "which", "time", "timeout", "gzip", "gunzip", "zcat", "cpio", "dd", "nl", "rev", "fold",
    "comm", "paste", "split", "sum", "cksum", "tac", "usleep", "watch", "hostname", "dmesg", "sync",
};

static void seed_fs(void)
{
    struct fs *fs = &shared->fs;
    if (fs_init(fs, &shm_fs_alloc) < 0) {
        printf("posix: no memory for the file system\n");
        vn_exit(126);
    }
    fs->now = now_cb;
    struct fs_node *bin, *dev, *etc;
    fs_mkdir(fs, fs->root, "bin", 0755, &bin);
    fs_mkdir(fs, fs->root, "dev", 0755, &dev);
    fs_mkdir(fs, fs->root, "etc", 0755, &etc);
    fs_mkdir(fs, fs->root, "tmp", 01777, NULL);
    fs_mkdir(fs, fs->root, "proc", 0555, &shared->proc_dir);
    fs_mkdir(fs, fs->root, "root", 0700, NULL);
    fs_mkdir(fs, fs->root, "home", 0755, NULL);
    const char *name;
    for (uint64_t i = 0; (name = vn_archive_name(i)) != NULL; i++) {
        uint64_t size;
        if (strchr(name, '/'))
            continue;       /* another libOS's data (the web server's www/) */
        const void *data = vn_archive_find(name, &size);
        fs_add_external(fs, bin, name, data, size, 0755);
    }
    for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
        fs_symlink(fs, bin, applets[i], "busybox");
    for (const char *const *d = (const char *const[]){"null", "zero", "tty", "console", NULL}; *d; d++)
        fs_create(fs, dev, *d, 0666, NULL);
    put_file(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\n");
    put_file(etc, "group", "root:x:0:\n");
    put_file(etc, "hostname", "veneer\n");
    put_file(etc, "mtab", "veneerfs / tmpfs rw 0 0\n");     /* as /proc/mounts: one file system */
    put_file(etc, "profile", "export PATH=/bin HOME=/root\ncd /root\n");
    /* Name resolution is the program's own libc (glibc or musl): it reads
     * these and sends DNS queries over a UDP socket to QEMU's resolver. */
    put_file(etc, "hosts", "127.0.0.1\tlocalhost\n10.0.2.15\tveneer\n");
    put_file(etc, "resolv.conf", "nameserver 10.0.2.3\n");
    put_file(etc, "nsswitch.conf", "hosts: files dns\n");
}

/* run=prog,arg,... from the kernel command line. */
static char run_buf[256];
static char *run_argv[16];

static int run_from_cmdline(void)
{
    const volatile char *c = vn_sysinfo->cmdline;
    for (size_t i = 0; c[i]; i++) {
        if ((i == 0 || c[i - 1] == ' ') && c[i] == 'r' && c[i + 1] == 'u' && c[i + 2] == 'n' && c[i + 3] == '=') {
            size_t n = 0;
            int k = 0;
            for (i += 4; c[i] && c[i] != ' ' && n + 1 < sizeof(run_buf); i++)
                run_buf[n++] = c[i] == '+' ? ' ' : c[i];    /* '+' stands for a space */
            run_buf[n] = 0;
            run_argv[k++] = run_buf;
            for (size_t j = 0; j < n && k + 1 < 16; j++)
                if (run_buf[j] == ',') {
                    run_buf[j] = 0;
                    run_argv[k++] = &run_buf[j + 1];
                }
            run_argv[k] = NULL;
            return k;
        }
    }
    return 0;
}

int main(uint64_t mode, uint64_t arg1);
int main(uint64_t mode, uint64_t arg1)
{
    mm_init();
    upcalls_init();
    vn_archive_place(ARCHIVE_VA);       /* mapped lazily, by a fault handler */
    if (!vn_archive_name(0)) {
        printf("posix: no boot archive\n");
        return 126;
    }
    if (mode == MODE_FORK)
        proc_fork_child((capref_t)arg1);
    /* init */
    me.trace = (int)arg1;
    shm_create();
    shm_lock();
    seed_fs();
    tty_init();
    proc_init_first();
    me.cwd = shared->fs.root;
    fs_node_get(me.cwd);
    me.umask = 022;
    shm_unlock();
    fd_init_console();
    if (!weblog_start())                /* boot config weblog=: the NIC and a disk extent to the web server */
        sock_netd_start();              /* the instance's TCP/IP stack, if we hold the NIC */
    memcpy(me.cwd_path, "/", 2);
    disk_fsd_start();                   /* the instance's disk file system, if we hold a disk */
    if (shared->disk.fsd)
        disk_root_init();               /* then "/" is the disk's; /bin, /dev, /proc the memory tree's */
    int k = run_from_cmdline();
    char path[300];
    const char *prog = k > 0 ? run_argv[0] : "sh";
    snprintf(path, sizeof(path), "%s%s", prog[0] == '/' ? "" : "/bin/", prog);
    char *const shell[] = {"-sh", NULL}, *const alone[] = {path, NULL};
    char *const *argv = k > 1 ? (char *const *)run_argv + 1 : k == 1 ? alone : shell;
    char *const envp[] = {"PATH=/bin", "HOME=/root", "TERM=vt100", "USER=root", "SHELL=/bin/sh", NULL};
    static struct {
        uint8_t fx[512];
        struct vn_xframe f;
    } __attribute__((aligned(64))) start;
    start.f.trapno = 0;             /* not a reflected call: arguments are ours */
    long r = posix_exec(&start.f, path, argv, envp);
    if (r < 0) {
        printf("posix: cannot run %s (error %ld)\n", path, -r);
        return 127;
    }
    vn_xframe_resume(&start.f);
}
