# make crashtest [CRASH_STATES=n] [CRASH_FSYNCS=k] [CRASH_SEED=s]: the
# write-log crash harness at length (tests/qemu/disk_writelog.t, which
# make test runs with 8 states after 12 fsyncs): the power is cut after
# CRASH_FSYNCS fsyncs, then CRASH_STATES images rebuilt from the log
# (flush boundaries; unflushed writes dropped and reordered) are each
# replayed by e2fsck, checked clean and checked for every fsync'd file.
# Then net_crash_user with 20 kills of the user-level NIC driver during
# 10 MiB downloads (make test runs it with 6).
CRASH_STATES ?= 60
CRASH_FSYNCS ?= 40
.PHONY: crashtest
crashtest: all
	@CRASH_STATES=$(CRASH_STATES) CRASH_FSYNCS=$(CRASH_FSYNCS) $(if $(CRASH_SEED),CRASH_SEED=$(CRASH_SEED)) \
		QEMU="$(QEMU)" QEMU_BASE="$(QEMU_COMMON)" QEMU_MACHINE="$(QEMU_MACHINE)" \
		QEMU_MACHINE_q35="$(QEMU_MACHINE_q35)" QEMU_MACHINE_pc="$(QEMU_MACHINE_pc)" \
		BUILD=$(BUILD) tests/run.sh disk_writelog
	@NET_CRASH_KILLS=20 QEMU="$(QEMU)" QEMU_BASE="$(QEMU_COMMON)" QEMU_MACHINE="$(QEMU_MACHINE)" \
		QEMU_MACHINE_q35="$(QEMU_MACHINE_q35)" QEMU_MACHINE_pc="$(QEMU_MACHINE_pc)" \
		BUILD=$(BUILD) tests/run.sh net_crash_user
