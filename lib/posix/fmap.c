/*
 * Shared mappings of files in memory (MAP_SHARED on an OFD_FILE).
 *
 * A memory file's data is FS_BLOCK_SIZE (one page) blocks in the arena,
 * which every process of the instance maps; a shared mapping maps those
 * very pages at the program's address (PG_ARENA: the registry holds the
 * arena page, mapped through the arena's capabilities).  So a mapping is
 * coherent at once with read and write on the file and with every other
 * process's mapping of it, as on Linux, and msync has nothing to do.
 *
 *     program va ─┐                 arena (every process)
 *                 ├─> page p of ──> block of file node
 *     other's va ─┘   shm_caps        <── read/write copy here
 *
 * A hole or a block of external bytes (a file from the boot archive)
 * becomes a block of its own when mapped; an external block of a file
 * opened read-only is mapped straight from the archive (read-only).
 * Pages past the end of the file (rounded up to a page) are private zero
 * pages: Linux would raise SIGBUS there, and a file grown later is not
 * seen through them.
 *
 * Each mapping is a record in the process's private state (range, file
 * offset, a node reference) and counts in the node's u.file.maps, so that
 * a truncate zeroes the blocks it would free while any process maps them
 * (a freed block would become some other arena object under a live
 * mapping).  Records are dropped at munmap (trimmed for a part) and when
 * the image goes (exit, execve); a forked child gets copies and counts
 * them.  A record does not follow mremap: the moved pages stay valid
 * (their blocks stay while the record does, until exit at the latest).
 */
#include "posix.h"

#define L_PROT_WRITE 2
#define L_PROT_EXEC  4

/* A record for [va, va + len) of n at off (the lock is held).
 * Errors: -L_ENOMEM (FMAP_MAX records already). */
static struct fmap *record_add(uint64_t va, uint64_t len, struct fs_node *n, uint64_t off, bool writable)
{
    for (int i = 0; i < FMAP_MAX; i++) {
        struct fmap *m = &me.fmaps[i];
        if (!m->node) {
            fs_node_get(n);
            n->u.file.maps++;
            *m = (struct fmap){va, len, off, n, writable};
            return m;
        }
    }
    return NULL;
}

/* Drop record m (the lock is held). */
static void record_drop(struct fmap *m)
{
    m->node->u.file.maps--;
    fs_node_put(&shared->fs, m->node);
    m->node = NULL;
}

long fmap_map(uint64_t va, uint64_t npages, struct fs_node *n, uint64_t off, int prot, bool writable)
{
    if ((prot & L_PROT_WRITE) && !writable)
        return -L_EACCES;
    unsigned fl = PG_SHARED | ((prot & L_PROT_WRITE) ? PG_W : 0) | ((prot & L_PROT_EXEC) ? PG_X : 0) |
                  (prot ? 0 : PG_NONE);
    shm_lock();
    struct fmap *m = record_add(va, npages * PAGE_SIZE, n, off, writable);
    long r = m ? 0 : -L_ENOMEM;
    uint64_t i;
    for (i = 0; r == 0 && i < npages; i++) {
        uint64_t at = va + i * PAGE_SIZE, foff = off + i * PAGE_SIZE;
        const uint8_t *ext = writable ? NULL : fs_external_block(n, foff);
        uint8_t *b = ext ? NULL : fs_block_for_map(&shared->fs, n, foff);
        if (ext && (uint64_t)ext >= ARCHIVE_VA && ((uint64_t)ext - ARCHIVE_VA) % PAGE_SIZE == 0)
            r = mm_add_archive(at, ((uint64_t)ext - ARCHIVE_VA) / PAGE_SIZE, fl & ~PG_SHARED);
        else if (b)
            r = mm_add(at, (capref_t)(((uint64_t)b - SHM_BASE) / PAGE_SIZE), fl | PG_ARENA, true);
        else if (foff < (n->size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE)
            r = -L_ENOMEM;                              /* inside the file, but no block */
        else
            r = mm_map_fresh(at, 1, fl & ~PG_NONE);     /* past the end */
        if (r < 0)
            r = -L_ENOMEM;
    }
    if (r < 0) {
        if (m)
            record_drop(m);
        shm_unlock();
        mm_unmap(va, i);
        return r;
    }
    shm_unlock();
    if (prot == 0)
        for (i = 0; i < npages; i++)
            if (mm_page_flags(va + i * PAGE_SIZE) >= 0 && !(mm_page_flags(va + i * PAGE_SIZE) & PG_NONE))
                sys_mprotect(va + i * PAGE_SIZE, PAGE_SIZE, 0);     /* a past-the-end page, too */
    return 0;
}

bool fmap_may_write(uint64_t va, uint64_t len)
{
    for (int i = 0; i < FMAP_MAX; i++) {
        const struct fmap *m = &me.fmaps[i];
        if (m->node && !m->writable && va < m->va + m->len && m->va < va + len)
            return false;
    }
    return true;
}

/* munmap of [va, va + len), before the pages go: drop or trim the records
 * it covers (a hole in the middle keeps the record). */
void fmap_unmap(uint64_t va, uint64_t len)
{
    shm_lock();
    for (int i = 0; i < FMAP_MAX; i++) {
        struct fmap *m = &me.fmaps[i];
        if (!m->node || va >= m->va + m->len || m->va >= va + len)
            continue;
        uint64_t end = m->va + m->len;
        if (va <= m->va && va + len >= end) {
            record_drop(m);
        } else if (va <= m->va) {
            m->off += va + len - m->va;
            m->len = end - (va + len);
            m->va = va + len;
        } else if (va + len >= end) {
            m->len = va - m->va;
        }
    }
    shm_unlock();
}

/* The image goes (exit, execve): drop every record. */
void fmap_clear(void)
{
    for (int i = 0; i < FMAP_MAX; i++)
        if (me.fmaps[i].node)
            fmap_unmap(me.fmaps[i].va, me.fmaps[i].len);
}

/* A forked child got copies of the records: count them (the lock is held). */
void fmap_fork_refs(void)
{
    for (int i = 0; i < FMAP_MAX; i++)
        if (me.fmaps[i].node) {
            fs_node_get(me.fmaps[i].node);
            me.fmaps[i].node->u.file.maps++;
        }
}

#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4

/* msync(addr, len, flags): the mappings are the file's own pages, so
 * there is nothing to write; the arguments are checked as Linux does.
 * Errors: EINVAL (addr unaligned, unknown flags, both MS_SYNC and
 * MS_ASYNC), ENOMEM (a page of the range is not mapped). */
long sys_msync(uint64_t addr, uint64_t len, int flags)
{
    if (addr % PAGE_SIZE || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -L_EINVAL;
    uint64_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    if (!prog_range(addr, n * PAGE_SIZE))
        return -L_ENOMEM;
    for (uint64_t i = 0; i < n; i++)
        if (mm_page_flags(addr + i * PAGE_SIZE) < 0)
            return -L_ENOMEM;
    return 0;
}
