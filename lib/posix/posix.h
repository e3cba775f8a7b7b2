/*
 * The POSIX library OS: shared declarations.
 *
 * Every POSIX process is one Veneer environment running this libOS and one
 * Linux program in the same address space.  The program's system calls are
 * reflected to the libOS (syscall.c), which serves them from:
 *   - its private state (struct proc_local: descriptors, signal actions,
 *     memory map), copied to the child at fork;
 *   - the shared arena (struct posix_shared): process table, open-file
 *     descriptions, pipes, the tty and the file system, mapped at the same
 *     address in every process of this POSIX instance, by capabilities
 *     that only its processes hold.
 *
 * Address space of a POSIX process:
 *
 *   0x7e0000000000 +-----------------------------+ libOS stack top (spawn)
 *   0x7da000000000 | boot archive, read-only     | ARCHIVE_VA
 *   0x7d9000000000 | fork hand-off pages         | HANDOFF_VA
 *   0x7d8000000000 | shared arena                | SHM_BASE
 *   0x7d0000000000 | libOS text, data, bss       | (posix.ld)
 *   0x7c0000000000 | program stack (grows down,  | PSTACK_TOP
 *                  |  PSTACK_MAX)                |
 *   0x600000000000 | mmap area (bottom up)       | MMAP_BASE
 *   0x555555554000 | static-PIE load base        | PIE_BASE
 *   0x200000000000 +-----------------------------+
 *   0x100000000000 | libveneer pool (libOS-      | (mem.c)
 *                  |  private: upcall stacks...) |
 *   0x000000400000 | fixed-address programs, brk |
 */
#ifndef POSIX_POSIX_H
#define POSIX_POSIX_H

#include "libveneer.h"
#include "vn.h"
#include "fs.h"
#include "sock.h"
#include "file.h"
#include "fsd.h"

#define ARCHIVE_VA   0x7da000000000ul
#define HANDOFF_VA   0x7d9000000000ul
#define SHM_BASE     0x7d8000000000ul
#define LIBOS_BASE   0x7d0000000000ul
#define PSTACK_TOP   0x7c0000000000ul
#define PSTACK_MAX   (8ul << 20)
#define PSTACK_INIT  16                 /* pages mapped at exec */
#define MMAP_BASE    0x600000000000ul
#define PIE_BASE     0x555555554000ul
#define POOL_LO      0x100000000000ul
#define POOL_HI      0x200000000000ul

#define SHM_CAPS     2                  /* the arena: SHM_CAPS runs of 512 pages */
#define SHM_PAGES    (SHM_CAPS * 512)

/* Whether [va, va + len) is program territory (not the libOS's). */
static inline bool prog_range(uint64_t va, uint64_t len)
{
    uint64_t end = va + len;
    return end >= va && end <= LIBOS_BASE && (end <= POOL_LO || va >= POOL_HI) && va >= PAGE_SIZE;
}

/* ---------------------------------------------------------------- Linux ABI */
#define L_EPERM 1
#define L_ENOENT 2
#define L_ESRCH 3
#define L_EINTR 4
#define L_EIO 5
#define L_ENOEXEC 8
#define L_EBADF 9
#define L_ECHILD 10
#define L_EAGAIN 11
#define L_ENOMEM 12
#define L_EACCES 13
#define L_EFAULT 14
#define L_EEXIST 17
#define L_ENOTDIR 20
#define L_EISDIR 21
#define L_EINVAL 22
#define L_ENFILE 23
#define L_EMFILE 24
#define L_ENOTTY 25
#define L_ENOSPC 28
#define L_ESPIPE 29
#define L_EPIPE 32
#define L_ERANGE 34
#define L_ENOSYS 38
#define L_ENOTSOCK 88
#define L_EDESTADDRREQ 89
#define L_EMSGSIZE 90
#define L_ENOPROTOOPT 92
#define L_EPROTONOSUPPORT 93
#define L_EOPNOTSUPP 95
#define L_EAFNOSUPPORT 97
#define L_ENAMETOOLONG 36
#define L_EADDRINUSE 98
#define L_EADDRNOTAVAIL 99
#define L_ENETDOWN 100
#define L_ECONNABORTED 103
#define L_ECONNRESET 104
#define L_ENOBUFS 105
#define L_EISCONN 106
#define L_ENOTCONN 107
#define L_ETIMEDOUT 110
#define L_ECONNREFUSED 111
#define L_EALREADY 114
#define L_EINPROGRESS 115

