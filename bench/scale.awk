# The scaling rows' table (issue 19): reads the serial logs of user/scale.c
# booted by bench/run.sh with -smp 1 and -smp 2 (multi-threaded TCG, wall
# clock) and prints, per row, each boot's throughput (operations a second,
# summed over the boots of every run) and their ratio: 2.00 would be
# perfect scaling.  Lines: "<host time> SCALE os=veneer row=R cpus=C
# envs=W ops=N ns=T".  require=1 (bench-smoke) fails unless every row came
# out on both CPU counts.
function field(name,    i) {
    for (i = 1; i <= NF; i++)
        if (index($i, name "=") == 1)
            return substr($i, length(name) + 2)
    return ""
}
$2 == "SCALE" {
    r = field("row"); c = field("cpus") + 0
    ops[r, c] += field("ops"); ns[r, c] += field("ns"); envs[r] = field("envs")
    if (!(r in seen)) { seen[r] = 1; order[++n] = r }
}
END {
    split("null fault ipc", want)
    bad = 0
    for (i = 1; i <= 3; i++)
        if (!((want[i], 1) in ops) || !((want[i], 2) in ops)) {
            printf "bench: scale: row %s missing on %s\n", want[i], (want[i], 1) in ops ? "2 CPUs" : "1 CPU"
            bad = 1
        }
    printf "%-8s %5s %14s %14s %7s\n", "scale", "envs", "1 CPU op/s", "2 CPUs op/s", "ratio"
    for (i = 1; i <= n; i++) {
        r = order[i]
        t1 = ns[r, 1] ? ops[r, 1] * 1e9 / ns[r, 1] : 0
        t2 = ns[r, 2] ? ops[r, 2] * 1e9 / ns[r, 2] : 0
        printf "%-8s %5d %14.0f %14.0f %7.2f\n", r, envs[r], t1, t2, t1 ? t2 / t1 : 0
    }
    exit (require && bad)
}
