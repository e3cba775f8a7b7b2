# lib/fs, the libOS's ext4 file system (lib/fs/extfs.h), and its host
# tests.  lib/fs links libext2fs, built with musl (mk/e2fs.mk), so the
# library and its tests are musl programs, compiled with the same
# warnings as the rest of the tree; sanitizers do not exist for musl.
# The tests run the host's e2fsprogs (e2fsck, debugfs, mke2fs) on images
# under $(BUILD)/host/extfs-tmp.  Built on demand by `make test` and
# `make fs`, not by `make all` (libext2fs takes a while the first time).

# blkdev_veneer.c and blkdev_vf.c (with vf_io.c) make Veneer system calls:
# only native programs link them (mk/fsd.mk, mk/uhome.mk), never the host
# library.
FS_SRC   := $(filter-out lib/fs/blkdev_veneer.c lib/fs/blkdev_vf.c lib/fs/vf_io.c,$(wildcard lib/fs/*.c))
FS_OBJ   := $(patsubst %.c,$(BUILD)/fs/%.o,$(FS_SRC))
FS_LIB   := $(BUILD)/lib/libextfs.a
FS_CFLAGS := -std=gnu11 -O2 -g $(WARN) -isystem $(E2FS_OBJ)/lib -isystem $(E2FS_SRC)/lib -Ilib/fs -MMD -MP
FS_TESTS := $(BUILD)/host/test_extfs $(BUILD)/host/test_extfs_crash

$(BUILD)/fs/%.o: %.c $(E2FS_STAMP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $<"; musl-gcc $(FS_CFLAGS) -c $< -o $@
$(FS_LIB): $(FS_OBJ)
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

$(FS_TESTS): $(BUILD)/host/%: tests/host/%.c tests/host/extfs_host.h $(FS_LIB) $(E2FS_STAMP)
	@mkdir -p $(@D)
	@echo "  MUSLCC  $<"; musl-gcc $(FS_CFLAGS) -static -o $@ $< $(FS_LIB) $(E2FS_LIBS)

.PHONY: fs
fs: $(FS_TESTS)
test: $(FS_TESTS)
