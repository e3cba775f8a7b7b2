# disk_sqlite_check.sh: the second boot of tests/qemu/disk_sqlite.t, on
# the image disk_sqlite.sh wrote: the committed rows, and nothing else,
# are still there, and both databases pass SQLite's integrity check.
cd /root/sq || { echo "no /root/sq"; exit 1; }
sqlite3 t.db "SELECT count(*), sum(n), min(name), max(name) FROM t WHERE n > 0;"
sqlite3 t.db "SELECT name FROM t WHERE n = 0 ORDER BY name;"
sqlite3 t.db "SELECT count(*) FROM t WHERE name = 'rolledback';"
sqlite3 t.db "PRAGMA integrity_check;"
sqlite3 st.db "PRAGMA integrity_check;"
echo done
