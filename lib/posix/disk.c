/*
 * The disk file system's client side: starting fsd (user/fsd.c, the
 * instance's ext4 server; the shared layout is fsd.h) and the request
 * round trip every disk operation makes.
 *
 * Init starts fsd (disk_fsd_start) when the kernel gave it a disk extent
 * (the first boot environment gets each namespace's root extent) and
 * waits, bounded, for the mount; every process holds a copy of fsd's
 * word, granted at fork.  A request takes a free slot under the arena
 * lock, fills it, bumps req_seq, signals fsd and sleeps on the epoch
 * until fsd has answered.  Signals do not cut that wait short (fsd
 * answers in a bounded time: one file-system operation, or a commit), so
 * a request is never lost halfway.
 *
 * A second namespace (the kernel's second root extent, if there is one)
 * is not mounted: init gives it to fsd as well, which serves it raw as
 * the block device file /dev/nvme1n1 (blkfile.c), for tools such as
 * e2fsck.  Which extent holds what is this policy, not the kernel's.
 *
 * fsd has a process-table entry (ps lists it, kill -9 of its pid ends
 * it), and every process holds a capability to its environment.  If fsd
 * is gone, whoever notices first (a process waiting for an answer looks
 * every 10 ms) marks the table down: every disk request from then on
 * fails with EIO instead of waiting for ever; the memory tree's mounts
 * keep working.
 */
#include "posix.h"

#define DISK_MOUNT_NS 120000000000ull   /* fsd's mount (replay included) on a loaded TCG host */

/* fsd's process-table entry (lock held), as netd's (sock.c). */
static void fsd_entry(capref_t env)
{
    struct vn_capinfo ci;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &shared->procs[i];
        if (p->state != P_FREE)
            continue;
        int pid = shared->next_pid++;
        *p = (struct proc){.state = P_ALIVE, .pid = pid, .ppid = 0, .pgid = pid, .sid = pid, .service = 1,
                           .start_ns = vn_clock_ns(), .comm = "fsd", .cmdline = "fsd", .cmdline_len = 4};
        p->envid = vn_cap_info(env, &ci) == 0 ? (int)ci.object : 0;
        shared->disk.fsd_pid = pid;
        return;
    }
}

/* fsd has gone: fail every disk request from now on (lock held). */
static void disk_mark_down(void)
{
    service_mark_down(&shared->disk.down, shared->disk.fsd_pid);
}

/* Whether fsd has gone: the table says so, or its environment is no
 * longer alive. */
static bool disk_gone(void)
{
    static uint64_t next_look;
    if (shared->disk.down || me.fsd_env < 0)
        return shared->disk.down;           /* no capability: the table alone tells */
    if (service_env_dead(me.fsd_env, &next_look)) {
        shm_lock();
        disk_mark_down();
        shm_unlock();
    }
    return shared->disk.down;
}

/* Contract in posix.h. */
void disk_fsd_signal(struct proc *p, int sig)
{
    if (!sig_default_terminate(sig) || !shared->disk.fsd || p->pid != shared->disk.fsd_pid)
        return;
    if (me.fsd_env >= 0)
        vn_env_destroy(me.fsd_env);
    disk_mark_down();
}

/* Gives the slots' buffers back to the arena (fsd will not serve). */
static void slot_bufs_free(void)
{
    shm_lock();
    for (int i = 0; i < FSD_SLOTS; i++) {
        if (shared->disk.slots[i].data)
            shm_free(shared->disk.slots[i].data, FSD_DATA);
        shared->disk.slots[i].data = NULL;
    }
    shm_unlock();
}

#define VF_SCAN 64                  /* slots looked at for a VF capability */

