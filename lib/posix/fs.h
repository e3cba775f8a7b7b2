/*
 * The POSIX libOS's in-memory file system (a tmpfs), as pure logic.
 *
 * Design: every byte of state lives in a `struct fs` the caller places plus
 * memory from the caller's `struct fs_alloc` (the libOS puts both in a
 * shared arena mapped at the same address in every process, so the raw
 * pointers inside are valid everywhere).  No locking: the caller holds one
 * lock around every call.  No static mutable state, no libc beyond memcpy,
 * memset, memcmp, strlen and strcmp.
 *
 * - Nodes are regular files, directories and symlinks.  A node lives while
 *   it has a name (nlink > 0) or an open reference (fs_node_get/put); the
 *   last of the two to go frees it.  Every node is also on one list in
 *   `struct fs`, so fs_destroy frees everything whatever the references.
 * - File data is a growable array of pointers to 4 KiB blocks; a NULL block
 *   is a hole and reads as zeros (files are sparse).  Bytes of an allocated
 *   block past the size are always zero, so growing a file never exposes
 *   old data.  A file may be *external*: its first ext_len bytes come from
 *   read-only memory owned by someone else (the boot archive).  Copy-on-
 *   write is per block: writing a block copies that block's external bytes
 *   into a fresh block first; shrinking lowers ext_len.  The external
 *   memory is never written or freed.
 * - A directory is a doubly linked list of entries in creation order; each
 *   entry gets a per-directory, increasing cookie.  The getdents cursor is
 *   "the next cookie to return" (0 is ".", 1 is ".."), so entries added or
 *   removed between calls never crash a listing nor repeat a name (a rename
 *   within one directory keeps the entry's cookie).
 * - Errors are negative Linux errno values (FS_E*).  Data allocation
 *   failures are FS_ENOSPC (as tmpfs), metadata ones (nodes, entries,
 *   symlink targets) FS_ENOMEM.
 * - Timestamps are nanoseconds from the optional `now` callback in struct fs
 *   (0 without one).  No permission checks: that is the caller's policy.
 *
 * Lookups return borrowed pointers: a caller that keeps a node past its
 * lock (an open file, a cwd) takes a reference with fs_node_get.
 */
#ifndef VENEER_POSIX_FS_H
#define VENEER_POSIX_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Errors: the Linux numbers; functions return their negation. */
#define FS_EPERM         1
#define FS_ENOENT        2
#define FS_EIO           5
#define FS_EBADF         9
#define FS_ENOMEM       12
#define FS_EACCES       13
#define FS_EBUSY        16
#define FS_EEXIST       17
#define FS_EXDEV        18
#define FS_ENOTDIR      20
#define FS_EISDIR       21
#define FS_EINVAL       22
#define FS_EFBIG        27
#define FS_ENOSPC       28
#define FS_ERANGE       34
#define FS_ENAMETOOLONG 36
#define FS_ENOTEMPTY    39
#define FS_ELOOP        40

#define FS_NAME_MAX      255            /* bytes in one name, without NUL */
#define FS_PATH_MAX      4096           /* bytes in a path, with its NUL */
#define FS_SYMLOOP_MAX   8              /* nested symlink hops per lookup */
#define FS_SYMLINK_TOTAL 40             /* symlinks followed per lookup */
#define FS_BLOCK_SIZE    4096
#define FS_FILE_MAX      (1ull << 40)   /* largest file size */

/* st_mode bits (Linux values). */
#define FS_S_IFMT   0170000
#define FS_S_IFREG  0100000
#define FS_S_IFDIR  0040000
#define FS_S_IFLNK  0120000
#define FS_S_PERM   07777

/* d_type values of linux_dirent64. */
#define FS_DT_DIR   4
#define FS_DT_REG   8
#define FS_DT_LNK   10

#define FS_STAT_SIZE 144                /* sizeof(struct stat) on x86_64 Linux */

