/*
 * Byte offsets of struct vn_xframe (<veneer/env.h>), for assembly: the
 * kernel's reflection tier writes the frame (kernel/arch/x86_64/
 * trapentry.S) and libveneer's upcall entry reads it (lib/libveneer/
 * upcall_entry.S).  <veneer/env.h> checks each against the struct.
 */
#ifndef VENEER_XFRAME_LAYOUT_H
#define VENEER_XFRAME_LAYOUT_H

#define VN_XF_TRAPNO 0
#define VN_XF_ERR    8
#define VN_XF_ADDR   16
#define VN_XF_R15    24         /* then r14 .. r8, rbp, rdi, rsi, rdx, rcx, rbx, rax */
#define VN_XF_RAX    136
#define VN_XF_RIP    144
#define VN_XF_RFLAGS 152
#define VN_XF_RSP    160
#define VN_XF_SIZE   168

#endif
