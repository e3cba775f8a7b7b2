/*
 * Cooperative sequences of the syscall fuzzer.  user/fuzz.c includes this
 * once, before its argument generators (declared below).  Independent
 * random calls almost never build the states kernel bugs live in: a caller
 * queued behind a busy server, a sleeper that is woken and then signalled,
 * an environment killed inside a wait while its vCPU runs on another CPU, a
 * slot reused while others still point at the old occupant.  So the
 * workers cooperate:
 *
 *   - the driver shares a board page with all of them and grants every
 *     worker capabilities to its peers (PEER_RIGHTS: all but CR_GRANT),
 *     to their IPC entries and to NNOTIFY shared notification words;
 *   - each worker runs up to NVCPU vCPUs (its own code, its address space)
 *     that mostly wait: queued behind or awaiting the reply of a peer, in
 *     ipc_recv, notify_wait, env_wait (with and without timeout and
 *     predicate), or spin so that they run on another CPU;
 *   - workers serve calls, call peers, and poke whoever may be waiting:
 *     env_wake, env_destroy, deletion of a vCPU's root, cap_revoke,
 *     env_set_quota below what it holds (repossession), notify_signal; and
 *     then create environments until one lands in the slot of the one they
 *     killed, while others still hold capabilities and queue entries to it;
 *   - now and then the driver has everybody rest a few ms, and may lower
 *     one worker's quota meanwhile: it naps in env_wait while one of its
 *     vCPUs keeps running, on an otherwise idle machine.
 *
 * Oracles here: every IPC message carries a magic word and declares the
 * capability it transfers, so a receiver notices a call nobody made or a
 * capability to an environment it was never given; waits must return what
 * their row of syscalls.tbl allows.  A failure prints "fuzz: FAIL ..." and
 * raises board->fail, which the driver turns into a failed run.
 */

/* Who makes the calls: the worker, or one of its vCPUs (own rng, own table). */
struct actor {
    uint64_t rng;
    int32_t id;                         /* envid */
    uint32_t seq;
    const char *who;
    const char *last;                   /* its previous wait, and what that returned */
    long last_r;
};

/* Remember a wait's outcome: failures print the one before. */
static long noted(struct actor *a, const char *what, long r)
{
    a->last = what;
    a->last_r = r;
    return r;
}

static uint64_t arnd(struct actor *a)
{
    a->rng ^= a->rng >> 12;
    a->rng ^= a->rng << 25;
    a->rng ^= a->rng >> 27;
    return a->rng * 0x2545f4914f6cdd1dul;
}

static struct actor me;                 /* this environment (worker or driver) */

/* From fuzz.c: the worker's generators. */
static uint64_t rnd(void);
static uint64_t pick(const uint64_t *v, unsigned n);
static capref_t arg_cap(void);
static void remember(capref_t c);

#define NW FUZZ_WORKERS
#define NNOTIFY 4               /* shared notification words (driver's roots) */
#define NWORDS 8                /* shared env_wait predicate words */
#define NVCPU 2                 /* vCPUs per worker */
#define NDEV 6                  /* device capabilities per worker */
#define VSTACK_PAGES 4
#define CHURN_SLOTS 1024        /* the fuzzing kernel's NENV (kernel/env.h): the slots in use */
#define CALL_MAGIC  0xca11000000000000ul
#define REPLY_MAGIC 0x7e91000000000000ul
#define MAGIC_MASK  0xffff000000000000ul
#define SCRIBBLE    0x0b0f0b0f00000000ul  /* | writer's envid; ud2s: a child that runs it dies */
#define PEER_RIGHTS (CR_READ | CR_WRITE | CR_MAP | CR_CONTROL | CR_UPCALL | CR_WAKE | CR_RUN)

/* Families of sequences; fuzz_skip=a,b on the kernel command line turns
 * some off (to look past a bug that is found first, or to bisect). */
