/*
 * Raw system-call entry for libOSes: vn_syscallN(number, args...).
 * The typed stubs in <veneer/syscall.h> are generated on top of these.
 */
#ifndef VENEER_VSYSCALL_H
#define VENEER_VSYSCALL_H

#define VN_SYSCALL_CLOBBERS "rcx", "r11", "memory"

static inline long vn_syscall0(long n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n) : VN_SYSCALL_CLOBBERS);
    return r;
}

static inline long vn_syscall1(long n, long a0)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a0) : VN_SYSCALL_CLOBBERS);
    return r;
}

static inline long vn_syscall2(long n, long a0, long a1)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a0), "S"(a1) : VN_SYSCALL_CLOBBERS);
    return r;
}

static inline long vn_syscall3(long n, long a0, long a1, long a2)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a0), "S"(a1), "d"(a2)
                     : VN_SYSCALL_CLOBBERS);
    return r;
}

static inline long vn_syscall4(long n, long a0, long a1, long a2, long a3)
{
    long r;
    register long r10 __asm__("r10") = a3;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : VN_SYSCALL_CLOBBERS);
    return r;
}

static inline long vn_syscall5(long n, long a0, long a1, long a2, long a3, long a4)
{
    long r;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    __asm__ volatile("syscall" : "=a"(r)
                     : "a"(n), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
                     : VN_SYSCALL_CLOBBERS);
    return r;
}

static inline long vn_syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
    long r;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    __asm__ volatile("syscall" : "=a"(r)
                     : "a"(n), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : VN_SYSCALL_CLOBBERS);
    return r;
}

#endif
