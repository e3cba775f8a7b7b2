/*
 * CRC-32C (Castagnoli), as jbd2 and ext4 use it: the raw register update
 * with no inversion at either end, so crc32c(crc32c(s, a), b) is the CRC
 * of a then b from seed s (jbd2 seeds with ~0, or with the CRC of the
 * journal's UUID).  Equal to libext2fs's ext2fs_crc32c_le.
 */
#ifndef VENEER_FS_CRC32C_H
#define VENEER_FS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
