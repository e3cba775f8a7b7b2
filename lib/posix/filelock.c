/*
 * POSIX record locks (fcntl F_GETLK, F_SETLK, F_SETLKW) between the
 * processes of the instance, for what SQLite and other programs that
 * share a file expect.  The locks live in the arena (shared->locks), a
 * fixed table of byte ranges, each owned by a pid on a file: a disk file
 * is named by fsd's inode number, a memory file by its node.  The rules
 * are POSIX's:
 *   - a read lock conflicts with another process's write lock over any
 *     common byte, a write lock with any other process's lock;
 *   - a process's own locks never conflict: a new lock or an unlock
 *     replaces whatever it held over the range (splitting a lock in two
 *     when the range is inside it);
 *   - closing any descriptor of a file releases all the process's locks
 *     on that file (filelock_close), and a process that exits or dies
 *     loses all of its locks (filelock_release_pid); a child of fork
 *     holds none.
 * F_SETLKW sleeps on the arena's epoch, which every unlock bumps, and
 * ends with EINTR on a signal; there is no deadlock detection (EDEADLK):
 * two processes waiting for each other wait until a signal, as a user
 * mistake that hangs only them.  Each call scans the table once, bounded
 * by MAX_FILELOCKS; a full table fails a new lock with ENOLCK before
 * anything changes.  Locks on other kinds of file (pipes, sockets, the
 * tty) are granted and not recorded, as before.
 */
#include "posix.h"
#include "file.h"

#define L_F_GETLK  5
#define L_F_SETLK  6
#define L_F_SETLKW 7
#define L_F_RDLCK  0
#define L_F_WRLCK  1
#define L_F_UNLCK  2
#define L_ENOLCK   37
#define LOCK_TO_EOF UINT64_MAX

/* Linux's struct flock on x86_64 (32 bytes). */
struct l_flock {
    int16_t type;
    int16_t whence;
    int64_t start;
    int64_t len;
    int32_t pid;
};
_Static_assert(sizeof(struct l_flock) == 32, "struct flock is 32 bytes");

/* A request, decoded: the file, the range [start, end), the type. */
struct lock_req {
    uint64_t key;
    uint64_t start, end;
    int type;
    int pid;
};

/* The file o names for locking, or 0: a kind without locks. */
static uint64_t filelock_key(const struct ofd *o)
{
    if (o->kind == OFD_DISK)
        return (1ull << 63) | o->dino;
    if (o->kind == OFD_FILE && o->node)
        return (uint64_t)(uintptr_t)o->node;
    return 0;
}

static bool overlaps(const struct filelock *l, const struct lock_req *q)
{
    return l->start < q->end && q->start < l->end;
}

/* The first lock of another process that q conflicts with (lock held). */
static struct filelock *lock_conflict(const struct lock_req *q)
{
    for (int i = 0; i < MAX_FILELOCKS; i++) {
        struct filelock *l = &shared->locks[i];
        if (l->key == q->key && l->pid != q->pid && overlaps(l, q) &&
            (l->type == L_F_WRLCK || q->type == L_F_WRLCK))
            return l;
    }
    return NULL;
}

static struct filelock *lock_free_slot(void)
{
    for (int i = 0; i < MAX_FILELOCKS; i++)
        if (!shared->locks[i].key)
            return &shared->locks[i];
    return NULL;
}

/* Apply q for its pid (lock held): take its range out of the pid's locks
 * on the file, then record q unless it unlocks.  Checks first that the
 * free slots suffice (a split takes one, the new lock one): -L_ENOLCK
 * with nothing changed; -L_EAGAIN on a conflict. */
static long lock_apply(const struct lock_req *q)
{
    if (q->type != L_F_UNLCK && lock_conflict(q))
        return -L_EAGAIN;
    int need = q->type != L_F_UNLCK, have = 0;
    for (int i = 0; i < MAX_FILELOCKS; i++) {
        struct filelock *l = &shared->locks[i];
        have += !l->key;
        if (l->key == q->key && l->pid == q->pid && l->start < q->start && l->end > q->end)
            need++;
    }
    if (have < need)
        return -L_ENOLCK;
    for (int i = 0; i < MAX_FILELOCKS; i++) {
        struct filelock *l = &shared->locks[i];
        if (l->key != q->key || l->pid != q->pid || !overlaps(l, q))
            continue;
        bool left = l->start < q->start, right = l->end > q->end;
        if (left && right) {                    /* split: the right part in a new slot */
            struct filelock *r = lock_free_slot();
            *r = *l;
            r->start = q->end;
            l->end = q->start;
        } else if (left) {
            l->end = q->start;
        } else if (right) {
            l->start = q->end;
        } else {
            l->key = 0;
        }
    }
    if (q->type != L_F_UNLCK) {
        struct filelock *n = lock_free_slot();
        n->key = q->key;
        n->start = q->start;
        n->end = q->end;
        n->type = q->type;
        n->pid = q->pid;
    }
    shm_event();                                /* a waiter may now get its lock */
    return 0;
}