#define L_O_ACCMODE 03
#define L_O_WRONLY 01
#define L_O_RDWR 02
#define L_O_CREAT 0100
#define L_O_EXCL 0200
#define L_O_NOCTTY 0400
#define L_O_TRUNC 01000
#define L_O_APPEND 02000
#define L_O_NONBLOCK 04000
#define L_O_DIRECTORY 0200000
#define L_O_NOFOLLOW 0400000
#define L_O_CLOEXEC 02000000
#define L_AT_FDCWD (-100)

#define NSIG_L 65
#define L_SIGHUP 1
#define L_SIGINT 2
#define L_SIGQUIT 3
#define L_SIGILL 4
#define L_SIGTRAP 5
#define L_SIGABRT 6
#define L_SIGBUS 7
#define L_SIGFPE 8
#define L_SIGKILL 9
#define L_SIGUSR1 10
#define L_SIGSEGV 11
#define L_SIGPIPE 13
#define L_SIGALRM 14
#define L_SIGTERM 15
#define L_SIGCHLD 17
#define L_SIGCONT 18
#define L_SIGSTOP 19
#define L_SIGTSTP 20
#define L_SIGTTIN 21
#define L_SIGTTOU 22
#define L_SIGWINCH 28
#define SIGBIT(s) (1ul << ((s) - 1))

/* ---------------------------------------------------------------- shared arena */
#define MAX_PROCS 512
#define MAX_OFDS 512
#define MAX_PIPES 64
#define PIPE_BUF_SIZE 16384
#define GEN_BUF_SIZE 4096           /* an OFD_GEN description's text buffer */

enum { P_FREE, P_EMBRYO, P_ALIVE, P_STOPPED, P_ZOMBIE };

/* One process, as every process of the instance sees it. */
struct proc {
    int state;                  /* P_* */
    int pid, ppid, pgid, sid;
    int envid;
    int wstatus;                /* wait status once a zombie, or when stopped */
    int report;                 /* stop/continue to report to wait4 */
    uint64_t sig_pending;       /* SIGBIT()s posted, not yet taken */
    int sig_sender[NSIG_L];     /* pid that sent each pending signal */
    int chld_status;            /* wait status of the child whose exit posted SIGCHLD */
    int nocldwait;              /* SIGCHLD ignored: children leave no zombie */
    uint64_t start_ns;
    uint64_t cpu_tsc;           /* CPU time (TSC ticks), updated at each system call and at exit */
    uint64_t child_cpu_tsc;     /* CPU time of the children it waited for, and theirs */
    char comm[16];
    char cmdline[96];           /* argv joined by NULs, for ps */
    int cmdline_len;
    int service;                /* netd's or fsd's entry: not a POSIX process (sock.c, disk.c); no parent,
                                   only a terminating kill naming its pid reaches it, and ends it */
};

enum { OFD_FREE, OFD_FILE, OFD_DIR, OFD_PIPE_R, OFD_PIPE_W, OFD_TTY, OFD_NULL, OFD_GEN, OFD_ZERO, OFD_PROCDIR, OFD_SOCK,
       OFD_EPOLL, OFD_EVENTFD, OFD_DISK, OFD_DISKDIR, OFD_BLK, OFD_TIMERFD, OFD_SIGNALFD };

struct epoll;

/* An open file description: shared by dup'ed and inherited descriptors.
 * Its kind names its table of operations (file.h). */
