/*
 * lib/fs's ext4 layer: the namespace (lookup, create, mkdir, symlink,
 * link, unlink, rmdir, rename, readdir, stat, setattr, readlink, statfs).
 *
 * Paths resolve through libext2fs's ext2fs_namei from the root (it follows
 * symlinks in every component but the last).  Directory entries are added
 * with ext2fs_link (a full directory grows by a block and the add is
 * retried) and removed with ext2fs_unlink.  Link counts, ".." and times
 * are kept here.  rename replaces any target inside the same operation,
 * and so inside one transaction: a crash leaves the old or the new state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "extfs_impl.h"

#define NAME_MAX_ 255

/* Splits path into its parent directory's inode and the last name
 * (copied into name).  Errors: -EINVAL (not absolute, or no last name),
 * -ENAMETOOLONG, those of extfs_lookup. */
static int split(struct extfs *fs, const char *path, ext2_ino_t *dir, char name[NAME_MAX_ + 1])
{
    size_t len = strlen(path), end, start;
    char *parent;
    int r;

    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0 || path[0] != '/' || (len == 1))
        return -EINVAL;
    end = len;
    start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (end - start > NAME_MAX_)
        return -ENAMETOOLONG;
    memcpy(name, path + start, end - start);
    name[end - start] = 0;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return -EINVAL;
    parent = malloc(start + 2);
    if (!parent)
        return -ENOMEM;
    memcpy(parent, path, start);
    parent[start] = 0;
    r = extfs_lookup(fs, start ? parent : "/", dir);
    free(parent);
    return r;
}

static int is_dir(struct extfs *fs, ext2_ino_t ino)
{
    return ext2fs_check_directory(fs->efs, ino) == 0;
}

/* Contract in extfs.h. */
int extfs_lookup(struct extfs *fs, const char *path, uint32_t *ino)
{
    ext2_ino_t i;
    size_t run = 0;
    errcode_t e;

    if (!path || path[0] != '/')
        return -EINVAL;
    for (const char *p = path; *p; p++) {
        run = *p == '/' ? 0 : run + 1;
        if (run > NAME_MAX_)
            return -ENAMETOOLONG;
    }
    e = ext2fs_namei(fs->efs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &i);
    if (e)
        return extfs_errno(e);
    *ino = i;
    return 0;
}

/* Adds name -> ino to dir, growing the directory when it is full. */
static int dir_add(struct extfs *fs, ext2_ino_t dir, const char *name, ext2_ino_t ino, int type)
{
    errcode_t e = ext2fs_link(fs->efs, dir, name, ino, type);

    if (e == EXT2_ET_DIR_NO_SPACE) {
        e = ext2fs_expand_dir(fs->efs, dir);
        if (!e)
            e = ext2fs_link(fs->efs, dir, name, ino, type);
    }
    return extfs_errno(e);
}

/* Updates dir's mtime and ctime (and nlink by dlinks). */
static int dir_touch(struct extfs *fs, ext2_ino_t dir, int dlinks)
{
    struct ext2_inode_large in;
    int r = extfs_read_inode(fs, dir, &in);

    if (r)
        return r;
    in.i_links_count = (__u16)(in.i_links_count + dlinks);
    extfs_set_times(&in, EXTFS_T_CTIME | EXTFS_T_MTIME, extfs_now(fs));
    return extfs_write_inode(fs, dir, &in);
}

static int exists(struct extfs *fs, ext2_ino_t dir, const char *name, ext2_ino_t *ino)
{
    ext2_ino_t i;
    errcode_t e = ext2fs_lookup(fs->efs, dir, name, (int)strlen(name), NULL, &i);

    if (e == EXT2_ET_FILE_NOT_FOUND)
        return 0;
    if (e)
        return extfs_errno(e);
    if (ino)
        *ino = i;
    return 1;
}

