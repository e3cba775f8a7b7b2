# Single-step profile of one kernel path, for gdb (tools/kstep.sh runs it).
# After the SKIP-th hit of the kernel function AT, it waits for the next
# syscall_entry and single-steps from there through PHASES alternations of
# kernel and user mode (2: one kernel entry and the user code after it;
# 4: an IPC round trip, both directions), writing "phase pc" lines to OUT.
# tools/kstep_report.py turns them into instructions per function.
import gdb
import os

at = os.environ.get('KSTEP_AT', 'sys_ipc_reply_recv')
skip = int(os.environ.get('KSTEP_SKIP', '12'))
phases = int(os.environ.get('KSTEP_PHASES', '4'))
out = open(os.environ.get('KSTEP_OUT', 'build/kstep.txt'), 'w')
limit = int(os.environ.get('KSTEP_LIMIT', '50000'))
KERNEL = 0xffff800000000000

gdb.execute('set pagination off')
gdb.execute('target remote :' + os.environ.get('KSTEP_PORT', '1234'))
gdb.execute('break ' + at)
for _ in range(skip):
    gdb.execute('continue', to_string=True)
gdb.execute('delete')
gdb.execute('break syscall_entry')
gdb.execute('continue', to_string=True)
gdb.execute('delete')
phase, steps = 0, 0
while steps < limit:
    pc = int(gdb.parse_and_eval('$pc')) & 0xffffffffffffffff
    if (pc >= KERNEL) != (phase % 2 == 0):
        phase += 1
        if phase >= phases:
            break
    out.write('%d %x\n' % (phase, pc))
    gdb.execute('stepi', to_string=True)
    steps += 1
out.close()
gdb.execute('kill')
