# lwIP as a library for Veneer-native libOSes, included by the Makefile.
# The sources are Debian's (the lwip source package), fetched and unpacked
# into $(BUILD)/lwip-src by tools/get-lwip.sh only when a program that
# links lwIP is built; never committed.  They compile unmodified with the
# user programs' flags, freestanding (-nostdinc: only the compiler's own
# headers, and lib/lwip_port/libc's <string.h>, <stdlib.h> and
# <stdio.h> that name libveneer), against lib/lwip_port's configuration
# (lwipopts.h, arch/cc.h).  The port's own code (sys_arch.c, vnetif.c)
# joins them in $(BUILD)/lib/liblwip.a.
# A program links lwIP by being listed in LWIP_PROGS.

LWIP_SRC   := $(BUILD)/lwip-src
LWIP_STAMP := $(LWIP_SRC)/.veneer-lwip
# NO_SYS=1: the core without the sequential API (api/), IPv4, Ethernet,
# and the raw-API web server with its built-in pages.
LWIP_FILES := core/init.c core/def.c core/mem.c core/memp.c core/netif.c core/pbuf.c core/raw.c \
	core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/inet_chksum.c core/ip.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	core/ipv4/dhcp.c \
	netif/ethernet.c \
	apps/http/httpd.c apps/http/fs.c
LWIP_OBJ   := $(patsubst %.c,$(BUILD)/lwip/%.o,$(LWIP_FILES))
LWIP_PORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/lwip_port/*.c))
LWIP_LIB   := $(BUILD)/lib/liblwip.a
LWIP_CFLAGS := -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-Ilib/lwip_port/include -Ilib/lwip_port/libc -I$(LWIP_SRC)/src/include

LWIP_PROGS := lwip_loop netd httpd netmux_victim

# Fetching: the script is idempotent and leaves the stamp last.
$(LWIP_STAMP): | setup
	@tools/get-lwip.sh $(BUILD)
$(addprefix $(LWIP_SRC)/src/,$(LWIP_FILES)): | $(LWIP_STAMP)

$(BUILD)/lwip/%.o: $(LWIP_SRC)/src/%.c | $(GEN_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      lwip/$*.c"; $(CC) $(USER_CFLAGS) $(LWIP_CFLAGS) -c $< -o $@
$(LWIP_PORT_OBJ): USER_CFLAGS += $(LWIP_CFLAGS)
$(LWIP_PORT_OBJ): | $(LWIP_STAMP)
$(LWIP_LIB): $(LWIP_OBJ) $(LWIP_PORT_OBJ)
	@rm -f $@ && ar rcs $@ $^

# Programs that link lwIP: compiled like the library, linked with it.
LWIP_PROG_OBJ := $(foreach p,$(LWIP_PROGS),$(if $(wildcard user/$(p).c),$(BUILD)/user,$(BUILD)/tests/user)/$(p).o)
$(LWIP_PROG_OBJ): USER_CFLAGS += $(LWIP_CFLAGS)
$(LWIP_PROG_OBJ): | $(LWIP_STAMP)
$(addprefix $(BUILD)/bin/,$(LWIP_PROGS)): $(LWIP_LIB)
$(foreach p,$(LWIP_PROGS),$(eval LIBS_$(p) := $(LWIP_LIB)))
