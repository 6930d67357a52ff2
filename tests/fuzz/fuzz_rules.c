/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the rules' matcher (docs/rules.md): every request
 * the scanner accepts is matched against the shared fixture's rules with
 * Hyperscan at every alignment 0..63 of its buffer and with the plain C
 * reference matcher; any difference aborts (the Vectorscan 5.4.9 alignment
 * bug, docs/scanner.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/rules_fixture.h"
#include "../rules/rules_ref.h"

static struct rules_fixture fixture;
static struct slb_rules_scratch *scratch;
static struct rules_ref *ref;
static uint8_t mem[SLB_SIP_MAX_LEN + 64] __attribute__((aligned(64)));

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rules_fixture_load(&fixture);
	scratch = slb_rules_scratch_create(fixture.db);
	ref = rules_ref_create(&fixture.config.vips[0].rules);
	if (!scratch)
		abort();
	return 0;
}

/* A source the fixture's source rules care about, picked by the input. */
static struct slb_addr source(const uint8_t *data, size_t size)
{
	static const char *const ips[] = {"203.0.113.9", "198.51.100.7", "2001:db8::5"};
	static const uint16_t ports[] = {5060, 5070};
	unsigned pick = size ? data[size - 1] : 0;
	struct slb_addr a;

	slb_addr_parse(ips[pick % 3], &a);
	a.port = ports[(pick / 3) % 2];
	return a;
}

/* The reference's matches at alignment 0 into want (-1 ended). */
static void reference(const struct slb_sip_msg *m, const struct slb_addr *src, int32_t *want)
{
	int n = 0;

	for (int32_t i = rules_ref_next(ref, mem, m, src, 0); i >= 0;
	     i = rules_ref_next(ref, mem, m, src, (uint32_t)i + 1))
		want[n++] = i;
	want[n] = -1;
}

static void compare(const uint8_t *buf, const struct slb_sip_msg *m, const struct slb_addr *src,
		    const int32_t *want, unsigned align)
{
	int n = 0;

	if (slb_rules_scan(fixture.db, scratch, buf, m, src))
		abort();
	for (int32_t i = slb_rules_next(fixture.db, scratch, 0);; i = slb_rules_next(fixture.db,
			     scratch, (uint32_t)i + 1), n++) {
		if (i != want[n]) {
			fprintf(stderr, "fuzz rules: alignment %u: match %d is rule %d with "
				"Hyperscan, %d with the reference\n", align, n, i, want[n]);
			abort();
		}
		if (i < 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slb_addr src = source(data, size);
	int32_t want[R_COUNT + 1];
	struct slb_sip_msg m;

	if (size > SLB_SIP_MAX_LEN)
		return 0;
	memcpy(mem, data, size);
	if (slb_sip_scan(mem, size, &m) != SLB_SIP_OK || m.kind != SLB_SIP_KIND_REQUEST)
		return 0;
	reference(&m, &src, want);
	for (unsigned align = 0; align < 64; align++) {
		memmove(mem + align, data, size);
		compare(mem + align, &m, &src, want, align);
	}
	return 0;
}
