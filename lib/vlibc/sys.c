/*
 * vlibc's operating-system calls for a native Veneer program that links
 * musl-built libraries.  A native program has no files, processes or
 * threads of the Linux kind, so the calls musl would make into Linux
 * answer what a process without them would see: file calls fail with
 * ENOSYS (writes to descriptors 1 and 2 go to the console), the
 * program is root and alone (no threads: a mutex is free, pthread_create
 * fails), time comes from the kernel's exposed clock (the wall clock at
 * boot plus the TSC), and there is no environment.  libext2fs reaches
 * none of the failing calls through the io_manager lib/fs gives it; they
 * exist because its unused objects (the unix io manager, the mount-point
 * checks) are linked with what is used.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <libveneer.h>
#include <vn.h>
#include <veneer/syscall.h>

static int vl_errno;

int *__errno_location(void)
{
    return &vl_errno;
}

static long enosys(void)
{
    errno = ENOSYS;
    return -1;
}

void abort(void)
{
    fputs("vlibc: abort\n", stderr);
    vn_exit(134);
}

/* Exit handlers never run: native programs end through vn_exit. */
int atexit(void (*fn)(void))
{
    (void)fn;
    return 0;
}

char *getenv(const char *name)
{
    (void)name;
    return NULL;
}

char *secure_getenv(const char *name)
{
    (void)name;
    return NULL;
}

static uint64_t wall_ns(void)
{
    return vn_sysinfo->rtc_boot_sec * 1000000000ull + vn_clock_ns();
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    uint64_t ns = clk == CLOCK_REALTIME ? wall_ns() : vn_clock_ns();
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    uint64_t ns = wall_ns();
    (void)tz;
    if (tv) {
        tv->tv_sec = (time_t)(ns / 1000000000u);
        tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000);
    }
    return 0;
}

time_t time(time_t *t)
{
    time_t s = (time_t)(wall_ns() / 1000000000u);
    if (t)
        *t = s;
    return s;
}

unsigned sleep(unsigned s)
{
    uint64_t until = vn_clock_ns() + s * 1000000000ull;
    while (vn_clock_ns() < until)
        vn_yield();
    return 0;
}

static uint64_t vl_rand = 0x853c49e6748fea9bull;

void srandom(unsigned seed)
{
    vl_rand = seed * 0x9E3779B97F4A7C15ull + 1;
}

long random(void)
{
    vl_rand = vl_rand * 6364136223846793005ull + 1442695040888963407ull;
    return (long)(vl_rand >> 33);
}

uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }

pid_t getpid(void) { return 1; }
uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }
mode_t umask(mode_t m) { (void)m; return 022; }

int gethostname(char *name, size_t n)
{
    if (n < 7) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(name, "veneer", 7);
    return 0;
}

int uname(struct utsname *u)
{
    memset(u, 0, sizeof(*u));
    strcpy(u->sysname, "Veneer");
    strcpy(u->nodename, "veneer");
    strcpy(u->machine, "x86_64");
    return 0;
}

long sysconf(int name)
{
    if (name == _SC_PAGESIZE)
        return 4096;
    errno = EINVAL;
    return -1;
}

/* One thread: a mutex is always free, and no second thread starts. */
int pthread_mutex_init(pthread_mutex_t *restrict m, const pthread_mutexattr_t *restrict a) { (void)m; (void)a; return 0; }
int pthread_mutex_destroy(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_mutex_lock(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_mutex_unlock(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_attr_init(pthread_attr_t *a) { (void)a; return 0; }
int pthread_attr_destroy(pthread_attr_t *a) { (void)a; return 0; }
int pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict a, void *(*fn)(void *), void *restrict arg)
{
    (void)t; (void)a; (void)fn; (void)arg;
    return EAGAIN;
}
int pthread_join(pthread_t t, void **ret) { (void)t; (void)ret; return ESRCH; }

ssize_t write(int fd, const void *buf, size_t n)
{
    if (fd != 1 && fd != 2)
        return enosys();
    size_t done = 0;
    while (done < n) {
        long w = vn_cons_write((const char *)buf + done, n - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

/* No files. */
int open(const char *p, int flags, ...) { (void)p; (void)flags; return (int)enosys(); }
int close(int fd) { (void)fd; return (int)enosys(); }
ssize_t read(int fd, void *b, size_t n) { (void)fd; (void)b; (void)n; return enosys(); }
ssize_t pread(int fd, void *b, size_t n, off_t o) { (void)fd; (void)b; (void)n; (void)o; return enosys(); }
ssize_t pwrite(int fd, const void *b, size_t n, off_t o) { (void)fd; (void)b; (void)n; (void)o; return enosys(); }
off_t lseek(int fd, off_t o, int w) { (void)fd; (void)o; (void)w; return enosys(); }
int fstat(int fd, struct stat *st) { (void)fd; (void)st; return (int)enosys(); }
int stat(const char *restrict p, struct stat *restrict st) { (void)p; (void)st; return (int)enosys(); }
int fsync(int fd) { (void)fd; return (int)enosys(); }
int ftruncate(int fd, off_t n) { (void)fd; (void)n; return (int)enosys(); }
int fallocate(int fd, int m, off_t o, off_t n) { (void)fd; (void)m; (void)o; (void)n; return (int)enosys(); }
int posix_fadvise(int fd, off_t o, off_t n, int a) { (void)fd; (void)o; (void)n; (void)a; return ENOSYS; }
int ioctl(int fd, int req, ...) { (void)fd; (void)req; return (int)enosys(); }
int fcntl(int fd, int cmd, ...) { (void)fd; (void)cmd; return (int)enosys(); }
int unlink(const char *p) { (void)p; return (int)enosys(); }
int isatty(int fd) { (void)fd; errno = ENOTTY; return 0; }
int tcgetattr(int fd, struct termios *t) { (void)fd; (void)t; errno = ENOTTY; return -1; }
int mkstemp(char *t) { (void)t; return (int)enosys(); }
int utime(const char *p, const struct utimbuf *t) { (void)p; (void)t; return (int)enosys(); }
int select(int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e, struct timeval *restrict t)
{
    (void)n; (void)r; (void)w; (void)e; (void)t;
    return (int)enosys();
}
void *mmap(void *a, size_t n, int prot, int fl, int fd, off_t o)
{
    (void)a; (void)n; (void)prot; (void)fl; (void)fd; (void)o;
    errno = ENOSYS;
    return MAP_FAILED;
}
int munmap(void *a, size_t n) { (void)a; (void)n; return (int)enosys(); }
int msync(void *a, size_t n, int f) { (void)a; (void)n; (void)f; return (int)enosys(); }
int prctl(int op, ...) { (void)op; return (int)enosys(); }
int getrlimit(int r, struct rlimit *l) { (void)r; (void)l; return (int)enosys(); }
int setrlimit(int r, const struct rlimit *l) { (void)r; (void)l; return (int)enosys(); }
DIR *opendir(const char *p) { (void)p; errno = ENOSYS; return NULL; }
struct dirent *readdir(DIR *d) { (void)d; return NULL; }
int closedir(DIR *d) { (void)d; return 0; }
FILE *setmntent(const char *p, const char *m) { (void)p; (void)m; errno = ENOSYS; return NULL; }
struct mntent *getmntent(FILE *f) { (void)f; return NULL; }
int endmntent(FILE *f) { (void)f; return 1; }
char *hasmntopt(const struct mntent *m, const char *o) { (void)m; (void)o; return NULL; }

char *strerror(int e)
{
    static char buf[32];
    snprintf(buf, sizeof(buf), "error %d", e);
    return buf;
}
