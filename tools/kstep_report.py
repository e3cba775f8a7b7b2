#!/usr/bin/env python3
"""Instructions per kernel function in each phase of a tools/kstep.py trace.

usage: kstep_report.py kernel.elf trace.txt [--seq]
Phases alternate kernel (even) and user (odd); --seq also prints each
kernel phase as the run of functions it went through, with their counts."""
import bisect
import collections
import subprocess
import sys

kernel, trace = sys.argv[1], sys.argv[2]
syms = []
for line in subprocess.run(['nm', '-n', kernel], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.split()
    if len(f) == 3 and f[1] in 'tTwW':
        syms.append((int(f[0], 16), f[2]))
addrs = [a for a, _ in syms]
per = collections.defaultdict(collections.Counter)
seq = collections.defaultdict(list)
for line in open(trace):
    ph, pc = line.split()
    ph, pc = int(ph), int(pc, 16)
    name = 'user' if pc < 0xffff800000000000 else syms[bisect.bisect_right(addrs, pc) - 1][1]
    per[ph][name] += 1
    if seq[ph] and seq[ph][-1][0] == name:
        seq[ph][-1][1] += 1
    else:
        seq[ph].append([name, 1])
for ph in sorted(per):
    print('phase %d (%s): %d instructions' % (ph, 'kernel' if ph % 2 == 0 else 'user', sum(per[ph].values())))
    for name, n in per[ph].most_common():
        print('  %6d  %s' % (n, name))
if '--seq' in sys.argv:
    for ph in sorted(seq):
        if ph % 2 == 0:
            print('phase %d in order: %s' % (ph, ' '.join('%s:%d' % (s, n) for s, n in seq[ph])))
