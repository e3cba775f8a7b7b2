/*
 * Host unit test of the POSIX libOS's in-memory file system
 * (lib/posix/fs.c) under ASan/UBSan: path resolution (".", "..", slashes,
 * symlinks, ELOOP, long names), lookup_parent, file data (holes, truncate,
 * multi-MiB files), external files' copy-on-write, unlink while open, hard
 * links, rename and rmdir rules, getdents resumed with tiny buffers and
 * under concurrent changes, getcwd paths, stat layout, allocation failure
 * at every step, a random stress run against a model, and every byte
 * returned to the allocator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/posix/fs.h"

static int checks;
#define CHECK(c) do { checks++; if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

/* ------------------------------------------------------------ allocator */

/* Counts what is out, checks free gets the allocated size back, and fails
 * once `budget` allocations have been made (budget < 0: never). */
struct heap {
    long out_bytes, out_blocks, budget;
};

static void *h_alloc(void *ctx, size_t n)
{
    struct heap *h = ctx;
    if (h->budget == 0)
        return NULL;
    if (h->budget > 0)
        h->budget--;
    size_t *p = calloc(1, n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    h->out_bytes += (long)n;
    h->out_blocks++;
    return (char *)p + 16;
}

static void h_free(void *ctx, void *q, size_t n)
{
    struct heap *h = ctx;
    size_t *p = (size_t *)((char *)q - 16);
    CHECK(p[0] == n);
    h->out_bytes -= (long)n;
    h->out_blocks--;
    free(p);
}

static struct heap heap = {0, 0, -1};
static const struct fs_alloc alloc = {h_alloc, h_free, &heap};

static uint64_t clock_ns;
static uint64_t test_now(void *ctx)
{
    (void)ctx;
    return clock_ns;
}

static void setup(struct fs *fs)
{
    heap.budget = -1;
    CHECK(fs_init(fs, &alloc) == 0);
    fs->now = test_now;
}

static void teardown(struct fs *fs)
{
    fs_destroy(fs);
    CHECK(fs->nodes == 0 && fs->mem_used == 0);
    CHECK(heap.out_bytes == 0 && heap.out_blocks == 0);
}

/* ------------------------------------------------------------ helpers */

static struct fs_node *look(struct fs *fs, struct fs_node *cwd, const char *path, bool follow)
{
    struct fs_node *n = NULL;
    int r = fs_lookup(fs, cwd, path, follow, &n);
    if (r) {
        fprintf(stderr, "lookup %s: %d\n", path, r);
        CHECK(r == 0);
    }
    return n;
}

static int lerr(struct fs *fs, struct fs_node *cwd, const char *path, bool follow)
{
    struct fs_node *n;
    return fs_lookup(fs, cwd, path, follow, &n);
}

static struct fs_node *mkdir_(struct fs *fs, struct fs_node *d, const char *name)
{
    struct fs_node *n = NULL;
    CHECK(fs_mkdir(fs, d, name, 0755, &n) == 0);
    return n;
}

static struct fs_node *creat_(struct fs *fs, struct fs_node *d, const char *name)
{
    struct fs_node *n = NULL;
    CHECK(fs_create(fs, d, name, 0644, &n) == 0);
    return n;
}

static void write_str(struct fs *fs, struct fs_node *n, uint64_t off, const char *s)
{
    CHECK(fs_write(fs, n, off, s, strlen(s)) == (long)strlen(s));
}

static bool read_is(struct fs_node *n, uint64_t off, const char *s)
{
    char buf[256];
    size_t len = strlen(s);
    return fs_read(n, off, buf, len) == (long)len && memcmp(buf, s, len) == 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* n's struct stat as the program's bytes, to check the layout apart
 * from struct l_stat's own definition. */
static void stat_bytes(const struct fs_node *n, uint8_t *out)
{
    struct l_stat st;
    fs_stat(n, &st);
    memcpy(out, &st, sizeof st);
}

static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* ------------------------------------------------------------ paths */

static void test_paths(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *root = fs.root;
    CHECK(root->ino == 1 && fs_is_dir(root) && root->nlink == 2 && root->parent == root);
    CHECK(look(&fs, NULL, "/", true) == root);
    CHECK(look(&fs, NULL, "///", true) == root);
    CHECK(look(&fs, root, ".", true) == root);
    CHECK(look(&fs, root, "..", true) == root);
    CHECK(look(&fs, NULL, "/../..//.", true) == root);
    CHECK(lerr(&fs, root, "", true) == -FS_ENOENT);

    struct fs_node *a = mkdir_(&fs, root, "a");
    struct fs_node *b = mkdir_(&fs, a, "b");
    struct fs_node *f = creat_(&fs, b, "f");
    CHECK(a->ino > root->ino && b->ino > a->ino && f->ino > b->ino);
    CHECK(root->nlink == 3 && a->nlink == 3 && b->nlink == 2 && f->nlink == 1);
    CHECK(fs_is_reg(f) && (f->mode & FS_S_PERM) == 0644);
    CHECK(look(&fs, NULL, "/a/b/f", true) == f);
    CHECK(look(&fs, root, "a//b///f", false) == f);
    CHECK(look(&fs, root, "./a/./b/../b/f", true) == f);
    CHECK(look(&fs, NULL, "/../../a", true) == a);
    CHECK(look(&fs, root, "a/b/", true) == b);
    CHECK(look(&fs, root, "a/b//", true) == b);
    CHECK(look(&fs, root, "a/b/.", true) == b);
    CHECK(look(&fs, root, "a/b/..", true) == a);
    CHECK(look(&fs, a, "b/f", true) == f);
    CHECK(look(&fs, a, "../a/b", true) == b);
    CHECK(look(&fs, b, "../../../a", true) == a);
    CHECK(look(&fs, b, "/a", true) == a);
    CHECK(look(&fs, b, "..", true) == a);
    CHECK(lerr(&fs, root, "a/b/f/", true) == -FS_ENOTDIR);
    CHECK(lerr(&fs, root, "a/b/f/x", true) == -FS_ENOTDIR);
    CHECK(lerr(&fs, root, "a/b/f/.", true) == -FS_ENOTDIR);
    CHECK(lerr(&fs, root, "a/b/f/..", true) == -FS_ENOTDIR);
    CHECK(lerr(&fs, root, "a/x/f", true) == -FS_ENOENT);
    CHECK(lerr(&fs, root, "a/x", true) == -FS_ENOENT);
    CHECK(lerr(&fs, f, "x", true) == -FS_ENOTDIR);       /* cwd not a dir */

    /* Name lengths: 255 is fine, 256 is too long (in a lookup or create). */
    char name[300];
    memset(name, 'n', 255);
    name[255] = 0;
    struct fs_node *longf = creat_(&fs, a, name);
    char path[600];
    snprintf(path, sizeof path, "/a/%s", name);
    CHECK(look(&fs, NULL, path, true) == longf);
    name[255] = 'n';
    name[256] = 0;
    CHECK(fs_create(&fs, a, name, 0644, NULL) == -FS_ENAMETOOLONG);
    snprintf(path, sizeof path, "/a/%s", name);
    CHECK(lerr(&fs, NULL, path, true) == -FS_ENAMETOOLONG);
    snprintf(path, sizeof path, "/a/%s/x", name);
    CHECK(lerr(&fs, NULL, path, true) == -FS_ENAMETOOLONG);
    /* Whole paths: 4095 bytes resolve, 4096 are too long. */
    char *big = malloc(FS_PATH_MAX + 2);
    memset(big, '/', FS_PATH_MAX + 1);
    big[FS_PATH_MAX - 1] = 0;
    CHECK(look(&fs, NULL, big, true) == root);
    big[FS_PATH_MAX - 1] = '/';
    big[FS_PATH_MAX] = 0;
    CHECK(lerr(&fs, NULL, big, true) == -FS_ENAMETOOLONG);
    free(big);

    /* Bad names for creation. */
    CHECK(fs_create(&fs, a, "", 0644, NULL) == -FS_ENOENT);
    CHECK(fs_create(&fs, a, "x/y", 0644, NULL) == -FS_EINVAL);
    CHECK(fs_create(&fs, a, ".", 0644, NULL) == -FS_EEXIST);
    CHECK(fs_create(&fs, a, "..", 0644, NULL) == -FS_EEXIST);
    CHECK(fs_create(&fs, a, "b", 0644, NULL) == -FS_EEXIST);
    CHECK(fs_mkdir(&fs, b, "f", 0755, NULL) == -FS_EEXIST);
    CHECK(fs_create(&fs, f, "x", 0644, NULL) == -FS_ENOTDIR);
    CHECK(fs_mkdir(&fs, f, "x", 0755, NULL) == -FS_ENOTDIR);
    CHECK(fs_create(&fs, a, "...", 0644, NULL) == 0);     /* a normal name */
    CHECK(fs_create(&fs, a, ".x", 0644, NULL) == 0);
    teardown(&fs);
}

static void test_symlinks(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *root = fs.root;
    struct fs_node *a = mkdir_(&fs, root, "a");
    struct fs_node *b = mkdir_(&fs, a, "b");
    struct fs_node *f = creat_(&fs, b, "f");
    CHECK(fs_symlink(&fs, a, "l", "b") == 0);
    CHECK(fs_symlink(&fs, root, "abs", "/a/b/f") == 0);
    CHECK(fs_symlink(&fs, b, "up", "../..") == 0);
    CHECK(fs_symlink(&fs, root, "dangle", "nowhere") == 0);
    CHECK(fs_symlink(&fs, root, "tofile", "a/l/f") == 0);
    struct fs_node *l = look(&fs, root, "a/l", false);
    CHECK(fs_is_lnk(l) && l->size == 1 && (l->mode & 0777) == 0777 && l->nlink == 1);
    CHECK(look(&fs, root, "a/l", true) == b);
    CHECK(look(&fs, root, "a/l/", false) == b);          /* a trailing slash follows */
    CHECK(look(&fs, root, "a/l/f", false) == f);
    CHECK(look(&fs, root, "a/l/../l/f", false) == f);
    CHECK(look(&fs, root, "abs", true) == f);
    CHECK(fs_is_lnk(look(&fs, root, "abs", false)));
    CHECK(lerr(&fs, root, "abs/", false) == -FS_ENOTDIR);
    CHECK(look(&fs, root, "a/b/up", true) == root);
    CHECK(look(&fs, root, "a/b/up/a/b/up/a", true) == a);
    CHECK(look(&fs, root, "tofile", true) == f);
    CHECK(lerr(&fs, root, "dangle", true) == -FS_ENOENT);
    CHECK(fs_is_lnk(look(&fs, root, "dangle", false)));

    char buf[16];
    CHECK(fs_readlink(look(&fs, root, "abs", false), buf, sizeof buf) == 6 && memcmp(buf, "/a/b/f", 6) == 0);
    CHECK(fs_readlink(look(&fs, root, "abs", false), buf, 3) == 3 && memcmp(buf, "/a/", 3) == 0);
    CHECK(fs_readlink(f, buf, sizeof buf) == -FS_EINVAL);
    CHECK(fs_readlink(a, buf, sizeof buf) == -FS_EINVAL);
    CHECK(fs_symlink(&fs, root, "empty", "") == -FS_ENOENT);
    CHECK(fs_symlink(&fs, root, "abs", "x") == -FS_EEXIST);

    /* Loops. */
    CHECK(fs_symlink(&fs, root, "self", "self") == 0);
    CHECK(fs_symlink(&fs, root, "p", "q") == 0);
    CHECK(fs_symlink(&fs, root, "q", "/p") == 0);
    CHECK(fs_symlink(&fs, root, "d", "d/x") == 0);
    CHECK(lerr(&fs, root, "self", true) == -FS_ELOOP);
    CHECK(fs_is_lnk(look(&fs, root, "self", false)));
    CHECK(lerr(&fs, root, "self/x", false) == -FS_ELOOP);
    CHECK(lerr(&fs, root, "self/", false) == -FS_ELOOP);
    CHECK(lerr(&fs, root, "p", true) == -FS_ELOOP);
    CHECK(lerr(&fs, root, "q/z", true) == -FS_ELOOP);
    CHECK(lerr(&fs, root, "d", true) == -FS_ELOOP);

    /* A chain of 8 hops resolves, 9 do not. */
    struct fs_node *c = mkdir_(&fs, root, "chain");
    creat_(&fs, c, "end");
    char name[16], target[16];
    for (int i = 1; i <= 9; i++) {
        snprintf(name, sizeof name, "l%d", i);
        if (i == 1)
            snprintf(target, sizeof target, "end");
        else
            snprintf(target, sizeof target, "l%d", i - 1);
        CHECK(fs_symlink(&fs, c, name, target) == 0);
    }
    CHECK(fs_is_reg(look(&fs, c, "l8", true)));
    CHECK(lerr(&fs, c, "l9", true) == -FS_ELOOP);
    CHECK(fs_is_lnk(look(&fs, c, "l9", false)));

    /* Many symlinks side by side: each hop is shallow, but the total is
     * bounded too. */
    CHECK(fs_symlink(&fs, root, "dot", ".") == 0);
    char path[512] = "";
    for (int i = 0; i < FS_SYMLINK_TOTAL; i++)
        strcat(path, "dot/");
    strcat(path, "a");
    CHECK(look(&fs, root, path, true) == a);
    memmove(path + 4, path, strlen(path) + 1);
    memcpy(path, "dot/", 4);
    CHECK(lerr(&fs, root, path, true) == -FS_ELOOP);
    teardown(&fs);
}

static void test_lookup_parent(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *root = fs.root;
    struct fs_node *a = mkdir_(&fs, root, "a");
    struct fs_node *b = mkdir_(&fs, a, "b");
    creat_(&fs, b, "f");
    CHECK(fs_symlink(&fs, root, "la", "a") == 0);
    struct fs_node *d = NULL;
    char name[FS_NAME_MAX + 1];
    CHECK(fs_lookup_parent(&fs, root, "/a/b/new", &d, name) == 0 && d == b && strcmp(name, "new") == 0);
    CHECK(fs_lookup_parent(&fs, a, "new", &d, name) == 0 && d == a && strcmp(name, "new") == 0);
    CHECK(fs_lookup_parent(&fs, NULL, "new", &d, name) == 0 && d == root);
    CHECK(fs_lookup_parent(&fs, root, "a/b/", &d, name) == 0 && d == a && strcmp(name, "b") == 0);
    CHECK(fs_lookup_parent(&fs, root, "//a//b//x//", &d, name) == 0 && d == b && strcmp(name, "x") == 0);
    CHECK(fs_lookup_parent(&fs, root, "/x", &d, name) == 0 && d == root && strcmp(name, "x") == 0);
    CHECK(fs_lookup_parent(&fs, b, "../../la/b/y", &d, name) == 0 && d == b && strcmp(name, "y") == 0);
    CHECK(fs_lookup_parent(&fs, root, "la", &d, name) == 0 && d == root && strcmp(name, "la") == 0);
    CHECK(fs_lookup_parent(&fs, root, "/", &d, name) == -FS_EEXIST);
    CHECK(fs_lookup_parent(&fs, root, "///", &d, name) == -FS_EEXIST);
    CHECK(fs_lookup_parent(&fs, root, "a/.", &d, name) == -FS_EEXIST);
    CHECK(fs_lookup_parent(&fs, root, "a/..", &d, name) == -FS_EEXIST);
    CHECK(fs_lookup_parent(&fs, root, ".", &d, name) == -FS_EEXIST);
    CHECK(fs_lookup_parent(&fs, root, "", &d, name) == -FS_ENOENT);
    CHECK(fs_lookup_parent(&fs, root, "nope/x", &d, name) == -FS_ENOENT);
    CHECK(fs_lookup_parent(&fs, root, "a/b/f/x", &d, name) == -FS_ENOTDIR);
    char longname[300] = "a/";
    memset(longname + 2, 'z', 256);
    longname[258] = 0;
    CHECK(fs_lookup_parent(&fs, root, longname, &d, name) == -FS_ENAMETOOLONG);
    longname[257] = 0;
    CHECK(fs_lookup_parent(&fs, root, longname, &d, name) == 0 && d == a && strlen(name) == 255);
    CHECK(fs_path_last("/") == FS_LAST_ROOT);
    CHECK(fs_path_last("//") == FS_LAST_ROOT);
    CHECK(fs_path_last("a/.") == FS_LAST_DOT);
    CHECK(fs_path_last(".") == FS_LAST_DOT);
    CHECK(fs_path_last("a/../") == FS_LAST_DOTDOT);
    CHECK(fs_path_last("a/b") == FS_LAST_NORM);
    CHECK(fs_path_last("a/..b") == FS_LAST_NORM);
    teardown(&fs);
}

/* ------------------------------------------------------------ data */

/* Blocks under a shared mapping (fmap.c): fs_block_for_map hands out the
 * file's own block, and while u.file.maps counts mappings a truncate
 * zeroes the blocks instead of freeing them, and bytes a mapping wrote
 * past the end read as zeros once the file grows over them. */
static void test_mapped_blocks(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *f = creat_(&fs, fs.root, "m");
    static uint8_t data[3 * FS_BLOCK_SIZE];
    memset(data, 'a', sizeof data);
    CHECK(fs_write(&fs, f, 0, data, sizeof data) == (long)sizeof data);
    uint8_t *b2 = fs_block_for_map(&fs, f, 2 * FS_BLOCK_SIZE);
    CHECK(b2 && b2 == f->u.file.blocks[2] && b2[0] == 'a');
    CHECK(fs_block_for_map(&fs, f, 3 * FS_BLOCK_SIZE) == NULL);       /* past the end */
    f->u.file.maps = 1;
    CHECK(fs_truncate(&fs, f, 100) == 0);
    CHECK(f->u.file.blocks[2] == b2 && all_zero(b2, FS_BLOCK_SIZE));    /* kept, zeroed */
    uint8_t *b0 = fs_block_for_map(&fs, f, 0);
    CHECK(b0 && all_zero(b0 + 100, FS_BLOCK_SIZE - 100));
    CHECK(fs_block_for_map(&fs, f, FS_BLOCK_SIZE) == NULL);
    b0[200] = 'Z';                                  /* a mapping's write past the end */
    CHECK(fs_truncate(&fs, f, FS_BLOCK_SIZE) == 0);
    char c = 1;
    CHECK(fs_read(f, 200, &c, 1) == 1 && c == 0);
    b0[FS_BLOCK_SIZE - 1] = 'Y';
    CHECK(fs_truncate(&fs, f, 300) == 0);           /* the tail zeroed on the way down */
    b0[400] = 'X';
    CHECK(fs_write(&fs, f, 5000, "q", 1) == 1);     /* a write past the end: the gap is zero */
    CHECK(fs_read(f, 400, &c, 1) == 1 && c == 0 && fs_read(f, FS_BLOCK_SIZE - 1, &c, 1) == 1 && c == 0);
    CHECK(fs_truncate(&fs, f, 0) == 0 && f->u.file.blocks != NULL);     /* the array stays too */
    f->u.file.maps = 0;
    CHECK(fs_unlink(&fs, fs.root, "m") == 0);       /* the kept blocks go with the node */
    teardown(&fs);
}

static void test_data(void)
{
    struct fs fs;
    setup(&fs);
    clock_ns = 5000000123ull;
    struct fs_node *f = creat_(&fs, fs.root, "f");
    CHECK(f->size == 0 && f->mtime == clock_ns);
    char buf[20000];
    CHECK(fs_read(f, 0, buf, sizeof buf) == 0);
    clock_ns = 7000000000ull;
    write_str(&fs, f, 0, "hello");
    CHECK(f->size == 5 && f->mtime == clock_ns && f->ctime == clock_ns);
    CHECK(read_is(f, 0, "hello") && read_is(f, 1, "ell"));
    CHECK(fs_read(f, 5, buf, 10) == 0);
    CHECK(fs_read(f, 500, buf, 10) == 0);
    CHECK(fs_read(f, 3, buf, 100) == 2 && memcmp(buf, "lo", 2) == 0);
    CHECK(fs_write(&fs, f, 3, "", 0) == 0 && f->size == 5);
    /* A hole past EOF, crossing blocks. */
    write_str(&fs, f, 10000, "world");
    CHECK(f->size == 10005);
    memset(buf, 0x55, sizeof buf);
    CHECK(fs_read(f, 0, buf, sizeof buf) == 10005);
    CHECK(memcmp(buf, "hello", 5) == 0 && all_zero((uint8_t *)buf + 5, 9995) && memcmp(buf + 10000, "world", 5) == 0);
    CHECK(f->u.file.nalloc == 2);                    /* block 1 is a hole */
    /* Overwrite across a block boundary. */
    write_str(&fs, f, 4090, "0123456789ABCDEF");
    CHECK(read_is(f, 4088, "\0\0000123456789ABCDEF\0"));
    CHECK(f->size == 10005 && f->u.file.nalloc == 3);
    /* Shrink into a block, grow again: the old tail reads as zeros. */
    CHECK(fs_truncate(&fs, f, 4093) == 0 && f->size == 4093);
    CHECK(fs_read(f, 4085, buf, 100) == 8 && memcmp(buf + 5, "012", 3) == 0);
    CHECK(fs_truncate(&fs, f, 12000) == 0 && f->size == 12000);
    memset(buf, 0x55, sizeof buf);
    CHECK(fs_read(f, 0, buf, sizeof buf) == 12000);
    CHECK(memcmp(buf, "hello", 5) == 0 && memcmp(buf + 4090, "012", 3) == 0 && all_zero((uint8_t *)buf + 4093, 12000 - 4093));
    CHECK(f->u.file.nalloc == 1);
    write_str(&fs, f, 12000, "!");                   /* append after a truncate hole */
    CHECK(f->size == 12001 && read_is(f, 11999, "\0!"));
    CHECK(fs_truncate(&fs, f, 0) == 0 && f->size == 0 && f->u.file.nalloc == 0 && f->u.file.cap == 0);
    CHECK(fs_read(f, 0, buf, 10) == 0);
    CHECK(fs_truncate(&fs, f, 3) == 0 && fs_read(f, 0, buf, 10) == 3 && all_zero((uint8_t *)buf, 3));
    CHECK(fs_truncate(&fs, f, 3) == 0 && f->size == 3);

    /* A few MiB in odd chunks, read back in other odd chunks. */
    struct fs_node *g = creat_(&fs, fs.root, "big");
    const uint64_t total = 5u << 20;
    uint8_t *src = malloc(total), *dst = malloc(total);
    for (uint64_t i = 0; i < total; i++)
        src[i] = (uint8_t)(i * 7 + (i >> 12));
    for (uint64_t off = 0, k = 1; off < total; off += k, k = k * 3 % 70001 + 1) {
        if (k > total - off)
            k = total - off;
        CHECK(fs_write(&fs, g, off, src + off, k) == (long)k);
    }
    CHECK(g->size == total && g->u.file.nalloc == total / FS_BLOCK_SIZE);
    for (uint64_t off = 0, k = 5; off < total; off += k, k = k * 5 % 90001 + 1)
        CHECK(fs_read(g, off, dst + off, k) == (long)(k < total - off ? k : total - off));
    CHECK(memcmp(src, dst, total) == 0);
    CHECK(fs_write(&fs, g, 0, src, total) == (long)total);    /* one big write */
    CHECK(fs_read(g, 0, dst, total + 100) == (long)total && memcmp(src, dst, total) == 0);
    free(src);
    free(dst);

    /* Wrong types and limits. */
    CHECK(fs_write(&fs, fs.root, 0, "x", 1) == -FS_EISDIR);
    CHECK(fs_read(fs.root, 0, buf, 1) == -FS_EISDIR);
    CHECK(fs_truncate(&fs, fs.root, 0) == -FS_EISDIR);
    CHECK(fs_symlink(&fs, fs.root, "ln", "f") == 0);
    struct fs_node *ln = look(&fs, fs.root, "ln", false);
    CHECK(fs_write(&fs, ln, 0, "x", 1) == -FS_EINVAL);
    CHECK(fs_read(ln, 0, buf, 1) == -FS_EINVAL);
    CHECK(fs_truncate(&fs, ln, 0) == -FS_EINVAL);
    CHECK(fs_write(&fs, f, FS_FILE_MAX, "x", 1) == -FS_EFBIG);
    CHECK(fs_write(&fs, f, UINT64_MAX, "x", 1) == -FS_EFBIG);
    CHECK(fs_truncate(&fs, f, FS_FILE_MAX + 1) == -FS_EFBIG);
    CHECK(fs_truncate(&fs, f, FS_FILE_MAX) == 0 && f->size == FS_FILE_MAX);   /* sparse */
    CHECK(fs_read(f, FS_FILE_MAX - 4, buf, 100) == 4 && all_zero((uint8_t *)buf, 4));
    CHECK(fs_truncate(&fs, f, 0) == 0);
    teardown(&fs);
}

static void test_external(void)
{
    struct fs fs;
    setup(&fs);
    enum { N = 10000 };
    static uint8_t ext_store[N];
    for (int i = 0; i < N; i++)
        ext_store[i] = (uint8_t)(i * 13 + 1);
    const uint8_t *ext = ext_store;
    uint8_t *copy = malloc(N), buf[3 * N];
    memcpy(copy, ext, N);
    long before = heap.out_bytes;
    CHECK(fs_add_external(&fs, fs.root, "e", ext, N, 0755) == 0);
    struct fs_node *e = look(&fs, fs.root, "e", true);
    CHECK(fs_is_reg(e) && (e->mode & FS_S_PERM) == 0755 && e->size == N && e->nlink == 1);
    CHECK(heap.out_bytes - before < 1024);           /* no copy of the data */
    CHECK(fs_read(e, 0, buf, sizeof buf) == N && memcmp(buf, ext, N) == 0);
    CHECK(fs_read(e, 4000, buf, 300) == 300 && memcmp(buf, ext + 4000, 300) == 0);
    uint8_t st[FS_STAT_SIZE];
    stat_bytes(e, st);
    CHECK(rd64(st + 48) == N && rd64(st + 64) == 3 * 8);
    CHECK(fs_add_external(&fs, fs.root, "e", ext, N, 0755) == -FS_EEXIST);
    /* Whole external blocks can be mapped; a partial last block, an
     * unaligned offset or a directory cannot. */
    CHECK(fs_external_block(e, 0) == ext && fs_external_block(e, 4096) == ext + 4096);
    CHECK(fs_external_block(e, 8192) == NULL && fs_external_block(e, 100) == NULL);
    CHECK(fs_external_block(e, 1ull << 40) == NULL && fs_external_block(fs.root, 0) == NULL);

    /* Writing block 1 copies only that block. */
    CHECK(fs_write(&fs, e, 5000, "XYZ", 3) == 3);
    CHECK(fs_external_block(e, 4096) == NULL && fs_external_block(e, 0) == ext);
    CHECK(memcmp(ext, copy, N) == 0);
    CHECK(e->u.file.nalloc == 1 && e->size == N);
    CHECK(fs_read(e, 0, buf, sizeof buf) == N);
    CHECK(memcmp(buf, copy, 5000) == 0 && memcmp(buf + 5000, "XYZ", 3) == 0 && memcmp(buf + 5003, copy + 5003, N - 5003) == 0);
    stat_bytes(e, st);
    CHECK(rd64(st + 64) == 3 * 8);
    /* Extending past the external end: the last external block is copied. */
    CHECK(fs_write(&fs, e, N + 10, "end", 3) == 3 && e->size == N + 13);
    CHECK(memcmp(ext, copy, N) == 0);
    CHECK(fs_read(e, 0, buf, sizeof buf) == N + 13);
    CHECK(memcmp(buf + 8192, copy + 8192, N - 8192) == 0 && all_zero(buf + N, 10) && memcmp(buf + N + 10, "end", 3) == 0);
    /* Shrink into the external part (block 0 still external), grow again. */
    CHECK(fs_truncate(&fs, e, 3000) == 0 && e->u.file.ext_len == 3000);
    CHECK(fs_external_block(e, 0) == NULL);          /* cut: the block's tail now reads as zeros */
    CHECK(fs_truncate(&fs, e, 9000) == 0);
    CHECK(fs_read(e, 0, buf, sizeof buf) == 9000);
    CHECK(memcmp(buf, copy, 3000) == 0 && all_zero(buf + 3000, 6000));
    CHECK(memcmp(ext, copy, N) == 0);
    CHECK(fs_write(&fs, e, 100, "ab", 2) == 2);      /* copies block 0: 3000 bytes */
    CHECK(fs_read(e, 0, buf, sizeof buf) == 9000);
    CHECK(memcmp(buf, copy, 100) == 0 && memcmp(buf + 100, "ab", 2) == 0 && memcmp(buf + 102, copy + 102, 2898) == 0 && all_zero(buf + 3000, 6000));
    CHECK(fs_truncate(&fs, e, 0) == 0 && e->u.file.ext == NULL);
    CHECK(memcmp(ext, copy, N) == 0);

    /* Empty and unlinked external files; nothing external is freed. */
    CHECK(fs_add_external(&fs, fs.root, "z", ext, 0, 0644) == 0);
    CHECK(fs_read(look(&fs, fs.root, "z", true), 0, buf, 10) == 0);
    CHECK(fs_add_external(&fs, fs.root, "e2", ext, N, 0644) == 0);
    struct fs_node *e2 = look(&fs, fs.root, "e2", true);
    fs_node_get(e2);
    CHECK(fs_unlink(&fs, fs.root, "e2") == 0);
    CHECK(fs_read(e2, 9990, buf, 100) == 10 && memcmp(buf, ext + 9990, 10) == 0);
    fs_node_put(&fs, e2);
    CHECK(fs_add_external(&fs, fs.root, "huge", ext, FS_FILE_MAX + 1, 0644) == -FS_EFBIG);
    CHECK(memcmp(ext, copy, N) == 0);
    free(copy);
    teardown(&fs);
}

/* ------------------------------------------------------------ names */

static void test_unlink_open_and_links(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *root = fs.root;
    struct fs_node *d = mkdir_(&fs, root, "d");
    struct fs_node *f = creat_(&fs, d, "f");
    write_str(&fs, f, 0, "data");
    uint64_t nodes = fs.nodes;
    long mem = heap.out_bytes;
    fs_node_get(f);
    fs_node_get(f);
    CHECK(f->refs == 2);
    CHECK(fs_unlink(&fs, d, "f") == 0);
    CHECK(lerr(&fs, d, "f", true) == -FS_ENOENT && fs.nodes == nodes && f->nlink == 0);
    CHECK(read_is(f, 0, "data"));
    write_str(&fs, f, 4, "+more");
    CHECK(read_is(f, 0, "data+more"));
    CHECK(fs_link(&fs, f, d, "again") == -FS_ENOENT);   /* no name left */
    fs_node_put(&fs, f);
    CHECK(fs.nodes == nodes);
    fs_node_put(&fs, f);                                /* last: freed */
    CHECK(fs.nodes == nodes - 1 && heap.out_bytes < mem);
    CHECK(fs_unlink(&fs, d, "f") == -FS_ENOENT);

    /* Hard links. */
    struct fs_node *g = creat_(&fs, d, "g");
    write_str(&fs, g, 0, "shared");
    CHECK(fs_link(&fs, g, root, "h") == 0 && g->nlink == 2);
    CHECK(fs_link(&fs, g, d, "g") == -FS_EEXIST);
    CHECK(fs_link(&fs, g, d, ".") == -FS_EEXIST);
    CHECK(fs_link(&fs, d, root, "dd") == -FS_EPERM);
    CHECK(fs_link(&fs, g, g, "x") == -FS_ENOTDIR);
    CHECK(look(&fs, root, "h", true) == g);
    CHECK(fs_unlink(&fs, d, "g") == 0 && g->nlink == 1);
    CHECK(read_is(look(&fs, root, "h", true), 0, "shared"));
    CHECK(fs_unlink(&fs, root, "h") == 0);
    CHECK(lerr(&fs, root, "h", true) == -FS_ENOENT);

    /* unlink errors. */
    CHECK(fs_unlink(&fs, root, "d") == -FS_EISDIR);
    CHECK(fs_unlink(&fs, root, ".") == -FS_EISDIR);
    CHECK(fs_unlink(&fs, root, "..") == -FS_EISDIR);
    CHECK(fs_unlink(&fs, root, "") == -FS_ENOENT);
    CHECK(fs_unlink(&fs, root, "a/b") == -FS_EINVAL);
    struct fs_node *x = creat_(&fs, root, "x");
    CHECK(fs_unlink(&fs, x, "y") == -FS_ENOTDIR);
    /* A symlink is unlinked, not its target. */
    CHECK(fs_symlink(&fs, root, "lx", "x") == 0);
    CHECK(fs_unlink(&fs, root, "lx") == 0 && look(&fs, root, "x", true) == x);
    /* A file still open at destroy time is freed by fs_destroy. */
    fs_node_get(x);
    CHECK(fs_unlink(&fs, root, "x") == 0);
    teardown(&fs);
}

static void test_rmdir(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *root = fs.root;
    struct fs_node *a = mkdir_(&fs, root, "a");
    struct fs_node *b = mkdir_(&fs, a, "b");
    creat_(&fs, a, "f");
    CHECK(root->nlink == 3 && a->nlink == 3);
    CHECK(fs_rmdir(&fs, root, "a") == -FS_ENOTEMPTY);
    CHECK(fs_rmdir(&fs, a, "f") == -FS_ENOTDIR);
    CHECK(fs_rmdir(&fs, a, "zz") == -FS_ENOENT);
    CHECK(fs_rmdir(&fs, a, ".") == -FS_EINVAL);
    CHECK(fs_rmdir(&fs, a, "..") == -FS_ENOTEMPTY);
    CHECK(fs_rmdir(&fs, root, ".") == -FS_EBUSY);
    CHECK(fs_rmdir(&fs, look(&fs, a, "f", true), "x") == -FS_ENOTDIR);
    CHECK(fs_rmdir(&fs, a, "b") == 0 && a->nlink == 2);
    CHECK(lerr(&fs, root, "a/b", true) == -FS_ENOENT);
    CHECK(fs_unlink(&fs, a, "f") == 0);

    /* A removed directory still held (a cwd) stays valid but dead. */
    struct fs_node *c = mkdir_(&fs, a, "c");
    fs_node_get(c);
    CHECK(fs_rmdir(&fs, a, "c") == 0 && c->nlink == 0 && a->nlink == 2);
    CHECK(look(&fs, c, ".", true) == c);
    CHECK(lerr(&fs, c, "..", true) == -FS_ENOENT);
    CHECK(lerr(&fs, c, "x", true) == -FS_ENOENT);
    CHECK(look(&fs, c, "/a", true) == a);
    CHECK(fs_create(&fs, c, "new", 0644, NULL) == -FS_ENOENT);
    CHECK(fs_mkdir(&fs, c, "new", 0755, NULL) == -FS_ENOENT);
    CHECK(fs_symlink(&fs, c, "new", "x") == -FS_ENOENT);
    CHECK(fs_rename(&fs, root, "a", c, "a") == -FS_ENOENT);
    char buf[64];
    CHECK(fs_path_of(&fs, c, buf, sizeof buf) == -FS_ENOENT);
    uint64_t pos = 0;
    CHECK(fs_getdents64(c, &pos, buf, sizeof buf) == 0);
    CHECK(fs_rmdir(&fs, root, "a") == 0 && root->nlink == 2);   /* parent can go too */
    CHECK(lerr(&fs, c, "..", true) == -FS_ENOENT);
    uint64_t nodes = fs.nodes;
    fs_node_put(&fs, c);
    CHECK(fs.nodes == nodes - 1);
    (void)b;
    CHECK(fs.nodes == 1);
    teardown(&fs);
}

static void test_rename(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *root = fs.root;
    struct fs_node *a = mkdir_(&fs, root, "a");
    struct fs_node *b = mkdir_(&fs, root, "b");
    struct fs_node *f = creat_(&fs, a, "f");
    struct fs_node *g = creat_(&fs, a, "g");
    write_str(&fs, f, 0, "F");
    write_str(&fs, g, 0, "G");

    /* Plain renames. */
    CHECK(fs_rename(&fs, a, "f", a, "f2") == 0);
    CHECK(lerr(&fs, a, "f", true) == -FS_ENOENT && look(&fs, a, "f2", true) == f);
    CHECK(fs_rename(&fs, a, "f2", b, "f") == 0);
    CHECK(look(&fs, b, "f", true) == f && lerr(&fs, a, "f2", true) == -FS_ENOENT);
    CHECK(fs_rename(&fs, b, "f", b, "f") == 0 && look(&fs, b, "f", true) == f);  /* same name */
    CHECK(fs_rename(&fs, a, "nope", b, "x") == -FS_ENOENT);
    CHECK(fs_rename(&fs, a, ".", b, "x") == -FS_EBUSY);
    CHECK(fs_rename(&fs, a, "g", b, "..") == -FS_EBUSY);
    CHECK(fs_rename(&fs, a, "g", g, "x") == -FS_ENOTDIR);
    CHECK(fs_rename(&fs, a, "g", b, "x/y") == -FS_EINVAL);

    /* Replacing a file; the replaced file lives on while open. */
    uint64_t nodes = fs.nodes;
    fs_node_get(f);
    CHECK(fs_rename(&fs, a, "g", b, "f") == 0);
    CHECK(look(&fs, b, "f", true) == g && lerr(&fs, a, "g", true) == -FS_ENOENT);
    CHECK(f->nlink == 0 && read_is(f, 0, "F") && fs.nodes == nodes);
    fs_node_put(&fs, f);
    CHECK(fs.nodes == nodes - 1);

    /* Hard links to the same file: nothing happens. */
    CHECK(fs_link(&fs, g, a, "g2") == 0);
    CHECK(fs_rename(&fs, a, "g2", b, "f") == 0);
    CHECK(look(&fs, a, "g2", true) == g && look(&fs, b, "f", true) == g && g->nlink == 2);

    /* Directories. */
    struct fs_node *d = mkdir_(&fs, a, "d");
    struct fs_node *e = mkdir_(&fs, d, "e");
    mkdir_(&fs, root, "empty");
    struct fs_node *full = mkdir_(&fs, root, "full");
    creat_(&fs, full, "x");
    CHECK(root->nlink == 6 && a->nlink == 3);
    CHECK(fs_rename(&fs, a, "d", e, "d") == -FS_EINVAL);          /* into its subtree */
    CHECK(fs_rename(&fs, a, "d", d, "x") == -FS_EINVAL);          /* into itself */
    CHECK(fs_rename(&fs, root, "a", e, "a") == -FS_EINVAL);
    CHECK(fs_rename(&fs, a, "d", root, "full") == -FS_ENOTEMPTY);
    CHECK(fs_rename(&fs, a, "d", b, "f") == -FS_ENOTDIR);         /* dir over file */
    CHECK(fs_rename(&fs, b, "f", root, "empty") == -FS_EISDIR);   /* file over dir */
    CHECK(fs_rename(&fs, d, "e", a, "e") == 0);                   /* up one level */
    CHECK(d->nlink == 2 && a->nlink == 4 && e->parent == a && look(&fs, e, "..", true) == a);
    CHECK(fs_rename(&fs, a, "e", d, "e") == 0 && d->nlink == 3 && a->nlink == 3);
    struct fs_node *empty = look(&fs, root, "empty", true);
    fs_node_get(empty);
    CHECK(fs_rename(&fs, a, "d", root, "empty") == 0);            /* dir over empty dir */
    CHECK(look(&fs, root, "empty", true) == d && d->parent == root && empty->nlink == 0);
    CHECK(root->nlink == 6 && a->nlink == 2);
    CHECK(look(&fs, root, "empty/e/..", true) == d);
    char buf[64];
    CHECK(fs_path_of(&fs, e, buf, sizeof buf) == 8 && strcmp(buf, "/empty/e") == 0);
    fs_node_put(&fs, empty);
    CHECK(fs_rename(&fs, root, "empty", root, "d2") == 0 && root->nlink == 6);
    CHECK(fs_path_of(&fs, e, buf, sizeof buf) == 5 && strcmp(buf, "/d2/e") == 0);
    /* A symlink is renamed itself. */
    CHECK(fs_symlink(&fs, root, "sl", "d2") == 0);
    CHECK(fs_rename(&fs, root, "sl", a, "sl2") == 0);
    CHECK(fs_is_lnk(look(&fs, a, "sl2", false)) && lerr(&fs, a, "sl2", true) == -FS_ENOENT);
    teardown(&fs);
}

/* ------------------------------------------------------------ getdents */

struct seen {
    char names[4000][32];
    int count[4000];
    int n;
};

static int seen_find(struct seen *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return i;
    return -1;
}

/* Parse one getdents result into s; checks the record format. */
static void parse_dents(struct fs *fs, struct fs_node *dir, const uint8_t *buf, long len, struct seen *s)
{
    long at = 0;
    while (at < len) {
        const uint8_t *r = buf + at;
        uint16_t reclen = rd16(r + 16);
        CHECK(reclen % 8 == 0 && reclen >= 24 && at + reclen <= len);
        const char *name = (const char *)r + 19;
        size_t nl = strlen(name);
        CHECK(19 + nl + 1 <= reclen && 19 + nl + 1 + 8 > reclen);
        struct fs_node *n = look(fs, dir, name, false);
        CHECK(rd64(r) == n->ino);
        uint8_t t = r[18];
        CHECK(t == (fs_is_dir(n) ? FS_DT_DIR : fs_is_lnk(n) ? FS_DT_LNK : FS_DT_REG));
        int i = seen_find(s, name);
        if (i < 0) {
            CHECK(s->n < 4000 && nl < 32);
            i = s->n++;
            strcpy(s->names[i], name);
            s->count[i] = 0;
        }
        s->count[i]++;
        at += reclen;
    }
    CHECK(at == len);
}

static void test_getdents(void)
{
    struct fs fs;
    setup(&fs);
    struct fs *p = &fs;
    struct fs_node *d = mkdir_(p, fs.root, "d");
    static struct seen s;
    uint8_t buf[4096];
    uint64_t pos = 0;

    /* An empty directory: "." and "..". */
    memset(&s, 0, sizeof s);
    long r;
    while ((r = fs_getdents64(d, &pos, buf, sizeof buf)) > 0)
        parse_dents(p, d, buf, r, &s);
    CHECK(r == 0 && s.n == 2 && seen_find(&s, ".") >= 0 && seen_find(&s, "..") >= 0);
    CHECK(fs_getdents64(d, &pos, buf, sizeof buf) == 0);   /* stays at the end */
    pos = 0;
    CHECK(fs_getdents64(d, &pos, buf, 23) == -FS_EINVAL);  /* "." needs 24 */
    CHECK(pos == 0);
    CHECK(fs_getdents64(d, &pos, buf, 24) == 24 && pos == 1);
    CHECK(rd64(buf) == d->ino && rd64(buf + 8) == 1 && buf[18] == FS_DT_DIR && strcmp((char *)buf + 19, ".") == 0);
    CHECK(fs_getdents64(d, &pos, buf, 24) == 24 && rd64(buf) == fs.root->ino && strcmp((char *)buf + 19, "..") == 0);
    CHECK(fs_getdents64(d, &pos, buf, 24) == 0);
    struct fs_node *file = creat_(p, fs.root, "file");
    uint64_t fpos = 0;
    CHECK(fs_getdents64(file, &fpos, buf, sizeof buf) == -FS_ENOTDIR);

    /* 300 entries of many lengths, listed with tiny buffers. */
    char name[64];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "%.*s%d", i % 20, "abcdefghijklmnopqrstuvwxyz", i);
        if (i % 7 == 0)
            mkdir_(p, d, name);
        else if (i % 11 == 0)
            CHECK(fs_symlink(p, d, name, "file") == 0);
        else
            creat_(p, d, name);
    }
    const uint64_t sizes[] = {24, 32, 40, 48, 57, 100, 333};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        memset(&s, 0, sizeof s);
        pos = 0;
        int calls = 0;
        while ((r = fs_getdents64(d, &pos, buf, sizes[k])) != 0) {
            if (r == -FS_EINVAL) {                      /* a long name: grow for one call */
                CHECK(sizes[k] < 48);
                r = fs_getdents64(d, &pos, buf, 48);
            }
            CHECK(r > 0 && (uint64_t)r <= 48 + sizes[k]);
            parse_dents(p, d, buf, r, &s);
            calls++;
        }
        CHECK(s.n == 302 && calls >= 302 * 24 / (int)(sizes[k] + 48));
        for (int i = 0; i < s.n; i++)
            CHECK(s.count[i] == 1);
    }
    CHECK(d->nlink == 2 + 43);

    /* Changes between calls: removed names not yet listed never show,
     * added ones do, nothing repeats, renames in place keep their slot. */
    memset(&s, 0, sizeof s);
    pos = 0;
    int got = 0;
    while (got < 150 && (r = fs_getdents64(d, &pos, buf, 200)) > 0) {
        parse_dents(p, d, buf, r, &s);
        got = s.n;
    }
    int removed_unseen = 0, renamed = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "%.*s%d", i % 20, "abcdefghijklmnopqrstuvwxyz", i);
        if (i % 5 != 1)
            continue;
        if (i % 7 == 0)
            continue;
        bool was_seen = seen_find(&s, name) >= 0;
        if (i % 2) {
            CHECK(fs_unlink(p, d, name) == 0);
            removed_unseen += !was_seen;
        } else {
            char nn[64];
            snprintf(nn, sizeof nn, "R%d", i);
            CHECK(fs_rename(p, d, name, d, nn) == 0);
            renamed += was_seen;
        }
    }
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "new%d", i);
        creat_(p, d, name);
    }
    while ((r = fs_getdents64(d, &pos, buf, 200)) > 0)
        parse_dents(p, d, buf, r, &s);
    CHECK(r == 0);
    for (int i = 0; i < s.n; i++)
        CHECK(s.count[i] == 1);
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "new%d", i);
        CHECK(seen_find(&s, name) >= 0);
    }
    CHECK(removed_unseen > 0 && renamed > 0);
    uint64_t live = d->u.dir.count + 2;
    /* seen = everything live now, minus the renamed ones listed under their
     * old names (their new names sit in already-passed slots), plus the
     * names removed after being listed. */
    int gone = 0;
    for (int i = 0; i < s.n; i++) {
        struct fs_node *n;
        if (fs_lookup(p, d, s.names[i], false, &n))
            gone++;
    }
    CHECK((uint64_t)(s.n - gone) + (uint64_t)renamed == live);
    teardown(&fs);
}

