/*
 * Crash consistency of lib/fs's journal: a workload of creates, writes,
 * appends, renames over a file, unlinks and fsyncs runs on a power-cut
 * device (blkdev_cut_wrap around a memory copy of a fresh mke2fs image)
 * that loses everything after write number N.  Each cut image is then
 * recovered twice, from the same bytes: by lib/fs's own replay at mount
 * (journal_replay.c; then a clean unmount, and `e2fsck -fn` must find
 * nothing), and by the host's `e2fsck -fy`, which must replay the
 * journal without fixing anything else,
 * `e2fsck -fn` must find the image clean, and the files must be those of
 * the workload after some prefix of its operations that includes every
 * fsync that returned (so a renamed-over file is old or new, never
 * neither, and fsynced contents are intact).
 *
 * Cut points: a dry run logs the write count at every flush; the cuts are
 * at those boundaries (just before, at, and just after each, the one after
 * torn in half, the writes held in the volatile cache dropped, kept, or
 * kept in part), which covers "before commit", "torn commit block",
 * "after commit, before checkpoint" and "mid-checkpoint".  A second, long
 * workload wraps the circular log several times, with cuts spread over
 * it.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "../../lib/fs/extfs.h"
#include "extfs_host.h"

#define MAXOPS 400
#define MAXFILES 64

static char pristine[4200], img[4200], logf[4200], out[4200];
static uint8_t *pristine_bytes;
static uint64_t img_blocks;

/* The model: what each tracked name holds (version; -1 = absent). */
struct snap { int ver[MAXFILES]; uint32_t loglen; };
static struct snap snaps[MAXOPS + 1];       /* after op i (0 = before any) */
static int nsnaps;

static const char *fname(int k, char *buf)
{
    if (k == 0) snprintf(buf, 32, "/r");
    else if (k == 1) snprintf(buf, 32, "/log");
    else snprintf(buf, 32, "/d/f%02d", k);
    return buf;
}

static size_t content(int k, int ver, uint8_t *buf)
{
    size_t len = (size_t)(((k * 7919 + ver * 104729) % 23000) + 10);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(k * 31 + ver * 17 + i * 7 + (i >> 9));
    return len;
}

static void log_line(uint32_t at, uint8_t *buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        buf[i] = (uint8_t)('a' + (at + i) % 26);
}

/* A flush spy between the file system and the cut device: records the
 * write count at each flush. */
struct spy { struct blkdev dev; struct blkdev *lower; uint64_t *marks; size_t n, cap; };
static int spy_read(struct blkdev *d, uint64_t b, uint32_t n, void *buf) { return blkdev_read(((struct spy *)d)->lower, b, n, buf); }
static int spy_write(struct blkdev *d, uint64_t b, uint32_t n, const void *buf) { return blkdev_write(((struct spy *)d)->lower, b, n, buf); }
static int spy_flush(struct blkdev *d)
{
    struct spy *s = (struct spy *)d;
    if (s->marks && s->n < s->cap)
        s->marks[s->n++] = d->nwrites;
    return blkdev_flush(s->lower);
}
static void spy_close(struct blkdev *d) { (void)d; }
static const struct blkdev_ops spy_ops = { spy_read, spy_write, spy_flush, spy_close, NULL };

static uint64_t fake_now;
static uint64_t now_ns(void) { return fake_now += 1000000; }

static int dead(struct blkdev *cut, uint64_t cut_after)
{
    return cut_after && blkdev_cut_writes(cut) > cut_after;
}

/* Runs nops operations; returns the index of the last snapshot that an
 * fsync made durable (with the device still alive after it). */