/* x86_64 Linux's struct stat, as the program reads it. */
struct l_stat {
    uint64_t dev;
    uint64_t ino;
    uint64_t nlink;
    uint32_t mode;                      /* file type and permission bits */
    uint32_t uid;
    uint32_t gid;
    uint32_t pad0;
    uint64_t rdev;
    uint64_t size;
    uint64_t blksize;
    uint64_t blocks;                    /* 512-byte units */
    uint64_t atime_sec, atime_nsec;
    uint64_t mtime_sec, mtime_nsec;
    uint64_t ctime_sec, ctime_nsec;
    uint64_t reserved[3];
};
_Static_assert(sizeof(struct l_stat) == FS_STAT_SIZE, "struct stat is 144 bytes");
_Static_assert(__builtin_offsetof(struct l_stat, mode) == 24 && __builtin_offsetof(struct l_stat, rdev) == 40 &&
               __builtin_offsetof(struct l_stat, size) == 48 && __builtin_offsetof(struct l_stat, atime_sec) == 72 &&
               __builtin_offsetof(struct l_stat, ctime_nsec) == 112, "struct stat's x86_64 layout");

/* The caller's allocator: alloc returns zeroed memory or NULL; free gets
 * back the size that was asked for. */
struct fs_alloc {
    void *(*alloc)(void *ctx, size_t n);
    void (*free)(void *ctx, void *p, size_t n);
    void *ctx;
};

struct fs_node;

/* One name in a directory. */
struct fs_dirent {
    struct fs_dirent *next, *prev;
    struct fs_node *node;
    uint64_t cookie;                    /* getdents position, >= 2 */
    uint32_t hash;                      /* of the name, to skip strcmp */
    uint16_t len;                       /* strlen(name) */
    char name[];                        /* NUL-terminated */
};

struct fs_node {
    uint64_t ino;                       /* unique, increasing; root is 1 */
    uint32_t mode;                      /* S_IF* type | permission bits */
    uint32_t nlink;                     /* names; dirs: 2 + subdirs; 0 once removed */
    uint32_t uid, gid;                  /* 0; the caller may set them */
    uint32_t refs;                      /* open references (fs_node_get) */
    uint64_t size;                      /* files: bytes; symlinks: strlen(target) */
    uint64_t atime, mtime, ctime;       /* ns */
    struct fs_node *all_next, *all_prev;/* every node of the fs */
    struct fs_node *parent;             /* dirs: the directory holding it
                                           (root: itself; NULL once removed) */
    union {
        struct {
            struct fs_dirent *head, *tail;
            uint64_t next_cookie;
            uint64_t count;             /* entries */
        } dir;
        struct {
            uint8_t **blocks;           /* cap pointers; NULL: hole / external */
            uint64_t cap;
            uint64_t nalloc;            /* allocated blocks */
            const uint8_t *ext;         /* external bytes [0, ext_len), or NULL */
            uint64_t ext_len;
            uint32_t maps;              /* shared mappings of it: its blocks stay while mapped */
        } file;
        struct {
            char *target;               /* size + 1 bytes, NUL-terminated */
        } link;
    } u;
};

struct fs {
    struct fs_alloc alloc;
    struct fs_node *root;
    struct fs_node *all;                /* list of every node */
    uint64_t next_ino;
    uint64_t nodes;                     /* live nodes */
    uint64_t mem_used;                  /* bytes held from the allocator */
    uint64_t (*now)(void *ctx);         /* clock in ns, or NULL (time 0) */
    void *now_ctx;
};

static inline bool fs_is_dir(const struct fs_node *n) { return (n->mode & FS_S_IFMT) == FS_S_IFDIR; }
static inline bool fs_is_reg(const struct fs_node *n) { return (n->mode & FS_S_IFMT) == FS_S_IFREG; }
static inline bool fs_is_lnk(const struct fs_node *n) { return (n->mode & FS_S_IFMT) == FS_S_IFLNK; }

/* Set up an empty file system: a root directory (ino 1, mode 0755) and no
 * clock (set fs->now/now_ctx afterwards).  Errors: FS_ENOMEM. */
int fs_init(struct fs *fs, const struct fs_alloc *a);

/* Free every node and all memory, whatever the open references. */
void fs_destroy(struct fs *fs);

