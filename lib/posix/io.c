/*
 * Reading and writing descriptors: read, write, pread, pwrite, the vector
 * calls (readv, writev, preadv, pwritev and their v2 forms), lseek and
 * sendfile.  Each checks the descriptor's access mode and the user
 * buffer, then calls through its kind's operations (file.h); it knows no
 * kind.
 */
#include "linux_calls.h"

long sys_read(int fd, void *buf, uint64_t n)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    if ((o->flags & L_O_ACCMODE) == L_O_WRONLY)
        return -L_EBADF;
    if (!mm_user_ok(buf, n, true))
        return -L_EFAULT;
    const struct file_ops *ops = file_ops_of(o);
    return ops->read ? ops->read(o, buf, n) : -L_EINVAL;
}

long sys_write(int fd, const void *buf, uint64_t n)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    if ((o->flags & L_O_ACCMODE) == 0 && !ops->write_any_mode)
        return -L_EBADF;
    if (!mm_user_ok(buf, n, false))
        return -L_EFAULT;
    return ops->write ? ops->write(o, buf, n) : -L_EINVAL;
}

static long sys_pread(int fd, void *buf, uint64_t n, int64_t off, bool wr)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    if (!(wr ? (void *)ops->pwrite : (void *)ops->pread))
        return ops->pread ? -L_EBADF : -L_ESPIPE;
    if ((o->flags & L_O_ACCMODE) == (wr ? 0 : L_O_WRONLY))
        return -L_EBADF;
    if (off < 0)
        return -L_EINVAL;
    if (!mm_user_ok(buf, n, !wr))
        return -L_EFAULT;
    return wr ? ops->pwrite(o, buf, n, (uint64_t)off) : ops->pread(o, buf, n, (uint64_t)off);
}

/* readv/writev at the current position (off -1), preadv/pwritev at off:
 * each vector where the last ended, stopping at a short transfer.
 * Errors as read/pread, EINVAL for the count. */
static long sys_rw_vec(int fd, const uint64_t *iov, int cnt, int64_t off, bool wr)
{
    if (cnt < 0 || cnt > 1024)
        return -L_EINVAL;
    if (!mm_user_ok(iov, (uint64_t)cnt * 16, false))
        return -L_EFAULT;
    long total = 0;
    for (int i = 0; i < cnt; i++) {
        void *buf = (void *)iov[2 * i];
        uint64_t n = iov[2 * i + 1];
        if (n == 0 && off < 0)
            continue;
        long r = off >= 0 ? sys_pread(fd, buf, n, off + total, wr) : wr ? sys_write(fd, buf, n) : sys_read(fd, buf, n);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < n)
            break;
    }
    return total;
}

static long sys_lseek(int fd, int64_t off, int whence)
{
    struct ofd *o = fd_get(fd);
    if (!o)
        return -L_EBADF;
    const struct file_ops *ops = file_ops_of(o);
    return ops->seek ? ops->seek(o, off, whence) : -L_ESPIPE;
}

/* sendfile(out, in, offset, count) from a file that reads at an offset
 * (pread) to any writable file, through a buffer of the libOS.  Other
 * sources: EINVAL (callers fall back to read and write). */
static long sys_sendfile(int out, int in, int64_t *offp, uint64_t count)
{
    struct ofd *i = fd_get(in), *o = fd_get(out);
    if (!i || !o)
        return -L_EBADF;
    const struct file_ops *iops = file_ops_of(i), *oops = file_ops_of(o);
    if ((i->flags & L_O_ACCMODE) == L_O_WRONLY || ((o->flags & L_O_ACCMODE) == 0 && !oops->write_any_mode))
        return -L_EBADF;
    if (!iops->pread || !oops->write || i->kind == OFD_DIR)
        return -L_EINVAL;
    if (offp && !mm_user_ok(offp, 8, true))
        return -L_EFAULT;
    uint64_t pos = offp ? (uint64_t)*offp : i->pos, done = 0;
    char buf[2048];
    while (done < count) {
        uint64_t want = count - done < sizeof(buf) ? count - done : sizeof(buf);
        long r = iops->pread(i, buf, want, pos);
        if (r <= 0)
            break;
        long w = oops->write(o, buf, (uint64_t)r);
        if (w <= 0) {
            if (!done)
                return w;
            break;
        }
        pos += (uint64_t)w;
        done += (uint64_t)w;
        if (w < r)
            break;
    }
    if (offp)
        *offp = (int64_t)pos;
    else
        i->pos = pos;
    return (long)done;
}

long lx_read(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_read((int)a, (void *)b, c);
}

long lx_write(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_write((int)a, (const void *)b, c);
}

long lx_lseek(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_lseek((int)a, (int64_t)b, (int)c);
}

/* fadvise64: advice, no cache to act on */
long lx_fadvise64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return fd_get((int)a) ? 0 : -L_EBADF;
}

long lx_pread64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_pread((int)a, (void *)b, c, (int64_t)d, false);
}

long lx_pwrite64(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_pread((int)a, (void *)b, c, (int64_t)d, true);
}

/* preadv, pwritev, preadv2, pwritev2 */
long lx_preadv(struct vn_xframe *x)
{
    LX_ARGS(x);
    if ((x->rax < 327 && (int64_t)d < 0) || (x->rax >= 327 && (int64_t)d < -1))
        return -L_EINVAL;                           /* only the v2 calls take -1: the current offset */
    if (x->rax >= 327 && (x->r9 & ~0x1ful))         /* RWF_HIPRI..RWF_APPEND: hints here */
        return -95;                                 /* EOPNOTSUPP */
    return sys_rw_vec((int)a, (const uint64_t *)b, (int)c, (int64_t)d, x->rax == 296 || x->rax == 328);
}

long lx_readv(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_rw_vec((int)a, (const uint64_t *)b, (int)c, -1, false);
}

long lx_writev(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_rw_vec((int)a, (const uint64_t *)b, (int)c, -1, true);
}

long lx_sendfile(struct vn_xframe *x)
{
    LX_ARGS(x);
    return sys_sendfile((int)a, (int)b, (int64_t *)c, d);
}
