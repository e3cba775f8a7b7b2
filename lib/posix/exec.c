/*
 * exec: replace the program in this process, keeping the libOS.  The new
 * image comes from the shared file system (so /bin holds the boot
 * archive's programs, and programs written at run time run too): static
 * ELF executables at their fixed addresses, static-PIE ones at PIE_BASE
 * (they relocate themselves from AT_PHDR), and "#!" scripts through
 * their interpreter.  Everything that can fail is checked before the old
 * image is dropped.  The System V initial stack gets argc, argv, envp and
 * an auxiliary vector with AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ,
 * AT_ENTRY, AT_RANDOM, AT_EXECFN and AT_PLATFORM.
 */
#include <veneer/elf.h>
#include "posix.h"

#define ARG_MAX_BYTES (128 * 1024)
#define VEC_SLOTS 8192              /* pointers in each of the two vectors */
#define SEG_MAX (1ul << 40)         /* largest segment accepted */

static char *argbuf;                /* copies of argv/envp strings */
static char **argvec;               /* [2 spare for "#!" + argv + NULL][envp + NULL] */

/* Copy a NULL-terminated vector of strings into argbuf at *used; a NULL
 * vector is an empty one, as Linux takes it. */
static long copy_vec(char *const *vec, bool user, uint64_t *used, uint64_t *count, char **out, uint64_t max)
{
    if (!vec)
        return 0;
    for (uint64_t i = 0;; i++) {
        if (user && !mm_user_ok(&vec[i], 8, false))
            return -L_EFAULT;
        const char *s = vec ? vec[i] : NULL;
        if (!s)
            return 0;
        if (user && !mm_str_ok(s, ARG_MAX_BYTES))
            return -L_EFAULT;
        uint64_t n = strlen(s) + 1;
        if (*used + n > ARG_MAX_BYTES || *count + 1 >= max)
            return -7;      /* E2BIG */
        memcpy(argbuf + *used, s, n);
        out[(*count)++] = argbuf + *used;
        *used += n;
    }
}

static long read_at(struct fs_node *n, uint64_t off, void *buf, uint64_t len)
{
    shm_lock();
    long r = fs_read(n, off, buf, len);
    shm_unlock();
    return r;
}

/* Check an ELF image; fill its headers.  Errors: -L_ENOEXEC. */
static long check_elf(struct fs_node *n, struct elf64_ehdr *eh, struct elf64_phdr *ph)
{
    if (read_at(n, 0, eh, sizeof(*eh)) != sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) ||
        eh->machine != ELF_EM_X86_64 || (eh->type != ELF_ET_EXEC && eh->type != ELF_ET_DYN) || eh->phnum == 0 ||
        eh->phnum > 32 || eh->phentsize != sizeof(*ph))
        return -L_ENOEXEC;
    if (read_at(n, eh->phoff, ph, eh->phnum * sizeof(*ph)) != (long)(eh->phnum * sizeof(*ph)))
        return -L_ENOEXEC;
    uint64_t base = eh->type == ELF_ET_DYN ? PIE_BASE : 0;
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type == 3)        /* PT_INTERP: dynamically linked */
            return -L_ENOEXEC;
        if (ph[i].type == ELF_PT_LOAD && (ph[i].filesz > ph[i].memsz || ph[i].memsz > SEG_MAX ||
                                          ph[i].vaddr > SEG_MAX * 128 ||
                                          !prog_range(ph[i].vaddr + base, ph[i].memsz + PAGE_SIZE)))
            return -L_ENOEXEC;
    }
    return 0;
}

/* Whether a writable PT_LOAD segment covers the page at va. */
static bool writable_segment_at(const struct elf64_ehdr *eh, const struct elf64_phdr *ph, uint64_t base, uint64_t va)
{
    for (unsigned i = 0; i < eh->phnum; i++)
        if (ph[i].type == ELF_PT_LOAD && (ph[i].flags & ELF_PF_W) && va + PAGE_SIZE > ph[i].vaddr + base &&
            va < ph[i].vaddr + base + ph[i].memsz)
            return true;
    return false;
}

