/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the SIP scanner. Every input goes through every
 * path this CPU has (scalar, SSE4.2, AVX2, AVX-512, Hyperscan; the start says
 * which it lacks); ASan/UBSan catch bad reads, and a
 * differential mismatch or a span outside the input aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "siplb/sip_scan.h"

static struct slb_sip_hs_db *db;
static struct slb_sip_hs_scratch *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	db = slb_sip_hs_db_create(err, sizeof(err));
	scratch = db ? slb_sip_hs_scratch_create(db) : NULL;
	if (!scratch) {
		fprintf(stderr, "fuzz: hyperscan: %s\n", db ? "no scratch" : err);
		abort();
	}
	for (int p = SLB_SIP_PATH_SSE42; p < SLB_SIP_PATH_COUNT; p++)
		if (!slb_sip_path_supported((enum slb_sip_path)p))
			fprintf(stderr, "fuzz: path %s skipped: not on this CPU\n",
				slb_sip_path_name((enum slb_sip_path)p));
	return 0;
}

static void check_span(struct slb_span s, size_t size, const char *what)
{
	if ((size_t)s.off + s.len > size) {
		fprintf(stderr, "fuzz: %s span %u+%u outside %zu bytes\n", what, s.off, s.len,
			size);
		abort();
	}
}

static void check_bounds(const struct slb_sip_msg *m, size_t size)
{
	if (m->reason != SLB_SIP_OK)
		return;
	check_span(m->method_tok, size, "method");
	check_span(m->ruri, size, "ruri");
	check_span(m->call_id, size, "call_id");
	check_span(m->via.value, size, "via");
	check_span(m->via.branch, size, "branch");
	check_span(m->via2.value, size, "via2");
	check_span(m->to_tag, size, "to_tag");
	check_span(m->from_tag, size, "from_tag");
	check_span(m->route, size, "route");
	if (m->call_id.len == 0 || !m->has_via || !m->has_cseq ||
	    (size_t)m->headers_len + m->body_len > size) {
		fprintf(stderr, "fuzz: valid message without Call-ID, Via or CSeq, "
				"or with body past end\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slb_sip_msg ref, other;

	if (size > SLB_SIP_MAX_LEN)
		return 0;
	slb_sip_scan_with(SLB_SIP_PATH_SCALAR, data, size, &ref);
	check_bounds(&ref, size);
	for (int p = SLB_SIP_PATH_SSE42; p < SLB_SIP_PATH_COUNT; p++) {
		if (!slb_sip_scan_with((enum slb_sip_path)p, data, size, &other))
			continue;
		if (!slb_sip_msg_same(&ref, &other)) {
			fprintf(stderr, "fuzz: %s disagrees with scalar (%s vs %s)\n",
				slb_sip_path_name((enum slb_sip_path)p),
				slb_sip_reason_name(other.reason), slb_sip_reason_name(ref.reason));
			abort();
		}
	}
	slb_sip_scan_hs(db, scratch, data, size, &other);
	if (!slb_sip_msg_same(&ref, &other)) {
		fprintf(stderr, "fuzz: hyperscan disagrees with scalar (%s vs %s)\n",
			slb_sip_reason_name(other.reason), slb_sip_reason_name(ref.reason));
		abort();
	}
	return 0;
}
