/*
 * Writable shared mappings of files in memory (MAP_SHARED with
 * PROT_WRITE on an OFD_FILE).  The mapping is the process's own pages,
 * filled from the file at mmap, as for a private one, but marked
 * PG_SHARED, so a forked child shares them and each sees the other's
 * writes at once.  The process records each such mapping (file node,
 * offset, range) in its private state, and the pages' bytes go back to
 * the file at msync, at munmap of any part, and when the image goes
 * (exit, execve: mm_clear).  Only the file's existing bytes are written:
 * a mapping never extends the file, as on Linux.  Between two processes
 * that each mapped the file themselves, a write is seen once it is
 * written back (msync) and the other maps again or reads the file; the
 * pages are not a cache the file's readers share.  A record does not
 * follow mremap (the moved pages are no longer written back).
 */
#include "posix.h"

/* Write back the mapped pages of m that lie in [va, va + len); lock held. */
static void fmap_write_back(struct fmap *m, uint64_t va, uint64_t len)
{
    uint64_t lo = va > m->va ? va : m->va, hi = va + len < m->va + m->len ? va + len : m->va + m->len;
    for (uint64_t p = lo & ~0xffful; p < hi; p += PAGE_SIZE) {
        int fl = mm_page_flags(p);
        if (fl < 0 || (fl & PG_NONE))
            continue;                       /* unmapped or PROT_NONE: nothing to read */
        uint64_t off = m->off + (p - m->va), size = m->node->size;
        if (off >= size)
            break;
        uint64_t n = size - off < PAGE_SIZE ? size - off : PAGE_SIZE;
        fs_write(&shared->fs, m->node, off, (const void *)p, n);
    }
}

/* Record a shared writable mapping of n at off over [va, va + len).
 * Errors: -L_ENOMEM (FMAP_MAX of them already). */
long fmap_add(uint64_t va, uint64_t len, struct fs_node *n, uint64_t off)
{
    for (int i = 0; i < FMAP_MAX; i++) {
        struct fmap *m = &me.fmaps[i];
        if (!m->node) {
            shm_lock();
            fs_node_get(n);
            shm_unlock();
            *m = (struct fmap){va, len, off, n};
            return 0;
        }
    }
    return -L_ENOMEM;
}

/* msync's work: write back what the records hold in [va, va + len). */
void fmap_sync(uint64_t va, uint64_t len)
{
    shm_lock();
    for (int i = 0; i < FMAP_MAX; i++) {
        struct fmap *m = &me.fmaps[i];
        if (m->node && va < m->va + m->len && m->va < va + len)
            fmap_write_back(m, va, len);
    }
    shm_unlock();
}

/* munmap of [va, va + len), before the pages go: write the overlap back,
 * and drop or trim the records it covers (a hole in the middle keeps the
 * record; its missing pages are skipped). */
void fmap_unmap(uint64_t va, uint64_t len)
{
    shm_lock();
    for (int i = 0; i < FMAP_MAX; i++) {
        struct fmap *m = &me.fmaps[i];
        if (!m->node || va >= m->va + m->len || m->va >= va + len)
            continue;
        fmap_write_back(m, va, len);
        uint64_t end = m->va + m->len;
        if (va <= m->va && va + len >= end) {
            fs_node_put(&shared->fs, m->node);
            m->node = NULL;
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

/* The image goes (exit, execve): write every record back and drop it. */
void fmap_clear(void)
{
    for (int i = 0; i < FMAP_MAX; i++)
        if (me.fmaps[i].node)
            fmap_unmap(me.fmaps[i].va, me.fmaps[i].len);
}

/* A forked child got copies of the records: count its node references. */
void fmap_fork_refs(void)
{
    for (int i = 0; i < FMAP_MAX; i++)
        if (me.fmaps[i].node)
            fs_node_get(me.fmaps[i].node);
}

#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4

/* msync(addr, len, flags): writes back the shared file mappings in the
 * range (MS_SYNC and MS_ASYNC alike: the file is memory).  Errors:
 * EINVAL (addr unaligned, unknown flags, both MS_SYNC and MS_ASYNC),
 * ENOMEM (a page of the range is not mapped). */
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
    fmap_sync(addr, n * PAGE_SIZE);
    return 0;
}
