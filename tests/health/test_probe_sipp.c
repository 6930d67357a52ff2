/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OPTIONS prober against real SIPp backends on loopback (Debian's
 * sip-tester), interval 200 ms, timeout 150 ms, rise 2, fall 3:
 *   id 1  127.0.0.1  SIPp answering 200        stays up
 *   id 2  127.0.0.1  SIPp answering 503        down: "503 Service Unavailable x3"
 *   id 3  127.0.0.1  nothing listens           down: "ICMP port unreachable x3"
 *   id 4  127.0.0.1  a socket that never reads down: "3 timeouts"
 *   id 5  ::1        SIPp answering 200        stays up
 *   id 6  ::1        nothing listens           down: ICMPv6 port unreachable
 * each down within interval x fall; then SIPp starts on id 3's port (up
 * within interval x rise, through probing), id 1's SIPp is killed (down)
 * and restarted (up). Last, the requests SIPp logged (-trace_msg) are parsed
 * with the siplb scanner and checked field by field.
 * Usage: test_probe_sipp SIPP SCENARIO_DIR WORK_DIR
 */
#define _GNU_SOURCE /* memmem */
#include <limits.h>
#include <sys/stat.h>

#include "events.h"
#include "siplb/sip_scan.h"

#define INTERVAL 200
#define TIMEOUT 150
#define RISE 2
#define FALL 3
/* Scheduling and sanitizer slowness on a loaded 2-core machine. */
#define SLACK 120

static const char *sipp, *scenarios, *work;
static uint16_t port[7];
static const char *host[7] = {NULL, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
			      "::1", "::1"};

static pid_t sipp_start(const char *scenario, unsigned id, const char *trace)
{
	char sf[PATH_MAX], p[8], log[PATH_MAX];
	char *argv[] = {(char *)sipp, "-sf", sf, "-i", (char *)host[id], "-p", p, "-bind_local",
			"-nostdin", "-trace_msg", "-message_file", (char *)trace, NULL};
	pid_t pid;

	snprintf(sf, sizeof(sf), "%s/%s", scenarios, scenario);
	snprintf(p, sizeof(p), "%u", port[id]);
	snprintf(log, sizeof(log), "%s/sipp-%u.log", work, id);
	unlink(trace);
	pid = child_start(argv, log);
	CHECK(wait_bound(host[id], port[id], 5000), "SIPp on %s port %u did not start (%s)",
	      host[id], port[id], log);
	return pid;
}

static void add(struct slb_health *h, unsigned id)
{
	struct slb_health_target t = {.id = id, .a.port = port[id]};
	char err[256];

	t.a.family = strchr(host[id], ':') ? AF_INET6 : AF_INET;
	inet_pton(t.a.family, host[id], t.a.v6);
	CHECK(!slb_health_add(h, &t, SLB_BACKEND_UP, err, sizeof(err)), "%s", err);
}

static const struct slb_health_status *status(struct slb_health *h, unsigned id)
{
	const struct slb_health_status *st = slb_health_status(h, id);

	CHECK(st, "no status for id %u", id);
	return st;
}

/* The change of id to `to` after event index `from`, at most `ms` after t0. */
static const struct event *expect(unsigned id, enum slb_backend_state to, unsigned from,
				  uint64_t t0, unsigned ms, const char *reason)
{
	const struct event *e = find_event(id, to, from);

	CHECK(e, "id %u never went to state %d", id, to);
	CHECK(e->at_ns - t0 <= ms * MSEC, "id %u went to state %d after %.0f ms, bound %u ms",
	      id, to, (double)(e->at_ns - t0) / 1e6, ms);
	CHECK(!strcmp(e->reason, reason), "id %u: reason \"%s\", not \"%s\"", id, e->reason,
	      reason);
	return e;
}

struct wait_for {
	unsigned id;
	enum slb_backend_state to;
	unsigned from;
};

static bool happened(void *arg)
{
	struct wait_for *w = arg;

	return find_event(w->id, w->to, w->from) != NULL;
}

static void wait_change(struct slb_health *h, unsigned id, enum slb_backend_state to,
			unsigned from, unsigned ms)
{
	struct wait_for w = {id, to, from};

	run_prober(h, NULL, ms, happened, &w);
}

