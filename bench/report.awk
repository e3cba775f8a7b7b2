# Turn the serial logs of bench/run.sh into the comparison table (stdout)
# and results.csv, results.json and the chart's data files in `out`.
# Plain POSIX awk (mawk or gawk).  Input: files <os>-<mode>-<run>.log whose
# lines are "<host epoch seconds> <serial line>"; mode is icount (rdtsc =
# guest instructions) or wall (rdtsc = host TSC).  Variables: out, runs,
# qemu, qemu_args, release; require=OS turns it into the smoke check
# (exit 1 unless every row of OS has both metrics and the loop is 2.00).
#
# Each sample (bench/bench_common.h) ran its operation 0 and n times:
#   per-op = (x(n) - x(0)) / iters
# (iters: operations; a ctxsw call is two) with x = ticks (icount); in wall mode x = clock_gettime ns where the
# guest has it (Linux), else ticks / rate (Veneer).  The rate is the host
# TSC's ticks per ns: the median over every wall boot, of either guest, of
# (tsc at calib=end - tsc at calib=start) / (host time between the lines).
# A single boot's figure can be off by a few ms of host scheduling; the
# TSC rate itself is one host constant.  Rows
# other than loop and call then lose the median call cost of their OS and
# mode, once per call of fn (calls / iters per operation).  Cells are
# median (min..max) over every sample of every boot.
#
# Network rows (bench/net/boot.sh): files <os>-net-<run>-<suite>.net hold
# lines "BENCHNET os=OS suite=S op=OP key=value..." measured by the host,
# one per row and boot: requests/s, latency percentiles in us and error
# counts of wrk, or the UDP echo's round-trip percentiles and losses.  A
# cell is the median (min..max) over the boots.  Linux runs one server for
# every suite, so its samples also fill the own_, netuser_ and posix_ rows'
# Linux column.
#
# Suites: a begin line with suite=S (bench/posix/pbench.c: S = posix) opens
# a second program's rows, one boot of its own per guest.  Its loop and call
# rows become S_loop and S_call, and its call row, not the native one, comes
# off its operations; its rows follow the native ones in the table.

BEGIN {
    # The network rows, in table order, and each one's metrics.
    net_nops = split("http_c1 http_c16 udp_echo netuser_http_c1 netuser_http_c16 netuser_udp_echo " \
                     "own_http_c1 own_http_c16 own_udp_echo posix_http_c1 posix_http_c16 posix_udp_echo", net_ops, " ")
    net_linux_copies = split("own_ netuser_ posix_", net_copy, " ")     # rows whose Linux column is the native one's
    net_metric_name["rps"] = "requests/s"
    net_metric_name["p50"] = "p50 us"
    net_metric_name["p90"] = "p90 us"
    net_metric_name["p99"] = "p99 us"
    net_metric_name["errors"] = "errors"
    net_metric_name["lost"] = "lost"
    split("rps p50 p90 p99 errors", net_http_metrics, " ")
    split("p50 p90 p99 lost", net_udp_metrics, " ")
}

# The metrics of network row op, into ms[1..]: returns how many.
function net_metrics(op, ms,    i, n) {
    split("", ms)
    if (op ~ /udp/) {
        for (i = 1; i in net_udp_metrics; i++)
            ms[i] = net_udp_metrics[i]
    } else {
        for (i = 1; i in net_http_metrics; i++)
            ms[i] = net_http_metrics[i]
    }
    return i - 1
}

