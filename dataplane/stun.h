/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN keep-alives on the SIP port (RFC 5626 §4.4.2; RFC 5389): a UA
 * with an outbound flow over UDP sends STUN Binding requests to the edge
 * proxy's SIP address and port, and takes a missing answer, or a changed
 * XOR-MAPPED-ADDRESS, for a failed flow (it registers again). The flow ends
 * at a proxy VIP, so siplb-dp answers them there, statelessly: the mapped
 * address is the datagram's source.
 *
 * Only plain Binding requests are answered: attributes the server need not
 * understand (0x8000 and up) are ignored, and a FINGERPRINT must be valid
 * (and is then returned); a request with an attribute the server must
 * understand (USERNAME, MESSAGE-INTEGRITY: ICE's connectivity checks,
 * not a keep-alive) is not answered and goes on as a malformed SIP message.
 */
#ifndef SIPLB_STUN_H
#define SIPLB_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLB_STUN_HEADER 20
/* The largest response: header, XOR-MAPPED-ADDRESS (IPv4), FINGERPRINT. */
#define SLB_STUN_RESPONSE_MAX (SLB_STUN_HEADER + 12 + 8)

/* A STUN message by its first bytes (two zero bits, the magic cookie):
 * never a SIP message, whose first byte is a letter (one test on SIP). */
static inline bool slb_stun_is_stun(const uint8_t *b, size_t len)
{
	return len >= SLB_STUN_HEADER && (b[0] & 0xc0) == 0 && b[4] == 0x21 && b[5] == 0x12 &&
	       b[6] == 0xa4 && b[7] == 0x42;
}

/* b is a Binding request siplb-dp answers (see above); *fingerprint: it
 * carries a FINGERPRINT. */
bool slb_stun_binding_request(const uint8_t *b, size_t len, bool *fingerprint);

/* The Binding success response to request req in out (at least
 * SLB_STUN_RESPONSE_MAX bytes): the same transaction ID, the source's
 * address and port (network order) as XOR-MAPPED-ADDRESS, a FINGERPRINT
 * when the request had one. Returns its length. */
size_t slb_stun_binding_response(const uint8_t *req, uint32_t addr, uint16_t port,
				 bool fingerprint, uint8_t *out);

#endif
