# The vf suite of `make bench` and `make bench-smoke` (bench/vf/): 4 KiB
# random reads and writes on one NVMe controller with SR-IOV (BENCH_VF_NVME:
# the PF with ns 1 shared, ns 2 and 3 private and detached, the VFs'),
# in place of the bench's plain NVMe disk, in three boots: Veneer's
# VF-direct libOSes (user/vfmgr.c arg1=5 starting user/vfbench.c on two
# VFs), Veneer's kernel NVMe driver on the PF (init=vfbench: two extents
# of ns 1), and Linux's nvme driver on the PF (bench/vf/linux_init.c, its
# own initramfs: O_DIRECT on /dev/nvme0n1, one and two processes).
# bench/run.sh swaps BENCH_VF_NVME in (BENCH_VF_DEV in the environment).
# Included after mk/bench.mk and mk/uhome.mk.

BENCH_VF_CPIO := $(BENCH_OUT)/vf/initramfs.cpio
BENCH_VF_IMG  := $(BENCH_OUT)/vf-ns
BENCH_VF_NVME := -device nvme-subsys,id=vfs0,nqn=vfs0 \
	-device nvme,id=vfpf,serial=vfpf,subsys=vfs0,addr=7,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=8,max_ioqpairs=10,msix_qsize=10 \
	-drive file=$(BENCH_VF_IMG)1.img,if=none,id=vfd1,format=raw -device nvme-ns,bus=vfpf,drive=vfd1,nsid=1 \
	-drive file=$(BENCH_VF_IMG)2.img,if=none,id=vfd2,format=raw -device nvme-ns,bus=vfpf,drive=vfd2,nsid=2,shared=off,detached=on \
	-drive file=$(BENCH_VF_IMG)3.img,if=none,id=vfd3,format=raw -device nvme-ns,bus=vfpf,drive=vfd3,nsid=3,shared=off,detached=on
BENCH_ENV += BENCH_VF_DEV="$(BENCH_VF_NVME)" BENCH_VF_IMG="$(BENCH_VF_IMG)"

# user/vfbench.c drives a VF itself: the user home, as mk/uhome.mk's programs.
$(BUILD)/user/vfbench.o: USER_CFLAGS += -Idrivers
$(BUILD)/user/vfbench.o $(BUILD)/user/vfmgr.o: bench/vf/vfb.h bench/bench_common.h
$(BUILD)/bin/vfbench: $(UDRV_LIB)
LIBS_vfbench += $(UDRV_LIB)

$(BENCH_OUT)/vf/init: bench/vf/linux_init.c bench/vf/vfb.h bench/bench_common.h
	@mkdir -p $(@D)
	musl-gcc $(BENCH_LINUX_CFLAGS) -o $@ $<
$(BENCH_VF_CPIO): $(BENCH_OUT)/vf/init bench/mkcpio.sh
	printf '%s\n' 'dir dev 755' 'nod dev/console 600 c 5 1' 'dir proc 755' 'dir sys 755' \
		'file init 755 $(BENCH_OUT)/vf/init' | bench/mkcpio.sh > $@.part
	@mv $@.part $@
bench: $(BENCH_VF_CPIO)
