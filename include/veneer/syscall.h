/*
 * What a libOS includes to call the kernel: syscall numbers, error codes and
 * the typed stubs vn_<name>() generated from syscalls.tbl.
 */
#ifndef VENEER_SYSCALL_H
#define VENEER_SYSCALL_H

#include <veneer/errors.h>
#include <veneer/syscall_stubs.h>

#endif
