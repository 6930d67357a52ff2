/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CHECK(cond, fmt, ...) for the C tests: says what failed and where, then
 * does CHECK_FAILED, which the including test defines (count and go on, or
 * end the test).
 */
#ifndef SIPLB_TESTS_CHECK_H
#define SIPLB_TESTS_CHECK_H

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

#endif
