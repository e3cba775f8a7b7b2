#!/usr/bin/env python3
"""UDP echo round trips for the network rows of `make bench`.

    udp_rtt.py PORT COUNT

Sends COUNT datagrams of 32 bytes, one at a time, to 127.0.0.1:PORT (a
QEMU hostfwd to the guest's UDP echo on port 7) and waits up to 1 s for
each one's echo; a datagram whose echo does not come back in time (or
comes back altered) is lost.  Five unrecorded datagrams go first (the
guest's first answer waits for ARP).  Prints one line of round-trip
percentiles in microseconds, nearest rank:

    p50=... p90=... p99=... lost=N count=COUNT

Traffic goes to the loopback address only, and the count bounds it."""
import socket
import sys
import time


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(1.0)
    rtts, lost = [], 0
    for i in range(-5, count):
        msg = b"%08d" % (i + 5) + b"v" * 24
        t0 = time.perf_counter_ns()
        s.send(msg)
        ok = False
        try:
            while not ok:          # a late echo of an earlier datagram is skipped
                ok = s.recv(2048) == msg
        except (socket.timeout, ConnectionRefusedError):
            pass
        t1 = time.perf_counter_ns()
        if i < 0:
            continue
        if ok:
            rtts.append((t1 - t0) / 1000.0)
        else:
            lost += 1
    if not rtts:
        print("lost=%d count=%d" % (lost, count))
        return 1
    rtts.sort()

    def pct(p):
        return rtts[max(0, -(-len(rtts) * p // 100) - 1)]
    print("p50=%.1f p90=%.1f p99=%.1f lost=%d count=%d" % (pct(50), pct(90), pct(99), lost, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