/* Phase 1: from one add, who goes down, when and why; who stays up. */
static void check_first_verdicts(struct slb_health *h, uint64_t t0)
{
	const struct event *e;

	expect(2, SLB_BACKEND_DOWN, 0, t0, INTERVAL * FALL + SLACK, "503 Service Unavailable x3");
	expect(3, SLB_BACKEND_DOWN, 0, t0, INTERVAL * FALL + SLACK, "ICMP port unreachable x3");
	expect(6, SLB_BACKEND_DOWN, 0, t0, INTERVAL * FALL + SLACK, "ICMP port unreachable x3");
	e = expect(4, SLB_BACKEND_DOWN, 0, t0, INTERVAL * FALL + SLACK, "3 timeouts");
	/* Not before the third probe's deadline: fall counts. */
	CHECK(e->at_ns - t0 >= (INTERVAL * (FALL - 1) + TIMEOUT) * MSEC,
	      "id 4 down after %.0f ms: before its third timeout", (double)(e->at_ns - t0) / 1e6);
	for (unsigned id = 1; id <= 5; id += 4) {
		const struct slb_health_status *st = status(h, id);

		CHECK(count_events(id) == 0, "id %u changed state", id);
		CHECK(st->state == SLB_BACKEND_UP, "id %u not up", id);
		CHECK(st->last_code == 200 && st->rtt_us >= 0 && st->rtt_us < TIMEOUT * 1000,
		      "id %u: last code %u, rtt %lld us", id, st->last_code, (long long)st->rtt_us);
		CHECK(st->counters.alive >= 4 && st->counters.timeouts == 0,
		      "id %u: %llu alive, %llu timeouts", id,
		      (unsigned long long)st->counters.alive, (unsigned long long)st->counters.timeouts);
	}
	CHECK(status(h, 2)->counters.bad_code >= 3, "id 2: 503s not counted");
	CHECK(status(h, 3)->counters.icmp >= 3 && status(h, 3)->counters.timeouts == 0,
	      "id 3: ICMP errors not counted, or counted as timeouts");
	CHECK(status(h, 4)->counters.timeouts >= 3, "id 4: timeouts not counted");
}

/* Down -> probing (first 200) -> up (second), within interval x rise. */
static void check_rise(struct slb_health *h, unsigned id, uint64_t t0)
{
	unsigned from = n_events;
	const struct event *p, *u;

	wait_change(h, id, SLB_BACKEND_UP, from, 3000);
	p = expect(id, SLB_BACKEND_PROBING, from, t0, INTERVAL + SLACK, "200 OK");
	u = expect(id, SLB_BACKEND_UP, from, t0, INTERVAL * RISE + SLACK, "200 OK x2");
	/* Two probes, not one answered twice: the second answer comes a probe
	 * interval later, less however late SIPp was with the first (seen
	 * here: 164 ms of 200 on a loaded machine), so half an interval. */
	CHECK(u->at_ns - p->at_ns >= INTERVAL / 2 * MSEC, "id %u: up %.0f ms after probing",
	      id, (double)(u->at_ns - p->at_ns) / 1e6);
}

/* *sent: probes to id 1 while its first SIPp lived, for the trace check. */
static void check_fall_and_rise(struct slb_health *h, pid_t *sipp1, uint64_t *sent)
{
	char trace[PATH_MAX];
	unsigned from;
	uint64_t t0;

	/* id 3 gets a backend. */
	snprintf(trace, sizeof(trace), "%s/trace-3.log", work);
	sipp_start("options_200.xml", 3, trace);
	check_rise(h, 3, now_ns());
	/* id 1 loses its backend, then gets it back. */
	from = n_events;
	child_stop(*sipp1);
	t0 = now_ns();
	*sent = status(h, 1)->counters.sent;
	wait_change(h, 1, SLB_BACKEND_DOWN, from, 3000);
	expect(1, SLB_BACKEND_DOWN, from, t0, INTERVAL * FALL + SLACK, "ICMP port unreachable x3");
	snprintf(trace, sizeof(trace), "%s/trace-1b.log", work);
	*sipp1 = sipp_start("options_200.xml", 1, trace);
	check_rise(h, 1, now_ns());
}

/* ---- what SIPp received -------------------------------------------------- */

static bool span_eq(const uint8_t *buf, struct slb_span s, const char *text)
{
	return s.len == strlen(text) && !memcmp(buf + s.off, text, s.len);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	CHECK(f && buf, "cannot read %s", path);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void check_request(const uint8_t *m, size_t len, uint16_t our_port, char *ids, size_t n)
{
	struct slb_sip_msg msg;
	char ruri[64], to[80];

	CHECK(slb_sip_scan(m, len, &msg) == SLB_SIP_OK, "probe %zu does not scan: %s", n,
	      slb_sip_reason_name(msg.reason));
	snprintf(ruri, sizeof(ruri), "sip:127.0.0.1:%u", port[1]);
	snprintf(to, sizeof(to), "\r\nTo: <sip:127.0.0.1:%u>\r\n", port[1]);
	CHECK(msg.kind == SLB_SIP_KIND_REQUEST && msg.method == SLB_SIP_METHOD_OPTIONS &&
	      span_eq(m, msg.ruri, ruri), "probe %zu: not OPTIONS %s", n, ruri);
	CHECK(msg.has_via && span_eq(m, msg.via.transport, "UDP") &&
	      span_eq(m, msg.via.host, "127.0.0.1") && msg.via.port == our_port,
	      "probe %zu: Via not SIP/2.0/UDP 127.0.0.1:%u", n, our_port);
	CHECK(msg.via.branch.len > 7 && !memcmp(m + msg.via.branch.off, "z9hG4bK", 7) &&
	      msg.via.has_rport && msg.via.rport.len == 0, "probe %zu: branch or rport", n);
	CHECK(msg.max_forwards == 70 && msg.from_tag.len > 0 && msg.to_tag.len == 0,
	      "probe %zu: Max-Forwards %d, From tag, To tag", n, msg.max_forwards);
	CHECK(msg.has_cseq && msg.cseq_method == SLB_SIP_METHOD_OPTIONS &&
	      msg.content_length == 0 && msg.body_len == 0, "probe %zu: CSeq, Content-Length", n);
	CHECK(memmem(m, msg.headers_len, "\r\nUser-Agent: siplb\r\n", 21) &&
	      memmem(m, msg.headers_len, to, strlen(to)), "probe %zu: User-Agent or To", n);
	/* Call-ID and branch, both unique per probe: kept for the check. */
	snprintf(ids + n * 2 * 96, 96, "%.*s", msg.call_id.len, (const char *)m + msg.call_id.off);
	snprintf(ids + (n * 2 + 1) * 96, 96, "%.*s", msg.via.branch.len,
		 (const char *)m + msg.via.branch.off);
}

static void check_unique(const char *ids, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++)
		for (size_t j = i + 2; j < 2 * n; j += 2)
			CHECK(strcmp(ids + i * 96, ids + j * 96), "probes %zu and %zu share %s",
			      i / 2, j / 2, ids + i * 96);
}

