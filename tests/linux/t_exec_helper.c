/* t_exec_helper: the program t_fork, t_fd and t_mem execve (or map).
 *
 *   t_exec_helper <code> [args...]  prints its argv and $T_VAR ("# helper ..."
 *                                   lines), exits <code>
 *   t_exec_helper fd <n>            exits 10 if fd n is open, 20 if it is
 *                                   closed (fcntl F_GETFD gives EBADF), 30 else
 *
 * Output goes out with write(2) so it is never lost at exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void out(const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(1, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

int main(int argc, char **argv)
{
    char line[256];

    if (argc >= 3 && strcmp(argv[1], "fd") == 0) {
        int fd = atoi(argv[2]);
        errno = 0;
        if (fcntl(fd, F_GETFD) >= 0)
            return 10;
        return errno == EBADF ? 20 : 30;
    }

    for (int i = 0; i < argc; i++) {
        snprintf(line, sizeof line, "# helper argv[%d]=%s\n", i, argv[i]);
        out(line);
    }
    const char *v = getenv("T_VAR");
    snprintf(line, sizeof line, "# helper T_VAR=%s\n", v ? v : "(unset)");
    out(line);
    return argc >= 2 ? atoi(argv[1]) & 0xff : 0;
}
