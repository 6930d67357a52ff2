/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The proxy's inline SipHash-2-4 of 32 bytes (dataplane/siphash.h) gives
 * the bytes libsodium's crypto_shorthash_siphash24 gives: the reference
 * paper's test key and message, then random keys and messages. Branch MACs
 * made by a siplb before the inline one must still prove responses.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "siphash.h"
#include "../check.h"

static uint64_t sodium_mac(const uint8_t key[16], const uint8_t in[32])
{
	uint64_t mac;

	crypto_shorthash_siphash24((unsigned char *)&mac, in, 32, key);
	return mac;
}

int main(void)
{
	uint8_t key[16], in[32];
	int bad = 0;

	CHECK(sodium_init() >= 0, "libsodium starts");
	/* the reference implementation's test vector for 32 bytes: key
	 * 00..0f, message 00..1f */
	static const uint8_t want[8] = { 0xce, 0x7c, 0xf2, 0x72, 0x2f, 0x51, 0x27, 0x71 };
	for (int i = 0; i < 32; i++)
		in[i] = (uint8_t)i;
	memcpy(key, in, sizeof(key));
	uint64_t got = slb_siphash24_32(key, in);
	CHECK(memcmp(&got, want, sizeof(want)) == 0 && got == sodium_mac(key, in),
	      "the reference vector, as libsodium");
	srand(1);
	for (int n = 0; n < 100000; n++) {
		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)rand();
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)rand();
		bad += slb_siphash24_32(key, in) != sodium_mac(key, in);
	}
	CHECK(!bad, "%d of 100000 random keys and messages differ from libsodium", bad);
	return check_summary();
}
