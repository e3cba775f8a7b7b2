/*
 * The jbd2 on-disk format as lib/fs uses it, defined once for the
 * journal writer (journal.c) and its replay (journal_replay.c): block
 * types, feature bits, tag flags and the offsets of the journal
 * superblock's and the commit block's fields (all big-endian).
 */
#ifndef VENEER_FS_JBD2_FORMAT_H
#define VENEER_FS_JBD2_FORMAT_H

#define JBD2_MAGIC          0xC03B3998u
#define JBD2_DESCRIPTOR     1
#define JBD2_COMMIT         2
#define JBD2_SB_V2          4
#define JBD2_REVOKE         5

#define JBD2_COMPAT_CHECKSUM      0x1u
#define JBD2_INCOMPAT_REVOKE      0x1u
#define JBD2_INCOMPAT_64BIT       0x2u
#define JBD2_INCOMPAT_ASYNC       0x4u
#define JBD2_INCOMPAT_CSUM_V2     0x8u
#define JBD2_INCOMPAT_CSUM_V3     0x10u
#define JBD2_INCOMPAT_FAST_COMMIT 0x20u
#define JBD2_INCOMPAT_KNOWN       0x3Fu
#define JBD2_CRC32C_CHKSUM  4

#define TAG_ESCAPE    1u
#define TAG_SAME_UUID 2u
#define TAG_LAST      8u

/* Journal superblock field offsets (big-endian fields). */
#define JSB_BLOCKSIZE  0x0C
#define JSB_MAXLEN     0x10
#define JSB_FIRST      0x14
#define JSB_SEQUENCE   0x18
#define JSB_START      0x1C
#define JSB_COMPAT     0x24
#define JSB_INCOMPAT   0x28
#define JSB_ROCOMPAT   0x2C
#define JSB_UUID       0x30
#define JSB_NR_USERS   0x40
#define JSB_CSUM_TYPE  0x50
#define JSB_NUM_FC     0x54
#define JSB_CHECKSUM   0xFC
#define JSB_SIZE       1024

/* Commit block offsets. */
#define CB_CHKSUM      0x10
#define CB_SEC         0x30
#define CB_NSEC        0x38

#endif
