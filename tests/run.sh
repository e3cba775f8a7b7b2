#!/bin/bash
# Veneer test runner (called by `make test`; `make test T=name` runs one).
#   1. host unit tests: every $BUILD/host/test_* binary, pass = exit 0;
#   2. in-QEMU tests: every tests/qemu/*.t, a shell fragment setting
#        cmdline   kernel command line (init=prog,... or ktest=name)
#        expect    array of extended regexps that must all appear in the log
#        reject    array of regexps that must not appear (PANIC and LEAK
#                  are always rejected unless result=panic)
#        result    pass | fail | panic: the isa-debug-exit code expected;
#                  killed: the client cuts the power (kill -KILL -- -"$qpid")
#        timeout   seconds (default 30)
#        boot      kernel (default: -kernel PVH) | iso-bios | iso-uefi
#        kernel    kernel image under $BUILD (default kernel.elf; fuzz/kernel.elf
#                  is the fuzzing build with invariant audits)
#        machine   q35 | pc: the machine to boot (default: make's MACHINE,
#                  itself q35 with the IOMMU unless MACHINE=pc)
#        qemu_extra extra QEMU arguments (devices, drives; a test may create
#                  files under $BUILD for them: the .t is sourced)
#        input     bash code whose output is typed on the serial console
#                  (use sleeps to pace it); the console is then stdio
#        expect_file a file the serial output between the lines ==begin==
#                  and ==end== must equal exactly (carriage returns dropped)
#        client    a bash function: a host-side client, run while QEMU runs in
#                  the background, once the serial log has a line matching the
#                  extended regexp client_ready; the test passes only if it
#                  returns 0 (its output is kept in <log>.client).  It should
#                  make the guest end (e.g. a request that makes a server exit,
#                  so that the leak check runs); QEMU gets client_grace seconds
#                  (default 15) after it to exit, else the runner ends it and
#                  the test fails, unless result=none (the runner ends QEMU and
#                  checks no exit code).  All of it within timeout.
#        after     a bash function run on the host once QEMU has exited and
#                  the log passed every check (say, to check a disk image
#                  the guest wrote); the test passes only if it returns 0
#                  (its output is kept in <log>.after).
#        free_port tcp|udp (the runner's): a loopback port free now, for a
#                  hostfwd; if QEMU still cannot bind it, the test is tried
#                  again (3 times) with the .t sourced anew
#        variants  one line `variants=("blk=user" ...)`, read without
#                  sourcing the file: the test also runs once per element,
#                  named <name>_<the option values joined by _> (blk=user:
#                  <name>_user; smp=4: <name>_smp4), with the element's boot
#                  options appended to cmdline (smp=N: QEMU's -smp N instead)
#                  after the .t is sourced and in $variant while
#                  it is (empty for the plain run), so that the .t can name
#                  its images after $name and pass $variant to later boots.
# QEMU_BASE (everything but the machine), QEMU_MACHINE (the default
# machine's arguments) and QEMU_MACHINE_<name> come from the Makefile.
# Each QEMU test's serial log is kept in $BUILD/test-logs/<name>.log and
# its tail printed on failure.  Ends with "N passed, N failed".
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-x86_64}
only=${1:-}
only=" ${only//,/ } "        # T=a,b or T="a b": several tests
logdir=$BUILD/test-logs
mkdir -p "$logdir"
passed=0
failed=0
failures=()

