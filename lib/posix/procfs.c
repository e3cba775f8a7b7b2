/*
 * /proc, generated from the shared process table when read (enough for
 * ps, kill and friends): /proc lists one directory per process, and
 * /proc/<pid>/{stat,cmdline,status} and /proc/{meminfo,uptime} are text
 * made at open time into an OFD_GEN description.  Both are kinds of open
 * file (gen_ops, procdir_ops: file.h).
 */
#include "posix.h"

/* The pid named by "/proc/<pid|self>[/...]", setting *rest to what follows. */
static int proc_pid(const char *path, const char **rest)
{
    const char *p = path + 6;
    int pid = 0;
    if (!str_ncmp(p, "self", 4)) {
        pid = me.pid;
        p += 4;
    } else {
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            pid = pid * 10 + (*p++ - '0');
    }
    if (*p && *p != '/')
        return -1;
    *rest = *p ? p + 1 : p;
    return pid;
}

/* /proc files that do not belong to a process. */
static bool is_global(const char *path)
{
    return !strcmp(path, "/proc/uptime") || !strcmp(path, "/proc/meminfo") || !strcmp(path, "/proc/mounts") ||
           !strcmp(path, "/proc/stat");
}

bool procfs_path(const char *path)
{
    return !str_ncmp(path, "/proc/", 6) && path[6];
}

static char state_char(const struct proc *p)
{
    return p->state == P_ZOMBIE ? 'Z' : p->state == P_STOPPED ? 'T' : p->pid == me.pid ? 'R' : 'S';
}

/* Make the text of a /proc file; the lock is held.  Returns its length or
 * -L_ENOENT. */
static long generate(const char *path, char *buf, size_t size)
{
    const char *rest;
    if (!strcmp(path, "/proc/uptime")) {
        uint64_t ns = vn_clock_ns();
        return snprintf(buf, size, "%lu.%02lu 0.00\n", ns / 1000000000ul, ns / 10000000ul % 100);
    }
    if (!strcmp(path, "/proc/stat")) {         /* busybox top: the instance's CPU time as user time */
        uint64_t busy = 0, all = vn_clock_ns() / 10000000ul * (vn_sysinfo->ncpus ? vn_sysinfo->ncpus : 1);
        int n = 0;
        for (int i = 0; i < MAX_PROCS; i++)
            if (shared->procs[i].state != P_FREE) {
                busy += tsc_to(shared->procs[i].cpu_tsc, 100);
                n++;
            }
        busy = busy < all ? busy : all;
        return snprintf(buf, size, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\nbtime %lu\nprocesses %d\nprocs_running 1\n",
                        busy, all - busy, (unsigned long)vn_sysinfo->rtc_boot_sec, n);
    }
    if (!strcmp(path, "/proc/mounts"))
        return snprintf(buf, size, "veneerfs / tmpfs rw 0 0\n");
    if (!strcmp(path, "/proc/meminfo"))
        return snprintf(buf, size, "MemTotal: %lu kB\nMemFree: %lu kB\nMemAvailable: %lu kB\n",
                        vn_sysinfo->npages * 4, vn_sysinfo->free_pages * 4, vn_sysinfo->free_pages * 4);
    int pid = proc_pid(path, &rest);
    struct proc *p = pid > 0 ? proc_find(pid) : NULL;
    if (!p)
        return -L_ENOENT;
    if (!strcmp(rest, "stat")) {
        uint64_t start = p->start_ns / 10000000ul;
        return snprintf(buf, size, "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 %lu 0 0 0 20 0 1 0 %lu %lu 0\n", p->pid,
                        p->comm, state_char(p), p->ppid, p->pgid, p->sid, tsc_to(p->cpu_tsc, 100), start, 0ul);
    }
    if (!strcmp(rest, "cmdline")) {
        size_t n = (size_t)p->cmdline_len < size ? (size_t)p->cmdline_len : size;
        memcpy(buf, p->cmdline, n);
        return (long)n;
    }
    if (!strcmp(rest, "status"))
        return snprintf(buf, size, "Name:\t%s\nState:\t%c\nPid:\t%d\nPPid:\t%d\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
                        p->comm, state_char(p), p->pid, p->ppid);
    if (!strcmp(rest, "comm"))
        return snprintf(buf, size, "%s\n", p->comm);
    return -L_ENOENT;
}

