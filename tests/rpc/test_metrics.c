/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics renderer and server: the fixture snapshot's exact lines, a
 * strict check of the text format 0.0.4 on every line (names, labels and
 * their escapes, values, HELP/TYPE before samples, _total on counters, no
 * series twice), and scrapes racing with updates: each scrape must see one
 * whole snapshot (its generation and keep-alive count were set equal).
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics_fixture.h"

#include "../control/check.h"

static const char *const fixture_lines[] = {
	"# HELP siplb_generation Generation of the state the dataplane reads.",
	"# TYPE siplb_generation gauge",
	"siplb_generation 7",
	"# TYPE siplb_table_rebuild_seconds gauge",
	"siplb_table_rebuild_seconds 0.00421",
	"# TYPE siplb_vip_messages_total counter",
	"siplb_vip_messages_total{vip=\"sip\",pool=\"core\"} 11",
	"siplb_vip_bytes_total{vip=\"sip-alt\",pool=\"core\"} 500",
	"siplb_backend_messages_total{pool=\"core\",backend=\"192.0.2.21:5060\"} 22",
	"siplb_backend_bytes_total{pool=\"edge\",backend=\"[2001:db8::10]:5060\"} 700",
	"siplb_backend_weight{pool=\"core\",backend=\"192.0.2.22:5060\"} 30",
	"siplb_backend_health_latency_seconds{pool=\"core\",backend=\"192.0.2.21:5060\"} 0.0012",
	"siplb_backend_health_latency_seconds{pool=\"edge\",backend=\"[2001:db8::10]:5060\"} 0.25",
	"siplb_backend_state{pool=\"core\",backend=\"192.0.2.21:5060\",state=\"up\"} 1",
	"siplb_backend_state{pool=\"core\",backend=\"192.0.2.21:5060\",state=\"down\"} 0",
	"siplb_backend_state{pool=\"core\",backend=\"192.0.2.22:5060\",state=\"down\"} 1",
	"siplb_backend_state{pool=\"edge\",backend=\"[2001:db8::10]:5060\",state=\"draining\"} 1",
	"siplb_backend_state{pool=\"edge\",backend=\"[2001:db8::10]:5060\",state=\"disabled\"} 0",
	"siplb_backend_state{pool=\"edge\",backend=\"[2001:db8::10]:5060\",state=\"standby\"} 0",
	"siplb_backend_state{pool=\"edge\",backend=\"[2001:db8::11]:5060\",state=\"draining\"} 0",
	"siplb_backend_state{pool=\"edge\",backend=\"[2001:db8::11]:5060\",state=\"standby\"} 1",
	"siplb_dns_failures_total{pool=\"edge\"} 3",
	"siplb_responses_relayed_total 33",
	"siplb_responses_relayed_bytes_total 3300",
	"siplb_in_dialog_messages_total 4",
	"siplb_in_dialog_bytes_total 400",
	"siplb_drops_total{reason=\"malformed\"} 11",
	"siplb_drops_total{reason=\"tx_full\"} 2",
	"siplb_drops_total{reason=\"not_sip\"} 0",
	"siplb_replies_total{code=\"483\"} 0",
	"siplb_replies_total{code=\"503\"} 44",
	"siplb_malformed_total{reason=\"empty\"} 3",
	"# TYPE siplb_rule_matches_total counter",
	"siplb_rule_matches_total{vip=\"sip\",rule=\"0\"} 12",
	"siplb_rule_matches_total{vip=\"sip\",rule=\"1\"} 0",
	"siplb_rule_matches_total{vip=\"sip\",rule=\"2\"} 3456",
	"siplb_drops_total{reason=\"rule\"} 5",
	"siplb_drops_total{reason=\"rule_rate\"} 6",
	"siplb_drops_total{reason=\"not_allowed\"} 7",
	"siplb_replies_total{code=\"rule\"} 8",
	"siplb_replies_total{code=\"rule_rate\"} 9",
	"# TYPE siplb_xdp_drops_total counter",
	"siplb_xdp_drops_total{reason=\"blocked\"} 10",
	"siplb_xdp_drops_total{reason=\"source_rate\"} 0",
	"siplb_xdp_drops_total{reason=\"rule\"} 11",
	"siplb_xdp_drops_total{reason=\"rule_rate\"} 12",
	"siplb_malformed_total{reason=\"no_call_id\"} 8",
	"# TYPE siplb_keepalives_total counter",
	"siplb_keepalives_total 9",
	"siplb_build_info{version=\"1.2.3\"} 1",
	"siplb_capture_messages_total{result=\"sent\"} 14",
	"siplb_capture_messages_total{result=\"over_rate\"} 1",
	"siplb_xdp_vip_packets_total{vip=\"sip\",pool=\"core\"} 13",
	"siplb_xdp_vip_bytes_total{vip=\"sip-alt\",pool=\"core\"} 700",
	"siplb_xdp_verdicts_total{verdict=\"dsr\"} 13",
	"siplb_xdp_verdicts_total{verdict=\"steer\"} 0",
	"siplb_xdp_passes_total{reason=\"no_callid\"} 14",
	"siplb_health_probes_total{pool=\"core\",backend=\"192.0.2.21:5060\"} 10",
	"siplb_health_probe_failures_total{pool=\"core\",backend=\"192.0.2.21:5060\",reason=\"timeout\"} 5",
	"siplb_health_probe_failures_total{pool=\"core\",backend=\"192.0.2.21:5060\",reason=\"bad_code\"} 1",
	"siplb_health_probe_failures_total{pool=\"core\",backend=\"192.0.2.21:5060\",reason=\"icmp\"} 1",
	"# TYPE siplb_health_probe_latency_seconds histogram",
	"siplb_health_probe_latency_seconds_bucket{pool=\"core\",backend=\"192.0.2.21:5060\",le=\"0.0005\"} 1",
	"siplb_health_probe_latency_seconds_bucket{pool=\"core\",backend=\"192.0.2.21:5060\",le=\"0.001\"} 2",
	"siplb_health_probe_latency_seconds_bucket{pool=\"core\",backend=\"192.0.2.21:5060\",le=\"0.005\"} 3",
	"siplb_health_probe_latency_seconds_bucket{pool=\"core\",backend=\"192.0.2.21:5060\",le=\"2.5\"} 3",
	"siplb_health_probe_latency_seconds_bucket{pool=\"core\",backend=\"192.0.2.21:5060\",le=\"+Inf\"} 4",
	"siplb_health_probe_latency_seconds_sum{pool=\"core\",backend=\"192.0.2.21:5060\"} 7.0043",
	"siplb_health_probe_latency_seconds_count{pool=\"core\",backend=\"192.0.2.21:5060\"} 4",
};