struct ofd {
    int kind;                   /* OFD_* */
    int refs;                   /* descriptors naming it, in all processes */
    int flags;                  /* O_* status flags and access mode */
    uint32_t reuse;             /* bumped each time the slot is reused (epoll's items name it) */
    uint64_t pos;               /* file offset; directory cursor */
    struct fs_node *node;       /* OFD_FILE, OFD_DIR */
    struct pipe *pipe;          /* OFD_PIPE_* */
    struct sock *sock;          /* OFD_SOCK */
    char *gen;                  /* OFD_GEN: generated text (/proc) */
    uint64_t gen_len;
    struct epoll *ep;           /* OFD_EPOLL: its interest list (epoll.c) */
    uint64_t ev_count, ev_seq;  /* OFD_EVENTFD: the counter; reads and writes so far */
    int ev_sem;                 /* OFD_EVENTFD: EFD_SEMAPHORE */
    uint32_t dino;              /* OFD_DISK, OFD_DISKDIR: fsd's inode number */
    char *dpath;                /* OFD_DISKDIR: its absolute path (FSD_PATH_MAX bytes of the heap) */
    uint64_t tfd_next, tfd_interval;    /* OFD_TIMERFD: next expiry (monotonic ns, 0: disarmed), period;
                                           ev_count: expirations not read, ev_seq: changes (timerfd.c) */
    int tfd_clock;              /* OFD_TIMERFD: its clock id */
    uint64_t sfd_mask;          /* OFD_SIGNALFD: the signals it reads (signalfd.c) */
};

static inline const struct file_ops *file_ops_of(const struct ofd *o)
{
    return file_ops_of_kind(o->kind);
}

/* A pipe: a ring in the arena; readers and writers wait on the epoch. */
struct pipe {
    int used;
    int readers, writers;
    uint64_t head, tail;        /* bytes written, bytes read (tail <= head) */
    uint8_t *buf;               /* PIPE_BUF_SIZE bytes */
};

/* The console as a terminal (tty.c). */
struct tty {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t cc[19];
    int pgrp, sid;              /* foreground process group, session */
    uint16_t rows, cols;
    char edit[1024];            /* line being edited (canonical mode) */
    int edit_len;
    char ready[4096];           /* bytes readers may take */
    int ready_len;
    int eof;                    /* ^D seen at the start of a line */
    uint64_t in_seq;            /* bumped when bytes or ^D become readable (epoll) */
};

/* A POSIX record lock (filelock.c): pid's lock of bytes [start, end) of a file. */
#define MAX_FILELOCKS 128
struct filelock {
    uint64_t key;               /* the file (filelock.c), 0: a free slot */
    uint64_t start, end;        /* end UINT64_MAX: to the end of the file, however long */
    int type;                   /* F_RDLCK 0, F_WRLCK 1 */
    int pid;                    /* the owner */
};

/* A sleeper on a futex shared between processes (futex_shared.c). */
#define SFUTEX_MAX 64
struct sfutex_waiter {
    uint64_t key;               /* the word's physical address; 0: a free slot */
    volatile uint64_t woken;    /* set (and env_wake_word) by the waker */
    uint64_t order;             /* oldest first */
    uint32_t bits;              /* FUTEX_WAIT_BITSET's */
    int pid;                    /* the process waiting (its slots go when it ends) */
};

struct posix_shared {
    volatile uint32_t lock;
    volatile int lock_owner;    /* pid holding it (for a process dying with it) */
    volatile uint64_t epoch;    /* bumped on every event a process may wait for */
    int next_pid;
    struct proc procs[MAX_PROCS];
    struct ofd ofds[MAX_OFDS];
    struct pipe pipes[MAX_PIPES];
    struct tty tty;
    struct sock_table net;      /* sockets, shared with netd (sock.h) */
    struct fsd_table disk;      /* the disk file system, served by fsd (fsd.h) */
    struct filelock locks[MAX_FILELOCKS];   /* fcntl record locks, all files (filelock.c) */
    struct sfutex_waiter sfutex[SFUTEX_MAX];    /* process-shared futex sleepers (futex_shared.c) */
    uint64_t sfutex_order;
    struct fs fs;
    struct fs_node *proc_dir;   /* /proc: listed from the process table */
    /* arena allocator (shm.c) */
    uint64_t heap_next, heap_end;
    void *free_lists[24];
};

