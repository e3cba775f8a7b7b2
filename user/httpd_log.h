/*
 * The native web server's access log on a disk extent of its own
 * (httpd_log.c has the format).  Its owner is the web server alone: the
 * POSIX instance's ext4 is on another extent of the same namespace.
 */
#ifndef HTTPD_LOG_H
#define HTTPD_LOG_H

#include <stdint.h>
#include <veneer/cap.h>

#define WEBLOG_MAGIC     "VNWEBLOG"
#define WEBLOG_VERSION   1
#define WEBLOG_REC_MAGIC 0x524c5756u    /* "VWLR" */
#define WEBLOG_REC_SIZE  128
#define WEBLOG_PATH_MAX  96             /* bytes of the path kept, NUL-padded */

struct weblog_hdr {                     /* block 0 */
    char magic[8];                      /* WEBLOG_MAGIC */
    uint32_t version;
    uint32_t block_size;                /* the device's, bytes */
    uint64_t blocks;                    /* the extent's */
    uint32_t rec_size;                  /* WEBLOG_REC_SIZE */
    uint32_t boots;                     /* opens of this log, this one included */
};

struct weblog_rec {                     /* from block 1 on, packed, never across a block */
    uint32_t magic;                     /* WEBLOG_REC_MAGIC */
    uint32_t seq;                       /* 1, 2, ...: the first record not in sequence ends the log */
    uint64_t time_ns;                   /* wall clock */
    uint32_t peer;                      /* IPv4 address, network order */
    uint16_t status;                    /* HTTP status answered */
    uint16_t method;                    /* 1 GET, 2 HEAD, 0 other */
    uint64_t bytes;                     /* body bytes answered */
    char path[WEBLOG_PATH_MAX];         /* as requested, without the query */
};

_Static_assert(sizeof(struct weblog_rec) == WEBLOG_REC_SIZE, "weblog record format");

/* Opens the log on extent ext (CR_READ | CR_WRITE): a queue of our own,
 * the header read (or written if the extent holds no log: a new one), the
 * end found, and the extent's bounds probed (requests past it must be
 * refused by the kernel).  Returns the records already there, or a
 * negative E_* code (not an extent, blocks of more than 4096 bytes or
 * fewer than 2 blocks, pages, the queue, a device error, a probe the
 * kernel accepted). */
long httpd_log_open(capref_t ext);

/* Appends one record, durable when this returns (a FUA write of its
 * block).  Returns 0, -E_NOSPC when the extent is full (nothing written),
 * or the device's error; without an open log, -E_INVAL. */
long httpd_log_append(uint32_t peer, int method, const char *path, uint64_t path_len, int status,
                      uint64_t bytes);

#endif
