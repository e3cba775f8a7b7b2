# disk_sqlite.sh: the first boot of tests/qemu/disk_sqlite.t.  SQLite's
# shell makes a database on the disk root and commits rows in five
# transactions (a sixth rolls back), prints a query; then a second
# process holding the database's lock (an open BEGIN EXCLUSIVE: fcntl
# write locks) makes another get "database is locked", a busy timeout
# waits for its commit, and a holder killed with -9 loses its lock and
# its uncommitted row (the hot journal rolls back); last, speedtest1 in
# a short run on the disk.
D=/root/sq
mkdir -p $D && cd $D || { echo "cannot make $D"; exit 1; }
rm -f t.db t.db-journal held.out release
sqlite3 t.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);" || echo "create failed"
for i in 1 2 3 4 5; do
    sqlite3 t.db "BEGIN; WITH RECURSIVE c(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM c WHERE x < 20)
        INSERT INTO t(name, n) SELECT 'r' || ($i * 100 + x), $i * 100 + x FROM c; COMMIT;" || echo "txn $i failed"
done
sqlite3 t.db "BEGIN; INSERT INTO t(name, n) VALUES('rolledback', 1); ROLLBACK;"
echo "==query=="
sqlite3 t.db "SELECT count(*), sum(n), min(name), max(name) FROM t;"
# A holder: writes "held" to held.out once its exclusive transaction
# holds the lock, commits once the file release appears.
hold() {
    rm -f held.out release
    { echo "BEGIN EXCLUSIVE;"; echo "INSERT INTO t(name, n) VALUES('$1', 0);"
      echo ".output held.out"; echo ".print held"; echo ".output"
      while [ ! -e release ]; do sleep 0.1; done; echo "COMMIT;"; } | sqlite3 t.db > /dev/null 2> hold.err &
    n=0
    while ! grep -q held held.out 2>/dev/null && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
    grep -q held held.out || echo "the holder never got the lock"
}
hold committed
sqlite3 t.db "SELECT count(*) FROM t;" > busy.out 2>&1
echo "busy: exit $? $(grep -c 'database is locked' busy.out)"
sqlite3 -cmd ".timeout 60000" t.db "SELECT 'waited', count(*) FROM t WHERE name = 'committed';" &
sleep 1
touch release
wait
hold killed
kill -9 $!
touch release
wait
sqlite3 t.db "SELECT 'killed', count(*) FROM t WHERE name = 'killed';"
echo "==speedtest=="
speedtest1 --size 3 st.db > st.out 2>&1; echo "speedtest1: exit $?"
echo "speedtest1: $(grep -c '^ *[0-9]* - ' st.out) tests"
grep TOTAL st.out
sqlite3 st.db "SELECT 'st.db', * FROM pragma_integrity_check;"
sync
echo "==written=="