/* open() of a /proc path; the lock is held.  Returns the description or
 * an error (-L_ENOENT, -L_ENOMEM, -L_EISDIR for a process directory). */
long procfs_open(const char *path, struct ofd **out)
{
    const char *rest;
    int pid = is_global(path) ? 0 : proc_pid(path, &rest);
    if (pid > 0 && !*rest) {                    /* a process's directory */
        struct ofd *o = proc_find(pid) ? ofd_new(OFD_PROCDIR, 0) : NULL;
        if (!o)
            return proc_find(pid) ? -L_EMFILE : -L_ENOENT;
        o->gen_len = (uint64_t)pid;
        *out = o;
        return 0;
    }
    char *buf = shm_alloc(GEN_BUF_SIZE);
    if (!buf)
        return -L_ENOMEM;
    long n = generate(path, buf, GEN_BUF_SIZE);
    if (n > GEN_BUF_SIZE - 1)
        n = GEN_BUF_SIZE - 1;       /* snprintf reports what did not fit */
    struct ofd *o = n < 0 ? NULL : ofd_new(OFD_GEN, 0);
    if (!o) {
        shm_free(buf, GEN_BUF_SIZE);
        return n < 0 ? n : -L_EMFILE;
    }
    o->gen = buf;
    o->gen_len = (uint64_t)n;
    *out = o;
    return 0;
}

/* stat() of a /proc path; the lock is held. */
long procfs_stat(const char *path, struct l_stat *st)
{
    const char *rest = "";
    int pid = is_global(path) ? 0 : proc_pid(path, &rest);
    if (pid < 0 || (pid > 0 && !proc_find(pid)))
        return -L_ENOENT;
    *st = (struct l_stat){.ino = 0x10000 + (uint64_t)pid * 16, .nlink = 1,
                          .mode = pid > 0 && !*rest ? 040555 : 0100444, .blksize = 4096};
    return 0;
}

/* getdents64 of /proc: ".", "..", then a directory per process. */
long procfs_getdents(uint64_t *pos, uint8_t *buf, uint64_t n)
{
    uint64_t used = 0;
    for (;; (*pos)++) {
        char name[16];
        uint8_t type = 4;
        if (*pos == 0) {
            memcpy(name, ".", 2);
        } else if (*pos == 1) {
            memcpy(name, "..", 3);
        } else if (*pos - 2 < MAX_PROCS) {
            struct proc *p = &shared->procs[*pos - 2];
            if (p->state == P_FREE || p->state == P_EMBRYO)
                continue;
            snprintf(name, sizeof(name), "%d", p->pid);
        } else if (*pos - 2 == MAX_PROCS) {
            memcpy(name, "self", 5);
            type = 10;
        } else {
            break;
        }
        uint64_t len = strlen(name), rec = (19 + len + 1 + 7) & ~7ul;
        if (used + rec > n)
            return used ? (long)used : -L_EINVAL;
        uint8_t *e = buf + used;
        memset(e, 0, rec);
        *(uint64_t *)e = 0x10000 + *pos;
        *(uint64_t *)(e + 8) = *pos + 1;
        *(uint16_t *)(e + 16) = (uint16_t)rec;
        e[18] = type;
        memcpy(e + 19, name, len + 1);
        used += rec;
    }
    return (long)used;
}

