/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one assertion helper of the C tests.
 *
 * CHECK(cond, fmt, ...) says what failed and where, then does CHECK_FAILED:
 * by default the failure is counted and the test goes on; a test that must
 * stop at the first failure defines CHECK_FAILED (e.g. exit(1)) before
 * including this. CHECK_SHOW is CHECK that also prints its statement when it
 * holds, for figures a reader of the log wants to see (spreads, verdicts).
 * main ends with `return check_summary();`.
 */
#ifndef SIPLB_TESTS_CHECK_H
#define SIPLB_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

#ifndef CHECK_FAILED
#define CHECK_FAILED check_failures++
#endif

static int check_count __attribute__((unused));
static int check_failures __attribute__((unused));

__attribute__((format(printf, 4, 5), unused))
static void check_say(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: FAIL %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		check_count++;                                                 \
		if (!(cond)) {                                                 \
			check_say(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
			CHECK_FAILED;                                          \
		}                                                              \
	} while (0)

#define CHECK_SHOW(cond, ...)                                                  \
	do {                                                                   \
		check_count++;                                                 \
		if (cond) {                                                    \
			printf(__VA_ARGS__);                                   \
			puts(" ok");                                           \
		} else {                                                       \
			check_say(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
			CHECK_FAILED;                                          \
		}                                                              \
	} while (0)

/* main's exit status; the last line of the log says how much was checked. */
__attribute__((unused)) static int check_summary(void)
{
	printf("%s: %d checks, %d failure(s)\n", check_failures ? "FAIL" : "PASS", check_count,
	       check_failures);
	return check_failures ? 1 : 0;
}

#endif