/* Resolve `path` (absolute, or relative to cwd; a NULL cwd is the root).
 * Handles ".", ".." (the root's is the root), repeated and trailing
 * slashes; symlinks are followed in the middle, and at the end only if
 * follow_last or the path ends in a slash.
 * Errors: FS_ENOENT (missing component, empty path, ".." of a removed
 * directory), FS_ENOTDIR (a non-directory followed by more components or a
 * trailing slash), FS_ENAMETOOLONG (a component over FS_NAME_MAX, a path of
 * FS_PATH_MAX or more), FS_ELOOP (over FS_SYMLOOP_MAX nested hops or
 * FS_SYMLINK_TOTAL symlinks in all). */
int fs_lookup(struct fs *fs, struct fs_node *cwd, const char *path, bool follow_last,
              struct fs_node **out);

/* Resolve all but the last component of `path` (following symlinks) to the
 * directory `*dir` that would hold it, and copy the last component to
 * `name`.  Trailing slashes are ignored (the caller checks them if its
 * operation cares: e.g. creat("f/") is EISDIR).  The last component need
 * not exist.
 * Errors: those of fs_lookup for the directory, FS_ENOTDIR if it is not a
 * directory, FS_ENAMETOOLONG for a long last name, and FS_EEXIST when the
 * path is "/" or its last component is "." or ".." -- what Linux returns
 * for mkdir, link, symlink and open(O_CREAT|O_EXCL).  Callers of the other
 * operations map FS_EEXIST with fs_path_last: rmdir gives EBUSY (root),
 * EINVAL (".") or ENOTEMPTY (".."); unlink and open(O_CREAT) EISDIR;
 * rename EBUSY. */
int fs_lookup_parent(struct fs *fs, struct fs_node *cwd, const char *path,
                     struct fs_node **dir, char name[FS_NAME_MAX + 1]);

/* Kind of the last component of a path, as Linux's lookup sees it. */
enum fs_last { FS_LAST_NORM, FS_LAST_ROOT, FS_LAST_DOT, FS_LAST_DOTDOT };
enum fs_last fs_path_last(const char *path);

/* Create a regular file `name` in `dir`, mode S_IFREG | (mode & 07777);
 * *out (if out) is the new node.  Errors: FS_ENOTDIR (dir is not a
 * directory), FS_ENOENT (dir was removed, or empty name), FS_EEXIST (name
 * exists, or is "." or ".."), FS_EINVAL (name has a '/'), FS_ENAMETOOLONG,
 * FS_ENOMEM. */
int fs_create(struct fs *fs, struct fs_node *dir, const char *name, uint32_t mode,
              struct fs_node **out);

/* Create a directory; as fs_create.  dir->nlink grows by one. */
int fs_mkdir(struct fs *fs, struct fs_node *dir, const char *name, uint32_t mode,
             struct fs_node **out);

/* Create a symlink `name` -> `target` (mode 0777); as fs_create, plus
 * FS_ENOENT for an empty target and FS_ENAMETOOLONG for a target of
 * FS_PATH_MAX bytes or more. */
int fs_symlink(struct fs *fs, struct fs_node *dir, const char *name, const char *target);

/* Create a regular file whose `size` bytes are the read-only external
 * memory `data` (never written nor freed; it must outlive the file or the
 * first write to each block).  As fs_create, plus FS_EFBIG. */
int fs_add_external(struct fs *fs, struct fs_node *dir, const char *name, const void *data,
                    uint64_t size, uint32_t mode);

/* Copy up to len bytes of symlink n's target to buf (no NUL); returns the
 * count.  Errors: FS_EINVAL (not a symlink). */
long fs_readlink(const struct fs_node *n, char *buf, size_t len);

/* Remove the name `name` (not a directory) from dir; the node goes when it
 * has no names and no references left.  Errors: FS_ENOTDIR (dir), FS_ENOENT,
 * FS_EISDIR (a directory, or "."/".."), FS_EINVAL, FS_ENAMETOOLONG. */
int fs_unlink(struct fs *fs, struct fs_node *dir, const char *name);

/* Remove the empty directory `name` from dir.  While referenced it stays
 * valid but empty, and nothing can be created in it.  Errors: FS_ENOTDIR (dir, or name is
 * not a directory), FS_ENOENT, FS_ENOTEMPTY (also for ".."), FS_EINVAL
 * ("."), FS_EBUSY (the root, i.e. "." in the root), FS_ENAMETOOLONG. */