/* Contract in extfs.h. */
int extfs_create(struct extfs *fs, const char *path, uint32_t mode, uint32_t *out)
{
    char name[NAME_MAX_ + 1];
    ext2_ino_t dir, ino;
    struct ext2_inode_large in;
    ext2_extent_handle_t h;
    errcode_t e;
    int r = extfs_op_begin(fs);

    if (!r)
        r = split(fs, path, &dir, name);
    if (r)
        return r;
    if (!is_dir(fs, dir))
        return -ENOTDIR;
    if ((r = exists(fs, dir, name, NULL)))
        return r < 0 ? r : -EEXIST;
    e = ext2fs_new_inode(fs->efs, dir, LINUX_S_IFREG | 0600, NULL, &ino);
    if (e)
        return extfs_errno(e);
    memset(&in, 0, sizeof(in));
    in.i_mode = (__u16)(LINUX_S_IFREG | (mode & 07777));
    in.i_links_count = 1;
    in.i_extra_isize = sizeof(in) - EXT2_GOOD_OLD_INODE_SIZE;
    extfs_set_times(&in, EXTFS_T_CTIME | EXTFS_T_MTIME | EXTFS_T_ATIME, extfs_now(fs));
    in.i_crtime = in.i_ctime;
    in.i_crtime_extra = in.i_ctime_extra;
    ext2fs_inode_alloc_stats2(fs->efs, ino, +1, 0);
    e = ext2fs_write_new_inode(fs->efs, ino, (struct ext2_inode *)&in);
    if (!e)
        e = ext2fs_write_inode_full(fs->efs, ino, (struct ext2_inode *)&in, sizeof(in));
    if (!e && ext2fs_has_feature_extents(fs->efs->super)) {
        /* An extent handle on an empty inode writes the extent header. */
        e = ext2fs_extent_open2(fs->efs, ino, (struct ext2_inode *)&in, &h);
        if (!e) {
            ext2fs_extent_free(h);
            e = ext2fs_write_inode_full(fs->efs, ino, (struct ext2_inode *)&in, sizeof(in));
        }
    }
    if (e) {
        ext2fs_inode_alloc_stats2(fs->efs, ino, -1, 0);
        return extfs_errno(e);
    }
    r = dir_add(fs, dir, name, ino, EXT2_FT_REG_FILE);
    if (r) {
        in.i_links_count = 0;
        extfs_free_inode(fs, ino, &in);
        return r;
    }
    r = dir_touch(fs, dir, 0);
    if (!r && out)
        *out = ino;
    return r;
}

/* Sets mode bits and times of a freshly made inode. */
static int finish_new(struct extfs *fs, ext2_ino_t ino, uint32_t mode, int set_mode)
{
    struct ext2_inode_large in;
    int r = extfs_read_inode(fs, ino, &in);

    if (r)
        return r;
    if (set_mode)
        in.i_mode = (__u16)((in.i_mode & LINUX_S_IFMT) | (mode & 07777));
    extfs_set_times(&in, EXTFS_T_CTIME | EXTFS_T_MTIME | EXTFS_T_ATIME, extfs_now(fs));
    return extfs_write_inode(fs, ino, &in);
}

int extfs_mkdir(struct extfs *fs, const char *path, uint32_t mode)
{
    char name[NAME_MAX_ + 1];
    ext2_ino_t dir, ino;
    errcode_t e;
    int r = extfs_op_begin(fs);

    if (!r)
        r = split(fs, path, &dir, name);
    if (r)
        return r;
    if (!is_dir(fs, dir))
        return -ENOTDIR;
    if ((r = exists(fs, dir, name, NULL)))
        return r < 0 ? r : -EEXIST;
    e = ext2fs_new_inode(fs->efs, dir, LINUX_S_IFDIR | 0755, NULL, &ino);
    if (!e) {
        e = ext2fs_mkdir(fs->efs, dir, ino, name);
        if (e == EXT2_ET_DIR_NO_SPACE && !(e = ext2fs_expand_dir(fs->efs, dir)))
            e = ext2fs_mkdir(fs->efs, dir, ino, name);
    }
    if (e)
        return extfs_errno(e);
    r = finish_new(fs, ino, mode, 1);
    return r ? r : dir_touch(fs, dir, 0);
}

