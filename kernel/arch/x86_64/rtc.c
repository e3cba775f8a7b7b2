/*
 * The CMOS real-time clock, read once at boot: the wall-clock time the
 * kernel exposes (vn_sysinfo.rtc_boot_sec) so that libOSes can tell the
 * time of day without a system call.  The RTC keeps UTC here (QEMU's
 * default); BCD or binary and 12- or 24-hour modes are decoded.
 */
#include "arch.h"
#include "x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static uint64_t days_from_civil(uint64_t y, unsigned m, unsigned d)
{
    /* Days since 1970-01-01 of a Gregorian date (y >= 1970). */
    y -= m <= 2;
    uint64_t era = y / 400, yoe = y - era * 400;
    uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

uint64_t arch_rtc_seconds(void)
{
    uint8_t r[6], again[6];
    do {
        for (int spin = 0; spin < 1000000 && (cmos(0x0a) & 0x80); spin++)
            ;   /* an update is in progress */
        for (int i = 0; i < 6; i++)
            r[i] = cmos((uint8_t[]){0x00, 0x02, 0x04, 0x07, 0x08, 0x09}[i]);
        for (int i = 0; i < 6; i++)
            again[i] = cmos((uint8_t[]){0x00, 0x02, 0x04, 0x07, 0x08, 0x09}[i]);
    } while (r[0] != again[0] || r[1] != again[1] || r[2] != again[2] || r[3] != again[3] || r[4] != again[4] ||
             r[5] != again[5]);
    uint8_t b = cmos(0x0b);
    bool pm = r[2] & 0x80;
    r[2] &= 0x7f;
    if (!(b & 0x04))                        /* BCD */
        for (int i = 0; i < 6; i++)
            r[i] = (uint8_t)((r[i] & 0x0f) + (r[i] >> 4) * 10);
    if (!(b & 0x02))                        /* 12-hour clock: 12 AM is 0, 12 PM is 12 */
        r[2] = (uint8_t)(r[2] % 12 + (pm ? 12 : 0));
    uint64_t year = 2000u + r[5];
    if (r[4] < 1 || r[4] > 12 || r[3] < 1 || r[3] > 31)
        return 0;
    return days_from_civil(year, r[4], r[3]) * 86400 + r[2] * 3600u + r[1] * 60u + r[0];
}
