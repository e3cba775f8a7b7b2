/*
 * The POSIX libOS's in-memory file system; see fs.h for the model.
 *
 * Implementation notes:
 * - All memory goes through fs_mem/fs_unmem, which count fs->mem_used;
 *   every free passes back the size that was allocated (nodes, entries of
 *   sizeof + len + 1, symlink targets of size + 1, block arrays of cap
 *   pointers, FS_BLOCK_SIZE blocks).
 * - Path resolution recurses only into symlink targets, at most
 *   FS_SYMLOOP_MAX deep, with FS_SYMLINK_TOTAL hops in all, so stack use
 *   and work are bounded.
 * - Invariants: for files, ext_len <= size, and every byte of an allocated
 *   block at or past size is zero; a directory's entries have increasing
 *   cookies from head to tail; a linked directory has nlink = 2 + its
 *   subdirectories, a removed one nlink 0, no entries and no parent.
 */
#include "fs.h"

/* libc subset the libOS provides */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* ------------------------------------------------------------ memory */

static void *fs_mem(struct fs *fs, size_t n)
{
    void *p = fs->alloc.alloc(fs->alloc.ctx, n);
    if (p)
        fs->mem_used += n;
    return p;
}

static void fs_unmem(struct fs *fs, void *p, size_t n)
{
    if (!p)
        return;
    fs->mem_used -= n;
    fs->alloc.free(fs->alloc.ctx, p, n);
}

