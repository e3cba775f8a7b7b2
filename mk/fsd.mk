# fsd (user/fsd.c), the file-system server of a POSIX instance: a native
# Veneer program that links lib/fs and libext2fs, which are built with
# musl's headers (mk/fs.mk, mk/e2fs.mk).  It links no musl code: vlibc
# (lib/vlibc/, built here with musl's headers for the same types)
# supplies the libc functions libext2fs calls, on libveneer, and
# blkdev_veneer.c the block device on the kernel's extent and queue.
# Since fsd is in the boot archive, `make all` builds libext2fs (once).

VLIBC_SRC := $(wildcard lib/vlibc/*.c) lib/fs/blkdev_veneer.c lib/fs/blkdev_vf.c
VLIBC_OBJ := $(patsubst %.c,$(BUILD)/vlibc/%.o,$(VLIBC_SRC))
VLIBC_LIB := $(BUILD)/lib/libvlibc.a
VLIBC_CFLAGS := $(FS_CFLAGS) -ffreestanding -fno-builtin -fno-stack-protector -Iinclude -I$(BUILD)/gen/include \
	-Ilib/libveneer

$(BUILD)/vlibc/%.o: %.c $(E2FS_STAMP) | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $<"; musl-gcc $(VLIBC_CFLAGS) -c $< -o $@
$(VLIBC_LIB): $(VLIBC_OBJ)
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

# tests/user/extfs_veneer.c: lib/fs on blkdev_veneer, linked as fsd is.
$(BUILD)/tests/user/extfs_veneer.o: USER_CFLAGS += -Ilib/fs
$(BUILD)/tests/user/extfs_veneer.o: $(E2FS_STAMP)
$(BUILD)/bin/extfs_veneer: $(FS_LIB) $(E2FS_LIBS) $(VLIBC_LIB)
LIBS_extfs_veneer := $(FS_LIB) $(E2FS_LIBS) $(VLIBC_LIB)

# vfext4 (user/vfext4.c): lib/fs on an SR-IOV VF it drives itself
# (blkdev_vf.c in vlibc, its driver half lib/fs/vf_io.c in libdrv.a:
# mk/uhome.mk lists it).
$(BUILD)/user/vfext4.o: USER_CFLAGS += -Ilib/fs
$(BUILD)/user/vfext4.o: $(E2FS_STAMP)
$(BUILD)/bin/vfext4: $(FS_LIB) $(E2FS_LIBS) $(VLIBC_LIB)
LIBS_vfext4 := $(FS_LIB) $(E2FS_LIBS) $(VLIBC_LIB) $(UDRV_LIB)

# fsd: compiled like vlibc (musl's headers, for lib/fs's), linked as a
# native program.
$(BUILD)/user/fsd.o: user/fsd.c $(E2FS_STAMP) | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $<"; musl-gcc $(VLIBC_CFLAGS) -c $< -o $@
$(BUILD)/bin/fsd: $(FS_LIB) $(E2FS_LIBS) $(VLIBC_LIB) $(UDRV_LIB)
LIBS_fsd := $(FS_LIB) $(E2FS_LIBS) $(VLIBC_LIB) $(UDRV_LIB)

# make disk: the persistent image make run boots with as / (made once;
# rm it for a fresh one).  Tests make fresh images of their own.
$(BUILD)/disk.img: | tools/mkdisk.sh
	@mkdir -p $(@D)
	@echo "  MKDISK  $@"; tools/mkdisk.sh $@ 256
.PHONY: disk
disk: $(BUILD)/disk.img
# fsd_hostile plays a POSIX instance's init: posix.h's arena layout.
$(BUILD)/tests/user/fsd_hostile.o: USER_CFLAGS += -Ilib/fs

# tests/qemu/disk_linux.t: the bench's Linux kernel mounts an image
# Veneer wrote; its initramfs holds tests/linux/linux_mount.c as /init and
# t_fsync_loop (bench/mkcpio.sh).
DISK_LINUX := $(BUILD)/disk-linux
$(DISK_LINUX)/init: tests/linux/linux_mount.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 $(WARN) -o $@ $<
$(DISK_LINUX)/initramfs.cpio: $(DISK_LINUX)/init $(BUILD)/bin/t_fsync_loop bench/mkcpio.sh
	printf '%s\n' 'dir dev 755' 'nod dev/console 600 c 5 1' 'dir proc 755' 'dir mnt 755' \
		'file init 755 $<' 'file t_fsync_loop 755 $(BUILD)/bin/t_fsync_loop' | bench/mkcpio.sh > $@.part
	@mv $@.part $@
test: $(DISK_LINUX)/initramfs.cpio $(BENCH_LINUX)/vmlinuz
