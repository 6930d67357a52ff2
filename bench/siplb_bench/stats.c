/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

#include <string.h>

const char *const uac_ctr_name[U_COUNT] = {
	"sent", "received", "retransmissions", "transactions", "lossy_transactions",
	"timeouts", "rejected", "table_full", "abandoned", "auth_rounds", "callee_byes",
	"ack_retransmissions", "replies", "stray", "bad", "send_errors",
};
const char *const lat_name[LAT_COUNT] = { "invite_200", "bye_200", "register_200",
					  "options_200" };
const char *const scen_name[SCEN_COUNT] = { "call", "register", "options" };
const char *const be_ctr_name[B_COUNT] = {
	"received", "requests", "responses", "sent", "challenges", "auth_failed",
	"callee_byes", "callee_bye_ok", "bye_queue_full", "bad", "send_errors",
};

static void add_all(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += ctr_get(&src[i]);
}

void uac_stats_sum(struct uac_stats *dst, const struct uac_stats *src, int n)
{
	memset(dst, 0, sizeof(*dst));
	for (int t = 0; t < n; t++) {
		add_all(dst->c, src[t].c, U_COUNT);
		add_all(dst->started, src[t].started, SCEN_COUNT);
		add_all(dst->completed, src[t].completed, SCEN_COUNT);
		add_all(dst->failed, src[t].failed, SCEN_COUNT);
		for (int l = 0; l < LAT_COUNT; l++)
			hist_merge(&dst->lat[l], &src[t].lat[l]);
	}
}

void be_stats_sum(struct be_stats *dst, const struct be_stats *src, int n)
{
	memset(dst, 0, sizeof(*dst));
	for (int t = 0; t < n; t++) {
		add_all(dst->c, src[t].c, B_COUNT);
		add_all(dst->method, src[t].method, SLB_SIP_METHOD_COUNT);
	}
}

static void sub_all(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = a[i] - b[i];
}

void uac_stats_diff(struct uac_stats *dst, const struct uac_stats *a, const struct uac_stats *b)
{
	sub_all(dst->c, a->c, b->c, U_COUNT);
	sub_all(dst->started, a->started, b->started, SCEN_COUNT);
	sub_all(dst->completed, a->completed, b->completed, SCEN_COUNT);
	sub_all(dst->failed, a->failed, b->failed, SCEN_COUNT);
	for (int l = 0; l < LAT_COUNT; l++)
		hist_diff(&dst->lat[l], &a->lat[l], &b->lat[l]);
}
