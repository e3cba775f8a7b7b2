# libext2fs and libcom_err from Debian's e2fsprogs source package, built
# with musl-gcc for lib/fs (the libOS's ext4 file system).  The sources are
# fetched and unpacked into $(BUILD)/e2fsprogs-src by tools/get-source.sh
# and built out of tree in $(BUILD)/e2fs; nothing is committed.  Configure
# takes most of the time (1-3 minutes on a loaded 2-core machine), so this
# is not part of `make all`: the targets that need it (the lib/fs host tests
# of `make test`, `make fs`) build it once; the stamp $(E2FS_STAMP) makes
# every later build a no-op.  `rm -rf $(BUILD)/e2fs` rebuilds it.
# The configure line is the verified one (shared research notes, sec. 6):
# no NLS, static only, none of the programs.

E2FS_SRC   := $(BUILD)/e2fsprogs-src
E2FS_SRC_STAMP := $(E2FS_SRC)/.veneer-e2fsprogs
E2FS_OBJ   := $(BUILD)/e2fs
E2FS_STAMP := $(E2FS_OBJ)/.veneer-built
E2FS_LIBS  := $(E2FS_OBJ)/lib/libext2fs.a $(E2FS_OBJ)/lib/libcom_err.a
# <ext2fs/ext2fs.h> is in the source tree; ext2_types.h and ext2_err.h
# are generated into the build tree.
E2FS_CFLAGS := -I$(E2FS_OBJ)/lib -I$(E2FS_SRC)/lib
E2FS_CONFIGURE := CC=musl-gcc --disable-nls --disable-elf-shlibs --disable-fuse2fs --disable-uuidd \
	--disable-tls --disable-debugfs --disable-imager --disable-resizer --disable-defrag

$(E2FS_SRC_STAMP): | setup
	@tools/get-source.sh e2fsprogs $(BUILD) '1.47.*'

# Only lib/et (com_err) and lib/ext2fs are built (lib/uuid first: the
# library's makefile wants its headers), one job at a time: under make -j
# lib/ext2fs's objects could compile before its generated ext2_err.h.
# The log stays in $(E2FS_OBJ).
$(E2FS_STAMP): $(E2FS_SRC_STAMP) mk/e2fs.mk
	@rm -rf $(E2FS_OBJ) && mkdir -p $(E2FS_OBJ)
	@echo "  E2FS    configure + build libext2fs (musl) in $(E2FS_OBJ), log build.log"
	@cd $(E2FS_OBJ) && { ../e2fsprogs-src/configure $(E2FS_CONFIGURE) && \
		$(MAKE) -j1 -C lib/et && $(MAKE) -j1 -C lib/uuid && $(MAKE) -j1 -C lib/ext2fs libext2fs.a; } \
		> build.log 2>&1 || { tail -n 30 build.log; exit 1; }
	@touch $@
$(E2FS_LIBS): $(E2FS_STAMP)

.PHONY: e2fs
e2fs: $(E2FS_STAMP)