/* Not there: the unmeasured backend's latency, the unprobed one's probes,
 * the free id's anything. */
static const char *const absent[] = {
	"siplb_backend_health_latency_seconds{pool=\"core\",backend=\"192.0.2.22:5060\"}",
	"siplb_health_probes_total{pool=\"core\",backend=\"192.0.2.22:5060\"}",
	"siplb_health_probe_latency_seconds_count{pool=\"edge\"",
	"198.51.100.9",
	"reason=\"ok\"",
};

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* ---- a strict reader of the text format ------------------------------------------- */

struct format {
	regex_t help, type, sample, label;
	char families[64][96]; /* TYPEs seen, in order */
	char types[64][16];
	int n_families;
	char **series;
	size_t n_series;
};

static void format_init(struct format *f)
{
	memset(f, 0, sizeof(*f));
	regcomp(&f->help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$", REG_EXTENDED);
	regcomp(&f->type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$", REG_EXTENDED);
	regcomp(&f->sample, "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? ([-+0-9.eE]+|NaN|[+-]Inf)$",
		REG_EXTENDED);
	/* name="value" with only \\, \" and \n escapes, then , or the end */
	regcomp(&f->label, "^[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\"(,|$)",
		REG_EXTENDED);
}

static void format_free(struct format *f)
{
	regfree(&f->help);
	regfree(&f->type);
	regfree(&f->sample);
	regfree(&f->label);
	for (size_t i = 0; i < f->n_series; i++)
		free(f->series[i]);
	free(f->series);
}

static bool labels_ok(struct format *f, const char *s, size_t len)
{
	regmatch_t m;
	char buf[1024];

	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	for (const char *p = buf; *p; p += m.rm_eo)
		if (regexec(&f->label, p, 1, &m, 0) || m.rm_eo == 0)
			return false;
	return true;
}

/* A sample: of the family TYPEd last, counters ending in _total, new series. */
static void check_sample(struct format *f, const char *line, const regmatch_t *m)
{
	size_t name_len = (size_t)(m[1].rm_eo - m[1].rm_so), key = (size_t)(m[4].rm_so - 1);
	const char *fam = f->n_families ? f->families[f->n_families - 1] : "";

	bool histogram = f->n_families && !strcmp(f->types[f->n_families - 1], "histogram");
	size_t fam_len = strlen(fam), sfx = name_len - fam_len;

	CHECK((histogram ? name_len > fam_len : name_len == fam_len) &&
	      !strncmp(line, fam, fam_len),
	      "sample before its TYPE (family %s): %s", fam, line);
	CHECK(!histogram || (sfx == 7 && !strncmp(line + fam_len, "_bucket", 7)) ||
	      (sfx == 4 && !strncmp(line + fam_len, "_sum", 4)) ||
	      (sfx == 6 && !strncmp(line + fam_len, "_count", 6)),
	      "a histogram's sample is not _bucket, _sum or _count: %s", line);
	CHECK(strcmp(f->types[f->n_families - 1], "counter") ||
	      !strncmp(line + name_len - 6, "_total", 6), "a counter without _total: %s", line);
	CHECK(m[3].rm_so < 0 || labels_ok(f, line + m[3].rm_so, (size_t)(m[3].rm_eo - m[3].rm_so)),
	      "bad labels: %s", line);
	for (size_t i = 0; i < f->n_series; i++)
		CHECK(strncmp(f->series[i], line, key) || f->series[i][key], "series twice: %s",
		      line);
	f->series = realloc(f->series, (f->n_series + 1) * sizeof(*f->series));
	f->series[f->n_series++] = strndup(line, key);
}

static void check_line(struct format *f, const char *line)
{
	regmatch_t m[5];

	if (!regexec(&f->help, line, 2, m, 0))
		return;
	if (!regexec(&f->type, line, 3, m, 0)) {
		CHECK(f->n_families < 64, "too many families");
		snprintf(f->families[f->n_families], 96, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
			 line + m[1].rm_so);
		snprintf(f->types[f->n_families++], 16, "%.*s", (int)(m[2].rm_eo - m[2].rm_so),
			 line + m[2].rm_so);
		return;
	}
	if (!regexec(&f->sample, line, 5, m, 0)) {
		check_sample(f, line, m);
		return;
	}
	CHECK(0, "not a line of the text format: \"%s\"", line);
}

/* Every line of text, which must end in a newline. */
static void check_format(const char *text)
{
	struct format f;
	char *copy = strdup(text), *save = NULL;

	CHECK(*text && text[strlen(text) - 1] == '\n', "the text ends with a newline");
	format_init(&f);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		check_line(&f, line);
	format_free(&f);
	free(copy);
}

/* ---- rendering ---------------------------------------------------------------------- */

static void test_fixture(void)
{
	struct slb_metrics_snapshot s;
	size_t len;
	char *text;

	fixture_snapshot(&s);
	text = slb_metrics_render(&s, &len);
	CHECK(text && strlen(text) == len, "rendered");
	for (size_t i = 0; i < sizeof(fixture_lines) / sizeof(*fixture_lines); i++)
		CHECK(has_line(text, fixture_lines[i]), "missing line: %s", fixture_lines[i]);
	for (size_t i = 0; i < sizeof(absent) / sizeof(*absent); i++)
		CHECK(!strstr(text, absent[i]), "should not be there: %s", absent[i]);
	check_format(text);
	free(text);
}

/* Label values are escaped: a backslash, a quote and a newline in a name. */
static void test_escaping(void)
{
	struct slb_metrics_vip v = {"we\"ird\\na\nme", "p", {1, 2}, {0, 0}};
	struct slb_metrics_snapshot s = {.vips = &v, .n_vips = 1};
	char *text = slb_metrics_render(&s, &(size_t){0});

	CHECK(has_line(text, "siplb_vip_messages_total{vip=\"we\\\"ird\\\\na\\nme\",pool=\"p\"} 1"),
	      "escaped: %s", text);
	check_format(text);
	free(text);
}

/* Nothing yet: every family still has HELP and TYPE, zeros where there is no label. */
static void test_empty(void)
{
	struct slb_metrics_snapshot s = {0};
	char *text = slb_metrics_render(&s, &(size_t){0});

	CHECK(has_line(text, "# TYPE siplb_backend_state gauge") &&
	      has_line(text, "siplb_generation 0") && !strstr(text, "siplb_backend_state{"),
	      "empty: %s", text);
	check_format(text);
	free(text);
}

static void test_totals(void)
{
	struct slb_lcore_stats t = {0};
	struct slb_metrics_snapshot s = {0};

	t.drops[SLB_DROP_NO_ROUTE] = 5;
	t.replies[SLB_REPLY_483] = 6;
	t.sip_reasons[2] = 7;
	t.responses.bytes = 8;
	t.keepalives = 9;
	slb_metrics_take_totals(&s, &t);
	CHECK(s.drops[SLB_DROP_NO_ROUTE] == 5 && s.replies[SLB_REPLY_483] == 6 &&
	      s.malformed[2] == 7 && s.responses.bytes == 8 && s.keepalives == 9, "totals taken");
	CHECK(!strcmp(slb_drop_name(SLB_DROP_NEIGH_PENDING), "neigh_pending") &&
	      !strcmp(slb_backend_state_name(SLB_BACKEND_PROBING), "probing") &&
	      !strcmp(slb_backend_state_name(99), "?"), "names");
}

/* ---- the server ------------------------------------------------------------------------ */

/* GET over a plain socket: the status code, the body into *body (malloc'd). */
static int http_get(uint16_t port, const char *path, char **body)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	char req[128], *buf = malloc(1 << 20), *p;
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	while ((n = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &code) == 1 && (p = strstr(buf, "\r\n\r\n")))
		*body = strdup(p + 4);
out:
	close(fd);
	free(buf);
	return code;
}

struct churn {
	struct slb_metrics_server *m;
	int updates;
	bool stop;
};

/* Snapshots whose generation and keep-alive count are equal, until told to
 * stop (at least `updates`): a torn read would show as two numbers. */
static void *churn(void *arg)
{
	struct churn *c = arg;
	struct slb_metrics_snapshot s;
	int i = 0;

	fixture_snapshot(&s);
	while (i < c->updates || !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		i++;
		s.generation = s.keepalives = (uint64_t)i;
		s.n_backends = (uint32_t)(i % 5);
		slb_metrics_update(c->m, &s);
	}
	c->updates = i;
	return NULL;
}

static void test_server(void)
{
	struct slb_metrics_config cfg = {.port = 0};
	char err[256], *body = NULL;
	struct slb_metrics_server *m = slb_metrics_start(&cfg, err, sizeof(err));
	struct churn c = {.m = m};
	pthread_t t;
	int whole = 0;

	CHECK(m, "start: %s", err);
	if (!m)
		return;
	CHECK(http_get(slb_metrics_port(m), "/metrics", &body) == 503, "503 before the first update");
	free(body);
	body = NULL;
	c.updates = 1;
	c.stop = true;
	churn(&c); /* the first, so that every scrape below has something */
	c.stop = false;
	pthread_create(&t, NULL, churn, &c);
	for (int i = 0; i < 100; i++) {
		unsigned long long g = 0, k = 1;
		char *p, *q;

		if (http_get(slb_metrics_port(m), "/metrics", &body) == 200 && body &&
		    (p = strstr(body, "\nsiplb_generation ")) &&
		    (q = strstr(body, "\nsiplb_keepalives_total ")) &&
		    sscanf(p, "\nsiplb_generation %llu", &g) == 1 &&
		    sscanf(q, "\nsiplb_keepalives_total %llu", &k) == 1 && g == k)
			whole++;
		free(body);
		body = NULL;
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(whole == 100, "%d of 100 scrapes saw one whole snapshot", whole);
	CHECK(c.updates > 100, "the scrapes raced with %d updates", c.updates);
	printf("100 scrapes during %d updates\n", c.updates);
	CHECK(http_get(slb_metrics_port(m), "/other", &body) == 404, "404 elsewhere");
	free(body);
	slb_metrics_stop(m);
	cfg.address = "192.0.2.300";
	CHECK(!slb_metrics_start(&cfg, err, sizeof(err)) && strstr(err, "an IPv4 or IPv6 address"),
	      "bad address: %s", err);
}

/* n TCP connections from `from` (127.0.0.x) to port that send nothing. */
static void dial_idle(int *fds, int n, const char *from, uint16_t port)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET,
								.sin_port = htons(port)};

	inet_pton(AF_INET, from, &src.sin_addr);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(fds[i] >= 0 && !bind(fds[i], (struct sockaddr *)&src, sizeof(src)) &&
		      !connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)), "idle %d: %m", i);
	}
}