int fs_rmdir(struct fs *fs, struct fs_node *dir, const char *name);

/* Add the name `name` in dir for the existing node n (a hard link).
 * Errors: FS_EPERM (n is a directory), FS_ENOENT (n has no name left, or
 * dir was removed), the name errors of fs_create, FS_ENOMEM. */
int fs_link(struct fs *fs, struct fs_node *n, struct fs_node *dir, const char *name);

/* Rename olddir/oldname to newdir/newname.  An existing target is
 * replaced: a non-directory by a non-directory, an empty directory by a
 * directory.  Same node (same name or two hard links): nothing happens.
 * Errors: FS_ENOTDIR (a dir argument, or a directory replacing a
 * non-directory), FS_ENOENT (no oldname; newdir removed), FS_EISDIR (a
 * non-directory replacing a directory), FS_ENOTEMPTY, FS_EINVAL (a directory
 * moved into its own subtree; a '/' in a name), FS_EBUSY ("." or ".."),
 * FS_ENAMETOOLONG, FS_ENOMEM (nothing changed). */
int fs_rename(struct fs *fs, struct fs_node *olddir, const char *oldname,
              struct fs_node *newdir, const char *newname);

/* Read up to len bytes at off; returns the count (0 at or past EOF).  Holes
 * read as zeros.  Errors: FS_EISDIR, FS_EINVAL (a symlink). */
long fs_read(const struct fs_node *n, uint64_t off, void *buf, uint64_t len);

/* The external memory behind the whole block at off (a multiple of
 * FS_BLOCK_SIZE) if that block is still external (never written, not cut
 * by a truncate): a caller may map it read-only instead of copying it.
 * NULL otherwise (or for anything but a regular file). */
const void *fs_external_block(const struct fs_node *n, uint64_t off);

/* Write len bytes at off, growing the file (a gap past EOF reads as
 * zeros); returns the count written.  If memory runs out after some bytes
 * were written, returns that count; before any, FS_ENOSPC.  Errors:
 * FS_EISDIR, FS_EINVAL (a symlink), FS_EFBIG (off at or past FS_FILE_MAX;
 * a write crossing it is cut short). */
long fs_write(struct fs *fs, struct fs_node *n, uint64_t off, const void *buf, uint64_t len);

/* Set the size: shrinking frees blocks, growing adds a hole (zeros).  Needs
 * no memory.  Errors: FS_EISDIR, FS_EINVAL (a symlink), FS_EFBIG. */
/* The block holding byte off of regular file n, made if it was a hole or
 * external bytes, for a shared mapping (n->u.file.maps counts those: while
 * it is not 0 a truncate zeroes blocks instead of freeing them).  NULL if
 * off is at or past the size rounded up to a block, or no memory. */
uint8_t *fs_block_for_map(struct fs *fs, struct fs_node *n, uint64_t off);
int fs_truncate(struct fs *fs, struct fs_node *n, uint64_t size);

/* Fill buf with linux_dirent64 records (".", "..", then the entries in
 * creation order) from the cursor *pos (0 for a new listing), advancing
 * it; returns bytes used, 0 at the end.  Errors: FS_ENOTDIR, FS_EINVAL
 * (buf too small for the next record).  A removed directory lists empty. */
long fs_getdents64(const struct fs_node *dir, uint64_t *pos, void *buf, uint64_t len);

/* Fill an x86_64 Linux struct stat. */
void fs_stat(const struct fs_node *n, struct l_stat *st);

/* Write dir's absolute path (NUL-terminated) to buf; returns its length
 * without the NUL.  Errors: FS_ERANGE (len too small), FS_ENOENT (dir was
 * removed), FS_ENOTDIR. */
long fs_path_of(struct fs *fs, const struct fs_node *dir, char *buf, size_t len);

/* Permission bits (the type stays); updates ctime. */
void fs_chmod(struct fs *fs, struct fs_node *n, uint32_t mode);

/* Set atime and mtime (ns); updates ctime. */
void fs_set_times(struct fs *fs, struct fs_node *n, uint64_t atime, uint64_t mtime);

/* Open references: a node with no name left is freed at its last put. */
void fs_node_get(struct fs_node *n);
void fs_node_put(struct fs *fs, struct fs_node *n);

#endif
