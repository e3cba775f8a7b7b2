# SQLite's shell (sqlite3) and its speedtest1 benchmark, unmodified
# Linux programs for the POSIX libOS's /bin: static musl executables from
# Debian's sqlite3 source package, fetched and unpacked into
# $(BUILD)/sqlite3-src by tools/get-source.sh (nothing is committed).
# The source package has no amalgamation, so SQLite's own configure and
# `make sqlite3.c shell.c` (host gcc and tclsh build the generator tools)
# make it in $(BUILD)/sqlite; musl-gcc then compiles sqlite3.c once and
# links it with shell.c and with test/speedtest1.c.  The log stays in
# $(BUILD)/sqlite/build.log; `rm -rf $(BUILD)/sqlite` rebuilds.
# Options: single-threaded (the libOS's threads are not needed by
# either program), no extension loading (a static binary has no dlopen).

SQLITE_SRC   := $(BUILD)/sqlite3-src
SQLITE_SRC_STAMP := $(SQLITE_SRC)/.veneer-sqlite3
SQLITE_OBJ   := $(BUILD)/sqlite
SQLITE_AMALG := $(SQLITE_OBJ)/.veneer-amalgamation
SQLITE_CFLAGS := -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DEFAULT_MEMSTATUS=0 \
	-DHAVE_USLEEP=1 -I$(SQLITE_OBJ)
SQLITE_PROGS := $(BUILD)/bin/sqlite3 $(BUILD)/bin/speedtest1

$(SQLITE_SRC_STAMP): | setup
	@tools/get-source.sh sqlite3 $(BUILD) '3.40.*'

$(SQLITE_AMALG): $(SQLITE_SRC_STAMP) mk/sqlite.mk
	@rm -rf $(SQLITE_OBJ) && mkdir -p $(SQLITE_OBJ)
	@echo "  SQLITE  configure + amalgamation in $(SQLITE_OBJ), log build.log"
	@cd $(SQLITE_OBJ) && { ../sqlite3-src/configure --disable-tcl --disable-readline --disable-editline && \
		$(MAKE) sqlite3.c shell.c; } > build.log 2>&1 || { tail -n 30 build.log; exit 1; }
	@touch $@

$(SQLITE_OBJ)/sqlite3.o: $(SQLITE_AMALG)
	@echo "  MUSLCC  sqlite3.c"; musl-gcc $(SQLITE_CFLAGS) -c $(SQLITE_OBJ)/sqlite3.c -o $@
$(SQLITE_OBJ)/shell.o: $(SQLITE_AMALG)
	@echo "  MUSLCC  shell.c"; musl-gcc $(SQLITE_CFLAGS) -c $(SQLITE_OBJ)/shell.c -o $@
$(SQLITE_OBJ)/speedtest1.o: $(SQLITE_AMALG)
	@echo "  MUSLCC  speedtest1.c"; musl-gcc $(SQLITE_CFLAGS) -c $(SQLITE_SRC)/test/speedtest1.c -o $@
$(BUILD)/bin/sqlite3: $(SQLITE_OBJ)/shell.o $(SQLITE_OBJ)/sqlite3.o
	@mkdir -p $(@D) && musl-gcc -static -o $@ $^
$(BUILD)/bin/speedtest1: $(SQLITE_OBJ)/speedtest1.o $(SQLITE_OBJ)/sqlite3.o
	@mkdir -p $(@D) && musl-gcc -static -o $@ $^

.PHONY: sqlite
sqlite: $(SQLITE_PROGS)