static int64_t ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* How many of fds the server closed within ms (they read EOF or a reset). */
static int closed_within(const int *fds, int n, int ms)
{
	int64_t end = ms_now() + ms;
	int closed = 0;
	char c;

	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		int64_t left = end - ms_now();

		closed += poll(&p, 1, left > 0 ? (int)left : 0) == 1 && read(fds[i], &c, 1) <= 0;
	}
	return closed;
}

/* A scrape from 127.0.0.1: answered (200) within a second? */
static bool scrape_quick(uint16_t port)
{
	int64_t t0 = ms_now();
	char *body = NULL;
	int code = http_get(port, "/metrics", &body);

	free(body);
	return code == 200 && ms_now() - t0 < 1000;
}

/*
 * 16 idle connections made /metrics time out. Now 64 from the scraper's own
 * address, and 200 more from another (half of the 256 slots for it, the
 * rest closed at once), leave the scrape answered within a second, and
 * idle connections are closed after 2 s.
 */
static void test_idle_connections(void)
{
	struct slb_metrics_config cfg = {.port = 0};
	struct slb_metrics_snapshot s;
	int same[64], other[200];
	char err[256];
	struct slb_metrics_server *m = slb_metrics_start(&cfg, err, sizeof(err));

	CHECK(m, "start: %s", err);
	if (!m)
		return;
	fixture_snapshot(&s);
	slb_metrics_update(m, &s);
	dial_idle(same, 64, "127.0.0.1", slb_metrics_port(m));
	CHECK(scrape_quick(slb_metrics_port(m)), "scraped beside 64 idle connections");
	dial_idle(other, 200, "127.0.0.2", slb_metrics_port(m));
	CHECK(closed_within(other, 200, 500) == 72, "one address holds at most 128 connections");
	CHECK(scrape_quick(slb_metrics_port(m)), "scraped beside 192 idle connections");
	CHECK(closed_within(same, 64, 100) == 0, "idle connections kept for 2 s");
	CHECK(closed_within(same, 64, 3500) == 64, "idle connections closed after 2 s");
	for (int i = 0; i < 64; i++)
		close(same[i]);
	for (int i = 0; i < 200; i++)
		close(other[i]);
	slb_metrics_stop(m);
}

/* A port someone else holds: the reason comes back, nothing is left running. */
static void test_port_taken(void)
{
	struct slb_metrics_config cfg = {.port = 0};
	char err[256];
	struct slb_metrics_server *a = slb_metrics_start(&cfg, err, sizeof(err)), *b;

	CHECK(a, "start: %s", err);
	if (!a)
		return;
	cfg.port = slb_metrics_port(a);
	b = slb_metrics_start(&cfg, err, sizeof(err));
	CHECK(!b && strstr(err, "127.0.0.1 port"), "port taken: %s", b ? "started" : err);
	slb_metrics_stop(b);
	slb_metrics_stop(a);
}

int main(void)
{
	test_fixture();
	test_escaping();
	test_empty();
	test_totals();
	test_server();
	test_port_taken();
	test_idle_connections();
	return check_summary();
}
