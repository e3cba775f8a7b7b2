# lwIP (Debian's sources, NO_SYS=1, raw API) on its loopback interface:
# 1 MiB through a TCP echo server and back, UDP datagram round trips.
cmdline="init=lwip_loop"
timeout=120
expect=("lwip_loop: all checks passed" "free pages ([0-9]+) before, \1 after")
reject=("FAIL" "lwip: assertion")
