# Debian's busybox ping, wget and nslookup, unmodified, under the POSIX
# libOS (tests/linux/busybox_net.sh): ICMP through netd's raw sockets to
# 127.0.0.1 and to QEMU's virtual host 10.0.2.2 (restrict=on: nothing
# leaves the host), wget from busybox httpd in the same instance by
# address, hosts name and DNS name, nslookup against the in-guest
# responder of t_dns.
# The _user variant: the same with net=user (netd on netmux).
variants=("net=user")
machine=q35
cmdline="quiet init=posix run=sh,sh,/bin/busybox_net.sh"
qemu_extra="-m 1G -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,addr=6"
timeout=180
expect=("64 bytes from 127\.0\.0\.1: seq=1 ttl=[0-9]+" "ping loopback: ok"
        "64 bytes from 10\.0\.2\.2: seq=1 ttl=[0-9]+" "ping gateway: ok"
        "wget by address: hello from busybox httpd, fetched by wget"
        "wget by hosts name: big.txt matches \(108894 bytes\)"
        "wget of a missing page: failed as it should"
        "dns: ready" "Name:[[:space:]]+www\.veneer\.test" "Address: 10\.1\.2\.3"
        "nslookup of a missing name: failed as it should"
        "wget by DNS name: hello from busybox httpd, fetched by wget"
        "busybox_net: done" "env [0-9a-f]+ \(posix\) exited with status 0")
reject=("not implemented" "netd: no" "cannot start netd" "can't create raw socket")
