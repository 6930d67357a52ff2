/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN keep-alives (dataplane/stun.c): which Binding requests are answered,
 * and the answer's bytes, against RFC 5769's IPv4 response vector and a
 * bitwise CRC-32 of the test's own (not zlib's).
 */
#include <string.h>

#include "stun.h"
#include "../check.h"

/* RFC 5769 §2.2: the IPv4 sample response (192.0.2.1:32853). */
static const uint8_t rfc5769_response[80] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
	0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
	0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};
static const uint8_t xor_mapped_192_0_2_1_32853[12] = {
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
};
static const uint8_t txid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				  0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

/* CRC-32 (IEEE 802.3, reflected), bit by bit, XOR "STUN". */
static uint32_t ref_fingerprint(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? c >> 1 ^ 0xedb88320u : c >> 1;
	}
	return ~c ^ 0x5354554eu;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A Binding request with attrs (n bytes, padded) after the header; with
 * fp, a FINGERPRINT last. Returns its length. */
static size_t request(uint8_t *b, const uint8_t *attrs, size_t n, bool fp)
{
	size_t len = 20 + n + (fp ? 8 : 0);

	memset(b, 0, 20);
	b[1] = 0x01;
	b[2] = (uint8_t)((len - 20) >> 8);
	b[3] = (uint8_t)(len - 20);
	memcpy(b + 4, "\x21\x12\xa4\x42", 4);
	memcpy(b + 8, txid, 12);
	memcpy(b + 20, attrs, n);
	if (fp) {
		uint32_t f = ref_fingerprint(b, 20 + n);

		memcpy(b + 20 + n, "\x80\x28\x00\x04", 4);
		for (int k = 0; k < 4; k++)
			b[24 + n + k] = (uint8_t)(f >> (24 - 8 * k));
	}
	return len;
}

static void test_vectors(void)
{
	uint8_t b[64], out[SLB_STUN_RESPONSE_MAX];
	uint32_t addr;
	uint16_t port;
	bool fp = true;
	size_t n;

	CHECK(ref_fingerprint(rfc5769_response, 72) == get32(rfc5769_response + 76),
	      "the test's CRC-32 gives RFC 5769's FINGERPRINT");
	memcpy(&addr, "\xc0\x00\x02\x01", 4); /* 192.0.2.1, network order */
	memcpy(&port, "\x80\x55", 2);        /* 32853 */

	n = request(b, NULL, 0, false);
	CHECK(slb_stun_is_stun(b, n) && slb_stun_binding_request(b, n, &fp) && !fp,
	      "a plain Binding request is answered");
	n = slb_stun_binding_response(b, addr, port, false, out);
	CHECK(n == 32 && !memcmp(out, "\x01\x01\x00\x0c\x21\x12\xa4\x42", 8) &&
	      !memcmp(out + 8, txid, 12) && !memcmp(out + 20, xor_mapped_192_0_2_1_32853, 12),
	      "its answer: Binding success, the transaction ID, XOR-MAPPED-ADDRESS as in RFC 5769");

	n = request(b, NULL, 0, true);
	CHECK(slb_stun_binding_request(b, n, &fp) && fp, "with a valid FINGERPRINT");
	n = slb_stun_binding_response(b, addr, port, true, out);
	CHECK(n == 40 && out[3] == 20 && !memcmp(out + 32, "\x80\x28\x00\x04", 4) &&
	      get32(out + 36) == ref_fingerprint(out, 32),
	      "its answer has a FINGERPRINT, valid, counted in the length");
}

static void test_refused(void)
{
	static const uint8_t software[12] = { 0x80, 0x22, 0x00, 0x07, 's', 'i', 'p', 'p', '/', '3' };
	static const uint8_t username[12] = { 0x00, 0x06, 0x00, 0x05, 'a', 'l', 'i', 'c', 'e' };
	static const char sip[] = "OPTIONS sip:x@y SIP/2.0\r\n\r\n";
	uint8_t b[64];
	bool fp;
	size_t n;

	n = request(b, software, sizeof(software), true);
	CHECK(slb_stun_binding_request(b, n, &fp) && fp,
	      "an attribute the server may ignore (SOFTWARE) is ignored");
	n = request(b, username, sizeof(username), false);
	CHECK(!slb_stun_binding_request(b, n, &fp),
	      "one it must understand (USERNAME: an ICE check) is not answered");
	n = request(b, NULL, 0, true);
	b[n - 1] ^= 1;
	CHECK(!slb_stun_binding_request(b, n, &fp), "a wrong FINGERPRINT is not answered");
	n = request(b, NULL, 0, true);
	memcpy(b + n, software, sizeof(software));
	b[3] += sizeof(software);
	CHECK(!slb_stun_binding_request(b, n + sizeof(software), &fp),
	      "nor an attribute after FINGERPRINT");
	n = request(b, software, sizeof(software), false);
	CHECK(!slb_stun_binding_request(b, n - 4, &fp), "nor a length past the datagram");
	b[3] -= 4;
	CHECK(!slb_stun_binding_request(b, n - 4, &fp), "nor an attribute past it");
	n = request(b, NULL, 0, false);
	b[1] = 0x11;
	CHECK(!slb_stun_binding_request(b, n, &fp), "nor a Binding indication");
	b[1] = 0x01;
	b[4] = 0;
	CHECK(!slb_stun_is_stun(b, n) && !slb_stun_binding_request(b, n, &fp),
	      "nor a message without the magic cookie (RFC 3489)");
	CHECK(!slb_stun_is_stun((const uint8_t *)sip, sizeof(sip) - 1), "SIP is not STUN");
	CHECK(!slb_stun_is_stun(b, 19), "nor 19 bytes");
}

int main(void)
{
	test_vectors();
	test_refused();
	return check_summary();
}
