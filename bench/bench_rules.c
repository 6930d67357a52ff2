/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench-rules: what routing rules (docs/rules.md) add per request:
 * the scan alone beside scan + rules matching, same run, for rule sets of
 * 0, 10, 100, 1000 and 10000 rules of a realistic mix (R-URI user
 * prefixes, User-Agent regexes, source prefixes, method + R-URI host) that
 * the message does not match, so every database runs to the end.
 *
 *   siplb-bench-rules [--iters N] FILE            ns per message, table (the
 *                                                 least of 20 interleaved
 *                                                 rounds each: what
 *                                                 preemption by other
 *                                                 processes adds is dropped)
 *   siplb-bench-rules --one RULES N FILE [KIND]   N matches, for callgrind
 *                                                 (RULES 0: the scan alone;
 *                                                 KIND 0..3: only that kind)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siplb/rules_compile.h"

static volatile uint64_t sink;

static char *dupf(const char *fmt, unsigned i)
{
	char *s;

	if (asprintf(&s, fmt, i, i) < 0)
		abort();
	return s;
}

static int only_kind = -1;

/* Rule i of the mix (every rule of kind only_kind when that is set). */
static void mix(struct slb_rule *r, unsigned i)
{
	switch (only_kind >= 0 ? (unsigned)only_kind : i % 4) {
	case 0:
		r->cond[SLB_RULE_F_RURI_USER] = (struct slb_rule_cond){SLB_RULE_OP_PREFIX,
								       dupf("+4930%u", i)};
		break;
	case 1:
		r->cond[SLB_RULE_F_USER_AGENT] = (struct slb_rule_cond){SLB_RULE_OP_REGEX,
									dupf("scanner-%u|bot%u/[0-9]+", i)};
		break;
	case 2:
		r->rec.src.family = AF_INET;
		r->rec.src.v4 = htonl(0x0a000000u | (i << 8));
		r->rec.src_len = 24;
		break;
	default:
		r->cond[SLB_RULE_F_METHOD] = (struct slb_rule_cond){SLB_RULE_OP_EXACT,
								    dupf("INVITE", i)};
		r->cond[SLB_RULE_F_RURI_HOST] = (struct slb_rule_cond){SLB_RULE_OP_EXACT,
								       dupf("h%u.example.com", i)};
	}
	r->rec.action = SLB_RULE_ACT_DROP;
}

static struct slb_rules_db *make_db(unsigned n)
{
	struct slb_rules r = {.rules = calloc(n ? n : 1, sizeof(struct slb_rule)), .n = n};
	char err[512];
	size_t len;
	void *blob;
	struct slb_rules_db *db;

	for (unsigned i = 0; i < n; i++)
		mix(&r.rules[i], i);
	blob = slb_rules_compile(&r, &len, err, sizeof(err));
	db = blob ? slb_rules_db_load(blob, len, err, sizeof(err)) : NULL;
	if (!db) {
		fprintf(stderr, "bench rules: %s\n", err);
		exit(1);
	}
	free(blob);
	slb_rules_free(&r);
	return db;
}

/* iters scans of the message, with rules matching when db is given. */
static void run(struct slb_rules_db *db, struct slb_rules_scratch *s, const uint8_t *buf,
		size_t len, long iters)
{
	struct slb_addr src = {.family = AF_INET, .v4 = htonl(0xc6336407u), .port = 5060};
	struct slb_sip_msg m;

	for (long i = 0; i < iters; i++) {
		slb_sip_scan(buf, len, &m);
		if (db) {
			slb_rules_scan(db, s, buf, &m, &src);
			sink += (uint64_t)slb_rules_next(db, s, 0);
		}
		sink += m.call_id.len;
	}
}

static double ns_per(struct slb_rules_db *db, struct slb_rules_scratch *s, const uint8_t *buf,
		     size_t len, long iters)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	run(db, s, buf, len, iters);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
	       (double)iters;
}

static size_t load(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(buf, 1, SLB_SIP_MAX_LEN, f) : 0;

	if (!f || !len) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return len;
}

int main(int argc, char **argv)
{
	static const unsigned sizes[] = {0, 10, 100, 1000, 10000};
	static uint8_t buf[SLB_SIP_MAX_LEN];
	long iters = 200000;

	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--one")) {
		only_kind = argc == 6 ? atoi(argv[5]) % 4 : -1;
		unsigned n = (unsigned)atoi(argv[2]);
		struct slb_rules_db *db = n ? make_db(n) : NULL;
		size_t len = load(argv[4], buf);

		run(db, db ? slb_rules_scratch_create(db) : NULL, buf, len, atol(argv[3]));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--iters"))
		iters = atol(argv[2]), argv += 2, argc -= 2;
	if (argc != 2) {
		fprintf(stderr, "usage: siplb-bench-rules [--iters N] FILE | "
			"--one RULES N FILE [KIND]\n");
		return 2;
	}
	size_t len = load(argv[1], buf);
	printf("%8s %12s %14s %10s\n", "rules", "scan ns", "scan+rules ns", "added ns");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct slb_rules_db *db = make_db(sizes[k]);
		struct slb_rules_scratch *s = slb_rules_scratch_create(db);
		double base = 1e18, with = 1e18;

		for (int round = 0; round < 20; round++) { /* interleaved, the least of each */
			double b = ns_per(NULL, NULL, buf, len, iters / 20 + 1);
			double w = ns_per(db, s, buf, len, iters / 20 + 1);

			base = b < base ? b : base;
			with = w < with ? w : with;
		}

		printf("%8u %12.1f %14.1f %10.1f\n", sizes[k], base, with, with - base);
		slb_rules_scratch_free(s);
		slb_rules_db_free(db);
	}
	return 0;
}