enum { F_RANDOM, F_UVPT, F_IPC, F_NOTIFY, F_SLEEP, F_WAKE, F_SIGNAL, F_KILL, F_QUOTA, F_REVOKE, F_VCPU, F_CHURN,
       F_HUGE, F_PROTECT, F_QUIET, F_RESULTS, F_DEVICE, F_NET, F_BLK, F_COUNT };
static const char *const family_names[F_COUNT] = {
    "random",   /* independent random calls and the old create/map/destroy sequences */
    "uvpt",     /* pointers at, around and into the named regions */
    "ipc",      /* serving, calling peers, queueing behind them */
    "notify",   /* waiting on and signalling the shared notification words */
    "sleep",    /* env_wait with and without timeout and predicate; naps when asked for pages */
    "wake",     /* env_wake, yield_to and env_wake_word on whoever may be waiting (but nap's) */
    "signal",   /* notify_signal on whoever may be waiting */
    "kill",     /* env_destroy and root deletion of waiting vCPUs and peers */
    "quota",    /* env_set_quota below what a vCPU or peer holds */
    "revoke",   /* cap_revoke of vCPU roots, CAP_SELF, the worker's notification */
    "vcpu",     /* starting vCPUs */
    "churn",    /* reusing the slot of an environment just killed */
    "huge",     /* page_unmap/page_protect of up to 2^24 pages and more, long cons_write */
    "protect",  /* page_protect of a page another environment mapped read-only */
    "quiet",    /* now and then everybody rests a few ms (but a worker the driver asks for pages back) */
    "results",  /* the oracle: results a syscalls.tbl row does not allow */
    "device",   /* device capabilities: registers, config writes, DMA mappings, interrupts, resets */
    "net",      /* packet filters (random and valid programs, rings) and frames sent through them */
    "blk",      /* extents derived, request queues opened, requests (mostly valid) through them */
};
static unsigned skip_mask;

static bool on(unsigned family)
{
    return !(skip_mask & (1u << family));
}

static void parse_skip(void)
{
    const volatile char *c = vn_sysinfo->cmdline;
    for (unsigned i = 0; c[i]; i++) {
        if (memcmp((const char *)&c[i], "fuzz_skip=", 10) != 0 || (i && c[i - 1] != ' '))
            continue;
        for (unsigned p = i + 10; c[p] && c[p] != ' ';) {
            unsigned n = 0;
            while (c[p + n] && c[p + n] != ' ' && c[p + n] != ',')
                n++;
            for (unsigned f = 0; f < F_COUNT; f++)
                if (strlen(family_names[f]) == n && memcmp((const char *)&c[p], family_names[f], n) == 0)
                    skip_mask |= 1u << f;
            p += n + (c[p + n] == ',');
        }
    }
}

/* ------------------------------------------------------------ the board */

#define FAIL_MAGIC 0xfa11ed42u  /* a stray write into the board is not a failure */

struct board {
    volatile uint64_t progress[NW];     /* loop iterations of worker i */
    volatile int32_t id[NW];            /* envid of worker i */
    volatile uint32_t fail;             /* FAIL_MAGIC: an oracle failed, the run fails */
    char fail_msg[160];
    volatile uint64_t word[NWORDS];     /* predicate words everybody flips */
    volatile uint64_t quiet;            /* the driver asks everybody to rest */
    struct {                            /* caprefs in worker i's table */
        volatile capref_t env[NW];      /* worker j, PEER_RIGHTS (from the driver) */
        volatile capref_t ep[NW];       /* worker j's entry, CR_WRITE | CR_GRANT (from the driver) */
        volatile capref_t vep[NW][NVCPU];   /* worker j's vCPU k's entry, CR_WRITE (from j) */
        volatile capref_t venv[NW][NVCPU];  /* worker j's vCPU k, CR_WRITE | CR_WAKE | CR_RUN (from j) */
        volatile capref_t notify[NNOTIFY];  /* CR_READ | CR_WRITE | CR_GRANT (from the driver) */
        volatile capref_t dev[NDEV];        /* the machine's devices, CR_ALL (from the driver), or -1 */
        volatile capref_t nic;              /* the NIC, CR_ALL but control (from the driver), or -1 */
        volatile capref_t blk;              /* the first disk's root extent, read/write/grant, or -1 */
    } caps[NW];
};

