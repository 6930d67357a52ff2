/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header location with Hyperscan: one block-mode database of
 * header-name and framing patterns, compiled once; one scratch per thread.
 *
 * Hyperscan does not promise to report matches in offset order, so the
 * callback keeps the two lowest offsets per header and a flag per framing
 * fault; the hits are recorded in offset order after the scan. Two are
 * enough: the common code asks only for the first two Vias and Routes and
 * whether a Call-ID or Content-Length appears more than once. The header
 * block's end is found first (memmem), and only the block is scanned.
 *
 * Debian 12's Vectorscan 5.4.9 misses matches depending on the buffer's
 * alignment (upstream VectorCamp/vectorscan#317; the fuzzer found it here):
 * a lone "\x00" pattern is missed at most alignments, and "\nVia:" beside
 * "\nm:" at some. So NUL is found with memchr, and header patterns start
 * at CRLF, which the fuzzer has not caught missing a match. (siplb now
 * builds with Intel's Hyperscan 5.4.0, docs/rules.md; these stay.)
 */
#define _GNU_SOURCE
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_scan_internal.h"

enum {
	HS_BARE_CR = 100,
	HS_BARE_LF,
	HS_BAD_LINE,
	HS_HDR_COUNT = SLB_HDR_USER_AGENT + 1,
};

static const struct {
	unsigned id;
	unsigned flags;
	const char *re;
} hs_patterns[] = {
	{ SLB_HDR_VIA, HS_FLAG_CASELESS, "\\r\\n(via|v)[ \\t]*:" },
	{ SLB_HDR_CALL_ID, HS_FLAG_CASELESS, "\\r\\n(call-id|i)[ \\t]*:" },
	{ SLB_HDR_CSEQ, HS_FLAG_CASELESS, "\\r\\ncseq[ \\t]*:" },
	{ SLB_HDR_CONTENT_LENGTH, HS_FLAG_CASELESS, "\\r\\n(content-length|l)[ \\t]*:" },
	{ SLB_HDR_MAX_FORWARDS, HS_FLAG_CASELESS, "\\r\\nmax-forwards[ \\t]*:" },
	{ SLB_HDR_TO, HS_FLAG_CASELESS, "\\r\\n(to|t)[ \\t]*:" },
	{ SLB_HDR_FROM, HS_FLAG_CASELESS, "\\r\\n(from|f)[ \\t]*:" },
	{ SLB_HDR_ROUTE, HS_FLAG_CASELESS, "\\r\\nroute[ \\t]*:" },
	{ SLB_HDR_CONTACT, HS_FLAG_CASELESS, "\\r\\n(contact|m)[ \\t]*:" },
	{ SLB_HDR_USER_AGENT, HS_FLAG_CASELESS, "\\r\\nuser-agent[ \\t]*:" },
	{ HS_BARE_CR, HS_FLAG_SINGLEMATCH, "\\r[^\\n]" },
	{ HS_BARE_LF, HS_FLAG_SINGLEMATCH, "(^|[^\\r])\\n" },
	/* a logical line whose first physical line has no "name:" */
	{ HS_BAD_LINE, HS_FLAG_SINGLEMATCH, "\\n(:|\\n|[^ \\t\\r\\n:][^:\\r\\n]*[\\r\\n])" },
};

#define N_PATTERNS (sizeof(hs_patterns) / sizeof(hs_patterns[0]))

struct slb_sip_hs_db {
	hs_database_t *db;
};

struct slb_sip_hs_scratch {
	hs_scratch_t *scratch;
};

struct hs_found {
	uint32_t first[HS_HDR_COUNT][2]; /* two lowest match ends, 0 = none */
	uint8_t count[HS_HDR_COUNT];
	uint32_t err;
};

struct slb_sip_hs_db *slb_sip_hs_db_create(char *err, size_t errlen)
{
	const char *exprs[N_PATTERNS];
	unsigned flags[N_PATTERNS], ids[N_PATTERNS];
	hs_compile_error_t *cerr = NULL;
	struct slb_sip_hs_db *db = calloc(1, sizeof(*db));

	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < N_PATTERNS; i++) {
		exprs[i] = hs_patterns[i].re;
		flags[i] = hs_patterns[i].flags;
		ids[i] = hs_patterns[i].id;
	}
	if (hs_compile_multi(exprs, flags, ids, N_PATTERNS, HS_MODE_BLOCK, NULL, &db->db,
			     &cerr) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan: pattern %d: %s", cerr->expression,
			 cerr->message);
		hs_free_compile_error(cerr);
		free(db);
		return NULL;
	}
	return db;
}