/* Every "UDP message received [N] bytes :" block of SIPp's message log. */
static void check_trace(const char *path, uint16_t our_port, uint64_t sent)
{
	static const char tag[] = "UDP message received [";
	size_t len, n = 0;
	char *log = read_file(path, &len), *p = log;
	char *ids = calloc(256 * 2, 96);

	while ((p = strstr(p, tag)) && n < 256) {
		size_t bytes = strtoul(p + sizeof(tag) - 1, &p, 10);

		p = strstr(p, "\n\n");
		CHECK(p && (size_t)(p + 2 - log) + bytes <= len, "trace %s cut short", path);
		check_request((const uint8_t *)p + 2, bytes, our_port, ids, n++);
		p += 2 + bytes;
	}
	CHECK(n >= 4, "SIPp logged %zu probes", n);
	CHECK(n <= sent, "SIPp logged %zu probes, %llu sent", n, (unsigned long long)sent);
	check_unique(ids, n);
	fprintf(stderr, "  %zu probes in %s are well-formed, Call-IDs and branches unique\n",
		n, path);
	free(ids);
	free(log);
}

static uint16_t our_port(struct slb_health *h)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fds[2];

	slb_health_fds(h, fds);
	CHECK(!getsockname(fds[0], (struct sockaddr *)&sa, &len), "getsockname");
	return ntohs(sa.sin_port);
}

int main(int argc, char **argv)
{
	struct slb_health_config c;
	struct slb_health *h;
	char err[256], trace1[PATH_MAX], trace[PATH_MAX];
	pid_t sipp1;
	int blackhole;
	uint64_t t0, sent1;

	CHECK(argc == 4, "usage: %s SIPP SCENARIO_DIR WORK_DIR", argv[0]);
	sipp = argv[1];
	scenarios = argv[2];
	work = argv[3];
	mkdir(work, 0755);
	children_init();
	for (unsigned id = 1; id <= 6; id++)
		port[id] = free_port(host[id]);
	blackhole = udp_bind(host[4], port[4], NULL);
	CHECK(blackhole >= 0, "cannot bind the silent target");

	snprintf(trace1, sizeof(trace1), "%s/trace-1.log", work);
	sipp1 = sipp_start("options_200.xml", 1, trace1);
	snprintf(trace, sizeof(trace), "%s/trace-2.log", work);
	sipp_start("options_503.xml", 2, trace);
	snprintf(trace, sizeof(trace), "%s/trace-5.log", work);
	sipp_start("options_200.xml", 5, trace);

	slb_health_config_init(&c);
	c.interval_ms = INTERVAL;
	c.timeout_ms = TIMEOUT;
	c.rise = RISE;
	c.fall = FALL;
	h = slb_health_create(&c, record_change, NULL, err, sizeof(err));
	CHECK(h, "%s", err);
	t0 = now_ns();
	for (unsigned id = 1; id <= 6; id++)
		add(h, id);
	run_prober(h, NULL, INTERVAL * (FALL + 2), NULL, NULL);
	check_first_verdicts(h, t0);
	check_fall_and_rise(h, &sipp1, &sent1);
	check_trace(trace1, our_port(h), sent1);
	CHECK(!slb_health_stray(h)->junk && !slb_health_stray(h)->unknown,
	      "stray datagrams: %llu junk, %llu unknown",
	      (unsigned long long)slb_health_stray(h)->junk,
	      (unsigned long long)slb_health_stray(h)->unknown);
	slb_health_destroy(h);
	close(blackhole);
	printf("prober against SIPp: ok\n");
	return 0;
}
