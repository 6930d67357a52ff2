/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This process's counters, printed once at exit. The per-lcore counters live
 * in the shared stats map and outlive the process (siplbd sums them), so
 * this run's share is their value at exit minus a snapshot taken at start.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siplb/sip_scan.h"
#include "siplb_dp.h"

/* Every field is a __u64 counter: the struct is summed as an array. */
_Static_assert(sizeof(struct slb_lcore_stats) % sizeof(uint64_t) == 0, "u64 counters only");
#define SLB_STATS_WORDS (sizeof(struct slb_lcore_stats) / sizeof(uint64_t))

static const char *const drop_names[] = {SLB_DROP_NAMES};
_Static_assert(RTE_DIM(drop_names) == SLB_DROP_COUNT, "a name for every drop reason");

static const char *const reply_names[] = {SLB_REPLY_CODES};
_Static_assert(RTE_DIM(reply_names) == SLB_REPLY_COUNT, "a code for every reply");

/* A reader slot with a fresh heartbeat whose owner is not known to be dead
 * belongs to another live siplb-dp: sharing it would mix both processes'
 * epochs and counters. One whose owner died (kill -9) is taken over at
 * once, so that a supervisor's restart does not have to wait. */
static int claim_slot(struct slb_dp *dp, unsigned reader, char *err, size_t errlen)
{
	const struct slb_reader *r = &dp->maps.control->readers[reader];
	uint64_t age;

	if (!slb_reader_live(&dp->maps, reader, &age)) {
		slb_reader_claim(&dp->maps, reader);
		return 0;
	}
	snprintf(err, errlen, "reader slot %u in %s is in use by pid %u (heartbeat %llu ms "
		 "ago): is another siplb-dp running on the same state maps?", reader,
		 dp->opts.bpffs ? dp->opts.bpffs : dp->cfg.bpffs, r->pid,
		 (unsigned long long)(age / 1000000));
	return -1;
}

int slb_dp_counters_start(struct slb_dp *dp, char *err, size_t errlen)
{
	unsigned lcore, i = 0;

	dp->stats_at_start = calloc(dp->n_queues, sizeof(struct slb_lcore_stats));
	if (!dp->stats_at_start) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	RTE_LCORE_FOREACH(lcore) {
		unsigned reader = dp->lcores[lcore]->reader;

		if (claim_slot(dp, reader, err, errlen))
			return -1;
		dp->stats_at_start[i++] = dp->maps.stats[reader];
	}
	return 0;
}

/*
 * The slots this process claimed, left (heartbeat 0): after a failed start
 * a claim's fresh heartbeat would tell the XDP program that a siplb-dp is
 * restarting, and it would hold SIP for a dataplane that is not coming (a
 * supervisor's restart loop would keep it so). Left, SIP goes to the
 * kernel at once. A slot that refused this process is not its own.
 */
void slb_dp_counters_release(struct slb_dp *dp)
{
	unsigned lcore;

	if (!dp->maps.control)
		return;
	RTE_LCORE_FOREACH(lcore) {
		const struct slb_dp_lcore *lc = dp->lcores[lcore];

		if (lc && dp->maps.control->readers[lc->reader].pid == (uint32_t)getpid())
			slb_reader_leave(&dp->maps, lc->reader);
	}
}

static void print_msgs(const char *what, const struct slb_msg_counter *c)
{
	if (c->msgs)
		printf("  %s: %llu msgs, %llu bytes\n", what, (unsigned long long)c->msgs,
		       (unsigned long long)c->bytes);
}

static void print_per_target(const struct slb_lcore_stats *t, const struct slb_state *s)
{
	char ep[SLB_ADDR_TEXT_LEN], what[128];

	for (unsigned i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		struct slb_addr a = SLB_STATE_ADDR(&s->vips[i]);

		snprintf(what, sizeof(what), "vip %s %s requests in", s->vips[i].name,
			 slb_addr_format(&a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)));
		print_msgs(what, &t->vip_rx[i]);
	}
	for (unsigned i = 0; i < s->n_backends && i < SLB_MAX_BACKENDS; i++) {
		struct slb_addr a = SLB_STATE_ADDR(&s->backends[i]);

		slb_addr_format(&a, SLB_ADDR_ENDPOINT, ep, sizeof(ep));
		snprintf(what, sizeof(what), "backend %u %s requests out", i, ep);
		print_msgs(what, &t->backend_tx[i]);
		if (t->backend_rx[i].responses)
			printf("  backend %u %s responses: %llu, %llu final, %llu 503\n", i, ep,
			       (unsigned long long)t->backend_rx[i].responses,
			       (unsigned long long)t->backend_rx[i].finals,
			       (unsigned long long)t->backend_rx[i].r503);
	}
}

