# The user-level home of the driver interface, included by the Makefile
# after mk/lwip.mk.  The drivers of drivers/ (and the netdev/blkdev
# tables) are compiled a second time, unchanged, with the user programs'
# flags, and joined by drivers/home_user.c (drv.h over the device
# capabilities) in $(BUILD)/lib/libdrv.a.  A program that drives a device
# itself (an application-owned device) is listed in UHOME_PROGS: it is
# compiled with -Idrivers and linked with libdrv.a (after lwIP, whose
# vnetif back end on a netdev may use it).

UDRV_SRC := drivers/home_user.c drivers/blkdev.c drivers/netdev.c drivers/nvme/nvme.c drivers/nvme/nvme_log.c \
	drivers/virtio_net/virtio_net.c drivers/pf/pf_verify.c drivers/pf/pf_classify.c lib/fs/vf_io.c
UDRV_OBJ := $(patsubst %.c,$(BUILD)/udrv/%.o,$(UDRV_SRC))
UDRV_LIB := $(BUILD)/lib/libdrv.a

UHOME_PROGS := nvme_app uhome_hostile httpd vfmgr vfapp blkd vfext4 netmux

$(BUILD)/udrv/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $< (user home)"; $(CC) $(USER_CFLAGS) -Idrivers -c $< -o $@
$(UDRV_LIB): $(UDRV_OBJ)
	@rm -f $@ && ar rcs $@ $^

UHOME_PROG_OBJ := $(foreach p,$(UHOME_PROGS),$(if $(wildcard user/$(p).c),$(BUILD)/user,$(BUILD)/tests/user)/$(p).o)
$(UHOME_PROG_OBJ) $(LWIP_PORT_OBJ): USER_CFLAGS += -Idrivers
$(addprefix $(BUILD)/bin/,$(UHOME_PROGS)): $(UDRV_LIB)
$(foreach p,$(UHOME_PROGS),$(eval LIBS_$(p) += $(UDRV_LIB)))

# The web server's access log on a disk extent (user/httpd_log.c).
LIBS_httpd += $(BUILD)/user/httpd_log.o
$(BUILD)/bin/httpd: $(BUILD)/user/httpd_log.o