static uint64_t fs_time(struct fs *fs)
{
    return fs->now ? fs->now(fs->now_ctx) : 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* ------------------------------------------------------------ nodes */

/* A fresh node of `mode` on the all-nodes list, nlink 0; NULL if out of
 * memory. */
static struct fs_node *node_new(struct fs *fs, uint32_t mode)
{
    struct fs_node *n = fs_mem(fs, sizeof *n);
    if (!n)
        return NULL;
    n->ino = fs->next_ino++;
    n->mode = mode;
    n->atime = n->mtime = n->ctime = fs_time(fs);
    n->all_next = fs->all;
    if (fs->all)
        fs->all->all_prev = n;
    fs->all = n;
    fs->nodes++;
    return n;
}

static void file_free_blocks(struct fs *fs, struct fs_node *n, uint64_t from)
{
    for (uint64_t i = from; i < n->u.file.cap; i++)
        if (n->u.file.blocks[i]) {
            fs_unmem(fs, n->u.file.blocks[i], FS_BLOCK_SIZE);
            n->u.file.blocks[i] = NULL;
            n->u.file.nalloc--;
        }
}

/* Free n and everything it owns (a directory's entries, not their nodes). */
static void node_free(struct fs *fs, struct fs_node *n)
{
    if (fs_is_reg(n)) {
        file_free_blocks(fs, n, 0);
        fs_unmem(fs, n->u.file.blocks, n->u.file.cap * sizeof(uint8_t *));
    } else if (fs_is_lnk(n)) {
        fs_unmem(fs, n->u.link.target, n->size + 1);
    } else if (fs_is_dir(n)) {
        struct fs_dirent *e = n->u.dir.head;
        while (e) {
            struct fs_dirent *next = e->next;
            fs_unmem(fs, e, sizeof *e + e->len + 1);
            e = next;
        }
    }
    if (n->all_prev)
        n->all_prev->all_next = n->all_next;
    else
        fs->all = n->all_next;
    if (n->all_next)
        n->all_next->all_prev = n->all_prev;
    fs->nodes--;
    fs_unmem(fs, n, sizeof *n);
}

static void node_maybe_free(struct fs *fs, struct fs_node *n)
{
    if (n->nlink == 0 && n->refs == 0)
        node_free(fs, n);
}

void fs_node_get(struct fs_node *n)
{
    n->refs++;
}

void fs_node_put(struct fs *fs, struct fs_node *n)
{
    if (n->refs > 0)
        n->refs--;
    node_maybe_free(fs, n);
}

/* ------------------------------------------------------------ directories */

static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;                   /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static struct fs_dirent *dir_find(const struct fs_node *d, const char *name, size_t len)
{
    uint32_t h = name_hash(name, len);
    for (struct fs_dirent *e = d->u.dir.head; e; e = e->next)
        if (e->hash == h && e->len == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}

static struct fs_dirent *dirent_new(struct fs *fs, const char *name, size_t len, struct fs_node *n)
{
    struct fs_dirent *e = fs_mem(fs, sizeof *e + len + 1);
    if (!e)
        return NULL;
    e->node = n;
    e->hash = name_hash(name, len);
    e->len = (uint16_t)len;
    memcpy(e->name, name, len);
    e->name[len] = 0;
    return e;
}

static void dirent_free(struct fs *fs, struct fs_dirent *e)
{
    fs_unmem(fs, e, sizeof *e + e->len + 1);
}

/* Append e to d with the next cookie. */
static void dir_append(struct fs_node *d, struct fs_dirent *e)
{
    e->cookie = d->u.dir.next_cookie++;
    e->next = NULL;
    e->prev = d->u.dir.tail;
    if (d->u.dir.tail)
        d->u.dir.tail->next = e;
    else
        d->u.dir.head = e;
    d->u.dir.tail = e;
    d->u.dir.count++;
}

static void dir_remove(struct fs_node *d, struct fs_dirent *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        d->u.dir.head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        d->u.dir.tail = e->prev;
    d->u.dir.count--;
}

/* Put e in old's place in d, with old's cookie; old is unlinked. */
static void dir_replace(struct fs_node *d, struct fs_dirent *old, struct fs_dirent *e)
{
    e->cookie = old->cookie;
    e->prev = old->prev;
    e->next = old->next;
    if (e->prev)
        e->prev->next = e;
    else
        d->u.dir.head = e;
    if (e->next)
        e->next->prev = e;
    else
        d->u.dir.tail = e;
}

static void dir_touch(struct fs *fs, struct fs_node *d)
{
    d->mtime = d->ctime = fs_time(fs);
}

/* The entry naming directory n in its parent (NULL for the root or a
 * removed directory). */
static const struct fs_dirent *dir_entry_of(const struct fs *fs, const struct fs_node *n)
{
    if (n == fs->root || !n->parent)
        return NULL;
    for (const struct fs_dirent *e = n->parent->u.dir.head; e; e = e->next)
        if (e->node == n)
            return e;
    return NULL;
}

/* Check a single name: 0 and its length, or FS_ENOENT (empty),
 * FS_ENAMETOOLONG, FS_EINVAL (a '/'). */
static int name_check(const char *name, size_t *len)
{
    size_t l = 0;
    while (name[l]) {
        if (name[l] == '/')
            return -FS_EINVAL;
        if (++l > FS_NAME_MAX)
            return -FS_ENAMETOOLONG;
    }
    if (l == 0)
        return -FS_ENOENT;
    *len = l;
    return 0;
}

/* 1 for ".", 2 for "..", else 0. */
static int name_dots(const char *name, size_t len)
{
    if (name[0] != '.' || len > 2)
        return 0;
    if (len == 1)
        return 1;
    return name[1] == '.' ? 2 : 0;
}

/* Validate creating `name` in dir: 0 and its length, or an error. */
static int create_check(const struct fs_node *dir, const char *name, size_t *len)
{
    if (!dir || !fs_is_dir(dir))
        return -FS_ENOTDIR;
    int r = name_check(name, len);
    if (r)
        return r;
    if (dir->nlink == 0)
        return -FS_ENOENT;
    if (name_dots(name, *len) || dir_find(dir, name, *len))
        return -FS_EEXIST;
    return 0;
}

/* Give the new node n the name `name` in dir (checked by create_check).
 * On FS_ENOMEM n is freed. */
static int create_attach(struct fs *fs, struct fs_node *dir, const char *name, size_t len,
                         struct fs_node *n)
{
    struct fs_dirent *e = dirent_new(fs, name, len, n);
    if (!e) {
        node_free(fs, n);
        return -FS_ENOMEM;
    }
    if (fs_is_dir(n)) {
        n->nlink = 2;
        n->parent = dir;
        n->u.dir.next_cookie = 2;
        dir->nlink++;
    } else {
        n->nlink = 1;
    }
    dir_append(dir, e);
    dir_touch(fs, dir);
    return 0;
}

/* ------------------------------------------------------------ setup */

int fs_init(struct fs *fs, const struct fs_alloc *a)
{
    memset(fs, 0, sizeof *fs);
    fs->alloc = *a;
    fs->next_ino = 1;
    struct fs_node *r = node_new(fs, FS_S_IFDIR | 0755);
    if (!r)
        return -FS_ENOMEM;
    r->nlink = 2;
    r->parent = r;
    r->u.dir.next_cookie = 2;
    fs->root = r;
    return 0;
}

void fs_destroy(struct fs *fs)
{
    while (fs->all)
        node_free(fs, fs->all);
    fs->root = NULL;
}

/* ------------------------------------------------------------ paths */

/* Resolve path[0, len) from cur; depth is the symlink nesting, *hops the
 * symlinks followed so far.  See fs_lookup. */
static int resolve(struct fs *fs, struct fs_node *cur, const char *p, size_t len,
                   bool follow_last, int depth, int *hops, struct fs_node **out)
{
    if (len == 0)
        return -FS_ENOENT;
    size_t i = 0;
    if (p[0] == '/' || !cur)
        cur = fs->root;
    for (;;) {
        while (i < len && p[i] == '/')
            i++;
        if (i == len)
            break;
        size_t s = i;
        while (i < len && p[i] != '/')
            i++;
        size_t nl = i - s, j = i;
        while (j < len && p[j] == '/')
            j++;
        bool last = j == len, slash = i < len;
        if (nl > FS_NAME_MAX)
            return -FS_ENAMETOOLONG;
        if (!fs_is_dir(cur))
            return -FS_ENOTDIR;
        struct fs_node *next;
        int dots = name_dots(p + s, nl);
        if (dots == 1) {
            next = cur;
        } else if (dots == 2) {
            if (cur == fs->root)
                next = cur;
            else if (!cur->parent)
                return -FS_ENOENT;
            else
                next = cur->parent;
        } else {
            struct fs_dirent *e = dir_find(cur, p + s, nl);
            if (!e)
                return -FS_ENOENT;
            next = e->node;
        }
        if (fs_is_lnk(next) && (!last || follow_last || slash)) {
            if (depth >= FS_SYMLOOP_MAX || ++*hops > FS_SYMLINK_TOTAL)
                return -FS_ELOOP;
            int r = resolve(fs, cur, next->u.link.target, next->size, true, depth + 1, hops, &next);
            if (r)
                return r;
        }
        cur = next;
    }
    if (p[len - 1] == '/' && !fs_is_dir(cur))
        return -FS_ENOTDIR;
    *out = cur;
    return 0;
}

/* strlen bounded by FS_PATH_MAX; FS_PATH_MAX means too long. */
static size_t path_len(const char *path)
{
    size_t n = 0;
    while (n < FS_PATH_MAX && path[n])
        n++;
    return n;
}

int fs_lookup(struct fs *fs, struct fs_node *cwd, const char *path, bool follow_last,
              struct fs_node **out)
{
    size_t len = path_len(path);
    if (len >= FS_PATH_MAX)
        return -FS_ENAMETOOLONG;
    int hops = 0;
    return resolve(fs, cwd, path, len, follow_last, 0, &hops, out);
}

/* Split path[0, len) into its directory part [0, *dlen) and last component
 * [*ls, *ls + *ll), trailing slashes dropped; *ll is 0 for "/". */
static void path_split(const char *path, size_t len, size_t *dlen, size_t *ls, size_t *ll)
{
    size_t e = len;
    while (e > 0 && path[e - 1] == '/')
        e--;
    size_t s = e;
    while (s > 0 && path[s - 1] != '/')
        s--;
    *dlen = s;
    *ls = s;
    *ll = e - s;
}

enum fs_last fs_path_last(const char *path)
{
    size_t len = path_len(path), dlen, ls, ll;
    path_split(path, len, &dlen, &ls, &ll);
    if (ll == 0)
        return len ? FS_LAST_ROOT : FS_LAST_NORM;
    int dots = name_dots(path + ls, ll);
    return dots == 1 ? FS_LAST_DOT : dots == 2 ? FS_LAST_DOTDOT : FS_LAST_NORM;
}

int fs_lookup_parent(struct fs *fs, struct fs_node *cwd, const char *path,
                     struct fs_node **dir, char name[FS_NAME_MAX + 1])
{
    size_t len = path_len(path), dlen, ls, ll;
    if (len >= FS_PATH_MAX)
        return -FS_ENAMETOOLONG;
    if (len == 0)
        return -FS_ENOENT;
    path_split(path, len, &dlen, &ls, &ll);
    struct fs_node *d = cwd ? cwd : fs->root;
    if (dlen > 0) {
        int hops = 0;
        int r = resolve(fs, cwd, path, dlen, true, 0, &hops, &d);
        if (r)
            return r;
    }
    if (!fs_is_dir(d))
        return -FS_ENOTDIR;
    if (ll == 0 || name_dots(path + ls, ll))
        return -FS_EEXIST;
    if (ll > FS_NAME_MAX)
        return -FS_ENAMETOOLONG;
    memcpy(name, path + ls, ll);
    name[ll] = 0;
    *dir = d;
    return 0;
}

long fs_path_of(struct fs *fs, const struct fs_node *dir, char *buf, size_t len)
{
    if (!fs_is_dir(dir))
        return -FS_ENOTDIR;
    if (dir->nlink == 0)
        return -FS_ENOENT;
    size_t total = 0;
    for (const struct fs_node *n = dir; n != fs->root; n = n->parent) {
        const struct fs_dirent *e = dir_entry_of(fs, n);
        if (!e)
            return -FS_ENOENT;
        total += 1 + e->len;
    }
    if (total == 0)
        total = 1;
    if (len < total + 1)
        return -FS_ERANGE;
    buf[0] = '/';
    buf[total] = 0;
    size_t at = total;
    for (const struct fs_node *n = dir; n != fs->root; n = n->parent) {
        const struct fs_dirent *e = dir_entry_of(fs, n);
        at -= e->len;
        memcpy(buf + at, e->name, e->len);
        buf[--at] = '/';
    }
    return (long)total;
}

/* ------------------------------------------------------------ names */

/* A new node of mode (type and permissions) named name in dir. */
static int create_node(struct fs *fs, struct fs_node *dir, const char *name, uint32_t mode,
                       struct fs_node **out)
{
    size_t len;
    int r = create_check(dir, name, &len);
    if (r)
        return r;
    struct fs_node *n = node_new(fs, mode);
    if (!n)
        return -FS_ENOMEM;
    if ((r = create_attach(fs, dir, name, len, n)))
        return r;
    if (out)
        *out = n;
    return 0;
}

int fs_create(struct fs *fs, struct fs_node *dir, const char *name, uint32_t mode,
              struct fs_node **out)
{
    return create_node(fs, dir, name, FS_S_IFREG | (mode & FS_S_PERM), out);
}

int fs_mkdir(struct fs *fs, struct fs_node *dir, const char *name, uint32_t mode,
             struct fs_node **out)
{
    return create_node(fs, dir, name, FS_S_IFDIR | (mode & FS_S_PERM), out);
}

int fs_symlink(struct fs *fs, struct fs_node *dir, const char *name, const char *target)
{
    size_t len, tlen = path_len(target);
    int r = create_check(dir, name, &len);
    if (r)
        return r;
    if (tlen == 0)
        return -FS_ENOENT;
    if (tlen >= FS_PATH_MAX)
        return -FS_ENAMETOOLONG;
    struct fs_node *n = node_new(fs, FS_S_IFLNK | 0777);
    if (!n)
        return -FS_ENOMEM;
    char *t = fs_mem(fs, tlen + 1);
    if (!t) {
        node_free(fs, n);           /* size 0, no target: frees nothing else */
        return -FS_ENOMEM;
    }
    memcpy(t, target, tlen + 1);
    n->u.link.target = t;
    n->size = tlen;
    return create_attach(fs, dir, name, len, n);
}

int fs_add_external(struct fs *fs, struct fs_node *dir, const char *name, const void *data,
                    uint64_t size, uint32_t mode)
{
    size_t len;
    int r = create_check(dir, name, &len);
    if (r)
        return r;
    if (size > FS_FILE_MAX)
        return -FS_EFBIG;
    struct fs_node *n = node_new(fs, FS_S_IFREG | (mode & FS_S_PERM));
    if (!n)
        return -FS_ENOMEM;
    n->size = size;
    n->u.file.ext = size ? data : NULL;
    n->u.file.ext_len = size;
    return create_attach(fs, dir, name, len, n);
}

long fs_readlink(const struct fs_node *n, char *buf, size_t len)
{
    if (!fs_is_lnk(n))
        return -FS_EINVAL;
    size_t k = (size_t)min64(len, n->size);
    memcpy(buf, n->u.link.target, k);
    return (long)k;
}

int fs_unlink(struct fs *fs, struct fs_node *dir, const char *name)
{
    size_t len;
    if (!fs_is_dir(dir))
        return -FS_ENOTDIR;
    int r = name_check(name, &len);
    if (r)
        return r;
    if (name_dots(name, len))
        return -FS_EISDIR;
    struct fs_dirent *e = dir_find(dir, name, len);
    if (!e)
        return -FS_ENOENT;
    struct fs_node *n = e->node;
    if (fs_is_dir(n))
        return -FS_EISDIR;
    dir_remove(dir, e);
    dirent_free(fs, e);
    n->nlink--;
    n->ctime = fs_time(fs);
    dir_touch(fs, dir);
    node_maybe_free(fs, n);
    return 0;
}

int fs_rmdir(struct fs *fs, struct fs_node *dir, const char *name)
{
    size_t len;
    if (!fs_is_dir(dir))
        return -FS_ENOTDIR;
    int r = name_check(name, &len);
    if (r)
        return r;
    int dots = name_dots(name, len);
    if (dots == 1)
        return dir == fs->root ? -FS_EBUSY : -FS_EINVAL;
    if (dots == 2)
        return -FS_ENOTEMPTY;
    struct fs_dirent *e = dir_find(dir, name, len);
    if (!e)
        return -FS_ENOENT;
    struct fs_node *n = e->node;
    if (!fs_is_dir(n))
        return -FS_ENOTDIR;
    if (n == fs->root)
        return -FS_EBUSY;
    if (n->u.dir.head)
        return -FS_ENOTEMPTY;
    dir_remove(dir, e);
    dirent_free(fs, e);
    n->nlink = 0;
    n->parent = NULL;
    n->ctime = fs_time(fs);
    dir->nlink--;
    dir_touch(fs, dir);
    node_maybe_free(fs, n);
    return 0;
}

int fs_link(struct fs *fs, struct fs_node *n, struct fs_node *dir, const char *name)
{
    if (fs_is_dir(n))
        return -FS_EPERM;
    size_t len;
    int r = create_check(dir, name, &len);
    if (r)
        return r;
    if (n->nlink == 0)
        return -FS_ENOENT;
    struct fs_dirent *e = dirent_new(fs, name, len, n);
    if (!e)
        return -FS_ENOMEM;
    dir_append(dir, e);
    n->nlink++;
    n->ctime = fs_time(fs);
    dir_touch(fs, dir);
    return 0;
}

int fs_rename(struct fs *fs, struct fs_node *olddir, const char *oldname,
              struct fs_node *newdir, const char *newname)
{
    size_t ol, nl;
    int r;
    if (!fs_is_dir(olddir) || !fs_is_dir(newdir))
        return -FS_ENOTDIR;
    if ((r = name_check(oldname, &ol)) || (r = name_check(newname, &nl)))
        return r;
    if (name_dots(oldname, ol) || name_dots(newname, nl))
        return -FS_EBUSY;
    struct fs_dirent *oe = dir_find(olddir, oldname, ol);
    if (!oe || newdir->nlink == 0)
        return -FS_ENOENT;
    struct fs_node *src = oe->node;
    struct fs_dirent *ne = dir_find(newdir, newname, nl);
    if (ne && ne->node == src)
        return 0;
    if (fs_is_dir(src)) {
        for (const struct fs_node *p = newdir; ; p = p->parent) {
            if (p == src)
                return -FS_EINVAL;
            if (p == fs->root)
                break;
        }
        if (ne && !fs_is_dir(ne->node))
            return -FS_ENOTDIR;
        if (ne && ne->node->u.dir.head)
            return -FS_ENOTEMPTY;
    } else if (ne && fs_is_dir(ne->node)) {
        return -FS_EISDIR;
    }
    uint64_t t = fs_time(fs);
    if (ne) {                           /* the target's entry now names src */
        struct fs_node *victim = ne->node;
        ne->node = src;
        dir_remove(olddir, oe);
        dirent_free(fs, oe);
        if (fs_is_dir(victim)) {
            victim->nlink = 0;
            victim->parent = NULL;
            newdir->nlink--;
        } else {
            victim->nlink--;
        }
        victim->ctime = t;
        node_maybe_free(fs, victim);
    } else {
        struct fs_dirent *e = dirent_new(fs, newname, nl, src);
        if (!e)
            return -FS_ENOMEM;
        if (olddir == newdir) {
            dir_replace(olddir, oe, e);     /* keeps its place in listings */
        } else {
            dir_remove(olddir, oe);
            dir_append(newdir, e);
        }
        dirent_free(fs, oe);
    }
    if (fs_is_dir(src) && olddir != newdir) {
        olddir->nlink--;
        newdir->nlink++;
        src->parent = newdir;
    }
    src->ctime = t;
    olddir->mtime = olddir->ctime = newdir->mtime = newdir->ctime = t;
    return 0;
}

/* ------------------------------------------------------------ file data */

/* Make the block array hold index idx.  Errors: FS_ENOSPC. */
static int file_reserve(struct fs *fs, struct fs_node *n, uint64_t idx)
{
    uint64_t old = n->u.file.cap;
    if (idx < old)
        return 0;
    uint64_t cap = old ? old : 8;
    while (cap <= idx)
        cap *= 2;
    uint8_t **b = fs_mem(fs, cap * sizeof *b);
    if (!b)
        return -FS_ENOSPC;
    if (old) {
        memcpy(b, n->u.file.blocks, old * sizeof *b);
        fs_unmem(fs, n->u.file.blocks, old * sizeof *b);
    }
    n->u.file.blocks = b;
    n->u.file.cap = cap;
    return 0;
}

/* The writable block idx of n, allocated (with its external bytes copied
 * in) if needed; NULL if out of memory. */
static uint8_t *file_block(struct fs *fs, struct fs_node *n, uint64_t idx)
{
    if (file_reserve(fs, n, idx))
        return NULL;
    uint8_t *b = n->u.file.blocks[idx];
    if (b)
        return b;
    b = fs_mem(fs, FS_BLOCK_SIZE);
    if (!b)
        return NULL;
    uint64_t start = idx * FS_BLOCK_SIZE;
    if (start < n->u.file.ext_len)
        memcpy(b, n->u.file.ext + start, (size_t)min64(FS_BLOCK_SIZE, n->u.file.ext_len - start));
    n->u.file.blocks[idx] = b;
    n->u.file.nalloc++;
    return b;
}

uint8_t *fs_block_for_map(struct fs *fs, struct fs_node *n, uint64_t off)
{
    if (!fs_is_reg(n) || off >= (n->size + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE * FS_BLOCK_SIZE)
        return NULL;
    return file_block(fs, n, off / FS_BLOCK_SIZE);
}

long fs_read(const struct fs_node *n, uint64_t off, void *buf, uint64_t len)
{
    if (fs_is_dir(n))
        return -FS_EISDIR;
    if (!fs_is_reg(n))
        return -FS_EINVAL;
    if (off >= n->size)
        return 0;
    len = min64(len, n->size - off);
    uint8_t *out = buf;
    for (uint64_t done = 0; done < len; ) {
        uint64_t pos = off + done, idx = pos / FS_BLOCK_SIZE, bo = pos % FS_BLOCK_SIZE;
        size_t k = (size_t)min64(FS_BLOCK_SIZE - bo, len - done);
        const uint8_t *b = idx < n->u.file.cap ? n->u.file.blocks[idx] : NULL;
        if (b) {
            memcpy(out + done, b + bo, k);
        } else {
            size_t e = 0;
            if (pos < n->u.file.ext_len) {
                e = (size_t)min64(k, n->u.file.ext_len - pos);
                memcpy(out + done, n->u.file.ext + pos, e);
            }
            memset(out + done + e, 0, k - e);
        }
        done += k;
    }
    return (long)len;
}

const void *fs_external_block(const struct fs_node *n, uint64_t off)
{
    if (!fs_is_reg(n) || off % FS_BLOCK_SIZE || !n->u.file.ext || off >= n->u.file.ext_len ||
        n->u.file.ext_len - off < FS_BLOCK_SIZE)
        return NULL;
    uint64_t idx = off / FS_BLOCK_SIZE;
    if (idx < n->u.file.cap && n->u.file.blocks[idx])
        return NULL;
    return n->u.file.ext + off;
}

/* A shared mapping may have written past the end, in the last block:
 * zero that tail before the file grows over it (the bytes at or past the
 * size of a file are zero). */
static void zero_tail(struct fs_node *n)
{
    uint64_t idx = n->size / FS_BLOCK_SIZE, bo = n->size % FS_BLOCK_SIZE;
    if (n->u.file.maps && bo && idx < n->u.file.cap && n->u.file.blocks[idx])
        memset(n->u.file.blocks[idx] + bo, 0, FS_BLOCK_SIZE - bo);
}

long fs_write(struct fs *fs, struct fs_node *n, uint64_t off, const void *buf, uint64_t len)
{
    if (fs_is_dir(n))
        return -FS_EISDIR;
    if (!fs_is_reg(n))
        return -FS_EINVAL;
    if (len == 0)
        return 0;
    if (off >= FS_FILE_MAX)
        return -FS_EFBIG;
    len = min64(len, FS_FILE_MAX - off);
    if (off > n->size)
        zero_tail(n);
    const uint8_t *in = buf;
    uint64_t done = 0;
    while (done < len) {
        uint64_t pos = off + done, idx = pos / FS_BLOCK_SIZE, bo = pos % FS_BLOCK_SIZE;
        size_t k = (size_t)min64(FS_BLOCK_SIZE - bo, len - done);
        uint8_t *b = file_block(fs, n, idx);
        if (!b)
            break;
        memcpy(b + bo, in + done, k);
        done += k;
    }
    if (done == 0)
        return -FS_ENOSPC;
    if (off + done > n->size)
        n->size = off + done;
    n->mtime = n->ctime = fs_time(fs);
    return (long)done;
}

int fs_truncate(struct fs *fs, struct fs_node *n, uint64_t size)
{
    if (fs_is_dir(n))
        return -FS_EISDIR;
    if (!fs_is_reg(n))
        return -FS_EINVAL;
    if (size > FS_FILE_MAX)
        return -FS_EFBIG;
    if (size > n->size)
        zero_tail(n);
    if (size < n->size) {
        if (n->u.file.ext_len > size)
            n->u.file.ext_len = size;
        if (n->u.file.ext_len == 0)
            n->u.file.ext = NULL;
        uint64_t keep = (size + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE;
        if (n->u.file.maps)             /* mapped somewhere: keep the blocks, zeroed */
            for (uint64_t i = keep; i < n->u.file.cap; i++) {
                if (n->u.file.blocks[i])
                    memset(n->u.file.blocks[i], 0, FS_BLOCK_SIZE);
            }
        else
            file_free_blocks(fs, n, keep);
        uint64_t bo = size % FS_BLOCK_SIZE, idx = size / FS_BLOCK_SIZE;
        if (bo && idx < n->u.file.cap && n->u.file.blocks[idx])
            memset(n->u.file.blocks[idx] + bo, 0, FS_BLOCK_SIZE - bo);
        if (size == 0 && !n->u.file.maps) {
            fs_unmem(fs, n->u.file.blocks, n->u.file.cap * sizeof(uint8_t *));
            n->u.file.blocks = NULL;
            n->u.file.cap = 0;
        }
    }
    n->size = size;
    n->mtime = n->ctime = fs_time(fs);
    return 0;
}

/* ------------------------------------------------------------ listing, stat */

static uint8_t dtype_of(const struct fs_node *n)
{
    return fs_is_dir(n) ? FS_DT_DIR : fs_is_lnk(n) ? FS_DT_LNK : FS_DT_REG;
}

/* Write one linux_dirent64 at out if it fits in room; returns its length
 * or 0. */
static uint64_t dirent_put(uint8_t *out, uint64_t room, uint64_t ino, uint64_t next,
                           uint8_t type, const char *name, size_t len)
{
    uint64_t rec = (19 + len + 1 + 7) & ~(uint64_t)7;
    if (rec > room)
        return 0;
    int64_t doff = (int64_t)next;
    uint16_t reclen = (uint16_t)rec;
    memset(out, 0, rec);
    memcpy(out, &ino, 8);
    memcpy(out + 8, &doff, 8);
    memcpy(out + 16, &reclen, 2);
    out[18] = type;
    memcpy(out + 19, name, len);
    return rec;
}

long fs_getdents64(const struct fs_node *dir, uint64_t *pos, void *buf, uint64_t len)
{
    if (!fs_is_dir(dir))
        return -FS_ENOTDIR;
    if (dir->nlink == 0)
        return 0;
    uint8_t *out = buf;
    uint64_t used = 0, rec;
    if (*pos == 0) {
        if (!(rec = dirent_put(out, len, dir->ino, 1, FS_DT_DIR, ".", 1)))
            return -FS_EINVAL;
        used += rec;
        *pos = 1;
    }
    if (*pos == 1) {
        if (!(rec = dirent_put(out + used, len - used, dir->parent->ino, 2, FS_DT_DIR, "..", 2)))
            return used ? (long)used : -FS_EINVAL;
        used += rec;
        *pos = 2;
    }
    const struct fs_dirent *e = dir->u.dir.head;
    while (e && e->cookie < *pos)
        e = e->next;
    for (; e; e = e->next) {
        if (!(rec = dirent_put(out + used, len - used, e->node->ino, e->cookie + 1,
                               dtype_of(e->node), e->name, e->len)))
            return used ? (long)used : -FS_EINVAL;
        used += rec;
        *pos = e->cookie + 1;
    }
    return (long)used;
}

/* 512-byte units held: allocated blocks plus external blocks not copied. */
static uint64_t stat_blocks(const struct fs_node *n)
{
    if (!fs_is_reg(n))
        return fs_is_dir(n) ? 0 : (n->size + 511) / 512;
    uint64_t nb = n->u.file.nalloc;
    uint64_t ext_blocks = (n->u.file.ext_len + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE;
    for (uint64_t i = 0; i < ext_blocks; i++)
        if (i >= n->u.file.cap || !n->u.file.blocks[i])
            nb++;
    return nb * (FS_BLOCK_SIZE / 512);
}

void fs_stat(const struct fs_node *n, struct l_stat *st)
{
    *st = (struct l_stat){
        .dev = 1,
        .ino = n->ino,
        .nlink = n->nlink,
        .mode = n->mode,
        .uid = n->uid,
        .gid = n->gid,
        .size = fs_is_dir(n) ? 20 * (n->u.dir.count + 2) : n->size,     /* as tmpfs */
        .blksize = FS_BLOCK_SIZE,
        .blocks = stat_blocks(n),
        .atime_sec = n->atime / 1000000000u,
        .atime_nsec = n->atime % 1000000000u,
        .mtime_sec = n->mtime / 1000000000u,
        .mtime_nsec = n->mtime % 1000000000u,
        .ctime_sec = n->ctime / 1000000000u,
        .ctime_nsec = n->ctime % 1000000000u,
    };
}

void fs_chmod(struct fs *fs, struct fs_node *n, uint32_t mode)
{
    n->mode = (n->mode & FS_S_IFMT) | (mode & FS_S_PERM);
    n->ctime = fs_time(fs);
}

void fs_set_times(struct fs *fs, struct fs_node *n, uint64_t atime, uint64_t mtime)
{
    n->atime = atime;
    n->mtime = mtime;
    n->ctime = fs_time(fs);
}