#define shared ((struct posix_shared *)SHM_BASE)

/* ---------------------------------------------------------------- private */
#define MAX_FDS 256
#define FD_CLOEXEC_BIT 1

struct k_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
#define L_SA_SIGINFO 4
#define L_SA_NODEFER 0x40000000
#define L_SA_RESETHAND 0x80000000
#define L_SA_RESTART 0x10000000
#define L_SIG_DFL 0
#define L_SIG_IGN 1

/* A writable shared mapping of a file in memory (fmap.c). */
#define FMAP_MAX 8
struct fmap {
    uint64_t va, len, off;      /* the range and the file offset of va */
    struct fs_node *node;       /* the file (a reference), or NULL: a free record */
    bool writable;              /* the file was opened read-write: mprotect may add PROT_WRITE */
};

/* One process's private state: copied to the child at fork. */
struct proc_local {
    int pid;
    struct proc *self;
    struct { struct ofd *ofd; int flags; } fds[MAX_FDS];
    struct fs_node *cwd;
    struct k_sigaction act[NSIG_L];
    uint64_t sigmask;
    uint64_t brk_start, brk_cur, mmap_next;
    uint64_t alarm_ns, alarm_interval_ns;   /* ITIMER_REAL: next expiry (vn_clock_ns, 0: off), period */
    uint32_t umask;
    int trace;
    char exe[256];              /* path of the running program (/proc/self/exe) */
    capref_t netd_kick;         /* netd's notification word (CR_WRITE), or -1: no netd */
    capref_t netd_env;          /* netd's environment (CR_READ | CR_CONTROL), or -1 */
    capref_t fsd_kick;          /* fsd's notification word (CR_WRITE), or -1: no fsd */
    capref_t fsd_env;           /* fsd's environment (CR_READ | CR_CONTROL), or -1 */
    char cwd_path[FSD_PATH_MAX];/* with the root on disk: the working directory, absolute (diskpath.c) */
    uint64_t rlim[16][2];       /* limits set lower (soft, hard), for the resources in rlim_set (rlimit.c) */
    uint32_t rlim_set;
    struct fmap fmaps[FMAP_MAX];    /* MAP_SHARED mappings of memory files (fmap.c) */
};

extern struct proc_local me;

/* shm.c: the arena, its lock, allocation and waiting */
void shm_create(void);
int shm_attach(const capref_t caps[SHM_CAPS]);
extern capref_t shm_caps[SHM_CAPS];
void shm_lock(void);
void shm_unlock(void);
/* Release the lock if this process holds it (on the way out). */
void shm_unlock_if_mine(void);
void *shm_alloc(size_t n);
void shm_free(void *p, size_t n);
void shm_event(void);
/* Sleep until the epoch moves past `seen`, a timeout (ns, 0: none). */
void shm_wait(uint64_t seen, uint64_t timeout_ns);
extern const struct fs_alloc shm_fs_alloc;

