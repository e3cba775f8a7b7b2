/* Which boot protocol brought us up (first argument of kernel_main). */
#ifndef ARCH_BOOT_PROTO_H
#define ARCH_BOOT_PROTO_H

#define BOOT_PROTO_NONE 0   /* unknown loader: no boot information */
#define BOOT_PROTO_PVH  1   /* hvm_start_info (QEMU -kernel) */
#define BOOT_PROTO_MB2  2   /* multiboot2 information (GRUB) */

#endif