static int workload(struct extfs *fs, struct blkdev *cut, uint64_t cut_after, int nops)
{
    static uint8_t buf[32768];
    struct snap cur;
    char name[32];
    int durable = 0, rver = 0;
    uint32_t ino;

    for (int k = 0; k < MAXFILES; k++)
        cur.ver[k] = -1;
    cur.loglen = 0;
    nsnaps = 0;
    snaps[nsnaps++] = cur;
    if (extfs_mkdir(fs, "/d", 0755) || extfs_create(fs, "/log", 0644, NULL))
        return durable;
    cur.ver[1] = 0;
    snaps[nsnaps++] = cur;
    for (int i = 0; i < nops && nsnaps < MAXOPS - 4 && !dead(cut, cut_after); i++) {
        int k = 2 + i % (MAXFILES - 2), kind = i % 4, r = 0;
        size_t len;

        if (kind == 0 || kind == 2) {               /* a file, (re)written whole */
            fname(k, name);
            if (cur.ver[k] >= 0)
                r = extfs_unlink(fs, name);
            if (!r)
                r = extfs_create(fs, name, 0644, &ino);
            len = content(k, i, buf);
            if (!r && extfs_write(fs, ino, 0, buf, len) != (int64_t)len)
                r = -EIO;
            if (r)
                break;
            cur.ver[k] = i;
        } else if (kind == 1) {                     /* new version of /r, renamed over it */
            len = content(0, ++rver, buf);
            r = extfs_create(fs, "/r.tmp", 0600, &ino);
            if (!r && extfs_write(fs, ino, 0, buf, len) != (int64_t)len)
                r = -EIO;
            if (!r)
                r = extfs_rename(fs, "/r.tmp", "/r");
            if (r)
                break;
            cur.ver[0] = rver;
        } else {                                    /* append to /log, unlink an old file */
            uint32_t add = 700 + (uint32_t)i * 13 % 3000;
            log_line(cur.loglen, buf, add);
            if (extfs_lookup(fs, "/log", &ino) || extfs_write(fs, ino, cur.loglen, buf, add) != add)
                break;
            cur.loglen += add;
            int victim = 2 + (i * 5) % (MAXFILES - 2);
            if (cur.ver[victim] >= 0) {
                if (extfs_unlink(fs, fname(victim, name)))
                    break;
                cur.ver[victim] = -1;
            }
        }
        snaps[nsnaps++] = cur;
        if (i % 2 == 1 || kind == 1) {
            if (extfs_fsync(fs, ino))
                break;
            if (!dead(cut, cut_after))
                durable = nsnaps - 1;
        }
    }
    return durable;
}

/* Whether the mounted file system holds snapshot s exactly. */
static int verbose;

static int matches(struct extfs *fs, const struct snap *s)
{
    static uint8_t want[32768], got[40000];
    char name[32];
    uint32_t ino;

    for (int k = 0; k < MAXFILES; k++) {
        int r = extfs_lookup(fs, fname(k, name), &ino);
        if (verbose)
            printf("  %s: want ver %d, lookup %d\n", name, s->ver[k], r);
        if (s->ver[k] < 0) {
            if (r != -ENOENT)
                return 0;
            continue;
        }
        if (r)
            return 0;
        if (k == 1) {
            struct extfs_stat st;
            uint8_t *w = malloc(s->loglen + 1), *g = malloc(s->loglen + 1);
            int ok = extfs_stat(fs, ino, &st) == 0 && st.size == s->loglen &&
                     extfs_read(fs, ino, 0, g, s->loglen + 1) == (int64_t)s->loglen;
            log_line(0, w, s->loglen);
            ok = ok && !memcmp(w, g, s->loglen);
            free(w);
            free(g);
            if (!ok)
                return 0;
            continue;
        }
        size_t len = content(k, s->ver[k], want);
        int64_t n = extfs_read(fs, ino, 0, got, sizeof(got));
        if (n != (int64_t)len || memcmp(want, got, len)) {
            if (verbose)
                printf("  %s: read %lld want %zu, same %d\n", name, (long long)n, len, n == (int64_t)len && !memcmp(want, got, len));
            return 0;
        }
    }
    return extfs_lookup(fs, "/r.tmp", &ino) == -ENOENT || 1;
}