free_port() {  # free_port tcp|udp: a port on 127.0.0.1 nothing is bound to now
    python3 -c 'import socket, sys
s = socket.socket(type=socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' "$1"
}

report() {  # report <name> <ok 0|1> <seconds> <why>
    if [ "$2" = 0 ]; then
        printf 'PASS  %-28s %6ss\n' "$1" "$3"
        passed=$((passed + 1))
    else
        printf 'FAIL  %-28s %6ss  %s\n' "$1" "$3" "$4"
        failed=$((failed + 1))
        failures+=("$1")
    fi
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

run_host_test() {
    local bin=$1 name=host_${1##*/test_} t0
    t0=$(now)
    if "$bin" > "$logdir/$name.log" 2>&1; then
        report "$name" 0 "$(elapsed "$t0")"
    else
        report "$name" 1 "$(elapsed "$t0")" "exit status $?"
        tail -n 20 "$logdir/$name.log" | sed 's/^/    | /'
    fi
}

# Boot QEMU in the background and run the test's client once the log
# matches client_ready; sets code (QEMU's exit status, or "ended": the
# runner stopped it) and client_rc (the client's status, or "not run").
# The client and QEMU each run as a process group, so that ending one
# ends its children too.
run_with_client() {
    local deadline=$((SECONDS + timeout)) qpid cpid grace
    set -m
    timeout "$timeout" "$@" < /dev/null > "$log.qemu" 2>&1 &
    qpid=$!
    set +m
    client_rc="not run"
    # QEMU's liveness is taken before the log is read: a guest that prints
    # the line and halts between two looks still gets its client.
    local alive
    while [ "$SECONDS" -lt "$deadline" ]; do
        alive=0
        kill -0 "$qpid" 2> /dev/null && alive=1
        if grep -Eq -- "$client_ready" "$log" 2> /dev/null; then
            set -m
            ( client ) > "$log.client" 2>&1 &
            cpid=$!
            set +m
            while kill -0 "$cpid" 2> /dev/null && [ "$SECONDS" -lt "$deadline" ]; do
                sleep 0.2
            done
            kill -- -"$cpid" 2> /dev/null
            wait "$cpid"
            client_rc=$?
            break
        fi
        [ "$alive" = 1 ] || break
        sleep 0.2
    done
    grace=$((SECONDS + client_grace))
    [ "$client_rc" = 0 ] && [ "$result" != none ] || grace=$SECONDS
    [ "$grace" -lt "$deadline" ] || grace=$deadline
    while kill -0 "$qpid" 2> /dev/null && [ "$SECONDS" -lt "$grace" ]; do
        sleep 0.2
    done
    if kill -0 "$qpid" 2> /dev/null; then
        kill -- -"$qpid" 2> /dev/null
        wait "$qpid"
        code=ended
    else
        wait "$qpid"
        code=$?
    fi
}

# The variant's options: smp=N is QEMU's -smp N (after the .t's own, so it
# wins), any other goes on the kernel command line.
apply_variant() {
    local opt
    for opt in $variant; do
        case $opt in
            smp=*) qemu_extra="$qemu_extra -smp ${opt#smp=}" ;;
            *) cmdline="$cmdline $opt" ;;
        esac
    done
}

run_qemu_test() {  # run_qemu_test <file.t> <name> [variant boot options]
    local file=$1 name=$2 variant=${3:-} t0 code want why="" log client_rc="" tries=1
    log=$logdir/$name.log
    # Defaults, then the test's own settings.
    cmdline="init=init"; expect=(); reject=(); result=pass; timeout=30; boot=kernel; qemu_extra=""; expect_file=""; input=""
    kernel=kernel.elf; machine=""; client_ready=""; client_grace=15
    unset -f client after
    # shellcheck disable=SC1090
    source "$file"
    apply_variant
    local bootargs margs=${QEMU_MACHINE:-} mvar
    if [ -n "$machine" ]; then
        mvar=QEMU_MACHINE_$machine
        margs=${!mvar:-}
        [ -n "$margs" ] || { report "$name" 1 0 "unknown machine=$machine"; return; }
    fi
    case $boot in
        kernel)   bootargs="-bios /usr/share/qemu/qboot.rom -kernel $BUILD/$kernel -initrd $BUILD/initrd.var" ;;
        iso-bios) bootargs="-cdrom $BUILD/veneer.iso" ;;
        iso-uefi) bootargs="-bios /usr/share/ovmf/OVMF.fd -cdrom $BUILD/veneer.iso" ;;
        *) report "$name" 1 0 "unknown boot=$boot"; return ;;
    esac
    t0=$(now)
    # shellcheck disable=SC2086
    if declare -F client > /dev/null; then
        rm -f "$log" "$log.client"
        run_with_client $QEMU $QEMU_BASE $margs $bootargs -append "$cmdline" -display none \
            -serial file:"$log" $qemu_extra
        # A port taken since free_port chose it: the .t again, new ports.
        while [ "$client_rc" = "not run" ] && grep -q "host forwarding" "$log.qemu" && [ $((tries++)) -lt 3 ]; do
            source "$file"
            apply_variant
            rm -f "$log" "$log.client"
            run_with_client $QEMU $QEMU_BASE $margs $bootargs -append "$cmdline" -display none \
                -serial file:"$log" $qemu_extra
        done
    elif [ -n "$input" ]; then
        ( eval "$input" ) | timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -append "$cmdline" -display none \
            -serial stdio $qemu_extra > "$log" 2> "$log.qemu"
        code=${PIPESTATUS[1]}
    elif [ "$boot" = kernel ]; then
        timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -append "$cmdline" -display none \
            -serial file:"$log" $qemu_extra < /dev/null > "$log.qemu" 2>&1
        code=$?
    else
        timeout "$timeout" $QEMU $QEMU_BASE $margs $bootargs -display none \
            -serial file:"$log" $qemu_extra < /dev/null > "$log.qemu" 2>&1
        code=$?
    fi
    case $result in pass) want=1 ;; fail) want=3 ;; panic) want=5 ;; none) want=ended ;; killed) want=137 ;; *) want=x ;; esac
    if [ "$code" = 124 ]; then
        why="timed out after ${timeout}s"
    elif [ -n "$client_rc" ] && [ "$client_rc" != 0 ]; then
        why="client: $( [ "$client_rc" = "not run" ] && echo "not run (no line matching '$client_ready')" || echo "exit status $client_rc")"
    elif [ "$code" = ended ] && [ "$want" != ended ]; then
        why="QEMU still running ${client_grace}s after the client; ended"
    elif [ "$code" != "$want" ]; then
        why="QEMU exit $code, expected $want ($result)"
    fi
    [ "$result" = panic ] || reject+=("PANIC" "LEAK")
    for pat in "${expect[@]}"; do
        [ -n "$why" ] && break
        grep -Eq -- "$pat" "$log" || why="missing: $pat"
    done
    if [ -z "$why" ] && [ -n "$expect_file" ]; then
        tr -d '\r' < "$log" | sed -n '/^==begin==$/,/^==end==$/p' | sed '1d;$d' > "$log.out"
        if ! diff -u "$expect_file" "$log.out" > "$log.diff"; then
            why="output differs from $expect_file"
            head -n 30 "$log.diff" | sed 's/^/    diff| /'
        fi
    fi
    for pat in "${reject[@]}"; do
        [ -n "$why" ] && break
        ! grep -Eq -- "$pat" "$log" || why="unexpected: $pat"
    done
    if [ -z "$why" ] && declare -F after > /dev/null; then
        ( after ) > "$log.after" 2>&1 || { why="after: exit status $?"; tail -n 15 "$log.after" | sed 's/^/    after| /'; }
    fi
    if [ -z "$why" ]; then
        report "$name" 0 "$(elapsed "$t0")"
    else
        report "$name" 1 "$(elapsed "$t0")" "$why"
        echo "    --- last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    | /'
        [ -s "$log.qemu" ] && tail -n 5 "$log.qemu" | sed 's/^/    qemu| /'
        [ -n "$client_rc" ] && [ -s "$log.client" ] && tail -n 15 "$log.client" | sed 's/^/    client| /'
    fi
}

for bin in "$BUILD"/host/test_*; do
    [ -x "$bin" ] || continue
    name=host_${bin##*/test_}
    [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
    run_host_test "$bin"
done

# variant_suffix "blk=user net=user" -> "_user_user"
variant_suffix() {
    local opt out=""
    for opt in $1; do
        case $opt in smp=*) out+="_smp${opt#smp=}" ;; *) out+="_${opt#*=}" ;; esac
    done
    echo "$out"
}

for file in tests/qemu/*.t; do
    base=$(basename "$file" .t)
    variants=()
    line=$(grep -m1 '^variants=(' "$file") && eval "$line"
    for v in "" "${variants[@]}"; do
        name=$base$(variant_suffix "$v")
        [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
        run_qemu_test "$file" "$name" "$v"
    done
done

if [ "$only" != "  " ] && [ $((passed + failed)) = 0 ]; then
    echo "no test named '${only# }'"
    failed=1
fi
[ "$failed" = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
