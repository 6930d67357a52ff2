/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text exposition format 0.0.4 of a metrics snapshot.
 * Every family has its HELP and TYPE lines even without samples, so a
 * dashboard's queries find the names before the first backend appears.
 * Names follow Prometheus' conventions: counters end in _total, units are
 * in the name (_seconds, _bytes), states are one-hot gauges (one sample per
 * state, 1 for the current one, like kube-state-metrics), so that
 * `siplb_backend_state{state="down"} == 1` selects the down backends.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/metrics.h"
#include "siplb/sip_scan.h"

_Static_assert(SLB_SIP_REASON_COUNT <= SLB_METRICS_MALFORMED_MAX, "a counter per scanner reason");

static const char *const drop_names[] = {SLB_DROP_NAMES};

static const char *const state_names[] = {
	"unused", "up", "down", "probing", "draining", "disabled",
};

static const char *const reply_codes[] = {SLB_REPLY_CODES};

static const char *const xdp_drop_names[] = {SLB_XDP_DROP_NAMES};

static const char *const xdp_verdict_names[] = {SLB_XDP_VERDICT_NAMES};

static const char *const xdp_pass_names[] = {SLB_XDP_PASS_NAMES};

_Static_assert(sizeof(drop_names) / sizeof(*drop_names) == SLB_DROP_COUNT,
	       "a name per drop reason");
_Static_assert(sizeof(state_names) / sizeof(*state_names) == SLB_BACKEND_DISABLED + 1,
	       "a name per backend state");
_Static_assert(sizeof(reply_codes) / sizeof(*reply_codes) == SLB_REPLY_COUNT,
	       "a code per reply");
_Static_assert(sizeof(xdp_drop_names) / sizeof(*xdp_drop_names) == SLB_XDP_DROP_COUNT,
	       "a name per XDP drop reason");
_Static_assert(sizeof(xdp_verdict_names) / sizeof(*xdp_verdict_names) == SLB_XDP_VERDICT_COUNT,
	       "a name per XDP verdict");
_Static_assert(sizeof(xdp_pass_names) / sizeof(*xdp_pass_names) == SLB_XDP_PASS_COUNT,
	       "a name per XDP pass reason");

const char *slb_drop_name(unsigned drop)
{
	return drop < SLB_DROP_COUNT ? drop_names[drop] : "?";
}

const char *slb_backend_state_name(unsigned state)
{
	return state <= SLB_BACKEND_DISABLED ? state_names[state] : "?";
}

const char *slb_backend_shown_state(const struct slb_backend *b)
{
	return b->flags & SLB_BACKEND_F_STANDBY ? "standby" : slb_backend_state_name(b->state);
}

void slb_metrics_take_totals(struct slb_metrics_snapshot *s, const struct slb_lcore_stats *t)
{
	s->responses = t->responses;
	s->in_dialog = t->in_dialog;
	memcpy(s->drops, t->drops, sizeof(s->drops));
	memcpy(s->replies, t->replies, sizeof(s->replies));
	memcpy(s->malformed, t->sip_reasons, sizeof(s->malformed));
	s->keepalives = t->keepalives;
	s->reassembled = t->reassembled;
	s->fragmented = t->fragmented;
	s->capture = t->capture;
}

/* A label value: backslash, double quote and newline escaped, as the format says. */
static void label(FILE *f, const char *name, const char *v, size_t max, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (size_t i = 0; i < max && v[i]; i++) {
		if (v[i] == '\\' || v[i] == '"')
			fputc('\\', f);
		if (v[i] == '\n')
			fputs("\\n", f);
		else
			fputc(v[i], f);
	}
	fputc('"', f);
}

