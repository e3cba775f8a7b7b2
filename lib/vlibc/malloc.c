/*
 * vlibc's allocator: malloc and friends for native programs that link
 * musl-built libraries (fsd and libext2fs).  Single-threaded.
 *
 * Every block has a 16-byte header before it.  Small blocks (up to
 * VL_SMALL_MAX) come from power-of-two size classes carved out of
 * VL_CHUNK-byte chunks of fresh pages and are kept on one free list per
 * class when freed (never given back: a server's working set).  Larger
 * ones get pages of their own (vn_alloc_pages), unmapped and freed by
 * free().  Aligned allocations (posix_memalign) are large ones whose
 * header records where the pages start.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <vn.h>

#define VL_MIN_SHIFT 4
#define VL_CLASSES   13             /* 16 B .. 64 KiB */
#define VL_SMALL_MAX (1ul << (VL_MIN_SHIFT + VL_CLASSES - 1))
#define VL_CHUNK     (256ul << 10)
#define VL_PAGE      4096ul
#define VL_MAGIC     0x766c6962u

struct vl_hdr {
    uint32_t magic;
    uint32_t cls;                   /* size class, or VL_CLASSES: pages of its own */
    uint64_t size;                  /* small: class size; large: npages << 12 | offset of the block in its pages */
};

_Static_assert(sizeof(struct vl_hdr) == 16, "vl_hdr");

static struct {
    void *free_list[VL_CLASSES];
    uint8_t *chunk;                 /* the chunk being carved */
    size_t chunk_left;
    uint64_t large_pages;           /* held by large blocks */
} vl;

static unsigned vl_class(size_t n)
{
    unsigned c = 0;
    while ((1ul << (VL_MIN_SHIFT + c)) < n)
        c++;
    return c;
}

static void *vl_small(size_t n)
{
    unsigned c = vl_class(n + sizeof(struct vl_hdr));
    size_t sz = 1ul << (VL_MIN_SHIFT + c);
    struct vl_hdr *h = vl.free_list[c];
    if (h) {
        vl.free_list[c] = *(void **)(h + 1);
    } else {
        if (vl.chunk_left < sz) {
            uint8_t *p = vn_alloc_pages(VL_CHUNK / VL_PAGE);
            if (!p)
                return NULL;
            vl.chunk = p;
            vl.chunk_left = VL_CHUNK;
        }
        h = (struct vl_hdr *)vl.chunk;
        vl.chunk += sz;
        vl.chunk_left -= sz;
    }
    *h = (struct vl_hdr){VL_MAGIC, c, sz - sizeof(*h)};
    return h + 1;
}

/* n bytes at an address aligned to align (a power of two, <= a page)
 * on pages of their own. */
static void *vl_large(size_t n, size_t align)
{
    size_t off = align > sizeof(struct vl_hdr) ? align : sizeof(struct vl_hdr);
    if (n > (1ul << 40))
        return NULL;
    uint64_t npages = (off + n + VL_PAGE - 1) / VL_PAGE;
    uint8_t *p = vn_alloc_pages(npages);
    if (!p)
        return NULL;
    vl.large_pages += npages;
    struct vl_hdr *h = (struct vl_hdr *)(p + off) - 1;
    *h = (struct vl_hdr){VL_MAGIC, VL_CLASSES, npages << 12 | off};
    return p + off;
}

static struct vl_hdr *vl_hdr_of(void *p)
{
    struct vl_hdr *h = (struct vl_hdr *)p - 1;
    if (h->magic != VL_MAGIC || h->cls > VL_CLASSES) {
        printf("vlibc: free of a pointer malloc did not give: %p\n", p);
        abort();
    }
    return h;
}

static size_t vl_usable(struct vl_hdr *h)
{
    if (h->cls < VL_CLASSES)
        return h->size;
    return (h->size >> 12) * VL_PAGE - (h->size & 0xfff);
}

void *malloc(size_t n)
{
    void *p = n + sizeof(struct vl_hdr) <= VL_SMALL_MAX ? vl_small(n) : vl_large(n, 0);
    if (!p)
        errno = ENOMEM;
    return p;
}

void free(void *p)
{
    if (!p)
        return;
    struct vl_hdr *h = vl_hdr_of(p);
    if (h->cls < VL_CLASSES) {
        h->magic = 0;
        *(void **)(h + 1) = vl.free_list[h->cls];
        vl.free_list[h->cls] = h;
        return;
    }
    uint64_t npages = h->size >> 12;
    h->magic = 0;
    vl.large_pages -= npages;
    vn_unmap_free((uint64_t)p - (h->size & 0xfff), npages);
}

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    size_t have = vl_usable(vl_hdr_of(p));
    if (n <= have && n >= have / 2)
        return p;
    void *q = malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, n < have ? n : have);
    free(p);
    return q;
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) || align > VL_PAGE)
        return EINVAL;
    void *p = align <= sizeof(struct vl_hdr) ? malloc(n) : vl_large(n, align);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
