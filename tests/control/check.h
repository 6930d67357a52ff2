/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CHECK(cond, fmt, ...) for the control tests: says what failed and where,
 * then does CHECK_FAILED, which each test defines (count and go on, or end).
 */
#ifndef SIPLB_TESTS_CONTROL_CHECK_H
#define SIPLB_TESTS_CONTROL_CHECK_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			CHECK_FAILED;                                          \
		}                                                              \
	} while (0)

#include <stdbool.h>
#include <string.h>

/* An IPv4 address in network byte order, as the config and the state hold it. */
static inline uint32_t ip(const char *s)
{
	uint32_t a = 0;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* Whether the 16 bytes at a are the IPv6 address s. */
static inline bool ip6_is(const uint8_t *a, const char *s)
{
	uint8_t want[16];

	return inet_pton(AF_INET6, s, want) == 1 && !memcmp(a, want, sizeof(want));
}

#endif
