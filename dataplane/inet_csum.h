/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum's arithmetic (RFC 1071, RFC 1624): one's complement
 * sums of byte spans, and what updates a sum when its bytes move. Sums are
 * in memory byte order (RFC 1071 §2(B)): a folded sum stored with memcpy is
 * the checksum's bytes on the wire, whatever the host's byte order.
 */
#ifndef SIPLB_INET_CSUM_H
#define SIPLB_INET_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* sum plus the n bytes at b, unfolded (no carry lost below 16 GiB; the
 * same value mod 0xffff on every path, so the same fold); b's first byte
 * counts as the first byte of a 16-bit word. */
uint64_t slb_csum_add(uint64_t sum, const void *b, size_t n);

/* Whether slb_csum_add may take its 512-bit path where the CPU has
 * AVX-512 (it may unless told): siplb-dp allows it with the SIP scanner's
 * avx512 path only, so that --scan-path avx2 keeps the worker's cores off
 * 512-bit instructions altogether. */
void slb_csum_allow_avx512(bool allow);

/* sum plus n 32-bit words at b, unfolded: headers, summed inline. */
static inline uint64_t slb_csum_words(uint64_t sum, const void *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t w;

		memcpy(&w, (const uint8_t *)b + 4 * i, sizeof(w));
		sum += w;
	}
	return sum;
}

/* sum plus the n bytes at b, unfolded, 8 bytes a step: short spans (a
 * few dozen bytes), inline, and slb_csum_add's last bytes. */
static inline __attribute__((always_inline)) uint64_t slb_csum_short(uint64_t sum,
								     const void *data, size_t n)
{
	const uint8_t *b = data;
	uint64_t w;
	uint32_t h;
	uint16_t q;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		sum += (w & 0xffffffff) + (w >> 32);
	}
	if (n & 4) {
		memcpy(&h, b, 4);
		sum += h;
		b += 4;
	}
	if (n & 2) {
		memcpy(&q, b, 2);
		sum += q;
		b += 2;
	}
	if (n & 1) { /* the first byte of a word whose second is zero */
		q = 0;
		memcpy(&q, b, 1);
		sum += q;
	}
	return sum;
}

/* An unfolded sum to 16 bits, end-around carries added back. Only a sum
 * of nothing but zeros folds to 0; any other that is 0 mod 0xffff to 0xffff.
 * A half plus the other, carry included, is the high half of the sum plus
 * itself rotated by half its width: one rotate and one add a step. */
static inline uint16_t slb_csum_fold(uint64_t sum)
{
	uint32_t s = (uint32_t)((sum + (sum >> 32 | sum << 32)) >> 32);

	return (uint16_t)((s + (s >> 16 | s << 16)) >> 16);
}

/* A span's folded sum as it counts at an odd offset from the start of
 * what is summed: its bytes sit in the other half of each word, which
 * swaps the halves of the sum (x * 256 mod 0xffff). */
static inline uint16_t slb_csum_at(uint16_t sum, uint64_t offset)
{
	return offset & 1 ? (uint16_t)(sum << 8 | sum >> 8) : sum;
}

/* The folded sum of n bytes at b counting from offset. */
static inline __attribute__((always_inline)) uint16_t slb_csum_span(const void *b, size_t n,
								      uint64_t offset)
{
	return slb_csum_at(slb_csum_fold(slb_csum_add(0, b, n)), offset);
}

/* -sum in one's complement (RFC 1624's ~m): added, it takes sum away. */
static inline uint16_t slb_csum_neg(uint16_t sum)
{
	return (uint16_t)~sum;
}

#endif