/* posix_block's test for F_SETLKW: nothing in the way (lock held). */
static bool lock_clear(void *arg)
{
    return !lock_conflict(arg);
}

/* Decode *fl for o into q: the type against o's access mode (EBADF), the
 * range from l_whence (EINVAL: a bad whence or type, a negative start,
 * an overflow). */
static long lock_decode(struct ofd *o, const struct l_flock *fl, bool query, struct lock_req *q)
{
    int acc = o->flags & L_O_ACCMODE;
    if (fl->type != L_F_RDLCK && fl->type != L_F_WRLCK && fl->type != L_F_UNLCK)
        return -L_EINVAL;
    if (query && fl->type == L_F_UNLCK)
        return -L_EINVAL;
    if (!query && ((fl->type == L_F_RDLCK && acc == L_O_WRONLY) || (fl->type == L_F_WRLCK && acc == 0)))
        return -L_EBADF;
    int64_t base;
    if (fl->whence == 0) {
        base = 0;
    } else if (fl->whence == 1) {
        base = (int64_t)o->pos;
    } else if (fl->whence == 2) {
        struct l_stat st;
        shm_lock();
        file_ops_of(o)->stat(o, &st);
        shm_unlock();
        base = (int64_t)st.size;
    } else {
        return -L_EINVAL;
    }
    int64_t start, len = fl->len;
    if (__builtin_add_overflow(base, fl->start, &start))
        return -L_EINVAL;
    if (len < 0) {                              /* [start + len, start) */
        if (__builtin_add_overflow(start, len, &start))
            return -L_EINVAL;
        len = -len;
    }
    if (start < 0)
        return -L_EINVAL;
    q->start = (uint64_t)start;
    q->end = len == 0 || (uint64_t)len > LOCK_TO_EOF - q->start ? LOCK_TO_EOF : q->start + (uint64_t)len;
    q->type = fl->type;
    q->pid = me.pid;
    q->key = filelock_key(o);
    return 0;
}

long filelock_fcntl(struct ofd *o, int cmd, uint64_t arg)
{
    struct l_flock *fl = (struct l_flock *)arg;
    if (!mm_user_ok(fl, sizeof *fl, cmd == L_F_GETLK))
        return -L_EFAULT;
    struct l_flock in = *fl;                    /* read once: another thread may change it */
    struct lock_req q;
    long r = lock_decode(o, &in, cmd == L_F_GETLK, &q);
    if (r < 0)
        return r;
    if (!q.key) {                               /* a kind without locks: always free */
        if (cmd == L_F_GETLK)
            fl->type = L_F_UNLCK;
        return 0;
    }
    if (cmd == L_F_GETLK) {
        shm_lock();
        struct filelock *l = lock_conflict(&q), c = l ? *l : (struct filelock){0};
        shm_unlock();
        if (!l) {
            fl->type = L_F_UNLCK;
            return 0;
        }
        fl->type = (int16_t)c.type;
        fl->whence = 0;
        fl->start = (int64_t)c.start;
        fl->len = c.end == LOCK_TO_EOF ? 0 : (int64_t)(c.end - c.start);
        fl->pid = c.pid;
        return 0;
    }
    for (;;) {
        shm_lock();
        r = lock_apply(&q);
        shm_unlock();
        if (r != -L_EAGAIN || cmd == L_F_SETLK)
            return r;
        r = posix_block(lock_clear, &q, 0);     /* F_SETLKW: until the way is clear, or a signal */
        if (r < 0)
            return r;
    }
}

void filelock_close(struct ofd *o)
{
    uint64_t key = filelock_key(o);
    if (!key)
        return;
    bool freed = false;
    for (int i = 0; i < MAX_FILELOCKS; i++) {
        struct filelock *l = &shared->locks[i];
        if (l->key == key && l->pid == me.pid) {
            l->key = 0;
            freed = true;
        }
    }
    if (freed)
        shm_event();
}

void filelock_release_pid(int pid)
{
    bool freed = false;
    for (int i = 0; i < MAX_FILELOCKS; i++) {
        struct filelock *l = &shared->locks[i];
        if (l->key && l->pid == pid) {
            l->key = 0;
            freed = true;
        }
    }
    if (freed)
        shm_event();
}
