#!/bin/sh
# The crash harness's workload (tests/qemu/disk_writelog.t, disk_powercut.t):
# a SQLite transaction loop (one row per transaction, its rollback journal
# created, fsync'd and unlinked each time; "sqlite committed i" printed
# after COMMIT returned; synchronous=EXTRA, as a commit in DELETE mode is
# the journal's unlink, durable only once its directory is synced: under
# FULL, SQLite's default, a cut just after COMMIT may roll it back, on
# Linux too) beside t_fsync_loop DIR N (creates, writes,
# fsyncs, renames; "fsynced i").  Runs until the power is cut.
dir=${1:-/root/cut}
n=${2:-100000}
db=/root/crash.db
sqlite3 "$db" "create table t(i integer primary key, v text not null);" || exit 1
i=1
{
echo "pragma synchronous=extra;"
while [ "$i" -le "$n" ]; do
    echo "begin; insert into t values($i, 'row $i'); commit; select 'sqlite committed ' || $i;"
    i=$((i + 1))
done
} | sqlite3 "$db" &
exec t_fsync_loop "$dir" "$n"
