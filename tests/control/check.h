/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control tests' helpers: CHECK (tests/check.h; a test that stops at
 * the first failure defines CHECK_FAILED) and addresses as the config and
 * the state hold them.
 */
#ifndef SIPLB_TESTS_CONTROL_CHECK_H
#define SIPLB_TESTS_CONTROL_CHECK_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>

#include "../check.h"

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