/* mm.c: the program's memory */
#define PG_W    0x1     /* logically writable */
#define PG_X    0x2     /* executable */
#define PG_COW  0x4     /* shared copy-on-write: mapped read-only for now */
#define PG_SHARED 0x8   /* MAP_SHARED: stays shared across fork */
#define PG_NONE 0x10    /* PROT_NONE: kept, but not mapped */
#define PG_ARCHIVE 0x20 /* a boot-archive page (the registry holds its index): never written */
#define PG_ARENA 0x40   /* a memory file's block, shared (the registry holds its arena page): fmap.c */
long mm_madvise(uint64_t addr, uint64_t len, int advice);
void mm_init(void);
int mm_map_fresh(uint64_t va, uint64_t npages, unsigned pgflags);
int mm_add(uint64_t va, capref_t cap, unsigned pgflags, bool map);
/* Map page `index` of the boot archive read-only at va (a file's page, no copy). */
int mm_add_archive(uint64_t va, uint64_t index, unsigned pgflags);
/* Give the page at va a private writable copy if it is an archive page. */
int mm_privatize(uint64_t va);
void mm_unmap(uint64_t va, uint64_t npages);
int mm_move(uint64_t from, uint64_t to, unsigned *pgflags);     /* one page to an empty address */
int mm_page_flags(uint64_t va);                                 /* PG_* of the page at va, or -1 */
long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);  /* mremap.c */
void mm_clear(void);
bool mm_user_ok(const void *p, uint64_t len, bool write);
bool mm_str_ok(const char *s, uint64_t max);
bool mm_fault(struct vn_xframe *x);
long sys_brk(uint64_t want);
long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mprotect(uint64_t addr, uint64_t len, int prot);
/* Fork: share every page with child into hand-off entries; returns count. */
struct handoff_page { uint64_t va; capref_t cap; uint32_t flags; };
long mm_fork(capref_t child, struct handoff_page *out, uint64_t max);
/* The child's side: register and map (in batches) what mm_fork handed over. */
int mm_adopt(const struct handoff_page *pages, uint64_t n);
uint64_t mm_pages(void);
bool mm_mapped(uint64_t va);
bool mm_prepare_resume(const struct vn_xframe *x);

/* exec.c */
long posix_exec(struct vn_xframe *x, const char *path, char *const *argv, char *const *envp);

/* fd.c: descriptors and files */
void fd_init_console(void);
struct ofd *ofd_new(int kind, int flags);
void ofd_put(struct ofd *o);
int fd_install(struct ofd *o, int fdflags, int min);
struct ofd *fd_get(int fd);
void fd_close_all(bool cloexec_only);
void fd_fork_refs(void);
long sys_read(int fd, void *buf, uint64_t n);
long sys_write(int fd, const void *buf, uint64_t n);
/* PL_* bits of o now and its event count (its kind's poll); lock held. */
int ofd_poll(struct ofd *o, uint64_t *seq);

/* filelock.c: fcntl's F_GETLK, F_SETLK and F_SETLKW on o (no lock held);
 * arg is the program's struct flock.  Errors: EFAULT, EINVAL, EBADF (the
 * access mode does not allow the lock), EAGAIN (F_SETLK: held by another
 * process), EINTR (F_SETLKW: a signal), ENOLCK (the table is full). */
long filelock_fcntl(struct ofd *o, int cmd, uint64_t arg);
/* A descriptor of o closes (lock held): this process's locks on its file go. */
void filelock_close(struct ofd *o);
/* Process pid is gone (lock held): all of its locks go. */
void filelock_release_pid(int pid);

/* pipe.c */
long pipe_create(int *fds, int flags);

/* epoll.c, eventfd.c */
long epoll_syscall(struct vn_xframe *x, bool *handled);
long eventfd_syscall(struct vn_xframe *x, bool *handled);

/* disk.c: the disk file system's client side (fsd.h) */
/* Init: start fsd if we hold a disk extent and wait for its mount;
 * shared->disk.fsd says whether it serves. */
void disk_fsd_start(void);
/* blk=user (disk_blkd.c): a badged endpoint to blocks [base, base +
 * count) of namespace index ns (count 0: from base to its end) on the
 * NVMe controller the kernel left to us, served by user/blkd under
 * user/drvsup, started at the first call; an extent for fsd or another
 * owner in place of a CAP_BLK.  Errors: -E_NOENT (no controller, no
 * blkd, or no such namespace), -E_NODEV (it did not start), -E_RANGE,
 * blkd's. */
