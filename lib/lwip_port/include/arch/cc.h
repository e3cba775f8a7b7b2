/*
 * lwIP's compiler and platform header for Veneer (lwip/arch.h includes
 * it first).  Freestanding: the compiler's <stdint.h> and <stddef.h>, no
 * <limits.h>, <inttypes.h>, <ctype.h> or <unistd.h>; lwIP's own errno
 * values; diagnostics through libveneer's printf, whose %u, %d and %x
 * take every lwIP integer type once promoted.
 */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <libveneer.h>

#define LWIP_NO_INTTYPES_H  1
#define LWIP_NO_LIMITS_H    1
#define LWIP_NO_CTYPE_H     1
#define LWIP_NO_UNISTD_H    1
#define LWIP_PROVIDE_ERRNO  1

#define INT_MAX             __INT_MAX__
#define SSIZE_MAX           __LONG_MAX__
typedef long ssize_t;

#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) \
    do { printf("lwip: assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); vn_exit(99); } while (0)

/* Random numbers (TCP's first local port, DHCP's transaction ids): sys_arch.c. */
uint32_t lwip_port_rand(void);
#define LWIP_RAND() lwip_port_rand()

#endif