/* ------------------------------------------------------------ getcwd, stat */

static void test_path_of_and_stat(void)
{
    struct fs fs;
    setup(&fs);
    char buf[64];
    CHECK(fs_path_of(&fs, fs.root, buf, sizeof buf) == 1 && strcmp(buf, "/") == 0);
    CHECK(fs_path_of(&fs, fs.root, buf, 1) == -FS_ERANGE);
    CHECK(fs_path_of(&fs, fs.root, buf, 2) == 1);
    struct fs_node *a = mkdir_(&fs, fs.root, "usr");
    struct fs_node *b = mkdir_(&fs, a, "local");
    struct fs_node *c = mkdir_(&fs, b, "bin");
    CHECK(fs_path_of(&fs, c, buf, sizeof buf) == 14 && strcmp(buf, "/usr/local/bin") == 0);
    CHECK(fs_path_of(&fs, c, buf, 14) == -FS_ERANGE);
    CHECK(fs_path_of(&fs, c, buf, 15) == 14 && strcmp(buf, "/usr/local/bin") == 0);
    CHECK(fs_path_of(&fs, a, buf, sizeof buf) == 4 && strcmp(buf, "/usr") == 0);
    struct fs_node *f = creat_(&fs, a, "f");
    CHECK(fs_path_of(&fs, f, buf, sizeof buf) == -FS_ENOTDIR);
    /* A deep tree. */
    struct fs_node *cur = fs.root;
    for (int i = 0; i < 1000; i++)
        cur = mkdir_(&fs, cur, "dd");
    char *big = malloc(4000);
    CHECK(fs_path_of(&fs, cur, big, 4000) == 3000 && big[2997] == '/' && big[3000] == 0);
    CHECK(look(&fs, NULL, big, true) == cur);
    free(big);

    /* stat layout. */
    clock_ns = 12345678901234ull;
    CHECK(fs_write(&fs, f, 8191, "x", 1) == 1);
    f->uid = 7;
    f->gid = 8;
    uint8_t st[FS_STAT_SIZE + 8];
    memset(st, 0xee, sizeof st);
    stat_bytes(f, st);
    CHECK(rd64(st + 8) == f->ino && rd64(st + 16) == 1);
    CHECK(rd32(st + 24) == (FS_S_IFREG | 0644) && rd32(st + 28) == 7 && rd32(st + 32) == 8);
    CHECK(rd64(st + 40) == 0 && rd64(st + 48) == 8192 && rd64(st + 56) == 4096);
    CHECK(rd64(st + 64) == 8);                          /* one block, one hole */
    CHECK(rd64(st + 88) == 12345 && rd64(st + 96) == 678901234);
    CHECK(rd64(st + 104) == 12345 && rd64(st + 112) == 678901234);
    CHECK(all_zero(st + 120, 24) && st[FS_STAT_SIZE] == 0xee);
    stat_bytes(a, st);
    CHECK(rd32(st + 24) == (FS_S_IFDIR | 0755) && rd64(st + 16) == 3);
    clock_ns = 99;
    fs_chmod(&fs, f, 0100600 | 04000);
    CHECK(f->mode == (FS_S_IFREG | 04600) && f->ctime == 99);
    fs_set_times(&fs, f, 1, 2);
    CHECK(f->atime == 1 && f->mtime == 2 && f->ctime == 99);
    CHECK(fs_symlink(&fs, a, "s", "local/bin") == 0);
    stat_bytes(look(&fs, a, "s", false), st);
    CHECK(rd32(st + 24) == (FS_S_IFLNK | 0777) && rd64(st + 48) == 9);
    teardown(&fs);
}

