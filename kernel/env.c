/*
 * Environment table and life cycle.  Slots are reused; an envid carries a
 * generation so a stale id never names a new environment.  The first
 * environment is built by the kernel from the boot archive; later ones are
 * built by their parents from user space (memory issue).
 */
#include <veneer/errors.h>
#include <veneer/memlayout.h>
#include "console.h"
#include "elf_load.h"
#include "env.h"
#include "klib.h"
#include "panic.h"
#include "pmem.h"

struct env envs[NENV];
static unsigned env_alive;
static uint32_t env_generation = 1;
static envid_t first_env;           /* id of the first environment created */
static int first_status = -1;       /* its exit status once it has exited */

#define ENVID_SLOT(id) ((uint32_t)(id) & (NENV - 1))

unsigned env_count(void)
{
    return env_alive;
}

static struct env *env_slot_alloc(void)
{
    for (unsigned i = 0; i < NENV; i++) {
        if (envs[i].status == ENV_FREE) {
            struct env *e = &envs[i];
            memset(e, 0, sizeof(*e));
            e->id = (envid_t)((env_generation++ << 10) | i) & 0x7fffffff;
            if (!first_env)
                first_env = e->id;
            return e;
        }
    }
    return NULL;
}

/* Map USER_STACK_PAGES fresh pages below USER_STACK_TOP.  Errors: -E_NOMEM. */
static int env_map_stack(struct env *e)
{
    for (unsigned i = 1; i <= USER_STACK_PAGES; i++) {
        paddr_t pa = page_alloc();
        if (!pa)
            return -E_NOMEM;
        paddr_t old;
        int r = vm_map(&e->vm, USER_STACK_TOP - i * PAGE_SIZE, pa, VM_USER | VM_WRITE, &old);
        if (r < 0) {
            page_free(pa);
            return r;
        }
        if (old)
            page_free(old);     /* the ELF image had put something here */
    }
    return 0;
}

int env_create_from_elf(const char *name, const void *image, size_t size, struct env **out)
{
    struct env *e = env_slot_alloc();
    if (!e)
        return -E_NOSPC;
    size_t n = strnlen(name, ENV_NAME_MAX - 1);
    memcpy(e->name, name, n);
    int r = vm_space_init(&e->vm);
    if (r < 0) {
        e->id = 0;
        return r;
    }
    e->status = ENV_RUNNABLE;   /* owns resources from here: destroy frees them */
    env_alive++;
    uint64_t entry;
    if ((r = elf_load(&e->vm, image, size, &entry)) < 0 || (r = env_map_stack(e)) < 0) {
        env_destroy(e);
        return r;
    }
    /* Fresh FPU state: x87 control word and MXCSR at their reset values. */
    *(uint16_t *)&e->fpu[0] = 0x37f;
    *(uint32_t *)&e->fpu[24] = 0x1f80;
    arch_context_init(&e->tf, entry, USER_STACK_TOP);
    *out = e;
    return 0;
}

void env_destroy(struct env *e)
{
    if (e->status == ENV_FREE)
        panic("env_destroy: slot already free");
    vm_space_destroy(&e->vm, page_free);
    arch_fpu_forget(e);
    if (arch_curenv() == e)
        arch_set_curenv(NULL);
    e->status = ENV_FREE;
    e->id = 0;
    env_alive--;
}

void env_kill(struct env *e, const char *fmt, ...)
{
    va_list ap;
    kprintf("env %x (%s) killed: ", e->id, e->name);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    env_destroy(e);
}

void env_exit(struct env *e, int status)
{
    kprintf("env %x (%s) exited with status %d\n", e->id, e->name, status);
    if (e->id == first_env)
        first_status = status;
    env_destroy(e);
}

int env_first_status(void)
{
    return first_status;
}

void env_run(struct env *e)
{
    struct env *prev = arch_curenv();
    if (prev && prev != e && prev->status == ENV_RUNNING)
        prev->status = ENV_RUNNABLE;
    e->status = ENV_RUNNING;
    arch_set_curenv(e);
    vm_activate(&e->vm);
    arch_fpu_switch(e);
    arch_context_resume(e);
}
