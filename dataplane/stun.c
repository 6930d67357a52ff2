/* SPDX-License-Identifier: BSD-3-Clause */
/* STUN Binding keep-alives on the SIP port (stun.h). */
#include "stun.h"

#include <string.h>
#include <zlib.h>

#define STUN_COOKIE 0x2112A442u
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_XOR_MAPPED_ADDRESS 0x0020
#define STUN_FINGERPRINT 0x8028
#define STUN_FINGERPRINT_XOR 0x5354554Eu /* "STUN" (RFC 5389 §15.5) */
#define STUN_COMPREHENSION_OPTIONAL 0x8000

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* CRC-32 of the message up to the FINGERPRINT attribute at fp, XOR "STUN". */
static uint32_t fingerprint_of(const uint8_t *b, size_t fp)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)fp) ^ STUN_FINGERPRINT_XOR;
}

bool slb_stun_binding_request(const uint8_t *b, size_t len, bool *fingerprint)
{
	size_t i = SLB_STUN_HEADER;

	*fingerprint = false;
	if (!slb_stun_is_stun(b, len) || get16(b) != STUN_BINDING_REQUEST ||
	    get16(b + 2) != len - SLB_STUN_HEADER || len % 4)
		return false;
	while (i < len) { /* type, length, value padded to 4 bytes */
		uint16_t type = get16(b + i), alen = get16(b + i + 2);
		size_t next = i + 4 + ((alen + 3u) & ~3u);

		if (next > len || *fingerprint) /* nothing may follow FINGERPRINT */
			return false;
		if (type == STUN_FINGERPRINT) {
			if (alen != 4 || get32(b + i + 4) != fingerprint_of(b, i))
				return false;
			*fingerprint = true;
		} else if (type < STUN_COMPREHENSION_OPTIONAL) {
			return false;
		}
		i = next;
	}
	return true;
}

size_t slb_stun_binding_response(const uint8_t *req, uint32_t addr, uint16_t port,
				 bool fingerprint, uint8_t *out)
{
	const uint8_t *a = (const uint8_t *)&addr, *pt = (const uint8_t *)&port;
	size_t n = SLB_STUN_HEADER;

	memcpy(out, req, SLB_STUN_HEADER); /* cookie and transaction ID */
	put16(out, STUN_BINDING_SUCCESS);
	put16(out + n, STUN_XOR_MAPPED_ADDRESS);
	put16(out + n + 2, 8);
	out[n + 4] = 0;
	out[n + 5] = 0x01; /* IPv4 */
	put16(out + n + 6, (uint16_t)(get16(pt) ^ (STUN_COOKIE >> 16)));
	put32(out + n + 8, get32(a) ^ STUN_COOKIE);
	n += 12;
	if (fingerprint) {
		put16(out + 2, (uint16_t)(n + 8 - SLB_STUN_HEADER));
		put16(out + n, STUN_FINGERPRINT);
		put16(out + n + 2, 4);
		put32(out + n + 4, fingerprint_of(out, n));
		n += 8;
	}
	put16(out + 2, (uint16_t)(n - SLB_STUN_HEADER));
	return n;
}