/* ------------------------------------------------------------ failures */

static void test_enomem(void)
{
    struct fs fs;
    heap.budget = 0;
    CHECK(fs_init(&fs, &alloc) == -FS_ENOMEM);
    CHECK(heap.out_bytes == 0);
    setup(&fs);
    struct fs_node *root = fs.root;
    struct fs_node *d = mkdir_(&fs, root, "d");

    /* Every creation, with every budget until it succeeds: the failures
     * leave nothing behind. */
    for (int op = 0; op < 6; op++) {
        int r = 0;
        for (long budget = 0; budget < 10; budget++) {
            uint64_t nodes = fs.nodes;
            long mem = heap.out_bytes;
            uint32_t nlink = d->nlink;
            heap.budget = budget;
            switch (op) {
            case 0: r = fs_create(&fs, d, "c", 0644, NULL); break;
            case 1: r = fs_mkdir(&fs, d, "m", 0755, NULL); break;
            case 2: r = fs_symlink(&fs, d, "s", "target"); break;
            case 3: r = fs_add_external(&fs, d, "x", "abc", 3, 0644); break;
            case 4: r = fs_link(&fs, look(&fs, d, "c", true), root, "hl"); break;
            case 5: r = fs_rename(&fs, d, "c", root, "moved"); break;
            }
            heap.budget = -1;
            if (r == 0)
                break;
            CHECK(r == -FS_ENOMEM && fs.nodes == nodes && heap.out_bytes == mem && d->nlink == nlink);
            CHECK(lerr(&fs, d, "m", true) == -FS_ENOENT || op > 1);
            if (op == 5)
                CHECK(look(&fs, d, "c", true) && lerr(&fs, root, "moved", true) == -FS_ENOENT);
        }
        CHECK(r == 0);
    }
    CHECK(look(&fs, root, "moved", true)->nlink == 2);
    /* Renames that need no memory: replacing, and no-ops. */
    heap.budget = 0;
    CHECK(fs_rename(&fs, root, "moved", root, "hl") == 0);
    CHECK(fs_rename(&fs, d, "m", d, "m") == 0);
    heap.budget = -1;

    /* Writes: before any byte, FS_ENOSPC and nothing changes; after some,
     * a short count. */
    struct fs_node *f = creat_(&fs, root, "f");
    static uint8_t data[5 * FS_BLOCK_SIZE];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i ^ (i >> 8));
    heap.budget = 0;
    CHECK(fs_write(&fs, f, 0, data, sizeof data) == -FS_ENOSPC && f->size == 0);
    heap.budget = 1;                                    /* the array, no block */
    CHECK(fs_write(&fs, f, 0, data, sizeof data) == -FS_ENOSPC && f->size == 0);
    heap.budget = 2;                                    /* two blocks (the array is there) */
    CHECK(fs_write(&fs, f, 0, data, sizeof data) == 2 * FS_BLOCK_SIZE && f->size == 2 * FS_BLOCK_SIZE);
    heap.budget = 1;                                    /* unaligned: tail of block 1, head of 2 */
    CHECK(fs_write(&fs, f, 100, data + 100, sizeof data - 100) == 2 * FS_BLOCK_SIZE - 100 + FS_BLOCK_SIZE);
    CHECK(f->size == 3 * FS_BLOCK_SIZE);
    heap.budget = -1;
    CHECK(fs_write(&fs, f, 0, data, sizeof data) == sizeof data);
    uint8_t back[sizeof data];
    CHECK(fs_read(f, 0, back, sizeof back) == sizeof back && memcmp(back, data, sizeof data) == 0);
    /* Growing the block array fails: the 9th block needs a bigger one. */
    heap.budget = 0;
    CHECK(fs_write(&fs, f, 8 * FS_BLOCK_SIZE, "x", 1) == -FS_ENOSPC && f->size == sizeof data);
    /* Truncate needs no memory, either way. */
    CHECK(fs_truncate(&fs, f, 100 * FS_BLOCK_SIZE) == 0 && fs_truncate(&fs, f, 10) == 0);
    /* External copy-on-write out of memory: the data stays as it was. */
    static const char ext[] = "external bytes";
    heap.budget = -1;
    CHECK(fs_add_external(&fs, root, "e", ext, sizeof ext, 0644) == 0);
    struct fs_node *e = look(&fs, root, "e", true);
    heap.budget = 1;
    CHECK(fs_write(&fs, e, 0, "E", 1) == -FS_ENOSPC);
    heap.budget = -1;
    char eb[32];
    CHECK(fs_read(e, 0, eb, sizeof eb) == sizeof ext && memcmp(eb, ext, sizeof ext) == 0);
    teardown(&fs);
}

