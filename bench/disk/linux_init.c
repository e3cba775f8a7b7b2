/* The /init of the Linux peer's disk suite (bench/run.sh, suite disk):
 * the bench's Debian kernel (ext4 and NVMe built in) mounts the fresh
 * ext4 image on /dev/nvme0n1 on /mnt, runs the same dbench binary as
 * Veneer's POSIX libOS does (bench/disk/dbench.c) in /mnt/root with
 * /speedtest1, unmounts and stops QEMU through isa-debug-exit (QEMU
 * exits 1).  quick=1 on the kernel command line: dbench's quick counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void quit(void)
{
    fflush(stdout);
    tcdrain(1);
    usleep(300000);             /* the console writes out asynchronously */
    if (ioperm(0xf4, 4, 1) == 0)
        outb(0, 0xf4);
    _exit(1);
}

int main(void)
{
    char cmdline[512] = "";
    mount("proc", "/proc", "proc", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
        cmdline[n > 0 ? n : 0] = 0;
        close(fd);
    }
    int quick = strstr(cmdline, "quick=1") != NULL;
    struct stat st;
    for (int i = 0; i < 100 && stat("/dev/nvme0n1", &st) != 0; i++)
        usleep(100000);         /* the NVMe probe is asynchronous */
    if (mount("/dev/nvme0n1", "/mnt", "ext4", 0, NULL) != 0) {
        printf("bench: linux: mount of /dev/nvme0n1 failed: errno %d\n", errno);
        quit();
    }
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl("/dbench", "dbench", "linux", "/mnt/root", "/speedtest1", quick ? "quick" : (char *)NULL,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(c, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("bench: linux: dbench exit status %#x\n", status);
    if (umount("/mnt") != 0)
        printf("bench: linux: umount failed: errno %d\n", errno);
    quit();
}
