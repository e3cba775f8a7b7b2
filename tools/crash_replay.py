#!/usr/bin/env python3
"""Rebuild crash states from the NVMe write log (drivers/nvme/nvme_log.h)
and check each one, as dm-log-writes' replay and CrashMonkey do.

  crash_replay.py BASE LOG SERIAL DIR STATES SEED

BASE is the image before the boot, LOG the raw log disk, SERIAL the serial
output (its "blklog: flush F at record R", "fsynced i" and "sqlite
committed i" lines).  States:

  boundary F   every record up to flush F applied in order
  epoch F      boundary F plus a random prefix of the next epoch's writes,
               of which FUA ones are kept and the others dropped at random,
               the kept ones applied in a shuffled order (the device may
               persist unflushed writes in any order, or not at all)

An fsync that printed "fsynced i" after the serial line of record R (the
last flush or FUA write logged before it) returned on records <= R, so
every state holding all flushed records and FUA writes up to record c >= R
must have f1..fi and cur at generation >= i; the same for "sqlite
committed i" and rows 1..i of /root/crash.db's table t (SQLite's own
rollback journal, if hot, is rolled back by opening a copy).  Each state:
e2fsck -fy (exit <= 1, replays the journal), e2fsck -fn clean, then those
content checks.
Prints one line per state and a total; exits 1 on any failure.
CRASH_DROP_FUA=1 (a self-test of the checker) also drops FUA writes.
"""
import os, random, re, shutil, sqlite3, struct, subprocess, sys

HDR = struct.Struct("<8sIIQQIIII")
LOG_BS = 512


def read_log(path):
    recs, pos, seq = [], 0, 0
    with open(path, "rb") as f:
        while True:
            f.seek(pos * LOG_BS)
            h = f.read(HDR.size)
            if len(h) < HDR.size:
                break
            magic, typ, flags, s, lba, nb, bs, nsid, _ = HDR.unpack(h)
            if magic != b"VNBLKLOG" or s != seq:
                break
            if typ == 1:
                n = nb * bs
                f.seek((pos + 1) * LOG_BS)
                data = f.read(n)
                recs.append(("w", lba * bs, data, bool(flags & 1)))
                pos += 1 + (n + LOG_BS - 1) // LOG_BS
            elif typ == 2:
                recs.append(("f", 0, b"", False))
                pos += 1
            else:
                break
            seq += 1
    return recs


def fsync_points(serial, what=r"fsynced (\d+)"):
    """[(R, i)]: "fsynced i" (or another what) printed after the log line
    of record R, the last flush or FUA write logged before it."""
    pts, last = [], -1
    for line in open(serial, "rb").read().decode("latin-1").splitlines():
        m = re.search(r"blklog: (?:flush \d+|fua) at record (\d+)", line)
        if m:
            last = int(m.group(1))
        m = re.search(what, line)
        if m:
            pts.append((last, int(m.group(1))))
    return pts


def need_at(pts, c):
    """The last fsync a state holding every flushed record and every FUA
    write up to record c must keep: its flush or FUA write was <= c."""
    return max([i for r, i in pts if r <= c] or [0])


def want(i):
    n = 1000 + (i * 7919) % 20000
    return bytes((i * 31 + j * 7 + (j >> 8)) & 0xff for j in range(n))


def check_sqlite(img, k, work):
    """None if /root/crash.db holds exactly rows 1..n, n >= k, whole and
    consistent after SQLite's own recovery; else what is wrong."""
    d = os.path.join(work, "sql")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name in ("crash.db", "crash.db-journal"):
        subprocess.run(["debugfs", "-R", f"dump /root/{name} {d}/{name}", img], capture_output=True)
    db = os.path.join(d, "crash.db")
    if not os.path.exists(db) or os.path.getsize(db) == 0:
        return None if k == 0 else f"crash.db missing, {k} transactions committed"
    try:
        c = sqlite3.connect(db)
        ok = c.execute("pragma integrity_check").fetchone()[0]
        rows = c.execute("select i, v from t order by i").fetchall() if ok == "ok" else []
        c.close()
    except sqlite3.Error as e:
        return None if k == 0 else f"sqlite: {e}"
    if ok != "ok":
        return f"sqlite integrity_check: {ok}"
    if rows != [(i, f"row {i}") for i in range(1, len(rows) + 1)] or len(rows) < k:
        return f"sqlite: {len(rows)} rows, {k} committed, or not rows 1..n"
    return None