static void reset_fpu(struct vn_xframe *x)
{
    uint8_t *fx = (uint8_t *)x - 512;       /* where vn_upcall_entry saved it */
    memset(fx, 0, 512);
    *(uint16_t *)fx = 0x37f;                /* x87 control word */
    *(uint32_t *)(fx + 24) = 0x1f80;        /* MXCSR */
}

long posix_exec(struct vn_xframe *x, const char *path, char *const *argv, char *const *envp)
{
    bool user = x->trapno == VN_T_SYSCALL;
    if (!argbuf) {
        argbuf = vn_alloc_pages(ARG_MAX_BYTES / PAGE_SIZE);
        argvec = vn_alloc_pages(2 * VEC_SLOTS * 8 / PAGE_SIZE);
        if (!argbuf || !argvec)
            return -L_ENOMEM;
    }
    if (user && !mm_str_ok(path, 4096))
        return -L_EFAULT;
    char pathbuf[256];
    if (strlen(path) >= sizeof(pathbuf))
        return -36;         /* ENAMETOOLONG */
    memcpy(pathbuf, path, strlen(path) + 1);
    if (!strcmp(pathbuf, "/proc/self/exe"))
        memcpy(pathbuf, me.exe, sizeof(me.exe));
    /* Arguments first (they live in the image we are about to drop). */
    uint64_t used = 0, argc = 0, envc = 0;
    /* argv after two spare slots (a "#!" interpreter and its option), with
     * room for its NULL and for a script path when argv is empty; envp in
     * the second half. */
    long r = copy_vec(argv, user, &used, &argc, argvec + 2, VEC_SLOTS - 4);
    if (r < 0)
        return r;
    char **env = argvec + VEC_SLOTS;
    if ((r = copy_vec(envp, user, &used, &envc, env, VEC_SLOTS)) < 0)
        return r;
    char **args = argvec + 2;
    args[argc] = NULL;
    env[envc] = NULL;
    struct fs_node *node;
    struct elf64_ehdr eh;
    struct elf64_phdr ph[32];
    char line[128];
    for (int depth = 0;; depth++) {
        shm_lock();
        r = fs_lookup(&shared->fs, me.cwd, pathbuf, true, &node);
        if (r == 0)
            fs_node_get(node);
        shm_unlock();
        if (r < 0)
            return r;
        if ((node->mode & 0170000) != 0100000 || !(node->mode & 0111)) {
            shm_lock();
            fs_node_put(&shared->fs, node);
            shm_unlock();
            return -L_EACCES;
        }
        long got = read_at(node, 0, line, sizeof(line) - 1);
        if (depth < 1 && got > 2 && line[0] == '#' && line[1] == '!') {
            /* "#!interp [arg]": run interp [arg] path args[1..]. */
            line[got] = 0;
            char *p = line + 2, *end;
            while (*p == ' ' || *p == '\t')
                p++;
            for (end = p; *end && *end != '\n' && *end != ' ' && *end != '\t'; end++)
                ;
            char *opt = NULL;
            if (*end == ' ' || *end == '\t') {
                *end++ = 0;
                while (*end == ' ' || *end == '\t')
                    end++;
                opt = end;
                while (*end && *end != '\n')
                    end++;
                if (opt == end)
                    opt = NULL;
            }
            *end = 0;
            shm_lock();
            fs_node_put(&shared->fs, node);
            shm_unlock();
            uint64_t need = strlen(p) + 1 + (opt ? strlen(opt) + 1 : 0) + strlen(pathbuf) + 1;
            if (used + need > ARG_MAX_BYTES)
                return -7;
            /* args[0] is replaced by the script path; interp (and opt) go before. */
            char *s = argbuf + used;
            memcpy(s, pathbuf, strlen(pathbuf) + 1);
            args[0] = s;
            s += strlen(pathbuf) + 1;
            if (argc == 0)
                args[argc++] = s - strlen(pathbuf) - 1, args[argc] = NULL;
            int pre = opt ? 2 : 1;
            args -= pre;
            argc += (uint64_t)pre;
            memcpy(s, p, strlen(p) + 1);
            args[0] = s;
            s += strlen(p) + 1;
            if (opt) {
                memcpy(s, opt, strlen(opt) + 1);
                args[1] = s;
                s += strlen(opt) + 1;
            }
            used = (uint64_t)(s - argbuf);
            memcpy(pathbuf, p, strlen(p) + 1);
            continue;
        }
        r = check_elf(node, &eh, ph);
        if (r < 0) {
            shm_lock();
            fs_node_put(&shared->fs, node);
            shm_unlock();
            return r;
        }
        break;
    }
    /* Point of no return: the other threads end (the caller takes the
     * pid), then the old image goes. */
    thread_exec_commit();
    mm_clear();
    if (user) {
        fd_close_all(true);
        sig_exec_reset();
    }
    uint64_t base = eh.type == ELF_ET_DYN ? PIE_BASE : 0, end = 0, phdr = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < eh.phnum; i++) {
            if (ph[i].type != ELF_PT_LOAD || ph[i].memsz == 0)
                continue;
            uint64_t lo = (ph[i].vaddr + base) & ~0xffful, hi = (ph[i].vaddr + base + ph[i].memsz + 4095) & ~0xffful;
            if (pass == 0) {
                uint64_t seg = ph[i].vaddr + base;
                /* Read-only pages of an archive file are the archive's own pages:
                 * mapped, not copied.  Others get fresh pages and the file's
                 * bytes (segments may share a page: keep what is there). */
                bool direct = !(ph[i].flags & ELF_PF_W) && ph[i].memsz == ph[i].filesz &&
                              ph[i].offset % PAGE_SIZE == seg % PAGE_SIZE;
                for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
                    if (direct && !mm_mapped(va) && !writable_segment_at(&eh, ph, base, va)) {
                        shm_lock();
                        const uint8_t *ext = fs_external_block(node, ph[i].offset - (seg - va));
                        shm_unlock();
                        uint64_t rel = (uint64_t)ext - ARCHIVE_VA;
                        if (ext && (uint64_t)ext >= ARCHIVE_VA && rel % PAGE_SIZE == 0 &&
                            mm_add_archive(va, rel / PAGE_SIZE, (ph[i].flags & ELF_PF_X) ? PG_X : 0) == 0)
                            continue;
                    }
                    bool existed = mm_mapped(va);
                    if (existed ? mm_privatize(va) < 0 : mm_map_fresh(va, 1, PG_W) < 0)
                        posix_exit(L_SIGKILL);     /* no memory for the new image */
                    uint64_t from = va > seg ? va : seg, to = va + PAGE_SIZE < seg + ph[i].filesz ? va + PAGE_SIZE
                                                                                             : seg + ph[i].filesz;
                    if (from < to)
                        read_at(node, ph[i].offset + (from - seg), (void *)from, to - from);
                    /* A page an earlier segment filled: this one's zero tail. */
                    uint64_t z0 = seg + ph[i].filesz > va ? seg + ph[i].filesz : va;
                    uint64_t z1 = seg + ph[i].memsz < va + PAGE_SIZE ? seg + ph[i].memsz : va + PAGE_SIZE;
                    if (existed && z0 < z1)
                        memset((void *)z0, 0, z1 - z0);
                }
                if (hi > end)
                    end = hi;
                if (ph[i].offset == 0)
                    phdr = ph[i].vaddr + base + eh.phoff;
            } else if (!(ph[i].flags & ELF_PF_W)) {
                for (uint64_t va = lo; va < hi; va += PAGE_SIZE)
                    if (!writable_segment_at(&eh, ph, base, va))
                        sys_mprotect(va, PAGE_SIZE, 1 | ((ph[i].flags & ELF_PF_X) ? 4 : 0));
            }
        }
    }
    for (unsigned i = 0; i < eh.phnum; i++)
        if (ph[i].type == ELF_PT_PHDR)
            phdr = ph[i].vaddr + base;
    shm_lock();
    fs_node_put(&shared->fs, node);
    /* Name it for ps. */
    struct proc *p = me.self;
    const char *name = pathbuf;
    for (const char *c = pathbuf; *c; c++)
        if (*c == '/')
            name = c + 1;
    memset(p->comm, 0, sizeof(p->comm));
    memcpy(p->comm, name, strlen(name) < 15 ? strlen(name) : 15);
    p->cmdline_len = 0;
    for (uint64_t i = 0; i < argc && p->cmdline_len < (int)sizeof(p->cmdline); i++) {
        uint64_t n = strlen(args[i]) + 1, room = sizeof(p->cmdline) - (uint64_t)p->cmdline_len;
        if (n > room)
            n = room;           /* cut short, as ps would show it anyway */
        memcpy(p->cmdline + p->cmdline_len, args[i], n);
        p->cmdline_len += (int)n;
        p->cmdline[p->cmdline_len - 1] = 0;
    }
    shm_unlock();
    memcpy(me.exe, pathbuf, sizeof(me.exe));
    me.brk_start = me.brk_cur = end;
    me.mmap_next = MMAP_BASE;
    /* The stack: strings at the top, then 16 random bytes, then vectors. */
    uint64_t spages = (used + strlen(pathbuf) + (argc + envc + 64) * 8 + 4096) / PAGE_SIZE + 2;
    if (spages < PSTACK_INIT)
        spages = PSTACK_INIT;
    if (mm_map_fresh(PSTACK_TOP - spages * PAGE_SIZE, spages, PG_W) < 0)
        posix_exit(L_SIGKILL);
    char *top = (char *)PSTACK_TOP;
    top -= strlen(pathbuf) + 1;
    memcpy(top, pathbuf, strlen(pathbuf) + 1);
    char *execfn = top;
    top -= 7;
    memcpy(top, "x86_64", 7);
    char *platform = top;
    char *strs = top - used;
    memcpy(strs, argbuf, used);
    uint8_t *random = (uint8_t *)(((uint64_t)strs - 16) & ~15ul);
    for (int i = 0; i < 16; i++) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        random[i] = (uint8_t)(lo ^ (lo >> 8) ^ hi ^ (uint32_t)i * 131);
    }
    uint64_t aux[] = {3, phdr, 4, sizeof(struct elf64_phdr), 5, eh.phnum, 6, PAGE_SIZE, 7, 0, 8, 0,
                      9, eh.entry + base, 11, 0, 12, 0, 13, 0, 14, 0, 16, 0, 17, 100, 23, 0,
                      25, (uint64_t)random, 31, (uint64_t)execfn, 15, (uint64_t)platform, 0, 0};
    uint64_t words = 1 + argc + 1 + envc + 1 + sizeof(aux) / 8;
    uint64_t *sp = (uint64_t *)(((uint64_t)random - words * 8) & ~15ul), *v = sp;
    *v++ = argc;
    for (uint64_t i = 0; i < argc; i++)
        *v++ = (uint64_t)(strs + (args[i] - argbuf));
    *v++ = 0;
    for (uint64_t i = 0; i < envc; i++)
        *v++ = (uint64_t)(strs + (env[i] - argbuf));
    *v++ = 0;
    memcpy(v, aux, sizeof(aux));
    /* A fresh register state at the entry point. */
    memset(&x->r15, 0, (uint64_t)&x->rip - (uint64_t)&x->r15);
    x->rip = eh.entry + base;
    x->rsp = (uint64_t)sp;
    x->rflags = 0x202;
    x->trapno = VN_T_SYSCALL;
    reset_fpu(x);
    __asm__ volatile("wrfsbase %0" : : "r"(0ul));
    return 0;
}
