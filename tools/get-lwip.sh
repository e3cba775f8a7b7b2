#!/bin/sh
# Fetch and unpack lwIP from Debian's source package into BUILD/lwip-src
# (stamp BUILD/lwip-src/.veneer-lwip): tools/get-source.sh does the work;
# lib/lwip_port was written for 2.1.x.  Usage: tools/get-lwip.sh BUILD
exec "$(dirname "$0")/get-source.sh" lwip "$1" '2.1.*'