long disk_blkd_extent(uint64_t ns, uint64_t base, uint64_t count);
/* blk=user: the size in blocks of namespace index ns, starting blkd if
 * need be.  Errors: disk_blkd_extent's. */
long disk_blkd_blocks(uint64_t ns);
/* Whether blkd was started (disk_blkd_extent, disk_blkd_blocks). */
bool disk_blkd_running(void);
/* A free request slot, ours until disk_slot_put (waits while all are busy). */
struct fsd_slot *disk_slot_get(void);
void disk_slot_put(struct fsd_slot *s);
/* Posts op on our slot s (its arguments filled) and waits for fsd's
 * answer: returns its result (>= 0, or -Linux errno). */
long disk_submit(struct fsd_slot *s, int op);
/* A request naming paths: op on path (and path2), mode and flags; the
 * answer's stat and inode into st and ino if given.  Errors: fsd's,
 * -ENAMETOOLONG. */
long disk_path_op(int op, const char *path, const char *path2, uint32_t mode, uint32_t flags,
                  struct extfs_stat *st, uint32_t *ino);
/* Init's exit: fsd commits and unmounts cleanly (the instance ends). */
void disk_unmount(void);
/* kill(2) of a service entry (lock held): a terminating signal to fsd's
 * pid ends it; the disk then fails (EIO) instead of hanging. */
void disk_fsd_signal(struct proc *p, int sig);
/* diskpath.c: the root on disk; path calls routed to fsd (or the memory
 * tree's mounts: /bin, /dev, /proc).  Nothing is handled without fsd. */
long disk_syscall(struct vn_xframe *x, bool *handled);
/* Init, once fsd serves: the mount points on the disk, cwd "/". */
void disk_root_init(void);
/* diskfile.c: the kinds OFD_DISK and OFD_DISKDIR (file.h's tables) */
void disk_fill_stat(const struct extfs_stat *s, struct l_stat *st);
long disk_stat_ino(uint32_t ino, struct extfs_stat *st);
/* blkfile.c: the kind OFD_BLK, /dev/nvme1n1 (the raw extent fsd serves).
 * Whether there is one; fsync of o: the device's flush (EIO: fsd gone). */
bool blkfile_present(void);
long blkfile_fsync(struct ofd *o);

/* weblog.c: two owners on one disk, by the boot config weblog=BLOCK,COUNT,
 * FLAGS.  weblog_start (init, before netd and fsd) splits namespace 1 and
 * starts the native web server with the NIC and its log extent: true if
 * it did (then no netd).  weblog_fs_extent: the extent fsd gets (the
 * namespace's root when not split). */
bool weblog_start(void);
capref_t weblog_fs_extent(void);

/* sock.c: sockets, served by netd */
void sock_netd_start(void);
long sock_syscall(struct vn_xframe *x, bool *handled);
/* A signal for netd's process-table entry p (lock held): a terminating
 * one destroys netd; others are ignored. */
void sock_netd_signal(struct proc *p, int sig);
/* For sock_msg.c: the socket of fd (EBADF, ENOTSOCK); a sockaddr_in in
 * and out (EFAULT, EINVAL, EAFNOSUPPORT); one send or receive (sock.c). */
long sock_of(int fd, struct ofd **op, struct sock **sp);
long sock_addr_in(const void *sa, uint64_t len, uint32_t *addr, uint16_t *port);
long sock_addr_out(void *sa, uint32_t *lenp, uint32_t addr, uint16_t port);
long sock_send(struct sock *s, const void *buf, uint64_t n, int flags, bool nonblock, uint32_t addr, uint16_t port,
               bool to);
long sock_recv(struct sock *s, void *buf, uint64_t n, int flags, bool nonblock, uint32_t *addr, uint16_t *port,
               uint64_t *full);
