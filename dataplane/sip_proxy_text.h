/* SPDX-License-Identifier: BSD-3-Clause */
/* Small text conversions of the proxy's hot path: no locale, no stdio. */
#ifndef SIPLB_SIP_PROXY_TEXT_H
#define SIPLB_SIP_PROXY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* "00" to "99": decimal text two digits a step, one multiply instead of
 * a divide per digit. */
static const char slb_digit_pairs[201] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Decimal digits of v at out; returns the length. The length first, then
 * the digits from the last, two at a time: no reversal, no copy. */
static inline size_t slb_fmt_u32(char *out, uint32_t v)
{
	size_t n = 1, i;

	for (uint32_t p = 10; n < 10 && v >= p; p *= 10) /* short numbers: few steps */
		n++;
	for (i = n; v >= 100; v /= 100) {
		i -= 2;
		memcpy(out + i, slb_digit_pairs + 2 * (v % 100), 2);
	}
	if (v >= 10)
		memcpy(out, slb_digit_pairs + 2 * v, 2);
	else
		out[0] = (char)('0' + v);
	return n;
}

/* 0..255 in decimal: the digits, then the count in the last byte (a
 * table made by the preprocessor: hundreds h, tens t, units u). */
struct slb_u8_text {
	char digits[3];
	uint8_t len;
};
#define SLB_U8_TEXT(h, t, u)                                                                  \
	{ { (char)((h) ? '0' + (h) : (t) ? '0' + (t) : '0' + (u)),                            \
	    (char)((h) ? '0' + (t) : (t) ? '0' + (u) : 0), (char)((h) ? '0' + (u) : 0) },      \
	  (uint8_t)((h) ? 3 : (t) ? 2 : 1) }
#define SLB_U8_TEXT10(h, t)                                                                   \
	SLB_U8_TEXT(h, t, 0), SLB_U8_TEXT(h, t, 1), SLB_U8_TEXT(h, t, 2), SLB_U8_TEXT(h, t, 3), \
		SLB_U8_TEXT(h, t, 4), SLB_U8_TEXT(h, t, 5), SLB_U8_TEXT(h, t, 6),               \
		SLB_U8_TEXT(h, t, 7), SLB_U8_TEXT(h, t, 8), SLB_U8_TEXT(h, t, 9)
#define SLB_U8_TEXT100(h)                                                                     \
	SLB_U8_TEXT10(h, 0), SLB_U8_TEXT10(h, 1), SLB_U8_TEXT10(h, 2), SLB_U8_TEXT10(h, 3),     \
		SLB_U8_TEXT10(h, 4), SLB_U8_TEXT10(h, 5), SLB_U8_TEXT10(h, 6),                  \
		SLB_U8_TEXT10(h, 7), SLB_U8_TEXT10(h, 8), SLB_U8_TEXT10(h, 9)
static const struct slb_u8_text slb_u8_texts[256] = {
	SLB_U8_TEXT100(0), SLB_U8_TEXT100(1), SLB_U8_TEXT10(2, 0), SLB_U8_TEXT10(2, 1),
	SLB_U8_TEXT10(2, 2), SLB_U8_TEXT10(2, 3), SLB_U8_TEXT10(2, 4), SLB_U8_TEXT(2, 5, 0),
	SLB_U8_TEXT(2, 5, 1), SLB_U8_TEXT(2, 5, 2), SLB_U8_TEXT(2, 5, 3), SLB_U8_TEXT(2, 5, 4),
	SLB_U8_TEXT(2, 5, 5),
};

/* 0..255 in decimal at out, one table entry; the length. Writes 4 bytes
 * whatever the length. */
static inline size_t slb_fmt_u8(char *out, uint8_t v)
{
	memcpy(out, &slb_u8_texts[v], 4);
	return slb_u8_texts[v].len;
}

/* Dotted quad of a network-order address; returns the length (<= 15;
 * out has room for 16). */
static inline size_t slb_fmt_ipv4(char *out, uint32_t be)
{
	const uint8_t *b = (const uint8_t *)&be;
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		n += slb_fmt_u8(out + n, b[i]);
		out[n++] = '.';
	}
	return n - 1; /* the last dot is not the address's */
}

/* A dotted quad (exactly) to a network-order address. */
static inline bool slb_parse_ipv4(const uint8_t *s, size_t len, uint32_t *be)
{
	uint8_t b[4];
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t v = 0;
		size_t start = i;

		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (uint32_t)(s[i++] - '0');
		if (i == start || v > 255 || (part < 3 && (i >= len || s[i++] != '.')))
			return false;
		b[part] = (uint8_t)v;
	}
	if (i != len)
		return false;
	memcpy(be, b, 4);
	return true;
}

/* 1..65535 from digits. */
static inline bool slb_parse_port(const uint8_t *s, size_t len, uint16_t *port)
{
	uint32_t v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* The 8 lowercase hex digits of v, first digit in the lowest byte in
 * memory: each nibble spread to a byte, then '0' or 'a' - 10 added to all
 * at once. */
static inline uint64_t slb_hex8(uint32_t v)
{
	uint64_t x = v;

	x = (x | x << 16) & 0x0000ffff0000ffffULL;
	x = (x | x << 8) & 0x00ff00ff00ff00ffULL;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fULL; /* byte i: nibble i */
	uint64_t letters = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
	x += 0x3030303030303030ULL + letters * ('a' - '0' - 10);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x); /* nibble 7 first */
#endif
	return x;
}

/* The 16 lowercase hex digits of v, most significant first. With SSE2
 * (x86-64's baseline) all at once: the bytes most significant first, each
 * split into its two nibbles side by side, '0' or 'a' - 10 added. */
static inline void slb_fmt_hex64(char *out, uint64_t v)
{
#if defined(__SSE2__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__m128i x = _mm_cvtsi64_si128((long long)__builtin_bswap64(v));
	__m128i low4 = _mm_set1_epi8(0x0f);
	__m128i n = _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi16(x, 4), low4),
				      _mm_and_si128(x, low4));
	__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)),
				       _mm_set1_epi8('a' - '0' - 10));

	_mm_storeu_si128((__m128i *)(void *)out,
			 _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')), letter));
#else
	uint64_t hi = slb_hex8((uint32_t)(v >> 32)), lo = slb_hex8((uint32_t)v);

	memcpy(out, &hi, 8);
	memcpy(out + 8, &lo, 8);
#endif
}

/* 16 lowercase hex digits (slb_fmt_hex64's output) back to their value. */
static inline bool slb_parse_hex64(const uint8_t *s, uint64_t *v)
{
	uint64_t n = 0;

	for (int i = 0; i < 16; i++) {
		uint8_t c = s[i], d = (uint8_t)(c - '0'), x = (uint8_t)(c - 'a');

		if (d > 9 && x > 5)
			return false;
		n = n << 4 | (d <= 9 ? d : (uint64_t)x + 10);
	}
	*v = n;
	return true;
}

#endif
