/*
 * The console as a terminal: a line discipline in the libOS, its state in
 * the shared arena.  Received bytes are taken from the kernel (cons_read,
 * which never waits) by whichever process looks first: readers of the tty,
 * and every process sleeping in the libOS, which polls every 10 ms, so
 * ^C reaches a busy foreground job while its shell waits.  Canonical mode
 * edits lines (erase, kill, word erase, ^D for end of file) with echo;
 * ISIG turns ^C, ^\ and ^Z into SIGINT, SIGQUIT and SIGTSTP for the
 * foreground process group; raw mode passes bytes through.  Every
 * description of the tty has the operations of tty_ops (file.h).
 */
#include "posix.h"

#define T_ICRNL 0400
#define T_IGNCR 0200
#define T_ISIG 01
#define T_ICANON 02
#define T_ECHO 010
#define T_ECHOE 020
#define T_ECHOCTL 01000
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSUSP = 10, VWERASE = 14 };

void tty_init(void)
{
    struct tty *t = &shared->tty;
    t->iflag = T_ICRNL;
    t->oflag = 05;                          /* OPOST | ONLCR */
    t->cflag = 0277;                        /* B38400 | CS8 | CREAD */
    t->lflag = T_ISIG | T_ICANON | T_ECHO | T_ECHOE | T_ECHOCTL | 04000 | 0100000;
    const uint8_t cc[19] = {3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0, 0, 0};
    memcpy(t->cc, cc, sizeof(cc));
    t->rows = 24;
    t->cols = 80;
    t->pgrp = t->sid = 1;
}

static void echo(const char *s, size_t n)
{
    if (shared->tty.lflag & T_ECHO)
        vn_cons_write(s, n);
}

static void signal_pgrp(int sig)
{
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &shared->procs[i];
        if ((p->state == P_ALIVE || p->state == P_STOPPED) && p->pgid == shared->tty.pgrp)
            sig_post(p, sig, 0);
    }
}

static void push_ready(const char *s, int n)
{
    struct tty *t = &shared->tty;
    if (n > (int)sizeof(t->ready) - t->ready_len)
        n = (int)sizeof(t->ready) - t->ready_len;
    memcpy(t->ready + t->ready_len, s, (size_t)n);
    t->ready_len += n;
    t->in_seq++;
}

static void erase_one(void)
{
    struct tty *t = &shared->tty;
    if (t->edit_len > 0) {
        char c = t->edit[--t->edit_len];
        echo("\b \b", 3);
        if ((uint8_t)c < 32 && (t->lflag & T_ECHOCTL))
            echo("\b \b", 3);
    }
}

static void input_char(char c)
{
    struct tty *t = &shared->tty;
    if (c == '\r' && (t->iflag & T_IGNCR))
        return;
    if (c == '\r' && (t->iflag & T_ICRNL))
        c = '\n';
    if (t->lflag & T_ISIG) {
        int sig = c == (char)t->cc[VINTR] ? L_SIGINT : c == (char)t->cc[VQUIT] ? 3 : c == (char)t->cc[VSUSP] ? L_SIGTSTP : 0;
        if (sig) {
            char e[4] = {'^', (char)(c + 64), '\n', 0};
            echo(e, 3);
            t->edit_len = 0;
            signal_pgrp(sig);
            return;
        }
    }
    if (!(t->lflag & T_ICANON)) {
        push_ready(&c, 1);
        echo(&c, 1);
        return;
    }
    if (c == (char)t->cc[VERASE] || c == '\b') {
        erase_one();
    } else if (c == (char)t->cc[VKILL]) {
        while (t->edit_len)
            erase_one();
    } else if (c == (char)t->cc[VWERASE]) {
        while (t->edit_len && t->edit[t->edit_len - 1] == ' ')
            erase_one();
        while (t->edit_len && t->edit[t->edit_len - 1] != ' ')
            erase_one();
    } else if (c == (char)t->cc[VEOF]) {
        if (t->edit_len == 0)
            t->eof = 1;
        push_ready(t->edit, t->edit_len);
        t->edit_len = 0;
    } else if (c == '\n') {
        echo("\n", 1);
        t->edit[t->edit_len++] = '\n';
        push_ready(t->edit, t->edit_len);
        t->edit_len = 0;
    } else if (t->edit_len < (int)sizeof(t->edit) - 1) {
        t->edit[t->edit_len++] = c;
        if ((uint8_t)c < 32 && (t->lflag & T_ECHOCTL)) {
            char e[2] = {'^', (char)(c + 64)};
            echo(e, 2);
        } else {
            echo(&c, 1);
        }
    }
}

/* Take what the console received; the lock is held. */
static void poll_locked(void)
{
    char buf[64];
    long n;
    while (shared->tty.ready_len < (int)sizeof(shared->tty.ready) - 64 && (n = vn_cons_read(buf, sizeof(buf))) > 0) {
        for (long i = 0; i < n; i++)
            input_char(buf[i]);
        shm_event();
    }
}

