#!/usr/bin/env python3
"""Host-side clients for tests/qemu/net_httpd.t (loopback addresses only).

  net_httpd.py conc PORT N FILE   N connections open at once to
      127.0.0.1:PORT, each GET /index.html answered with FILE's bytes.
      They are opened one after another, each checked by a first request
      (QEMU's user network accepts forwarded connections from a listen
      queue of one: a burst of connects stalls in the host's SYN-retry
      waves); then every connection sends a second request at the same
      moment, and all N answers are read and checked.  Prints the
      server's counters (GET /stats) with all N still open.
  net_httpd.py udp PORT           a datagram to 127.0.0.1:PORT comes back.
"""
import selectors
import socket
import sys
import time

TIMEOUT = 20.0


def parse(buf):
    """(status, headers, body length, total length) of the first response
    in buf, or None while it is incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    if len(buf) < end + 4 + n:
        return None
    return status, headers, buf[end + 4:end + 4 + n], end + 4 + n


def check(resp, want):
    status, headers, body, _ = resp
    if status != 200 or body != want or headers.get("connection") != "keep-alive":
        raise SystemExit("conc: bad answer: status %d, %d bytes, connection %s"
                         % (status, len(body), headers.get("connection")))


def conc(port, n, path):
    want = open(path, "rb").read()
    req = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    t0 = time.time()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(req)
        buf = b""
        while parse(buf) is None:
            d = s.recv(65536)
            if not d:
                raise SystemExit("conc: connection %d closed early" % len(socks))
            buf += d
        check(parse(buf), want)
        socks.append(s)
    t1 = time.time()
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.sendall(req)
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    done = 0
    deadline = time.time() + TIMEOUT
    while done < n:
        if time.time() > deadline:
            raise SystemExit("conc: %d of %d answers after %.0f s" % (done, n, TIMEOUT))
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            d = s.recv(65536)
            if not d:
                raise SystemExit("conc: a connection closed before its second answer")
            bufs[s] += d
            r = parse(bufs[s])
            if r is not None:
                check(r, want)
                sel.unregister(s)
                done += 1
    t2 = time.time()
    s = socks[0]
    s.setblocking(True)
    s.sendall(b"GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = b""
    while parse(buf) is None:
        d = s.recv(65536)
        if not d:
            raise SystemExit("conc: closed before the stats")
        buf += d
    for s in socks:
        s.close()
    print("conc: %d connections opened and checked in %.2f s; %d requests at once answered in %.2f s"
          % (n, t1 - t0, n, t2 - t1))
    for line in parse(buf)[2].decode().splitlines():
        print("conc: httpd: " + line)


def udp(port):
    msg = b"veneer udp echo %f" % time.time()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    for attempt in range(5):
        s.sendto(msg, ("127.0.0.1", port))
        try:
            d, _ = s.recvfrom(2048)
        except socket.timeout:
            continue
        if d != msg:
            raise SystemExit("udp: the echo differs: %r" % d)
        print("udp: %d bytes echoed (attempt %d)" % (len(d), attempt + 1))
        return
    raise SystemExit("udp: no echo")


if __name__ == "__main__":
    if sys.argv[1] == "conc":
        conc(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "udp":
        udp(int(sys.argv[2]))
    else:
        raise SystemExit("usage: net_httpd.py conc PORT N FILE | udp PORT")