/* The end of a labelled sample: "} VALUE". */
static void end_u64(FILE *f, uint64_t v)
{
	fprintf(f, "} %" PRIu64 "\n", v);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void scalar(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* name{one="v"} n for every entry of a name table */
static void by_label(FILE *f, const char *name, const char *lname, const char *const *names,
		     const uint64_t *v, unsigned from, unsigned n)
{
	for (unsigned i = from; i < n; i++) {
		fprintf(f, "%s{", name);
		label(f, lname, names ? names[i] : slb_sip_reason_name((enum slb_sip_reason)i),
		      SIZE_MAX, true);
		end_u64(f, v[i]);
	}
}

/* The counter at byte off of every VIP's struct slb_metrics_vip. */
static void vip_family(FILE *f, const char *name, const char *help,
		       const struct slb_metrics_snapshot *s, size_t off)
{
	family(f, name, "counter", help);
	for (uint32_t i = 0; i < s->n_vips; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&s->vips[i] + off, sizeof(v));
		fprintf(f, "%s{", name);
		label(f, "vip", s->vips[i].name, SLB_NAME_LEN, true);
		label(f, "pool", s->vips[i].pool, SLB_NAME_LEN, false);
		end_u64(f, v);
	}
}

static void vips(FILE *f, const struct slb_metrics_snapshot *s)
{
	vip_family(f, "siplb_vip_messages_total",
		   "SIP requests received on a VIP (proxy: by siplb-dp; DSR: sent by XDP).", s,
		   offsetof(struct slb_metrics_vip, rx.msgs));
	vip_family(f, "siplb_vip_bytes_total", "Bytes of SIP requests received on a VIP.", s,
		   offsetof(struct slb_metrics_vip, rx.bytes));
	vip_family(f, "siplb_xdp_vip_packets_total",
		   "SIP packets to a VIP seen by the XDP program, before flood protection.", s,
		   offsetof(struct slb_metrics_vip, xdp.msgs));
	vip_family(f, "siplb_xdp_vip_bytes_total",
		   "Bytes of the frames to a VIP seen by the XDP program.", s,
		   offsetof(struct slb_metrics_vip, xdp.bytes));
}

/* The backends' pool and address labels, then the line's own part. */
static void backend_sample(FILE *f, const char *name, const struct slb_metrics_backend *b)
{
	fprintf(f, "%s{", name);
	label(f, "pool", b->pool, SLB_NAME_LEN, true);
	label(f, "backend", b->backend, SLB_METRICS_LABEL_LEN, false);
}

typedef void backend_value_fn(FILE *f, const struct slb_metrics_backend *b);

static void b_msgs(FILE *f, const struct slb_metrics_backend *b)
{
	end_u64(f, b->tx.msgs);
}

static void b_bytes(FILE *f, const struct slb_metrics_backend *b)
{
	end_u64(f, b->tx.bytes);
}

static void b_weight(FILE *f, const struct slb_metrics_backend *b)
{
	fprintf(f, "} %u\n", b->weight);
}

static void b_latency(FILE *f, const struct slb_metrics_backend *b)
{
	fprintf(f, "} %.9g\n", b->health_latency_seconds);
}

static void b_probes(FILE *f, const struct slb_metrics_backend *b)
{
	end_u64(f, b->probes.sent);
}

enum which { ALL, MEASURED, PROBED }; /* the backends a family has samples of */

static const struct {
	const char *name, *type, *help;
	backend_value_fn *value;
	enum which which;
} backend_families[] = {
	{"siplb_backend_messages_total", "counter",
	 "SIP requests forwarded to a backend (proxy by siplb-dp, DSR by XDP).", b_msgs, ALL},
	{"siplb_backend_bytes_total", "counter", "Bytes of SIP requests forwarded to a backend.",
	 b_bytes, ALL},
	{"siplb_backend_weight", "gauge", "A backend's Maglev weight (0: draining).",
	 b_weight, ALL},
	{"siplb_backend_health_latency_seconds", "gauge",
	 "Round trip of the last health-check OPTIONS answered by a backend.", b_latency,
	 MEASURED},
	{"siplb_health_probes_total", "counter", "Health-check OPTIONS sent to a backend.",
	 b_probes, PROBED},
};

static bool has_sample(const struct slb_metrics_backend *b, enum which which)
{
	return b->state != SLB_BACKEND_UNUSED &&
	       (which == ALL || (which == PROBED && b->probed) ||
		(which == MEASURED && b->health_latency_seconds >= 0));
}

/* Failed probes by reason, as slb_health_counters counts them. */
static void probe_failures(FILE *f, const struct slb_metrics_snapshot *s)
{
	static const char *const name = "siplb_health_probe_failures_total";
	static const char *const reasons[] = {"timeout", "bad_code", "icmp", "send_error"};

	family(f, name, "counter", "Health-check OPTIONS that failed, by reason (timeout, "
	       "bad_code: a final reply whose code does not count as alive, icmp, send_error).");
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_metrics_backend *b = &s->backends[i];
		const uint64_t v[] = {b->probes.timeouts, b->probes.bad_code, b->probes.icmp,
				      b->probes.send_errors};

		for (unsigned r = 0; has_sample(b, PROBED) && r < 4; r++) {
			backend_sample(f, name, b);
			label(f, "reason", reasons[r], SIZE_MAX, false);
			end_u64(f, v[r]);
		}
	}
}

