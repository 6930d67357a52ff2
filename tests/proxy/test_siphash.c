/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The proxy's inline SipHash-2-4 of 32 bytes (dataplane/siphash.h) gives
 * the bytes libsodium's crypto_shorthash_siphash24 gives: the reference
 * paper's test key and message, then random keys and messages. Branch MACs
 * made by a siplb before the inline one must still prove responses. The
 * many-at-once MAC (slb_siphash24_32_lanes) gives the inline one's, on
 * each path the CPU has, for every count of inputs up to five vector steps.
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

/* slb_siphash24_32_lanes against slb_siphash24_32, n = 0 to 40 inputs,
 * with the AVX-512 path allowed or not; none written past n. */
static void test_lanes(void)
{
	static uint64_t w[4][41], out[41], in[41][4];
	uint8_t key[16];
	int bad = 0;

	for (int avx512 = 1; avx512 >= 0; avx512--) {
		slb_siphash_allow_avx512(avx512);
		for (size_t n = 0; n <= 40; n++) {
			for (size_t i = 0; i < sizeof(key); i++)
				key[i] = (uint8_t)rand();
			for (size_t i = 0; i <= n; i++)
				for (int k = 0; k < 4; k++)
					in[i][k] = w[k][i] = (uint64_t)rand() << 33 ^ (uint64_t)rand();
			out[n] = 0x5a5a;
			slb_siphash24_32_lanes(key, (const uint64_t *const[4]){ w[0], w[1], w[2], w[3] },
					       n, out);
			for (size_t i = 0; i < n; i++)
				bad += out[i] != slb_siphash24_32(key, in[i]);
			bad += out[n] != 0x5a5a;
		}
	}
	CHECK(!bad, "%d MACs of slb_siphash24_32_lanes differ from slb_siphash24_32", bad);
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
	test_lanes();
	return check_summary();
}
