/*
 * What lwIP needs from the system when NO_SYS=1: a millisecond clock for
 * its timers (sys_now, from libveneer's syscall-free vn_clock_ns) and
 * random numbers (LWIP_RAND: xorshift64* stirred with the TSC; good for
 * port numbers and DHCP transaction ids, not for secrets).
 */
#include <vn.h>
#include "lwip/sys.h"

/* Wraps after 49 days; lwIP's timers compare differences, which is fine. */
u32_t sys_now(void)
{
    return (u32_t)(vn_clock_ns() / 1000000);
}

uint32_t lwip_port_rand(void)
{
    static uint64_t state;
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    state ^= (uint64_t)hi << 32 | lo;
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (uint32_t)(state * 0x2545f4914f6cdd1dul >> 32);
}