def check(img, k, ksql, work):
    fy = subprocess.run(["e2fsck", "-fy", img], capture_output=True)
    if fy.returncode > 1:
        return f"e2fsck -fy exit {fy.returncode}"
    fn = subprocess.run(["e2fsck", "-fn", img], capture_output=True)
    if fn.returncode != 0:
        return f"e2fsck -fn exit {fn.returncode} (not clean after replay)"
    dump = os.path.join(work, "dump")
    shutil.rmtree(dump, ignore_errors=True)
    os.makedirs(dump)
    subprocess.run(["debugfs", "-R", f"rdump /root/cut {dump}", img], capture_output=True)
    d = os.path.join(dump, "cut")
    why = check_sqlite(img, ksql, work)
    if why or k == 0:
        return why
    bad = [i for i in range(1, k + 1)
           if not os.path.exists(f"{d}/f{i}") or open(f"{d}/f{i}", "rb").read() != want(i)]
    cur = open(f"{d}/cur").read() if os.path.exists(f"{d}/cur") else ""
    g = int(cur.split()[1]) if cur.startswith("generation ") else -1
    if bad or cur != f"generation {g} of cur\n" or g < k:
        return f"{len(bad)} of {k} fsync'd files wrong, cur generation {g}"
    return None


def main():
    base, log, serial, work, nstates, seed = sys.argv[1:7]
    nstates, rng = int(nstates), random.Random(int(seed))
    # CRASH_DROP_FUA=1 breaks the model on purpose (FUA writes dropped like
    # the others): the checker must then report losses.
    drop_fua = os.environ.get("CRASH_DROP_FUA") == "1"
    recs, pts = read_log(log), fsync_points(serial)
    sql = fsync_points(serial, r"sqlite committed (\d+)")
    flush_at = [i for i, r in enumerate(recs) if r[0] == "f"]
    nf = len(flush_at)
    print(f"log: {len(recs)} records, {nf} flushes, {sum(1 for r in recs if r[0] == 'w')} writes, "
          f"{sum(1 for r in recs if r[3])} FUA; {len(pts)} fsyncs, {len(sql)} SQLite commits")
    if nf == 0 or need_at(pts, len(recs)) == 0:
        print("no flush boundary with an fsync before it: nothing to check")
        return 1
    # Half boundaries, half epoch states, spread over the flushes after
    # the first fsync (earlier ones check little).
    first = next((f for f in range(nf) if need_at(pts, flush_at[f]) > 0), 0)
    pool = list(range(first, nf))
    nb = min(len(pool), nstates - nstates // 2)
    picks = sorted([(f, "b") for f in rng.sample(pool, nb)] +
                   [(f, "e") for f in rng.sample(pool, min(len(pool), nstates - nb))])
    os.makedirs(work, exist_ok=True)
    cur_img, st = os.path.join(work, "boundary.img"), os.path.join(work, "state.img")
    shutil.copyfile(base, cur_img)
    fd, applied, fails = os.open(cur_img, os.O_RDWR), 0, 0
    for n, (f, kind) in enumerate(picks):
        while applied <= flush_at[f]:
            r = recs[applied]
            if r[0] == "w":
                os.pwrite(fd, r[2], r[1])
            applied += 1
        os.fsync(fd)
        shutil.copyfile(cur_img, st)
        desc, c = f"boundary {f}", flush_at[f]
        if kind == "e":
            end = flush_at[f + 1] if f + 1 < len(flush_at) else len(recs)
            epoch = [(k, recs[k]) for k in range(flush_at[f] + 1, end) if recs[k][0] == "w"]
            cut = rng.randint(0, len(epoch))
            c = epoch[cut - 1][0] if cut else c
            kept = [r for k, r in epoch[:cut] if (r[3] and not drop_fua) or rng.random() < 0.5]
            rng.shuffle(kept)
            with open(st, "r+b") as s:
                for r in kept:
                    s.seek(r[1])
                    s.write(r[2])
            desc = f"epoch {f}: {cut} of {len(epoch)} writes reached, {len(kept)} kept, shuffled"
        need, nsql = need_at(pts, c), need_at(sql, c)
        why = check(st, need, nsql, work)
        fails += why is not None
        print(f"state {n + 1}: {desc}; up to record {c}, need fsynced <= {need}, "
              f"rows <= {nsql}: {why or 'ok'}")
    os.close(fd)
    print(f"crash states: {len(picks)} checked, {len(picks) - fails} ok, {fails} lost")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