/* ------------------------------------------------------------ stress */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_stress(void)
{
    struct fs fs;
    setup(&fs);
    struct fs_node *dirs[4];
    const char *dn[4] = {"s0", "s1", "s2", "s3"};
    for (int i = 0; i < 4; i++)
        dirs[i] = mkdir_(&fs, fs.root, dn[i]);
    long base = heap.out_bytes;
    enum { M = 2000 };
    static int where[M];                /* -1: absent, else dir index */
    static uint64_t fsize[M];
    for (int i = 0; i < M; i++)
        where[i] = -1;
    char name[32];
    int live = 0;
    for (int step = 0; step < 60000; step++) {
        int i = (int)(rnd() % M), op = (int)(rnd() % 4);
        snprintf(name, sizeof name, "file-%d", i);
        if (where[i] < 0) {
            int dd = (int)(rnd() % 4);
            struct fs_node *n;
            CHECK(fs_create(&fs, dirs[dd], name, 0644, &n) == 0);
            uint64_t len = rnd() % 9000;
            uint8_t buf[9000];
            memset(buf, i & 0xff, len);
            CHECK(fs_write(&fs, n, rnd() % 5000, buf, len) >= 0);
            fsize[i] = n->size;
            where[i] = dd;
            live++;
        } else if (op == 0) {
            int dd = (int)(rnd() % 4);
            CHECK(fs_rename(&fs, dirs[where[i]], name, dirs[dd], name) == 0);
            where[i] = dd;
        } else if (op == 1) {
            struct fs_node *n = look(&fs, dirs[where[i]], name, true);
            CHECK(n->size == fsize[i]);
            uint64_t t = rnd() % 12000;
            CHECK(fs_truncate(&fs, n, t) == 0);
            fsize[i] = t;
        } else {
            CHECK(fs_create(&fs, dirs[where[i]], name, 0644, NULL) == -FS_EEXIST);
            CHECK(fs_unlink(&fs, dirs[where[i]], name) == 0);
            where[i] = -1;
            live--;
        }
        if (step % 10000 == 0) {
            uint64_t total = 0;
            for (int k = 0; k < 4; k++)
                total += dirs[k]->u.dir.count;
            CHECK(total == (uint64_t)live && fs.nodes == (uint64_t)live + 5);
        }
    }
    /* Create and delete thousands in one directory. */
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "bulk%d", i);
        CHECK(fs_create(&fs, fs.root, name, 0644, NULL) == 0);
    }
    for (int i = 4999; i >= 0; i -= 2) {
        snprintf(name, sizeof name, "bulk%d", i);
        CHECK(fs_unlink(&fs, fs.root, name) == 0);
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(name, sizeof name, "bulk%d", i);
        CHECK(fs_unlink(&fs, fs.root, name) == 0);
    }
    for (int i = 0; i < M; i++)
        if (where[i] >= 0) {
            snprintf(name, sizeof name, "file-%d", i);
            CHECK(fs_unlink(&fs, dirs[where[i]], name) == 0);
        }
    CHECK(heap.out_bytes == base && fs.nodes == 5 && fs.root->u.dir.count == 4);
    teardown(&fs);
}

int main(void)
{
    test_paths();
    test_symlinks();
    test_lookup_parent();
    test_data();
    test_mapped_blocks();
    test_external();
    test_unlink_open_and_links();
    test_rmdir();
    test_rename();
    test_getdents();
    test_path_of_and_stat();
    test_enomem();
    test_stress();
    CHECK(heap.out_bytes == 0 && heap.out_blocks == 0);
    printf("posix_fs: %d checks passed\n", checks);
    return 0;
}
