/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS SRV pools against a real unbound (Debian's), started by the test on
 * 127.0.0.2 at a free port with a local zone of SRV, A and AAAA records
 * (TTL 2 s), and killed by PID at the end, also on failure:
 *   1. the first answer: targets, addresses, order, TTL, duplicates;
 *      priority failover on it with synthetic liveness;
 *   2. the zone changes, unbound reloads (SIGHUP): the module follows
 *      within the TTL, and does not report unchanged answers;
 *   3. unbound stops: failures are reported with growing gaps (backoff),
 *      the last good answer stays;
 *   4. unbound is back: the failures end; the zone says "." (RFC 2782: not
 *      available): the pool empties.
 * Usage: test_srv_dns UNBOUND WORK_DIR
 */
#include <limits.h>
#include <sys/stat.h>

#include "harness.h"
#include "siplb/srv.h"

#define TTL_S 2
#define SLACK_MS 1000 /* a reload, a retry, a slow sanitized start */
#define RETRY_MIN 200
#define RETRY_MAX 800
#define SRV_NAME "_sip._udp.example.net"

static const char *unbound_bin, *work;
static char conf[PATH_MAX], zone[PATH_MAX], ulog[PATH_MAX];
static uint16_t dns_port;
static pid_t unbound;

/* ---- unbound --------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f && fputs(text, f) >= 0 && !fclose(f), "cannot write %s", path);
}

static void write_conf(void)
{
	char text[2 * PATH_MAX + 1024];

	snprintf(text, sizeof(text),
		 "server:\n"
		 "  interface: 127.0.0.2@%u\n  port: %u\n  do-ip6: no\n"
		 "  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n"
		 "  directory: \"%s\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n"
		 "  verbosity: 1\n  module-config: \"iterator\"\n"
		 "  access-control: 127.0.0.0/8 allow\n"
		 "  local-zone: \"example.net.\" static\n"
		 "  include: \"%s\"\n"
		 "remote-control:\n  control-enable: no\n",
		 dns_port, dns_port, work, zone);
	write_file(conf, text);
}

static void unbound_start(void)
{
	char *argv[] = {(char *)unbound_bin, "-d", "-c", conf, NULL};

	unbound = child_start(argv, ulog);
	CHECK(wait_bound("127.0.0.2", dns_port, 5000), "unbound did not start (%s)", ulog);
}

/* Unbound re-reads its configuration, the zone included, on SIGHUP. */
static void zone_set(const char *records)
{
	write_file(zone, records);
	if (unbound)
		CHECK(!kill(unbound, SIGHUP), "SIGHUP unbound: %s", strerror(errno));
}

static const char zone_v1[] =
	"local-data: \"" SRV_NAME ". 2 IN SRV 10 60 5060 a.example.net.\"\n"
	"local-data: \"" SRV_NAME ". 2 IN SRV 10 40 5062 b.example.net.\"\n"
	"local-data: \"" SRV_NAME ". 2 IN SRV 20 10 5064 c.example.net.\"\n"
	/* The same target and port again, lighter: the heavier keeps it. */
	"local-data: \"" SRV_NAME ". 2 IN SRV 20 0 5064 c.example.net.\"\n"
	"local-data: \"a.example.net. 2 IN A 127.0.0.11\"\n"
	"local-data: \"a.example.net. 2 IN AAAA ::1\"\n"
	"local-data: \"b.example.net. 3 IN A 127.0.0.13\"\n"
	"local-data: \"b.example.net. 3 IN A 127.0.0.12\"\n"
	"local-data: \"c.example.net. 5 IN A 127.0.0.14\"\n";

static const char zone_v2[] =
	"local-data: \"" SRV_NAME ". 2 IN SRV 10 60 5060 a.example.net.\"\n"
	"local-data: \"" SRV_NAME ". 2 IN SRV 10 25 5062 b.example.net.\"\n"
	"local-data: \"" SRV_NAME ". 2 IN SRV 10 30 5066 d.example.net.\"\n"
	"local-data: \"a.example.net. 2 IN A 127.0.0.11\"\n"
	"local-data: \"b.example.net. 2 IN A 127.0.0.12\"\n"
	"local-data: \"d.example.net. 2 IN A 127.0.0.15\"\n";

static const char zone_v3[] =
	"local-data: \"" SRV_NAME ". 2 IN SRV 0 0 0 .\"\n";

/* ---- the module's reports -------------------------------------------------- */

static unsigned n_updates, n_failures;
static uint64_t update_ns, failure_ns[64];
static char failure_reason[SLB_SRV_REASON_LEN];

static void on_update(void *arg, const struct slb_srv_result *r)
{
	(void)arg;
	fprintf(stderr, "  update: %u targets, TTL %u s\n", r->n, r->ttl);
	n_updates++;
	update_ns = now_ns();
}

static void on_failure(void *arg, const char *reason)
{
	(void)arg;
	if (n_failures < 64)
		failure_ns[n_failures] = now_ns();
	n_failures++;
	fprintf(stderr, "  failure: %s\n", reason);
	snprintf(failure_reason, sizeof(failure_reason), "%s", reason);
}

struct until {
	unsigned *counter, at_least;
};

static bool reached(void *arg)
{
	struct until *u = arg;

	return *u->counter >= u->at_least;
}

/* Runs s for up to ms or until *counter reaches at_least. */
static void run_srv(struct slb_srv *s, unsigned ms, unsigned *counter, unsigned at_least)
{
	uint64_t end = now_ns() + ms * MSEC;
	struct until u = {counter, at_least};

	while (now_ns() < end && !(counter && reached(&u))) {
		struct pollfd p[16];
		int n = slb_srv_fds(s, p, 16);

		CHECK(poll(p, (nfds_t)n, poll_ms(slb_srv_timeout_ms(s), end)) >= 0 || errno == EINTR,
		      "poll: %s", strerror(errno));
		slb_srv_process(s, p, n);
	}
}

/* ---- checks ------------------------------------------------------------------ */

struct want {
	uint16_t priority, weight, port;
	const char *addr;
	uint32_t record;
	const char *name;
};

static void expect_result(const struct slb_srv_result *r, const struct want *w, unsigned n)
{
	CHECK(r->n == n, "%u targets, not %u", r->n, n);
	for (unsigned i = 0; i < n; i++) {
		const struct slb_srv_target *t = &r->targets[i];
		uint8_t family = strchr(w[i].addr, ':') ? AF_INET6 : AF_INET;
		uint8_t a[16] = {0};

		inet_pton(family, w[i].addr, a);
		CHECK(t->priority == w[i].priority && t->weight == w[i].weight &&
		      t->a.port == w[i].port && t->a.family == family && !memcmp(t->a.v6, a, 16) &&
		      t->record == w[i].record && !strcmp(t->name, w[i].name),
		      "target %u: %u %u %u %s record %u, wanted %u %u %u %s %s record %u", i,
		      t->priority, t->weight, t->a.port, t->name, t->record, w[i].priority,
		      w[i].weight, w[i].port, w[i].name, w[i].addr, w[i].record);
	}
}

static void test_first_answer(struct slb_srv *s)
{
	static const struct want v1[] = {
		{10, 60, 5060, "127.0.0.11", 0, "a.example.net"},
		{10, 60, 5060, "::1", 0, "a.example.net"},
		{10, 40, 5062, "127.0.0.12", 1, "b.example.net"},
		{10, 40, 5062, "127.0.0.13", 1, "b.example.net"},
		{20, 10, 5064, "127.0.0.14", 2, "c.example.net"},
	};
	const struct slb_srv_result *r;
	bool live[5] = {true, true, true, true, true};
	uint16_t w[5];

	run_srv(s, 5000, &n_updates, 1);
	CHECK(n_updates == 1, "no first answer (%u failures: %s)", n_failures, failure_reason);
	r = slb_srv_result(s);
	expect_result(r, v1, 5);
	CHECK(r->ttl == TTL_S, "TTL %u, not the smallest, %u", r->ttl, TTL_S);
	CHECK(slb_srv_select(r->targets, r->n, live, w) == 10 && w[0] == 60 && w[1] == 0 &&
	      w[2] == 40 && w[3] == 0 && w[4] == 0, "all live: group 10, weights 60 and 40");
	/* Synthetic liveness: nothing of priority 10 answers; c takes over. */
	for (int i = 0; i < 4; i++)
		live[i] = false;
	CHECK(slb_srv_select(r->targets, r->n, live, w) == 20 && w[4] == 10 && !w[0] && !w[2],
	      "priority 10 down: group 20 with weight 10");
	live[4] = false;
	CHECK(slb_srv_select(r->targets, r->n, live, w) == -1, "nothing live, yet a group");
}

static void test_zone_change(struct slb_srv *s)
{
	static const struct want v2[] = {
		{10, 60, 5060, "127.0.0.11", 0, "a.example.net"},
		{10, 25, 5062, "127.0.0.12", 1, "b.example.net"},
		{10, 30, 5066, "127.0.0.15", 2, "d.example.net"},
	};
	uint64_t t0 = now_ns();
	uint64_t rounds;

	zone_set(zone_v2);
	run_srv(s, TTL_S * 1000 + SLACK_MS + 1000, &n_updates, 2);
	CHECK(n_updates == 2, "zone change not seen");
	CHECK(update_ns - t0 <= (TTL_S * 1000 + SLACK_MS) * MSEC,
	      "zone change seen after %.0f ms, TTL %u s", (double)(update_ns - t0) / 1e6, TTL_S);
	expect_result(slb_srv_result(s), v2, 3);
	/* The same answer again is no update. */
	rounds = slb_srv_counters(s)->resolutions;
	run_srv(s, TTL_S * 1000 + 500, NULL, 0);
	CHECK(slb_srv_counters(s)->resolutions > rounds, "no re-resolution within the TTL");
	CHECK(n_updates == 2 && slb_srv_counters(s)->changes == 2, "an unchanged answer reported");
}

static void test_server_down(struct slb_srv *s)
{
	uint32_t n = slb_srv_result(s)->n;
	unsigned first = n_failures;
	uint64_t t0, g1, g2, g3;

	child_stop(unbound);
	unbound = 0;
	t0 = now_ns();
	run_srv(s, TTL_S * 1000 + SLACK_MS + 3000, &n_failures, first + 4);
	CHECK(n_failures >= first + 4, "%u failures reported", n_failures - first);
	CHECK(failure_ns[first] - t0 <= (TTL_S * 1000 + SLACK_MS) * MSEC,
	      "first failure after %.0f ms", (double)(failure_ns[first] - t0) / 1e6);
	CHECK(strstr(failure_reason, "SRV " SRV_NAME ": "), "reason: %s", failure_reason);
	CHECK(slb_srv_result(s)->n == n && n_updates == 2, "last good answer not kept");
	CHECK(slb_srv_counters(s)->failures >= 4 && slb_srv_counters(s)->consecutive_failures >= 4,
	      "failure counters");
	/* Backoff: 200, 400, 800 ms (the maximum) between rounds; the gaps
	 * between reports may come a few ms short (a round's own length). */
	g1 = failure_ns[first + 1] - failure_ns[first];
	g2 = failure_ns[first + 2] - failure_ns[first + 1];
	g3 = failure_ns[first + 3] - failure_ns[first + 2];
	fprintf(stderr, "  failure gaps: %.0f %.0f %.0f ms\n", g1 / 1e6, g2 / 1e6, g3 / 1e6);
	CHECK(g1 >= (RETRY_MIN - 20) * MSEC && g2 >= (2 * RETRY_MIN - 20) * MSEC &&
	      g3 >= (RETRY_MAX - 20) * MSEC && g3 < (RETRY_MAX + SLACK_MS) * MSEC &&
	      g1 < (RETRY_MIN + SLACK_MS) * MSEC, "no exponential backoff");
}

static void test_server_back(struct slb_srv *s)
{
	unbound_start();
	for (uint64_t end = now_ns() + (RETRY_MAX + SLACK_MS) * MSEC;
	     now_ns() < end && slb_srv_counters(s)->consecutive_failures; )
		run_srv(s, 50, NULL, 0);
	CHECK(!slb_srv_counters(s)->consecutive_failures, "failures go on with unbound back");
	CHECK(n_updates == 2, "the same answer reported as a change");
	/* "." alone: the service is decidedly not available here. */
	zone_set(zone_v3);
	run_srv(s, TTL_S * 1000 + SLACK_MS, &n_updates, 3);
	CHECK(n_updates == 3 && slb_srv_result(s)->n == 0, "\".\" did not empty the pool");
}

int main(int argc, char **argv)
{
	struct slb_srv_config c;
	struct slb_srv_callbacks cb = {on_update, on_failure, NULL};
	struct slb_srv *s;
	char err[256], resolver[64];

	CHECK(argc == 3, "usage: %s UNBOUND WORK_DIR", argv[0]);
	unbound_bin = argv[1];
	work = argv[2];
	mkdir(work, 0755);
	children_init();
	snprintf(conf, sizeof(conf), "%s/unbound.conf", work);
	snprintf(zone, sizeof(zone), "%s/zone.conf", work);
	snprintf(ulog, sizeof(ulog), "%s/unbound.log", work);
	dns_port = free_port("127.0.0.2");
	write_conf();
	zone_set(zone_v1);
	unbound_start();

	slb_srv_config_init(&c);
	snprintf(c.name, sizeof(c.name), SRV_NAME);
	snprintf(resolver, sizeof(resolver), "127.0.0.2:%u", dns_port);
	CHECK(!slb_srv_parse_resolver(resolver, &c.resolvers[0], err, sizeof(err)), "%s", err);
	c.n_resolvers = 1;
	c.ttl_floor_ms = 500;
	c.ttl_ceiling_ms = 10000;
	c.retry_min_ms = RETRY_MIN;
	c.retry_max_ms = RETRY_MAX;
	c.query_timeout_ms = 300;
	c.query_tries = 1;
	s = slb_srv_create(&c, &cb, err, sizeof(err));
	CHECK(s, "%s", err);

	test_first_answer(s);
	test_zone_change(s);
	test_server_down(s);
	test_server_back(s);
	slb_srv_destroy(s);
	printf("srv against unbound: ok\n");
	return 0;
}