void slb_sip_hs_db_free(struct slb_sip_hs_db *db)
{
	if (db) {
		hs_free_database(db->db);
		free(db);
	}
}

struct slb_sip_hs_scratch *slb_sip_hs_scratch_create(const struct slb_sip_hs_db *db)
{
	struct slb_sip_hs_scratch *s = calloc(1, sizeof(*s));

	if (s && hs_alloc_scratch(db->db, &s->scratch) != HS_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

void slb_sip_hs_scratch_free(struct slb_sip_hs_scratch *s)
{
	if (s) {
		hs_free_scratch(s->scratch);
		free(s);
	}
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct hs_found *f = ctx;
	uint32_t end = (uint32_t)to;

	(void)from;
	(void)flags;
	switch (id) {
	case HS_BARE_CR:
	case HS_BARE_LF:  f->err |= SLB_ERR(SLB_SIP_ERR_BARE_CRLF); return 0;
	case HS_BAD_LINE: f->err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE); return 0;
	}
	if (id >= HS_HDR_COUNT)
		return 0;
	uint32_t *first = f->first[id];
	if (f->count[id] < 255)
		f->count[id]++;
	if (!first[0] || end < first[0]) {
		first[1] = first[0];
		first[0] = end;
	} else if (!first[1] || end < first[1]) {
		first[1] = end;
	}
	return 0;
}

/* From just after a header's colon to the end of its logical line. */
static void hs_hit(const uint8_t *buf, size_t hdr_end, enum slb_hdr id, size_t colon_end,
		   struct slb_sip_hits *hits)
{
	size_t line = colon_end, pos = colon_end;
	const uint8_t *lf;

	while (buf[line - 1] != '\n')
		line--;
	for (;;) {
		lf = memchr(buf + pos, '\n', hdr_end - pos);
		pos = (size_t)(lf - buf) + 1;
		if (pos >= hdr_end || (buf[pos] != ' ' && buf[pos] != '\t'))
			break;
	}
	slb_sip_hit(hits, id, line, colon_end, slb_line_end(buf, (size_t)(lf - buf)));
}

enum slb_sip_reason slb_sip_scan_hs(const struct slb_sip_hs_db *db,
				    struct slb_sip_hs_scratch *s,
				    const uint8_t *buf, size_t len,
				    struct slb_sip_msg *msg)
{
	static const char end_marker[4] = { '\r', '\n', '\r', '\n' };
	struct slb_sip_hits hits = { 0 };
	struct hs_found found = { { { 0 } }, { 0 }, 0 };
	size_t hdr_start, hdr_end;
	uint32_t err = 0;

	if (!slb_sip_begin_scalar(buf, len, msg, &hdr_start, &err))
		return msg->reason;
	const uint8_t *end = memmem(buf, len, end_marker, sizeof(end_marker));
	if (!end)
		return slb_sip_finish_scalar(buf, len, msg, &hits, 0,
					     err | SLB_ERR(SLB_SIP_ERR_TRUNCATED));
	hdr_end = (size_t)(end - buf) + 4;
	if (hs_scan(db->db, (const char *)buf, (unsigned)hdr_end, 0, s->scratch, on_match,
		    &found) != HS_SUCCESS)
		abort(); /* only on a corrupt database or scratch: a bug */
	err |= found.err;
	if (memchr(buf, 0, hdr_end))
		err |= SLB_ERR(SLB_SIP_ERR_NUL_BYTE);
	for (unsigned id = SLB_HDR_VIA; id < HS_HDR_COUNT; id++)
		for (unsigned k = 0; k < 2 && k < found.count[id]; k++)
			hs_hit(buf, hdr_end, (enum slb_hdr)id, found.first[id][k], &hits);
	return slb_sip_finish_scalar(buf, len, msg, &hits, hdr_end, err);
}
