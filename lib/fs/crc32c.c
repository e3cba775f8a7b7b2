/*
 * CRC-32C, bytewise with a 256-entry table built on first use from the
 * reflected polynomial 0x82F63B78.  Journal blocks are few per commit, so
 * a table per byte is fast enough.
 */
#include "crc32c.h"

static uint32_t crc32c_table[256];
static int crc32c_ready;

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (c & 1 ? 0x82F63B78u : 0);
        crc32c_table[i] = c;
    }
    crc32c_ready = 1;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (!crc32c_ready)
        crc32c_init();
    while (len--)
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}