/* getdents64 of /proc/<pid>: its files. */
long procfs_pid_getdents(int pid, uint64_t *pos, uint8_t *buf, uint64_t n)
{
    static const char *const names[] = {".", "..", "stat", "cmdline", "status", "comm"};
    uint64_t used = 0;
    for (; *pos < sizeof(names) / sizeof(names[0]); (*pos)++) {
        uint64_t len = strlen(names[*pos]), rec = (19 + len + 1 + 7) & ~7ul;
        if (used + rec > n)
            return used ? (long)used : -L_EINVAL;
        uint8_t *e = buf + used;
        memset(e, 0, rec);
        *(uint64_t *)e = 0x10000 + (uint64_t)pid * 16 + *pos;
        *(uint64_t *)(e + 8) = *pos + 1;
        *(uint16_t *)(e + 16) = (uint16_t)rec;
        e[18] = *pos < 2 ? 4 : 8;
        memcpy(e + 19, names[*pos], len + 1);
        used += rec;
    }
    return (long)used;
}

/* ------------------------------------------------------------ generated text and process directories as kinds of file */

static long gen_read(struct ofd *o, void *buf, uint64_t n)
{
    shm_lock();
    long r = o->pos >= o->gen_len ? 0 : (long)(n < o->gen_len - o->pos ? n : o->gen_len - o->pos);
    memcpy(buf, o->gen + o->pos, (size_t)r);
    o->pos += (uint64_t)r;
    shm_unlock();
    return r;
}

static long gen_seek(struct ofd *o, int64_t off, int whence)
{
    shm_lock();
    long r = ofd_seek_sized(o, off, whence, o->gen_len);
    shm_unlock();
    return r;
}

static void gen_stat(struct ofd *o, struct l_stat *st)
{
    file_stat_synthetic(st, 0x7f000003, 0100444, 0);
    st->size = o->gen_len;
}

static void gen_close(struct ofd *o)
{
    shm_free(o->gen, GEN_BUF_SIZE);
}

const struct file_ops gen_ops = {
    .name = "procfile",
    .read = gen_read,
    .stat = gen_stat,
    .seek = gen_seek,
    .close = gen_close,
};

static long procdir_read(struct ofd *o, void *buf, uint64_t n)
{
    (void)o, (void)buf, (void)n;
    return -L_EISDIR;
}

/* Any seek rewinds the listing. */
static long procdir_seek(struct ofd *o, int64_t off, int whence)
{
    (void)off, (void)whence;
    o->pos = 0;
    return 0;
}

static void procdir_stat(struct ofd *o, struct l_stat *st)
{
    *st = (struct l_stat){.ino = 0x10000 + o->gen_len * 16, .nlink = 2, .mode = 040555};
}

static long procdir_getdents(struct ofd *o, void *buf, uint64_t n)
{
    return procfs_pid_getdents((int)o->gen_len, &o->pos, buf, n);
}

const struct file_ops procdir_ops = {
    .name = "procdir",
    .read = procdir_read,
    .stat = procdir_stat,
    .seek = procdir_seek,
    .getdents = procdir_getdents,
};

/* struct statfs (120 bytes) of the arena's file system. */
long sys_statfs(void *st)
{
    uint64_t *f = st;
    memset(st, 0, 120);
    shm_lock();
    uint64_t total = SHM_PAGES, free = (shared->heap_end - shared->heap_next) / PAGE_SIZE, files = shared->fs.nodes;
    shm_unlock();
    f[0] = 0x01021994;              /* f_type: TMPFS_MAGIC */
    f[1] = PAGE_SIZE;               /* f_bsize */
    f[2] = total;                   /* f_blocks */
    f[3] = free;                    /* f_bfree (bump space; freed blocks are reused too) */
    f[4] = free;                    /* f_bavail */
    f[5] = files + 100000;          /* f_files */
    f[6] = 100000;                  /* f_ffree */
    f[8] = FS_NAME_MAX;             /* f_namelen */
    f[9] = PAGE_SIZE;               /* f_frsize */
    return 0;
}
