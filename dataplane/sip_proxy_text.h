/* SPDX-License-Identifier: BSD-3-Clause */
/* Small text conversions of the proxy's hot path: no locale, no stdio. */
#ifndef SIPLB_SIP_PROXY_TEXT_H
#define SIPLB_SIP_PROXY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decimal digits of v at out; returns the length. */
static inline size_t slb_fmt_u32(char *out, uint32_t v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Dotted quad of a network-order address; returns the length (<= 15). */
static inline size_t slb_fmt_ipv4(char *out, uint32_t be)
{
	const uint8_t *b = (const uint8_t *)&be;
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		n += slb_fmt_u32(out + n, b[i]);
		if (i < 3)
			out[n++] = '.';
	}
	return n;
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

static inline void slb_fmt_hex64(char *out, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
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