static void print_events(const struct slb_lcore_stats *t)
{
	print_msgs("responses relayed", &t->responses);
	print_msgs("in-dialog requests", &t->in_dialog);
	for (unsigned i = 0; i < SLB_DROP_COUNT; i++)
		if (t->drops[i])
			printf("  drop %s: %llu\n", drop_names[i], (unsigned long long)t->drops[i]);
	for (unsigned i = 0; i < RTE_DIM(t->sip_reasons); i++)
		if (t->sip_reasons[i])
			printf("  malformed %s: %llu\n", slb_sip_reason_name((enum slb_sip_reason)i),
			       (unsigned long long)t->sip_reasons[i]);
	for (unsigned i = 0; i < SLB_REPLY_COUNT; i++)
		if (t->replies[i])
			printf("  reply %s: %llu\n", reply_names[i],
			       (unsigned long long)t->replies[i]);
	if (t->keepalives)
		printf("  keep-alives: %llu\n", (unsigned long long)t->keepalives);
	if (t->reassembled || t->fragmented)
		printf("  IPv4 datagrams: %llu reassembled, %llu sent as fragments\n",
		       (unsigned long long)t->reassembled, (unsigned long long)t->fragmented);
}

/* Adds what the counters in now gained since start. */
static void add_change(struct slb_lcore_stats *to, const struct slb_lcore_stats *now,
		       const struct slb_lcore_stats *start)
{
	__u64 *sum = (__u64 *)to; /* the members' own type (strict aliasing) */
	const __u64 *n = (const __u64 *)now, *s = (const __u64 *)start;

	for (size_t w = 0; w < SLB_STATS_WORDS; w++)
		sum[w] += n[w] - s[w];
}

static unsigned long long sum_msgs(const struct slb_msg_counter *c, unsigned n)
{
	unsigned long long msgs = 0;

	for (unsigned i = 0; i < n; i++)
		msgs += c[i].msgs;
	return msgs;
}

/* With several workers, each one's share: how RSS (or the driver) spread the
 * queues. t is scratch. */
static void print_lcores(const struct slb_dp *dp, struct slb_lcore_stats *t)
{
	unsigned lcore, i = 0;

	if (dp->n_queues < 2)
		return;
	RTE_LCORE_FOREACH(lcore) {
		const struct slb_dp_lcore *lc = dp->lcores[lcore];
		unsigned long long drops = 0;

		memset(t, 0, sizeof(*t));
		add_change(t, &dp->maps.stats[lc->reader], &dp->stats_at_start[i++]);
		for (unsigned d = 0; d < SLB_DROP_COUNT; d++)
			drops += t->drops[d];
		printf("  lcore %u queue %u: %llu requests in, %llu responses relayed, "
		       "%llu dropped\n", lcore, lc->queue, sum_msgs(t->vip_rx, SLB_MAX_VIPS),
		       (unsigned long long)t->responses.msgs, drops);
	}
}

void slb_dp_counters_print(struct slb_dp *dp)
{
	unsigned reader = dp->lcores[rte_get_main_lcore()]->reader;
	struct slb_lcore_stats *total = calloc(2, sizeof(*total));
	unsigned lcore, i = 0;

	if (!total)
		return;
	RTE_LCORE_FOREACH(lcore)
		add_change(total, &dp->maps.stats[dp->lcores[lcore]->reader],
			   &dp->stats_at_start[i++]);
	/* registered again while reading names, so siplbd keeps the slot */
	slb_reader_heartbeat(&dp->maps, reader);
	uint64_t g = slb_reader_enter(&dp->maps, reader);
	printf("siplb-dp: counters of this run (%u lcore%s, names from generation %llu):\n",
	       dp->n_queues, dp->n_queues == 1 ? "" : "s", (unsigned long long)g);
	print_per_target(total, slb_state_of(&dp->maps, g));
	slb_reader_leave(&dp->maps, reader);
	print_events(total);
	print_lcores(dp, total + 1);
	fflush(stdout);
	free(total);
}