long sock_msg_syscall(struct vn_xframe *x, bool *handled);

/* tty.c */
void tty_init(void);
void tty_poll_input(void);

/* procfs.c */
bool procfs_path(const char *path);
long procfs_open(const char *path, struct ofd **out);
long timerfd_syscall(struct vn_xframe *x);              /* timerfd.c: timerfd_create/settime/gettime */
long fmap_map(uint64_t va, uint64_t npages, struct fs_node *n, uint64_t off, int prot, bool writable); /* fmap.c */
bool fmap_may_write(uint64_t va, uint64_t len);
void fmap_unmap(uint64_t va, uint64_t len);
void fmap_clear(void);
void fmap_fork_refs(void);
long sys_msync(uint64_t addr, uint64_t len, int flags);
long sys_prlimit64(int pid, int res, const uint64_t *nw, uint64_t *old);        /* rlimit.c */
long sys_signalfd4(int fd, const uint64_t *mask, uint64_t size, int flags);    /* signalfd.c */
bool dev_fd_path(const char *path);                     /* dev.c: /dev/fd/N */
long dev_fd_open(const char *path, int flags);
long procfs_stat(const char *path, struct l_stat *st);
long procfs_getdents(uint64_t *pos, uint8_t *buf, uint64_t n);
long procfs_pid_getdents(int pid, uint64_t *pos, uint8_t *buf, uint64_t n);
long sys_statfs(void *st);

/* proc.c */
#define MODE_FORK 0xf0              /* main()'s first argument in a forked child */
void proc_init_first(void);
struct proc *proc_find(int pid);
/* A service environment of the instance (netd, fsd) has gone (lock held):
 * set *down once, free its process-table entry (pid), wake every waiter. */
void service_mark_down(volatile int *down, int pid);
/* Whether the service environment env has died, looked at most every
 * 10 ms (*next_look keeps the time); false while it lives or too soon. */
bool service_env_dead(capref_t env, uint64_t *next_look);
long sys_fork(struct vn_xframe *x);
long sys_wait4(int pid, int *status, int options);
void posix_exit(int wstatus) __attribute__((noreturn));
long proc_syscall(struct vn_xframe *x, bool *handled);
void proc_reap_envs(void);

/* signal.c */
int sig_post(struct proc *p, int sig, int sender);
long sig_syscall(struct vn_xframe *x, bool *handled);
void sig_deliver(struct vn_xframe *x);
bool sig_pending_now(void);
bool sig_fault(struct vn_xframe *x);
void sig_on_preempt(struct vn_xframe *x);
void sig_exec_reset(void);
/* Post SIGALRM to ourselves if the real-time timer has expired. */
void sig_check_alarm(void);
void sig_suspend_begin(uint64_t mask);
/* Make the upcall return into posix_exit(wstatus) on a stack of its own. */
void sig_exit_after_upcall(struct vn_xframe *x, int wstatus);
void sig_suspend_end(void);
int sig_default_terminate(int sig);

/* syscall.c */
void posix_serve(struct vn_xframe *x);
/* Block until ready(arg) holds (checked with the lock held), a signal is
 * pending (-L_EINTR), or the deadline (vn_clock_ns, 0: none) passes
 * (-L_EAGAIN).  Returns 0 when ready. */
long posix_block(bool (*ready)(void *arg), void *arg, uint64_t deadline);

/* Wall-clock time: the RTC at boot (exposed by the kernel) + the TSC clock. */
static inline uint64_t posix_realtime_ns(void)
{
    return vn_sysinfo->rtc_boot_sec * 1000000000ul + vn_clock_ns();
}

/* small string helpers */
/* TSC ticks as units of 1/per_sec seconds (per_sec 100: clock ticks). */
static inline uint64_t tsc_to(uint64_t tsc, uint64_t per_sec)
{
    uint64_t hz = vn_sysinfo->tsc_hz ? vn_sysinfo->tsc_hz : 1;
    return tsc / hz * per_sec + tsc % hz * per_sec / hz;
}