function basename(p) { sub(/.*\//, "", p); sub(/\.log$/, "", p); return p }

# Sort a[1..n] in place (insertion: n is small).
function sort(a, n,    i, j, x) {
    for (i = 2; i <= n; i++) {
        x = a[i]
        for (j = i - 1; j >= 1 && a[j] > x; j--)
            a[j + 1] = a[j]
        a[j + 1] = x
    }
}

# Statistics of the values stored under key k: sets MED, MIN, MAX, N.
function stats(k,    a, i) {
    N = cnt[k] + 0
    MED = MIN = MAX = ""
    if (!N)
        return 0
    for (i = 1; i <= N; i++)
        a[i] = val[k, i]
    sort(a, N)
    MIN = a[1]; MAX = a[N]
    MED = N % 2 ? a[(N + 1) / 2] : (a[N / 2] + a[N / 2 + 1]) / 2
    return N
}

function add(k, v) { val[k, ++cnt[k]] = v }

# An op name as the table has it: a suite's loop and call rows get its prefix.
function opname(op, suite) { return suite != "" && (op == "loop" || op == "call") ? suite "_" op : op }

function num(x,    ax) {
    if (x == "")
        return "-"
    ax = x < 0 ? -x : x
    return sprintf(ax >= 1000 ? "%.0f" : ax >= 100 ? "%.1f" : "%.2f", x)
}

function cell(k) { return stats(k) ? num(MED) " (" num(MIN) ".." num(MAX) ")" : "-" }

# A count's cell (the network rows' errors and losses): whole numbers.
function icell(k) { return stats(k) ? sprintf("%d (%d..%d)", MED, MIN, MAX) : "-" }

function jstats(k) {
    if (!stats(k))
        return "null"
    return sprintf("{\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"samples\": %d}", MED, MIN, MAX, N)
}

function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }

FNR == 1 {
    split(basename(FILENAME), p, "-")
    file_os[FILENAME] = p[1]
    file_mode[FILENAME] = p[2]
    files[++nfiles] = FILENAME
}

# One network row's sample: each metric it has, for its OS (and for Linux
# the posix_ row's too).
$1 == "BENCHNET" || $2 == "BENCHNET" {
    split("", kv)
    for (i = 1; i <= NF; i++)
        if ((e = index($i, "=")) > 0)
            kv[substr($i, 1, e - 1)] = substr($i, e + 1)
    if (!("op" in kv))
        next
    for (m in net_metric_name)
        if (m in kv) {
            add(kv["os"] SUBSEP "net" SUBSEP kv["op"] SUBSEP m, kv[m])
            for (c = 1; kv["os"] == "linux" && kv["suite"] == "native" && c <= net_linux_copies; c++)
                add("linux" SUBSEP "net" SUBSEP net_copy[c] kv["op"] SUBSEP m, kv[m])
        }
    net_seen[kv["op"]] = 1
    for (c = 1; kv["os"] == "linux" && c <= net_linux_copies; c++)
        net_seen[net_copy[c] kv["op"]] = 1
    if ("secs" in kv)
        net_secs = kv["secs"]
    if ("count" in kv)
        net_count = kv["count"]
    next
}

{
    k = 0
    for (i = 2; i <= NF; i++)
        if ($i == "BENCH" || $i == "BENCHINFO") { k = i; break }
    if (!k)
        next
    split("", kv)
    tag = ""
    for (i = k + 1; i <= NF; i++) {
        e = index($i, "=")
        if (e)
            kv[substr($i, 1, e - 1)] = substr($i, e + 1)
        else
            tag = $i
    }
    os = kv["os"]
    if ($k == "BENCHINFO") {
        info[os] = ""
        for (i = k + 2; i <= NF; i++)
            info[os] = info[os] (i > k + 2 ? " " : "") $i
    } else if (tag == "begin") {
        suite = kv["suite"]
        cur_suite[FILENAME] = suite
        if (!(suite in suite_seen)) {
            suite_seen[suite] = 1
            if (suite != "")
                suites[++nsuites] = suite
        }
        n = split(kv["ops"], l, ",")
        oplist[os, suite] = ""
        for (i = 1; i <= n; i++)
            oplist[os, suite] = oplist[os, suite] (i > 1 ? "," : "") opname(l[i], suite)
        has_os[os] = 1
        harness_row[opname("loop", suite)] = harness_row[opname("call", suite)] = 1
        loop_row[opname("loop", suite)] = 1
        if (suite == "")
            reps[os] = kv["reps"]
        if (kv["quick"] == 1)
            quick = 1
    } else if (tag == "end") {
        ended[FILENAME] = 1
    } else if ("calib" in kv) {
        cal_ts[FILENAME, kv["calib"]] = $1
        cal_tsc[FILENAME, kv["calib"]] = kv["tsc"]
    } else if ("op" in kv && kv["iters"] > 0 && kv["ticks"] != "") {
        ns++
        suite = cur_suite[FILENAME]
        s_file[ns] = FILENAME; s_os[ns] = os; s_op[ns] = opname(kv["op"], suite); s_it[ns] = kv["iters"]
        s_suite[ns] = suite; s_native[ns] = suite == ""
        callrow[s_op[ns]] = opname("call", suite)
        s_t0[ns] = kv["ticks0"]; s_t[ns] = kv["ticks"]
        s_calls[ns] = ("calls" in kv) ? kv["calls"] : kv["iters"]
        s_n0[ns] = ("ns0" in kv) ? kv["ns0"] : ""; s_n[ns] = ("ns" in kv) ? kv["ns"] : ""
    }
}

END {
    metric_name["instructions"] = "instructions/op"
    metric_name["ns"] = "ns/op (TCG)"

    # TSC ticks per host ns, per boot, from the calib markers.
    for (i = 1; i <= nfiles; i++) {
        f = files[i]
        if (!((f, "start") in cal_ts) || !((f, "end") in cal_ts))
            continue
        secs = cal_ts[f, "end"] - cal_ts[f, "start"]
        if (secs <= 0)
            continue
        rate[f] = (cal_tsc[f, "end"] - cal_tsc[f, "start"]) / (secs * 1e9)
        m = file_mode[f] == "icount" ? "emul" : "tsc"
        add(file_os[f] SUBSEP m, rate[f])
        add(file_os[f] SUBSEP m "secs", secs)
        if (m == "tsc")
            add("all" SUBSEP "tsc", rate[f])
    }
    stats("all" SUBSEP "tsc")
    tsc_rate = MED; tsc_n = N; tsc_min = MIN; tsc_max = MAX

    # Per-op values of every sample.
    for (s = 1; s <= ns; s++) {
        f = s_file[s]
        if (file_mode[f] == "icount") {
            m = "instructions"
            v = (s_t[s] - s_t0[s]) / s_it[s]
            if (s_native[s])
                add(s_os[s] SUBSEP "overhead", s_t0[s])
        } else {
            m = "ns"
            if (s_n[s] != "") {
                v = (s_n[s] - s_n0[s]) / s_it[s]
                if (tsc_rate > 0 && v > 0)  # the marker method, checked against the clock
                    add(s_os[s] SUBSEP "xcheck" SUBSEP s_suite[s], (s_t[s] - s_t0[s]) / s_it[s] / tsc_rate / v)
            } else if (tsc_rate > 0) {
                v = (s_t[s] - s_t0[s]) / s_it[s] / tsc_rate
            } else {
                continue
            }
        }
        add(s_os[s] SUBSEP m SUBSEP s_op[s], v)
        calls_per_op[s_os[s] SUBSEP m SUBSEP s_op[s]] = s_calls[s] / s_it[s]
    }

    # The harness (its program's call row) comes off every table operation, per call.
    for (k in cnt) {
        split(k, p, SUBSEP)
        if (p[3] == "" || (p[3] in harness_row))
            continue
        if (stats(p[1] SUBSEP p[2] SUBSEP callrow[p[3]]))
            for (i = 1; i <= cnt[k]; i++)
                val[k, i] -= MED * calls_per_op[k]
    }

    # Rows: per suite (the native programs first), Veneer's operations in
    # its order, then any only Linux has.
    nops = 0
    for (su = 0; su <= nsuites; su++) {
        suite = su ? suites[su] : ""
        for (o = 1; o <= 2; o++) {
            os = o == 1 ? "veneer" : "linux"
            n = (os, suite) in oplist ? split(oplist[os, suite], l, ",") : 0
            for (i = 1; i <= n; i++)
                if (!(l[i] in seen)) { seen[l[i]] = 1; ops[++nops] = l[i] }
        }
    }

    if (require != "") {
        bad = ""
        for (i = 1; i <= nfiles; i++)
            if (file_mode[files[i]] != "net" && !(files[i] in ended))
                bad = bad " no-end:" basename(files[i])
        if (!nops)
            bad = bad " no-rows"
        for (i = 1; i <= nops; i++)
            for (m in metric_name)
                if (!stats(require SUBSEP m SUBSEP ops[i]))
                    bad = bad " " ops[i] "/" m
        for (i = 1; i <= net_nops; i++)
            for (j = net_metrics(net_ops[i], ms); j >= 1; j--)
                if (!stats(require SUBSEP "net" SUBSEP net_ops[i] SUBSEP ms[j]))
                    bad = bad " " net_ops[i] "/" ms[j]
        # A calibration loop must count exactly 2 instructions in its best
        # sample: under -icount another environment's wake-up or a tick
        # during a quick sample adds to that sample only.
        for (i = 1; i <= nops; i++)
            if ((ops[i] in loop_row) && (!stats(require SUBSEP "instructions" SUBSEP ops[i]) || MIN < 1.99 || MIN > 2.01))
                bad = bad " " ops[i] "-not-2-instructions"
    }

    # The table.
    printf "Veneer vs Linux%s\n%s: %s, qboot\n", release != "" ? " (" release ")" : "", qemu, qemu_args
    printf "median (min..max) over %s boot(s) x %s samples; V/L = Veneer / Linux (< 1: Veneer cheaper)\n", \
        runs, ("veneer" in reps) ? reps["veneer"] : reps["linux"]
    if (quick)
        printf "QUICK RUN: counts 100 times smaller; this checks the plumbing, not performance\n"
    printf "\n"
    row = "%-10s %-16s %-26s %-26s %6s\n"
    printf row, "op", "metric", "Veneer", "Linux", "V/L"
    csv = out "/results.csv"
    print "op,metric,veneer_median,veneer_min,veneer_max,veneer_samples,linux_median,linux_min,linux_max,linux_samples,veneer_over_linux" > csv
    json = out "/results.json"
    printf "{\n  \"qemu\": %s,\n  \"qemu_args\": %s,\n  \"linux\": %s,\n  \"linux_info\": %s,\n  \"boots\": %d,\n  \"rows\": [", \
        jstr(qemu), jstr(qemu_args), jstr(release), jstr(info["linux"]), runs > json
    for (i = 1; i <= nops; i++) {
        for (mi = 1; mi <= 2; mi++) {
            m = mi == 1 ? "instructions" : "ns"
            kv_ = "veneer" SUBSEP m SUBSEP ops[i]
            kl = "linux" SUBSEP m SUBSEP ops[i]
            ratio = ""
            if (stats(kv_)) {
                vmed = MED
                if (stats(kl) && MED != 0)
                    ratio = vmed / MED
            }
            printf row, mi == 1 ? ops[i] : "", metric_name[m], cell(kv_), cell(kl), \
                ratio == "" ? "-" : sprintf("%.2f", ratio)
            line = ops[i] "," m
            for (o = 1; o <= 2; o++) {
                stats(o == 1 ? kv_ : kl)
                line = line "," MED "," MIN "," MAX "," N
            }
            print line "," ratio > csv
            printf "%s\n    {\"op\": %s, \"metric\": %s, \"veneer\": %s, \"linux\": %s, \"veneer_over_linux\": %s}", \
                (i + mi > 2 ? "," : ""), jstr(ops[i]), jstr(m), jstats(kv_), jstats(kl), \
                ratio == "" ? "null" : sprintf("%.6g", ratio) > json
            dat = out "/chart-" m ".dat"
            line = ops[i]
            for (o = 1; o <= 2; o++)
                line = line " " (stats(o == 1 ? kv_ : kl) ? MED " " MIN " " MAX : "? ? ?")
            print line > dat
        }
    }

    # The network rows: one sample per boot; V/L > 1 in requests/s means
    # Veneer served more.
    dat = out "/chart-net.dat"
    printf "" > dat
    net_row = "%-16s %-12s %-26s %-26s %6s\n"      # the columns of row, a wider op
    nnet = 0
    for (i = 1; i <= net_nops; i++) {
        op = net_ops[i]
        if (!(op in net_seen))
            continue
        if (!nnet++)
            printf "\nnetwork, from the host through QEMU's hostfwd (wall clock; one sample per boot):\n"
        nm = net_metrics(op, ms)
        for (mi = 1; mi <= nm; mi++) {
            m = ms[mi]
            kv_ = "veneer" SUBSEP "net" SUBSEP op SUBSEP m
            kl = "linux" SUBSEP "net" SUBSEP op SUBSEP m
            ratio = ""
            if (stats(kv_)) {
                vmed = MED
                if (stats(kl) && MED != 0)
                    ratio = vmed / MED
            }
            count = m == "errors" || m == "lost"
            printf net_row, mi == 1 ? op : "", net_metric_name[m], count ? icell(kv_) : cell(kv_), \
                count ? icell(kl) : cell(kl), ratio == "" || count ? "-" : sprintf("%.2f", ratio)
            line = op "," m (m ~ /^p/ ? "_us" : "")
            for (o = 1; o <= 2; o++) {
                stats(o == 1 ? kv_ : kl)
                line = line "," MED "," MIN "," MAX "," N
            }
            print line "," ratio > csv
            printf "%s\n    {\"op\": %s, \"metric\": %s, \"veneer\": %s, \"linux\": %s, \"veneer_over_linux\": %s}", \
                (nops || nnet > 1 || mi > 1 ? "," : ""), jstr(op), jstr(m (m ~ /^p/ ? "_us" : "")), jstats(kv_), \
                jstats(kl), ratio == "" ? "null" : sprintf("%.6g", ratio) > json
            if (m == "rps") {
                line = op
                for (o = 1; o <= 2; o++)
                    line = line " " (stats(o == 1 ? kv_ : kl) ? MED " " MIN " " MAX : "? ? ?")
                print line > dat
            }
        }
    }
    printf "\n  ],\n  \"calibration\": {\n    \"tsc\": {\"ticks_per_ns\": %s, \"boots\": %d, \"min\": %s, \"max\": %s}", \
        tsc_rate == "" ? "null" : tsc_rate, tsc_n, tsc_min == "" ? "null" : tsc_min, \
        tsc_max == "" ? "null" : tsc_max > json

    # How the numbers were made, per guest.
    printf "\nloop: one dec/jnz iteration, exactly 2 instructions (calibration); call: the harness's\n"
    printf "empty indirect call, already subtracted from the rows below it.\n"
    for (su = 1; su <= nsuites; su++)
        printf "%s_loop, %s_call: the same in the %s suite (its own program and boots, see\n" \
            "bench/run.sh), subtracted from the rows after them.\n", suites[su], suites[su], suites[su]
    if (tsc_rate != "")
        printf "TSC: %.4f ticks/ns, median of %d boots' host-timed markers (%.4f..%.4f)\n", \
            tsc_rate, tsc_n, tsc_min, tsc_max
    for (o = 1; o <= 2; o++) {
        os = o == 1 ? "veneer" : "linux"
        if (!(os in has_os))
            continue
        stats(os SUBSEP "overhead"); ov = MED
        stats(os SUBSEP "tsc"); tsc = MED
        stats(os SUBSEP "tscsecs"); secs = MED
        stats(os SUBSEP "emul"); emul = MED
        stats(os SUBSEP "xcheck" SUBSEP ""); xc = MED
        printf "%s: fixed cost of a measurement %s instructions (subtracted); ", os, ov == "" ? "-" : sprintf("%.0f", ov)
        if (os == "linux")
            printf "ns from clock_gettime;\n    its TSC at that rate agrees to x%s; ", xc == "" ? "-" : sprintf("%.4f", xc)
        else
            printf "ns from rdtsc at\n    that rate (its own markers: %s ticks/ns, %ss apart); ", \
                tsc == "" ? "-" : sprintf("%.4f", tsc), num(secs)
        printf "TCG ran %s M guest instructions/s under icount\n", emul == "" ? "-" : sprintf("%.0f", emul * 1000)
        printf ",\n    %s: {\"overhead_instructions\": %s, \"tsc_ticks_per_ns\": %s, \"marker_seconds\": %s, \"icount_mips\": %s, \"tsc_vs_clock\": %s", \
            jstr(os), ov == "" ? "null" : ov, \
            tsc == "" ? "null" : tsc, secs == "" ? "null" : secs, \
            emul == "" ? "null" : emul * 1000, xc == "" ? "null" : xc > json
        # A suite's program brackets its samples with clock_gettime on both
        # guests (Veneer: the libOS's clock), checked the same way.
        for (su = 1; su <= nsuites; su++) {
            stats(os SUBSEP "xcheck" SUBSEP suites[su]); xc = MED
            if (xc == "")
                continue
            printf "    %s suite: ns from clock_gettime; its TSC at that rate agrees to x%.4f\n", suites[su], xc
            printf ", \"%s_tsc_vs_clock\": %s", suites[su], xc > json
        }
        printf "}" > json
    }
    if (nnet) {
        printf "network: wrk -t1 -c1|-c16 -d%ss --latency GET /index.html (after a 1 s warm-up); errors are\n", net_secs
        printf "    wrk's socket errors (connect, read, write, timeout) and non-2xx answers; V/L > 1 in requests/s:\n"
        printf "    Veneer served more.  udp_echo: %s datagrams of 32 bytes, one at a time (bench/net/udp_rtt.py).\n", net_count
        printf "    http_c*, udp_echo: Veneer's native server (user/httpd.c) on the kernel's NIC multiplexer; netuser_*:\n"
        printf "    the same with net=user (the NIC multiplexed by user/netmux.c under user/netsup.c); own_*: the\n"
        printf "    same server driving the NIC itself (drivers/virtio_net linked in, Arrakis style); posix_*: busybox\n"
        printf "    httpd and udpecho under Veneer's POSIX libOS; Linux: busybox httpd and udpecho under Linux, in all.\n"
    }
    if (info["linux"] != "")
        printf "linux: %s\n", info["linux"]
    printf "\n  }\n}\n" > json

    if (require != "") {
        if (bad != "") {
            printf "bench-smoke: FAIL:%s\n", bad
            exit 1
        }
        printf "bench-smoke: ok, %d %s rows with both metrics, %d network rows\n", nops, require, net_nops
    }
}