void tty_poll_input(void)
{
    shm_lock();
    poll_locked();
    shm_unlock();
}

static bool tty_readable(void)
{
    poll_locked();
    return shared->tty.ready_len > 0 || shared->tty.eof;
}

static bool ready(void *arg)
{
    (void)arg;
    return tty_readable();
}

static long tty_read(void *buf, uint64_t n, bool nonblock)
{
    struct tty *t = &shared->tty;
    for (;;) {
        if (!nonblock) {
            long r = posix_block(ready, NULL, 0);
            if (r < 0)
                return r;
        }
        shm_lock();
        poll_locked();
        if (t->ready_len == 0 && !t->eof) {
            shm_unlock();
            if (nonblock)
                return -L_EAGAIN;
            continue;
        }
        uint64_t k = 0;
        if (t->ready_len == 0) {
            t->eof = 0;                 /* ^D on an empty line: end of file, once */
        } else {
            while (k < n && k < (uint64_t)t->ready_len) {
                char c = t->ready[k++];
                if (c == '\n' && (t->lflag & T_ICANON))
                    break;
            }
            memcpy(buf, t->ready, k);
            memcpy(t->ready, t->ready + k, (size_t)t->ready_len - k);
            t->ready_len -= (int)k;
        }
        shm_unlock();
        return (long)k;
    }
}

static long tty_write(const void *buf, uint64_t n)
{
    return vn_cons_write(buf, n);
}

static long tty_ioctl(unsigned long req, uint64_t arg)
{
    struct tty *t = &shared->tty;
    long r = 0;
    if (req == 0x5409 || req == 0x540A || req == 0x540B)
        return 0;       /* TCSBRK (tcdrain), TCXONC, TCFLSH: integer arguments; output is never queued */
    uint64_t size = req == 0x5401 || (req >= 0x5402 && req <= 0x5404) ? 36 : req == 0x5413 || req == 0x5414 ? 8 : 4;
    if (req != 0x540E && req != 0x5422 && !mm_user_ok((void *)arg, size, req == 0x5401 || req == 0x540F ||
                                                       req == 0x5413 || req == 0x541B || req == 0x5429))
        return -L_EFAULT;
    shm_lock();
    switch (req) {
    case 0x5401: memcpy((void *)arg, t, 36); break;                      /* TCGETS */
    case 0x5402: case 0x5403: case 0x5404: memcpy(t, (void *)arg, 36); break;   /* TCSETS* */
    case 0x540F: *(int *)arg = t->pgrp; break;                           /* TIOCGPGRP */
    case 0x5410: t->pgrp = *(int *)arg; break;                           /* TIOCSPGRP */
    case 0x5413: ((uint16_t *)arg)[0] = t->rows; ((uint16_t *)arg)[1] = t->cols;    /* TIOCGWINSZ */
        ((uint16_t *)arg)[2] = ((uint16_t *)arg)[3] = 0; break;
    case 0x5414: t->rows = ((uint16_t *)arg)[0]; t->cols = ((uint16_t *)arg)[1]; break;
    case 0x541B: poll_locked(); *(int *)arg = t->ready_len; break;     /* FIONREAD */
    case 0x5429: *(int *)arg = t->sid; break;                            /* TIOCGSID */
    case 0x540E: case 0x5422: break;                                     /* TIOCSCTTY, TIOCNOTTY */
    default: r = -L_EINVAL;
    }
    shm_unlock();
    return r;
}

/* ------------------------------------------------------------ the tty as a kind of file */

static long tty_f_read(struct ofd *o, void *buf, uint64_t n)
{
    return tty_read(buf, n, o->flags & L_O_NONBLOCK);
}

static long tty_f_write(struct ofd *o, const void *buf, uint64_t n)
{
    (void)o;
    return tty_write(buf, n);
}

/* Readable when a line (or a byte in raw mode) or ^D waits; always
 * writable: the console never pushes back. */
static int tty_f_poll(struct ofd *o, uint64_t *seq)
{
    (void)o;
    bool r = tty_readable();
    *seq = shared->tty.in_seq;
    return (r ? PL_IN : 0) | PL_OUT;
}

static long tty_f_ioctl(struct ofd *o, unsigned long req, uint64_t arg)
{
    (void)o;
    return tty_ioctl(req, arg);
}

static void tty_f_stat(struct ofd *o, struct l_stat *st)
{
    (void)o;
    file_stat_synthetic(st, 0x7f000001, 020620, 0x501);
}

const struct file_ops tty_ops = {
    .name = "tty",
    .read = tty_f_read,
    .write = tty_f_write,
    .poll = tty_f_poll,
    .ioctl = tty_f_ioctl,
    .stat = tty_f_stat,
    .write_any_mode = true,
};
