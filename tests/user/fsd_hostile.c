/*
 * fsd against a hostile instance (tests/qemu/fsd_hostile.t): this
 * program plays the POSIX libOS's init.  It makes an arena of its own at
 * the POSIX address, starts fsd on the disk's root extent with the same
 * arguments init gives it, and posts requests no libOS would: unknown
 * ops, lengths past a slot's buffer, data pointers outside the arena or
 * wrapping, paths without a NUL, inode numbers out of range, a close
 * without an open, a huge truncate, a readdir of a file, and a slot
 * rewritten while fsd serves it.  Each must come back as an error (or a
 * harmless answer), fsd must keep serving, and a valid request after
 * them must work; then UNMOUNT, and the host's e2fsck -fn must find the
 * image clean (the .t file).
 */
#include <errno.h>

#include "check.h"
#include "../../lib/posix/posix.h"

#define ARENA       SHM_BASE
#define ARENA_PAGES SHM_PAGES

int main(void);

static struct fsd_table *tab;
static capref_t word;
static uint8_t *data;               /* slot 0's buffer, inside the arena */

/* Posts slot 0's request and waits (60 s at most) for fsd's answer. */
static int64_t post(int op)
{
    struct fsd_slot *s = &tab->slots[0];
    s->op = op;
    uint32_t seq = __atomic_add_fetch(&s->req_seq, 1, __ATOMIC_RELEASE);
    vn_notify_signal(word, FSD_KICK);
    uint64_t until = vn_clock_ns() + 60000000000ul;
    while (__atomic_load_n(&s->done_seq, __ATOMIC_ACQUIRE) != seq) {
        if (vn_clock_ns() > until)
            return -1000;
        vn_yield();
    }
    return s->result;
}

static void set_path(const char *p)
{
    memcpy(data, p, strlen(p) + 1);
}

