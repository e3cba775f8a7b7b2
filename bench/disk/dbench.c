/*
 * File-system rows of `make bench`: ext4 on the same QEMU NVMe disk, one
 * static Linux program (musl-gcc -static -O2), the same binary on both
 * sides.  On Veneer it runs under the POSIX libOS with its root on the
 * disk (ext4 through fsd: `init=posix run=dbench,dbench,veneer,/root,
 * /bin/speedtest1`); on Linux the disk suite's /init (bench/disk/
 * linux_init.c) mounts /dev/nvme0n1 as ext4 on /mnt and starts it.  Each
 * boot gets a fresh image from tools/mkdisk.sh (bench/run.sh).
 *
 *   dbench <os> <dir> <speedtest1> [quick]
 *
 * Rows (suite=disk, so bench/report.awk keeps its loop and call rows
 * apart and subtracts this program's call cost):
 *   f_rread    pread of 4 KiB at a random 4 KiB-aligned offset of a
 *              16 MiB file written just before (no O_DIRECT: whatever the
 *              file system caches; Linux's page cache holds all of it,
 *              Veneer's fsd a 4 MiB buffer cache, so most are disk reads)
 *   f_rwrite   pwrite of 4 KiB at such an offset, then fdatasync
 *   f_seqw     16 MiB written in 64 KiB writes to the file truncated to 0
 *              (untimed), then fsync: one op; MiB/s = 16 / seconds
 *   f_seqr     the 16 MiB file read in 64 KiB reads: one op
 *   f_create   open(O_CREAT|O_EXCL) a new file, write 4 KiB, fsync, close
 *              (the files are unlinked after the sample, untimed)
 *   sqlite_st1 one run of SQLite's speedtest1 --size 1 on a fresh
 *              database in dir (fork, exec, wait): its total
 * quick divides the counts by 100 (down to 1) and the 16 MiB by 16.
 * Offsets come from a fixed pseudo-random sequence, the same on both.
 * A line starting "bench: " means an operation failed (bench/run.sh).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../bench_common.h"

#define DB_FILE_BYTES (16u << 20)   /* the big file of f_rread, f_rwrite, f_seqw, f_seqr */
#define DB_CHUNK      65536         /* f_seqw, f_seqr: bytes per call */
#define DB_IO         4096          /* f_rread, f_rwrite, f_create */
#define DB_RREAD_ITERS  2000
#define DB_RWRITE_ITERS 100
#define DB_CREATE_ITERS 100

static long errors;
static const char *dir, *speedtest;
static char big[512];
static int big_fd = -1;
static uint64_t file_bytes = DB_FILE_BYTES;
static uint64_t rnd = 1;
static char buf[DB_CHUNK] __attribute__((aligned(4096)));
static long failed_ops;
static const char *failed_what;

static void fail(const char *what)
{
    failed_ops++;
    failed_what = what;
}

/* A 4 KiB-aligned offset inside the big file (a 64-bit LCG, Knuth's MMIX). */
static off_t next_off(void)
{
    rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
    return (off_t)((rnd >> 33) % (file_bytes / DB_IO)) * DB_IO;
}

/* Report a sample's failures once (a done hook). */
static uint64_t check_done(uint64_t n)
{
    if (failed_ops) {
        printf("bench: %s: %ld of %lu operations failed\n", failed_what, failed_ops, (unsigned long)n);
        errors++;
        failed_ops = 0;
    }
    return 0;
}

static void op_rread(void)
{
    if (pread(big_fd, buf, DB_IO, next_off()) != DB_IO)
        fail("f_rread");
}

static void op_rwrite(void)
{
    if (pwrite(big_fd, buf, DB_IO, next_off()) != DB_IO || fdatasync(big_fd) != 0)
        fail("f_rwrite");
}

/* Before the timed run (not the 0-call one, which leaves the file whole). */
static void seqw_prep(uint64_t n)
{
    if (n && (ftruncate(big_fd, 0) != 0 || fsync(big_fd) != 0))
        fail("f_seqw (truncate)");
}

static void op_seqw(void)
{
    for (uint64_t off = 0; off < file_bytes; off += DB_CHUNK)
        if (pwrite(big_fd, buf, DB_CHUNK, (off_t)off) != DB_CHUNK) {
            fail("f_seqw");
            return;
        }
    if (fsync(big_fd) != 0)
        fail("f_seqw (fsync)");
}

static void op_seqr(void)
{
    for (uint64_t off = 0; off < file_bytes; off += DB_CHUNK)
        if (pread(big_fd, buf, DB_CHUNK, (off_t)off) != DB_CHUNK) {
            fail("f_seqr");
            return;
        }
}

static unsigned created;

static void op_create(void)
{
    char name[600];
    snprintf(name, sizeof name, "%s/small%u", dir, created++);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || write(fd, buf, DB_IO) != DB_IO || fsync(fd) != 0 || close(fd) != 0)
        fail("f_create");
}

static uint64_t create_done(uint64_t n)
{
    char name[600];
    for (unsigned i = 0; i < created; i++) {
        snprintf(name, sizeof name, "%s/small%u", dir, i);
        unlink(name);
    }
    created = 0;
    return check_done(n);
}

/* speedtest1 on a fresh database: the previous one is removed, untimed. */
static char st_db[600];

static void st_prep(uint64_t n)
{
    (void)n;
    unlink(st_db);
}

static void op_speedtest(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        execl(speedtest, "speedtest1", "--size", "1", st_db, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("sqlite_st1");
}

static const struct bench_op ops[] = {
    {"f_rread", op_rread, DB_RREAD_ITERS, 0, NULL, check_done},
    {"f_rwrite", op_rwrite, DB_RWRITE_ITERS, 0, NULL, check_done},
    {"f_seqw", op_seqw, 1, 0, seqw_prep, check_done},
    {"f_seqr", op_seqr, 1, 0, NULL, check_done},
    {"f_create", op_create, DB_CREATE_ITERS, 0, NULL, create_done},
    {"sqlite_st1", op_speedtest, 1, 0, st_prep, check_done},
};

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "veneer") != 0 && strcmp(argv[1], "linux") != 0)) {
        fprintf(stderr, "usage: dbench veneer|linux DIR SPEEDTEST1 [quick]\n");
        return 2;
    }
    dir = argv[2];
    speedtest = argv[3];
    int quick = argc > 4 && strcmp(argv[4], "quick") == 0;
    if (quick)
        file_bytes /= 16;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 131 + 7);
    snprintf(big, sizeof big, "%s/dbench.big", dir);
    snprintf(st_db, sizeof st_db, "%s/speedtest1.db", dir);
    big_fd = open(big, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (big_fd < 0) {
        printf("bench: dbench: cannot create %s\n", big);
        return 1;
    }
    op_seqw();                      /* the big file, before any row reads it */
    if (failed_ops) {
        printf("bench: dbench: cannot write %s\n", big);
        return 1;
    }
    bench_suite = "disk";
    int status = bench_main(argv[1], ops, sizeof(ops) / sizeof(ops[0]), clock_ns, quick);
    close(big_fd);
    unlink(big);
    unlink(st_db);
    return status || errors ? 1 : 0;
}