static int write_file(const char *path, const uint8_t *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static struct blkdev *mem_from_pristine(void)
{
    struct blkdev *m;
    if (blkdev_mem_create(4096, img_blocks, &m))
        return NULL;
    memcpy(blkdev_mem_bytes(m), pristine_bytes, img_blocks * 4096);
    return m;
}

static uint64_t replayed_tx, replayed_mounts;

/* lib/fs's own replay of the cut image in img: mount (which replays),
 * the contents must be a snapshot from durable on, then a clean unmount
 * and `e2fsck -fn` must find nothing.  Returns 0, or 1 (mount), 2
 * (contents), 3 (not clean). */
static int replay_ours(int durable)
{
    struct blkdev *d;
    struct extfs *fs;
    struct extfs_counters c;
    int ok = 0;

    if (blkdev_file_open(img, 4096, 0, &d))
        return 1;
    if (extfs_mount(d, NULL, &fs)) {
        blkdev_close(d);
        return 1;
    }
    extfs_get_counters(fs, &c);
    replayed_tx += c.replayed_transactions;
    replayed_mounts += c.replayed_transactions > 0;
    for (int p = durable; p < nsnaps && !ok; p++)
        ok = matches(fs, &snaps[p]);
    int u = extfs_unmount(fs);
    blkdev_close(d);
    if (!ok)
        return 2;
    return u == 0 && run(logf, "e2fsck -fn '%s'", img) == 0 ? 0 : 3;
}

enum cutkind { CUT_AT, CUT_TORN, CUT_HELD_DROP, CUT_HELD_KEEP, CUT_HELD_SOME, NKINDS };
static const char *kind_name[] = { "at", "torn", "held-dropped", "held-kept", "held-partly" };
static int cuts_done, cuts_failed;

/* One cut: workload until write N, power off, replay, check. */
static void one_cut(int nops, uint64_t n, enum cutkind kind)
{
    struct blkdev *mem = mem_from_pristine(), *cut;
    struct extfs *fs;
    struct spy spy = { { &spy_ops, 4096, 0, 0, 0, 0 }, NULL, NULL, 0, 0 };
    int durable, r, ok = 0;

    if (!mem || blkdev_cut_wrap(mem, &cut)) {
        CHECK(0, "devices");
        return;
    }
    spy.dev.nblocks = cut->nblocks;
    spy.lower = cut;
    blkdev_cut_arm(cut, n, kind == CUT_TORN);
    fake_now = 1700000000ull * 1000000000ull;
    struct extfs_opts o = { .cache_blocks = 256, .now_ns = now_ns };
    if (extfs_mount(&spy.dev, &o, &fs) == 0) {
        durable = workload(fs, cut, n, nops);
        extfs_abandon(fs);
    } else {
        durable = 0;
    }
    blkdev_cut_power_off(cut, kind == CUT_HELD_KEEP ? CUT_KEEP_UNFLUSHED :
                              kind == CUT_HELD_SOME ? CUT_KEEP_MASK : CUT_DROP_UNFLUSHED,
                         0x5555555555555555ull ^ n);
    r = write_file(img, blkdev_mem_bytes(mem), img_blocks * 4096);
    CHECK(r == 0, "write image");
    int ours = replay_ours(durable);
    r = write_file(img, blkdev_mem_bytes(mem), img_blocks * 4096);
    blkdev_close(cut);
    CHECK(r == 0, "write image");
    remove(out);
    r = run(out, "e2fsck -fy '%s'", img);
    int fixes = run(logf, "grep -E -c 'Fix\\? yes|Clear\\? yes|Salvage\\? yes|Relocate\\? yes|Recreate\\? yes|Connect to /lost\\+found\\? yes' '%s'", out);
    int clean = run(logf, "e2fsck -fn '%s'", img);
    if ((r == 0 || r == 1) && fixes == 1 && clean == 0) {
        struct blkdev *d;
        if (blkdev_file_open(img, 4096, 0, &d) == 0) {
            if (extfs_mount(d, NULL, &fs) == 0) {
                for (int p = durable; p < nsnaps && !ok; p++) {
                    if (verbose)
                        printf("snapshot %d:\n", p);
                    ok = matches(fs, &snaps[p]);
                }
                extfs_abandon(fs);
            }
            blkdev_close(d);
        }
    }
    cuts_done++;
    if (!ok || ours) {
        cuts_failed++;
        printf("cut after write %llu (%s): lib/fs's replay %s; e2fsck -fy %d, other fixes %s, -fn %d, contents %s "
               "(durable snapshot %d of %d)\n", (unsigned long long)n, kind_name[kind],
               ours == 0 ? "ok" : ours == 1 ? "mount failed" : ours == 2 ? "contents WRONG" : "not clean",
               r, fixes == 1 ? "none" : "some", clean, ok ? "ok" : "WRONG", durable, nsnaps);
        run(logf, "cat '%s'", out);
    }
}

/* The dry run: total writes and flush marks. */
static size_t dry_run(int nops, uint64_t *marks, size_t cap, uint64_t *writes, struct extfs_counters *c)
{
    struct blkdev *mem = mem_from_pristine(), *cut;
    struct extfs *fs;
    struct spy spy = { { &spy_ops, 4096, 0, 0, 0, 0 }, NULL, marks, 0, cap };
    int r;

    if (!mem || blkdev_cut_wrap(mem, &cut))
        return 0;
    spy.dev.nblocks = cut->nblocks;
    spy.lower = cut;
    fake_now = 1700000000ull * 1000000000ull;
    struct extfs_opts o = { .cache_blocks = 256, .now_ns = now_ns };
    r = extfs_mount(&spy.dev, &o, &fs);
    CHECK(r == 0, "mount: %d", r);
    if (r)
        return 0;
    workload(fs, cut, 0, nops);
    extfs_get_counters(fs, c);
    r = extfs_unmount(fs);
    CHECK(r == 0, "unmount: %d", r);
    *writes = spy.dev.nwrites;
    blkdev_cut_power_off(cut, CUT_KEEP_UNFLUSHED, 0);
    write_file(img, blkdev_mem_bytes(mem), img_blocks * 4096);
    blkdev_close(cut);
    CHECK(run(logf, "e2fsck -fn '%s'", img) == 0, "clean after the whole workload of %d ops", nops);
    return spy.n;
}

int main(int argc, char **argv)
{
    static uint64_t marks[4096];
    struct extfs_counters c;
    uint64_t writes;
    size_t nmarks;
    FILE *f;

    (void)argc;
    scratch_init(argv[0], "extfs-tmp");
    snprintf(pristine, sizeof(pristine), "%s/crash-pristine.img", scratch);
    snprintf(img, sizeof(img), "%s/crash.img", scratch);
    snprintf(logf, sizeof(logf), "%s/test_extfs_crash.log", scratch);
    snprintf(out, sizeof(out), "%s/crash-fsck.out", scratch);
    remove(logf);
    if (make_image(pristine, logf, 16, 4, "-N 256") != 0) {
        printf("mke2fs failed (see %s)\n", logf);
        return 1;
    }
    img_blocks = 16u << 8;
    pristine_bytes = malloc(img_blocks * 4096);
    f = fopen(pristine, "rb");
    if (!f || fread(pristine_bytes, 1, img_blocks * 4096, f) != img_blocks * 4096) {
        printf("cannot read %s\n", pristine);
        return 1;
    }
    fclose(f);

    if (getenv("CUT")) {
        verbose = 1;
        nmarks = dry_run(300, marks, 4096, &writes, &c);
        one_cut(300, strtoull(getenv("CUT"), NULL, 0), (enum cutkind)atoi(getenv("KIND")));
        return 0;
    }
    /* 1: a short workload, cut at every flush boundary. */
    nmarks = dry_run(40, marks, 4096, &writes, &c);
    printf("short workload: %llu writes, %zu flushes, %llu commits, %llu checkpoints, %llu revokes\n",
           (unsigned long long)writes, nmarks, (unsigned long long)c.commits,
           (unsigned long long)c.checkpoints, (unsigned long long)c.revokes);
    for (size_t i = 0; i < nmarks; i++) {
        uint64_t m = marks[i];
        one_cut(40, m, CUT_AT);
        one_cut(40, m + 1, CUT_TORN);
        if (m > 2)
            one_cut(40, m - 1, (enum cutkind)(CUT_HELD_DROP + i % 3));
    }
    /* 2: a long workload that wraps the log, cuts spread over it. */
    nmarks = dry_run(300, marks, 4096, &writes, &c);
    printf("long workload: %llu writes, %zu flushes, %llu commits, %llu checkpoints, %llu log blocks "
           "(the log has 1023)\n", (unsigned long long)writes, nmarks, (unsigned long long)c.commits,
           (unsigned long long)c.checkpoints, (unsigned long long)c.log_blocks);
    CHECK(c.log_blocks > 1023 && c.checkpoints >= 2, "the log wrapped");
    for (int i = 1; i <= 24; i++)
        one_cut(300, writes * (uint64_t)i / 25, (enum cutkind)(i % NKINDS));
    printf("%d cuts, %d survived (lib/fs's replay and e2fsck's each); lib/fs replayed %llu transactions "
           "in %llu of the mounts\n", cuts_done, cuts_done - cuts_failed, (unsigned long long)replayed_tx,
           (unsigned long long)replayed_mounts);
    CHECK(replayed_mounts > (uint64_t)cuts_done / 4, "lib/fs's mount replayed a journal after a quarter of the cuts at least");
    CHECK(cuts_failed == 0, "%d of %d cuts lost data or left the image unclean (see %s)", cuts_failed,
          cuts_done, logf);
    return failures ? 1 : 0;
}