int main(void)
{
    capref_t ext = (capref_t)vn_sysinfo->blk_cap;
    CHECK(vn_sysinfo->nblk == 1);
    long r0 = vn_page_alloc(CAP_SELF, 0, 512), r1 = vn_page_alloc(CAP_SELF, 0, 512);
    CHECK(r0 >= 0 && r1 >= 0);
    struct vn_map_entry m[64];
    for (uint64_t p = 0; p < ARENA_PAGES; p += 64) {
        for (uint64_t k = 0; k < 64; k++)
            m[k] = (struct vn_map_entry){ARENA + (p + k) * 4096, (p + k) < 512 ? (capref_t)r0 : (capref_t)r1,
                                         VM_PROT_WRITE, (p + k) % 512};
        CHECK_EQ(vn_page_map(CAP_SELF, m, 64), 64);
    }
    /* The table where posix.h puts it; slot 0's buffer in the heap part. */
    tab = &((struct posix_shared *)ARENA)->disk;
    data = (uint8_t *)(ARENA + 2 * 1024 * 1024);
    tab->slots[0].data = data;
    tab->slots[0].used = 1;
    long w = vn_notify_create();
    CHECK(w >= 0);
    word = (capref_t)w;
    capref_t env = vn_spawn_share_stopped("fsd", FSD_QUOTA, 0, 0, ext, CR_READ | CR_WRITE, 0);
    CHECK(env >= 0);
    uint64_t size;
    const uint8_t *image = vn_archive_find("fsd", &size);
    uint64_t entry;
    memcpy(&entry, image + 24, 8);
    long a0 = vn_page_share((capref_t)r0, env, CR_READ | CR_WRITE | CR_MAP);
    long a1 = vn_page_share((capref_t)r1, env, CR_READ | CR_WRITE | CR_MAP);
    long aw = vn_cap_grant(word, env, CR_READ | CR_WRITE);
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP, .rdi = (uint64_t)a0, .rsi = (uint64_t)a1,
                           .rdx = (uint64_t)aw};
    CHECK_EQ(vn_env_set_regs(env, &regs), 0);
    CHECK_EQ(vn_env_start(env), 0);
    uint64_t until = vn_clock_ns() + 120000000000ul;
    while (__atomic_load_n(&tab->state, __ATOMIC_ACQUIRE) == 0 && vn_clock_ns() < until)
        vn_yield();
    CHECK_EQ(tab->state, 1);
    if (check_failures)
        return check_done("fsd_hostile");

    struct fsd_slot *s = &tab->slots[0];
    CHECK_EQ(post(0), -EINVAL);                         /* op 0 */
    CHECK_EQ(post(FSD_OP_COUNT), -EINVAL);
    CHECK_EQ(post(-5), -EINVAL);
    s->len = FSD_DATA + 1;
    CHECK_EQ(post(FSD_OP_READ), -EINVAL);                /* past the buffer */
    s->len = ~0ul;
    CHECK_EQ(post(FSD_OP_WRITE), -EINVAL);
    s->len = 16;
    s->data = (uint8_t *)0x1000;                         /* outside the arena */
    CHECK_EQ(post(FSD_OP_READ), -EINVAL);
    s->data = (uint8_t *)(ARENA + ARENA_PAGES * 4096 - 100);     /* its end past the arena */
    CHECK_EQ(post(FSD_OP_LOOKUP), -EINVAL);
    s->data = (uint8_t *)~0ul;                           /* wrapping */
    CHECK_EQ(post(FSD_OP_LOOKUP), -EINVAL);
    s->data = data;
    memset(data, 'a', FSD_DATA);                         /* a path with no NUL */
    CHECK_EQ(post(FSD_OP_LOOKUP), -ENAMETOOLONG);
    CHECK_EQ(post(FSD_OP_RENAME), -ENAMETOOLONG);
    set_path("/");
    memset(data + FSD_PATH_MAX, 'b', FSD_PATH_MAX);      /* the second path has none */
    CHECK_EQ(post(FSD_OP_RENAME), -ENAMETOOLONG);
    set_path("");
    CHECK_EQ(post(FSD_OP_UNLINK), -ENOENT);
    set_path("relative/path");
    CHECK(post(FSD_OP_LOOKUP) < 0);
    static const uint32_t inos[] = {0, 1, 7, 0x7fffffff, 0xffffffff};
    for (unsigned i = 0; i < sizeof(inos) / sizeof(inos[0]); i++) {
        uint32_t ino = inos[i];
        s->ino = ino;
        s->off = 0;
        s->len = 16;
        CHECK(post(FSD_OP_READ) < 0);
        CHECK(post(FSD_OP_STAT) < 0);                    /* reserved inodes are not the namespace's */
        CHECK(post(FSD_OP_WRITE) < 0);
        CHECK(post(FSD_OP_TRUNCATE) < 0);
        CHECK(post(FSD_OP_READDIR) < 0);
    }
    s->ino = 12345;
    CHECK_EQ(post(FSD_OP_CLOSE), -EBADF);                /* never opened */
    /* A real file, then nonsense on it. */
    set_path("/hostile");
    s->mode = 0644;
    s->flags = 0;
    CHECK_EQ(post(FSD_OP_CREATE), 0);
    uint32_t ino = s->ino;
    s->ino = ino;
    s->off = ~0ul - 10;
    s->len = 16;
    CHECK(post(FSD_OP_WRITE) < 0);                       /* an offset at the end of everything */
    s->off = 1ull << 62;
    CHECK(post(FSD_OP_TRUNCATE) < 0);
    CHECK_EQ(post(FSD_OP_READDIR), -ENOTDIR);
    s->mode = ~0u;                                       /* every setattr bit */
    CHECK(post(FSD_OP_SETATTR) <= 0);
    /* Still serving: a write and a read back. */
    s->ino = ino;
    s->off = 0;
    s->len = 5;
    s->flags = FSD_SYNC;
    memcpy(data, "alive", 5);
    CHECK_EQ(post(FSD_OP_WRITE), 5);
    memset(data, 0, 8);
    s->flags = 0;
    CHECK_EQ(post(FSD_OP_READ), 5);
    CHECK(memcmp(data, "alive", 5) == 0);
    CHECK(tab->commits >= 1);
    CHECK_EQ(post(FSD_OP_UNMOUNT), 0);
    CHECK_EQ(vn_wait(env), 0);                           /* fsd ends after its unmount */
    CHECK_EQ(tab->state, 2);
    vn_cap_delete(word);
    return check_done("fsd_hostile");
}