/* Contract in posix.h. */
void disk_fsd_start(void)
{
    me.fsd_kick = -1;
    me.fsd_env = -1;
    capref_t ext = weblog_fs_extent();          /* namespace 1's root, or init's ext4 part of it */
    struct vn_blkinfo bi;
    struct vn_devinfo di;
    uint64_t size;
    unsigned rights = CR_READ | CR_WRITE;
    /* An instance an SR-IOV manager started with a VF (user/vfmgr.c): its
     * disk is that device, which fsd drives itself (lib/fs/blkdev_vf.c).
     * The scan is bounded by the table's first VF_SCAN slots. */
    capref_t vf = -1, raw = vn_sysinfo->nblk >= 2 ? ext + 1 : 0;
    for (capref_t c = 2; c < VF_SCAN && vf < 0; c++)
        if (vn_dev_info(c, &di) == 0 && (di.flags & VN_DEVF_VF))
            vf = c;
    if (vf >= 0) {
        ext = vf;
        rights = CR_ALL;
    } else if (ext < 0 || (!disk_blkd_running() && vn_blk_info(ext, &bi) != 0)) {
        long e = disk_blkd_extent(0, 0, 0);     /* blk=user: the whole first namespace through blkd */
        if (e < 0)
            return;                             /* no disk, or not ours */
        ext = (capref_t)e;
    }
    if (disk_blkd_running()) {                  /* the second namespace through blkd too */
        long r = disk_blkd_extent(1, 0, 0);
        raw = r > 0 ? (capref_t)r : 0;
    }
    if (!vn_archive_find("fsd", &size) || size < 64) {
        printf("posix: a disk but no fsd: / stays in memory\n");
        return;
    }
    const uint8_t *image = vn_archive_find("fsd", &size);
    long word = vn_notify_create();
    capref_t env = word < 0 ? (capref_t)word
                            : vn_spawn_share_stopped("fsd", FSD_QUOTA, 0, 0, ext, rights, 0);
    if (env < 0) {
        printf("posix: cannot start fsd (%s): / stays in memory\n", vn_strerror(env));
        if (word >= 0)
            vn_cap_delete((capref_t)word);
        return;
    }
    long run0 = vn_page_share(shm_caps[0], env, CR_READ | CR_WRITE | CR_MAP);
    long run1 = vn_page_share(shm_caps[1], env, CR_READ | CR_WRITE | CR_MAP);
    long w = vn_cap_grant((capref_t)word, env, CR_READ | CR_WRITE);
    long rawext = raw > 0 ? vn_cap_grant(raw, env, CR_READ | CR_WRITE) : 0;
    uint64_t entry;
    memcpy(&entry, image + 24, 8);              /* the ELF header's e_entry */
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP, .rdi = (uint64_t)run0, .rsi = (uint64_t)run1,
                           .rdx = (uint64_t)w, .rcx = rawext > 0 ? (uint64_t)rawext : 0};
    shm_lock();
    for (int i = 0; i < FSD_SLOTS; i++)
        shared->disk.slots[i].data = shm_alloc(FSD_DATA);
    shm_unlock();
    bool bufs = true;
    for (int i = 0; i < FSD_SLOTS; i++)
        bufs &= shared->disk.slots[i].data != NULL;
    if (!bufs || run0 < 0 || run1 < 0 || w < 0 || vn_env_set_regs(env, &regs) < 0 || vn_env_start(env) < 0) {
        printf("posix: cannot start fsd: / stays in memory\n");
        vn_cap_delete(env);
        vn_cap_delete((capref_t)word);
        slot_bufs_free();
        return;
    }
    /* fsd is init's child in the kernel's hierarchy: it ends with the instance. */
    me.fsd_kick = (capref_t)word;
    me.fsd_env = env;
    uint64_t until = vn_clock_ns() + DISK_MOUNT_NS;
    for (;;) {
        uint64_t seen = shared->epoch;
        int st = __atomic_load_n(&shared->disk.state, __ATOMIC_ACQUIRE);
        if (st == 1)
            break;
        if (st < 0 || vn_clock_ns() > until) {
            printf("posix: fsd could not mount the disk (%d): / stays in memory\n", st);
            vn_kill(env);
            me.fsd_env = -1;
            vn_cap_delete((capref_t)word);
            me.fsd_kick = -1;
            slot_bufs_free();
            return;
        }
        shm_wait(seen, 100000000);
    }
    shm_lock();
    shared->disk.fsd = 1;
    fsd_entry(env);
    shm_unlock();
}

/* Contract in posix.h.  With fsd gone, slot 0 (whatever it holds: no
 * one reads it any more), so the request fails at once. */
struct fsd_slot *disk_slot_get(void)
{
    for (;;) {
        if (disk_gone())
            return &shared->disk.slots[0];
        shm_lock();
        uint64_t seen = shared->epoch;
        for (int i = 0; i < FSD_SLOTS; i++) {
            struct fsd_slot *s = &shared->disk.slots[i];
            if (!s->used) {
                s->used = 1;
                s->flags = 0;
                shm_unlock();
                return s;
            }
        }
        shm_unlock();
        shm_wait(seen, 10000000);               /* every slot busy: another process's requests */
    }
}

void disk_slot_put(struct fsd_slot *s)
{
    if (shared->disk.down)
        return;                                 /* the slot may be another's (disk_slot_get) */
    __atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
    shm_event();                                /* someone may wait for a slot */
}

/* Contract in posix.h. */
long disk_submit(struct fsd_slot *s, int op)
{
    if (disk_gone())
        return -L_EIO;
    s->op = op;
    uint32_t seq = __atomic_add_fetch(&s->req_seq, 1, __ATOMIC_RELEASE);
    vn_notify_signal(me.fsd_kick, FSD_KICK);
    for (;;) {
        uint64_t seen = shared->epoch;
        if (__atomic_load_n(&s->done_seq, __ATOMIC_ACQUIRE) == seq)
            return (long)s->result;
        if (disk_gone())
            return -L_EIO;                      /* the slot stays taken: fsd may have held it */
        shm_wait(seen, 10000000);
    }
}

/* Contract in posix.h. */
long disk_path_op(int op, const char *path, const char *path2, uint32_t mode, uint32_t flags,
                  struct extfs_stat *st, uint32_t *ino)
{
    size_t n = strlen(path) + 1, n2 = path2 ? strlen(path2) + 1 : 0;
    if (n > FSD_PATH_MAX || n2 > FSD_PATH_MAX)
        return -L_ENAMETOOLONG;
    struct fsd_slot *s = disk_slot_get();
    memcpy(s->data, path, n);
    if (path2)
        memcpy(s->data + FSD_PATH_MAX, path2, n2);
    s->mode = mode;
    s->flags = flags;
    long r = disk_submit(s, op);
    if (r >= 0 && st)
        *st = s->st;
    if (r >= 0 && ino)
        *ino = s->ino;
    disk_slot_put(s);
    return r;
}

/* Contract in posix.h. */
void disk_unmount(void)
{
    if (me.fsd_kick < 0 || !shared->disk.fsd || shared->disk.down)
        return;
    struct fsd_slot *s = disk_slot_get();
    long r = disk_submit(s, FSD_OP_UNMOUNT);
    disk_slot_put(s);
    if (r < 0)
        printf("posix: the disk's unmount failed (%ld): the next boot replays its journal\n", r);
}
