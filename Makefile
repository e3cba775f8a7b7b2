# Veneer build: `make` builds everything under build/; see README.md.
#   make run | run-net | test [T=name] | gdb | iso | docs | size | fuzz | bench | bench-smoke | crashtest | clean
#   MACHINE=pc on any of them boots the i440FX PC instead of q35 with the IOMMU.
# Host packages are checked (and installed when root) by tools/setup-host.sh.

BUILD   ?= build
CC      := gcc
LD      := ld
QEMU    := qemu-system-x86_64
ARCH    := x86_64

# ---------------------------------------------------------------- flags
WARN        := -Wall -Wextra -Werror
KDEFS       ?=
KERNEL_CFLAGS := $(KDEFS) -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -mno-red-zone \
	-mcmodel=kernel -mgeneral-regs-only -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fcf-protection=none \
	-Iinclude -I$(BUILD)/gen/include -I$(BUILD)/gen/kernel -Ikernel -Ikernel/arch/$(ARCH) -Idrivers -MMD -MP
KERNEL_ASFLAGS := -g -Iinclude -I$(BUILD)/gen/include -Ikernel/arch/$(ARCH) -D__ASSEMBLER__ -MMD -MP
KERNEL_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	-T kernel/arch/$(ARCH)/kernel.ld
USER_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fpie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-Iinclude -I$(BUILD)/gen/include -Ilib/libveneer -MMD -MP
USER_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack -T lib/user.ld
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
	-Iinclude -Ikernel -Idrivers -MMD -MP

# ---------------------------------------------------------------- QEMU
# The machine: MACHINE=q35 (default) is the PCIe chipset with ECAM and an
# emulated Intel IOMMU (VT-d) with interrupt remapping, in xAPIC format
# (QEMU 7.2 refuses eim under TCG); kernel-irqchip=split is a KVM setting
# the IOMMU asks for, which TCG ignores.  MACHINE=pc is the i440FX PC: PCI
# through the 0xcf8 ports only, no IOMMU.  A test picks one with machine=.
MACHINE   ?= q35
QEMU_MACHINE_q35 := -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on
QEMU_MACHINE_pc  := -machine pc
QEMU_MACHINE := $(QEMU_MACHINE_$(MACHINE))
ifeq ($(QEMU_MACHINE),)
$(error MACHINE=$(MACHINE): the machines are q35 and pc)
endif
QEMU_MEM  ?= 256M
QEMU_SMP  ?= 2
# QEMU_COMMON is everything but the machine; QEMU_BASE adds it.  -nic none:
# no default NIC (nor its user-mode network); tests that want a device add it.
QEMU_COMMON := -accel tcg -cpu max -m $(QEMU_MEM) -smp $(QEMU_SMP) -no-reboot -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
QEMU_BASE := $(QEMU_COMMON) $(QEMU_MACHINE)
QEMU_BOOT := -bios /usr/share/qemu/qboot.rom -kernel $(BUILD)/kernel.elf \
	-initrd $(BUILD)/initrd.var
# make run-net, or make run NET=1: two TCP/IP stacks on one virtio-net NIC
# in QEMU's user network: the native web server (user/httpd.c) first, its
# port 80 forwarded from 127.0.0.1:PORT (and its UDP echo, port 7, from the
# same number), and the POSIX instance with busybox httpd on port 8080 from
# 127.0.0.1:PORT2 (tools/run-net.sh), then busybox sh on the console.  Both
# take their address from QEMU's DHCP; nothing listens beyond the loopback.
PORT      ?= 18080
PORT2     ?= $(shell echo $$(($(PORT) + 1)))
NET_IOMMU_q35 := ,iommu_platform=on
QEMU_NET  := -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(PORT)-:80,hostfwd=udp:127.0.0.1:$(PORT)-:7,hostfwd=tcp:127.0.0.1:$(PORT2)-:8080 \
	-device virtio-net-pci,netdev=n0,disable-legacy=on$(NET_IOMMU_$(MACHINE)),addr=6