static inline int str_ncmp(const char *a, const char *b, size_t n)
{
    for (; n && *a && *a == *b; n--, a++, b++)
        ;
    return n ? (unsigned char)*a - (unsigned char)*b : 0;
}


/* thread.c, futex.c: threads of this process (vCPU environments) */
#define MAX_THREADS 128
enum { T_FREE, T_LIVE, T_EXITING };
struct thread {
    int state;                  /* T_*; slot 0 is the main thread */
    int tid;
    capref_t env;               /* its vCPU (slots 1..) */
    uint64_t stacks;            /* its upcall and start stacks (slots 1..) */
    uint64_t ctid;              /* CLONE_CHILD_CLEARTID / set_tid_address word */
    uint64_t robust;            /* set_robust_list head (kept, not walked) */
    uint64_t tls;
    uint64_t sigmask;           /* its mask while another thread is in the libOS */
    volatile uint64_t pending;  /* thread-directed signals (tgkill) */
    volatile uint64_t fwoken;   /* futex: set by the waker */
    volatile bool fwait;        /* futex: queued on faddr */
    uint32_t fbits;
    uint64_t faddr, forder;
    struct vn_xframe start;     /* where the new thread starts (clone) */
};
extern struct thread threads[MAX_THREADS];
extern int thread_count;
extern bool thread_multi;
extern volatile int thread_group_status;
int thread_cur(void);
int thread_tid(void);
/* The process's libOS lock (no-ops until a second thread exists). */
void thread_enter(void);
bool thread_try_enter(void);
void thread_leave(void);
volatile uint64_t *thread_pending(void);
long thread_clone(struct vn_xframe *x);
long thread_syscall(struct vn_xframe *x, bool *handled);
void thread_exit(int code) __attribute__((noreturn));
void thread_group_exit(int wstatus) __attribute__((noreturn));
void thread_check_group_exit(void);
void thread_kill_others(void);
/* execve's point of no return, once threaded: every other thread ends and
 * the caller becomes the leader (its tid the pid).  From a thread, the
 * main thread first parks (main_linger: its environment owns the space);
 * a thread that loses a race with another's execve, or sees the group
 * end, exits instead of returning. */
void thread_exec_commit(void);
void thread_fork_child(void);
/* Take the libOS lock unless this thread holds it (no-op unthreaded);
 * returns whether it was held, for thread_unhold. */
bool thread_hold(void);
void thread_unhold(bool held);
/* Top of a stack the calling thread may end on once it leaves the upcall
 * (its start stack, whose place tells thread_cur() who it is), or
 * fallback for the main thread. */
uint64_t thread_exit_stack(uint64_t fallback);
long futex_syscall(struct vn_xframe *x);
/* Sleep until *woken is set (0), a signal or a group exit (-L_EINTR) or
 * the deadline (vn_clock_ns, 0: none; -L_ETIMEDOUT), in 10 ms rounds with
 * the libOS lock dropped: the futex waits' loop (futex.c). */
long futex_sleep(const volatile uint64_t *woken, uint64_t deadline);
/* futex_shared.c: futex calls without FUTEX_PRIVATE_FLAG on a shared page
 * (sfutex_applies), keyed by physical address, waiters in the arena.
 * Errors as futex(2): -L_EAGAIN, -L_ETIMEDOUT, -L_EINTR; -L_ENOMEM when
 * SFUTEX_MAX sleep at once. */
bool sfutex_applies(uint64_t uaddr, int rawop);
long sfutex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bits);
int sfutex_wake(uint64_t uaddr, int n, uint32_t bits);
long sfutex_requeue(uint64_t from, uint64_t to, int nwake, int nmove, bool cmp, uint32_t val3);
void sfutex_release_pid(int pid);      /* the arena lock is held */
int futex_wake_addr(uint64_t addr, int n, uint32_t bitset);

#endif