/* The round trips of every final reply: a histogram (cumulative buckets up
 * to +Inf, _sum in seconds, _count). */
static void probe_latency(FILE *f, const struct slb_metrics_snapshot *s)
{
	static const int64_t bounds[SLB_HEALTH_LATENCY_BUCKETS] = {SLB_HEALTH_LATENCY_BOUNDS_US};

	family(f, "siplb_health_probe_latency_seconds", "histogram",
	       "Round trips of the health-check OPTIONS a backend answered.");
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_metrics_backend *b = &s->backends[i];
		uint64_t n = 0;
		char le[24];

		if (!has_sample(b, PROBED))
			continue;
		for (unsigned k = 0; k <= SLB_HEALTH_LATENCY_BUCKETS; k++) {
			n += b->latency.bucket[k];
			if (k < SLB_HEALTH_LATENCY_BUCKETS)
				snprintf(le, sizeof(le), "%g", (double)bounds[k] / 1e6);
			else
				snprintf(le, sizeof(le), "+Inf");
			backend_sample(f, "siplb_health_probe_latency_seconds_bucket", b);
			label(f, "le", le, sizeof(le), false);
			end_u64(f, n);
		}
		backend_sample(f, "siplb_health_probe_latency_seconds_sum", b);
		fprintf(f, "} %.9g\n", (double)b->latency.sum_us / 1e6);
		backend_sample(f, "siplb_health_probe_latency_seconds_count", b);
		end_u64(f, n);
	}
}

/* One sample per state and backend: 1 for the backend's state, 0 for the
 * others. A stand-by backend (published as draining: no new calls while a
 * more preferred group is up) is "standby", as siplbctl shows it. */
static void backend_states(FILE *f, const struct slb_metrics_snapshot *s)
{
	family(f, "siplb_backend_state", "gauge",
	       "A backend's state: 1 for the state it is in, 0 for the others.");
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_metrics_backend *b = &s->backends[i];

		for (unsigned st = SLB_BACKEND_UP; b->state && st <= SLB_BACKEND_DISABLED + 1; st++) {
			bool in = st <= SLB_BACKEND_DISABLED
				  ? b->state == st && !(st == SLB_BACKEND_DRAINING && b->standby)
				  : b->standby;

			backend_sample(f, "siplb_backend_state", b);
			label(f, "state", st <= SLB_BACKEND_DISABLED ? state_names[st] : "standby",
			      SIZE_MAX, false);
			fprintf(f, "} %d\n", in);
		}
	}
}

static void backends(FILE *f, const struct slb_metrics_snapshot *s)
{
	for (size_t k = 0; k < sizeof(backend_families) / sizeof(*backend_families); k++) {
		family(f, backend_families[k].name, backend_families[k].type,
		       backend_families[k].help);
		for (uint32_t i = 0; i < s->n_backends; i++) {
			const struct slb_metrics_backend *b = &s->backends[i];

			if (!has_sample(b, backend_families[k].which))
				continue;
			backend_sample(f, backend_families[k].name, b);
			backend_families[k].value(f, b);
		}
	}
	backend_states(f, s);
	probe_failures(f, s);
	probe_latency(f, s);
}

static void pools(FILE *f, const struct slb_metrics_snapshot *s)
{
	family(f, "siplb_dns_failures_total", "counter",
	       "Failed DNS resolutions of a pool's backends (SRV, A, AAAA).");
	for (uint32_t i = 0; i < s->n_pools; i++) {
		fputs("siplb_dns_failures_total{", f);
		label(f, "pool", s->pools[i].name, SLB_NAME_LEN, true);
		end_u64(f, s->pools[i].dns_failures);
	}
}

static void rules(FILE *f, const struct slb_metrics_snapshot *s)
{
	family(f, "siplb_rule_matches_total", "counter",
	       "Requests a routing rule matched, by VIP and rule index (reset when the VIP's "
	       "rules change).");
	for (uint32_t i = 0; i < s->n_rules; i++) {
		fputs("siplb_rule_matches_total{", f);
		label(f, "vip", s->rules[i].vip, SLB_NAME_LEN, true);
		fprintf(f, ",rule=\"%" PRIu32 "\"", s->rules[i].index);
		end_u64(f, s->rules[i].matches);
	}
}

