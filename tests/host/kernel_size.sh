#!/bin/sh
# Host test host_kernel_size: the kernel stays small.  Fails when the C
# files under kernel/ (drivers and their home apart, as tools/size.sh
# counts them) exceed KERNEL_C_BUDGET lines.
#
# KERNEL_C_BUDGET: the rule is "well under 10k lines of C, drivers apart".
# 9,400 left room for the NVMe extent capabilities (about 600 lines) on
# top of the 8,600 aimed at; 9,500 (raised once, as a decision: the SR-IOV
# mechanism, kernel/sriov.c and its hooks, about 220 lines, was not in
# that plan) still stops the kernel well before 10k.  9,850 (raised again,
# as a decision, for issue 19's shared tier: the per-CPU entry flags, the
# space, object, slab and pool locks, the per-CPU page stashes and path
# counts, the IPC switch without the big lock, about 330 lines) is the
# last raise: the cuts listed in the session notes (vtd.c's formats, BAR
# placement, the pumps shared with drivers/) come next, back toward the
# aim of 9,000.
# Raising it is a design decision, not a fix for a failing test.
KERNEL_C_BUDGET=9850
n=$(find kernel -name '*.c' -exec cat {} + | wc -l)
if [ "$n" -gt "$KERNEL_C_BUDGET" ]; then
    echo "kernel/**/*.c has $n lines, over the budget of $KERNEL_C_BUDGET (make size lists them all):"
    find kernel -name '*.c' -exec wc -l {} + | grep -v ' total$' | sort -rn | head -n 12
    exit 1
fi
echo "kernel/**/*.c: $n lines of $KERNEL_C_BUDGET"