_Static_assert(sizeof(struct board) <= PAGE_SIZE, "the board is one page");

static struct board *board;
static unsigned widx;                   /* this worker's index on the board */

static void fuzz_fail(struct actor *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fuzz_fail(struct actor *a, const char *fmt, ...)
{
    char msg[200], line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof(line), "fuzz: FAIL %s %x: %s (its previous wait: %s, returned %ld)\n",
                     a->who, a->id, msg, a->last ? a->last : "none", a->last_r);
    vn_cons_write(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    memcpy(board->fail_msg, line, sizeof(board->fail_msg) - 1);
    __atomic_store_n(&board->fail, FAIL_MAGIC, __ATOMIC_SEQ_CST);
}

/* How long to wait: forever now and then, often very briefly (a timeout
 * that fires while others act on the sleeper), sometimes for a while. */
static uint64_t wait_ns(struct actor *a)
{
    switch (arnd(a) % 8) {
    case 0: return 0;
    case 1: case 2: return 1 + arnd(a) % 2000;
    case 3: case 4: return 10000 + arnd(a) % 1000000;
    default: return 1000000 + arnd(a) % 40000000;
    }
}

static void spin(struct actor *a, volatile uint64_t *counter)
{
    for (uint64_t n = arnd(a) % 300000; n; n--)
        (*counter)++;
}

/* ------------------------------------------------------------ IPC with declarations */

/* What a capability is, as one word: type << 32 | envid (env caps). */
static uint64_t cap_word(capref_t c)
{
    struct vn_capinfo ci;
    if (c < 0 || vn_cap_info(c, &ci) < 0)
        return 0;
    return (uint64_t)ci.type << 32 | (ci.type == CAP_ENV ? (uint32_t)ci.object : 0);
}

/* ipc_call with the fuzzer's words: magic, caller, what xfer is. */
static long fz_call(struct actor *a, capref_t ep, capref_t xfer)
{
    uint64_t in[4] = {CALL_MAGIC | a->seq++, (uint32_t)a->id, cap_word(xfer), arnd(a)};
    struct vn_msg out;
    long r = vn_call(ep, in, xfer, &out);
    if (r == 0 && (out.w[0] & MAGIC_MASK) != REPLY_MAGIC)
        fuzz_fail(a, "ipc_call on %x returned 0 without a reply (words %lx %lx %lx %lx)", ep, out.w[0], out.w[1],
                  out.w[2], out.w[3]);
    else if (r > 0 && r != VN_WAKE_NOTIFY && on(F_RESULTS))
        fuzz_fail(a, "ipc_call on %x returned %ld", ep, r);
    return noted(a, "ipc_call", r);
}

/* A received call must be one somebody made, with what it declared. */
static void check_call(struct actor *a, const struct vn_msg *m)
{
    struct vn_capinfo ci = {0};
    bool have = m->cap >= 0 && vn_cap_info(m->cap, &ci) == 0;
    if ((m->w[0] & MAGIC_MASK) != CALL_MAGIC)
        fuzz_fail(a, "ipc_recv delivered a call nobody made (words %lx %lx %lx %lx) with capability %d: type %u, "
                  "object %lx, rights %x", m->w[0], m->w[1], m->w[2], m->w[3], m->cap, ci.type, ci.object, ci.rights);
    else if (have && ((uint64_t)ci.type << 32 | (ci.type == CAP_ENV ? (uint32_t)ci.object : 0)) != m->w[2])
        /* (from the one look: a second could find it revoked meanwhile) */
        fuzz_fail(a, "ipc_recv gave me capability %d (type %u, object %lx, rights %x) from caller %lx, which "
                  "declared %lx", m->cap, ci.type, ci.object, ci.rights, m->w[1], m->w[2]);
}

/* ipc_recv (num SYS_ipc_recv) or ipc_reply_recv (answering with our own
 * magic); returns the result and leaves a received capability in *got. */
static long fz_recv(struct actor *a, long num, uint64_t timeout, capref_t *got)
{
    uint64_t rep[4] = {REPLY_MAGIC | a->seq++, (uint32_t)a->id, 0, arnd(a)};
    struct vn_msg in;
    long r = vn_ipc_wait(num, rep, timeout, &in);
    *got = -1;
    if (r == 0) {
        check_call(a, &in);
        *got = in.cap;
    } else if (r > 0 && r != VN_WAKE_NOTIFY && on(F_RESULTS)) {
        fuzz_fail(a, "%s returned %ld", num == SYS_ipc_recv ? "ipc_recv" : "ipc_reply_recv", r);
    }
    return noted(a, num == SYS_ipc_recv ? "ipc_recv" : "ipc_reply_recv", r);
}

static long fz_reply(struct actor *a)
{
    return vn_ipc_reply(REPLY_MAGIC | a->seq++, (uint32_t)a->id, 0, arnd(a));
}

/* ------------------------------------------------------------ waits */

static long fz_sleep(struct actor *a, volatile uint64_t *word)
{
    unsigned op = arnd(a) % 3;          /* VN_WAIT_NONE, _EQ, _NE */
    uint64_t t = wait_ns(a), v = *word ^ (arnd(a) % 2);
    if (op == VN_WAIT_NONE && t == 0 && arnd(a) % (a == &me ? 16 : 4))
        t = 1000000;                    /* forever, only sometimes (workers are replaced when stuck) */
    long r = vn_env_wait(t, (const uint64_t *)word, v, op);
    if (r != VN_WAKE_TIMEOUT && r != VN_WAKE_PREDICATE && r != VN_WAKE_NOTIFY && r != -E_INVAL && r != -E_FAULT &&
        on(F_RESULTS))
        fuzz_fail(a, "env_wait(%lu, %p, %lx, %u) returned %ld, which its syscalls.tbl row does not allow", t,
                  (void *)word, v, op, r);
    return noted(a, "env_wait", r);
}

static long fz_notify_wait(struct actor *a, capref_t n)
{
    long r = vn_notify_wait(n, wait_ns(a));
    if (r < 0 && r != -E_BADCAP && r != -E_TYPE && r != -E_PERM && r != -E_BUSY && r != -E_TIMEOUT && r != -E_DEAD &&
        on(F_RESULTS))
        fuzz_fail(a, "notify_wait(%x) returned %ld, which its syscalls.tbl row does not allow", n, r);
    return noted(a, "notify_wait", r);
}

static void flip_word(struct actor *a)
{
    volatile uint64_t *w = &board->word[arnd(a) % NWORDS];
    *w += 1 + arnd(a) % 2;
    if (arnd(a) % 2 && on(F_WAKE))
        vn_env_wake_word((const uint64_t *)w);
}

/* ------------------------------------------------------------ vCPUs */

struct vcpu {
    struct actor a;
    capref_t root;                      /* in the worker's table; 0: slot free */
    bool destroyed;                     /* env_destroy'd: root kept until it is gone */
    uint64_t free_at;                   /* clock: when the slot may be reused */
    volatile capref_t ep[NW];           /* in the vCPU's table */
    volatile capref_t notify[NNOTIFY + 1];  /* the shared words, then the worker's own */
    volatile uint64_t word;             /* a predicate word in the worker's memory */
    volatile uint64_t loops;
    uint64_t stack;
};

static struct vcpu *vcpus;              /* NVCPU of them, in a page of the worker */
static capref_t own_note = -1;          /* a notification root of the worker's */

__attribute__((force_align_arg_pointer, noreturn)) static void vcpu_main(struct vcpu *v)
{
    struct actor *a = &v->a;
    capref_t target = -1, got;
    int sticky = 0;
    for (;;) {
        v->loops++;
        /* One vCPU of a worker asked for pages back keeps running, on
         * another CPU, while the worker naps in env_wait; the others rest
         * when everybody does. */
        if (vn_envinfo->revoke_request && v == &vcpus[0] && on(F_SLEEP)) {
            spin(a, &v->loops);
            continue;
        }
        if (board->quiet) {
            vn_env_wait(20000000, (const uint64_t *)&board->quiet, 0, VN_WAIT_EQ);
            continue;
        }
        unsigned op = arnd(a) % 16;
        capref_t n = v->notify[arnd(a) % (NNOTIFY + 1)];
        if (op < 4 && on(F_IPC)) {
            /* Call a peer's entry, the same one a few times: queue behind
             * it again after being woken or timing out. */
            if (sticky-- <= 0) {
                target = v->ep[arnd(a) % NW];
                sticky = (int)(arnd(a) % 8);
            }
            vn_ipc_timeout(wait_ns(a));
            fz_call(a, target, arnd(a) % 4 ? -1 : arnd(a) % 2 ? CAP_SELF : n);
        } else if (op < 6 && on(F_IPC)) {
            long r = fz_recv(a, SYS_ipc_recv, wait_ns(a), &got);
            if (r == 0) {
                if (got >= 0)
                    vn_cap_delete(got);
                spin(a, &v->loops);     /* the caller awaits our reply meanwhile */
                if (arnd(a) % 2)
                    fz_reply(a);
                else if (fz_recv(a, SYS_ipc_reply_recv, 0, &got) == 0 && got >= 0)
                    vn_cap_delete(got);
            }
        } else if (op < 8 && on(F_NOTIFY)) {
            fz_notify_wait(a, n);
        } else if (op == 8 && on(F_NOTIFY)) {
            vn_notify_signal(n, 1ul << (arnd(a) % 64));
        } else if (op < 11 && on(F_SLEEP)) {
            fz_sleep(a, arnd(a) % 2 ? &v->word : &board->word[arnd(a) % NWORDS]);
        } else if (op == 11) {
            vn_yield();
        } else if (op < 15) {
            spin(a, &v->loops);         /* be running, on another CPU, when others act */
        } else if (on(F_SLEEP)) {
            flip_word(a);
        }
    }
}

static capref_t grant(capref_t c, capref_t env, unsigned rights)
{
    long r = vn_cap_grant(c, env, rights);
    return r < 0 ? -1 : (capref_t)r;
}

/* Give own_note to the vCPUs that are alive (after it was recreated). */
static void grant_own_note(void)
{
    for (unsigned k = 0; k < NVCPU; k++)
        if (vcpus[k].root > 0 && !vcpus[k].destroyed)
            vcpus[k].notify[NNOTIFY] = grant(own_note, vcpus[k].root, CR_READ | CR_WRITE);
}

static void vcpu_start(unsigned k)
{
    struct vcpu *v = &vcpus[k];
    if (v->root > 0 || vn_clock_ns() < v->free_at)
        return;
    long c = vn_env_create_vcpu(16 + rnd() % 16, "fuzz-vcpu");
    struct vn_capinfo ci;
    if (c < 0 || vn_cap_info((capref_t)c, &ci) < 0)
        return;
    v->a = (struct actor){.rng = rnd() | 1, .id = (int32_t)ci.object, .who = "vcpu"};
    v->destroyed = false;
    for (unsigned j = 0; j < NW; j++)
        v->ep[j] = j == widx ? -1 : grant(board->caps[widx].ep[j], (capref_t)c, CR_WRITE);
    for (unsigned i = 0; i < NNOTIFY; i++)
        v->notify[i] = grant(board->caps[widx].notify[i], (capref_t)c, CR_READ | CR_WRITE);
    v->notify[NNOTIFY] = grant(own_note, (capref_t)c, CR_READ | CR_WRITE);
    /* Its entry and itself, for the peers to call and wake. */
    long ep = vn_ipc_endpoint((capref_t)c);
    for (unsigned j = 0; j < NW; j++) {
        if (j == widx)
            continue;
        board->caps[j].vep[widx][k] = ep < 0 ? -1 : grant((capref_t)ep, board->caps[widx].env[j], CR_WRITE);
        board->caps[j].venv[widx][k] = grant((capref_t)c, board->caps[widx].env[j], CR_WRITE | CR_WAKE | CR_RUN);
    }
    if (ep >= 0 && rnd() % 2)
        remember((capref_t)ep);
    struct vn_regs regs = {.rip = (uint64_t)vcpu_main, .rsp = v->stack + VSTACK_PAGES * PAGE_SIZE - 8,
                           .rdi = (uint64_t)v};
    v->root = (capref_t)c;
    vn_env_set_share((capref_t)c, 1 + rnd() % VN_SHARE_MAX);     /* long slices: often running */
    if (vn_env_set_regs((capref_t)c, &regs) < 0 || vn_env_start((capref_t)c) < 0) {
        vn_cap_delete((capref_t)c);
        v->root = 0;
    }
}

static int32_t last_dead;               /* envid of the last environment we killed */

/* Kill vCPU k, by env_destroy (root kept until it is gone) or by deleting
 * its root.  Its slot (stack, struct) is reused only once it cannot run. */
static void vcpu_kill(unsigned k)
{
    struct vcpu *v = &vcpus[k];
    if (v->root <= 0)
        return;
    last_dead = v->a.id;
    if (!v->destroyed && rnd() % 2) {
        vn_env_destroy(v->root);
        v->destroyed = true;
        return;
    }
    vn_cap_delete(v->root);
    v->root = 0;
    v->free_at = vn_clock_ns() + 20000000;
}

/* Free the slots of destroyed vCPUs that are really gone. */
static void vcpu_reap(void)
{
    for (unsigned k = 0; k < NVCPU; k++) {
        struct vn_capinfo ci;
        struct vcpu *v = &vcpus[k];
        if (v->root > 0 && (vn_cap_info(v->root, &ci) < 0 || ci.env_status != 1)) {
            vn_cap_delete(v->root);
            v->root = 0;
            v->free_at = vn_clock_ns() + 1000000;
        }
    }
}

/* ------------------------------------------------------------ the worker's cooperative steps */

/* Slot reuse: create (and delete) environments until one lands in the
 * slot of `dead` (or a random slot), and keep that one for a while, so
 * that whatever still points at the old occupant now points at it. */
static capref_t kept[4];

static void churn(int32_t dead)
{
    uint32_t slot = dead ? VN_ENV_SLOT(dead) : (uint32_t)rnd() % CHURN_SLOTS;
    for (int n = 0; n < CHURN_SLOTS + 64; n++) {
        long c = vn_env_create(8, "fuzz-reuse");
        struct vn_capinfo ci;
        if (c < 0)
            return;
        if (vn_cap_info((capref_t)c, &ci) == 0 && VN_ENV_SLOT(ci.object) == slot) {
            unsigned i = rnd() % 4;
            if (kept[i] > 0)
                vn_cap_delete(kept[i]);
            kept[i] = (capref_t)c;
            return;
        }
        vn_cap_delete((capref_t)c);
    }
}

static void after_recv(capref_t got)
{
    if (got >= 0)
        remember(got);
}

/* Serve a few calls: answer at once, answer later (the caller waits for
 * its reply meanwhile), or leave the call unanswered. */
static void serve(void)
{
    capref_t got;
    long r = fz_recv(&me, SYS_ipc_recv, wait_ns(&me), &got);
    for (int n = (int)(rnd() % 6); r == 0 && n > 0; n--) {
        after_recv(got);
        switch (rnd() % 4) {
        case 0: return;                 /* answered by a random ipc_reply, or never */
        case 1: fz_reply(&me); r = fz_recv(&me, SYS_ipc_recv, wait_ns(&me), &got); break;
        default: r = fz_recv(&me, SYS_ipc_reply_recv, 0, &got); break;
        }
    }
    if (r == 0)
        after_recv(got);
}

static capref_t peer_entry(void)
{
    unsigned j = rnd() % NW;
    return rnd() % 3 ? board->caps[widx].ep[j] : board->caps[widx].vep[j][rnd() % NVCPU];
}

static void call_peer(void)
{
    vn_ipc_timeout(rnd() % 4 ? wait_ns(&me) : 0);
    capref_t x = rnd() % 2 ? -1 : rnd() % 2 ? CAP_SELF : arg_cap();
    fz_call(&me, peer_entry(), x);
}

static void notify_step(void)
{
    capref_t n = rnd() % 4 ? board->caps[widx].notify[rnd() % NNOTIFY] : own_note;
    if (rnd() % 2)
        fz_notify_wait(&me, n);
    else
        vn_notify_signal(n, rnd() % 8 ? 1ul << (rnd() % 64) : rnd());
}

/* Act on somebody who may be waiting: one of our vCPUs, a peer, or a
 * peer's vCPU; from this CPU, while they sleep or run on another. */
static void poke(void)
{
    unsigned k = rnd() % NVCPU, j = rnd() % NW, who = rnd() % 4;
    capref_t t = who < 2 ? vcpus[k].root : who == 2 ? board->caps[widx].env[j] : board->caps[widx].venv[j][k];
    switch (rnd() % 12) {
    case 0: case 1: case 2:
        if (on(F_WAKE))
            vn_env_wake(t);
        break;
    case 3: case 4:
        if (on(F_SIGNAL))
            vn_notify_signal(rnd() % 4 ? board->caps[widx].notify[rnd() % NNOTIFY] : own_note, 1ul << (rnd() % 64));
        break;
    case 5:
        if (!on(F_KILL))
            break;
        if (who < 2) {
            vcpu_kill(k);
            if (on(F_CHURN) && rnd() % 2)
                churn(last_dead);
        } else if (who == 2 && rnd() % 4 == 0) {
            vn_env_destroy(t);          /* the driver starts a new worker */
        }
        break;
    case 6: case 10:
        /* Below what it holds: the kernel asks for pages back, then takes
         * them, then kills it if that was not enough. */
        if (on(F_QUOTA))
            vn_env_set_quota(rnd() % 2 ? board->caps[widx].env[j] : t,
                             rnd() % 2 ? rnd() % 32 : 64 + rnd() % (WORKER_QUOTA - 64));
        break;
    case 7:
        switch (on(F_REVOKE) ? rnd() % 4 : 4) {
        case 0: vn_cap_revoke(vcpus[k].root); break;        /* its CAP_SELF, the peers' copies */
        case 1: vn_cap_revoke(CAP_SELF); break;
        case 2: vn_cap_revoke(own_note); break;
        case 3:
            vn_cap_delete(own_note);                        /* wakes its waiter with E_DEAD */
            own_note = (capref_t)vn_notify_create();
            grant_own_note();
            break;
        default:
            break;
        }
        break;
    case 8:
        if (on(F_WAKE))
            vn_yield_to(t);
        break;
    case 9:
        vcpus[k].word++;
        if (on(F_WAKE))
            vn_env_wake_word((const uint64_t *)&vcpus[k].word);
        break;
    default:
        flip_word(&me);
        break;
    }
}

/* Asked for pages back: a libOS that just waits, with vCPUs running, is
 * repossessed (and maybe killed) inside env_wait. */
static void nap(void)
{
    if (on(F_VCPU) && vcpus[0].root <= 0)
        vcpu_start(0);
    else if (on(F_VCPU) && !vcpus[0].destroyed)
        vn_env_wake(vcpus[0].root);     /* from whatever wait: run, on another CPU */
    for (int i = 0; i < 24 && vn_envinfo->revoke_request; i++) {
        long r = vn_env_wait(1 + (rnd() % 4 ? rnd() % 2000 : rnd() % 100000), NULL, 0, VN_WAIT_NONE);
        if (r != VN_WAKE_TIMEOUT && r != VN_WAKE_NOTIFY && on(F_RESULTS))
            fuzz_fail(&me, "env_wait(timeout) returned %ld while asked for pages back", r);
    }
}

/* Counts and lengths far beyond anything the caller holds. */
static char *long_text;

static void huge(void)
{
    static const uint64_t big[] = {1ul << 24, (1ul << 24) - 1, 1ul << 23, 1ul << 20, (1ul << 24) + 1,
                                   1ul << 32, ~0ul};
    uint64_t n = pick(big, sizeof(big) / 8), va = rnd() % 2 ? REGION_VA : 0x10000000;
    switch (rnd() % 16) {
    case 0:
        if (long_text)      /* prints only dots and newlines */
            vn_cons_write(long_text, rnd() % 2 ? 16 * PAGE_SIZE : 1ul << 30);
        break;
    case 1: case 2: case 3: case 4: case 5:
        vn_page_protect(CAP_SELF, va, n, VM_PROT_WRITE);
        break;
    default:
        vn_page_unmap(CAP_SELF, va, n);
        break;
    }
}

/* Try to make every page of the region writable, whoever mapped it (the
 * driver maps a page of its own there read-only), then write to every
 * page the page tables say is writable.  The driver checks its page. */
static void protect_and_scribble(void)
{
    for (unsigned i = 0; i < REGION_PAGES; i++) {
        uint64_t va = REGION_VA + i * PAGE_SIZE;
        if ((vn_pte(va) & 1) && rnd() % 4)
            vn_page_protect(CAP_SELF, va, 1, VM_PROT_WRITE);
    }
    for (unsigned i = 0; i < REGION_PAGES; i++) {
        uint64_t va = REGION_VA + i * PAGE_SIZE;
        if ((vn_pte(va) & 3) == 3)
            ((volatile uint64_t *)va)[rnd() % 512] = SCRIBBLE | (uint32_t)me.id;
    }
}

/* One cooperative step; false if the chosen family is off. */
static bool cooperate(void)
{
    vcpu_reap();
    switch (rnd() % 20) {
    case 0: case 1: case 2: if (!on(F_IPC)) return false; serve(); return true;
    case 3: case 4: case 5: if (!on(F_IPC)) return false; call_peer(); return true;
    case 6: case 7: if (!on(F_NOTIFY)) return false; notify_step(); return true;
    case 8: case 9: if (!on(F_SLEEP)) return false; fz_sleep(&me, &board->word[rnd() % NWORDS]); return true;
    case 10: case 11: case 12: case 13: poke(); return true;
    case 14: case 15: if (!on(F_VCPU)) return false; vcpu_start(rnd() % NVCPU); return true;
    case 16: if (!on(F_CHURN) || rnd() % 16) return false; churn(rnd() % 2 ? last_dead : 0); return true;
    case 17: if (!on(F_HUGE) || rnd() % 16) return false; huge(); return true;
    default: if (!on(F_PROTECT) || rnd() % 4) return false; protect_and_scribble(); return true;
    }
}

static void cooperation_init(void)
{
    vcpus = vn_alloc_pages(1);
    for (unsigned k = 0; vcpus && k < NVCPU; k++)
        vcpus[k].stack = (uint64_t)vn_alloc_pages(VSTACK_PAGES);
    own_note = (capref_t)vn_notify_create();
    if ((long_text = vn_alloc_pages(16)))
        for (unsigned i = 0; i < 16 * PAGE_SIZE; i++)
            long_text[i] = i % 64 == 63 ? '\n' : '.';
}