/* SIP capture: what siplb-dp queued, sent as HEP, wrote to pcap, and dropped. */
static void capture(FILE *f, const struct slb_capture_stats *c)
{
	static const char *const results[] = {"queued", "queue_full", "sent", "over_rate",
					      "send_error", "pcap_written", "pcap_dropped"};
	const uint64_t v[] = {c->queued, c->queue_full, c->sent, c->over_rate, c->send_errors,
			      c->pcap_written, c->pcap_dropped};

	family(f, "siplb_capture_messages_total", "counter",
	       "SIP messages siplb-dp captured, by result (queued for the capture thread, "
	       "queue_full: not queued; sent as HEP, over_rate and send_error: not sent; "
	       "pcap_written to the pcap file, pcap_dropped: not written).");
	by_label(f, "siplb_capture_messages_total", "result", results, v, 0, 7);
}

static void totals(FILE *f, const struct slb_metrics_snapshot *s)
{
	scalar(f, "siplb_responses_relayed_total", "counter",
	       "SIP responses relayed back towards clients.", s->responses.msgs);
	scalar(f, "siplb_responses_relayed_bytes_total", "counter",
	       "Bytes of SIP responses relayed back towards clients.", s->responses.bytes);
	scalar(f, "siplb_in_dialog_messages_total", "counter",
	       "Requests routed by their Route header (in-dialog), not by Call-ID hash.",
	       s->in_dialog.msgs);
	scalar(f, "siplb_in_dialog_bytes_total", "counter",
	       "Bytes of requests routed by their Route header.", s->in_dialog.bytes);
	family(f, "siplb_drops_total", "counter", "Packets dropped, by reason.");
	by_label(f, "siplb_drops_total", "reason", drop_names, s->drops, 0, SLB_DROP_COUNT);
	family(f, "siplb_xdp_drops_total", "counter",
	       "Packets the XDP program dropped before the dataplane, by reason (rule, rule_rate: "
	       "routing rules offloaded to it).");
	by_label(f, "siplb_xdp_drops_total", "reason", xdp_drop_names, s->xdp_drops, 0,
		 SLB_XDP_DROP_COUNT);
	family(f, "siplb_xdp_verdicts_total", "counter",
	       "Packets the XDP program decided on, by verdict (steer: to siplb-dp, dsr: "
	       "encapsulated to a backend, pass: to the kernel, drop).");
	by_label(f, "siplb_xdp_verdicts_total", "verdict", xdp_verdict_names, s->xdp_verdicts, 0,
		 SLB_XDP_VERDICT_COUNT);
	family(f, "siplb_xdp_passes_total", "counter",
	       "Packets the XDP program passed to the kernel, by reason.");
	by_label(f, "siplb_xdp_passes_total", "reason", xdp_pass_names, s->xdp_passes, 0,
		 SLB_XDP_PASS_COUNT);
	family(f, "siplb_replies_total", "counter",
	       "Stateless replies sent instead of forwarding (483: Max-Forwards exhausted, "
	       "503: no backend up, 513: too large with siplb's headers, rule: a routing rule's "
	       "reply, rule_rate: 503 over a routing rule's rate).");
	by_label(f, "siplb_replies_total", "code", reply_codes, s->replies, 0, SLB_REPLY_COUNT);
	family(f, "siplb_malformed_total", "counter",
	       "Datagrams the SIP scanner rejected, by reason.");
	by_label(f, "siplb_malformed_total", "reason", NULL, s->malformed, SLB_SIP_OK + 1,
		 SLB_SIP_REASON_COUNT);
	scalar(f, "siplb_keepalives_total", "counter",
	       "Keep-alives received: CRLF (dropped) and STUN Binding requests (answered).",
	       s->keepalives);
	scalar(f, "siplb_reassembled_total", "counter",
	       "Datagrams reassembled from IPv4 fragments.", s->reassembled);
	scalar(f, "siplb_fragmented_total", "counter",
	       "Datagrams sent as IPv4 fragments (larger than the egress MTU).", s->fragmented);
	capture(f, &s->capture);
}

char *slb_metrics_render(const struct slb_metrics_snapshot *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	family(f, "siplb_build_info", "gauge", "Always 1: the version of siplb running.");
	fputs("siplb_build_info{", f);
	label(f, "version", s->version, sizeof(s->version), true);
	fputs("} 1\n", f);
	scalar(f, "siplb_generation", "gauge", "Generation of the state the dataplane reads.",
	       s->generation);
	family(f, "siplb_table_rebuild_seconds", "gauge",
	       "Time the last publish took to build the state and the Maglev tables.");
	fprintf(f, "siplb_table_rebuild_seconds %.9g\n", s->table_rebuild_seconds);
	vips(f, s);
	backends(f, s);
	pools(f, s);
	rules(f, s);
	totals(f, s);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
