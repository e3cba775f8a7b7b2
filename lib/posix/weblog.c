/*
 * Two owners on one disk, by the instance's boot config.  With
 * `weblog=BLOCK,COUNT,FLAGS` on the command line, the instance's init
 * (which holds each namespace's root extent as the first boot
 * environment) partitions namespace 1 by extents:
 *
 *   namespace 1 (root extent, init's)
 *   [0, BLOCK)                 -> fsd: the instance's ext4 root (made
 *                                 smaller than the namespace: tools/mkdisk.sh)
 *   [BLOCK, BLOCK + COUNT)     -> the native web server (user/httpd.c), a
 *                                 second libOS: its access log
 *   the rest                   -> nobody
 *
 * and starts the web server as its child with the NIC (instead of netd:
 * the instance then has no sockets) and the log extent, httpd's arg0 =
 * FLAGS | its "started by another libOS" bit.  Each owner holds only its
 * extent (CR_READ | CR_WRITE, no CR_GRANT): the kernel refuses either's
 * requests outside it (with blk=user the extents are blkd's badges and
 * blkd refuses them the same way).  The layout is this policy, not the
 * kernel's.
 * Without weblog=, fsd gets the whole namespace and netd the NIC.
 */
#include "posix.h"

#include <blk_home.h>

#define WEBLOG_QUOTA 8192               /* pages: lwIP's pools and heap, the log's queue */
#define HTTPD_CHILD  0x10               /* httpd's arg0 bit: started by another libOS (user/httpd.c) */

static capref_t fs_ext = -1;            /* the extent fsd gets, once split */

/* The value of key= on the command line, split at commas into v[0..n). */
static int cmdline_u64s(const char *key, uint64_t *v, int n)
{
    const volatile char *c = vn_sysinfo->cmdline;
    size_t kl = strlen(key);
    for (size_t i = 0; c[i]; i++) {
        if (i > 0 && c[i - 1] != ' ')
            continue;
        size_t j = 0;
        while (j < kl && c[i + j] == key[j])
            j++;
        if (j < kl || c[i + j] != '=')
            continue;
        int k = 0;
        for (i += j + 1; k < n; k++) {
            v[k] = 0;
            bool digits = false;
            for (; c[i] >= '0' && c[i] <= '9'; i++, digits = true)
                v[k] = v[k] * 10 + (uint64_t)(c[i] - '0');
            if (!digits)
                return k;
            if (c[i] != ',')
                return k + 1;
            i++;
        }
        return k;
    }
    return 0;
}

/* Contract in posix.h. */
capref_t weblog_fs_extent(void)
{
    return fs_ext >= 0 ? fs_ext : vn_sysinfo->nblk >= 1 ? (capref_t)vn_sysinfo->blk_cap : -1;
}

/* Contract in posix.h. */
bool weblog_start(void)
{
    uint64_t v[3];
    if (cmdline_u64s("weblog", v, 3) != 3)
        return false;
    capref_t root = (capref_t)vn_sysinfo->blk_cap, nic = (capref_t)vn_envinfo->net_cap, ep;
    struct vn_blkinfo bi = {0};
    uint64_t size;
    const uint8_t *image = vn_archive_find("httpd", &size);
    /* The kernel's root extent, or with blk=user the whole namespace
     * through blkd: the split is the same policy in either home. */
    bool kernel = vn_sysinfo->nblk >= 1 && root >= 0 && vn_blk_info(root, &bi) == 0;
    long blocks = kernel ? (long)bi.count : nic < 0 || !image ? -E_NOENT : disk_blkd_blocks(0);
    if (blocks < 0 || nic < 0 || !image || size < 64 || v[0] == 0 || v[1] < 2 || v[0] > (uint64_t)blocks ||
        v[1] > (uint64_t)blocks - v[0]) {
        printf("posix: weblog=%lu,%lu: needs a disk of more blocks, a NIC and httpd; not split\n",
               (unsigned long)v[0], (unsigned long)v[1]);
        return false;
    }
    long fx = kernel ? vn_blk_derive(root, 0, v[0], CR_READ | CR_WRITE | CR_GRANT) : disk_blkd_extent(0, 0, v[0]);
    long lx = fx < 0 ? fx
              : kernel ? vn_blk_derive(root, v[0], v[1], CR_READ | CR_WRITE | CR_GRANT)
                       : disk_blkd_extent(0, v[0], v[1]);
    if (lx >= 0 && blk_home_info((capref_t)lx, &ep, &bi) != 0)
        bi.nsid = 0;
    /* The archive in slot 1 as for a boot environment (its www/ files). */
    capref_t env = lx < 0 ? (capref_t)lx
                          : vn_spawn_share_stopped("httpd", WEBLOG_QUOTA, 0, 0, VN_CAP_ARCHIVE, CR_READ | CR_MAP, 0);
    long lg = env < 0 ? env : vn_cap_grant((capref_t)lx, env, CR_READ | CR_WRITE);
    long ng = lg < 0 ? lg : vn_cap_grant(nic, env, CR_READ | CR_WRITE);
    uint64_t entry;
    memcpy(&entry, image + 24, 8);              /* the ELF header's e_entry */
    struct vn_regs regs = {.rip = entry, .rsp = USER_STACK_TOP, .rdi = v[2] | HTTPD_CHILD, .rdx = (uint64_t)lg,
                           .rcx = (uint64_t)ng};
    if (ng < 0 || vn_env_set_regs(env, &regs) < 0 || vn_env_start(env) < 0) {
        printf("posix: weblog: cannot start the web server (%s): not split\n", vn_strerror(ng < 0 ? ng : -E_INVAL));
        if (env >= 0)
            vn_cap_delete(env);
        if (lx >= 0)
            vn_cap_delete((capref_t)lx);
        if (fx >= 0)
            vn_cap_delete((capref_t)fx);
        return false;
    }
    /* httpd is init's child in the kernel's hierarchy: it ends with the instance. */
    fs_ext = (capref_t)fx;
    printf("posix: weblog: namespace %u split: ext4 on blocks [0, %lu) (fsd), the web server's log on "
           "[%lu, %lu) (httpd, with the NIC)\n", bi.nsid, (unsigned long)v[0], (unsigned long)v[0],
           (unsigned long)(v[0] + v[1]));
    return true;
}