int extfs_symlink(struct extfs *fs, const char *target, const char *path)
{
    char name[NAME_MAX_ + 1];
    ext2_ino_t dir, ino;
    errcode_t e;
    int r = extfs_op_begin(fs);

    if (!r)
        r = split(fs, path, &dir, name);
    if (r)
        return r;
    if (!target[0] || strlen(target) >= fs->efs->blocksize)
        return strlen(target) ? -ENAMETOOLONG : -ENOENT;
    if (!is_dir(fs, dir))
        return -ENOTDIR;
    if ((r = exists(fs, dir, name, NULL)))
        return r < 0 ? r : -EEXIST;
    e = ext2fs_new_inode(fs->efs, dir, LINUX_S_IFLNK | 0777, NULL, &ino);
    if (!e) {
        e = ext2fs_symlink(fs->efs, dir, ino, name, target);
        if (e == EXT2_ET_DIR_NO_SPACE && !(e = ext2fs_expand_dir(fs->efs, dir)))
            e = ext2fs_symlink(fs->efs, dir, ino, name, target);
    }
    if (e)
        return extfs_errno(e);
    r = finish_new(fs, ino, 0, 0);
    return r ? r : dir_touch(fs, dir, 0);
}

int extfs_link(struct extfs *fs, const char *oldpath, const char *newpath)
{
    char name[NAME_MAX_ + 1];
    ext2_ino_t dir;
    uint32_t ino;
    struct ext2_inode_large in;
    int r = extfs_op_begin(fs);

    if (!r)
        r = extfs_lookup(fs, oldpath, &ino);
    if (!r)
        r = split(fs, newpath, &dir, name);
    if (!r)
        r = extfs_read_inode(fs, ino, &in);
    if (r)
        return r;
    if (LINUX_S_ISDIR(in.i_mode))
        return -EPERM;
    if (in.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    if (!is_dir(fs, dir))
        return -ENOTDIR;
    if ((r = exists(fs, dir, name, NULL)))
        return r < 0 ? r : -EEXIST;
    r = dir_add(fs, dir, name, ino, extfs_ft(in.i_mode));
    if (r)
        return r;
    in.i_links_count++;
    extfs_set_times(&in, EXTFS_T_CTIME, extfs_now(fs));
    r = extfs_write_inode(fs, ino, &in);
    return r ? r : dir_touch(fs, dir, 0);
}

/* Contract in extfs_impl.h. */
int extfs_free_inode(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
    int dir = LINUX_S_ISDIR(in->i_mode);
    errcode_t e = 0;

    if (ext2fs_inode_has_valid_blocks2(fs->efs, (struct ext2_inode *)in))
        e = ext2fs_punch(fs->efs, ino, (struct ext2_inode *)in, NULL, 0, ~0ULL);
    if (e)
        return extfs_errno(e);
    in->i_links_count = 0;
    in->i_size = 0;
    in->i_size_high = 0;
    in->i_dtime = (__u32)(extfs_now(fs) / 1000000000);
    e = ext2fs_write_inode_full(fs->efs, ino, (struct ext2_inode *)in, sizeof(*in));
    if (e)
        return extfs_errno(e);
    ext2fs_inode_alloc_stats2(fs->efs, ino, -1, dir);
    return 0;
}

/* Drops one name of ino (whose inode is in): frees it with its last name
 * (a directory has two: its entry and its own "."), unless it is a
 * non-directory the caller still has open (opts.in_use): then it goes on
 * the superblock's orphan list (linked through i_dtime, as ext4 does), in
 * the same transaction, until extfs_release. */
static int drop_name(struct extfs *fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
    if (LINUX_S_ISDIR(in->i_mode))
        in->i_links_count = 0;
    else if (in->i_links_count)
        in->i_links_count--;
    extfs_set_times(in, EXTFS_T_CTIME, extfs_now(fs));
    if (in->i_links_count == 0 && !LINUX_S_ISDIR(in->i_mode) && extfs_is_open(fs, ino)) {
        in->i_dtime = fs->efs->super->s_last_orphan;
        fs->efs->super->s_last_orphan = ino;
        ext2fs_mark_super_dirty(fs->efs);
        fs->orphans++;
        return extfs_write_inode(fs, ino, in);
    }
    if (in->i_links_count == 0)
        return extfs_free_inode(fs, ino, in);
    return extfs_write_inode(fs, ino, in);
}

/* Contract in extfs.h. */
int extfs_release(struct extfs *fs, uint32_t ino)
{
    struct ext2_inode_large in, prev;
    ext2_ino_t p;
    uint32_t steps = 0;
    int r = extfs_op_begin(fs);

    if (!r)
        r = extfs_read_inode(fs, ino, &in);
    if (r || in.i_links_count != 0 || in.i_mode == 0)
        return r;
    /* Unlink it from the orphan chain (short: the files open and gone). */
    if (fs->efs->super->s_last_orphan == ino) {
        fs->efs->super->s_last_orphan = in.i_dtime;
        ext2fs_mark_super_dirty(fs->efs);
    } else {
        for (p = fs->efs->super->s_last_orphan; p; p = prev.i_dtime) {
            if (++steps > fs->efs->super->s_inodes_count || (r = extfs_read_inode(fs, p, &prev)))
                return r ? r : -EIO;
            if (prev.i_dtime == ino) {
                prev.i_dtime = in.i_dtime;
                if ((r = extfs_write_inode(fs, p, &prev)))
                    return r;
                break;
            }
        }
        if (!p)
            return -ENOENT;             /* not an orphan: freed already */
    }
    if (fs->orphans)
        fs->orphans--;
    return extfs_free_inode(fs, ino, &in);
}

/* Contract in extfs_impl.h. */
int extfs_free_orphans(struct extfs *fs)
{
    struct ext2_inode_large in;
    uint32_t steps = 0, n = 0;
    int r = 0;

    while (fs->efs->super->s_last_orphan && !r) {
        ext2_ino_t ino = fs->efs->super->s_last_orphan;
        if (++steps > fs->efs->super->s_inodes_count || (r = extfs_read_inode(fs, ino, &in)))
            return r ? r : -EIO;
        fs->efs->super->s_last_orphan = in.i_dtime;
        ext2fs_mark_super_dirty(fs->efs);
        if (in.i_links_count == 0 && in.i_mode) {
            r = extfs_free_inode(fs, ino, &in);
            n++;
        } else {
            in.i_dtime = 0;
            r = extfs_write_inode(fs, ino, &in);
        }
    }
    fs->orphans_freed += n;
    return r;
}

static int dir_empty_cb(struct ext2_dir_entry *de, int offset, int blocksize, char *buf, void *priv)
{
    int len = ext2fs_dirent_name_len(de);

    (void)offset; (void)blocksize; (void)buf;
    if (de->inode && !(len == 1 && de->name[0] == '.') &&
        !(len == 2 && de->name[0] == '.' && de->name[1] == '.')) {
        *(int *)priv = 0;
        return DIRENT_ABORT;
    }
    return 0;
}

static int dir_is_empty(struct extfs *fs, ext2_ino_t dir)
{
    int empty = 1;
    errcode_t e = ext2fs_dir_iterate(fs->efs, dir, 0, NULL, dir_empty_cb, &empty);

    return e ? extfs_errno(e) : empty;
}

int extfs_unlink(struct extfs *fs, const char *path)
{
    char name[NAME_MAX_ + 1];
    ext2_ino_t dir, ino = 0;
    struct ext2_inode_large in;
    int r = extfs_op_begin(fs);

    if (!r)
        r = split(fs, path, &dir, name);
    if (r)
        return r;
    if ((r = exists(fs, dir, name, &ino)) <= 0)
        return r ? r : -ENOENT;
    if ((r = extfs_read_inode(fs, ino, &in)))
        return r;
    if (LINUX_S_ISDIR(in.i_mode))
        return -EISDIR;
    r = extfs_errno(ext2fs_unlink(fs->efs, dir, name, ino, 0));
    if (!r)
        r = drop_name(fs, ino, &in);
    return r ? r : dir_touch(fs, dir, 0);
}

int extfs_rmdir(struct extfs *fs, const char *path)
{
    char name[NAME_MAX_ + 1];
    ext2_ino_t dir, ino = 0;
    struct ext2_inode_large in;
    int r = extfs_op_begin(fs);

    if (!r && !strcmp(path, "/"))
        return -EBUSY;
    if (!r)
        r = split(fs, path, &dir, name);
    if (r)
        return r;
    if ((r = exists(fs, dir, name, &ino)) <= 0)
        return r ? r : -ENOENT;
    if ((r = extfs_read_inode(fs, ino, &in)))
        return r;
    if (!LINUX_S_ISDIR(in.i_mode))
        return -ENOTDIR;
    if ((r = dir_is_empty(fs, ino)) <= 0)
        return r ? r : -ENOTEMPTY;
    r = extfs_errno(ext2fs_unlink(fs->efs, dir, name, ino, 0));
    if (!r)
        r = drop_name(fs, ino, &in);
    return r ? r : dir_touch(fs, dir, -1);
}

/* Whether directory anc is dir or one of its ancestors. */
static int is_ancestor(struct extfs *fs, ext2_ino_t anc, ext2_ino_t dir)
{
    for (int hops = 0; hops < 4096; hops++) {
        ext2_ino_t up;
        if (dir == anc)
            return 1;
        if (dir == EXT2_ROOT_INO)
            return 0;
        if (ext2fs_lookup(fs->efs, dir, "..", 2, NULL, &up))
            return -EIO;
        dir = up;
    }
    return -ELOOP;
}

static int dotdot_cb(struct ext2_dir_entry *de, int offset, int blocksize, char *buf, void *priv)
{
    (void)offset; (void)blocksize; (void)buf;
    if (ext2fs_dirent_name_len(de) == 2 && de->name[0] == '.' && de->name[1] == '.') {
        de->inode = *(ext2_ino_t *)priv;
        return DIRENT_CHANGED | DIRENT_ABORT;
    }
    return 0;
}

/* Points directory dir's ".." entry (in place: fsck wants it second) at
 * parent. */
static int set_dotdot(struct extfs *fs, ext2_ino_t dir, ext2_ino_t parent)
{
    return extfs_errno(ext2fs_dir_iterate(fs->efs, dir, DIRENT_FLAG_INCLUDE_EMPTY, NULL,
                                          dotdot_cb, &parent));
}

/* Contract in extfs.h. */
int extfs_rename(struct extfs *fs, const char *oldpath, const char *newpath)
{
    char oname[NAME_MAX_ + 1], nname[NAME_MAX_ + 1];
    ext2_ino_t odir, ndir, ino = 0, victim = 0;
    struct ext2_inode_large in, vin;
    int r = extfs_op_begin(fs), isdir;

    if (!r)
        r = split(fs, oldpath, &odir, oname);
    if (!r)
        r = split(fs, newpath, &ndir, nname);
    if (r)
        return r;
    if (!is_dir(fs, ndir))
        return -ENOTDIR;
    if ((r = exists(fs, odir, oname, &ino)) <= 0)
        return r ? r : -ENOENT;
    if ((r = extfs_read_inode(fs, ino, &in)))
        return r;
    isdir = LINUX_S_ISDIR(in.i_mode);
    if (isdir && (r = is_ancestor(fs, ino, ndir)))
        return r < 0 ? r : -EINVAL;
    if ((r = exists(fs, ndir, nname, &victim)) < 0)
        return r;
    if (r && victim == ino)
        return 0;                               /* two names of one file */
    if (r) {
        if ((r = extfs_read_inode(fs, victim, &vin)))
            return r;
        if (LINUX_S_ISDIR(vin.i_mode) != isdir)
            return isdir ? -ENOTDIR : -EISDIR;
        if (isdir && (r = dir_is_empty(fs, victim)) <= 0)
            return r ? r : -ENOTEMPTY;
        /* The replacement: the new name points at ino, the victim loses it. */
        r = extfs_errno(ext2fs_unlink(fs->efs, ndir, nname, victim, 0));
        if (!r)
            r = dir_add(fs, ndir, nname, ino, extfs_ft(in.i_mode));
        if (!r)
            r = drop_name(fs, victim, &vin);
        if (!r && isdir)
            r = dir_touch(fs, ndir, -1);        /* the victim's ".." */
    } else {
        r = dir_add(fs, ndir, nname, ino, extfs_ft(in.i_mode));
    }
    if (!r)
        r = extfs_errno(ext2fs_unlink(fs->efs, odir, oname, ino, 0));
    if (!r && isdir && odir != ndir) {
        /* ".." moves from the old parent to the new one. */
        r = set_dotdot(fs, ino, ndir);
        if (!r)
            r = dir_touch(fs, odir, -1);
        if (!r)
            r = dir_touch(fs, ndir, +1);
    } else if (!r) {
        r = dir_touch(fs, odir, 0);
        if (!r && ndir != odir)
            r = dir_touch(fs, ndir, 0);
    }
    if (!r && (r = extfs_read_inode(fs, ino, &in)) == 0) {
        extfs_set_times(&in, EXTFS_T_CTIME, extfs_now(fs));
        r = extfs_write_inode(fs, ino, &in);
    }
    return r;
}

struct rd_ctx {
    int (*fn)(void *arg, const char *name, size_t len, uint32_t ino, int type);
    void *arg;
    int ret;
};

static int readdir_cb(struct ext2_dir_entry *de, int offset, int blocksize, char *buf, void *priv)
{
    static const int dt[] = { 0, 8, 4, 2, 6, 1, 12, 10 };     /* EXT2_FT_* -> DT_* */
    struct rd_ctx *c = priv;
    int len = ext2fs_dirent_name_len(de), ft = ext2fs_dirent_file_type(de);

    (void)offset; (void)blocksize; (void)buf;
    if (!de->inode || (len == 1 && de->name[0] == '.') ||
        (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
        return 0;
    c->ret = c->fn(c->arg, de->name, (size_t)len, de->inode, ft < 8 ? dt[ft] : 0);
    return c->ret ? DIRENT_ABORT : 0;
}

int extfs_readdir(struct extfs *fs, uint32_t ino,
                  int (*fn)(void *arg, const char *name, size_t len, uint32_t ino, int type),
                  void *arg)
{
    struct rd_ctx c = { fn, arg, 0 };
    errcode_t e;

    if (ino < 1 || ino > fs->efs->super->s_inodes_count ||
        (ino != EXT2_ROOT_INO && ino < EXT2_FIRST_INO(fs->efs->super)))
        return -ENOENT;
    if (!is_dir(fs, ino))
        return -ENOTDIR;
    e = ext2fs_dir_iterate(fs->efs, ino, 0, NULL, readdir_cb, &c);
    return e ? extfs_errno(e) : c.ret;
}

int extfs_stat(struct extfs *fs, uint32_t ino, struct extfs_stat *st)
{
    struct ext2_inode_large in;
    int r = extfs_read_inode(fs, ino, &in);

    if (r)
        return r;
    if (in.i_links_count == 0 && ino != EXT2_ROOT_INO)
        return -ENOENT;
    memset(st, 0, sizeof(*st));
    st->ino = ino;
    st->mode = in.i_mode;
    st->nlink = in.i_links_count;
    st->uid = inode_uid(in);
    st->gid = inode_gid(in);
    st->size = EXT2_I_SIZE(&in);
    st->blocks = ext2fs_get_stat_i_blocks(fs->efs, (struct ext2_inode *)&in);
    st->atime_ns = extfs_get_time(&in, EXTFS_T_ATIME);
    st->mtime_ns = extfs_get_time(&in, EXTFS_T_MTIME);
    st->ctime_ns = extfs_get_time(&in, EXTFS_T_CTIME);
    return 0;
}

int extfs_setattr(struct extfs *fs, uint32_t ino, unsigned mask, const struct extfs_stat *st)
{
    struct ext2_inode_large in;
    int r = extfs_op_begin(fs);

    if (!r)
        r = extfs_read_inode(fs, ino, &in);
    if (r)
        return r;
    if (mask & ~(unsigned)(EXTFS_SET_MODE | EXTFS_SET_UID | EXTFS_SET_GID | EXTFS_SET_ATIME | EXTFS_SET_MTIME))
        return -EINVAL;
    if (mask & EXTFS_SET_MODE)
        in.i_mode = (__u16)((in.i_mode & LINUX_S_IFMT) | (st->mode & 07777));
    if (mask & EXTFS_SET_UID) {
        in.i_uid = (__u16)st->uid;
        ext2fs_set_i_uid_high(in, st->uid >> 16);
    }
    if (mask & EXTFS_SET_GID) {
        in.i_gid = (__u16)st->gid;
        ext2fs_set_i_gid_high(in, st->gid >> 16);
    }
    if (mask & EXTFS_SET_ATIME)
        extfs_set_times(&in, EXTFS_T_ATIME, st->atime_ns);
    if (mask & EXTFS_SET_MTIME)
        extfs_set_times(&in, EXTFS_T_MTIME, st->mtime_ns);
    extfs_set_times(&in, EXTFS_T_CTIME, extfs_now(fs));
    return extfs_write_inode(fs, ino, &in);
}

int extfs_readlink(struct extfs *fs, uint32_t ino, char *buf, size_t size)
{
    struct ext2_inode_large in;
    uint64_t len;
    int r = extfs_read_inode(fs, ino, &in);

    if (r)
        return r;
    if (!LINUX_S_ISLNK(in.i_mode))
        return -EINVAL;
    len = EXT2_I_SIZE(&in);
    if (len >= fs->efs->blocksize)
        return -EIO;
    if (len > size)
        return -ERANGE;
    if (ext2fs_is_fast_symlink((struct ext2_inode *)&in)) {
        memcpy(buf, in.i_block, len);
    } else {
        int64_t n = extfs_read(fs, ino, 0, buf, len);
        if (n < 0)
            return (int)n;
        if ((uint64_t)n != len)
            return -EIO;
    }
    if (len < size)
        buf[len] = 0;
    return (int)len;
}

int extfs_statfs(struct extfs *fs, struct extfs_statfs *st)
{
    struct ext2_super_block *sb = fs->efs->super;
    uint64_t free = ext2fs_free_blocks_count(sb), resv = ext2fs_r_blocks_count(sb);

    memset(st, 0, sizeof(*st));
    st->block_size = fs->efs->blocksize;
    st->blocks = ext2fs_blocks_count(sb);
    st->blocks_free = free;
    st->blocks_avail = free > resv ? free - resv : 0;
    st->files = sb->s_inodes_count;
    st->files_free = sb->s_free_inodes_count;
    st->name_max = NAME_MAX_;
    return 0;
}
