/*
 * libveneer: the runtime every Veneer-native libOS and program can use (and
 * replace): upcall dispatch with a page-fault handler registry, a page and
 * address-space manager on top of the page syscalls, read-only views of
 * the kernel's exposed data, and spawning programs from the boot archive.
 */
#ifndef LIBVENEER_VN_H
#define LIBVENEER_VN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <veneer/cap.h>
#include <veneer/env.h>
#include <veneer/memlayout.h>

/* ---- exposed kernel data (read-only) */
#define vn_envinfo  ((const volatile struct vn_envinfo *)VN_ENVINFO)
#define vn_sysinfo  ((const volatile struct vn_sysinfo *)VN_SYSINFO)
#define vn_pageinfo ((const volatile struct vn_page_info *)VN_PAGEINFO)
/* Page-table entry of va (0 if a table level is missing). */
uint64_t vn_pte(uint64_t va);

/* ---- upcalls */
/* Returns true if it handled the fault (then the code resumes). */
typedef bool (*vn_fault_handler_t)(struct vn_xframe *x);
/* Set up the upcall stack and entry for exceptions and revocation. */
int vn_upcalls_init(void);
/* Add a page-fault handler; handlers are tried newest first. */
int vn_pgfault_register(vn_fault_handler_t h);
void vn_pgfault_unregister(vn_fault_handler_t h);
/* Handler for any other exception (trapno 0-31 except 14); NULL clears. */
void vn_exception_handler(vn_fault_handler_t h);
/* Scheduling upcalls (VN_T_PREEMPT, VN_T_SLICE_WARN) go to h, which may
 * rewrite the frame to resume something else (the thread library does). */
void vn_sched_handler(void (*h)(struct vn_xframe *x));
/* Load every register of f and continue at f->rip on f->rsp. */
void vn_xframe_resume(struct vn_xframe *f) __attribute__((noreturn));
/* Reflected syscalls (foreign numbers, VN_T_SYSCALL): h serves x->rax
 * with the frame's argument registers and sets x->rax to the result. */
void vn_syscall_handler(void (*h)(struct vn_xframe *x));
/* Called when the kernel asks for pages back (request in vn_envinfo). */
void vn_revoke_handler(void (*h)(uint64_t npages));

/* ---- pages and address space */
/* Reserve npages of address space (never reused; no pages mapped). */
uint64_t vn_va_reserve(uint64_t npages);
/* Allocate npages fresh pages and map them at va with VM_PROT_* prot.
 * Errors: negative E_* (nothing stays mapped). */
int vn_map_fresh(uint64_t va, uint64_t npages, unsigned prot);
/* Unmap and free pages mapped by vn_map_fresh. */
int vn_unmap_free(uint64_t va, uint64_t npages);
/* Capability of the page mapped at va by vn_map_fresh, or -E_NOENT. */
capref_t vn_page_cap(uint64_t va);
/* Convenience: reserve, allocate and map npages read-write. */
void *vn_alloc_pages(uint64_t npages);
/* Free everything vn_map_fresh allocated (for leak checks at exit). */
void vn_mem_release_all(void);

/* ---- programs from the boot archive */
/* Name of the archive's i-th file, or NULL past the end. */
const char *vn_archive_name(uint64_t i);
/* Map the boot archive (VN_CAP_ARCHIVE) and find file name. */
const void *vn_archive_find(const char *name, uint64_t *size);
/* The decimal number after key= on the kernel command line, or dflt if
 * key= is not there (cmdline.c). */
uint64_t vn_cmdline_num(const char *key, uint64_t dflt);
/* Create a child from program `name` with the given quota, start it with
 * rdi = arg0, rsi = arg1.  Returns its root env capability.  The child
 * owns its pages (they die with it). */
capref_t vn_spawn(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1);
/* The same, but leave the child stopped (start it with vn_env_start). */
capref_t vn_spawn_stopped(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1);
/* Spawn, first granting `share` (with `rights`) so that it lands in the
 * child's VN_CAP_SPAWN_SHARE slot. */
capref_t vn_spawn_share(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1, capref_t share,
                        unsigned rights);
#define VN_CAP_SPAWN_SHARE 1
/* vn_spawn_share, leaving the child stopped.  flags: VN_SPAWN_MAP_TEXT
 * maps the program's read-only segments straight from the boot archive
 * (no copy); those mappings are authorised by the caller's archive
 * capability, so the caller must outlive the child.  VN_SPAWN_SHARED
 * makes the child with env_create_shared: quota is then only its limit,
 * and its pages are charged to the caller's account as they come. */
capref_t vn_spawn_share_stopped(const char *name, uint64_t quota, uint64_t arg0, uint64_t arg1, capref_t share,
                                unsigned rights, unsigned flags);
#define VN_SPAWN_MAP_TEXT 0x1
#define VN_SPAWN_SHARED 0x2
/* Map the boot archive at va (instead of pool space) when first used, and
 * then lazily: pages on first touch, by a page-fault handler. */
void vn_archive_place(uint64_t va);
/* Destroy the child named by env, wait until it is gone, delete the cap. */
void vn_kill(capref_t env);
/* Nanoseconds since boot, from the exposed TSC calibration (no syscall). */
uint64_t vn_clock_ns(void);
/* Yield until the child named by env has ended; returns its exit status,
 * or -1 if it was killed.  Deletes the capability. */
int vn_wait(capref_t env);

#endif
