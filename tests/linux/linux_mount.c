/* linux_mount: the /init of the Linux guest of tests/qemu/disk_linux.t
 * (the bench's Debian kernel, ext4 and NVMe built in).  It mounts the
 * NVMe disk that Veneer wrote and then lost power on as ext4 (so Linux
 * replays the journal lib/fs wrote), runs t_fsync_loop's check mode on
 * it, writes /root/from-linux for Veneer to read back, unmounts, and
 * stops QEMU through isa-debug-exit (QEMU exits 1).  The kernel command
 * line's k=N is the last fsync the host saw return; with time=N it times
 * N rounds of t_fsync_loop's create+write+fsync instead (the Linux side
 * of docs/storage.md's numbers, on the same QEMU NVMe). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void quit(void)
{
    /* The console writes out asynchronously: let it drain before QEMU goes. */
    fflush(stdout);
    tcdrain(1);
    usleep(300000);
    if (ioperm(0xf4, 4, 1) == 0)
        outb(0, 0xf4);
    _exit(1);
}

int main(void)
{
    char cmdline[512] = "", k[16] = "0", rounds[16] = "";
    mount("proc", "/proc", "proc", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
        cmdline[n > 0 ? n : 0] = 0;
        close(fd);
    }
    char *p = strstr(cmdline, "k=");
    if (p)
        sscanf(p + 2, "%15[0-9]", k);
    if ((p = strstr(cmdline, "time=")))
        sscanf(p + 5, "%15[0-9]", rounds);
    struct stat st;
    for (int i = 0; i < 100 && stat("/dev/nvme0n1", &st) != 0; i++)
        usleep(100000);
    if (mount("/dev/nvme0n1", "/mnt", "ext4", 0, NULL) != 0) {
        printf("linux: mount of /dev/nvme0n1 failed: errno %d\n", errno);
        quit();
    }
    printf("linux: mounted the disk as ext4\n");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        if (rounds[0])
            execl("/t_fsync_loop", "t_fsync_loop", "/mnt/root/bench", "time", rounds, (char *)NULL);
        else
            execl("/t_fsync_loop", "t_fsync_loop", "/mnt/root/cut", "check", k, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(c, &status, 0);
    printf("linux: check exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    fd = open("/mnt/root/from-linux", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "written by Linux\n", 17) != 17 || fsync(fd) || close(fd))
        printf("linux: cannot write /mnt/root/from-linux: errno %d\n", errno);
    if (umount("/mnt") != 0)
        printf("linux: umount failed: errno %d\n", errno);
    else
        printf("linux: unmounted\n");
    fflush(stdout);
    quit();
}
