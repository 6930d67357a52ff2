/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passive health (include/siplb/health.h): a verdict on the counters the
 * dataplane keeps per backend, sampled by siplbd. Two symptoms, each with a
 * floor on the sample size so that a quiet backend is never judged on a
 * handful of messages (docs/health.md gives the reasoning for the numbers).
 */
#include <stdio.h>
#include <string.h>

#include "siplb/health.h"

#define MS 1000000ull

void slb_passive_reset(struct slb_passive *p)
{
	memset(p, 0, sizeof(*p));
}

static bool went_backwards(const struct slb_passive_counts *a, const struct slb_passive_counts *b)
{
	return b->requests < a->requests || b->responses < a->responses ||
	       b->finals < a->finals || b->r503 < a->r503;
}

static void prime(struct slb_passive *p, const struct slb_passive_counts *now, uint64_t now_ns)
{
	slb_passive_reset(p);
	p->primed = true;
	p->last = *now;
	p->window = *now;
	p->window_ns = now_ns;
	p->requests_at_response = now->requests;
}

/* Requests without any response since, measured from the sample that first
 * saw them: at most one sampling period late, never early. */
static enum slb_passive_verdict silent(const struct slb_passive_config *c, struct slb_passive *p,
				       const struct slb_passive_counts *now, uint64_t now_ns,
				       char *reason, size_t len)
{
	uint64_t unanswered;

	if (now->responses != p->last.responses || now->requests == p->requests_at_response) {
		p->requests_at_response = now->requests;
		p->unanswered_since_ns = 0;
		return SLB_PASSIVE_OK;
	}
	if (!p->unanswered_since_ns)
		p->unanswered_since_ns = now_ns;
	unanswered = now->requests - p->requests_at_response;
	if (!c->silence_ms || unanswered < c->min_requests ||
	    now_ns - p->unanswered_since_ns < c->silence_ms * MS)
		return SLB_PASSIVE_OK;
	snprintf(reason, len, "%llu requests, no response in %.1f s",
		 (unsigned long long)unanswered, (double)(now_ns - p->unanswered_since_ns) / 1e9);
	return SLB_PASSIVE_SILENT;
}

/* The 503 share over tumbling windows of window_ms. */
static enum slb_passive_verdict overloaded(const struct slb_passive_config *c,
					   struct slb_passive *p,
					   const struct slb_passive_counts *now, uint64_t now_ns,
					   char *reason, size_t len)
{
	uint64_t finals, r503, elapsed = now_ns - p->window_ns;

	if (!c->window_ms || !c->max_503_pct || elapsed < c->window_ms * MS)
		return SLB_PASSIVE_OK;
	finals = now->finals - p->window.finals;
	r503 = now->r503 - p->window.r503;
	p->window = *now;
	p->window_ns = now_ns;
	if (finals < c->min_finals || r503 * 100 < (uint64_t)c->max_503_pct * finals)
		return SLB_PASSIVE_OK;
	snprintf(reason, len, "503 for %llu%% of %llu final responses in %.1f s",
		 (unsigned long long)(r503 * 100 / finals), (unsigned long long)finals,
		 (double)elapsed / 1e9);
	return SLB_PASSIVE_OVERLOADED;
}

enum slb_passive_verdict slb_passive_update(const struct slb_passive_config *c,
					    struct slb_passive *p,
					    const struct slb_passive_counts *now,
					    uint64_t now_ns, char *reason, size_t len)
{
	enum slb_passive_verdict v;

	if (len)
		reason[0] = '\0';
	if (!p->primed || went_backwards(&p->last, now)) {
		prime(p, now, now_ns);
		return SLB_PASSIVE_OK;
	}
	v = silent(c, p, now, now_ns, reason, len);
	if (v == SLB_PASSIVE_OK)
		v = overloaded(c, p, now, now_ns, reason, len);
	p->last = *now;
	return v;
}