ifeq ($(NET),1)
CMDLINE   ?= quiet init=httpd,posix arg0=2 arg1=$(PORT) run=sh,sh,/bin/run-net.sh,$(PORT2)
RUN_NET   := $(QEMU_NET)
endif
CMDLINE   ?= quiet init=posix
# make run's disk: build/disk.img (tools/mkdisk.sh, made once and kept, so
# files survive reboots; DISK=0 boots without it: / in memory).
DISK      ?= $(if $(NET),0,1)
ifeq ($(DISK),1)
RUN_DISK  := -drive file=$(BUILD)/disk.img,if=none,id=d0,format=raw -device nvme,serial=veneer0,drive=d0
endif
RUN_MEM   ?= 1G
# make run: the console is this terminal (^C goes to Veneer; Ctrl-A x quits QEMU).
RUN_CONSOLE := -chardev stdio,id=con,mux=on,signal=off -serial chardev:con -mon chardev=con -display none

# ---------------------------------------------------------------- sources
# The drivers in drivers/ are kernel code in the kernel home (drivers/home_kernel.c);
# mk/uhome.mk builds them again for the user-level home (drivers/home_user.c).
KERNEL_C   := $(filter-out drivers/home_user.c,\
	$(wildcard kernel/*.c kernel/arch/$(ARCH)/*.c drivers/*.c drivers/*/*.c tests/kernel/*.c))
KERNEL_S   := $(filter-out kernel/ksyms_empty.S,$(wildcard kernel/*.S kernel/arch/$(ARCH)/*.S))
KERNEL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(KERNEL_C)) $(patsubst %.S,$(BUILD)/%.o,$(KERNEL_S)) \
	$(BUILD)/gen/kernel/syscall_table.o $(BUILD)/gen/kernel/syscall_errmask.o

GEN_HDRS := $(BUILD)/gen/include/veneer/syscall_nums.h $(BUILD)/gen/include/veneer/syscall_stubs.h \
	$(BUILD)/gen/kernel/syscall_decl.h $(BUILD)/gen/include/veneer/syscall_fuzz.h
SYSTBL   := include/veneer/syscalls.tbl
GENSYS   := awk -f tools/gen-syscalls.awk
ERRDEF   := include/veneer/errors.def

LIBV_SRC := $(wildcard lib/libveneer/*.c lib/libveneer/*.S)
LIBV_OBJ := $(patsubst %,$(BUILD)/%.o,$(basename $(LIBV_SRC)))
LIBV     := $(BUILD)/lib/libveneer.a

USER_PROGS := $(filter-out httpd_log,$(patsubst user/%.c,%,$(wildcard user/*.c)))
LINUX_TESTS := $(patsubst tests/linux/%.c,%,$(wildcard tests/linux/t_*.c))
LINUX_PROGS := hello_musl hello_pie busybox e2fsck bash zsh gpgv $(LINUX_TESTS)
TEST_PROGS := $(filter-out priv_insn,$(patsubst tests/user/%.c,%,$(wildcard tests/user/*.c)))
PRIV_PROGS := priv_hlt priv_cli priv_outb priv_wrmsr priv_lgdt
PROGS      := $(addprefix $(BUILD)/bin/,$(USER_PROGS) $(TEST_PROGS) $(PRIV_PROGS) posix $(LINUX_PROGS)) tools/motd tests/linux/busybox_script.sh tests/linux/disk_write.sh tests/linux/disk_check.sh tests/linux/disk_fsddead.sh tests/linux/posix_httpd.sh tests/linux/net_two_stacks.sh tools/run-net.sh tests/linux/busybox_net.sh tests/linux/blkfile_edges.sh tests/linux/bash_suite.sh tests/linux/zsh_suite.zsh
# SQLite's shell and speedtest1 (mk/sqlite.mk): static musl programs in /bin.
PROGS      += $(BUILD)/bin/sqlite3 $(BUILD)/bin/speedtest1 tests/linux/disk_sqlite.sh tests/linux/crash_work.sh tests/linux/disk_sqlite_check.sh
# The web server's docroot (user/httpd.c): www/ and what is generated into
# $(BUILD)/www (never committed), each stored in the archive as www/<name>.
WWW_GEN    := $(BUILD)/www/10mb.bin
WWW_FILES  := $(wildcard www/*) $(WWW_GEN)

# test_extfs*: musl programs on libext2fs, built by mk/fs.mk for make test.
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(filter-out tests/host/test_extfs%,$(wildcard tests/host/test_*.c)))
HOST_TESTS += $(BUILD)/host/test_syscalls_doc $(BUILD)/host/test_kernel_size $(BUILD)/host/test_linux_calls

.PHONY: all setup run run-net run-vf test gdb iso docs clean fuzz fuzz-kernel size
# A generator or compiler that fails leaves no half-written target behind.
.DELETE_ON_ERROR:
all: setup $(BUILD)/kernel.elf $(BUILD)/initrd.var $(HOST_TESTS)

setup:
	@tools/setup-host.sh

# ---------------------------------------------------------------- generated ABI
$(BUILD)/gen/include/veneer/syscall_nums.h: $(SYSTBL) tools/gen-syscalls.awk
	@mkdir -p $(@D) && $(GENSYS) -v what=nums $< > $@
$(BUILD)/gen/include/veneer/syscall_stubs.h: $(SYSTBL) tools/gen-syscalls.awk
	@mkdir -p $(@D) && $(GENSYS) -v what=ustubs $< > $@
$(BUILD)/gen/include/veneer/syscall_fuzz.h: $(SYSTBL) tools/gen-syscalls.awk
	@mkdir -p $(@D) && $(GENSYS) -v what=fuzz $< > $@
$(BUILD)/gen/kernel/syscall_decl.h: $(SYSTBL) tools/gen-syscalls.awk
	@mkdir -p $(@D) && $(GENSYS) -v what=kdecl $< > $@
$(BUILD)/gen/kernel/syscall_table.c: $(SYSTBL) tools/gen-syscalls.awk
	@mkdir -p $(@D) && $(GENSYS) -v what=kdispatch $< > $@
# Allowed errors per call (checked by the fuzzing kernel); fails on a name
# the errors column has that errors.def does not.
$(BUILD)/gen/kernel/syscall_errmask.c: $(SYSTBL) tools/gen-syscalls.awk $(ERRDEF)
	@mkdir -p $(@D) && $(GENSYS) -v what=errmask -v errdef=$(ERRDEF) $< > $@
# docs/syscalls.md is committed.  The build only generates it under
# $(BUILD)/gen; `make docs` copies that over the committed file, and the host
# test host_syscalls_doc (make test) fails while the two differ.
SYSDOC := $(BUILD)/gen/docs/syscalls.md
$(SYSDOC): $(SYSTBL) tools/gen-syscalls.awk $(ERRDEF) tools/gen-errdoc.sh
	@mkdir -p $(@D) && { $(GENSYS) -v what=doc -v errdef=$(ERRDEF) $(SYSTBL) && tools/gen-errdoc.sh $(ERRDEF); } > $@
# The served Linux calls (lib/posix/linux_calls.tbl): the dispatch table and
# its handlers' prototypes and docs/linux_calls.md, checked against the host's header as they are made.
LXCALLS := tools/gen-linux-calls.awk /usr/include/x86_64-linux-gnu/asm/unistd_64.h lib/posix/linux_calls.tbl
GENLX = awk -v what=$(1) -f tools/gen-linux-calls.awk /usr/include/x86_64-linux-gnu/asm/unistd_64.h lib/posix/linux_calls.tbl
LXDOC := $(BUILD)/gen/docs/linux_calls.md
$(LXDOC): $(LXCALLS)
	@mkdir -p $(@D) && $(call GENLX,doc) > $@.tmp && mv $@.tmp $@
docs: $(SYSDOC) $(LXDOC)
	@cmp -s $< docs/syscalls.md || { cp $< docs/syscalls.md && echo "  GEN     docs/syscalls.md"; }
	@cmp -s $(LXDOC) docs/linux_calls.md || { cp $(LXDOC) docs/linux_calls.md && echo "  GEN     docs/linux_calls.md"; }
# Lines per file and totals: kernel/, drivers/, the driver home (tools/size.sh).
size:
	@tools/size.sh

# ---------------------------------------------------------------- kernel
$(BUILD)/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"; $(CC) $(KERNEL_CFLAGS) -c $< -o $@
$(BUILD)/gen/kernel/%.o: $(BUILD)/gen/kernel/%.c | $(GEN_HDRS)
	@echo "  CC      $<"; $(CC) $(KERNEL_CFLAGS) -c $< -o $@
$(BUILD)/kernel/%.o: kernel/%.S | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  AS      $<"; $(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# Two links: the first gives the symbol table that the second embeds.
$(BUILD)/kernel.pass1.elf: $(KERNEL_OBJ) $(BUILD)/kernel/ksyms_empty.o kernel/arch/$(ARCH)/kernel.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/kernel/ksyms_empty.o
$(BUILD)/ksyms.S: $(BUILD)/kernel.pass1.elf tools/mksyms.sh
	tools/mksyms.sh $< > $@
$(BUILD)/ksyms.o: $(BUILD)/ksyms.S
	$(CC) -c $< -o $@
$(BUILD)/kernel.elf: $(BUILD)/kernel.pass1.elf $(BUILD)/ksyms.o
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/ksyms.o
	@nm $(BUILD)/kernel.pass1.elf | grep ' [tT] ' > $(BUILD)/syms1.txt; \
	 nm $@ | grep ' [tT] ' > $(BUILD)/syms2.txt; \
	 cmp -s $(BUILD)/syms1.txt $(BUILD)/syms2.txt || { echo "ksyms moved code"; rm -f $@; exit 1; }

# ---------------------------------------------------------------- user space
$(BUILD)/lib/%.o: lib/%.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"; $(CC) $(USER_CFLAGS) -c $< -o $@
$(BUILD)/lib/%.o: lib/%.S
	@mkdir -p $(@D)
	$(CC) -g -Iinclude -MMD -MP -c $< -o $@
$(LIBV): $(LIBV_OBJ)
	@rm -f $@ && ar rcs $@ $^
$(BUILD)/user/%.o: user/%.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"; $(CC) $(USER_CFLAGS) -c $< -o $@
$(BUILD)/tests/user/%.o: tests/user/%.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"; $(CC) $(USER_CFLAGS) -c $< -o $@

PRIV_hlt   := -DPRIV_INSN='"hlt"' -DPRIV_NAME='"hlt"'
PRIV_cli   := -DPRIV_INSN='"cli"' -DPRIV_NAME='"cli"'
PRIV_outb  := -DPRIV_INSN='"outb %al, $$0x80"' -DPRIV_NAME='"outb"'
PRIV_wrmsr := -DPRIV_INSN='"xor %ecx, %ecx; wrmsr"' -DPRIV_NAME='"wrmsr"'
PRIV_lgdt  := -DPRIV_INSN='"lgdt (%rsp)"' -DPRIV_NAME='"lgdt"'
$(BUILD)/tests/user/priv_%.o: tests/user/priv_insn.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(PRIV_$*) -c $< -o $@

# LINK_<prog>: extra linker flags; LIBS_<prog>: libraries before libveneer.
LINK_sysret_noncanon := --section-start=.edge=0x7ffffffff000
$(BUILD)/bin/%: $(BUILD)/lib/libveneer/crt0.o $(LIBV)
	@mkdir -p $(@D)
	$(LD) $(USER_LDFLAGS) $(LINK_$*) -o $@ $(BUILD)/lib/libveneer/crt0.o \
		$(firstword $(wildcard $(BUILD)/user/$*.o $(BUILD)/tests/user/$*.o)) $(LIBS_$*) $(LIBV)
$(foreach p,$(USER_PROGS),$(eval $(BUILD)/bin/$(p): $(BUILD)/user/$(p).o))
$(foreach p,$(TEST_PROGS) $(PRIV_PROGS),$(eval $(BUILD)/bin/$(p): $(BUILD)/tests/user/$(p).o))

# The POSIX libOS, linked high so Linux programs keep 0x400000.
POSIX_SRC := $(wildcard lib/posix/*.c)
POSIX_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(POSIX_SRC))
# Linux syscall names for the libOS's "not implemented" log, from the host's header.
$(BUILD)/gen/posix/linux_names.h: /usr/include/x86_64-linux-gnu/asm/unistd_64.h tools/gen-linux-names.awk
	@mkdir -p $(@D)
	awk -f tools/gen-linux-names.awk $< > $@
$(BUILD)/lib/posix/syscall.o: $(BUILD)/gen/posix/linux_names.h
# The served Linux calls: the dispatch table and its handlers' prototypes
# (LXCALLS, GENLX: with docs/linux_calls.md above).
$(BUILD)/gen/posix/linux_calls_%.h: $(LXCALLS)
	@mkdir -p $(@D) && $(call GENLX,$*) > $@.tmp && mv $@.tmp $@
$(POSIX_OBJ): $(BUILD)/gen/posix/linux_calls_decl.h $(BUILD)/gen/posix/linux_calls_table.h
$(BUILD)/lib/posix/%.o: lib/posix/%.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"; $(CC) $(USER_CFLAGS) -mgeneral-regs-only -I$(BUILD)/gen/posix -c $< -o $@
$(BUILD)/bin/posix: $(BUILD)/lib/libveneer/crt0.o $(POSIX_OBJ) $(LIBV) lib/posix/posix.ld
	@mkdir -p $(@D)
	$(LD) -nostdlib -static --no-relax -z max-page-size=4096 -z noexecstack -T lib/posix/posix.ld -o $@ \
		$(BUILD)/lib/libveneer/crt0.o $(POSIX_OBJ) $(LIBV)
# Unmodified Linux programs: static musl executables, and Debian's static
# binaries, each one file of one binary package (tools/get-deb-file.sh).
DEB_busybox := busybox-static bin/busybox
DEB_e2fsck  := e2fsck-static sbin/e2fsck.static
DEB_bash    := bash-static bin/bash-static
DEB_zsh     := zsh-static bin/zsh-static
DEB_gpgv    := gpgv-static usr/bin/gpgv-static
$(addprefix $(BUILD)/bin/,busybox e2fsck bash zsh gpgv): $(BUILD)/bin/%: tools/get-deb-file.sh
	@mkdir -p $(@D)
	tools/get-deb-file.sh $(DEB_$*) $@
$(BUILD)/bin/hello_musl: tests/linux/hello.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 -o $@ $<
# The same program as a static PIE (musl's rcrt1 relocates it at run time).
MUSL_LIB := /usr/lib/x86_64-linux-musl
$(BUILD)/bin/hello_pie: tests/linux/hello.c
	@mkdir -p $(@D) $(BUILD)/linux
	musl-gcc -fPIE -O2 -c -o $(BUILD)/linux/hello_pie.o $<
	$(LD) -static -pie --no-dynamic-linker -z text -o $@ $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
		$(BUILD)/linux/hello_pie.o $(MUSL_LIB)/libc.a $(MUSL_LIB)/crtn.o
# The conformance suite (tests/linux/t_*.c), one static musl program each.
$(addprefix $(BUILD)/bin/,$(LINUX_TESTS)): $(BUILD)/bin/%: tests/linux/%.c tests/linux/check.h
	@mkdir -p $(@D)
	musl-gcc -static -O2 -Wall -Werror -o $@ $<

$(BUILD)/tools/mkarchive: tools/mkarchive.c include/veneer/archive.h
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -Iinclude -o $@ $<
$(BUILD)/tools/mkblob: tools/mkblob.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -o $@ $<
$(BUILD)/www/10mb.bin: $(BUILD)/tools/mkblob
	@mkdir -p $(@D)
	$< $@ 10485760
# EXTRA_DIR=DIR: every regular file of DIR goes into the archive's /bin too,
# after the build's own programs, so one of the same name is replaced.  The
# stamp holds the list, so changing EXTRA_DIR (or its files) repacks.
EXTRA_FILES := $(if $(EXTRA_DIR),$(sort $(shell find $(EXTRA_DIR)/ -maxdepth 1 -type f 2>/dev/null)))
$(BUILD)/extra_dir.list: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' $(EXTRA_FILES) > $@.new; cmp -s $@.new $@ && rm $@.new || mv $@.new $@
$(BUILD)/initrd.var: $(BUILD)/tools/mkarchive $(PROGS) $(WWW_FILES) $(EXTRA_FILES) $(BUILD)/extra_dir.list
	$(if $(EXTRA_DIR),$(if $(EXTRA_FILES),,$(error EXTRA_DIR=$(EXTRA_DIR): no files there)))
	$(BUILD)/tools/mkarchive $@ $(PROGS) $(foreach f,$(WWW_FILES),www/$(notdir $(f))=$(f)) $(EXTRA_FILES)
FORCE:

# ---------------------------------------------------------------- host unit tests
$(BUILD)/host/test_%: tests/host/test_%.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(filter-out $<,$(wildcard $(HOST_SRCS_$*)))
# Not a C program: compares the committed docs/syscalls.md with $(SYSDOC).
$(BUILD)/host/test_syscalls_doc: tests/host/syscalls_doc.sh $(SYSDOC)
	@mkdir -p $(@D) && cp $< $@ && chmod +x $@
# Not a C program: lib/posix/linux_calls.tbl against the host's header, lib/posix and docs/linux_calls.md.
$(BUILD)/host/test_linux_calls: tests/host/linux_calls.sh
	@mkdir -p $(@D) && cp $< $@ && chmod +x $@
# Not a C program either: the kernel's line budget (tests/host/kernel_size.sh).
# It counts the tree as it is when it runs.
$(BUILD)/host/test_kernel_size: tests/host/kernel_size.sh tools/size.sh
	@mkdir -p $(@D) && cp $< $@ && chmod +x $@
HOST_SRCS_page_alloc := kernel/page_alloc.c
HOST_SRCS_cap := kernel/cap.c
HOST_SRCS_pf := drivers/pf/pf_verify.c drivers/pf/pf_classify.c
HOST_SRCS_net_mux := drivers/pf/pf_verify.c drivers/pf/pf_classify.c
HOST_SRCS_posix_fs := lib/posix/fs.c
HOST_SRCS_posix_path := lib/posix/pathjoin.c
HOST_SRCS_pci := kernel/pci.c kernel/pci_place.c
HOST_SRCS_pci_place := kernel/pci_place.c
HOST_SRCS_acpi_dmar := kernel/arch/x86_64/acpi_dmar.c
HOST_SRCS_virtio_net := drivers/virtio_net/virtio_net.c drivers/netdev.c
HOST_SRCS_vnet_filter := lib/lwip_port/vnet_filter.c
$(BUILD)/host/test_vnet_filter: HOST_CFLAGS += -Ilib/lwip_port/include
$(BUILD)/host/test_vnet_filter: lib/lwip_port/vnet_filter.c lib/lwip_port/include/vnet_filter.h
$(BUILD)/host/test_acpi_dmar: kernel/arch/x86_64/acpi_dmar.c kernel/arch/x86_64/acpi.h
$(BUILD)/host/test_pci: kernel/pci.c kernel/pci_place.c kernel/pci.h
$(BUILD)/host/test_pci_place: kernel/pci_place.c kernel/pci.h
$(BUILD)/host/test_posix_fs: lib/posix/fs.c
$(BUILD)/host/test_posix_path: lib/posix/pathjoin.c lib/posix/pathjoin.h
$(BUILD)/host/test_cap: kernel/cap.c
$(BUILD)/host/test_pf: drivers/pf/pf_verify.c drivers/pf/pf_classify.c drivers/pf/pf.h
$(BUILD)/host/test_page_alloc: kernel/page_alloc.c
$(BUILD)/host/test_blk_extent: drivers/blk_mux/blk_extent.h include/veneer/blk.h
$(BUILD)/host/test_net_mux: drivers/net_mux/net_mux.h drivers/pf/pf_verify.c drivers/pf/pf_classify.c
$(BUILD)/host/test_virtio_net: drivers/virtio_net/virtio_net.c drivers/drv.h drivers/netdev.c drivers/netdev.h

# ---------------------------------------------------------------- running
# QEMU's exit status is the kernel's isa-debug-exit code: 1 pass, 3 fail, 5 panic.
run: all $(if $(RUN_DISK),$(BUILD)/disk.img)
	@$(if $(RUN_NET),echo "veneer: the native web server answers at http://127.0.0.1:$(PORT)/ once it says ready" \
	   "and busybox httpd at http://127.0.0.1:$(PORT2)/ (PORT=n and PORT2=m for others; Ctrl-A x quits)")
	@$(QEMU) $(QEMU_BASE) -m $(RUN_MEM) $(QEMU_BOOT) -append "$(CMDLINE)" $(RUN_NET) $(RUN_DISK) $(RUN_CONSOLE); s=$$?; \
	 case $$s in 0|1) ;; 3) echo "veneer: the first environment failed"; exit 1 ;; \
	   5) echo "veneer: kernel panic"; exit 1 ;; *) exit $$s ;; esac

run-net:
	@$(MAKE) --no-print-directory run NET=1

# Two libOSes on two SR-IOV VFs of one NVMe controller, each with its own
# ext4 on its VF's private namespace, writing at the same time
# (user/vfmgr.c's arg1=4): a POSIX instance on VF 1 (its fsd drives the
# VF with lib/fs/blkdev_vf.c; busybox times a 2 MiB dd) and the native
# ext4 libOS user/vfext4.c on VF 2 (prints its KiB/s).  tests/qemu/
# sriov_posix.t and sriov_ext4.t check the same paths' images.  Scratch
# images in $(BUILD)/run-vf.ns1..3 (2 and 3 fresh ext4, kept for
# e2fsck/debugfs afterwards).
VF_IMG := $(BUILD)/run-vf
VF_RUN := run=busybox,sh,-c,mkdir+-p+/root/w;time+dd+if=/dev/zero+of=/root/w/zero+bs=65536+count=32;sync;ls+-l+/root/w
comma := ,
run-vf: all
	@rm -f $(VF_IMG).ns1 && truncate -s 4M $(VF_IMG).ns1
	@rm -f $(VF_IMG).ns2 && tools/mkdisk.sh $(VF_IMG).ns2 16 > /dev/null
	@rm -f $(VF_IMG).ns3 && mke2fs -q -F -t ext4 -b 4096 -J size=4 -E lazy_itable_init=0 $(VF_IMG).ns3 16M > /dev/null
	@$(QEMU) $(QEMU_BASE) -m $(RUN_MEM) $(QEMU_BOOT) -append "init=vfmgr arg0=2048 arg1=4 drv_skip=00:05.0 $(VF_RUN)" $(RUN_CONSOLE) \
	  -device nvme-subsys,id=vfs0,nqn=vfs0 \
	  -device nvme,id=vfpf,serial=vfpf,subsys=vfs0,addr=5,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=8,max_ioqpairs=10,msix_qsize=10 \
	  $(foreach i,1 2 3,-drive file=$(VF_IMG).ns$(i),if=none,id=vfd$(i),format=raw \
	  -device nvme-ns,bus=vfpf,drive=vfd$(i),nsid=$(i)$(if $(filter 1,$(i)),,$(comma)shared=off$(comma)detached=on)); \
	 s=$$?; case $$s in 0|1) ;; *) echo "veneer: run-vf failed ($$s)"; exit 1 ;; esac

gdb: all
	@echo "QEMU is paused; in another terminal run: gdb   (uses .gdbinit)"
	$(QEMU) $(QEMU_BASE) $(QEMU_BOOT) -append "$(CMDLINE)" -nographic -S -gdb tcp::1234

# T=name (or T=a,b): only those tests, without the bench smoke run.
test: all iso fuzz-kernel $(if $(T),,bench-smoke)
	@QEMU="$(QEMU)" QEMU_BASE="$(QEMU_COMMON)" QEMU_MACHINE="$(QEMU_MACHINE)" \
		QEMU_MACHINE_q35="$(QEMU_MACHINE_q35)" QEMU_MACHINE_pc="$(QEMU_MACHINE_pc)" \
		BUILD=$(BUILD) tests/run.sh $(T)

# The fuzzing kernel: same sources, with the syscall trace ring and the
# periodic invariant audit (VENEER_FUZZ), built under $(BUILD)/fuzz.
fuzz-kernel: $(GEN_HDRS)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz KDEFS=-DVENEER_FUZZ $(BUILD)/fuzz/kernel.elf

# make fuzz [SEED=n] [CALLS=m] [SMP=k] [FUZZ_SKIP=family,...]: a long fuzzing run,
# reproducible from its seed (FUZZ_SKIP leaves out sequence families, see user/fuzz_seq.h).
SEED  ?= $(shell date +%s)
CALLS ?= 5000000
SMP   ?= 4
FUZZ_SKIP ?=
fuzz: all fuzz-kernel
	@QEMU="$(QEMU)" QEMU_BASE="$(subst -smp $(QEMU_SMP),-smp $(SMP),$(QEMU_BASE))" BUILD=$(BUILD) \
		tools/fuzz.sh $(SEED) $(CALLS) $(FUZZ_SKIP)

iso: $(BUILD)/veneer.iso
# setup is phony: order-only, or the ISO would be remade on every make test.
$(BUILD)/veneer.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.var tools/grub.cfg | setup
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	cp $(BUILD)/kernel.elf $(BUILD)/iso/boot/veneer.elf
	cp $(BUILD)/initrd.var $(BUILD)/iso/boot/initrd.var
	cp tools/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

clean:
	rm -rf $(BUILD)

include mk/bench.mk
include mk/lwip.mk
include mk/uhome.mk
include mk/e2fs.mk
include mk/fs.mk
include mk/fsd.mk
include mk/sqlite.mk
include mk/bench_disk.mk
include mk/bench_vf.mk
include mk/crashtest.mk

-include $(shell find $(BUILD) -name '*.d' -type f -not -path '$(BUILD)/dl/*' -not -path '$(BUILD)/bench/*' \
	-not -path '$(LWIP_SRC)/*' -not -path '$(E2FS_OBJ)/*' -not -path '$(E2FS_SRC)/*' 2>/dev/null)
