/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OPTIONS prober against a responder the test plays itself on
 * 127.0.0.1, for what a real backend rarely does on cue: 100 Trying before
 * (or instead of) the answer, junk, replies to someone else's probe, late
 * replies, a 404 with and without reply_codes; the state machine's edges
 * (probing back to down on one failure, rise 1, mark_down, remove); and the
 * configuration's checks and reply code lists.
 */
#define _GNU_SOURCE /* memmem */
#include "events.h"

enum mode {
	ANSWER,        /* code */
	TRYING_FIRST,  /* 100, then code */
	ONLY_TRYING,   /* 100 and nothing else */
	JUNK,          /* not SIP, then the request itself back */
	FOREIGN,       /* a reply with a Call-ID that is not ours */
	LATE,          /* code, delay_ms later */
};

struct responder {
	struct hook k; /* first: run() gets it back from the hook */
	enum mode mode;
	unsigned code, good, good_code; /* the first `good` probes get good_code */
	unsigned delay_ms;
	unsigned received;
	char held[2048];
	size_t held_len;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint16_t port;
};

static const char *phrase(unsigned code)
{
	return code == 100 ? "Trying" : code == 200 ? "OK" : code == 404 ? "Not Found"
		: code == 503 ? "Service Unavailable" : "Whatever";
}

static void send_to_peer(struct responder *r, const void *buf, size_t len)
{
	CHECK(sendto(r->k.fd, buf, len, 0, (struct sockaddr *)&r->peer, r->peer_len) == (ssize_t)len,
	      "responder send: %s", strerror(errno));
}

/* The request turned into a response: a new start line, the same headers. */
static size_t reply(const char *req, size_t len, unsigned code, char *out, size_t cap)
{
	const char *eol = memmem(req, len, "\r\n", 2);
	int n = snprintf(out, cap, "SIP/2.0 %u %s", code, phrase(code));

	CHECK(eol && (size_t)n + (len - (size_t)(eol - req)) < cap, "request too long");
	memcpy(out + n, eol, len - (size_t)(eol - req));
	return (size_t)n + len - (size_t)(eol - req);
}

static void answer(struct responder *r, const char *req, size_t len)
{
	unsigned code = r->received <= r->good ? r->good_code : r->code;
	char out[2048], *at;
	size_t n;

	if (r->mode == TRYING_FIRST || r->mode == ONLY_TRYING) {
		n = reply(req, len, 100, out, sizeof(out));
		send_to_peer(r, out, n);
		if (r->mode == ONLY_TRYING)
			return;
	}
	if (r->mode == JUNK) {
		send_to_peer(r, "not SIP at all\r\n\r\n", 18);
		send_to_peer(r, req, len); /* a request, not a response */
		return;
	}
	n = reply(req, len, code, out, sizeof(out));
	at = memmem(out, n, "@siplb\r\n", 8);
	if (r->mode == FOREIGN && at)
		at[1] = 'x'; /* Call-ID ...@xiplb: another prober's */
	if (r->mode == LATE) {
		memcpy(r->held, out, n);
		r->held_len = n;
		r->k.deadline_ns = now_ns() + r->delay_ms * MSEC;
		return;
	}
	send_to_peer(r, out, n);
}

static void responder_run(struct hook *k)
{
	struct responder *r = (struct responder *)k;
	char req[2048];
	ssize_t len;

	if (k->deadline_ns && now_ns() >= k->deadline_ns) {
		send_to_peer(r, r->held, r->held_len);
		k->deadline_ns = 0;
	}
	for (;;) {
		r->peer_len = sizeof(r->peer);
		len = recvfrom(k->fd, req, sizeof(req), MSG_DONTWAIT, (struct sockaddr *)&r->peer,
			       &r->peer_len);
		if (len <= 0)
			return;
		r->received++;
		answer(r, req, (size_t)len);
	}
}

static struct responder *responder_new(enum mode mode, unsigned code)
{
	struct responder *r = calloc(1, sizeof(*r));

	CHECK(r, "out of memory");
	r->mode = mode;
	r->code = code;
	r->k.fd = udp_bind("127.0.0.1", 0, &r->port);
	r->k.run = responder_run;
	CHECK(r->k.fd >= 0, "responder socket");
	return r;
}

static void responder_free(struct responder *r)
{
	close(r->k.fd);
	free(r);
}

/* ---- a prober with one target -------------------------------------------- */

static struct slb_health_config fast(void)
{
	struct slb_health_config c;

	slb_health_config_init(&c);
	c.interval_ms = 100;
	c.timeout_ms = 60;
	c.rise = 2;
	c.fall = 3;
	return c;
}

static struct slb_health *prober(const struct slb_health_config *c)
{
	char err[256];
	struct slb_health *h = slb_health_create(c, record_change, NULL, err, sizeof(err));

	CHECK(h, "%s", err);
	return h;
}

static void add(struct slb_health *h, uint32_t id, uint16_t port, enum slb_backend_state s)
{
	struct slb_health_target t = {.id = id, .a = {.family = AF_INET, .port = port}};
	char err[256];

	inet_pton(AF_INET, "127.0.0.1", t.a.v6);
	CHECK(!slb_health_add(h, &t, s, err, sizeof(err)), "%s", err);
}

static const struct slb_health_status *st(struct slb_health *h, uint32_t id)
{
	const struct slb_health_status *s = slb_health_status(h, id);

	CHECK(s, "no status for id %u", id);
	return s;
}

/* One target (id 1) against r for ms; returns the prober to look at. */
static struct slb_health *probe(const struct slb_health_config *c, struct responder *r,
				enum slb_backend_state initial, unsigned ms)
{
	struct slb_health *h = prober(c);

	n_events = 0;
	add(h, 1, r->port, initial);
	run_prober(h, &r->k, ms, NULL, NULL);
	return h;
}

static void expect_only(enum slb_backend_state to, const char *reason)
{
	CHECK(n_events == 1 && events[0].to == to && !strcmp(events[0].reason, reason),
	      "%u changes, the first to %d \"%s\"; wanted one to %d \"%s\"", n_events,
	      n_events ? (int)events[0].to : -1, n_events ? events[0].reason : "", to, reason);
}

/* ---- the cases ------------------------------------------------------------ */

/* Bucket edges: a round trip on a bound counts in that bound's bucket. */
static void test_latency_buckets(void)
{
	struct slb_health_latency l = {0};

	slb_health_latency_add(&l, 0);
	slb_health_latency_add(&l, 500);
	slb_health_latency_add(&l, 501);
	slb_health_latency_add(&l, 2500000);
	slb_health_latency_add(&l, 2500001);
	CHECK(l.bucket[0] == 2 && l.bucket[1] == 1 && l.bucket[SLB_HEALTH_LATENCY_BUCKETS - 1] == 1 &&
	      l.bucket[SLB_HEALTH_LATENCY_BUCKETS] == 1 && l.sum_us == 5001002,
	      "latency buckets: %llu %llu ... %llu %llu, sum %llu",
	      (unsigned long long)l.bucket[0], (unsigned long long)l.bucket[1],
	      (unsigned long long)l.bucket[SLB_HEALTH_LATENCY_BUCKETS - 1],
	      (unsigned long long)l.bucket[SLB_HEALTH_LATENCY_BUCKETS], (unsigned long long)l.sum_us);
}

static void test_trying(void)
{
	struct slb_health_config c = fast();
	struct responder *r = responder_new(TRYING_FIRST, 200);
	struct slb_health *h = probe(&c, r, SLB_BACKEND_UP, 500);
	const struct slb_health_latency *l = &st(h, 1)->latency;
	uint64_t in_buckets = 0;

	CHECK(n_events == 0 && !strcmp(st(h, 1)->reason, "200 OK"),
	      "100 then 200: state changed, or the reason of an up target is \"%s\", not its "
	      "first answer", st(h, 1)->reason);
	CHECK(st(h, 1)->counters.provisional >= 4 && st(h, 1)->counters.alive >= 4,
	      "100 then 200: %llu provisional, %llu alive",
	      (unsigned long long)st(h, 1)->counters.provisional,
	      (unsigned long long)st(h, 1)->counters.alive);
	for (unsigned k = 0; k <= SLB_HEALTH_LATENCY_BUCKETS; k++)
		in_buckets += l->bucket[k];
	/* A reply on loopback: within the first 100 ms bucket bounds */
	CHECK(in_buckets == st(h, 1)->counters.alive && l->bucket[SLB_HEALTH_LATENCY_BUCKETS] == 0 &&
	      l->sum_us < in_buckets * 100000,
	      "latency histogram: %llu replies in buckets for %llu alive, sum %llu us",
	      (unsigned long long)in_buckets, (unsigned long long)st(h, 1)->counters.alive,
	      (unsigned long long)l->sum_us);
	slb_health_destroy(h);
	/* 1xx never counts: a backend that only says Trying times out. */
	r->mode = ONLY_TRYING;
	h = probe(&c, r, SLB_BACKEND_UP, 500);
	expect_only(SLB_BACKEND_DOWN, "3 timeouts");
	CHECK(st(h, 1)->counters.provisional >= 3 && st(h, 1)->counters.alive == 0,
	      "only 100: provisional replies not counted");
	slb_health_destroy(h);
	responder_free(r);
}

static void test_codes(void)
{
	struct slb_health_config c = fast();
	struct responder *r = responder_new(ANSWER, 404);
	struct slb_health *h = probe(&c, r, SLB_BACKEND_UP, 500);
	char err[256];

	/* Default: any final answer but 503 means a working SIP stack. */
	CHECK(n_events == 0 && st(h, 1)->last_code == 404, "404 with the default codes");
	slb_health_destroy(h);
	CHECK(!slb_health_parse_codes(&c, "200", err, sizeof(err)), "%s", err);
	h = probe(&c, r, SLB_BACKEND_UP, 500);
	expect_only(SLB_BACKEND_DOWN, "404 Not Found x3");
	CHECK(st(h, 1)->counters.bad_code >= 3, "404s not counted");
	slb_health_destroy(h);
	responder_free(r);
}

static void test_stray(void)
{
	struct slb_health_config c = fast();
	struct responder *r = responder_new(JUNK, 200);
	struct slb_health *h = probe(&c, r, SLB_BACKEND_UP, 500);

	expect_only(SLB_BACKEND_DOWN, "3 timeouts");
	CHECK(slb_health_stray(h)->junk >= 6, "junk: %llu counted",
	      (unsigned long long)slb_health_stray(h)->junk);
	slb_health_destroy(h);
	r->mode = FOREIGN;
	h = probe(&c, r, SLB_BACKEND_UP, 500);
	expect_only(SLB_BACKEND_DOWN, "3 timeouts");
	CHECK(slb_health_stray(h)->unknown >= 3 && !slb_health_stray(h)->junk,
	      "foreign replies: %llu unknown, %llu junk",
	      (unsigned long long)slb_health_stray(h)->unknown,
	      (unsigned long long)slb_health_stray(h)->junk);
	slb_health_destroy(h);
	responder_free(r);
}

static void test_late(void)
{
	struct slb_health_config c = fast();
	struct responder *r = responder_new(LATE, 200);
	struct slb_health *h;

	r->delay_ms = 80; /* after the 60 ms timeout, before the next probe */
	h = probe(&c, r, SLB_BACKEND_UP, 500);
	expect_only(SLB_BACKEND_DOWN, "3 timeouts");
	CHECK(st(h, 1)->counters.late >= 3 && st(h, 1)->counters.alive == 0,
	      "late replies: %llu late, %llu alive", (unsigned long long)st(h, 1)->counters.late,
	      (unsigned long long)st(h, 1)->counters.alive);
	slb_health_destroy(h);
	responder_free(r);
}

static void test_rise(void)
{
	struct slb_health_config c = fast();
	struct responder *r = responder_new(ANSWER, 200);
	struct slb_health *h;
	uint64_t t0;

	c.rise = 3;
	h = probe(&c, r, SLB_BACKEND_DOWN, 450);
	CHECK(n_events == 2 && events[0].to == SLB_BACKEND_PROBING &&
	      !strcmp(events[0].reason, "200 OK") && events[1].to == SLB_BACKEND_UP &&
	      !strcmp(events[1].reason, "200 OK x3"), "rise 3: down, probing, up");
	CHECK(events[1].at_ns - events[0].at_ns >= 180 * MSEC, "up before the third success");
	slb_health_destroy(h);
	c.rise = 1; /* nothing to wait for: no probing state */
	h = probe(&c, r, SLB_BACKEND_DOWN, 200);
	expect_only(SLB_BACKEND_UP, "200 OK");
	r->code = 503; /* and UP counts its failures from 0 */
	run_prober(h, &r->k, 450, NULL, NULL);
	CHECK(n_events == 2 && events[1].to == SLB_BACKEND_DOWN &&
	      !strcmp(events[1].reason, "503 Service Unavailable x3"),
	      "rise 1, then 503s: %u changes, last \"%s\"", n_events, events[n_events - 1].reason);
	slb_health_destroy(h);
	/* A target new at run time starts probing: up after rise successes. */
	c.rise = 3;
	r->code = 200;
	h = prober(&c);
	n_events = 0;
	t0 = now_ns();
	add(h, 1, r->port, SLB_BACKEND_PROBING);
	CHECK(!strcmp(st(h, 1)->reason, "new: up after 3 good probes"), "%s", st(h, 1)->reason);
	run_prober(h, &r->k, 450, NULL, NULL);
	CHECK(n_events == 1 && events[0].to == SLB_BACKEND_UP &&
	      !strcmp(events[0].reason, "200 OK x3") && events[0].at_ns - t0 >= 180 * MSEC,
	      "probing from the start: %u changes, to %d \"%s\" after %.0f ms", n_events,
	      (int)events[0].to, events[0].reason, (double)(events[0].at_ns - t0) / 1e6);
	slb_health_destroy(h);
	/* Probing goes back down on its first failure. */
	r->code = 503;
	c.rise = 3;
	r->good = 1;
	r->good_code = 200;
	r->received = 0;
	h = probe(&c, r, SLB_BACKEND_DOWN, 250);
	CHECK(n_events == 2 && events[0].to == SLB_BACKEND_PROBING &&
	      events[1].to == SLB_BACKEND_DOWN &&
	      !strcmp(events[1].reason, "503 Service Unavailable"),
	      "probing, then one 503: %u changes", n_events);
	slb_health_destroy(h);
	responder_free(r);
}

static void test_mark_down_and_remove(void)
{
	struct slb_health_config c = fast();
	struct responder *r = responder_new(ANSWER, 200);
	struct slb_health *h = probe(&c, r, SLB_BACKEND_UP, 150);
	unsigned got;

	CHECK(slb_health_mark_down(h, 1, "passive: silent") == 1, "mark_down of an up target");
	CHECK(slb_health_mark_down(h, 1, "again") == 0, "mark_down of a down target");
	CHECK(slb_health_mark_down(h, 7, "absent") == -1, "mark_down of an absent id");
	CHECK(st(h, 1)->state == SLB_BACKEND_DOWN && !strcmp(st(h, 1)->reason, "passive: silent"),
	      "state after mark_down");
	run_prober(h, &r->k, 350, NULL, NULL);
	CHECK(find_event(1, SLB_BACKEND_UP, 0) && st(h, 1)->state == SLB_BACKEND_UP,
	      "marked down, not back up by its probes");
	CHECK(!slb_health_remove(h, 1) && !slb_health_status(h, 1) && slb_health_remove(h, 1),
	      "remove");
	CHECK(slb_health_timeout_ms(h) == -1, "timeout without targets");
	/* A probe sent just before the remove may still be on its way through
	 * loopback (softirq deferred to ksoftirqd on a loaded machine): let it
	 * land and count it before taking the reference. */
	usleep(100 * 1000);
	responder_run(&r->k);
	got = r->received;
	run_prober(h, &r->k, 250, NULL, NULL);
	CHECK(r->received == got, "probes after remove");
	add(h, 1, r->port, SLB_BACKEND_UP); /* the id and the slot again */
	run_prober(h, &r->k, 250, NULL, NULL);
	CHECK(r->received > got && st(h, 1)->counters.alive >= 1, "re-added target not probed");
	slb_health_destroy(h);
	responder_free(r);
}

static void test_add_errors(void)
{
	struct slb_health_config c = fast();
	struct slb_health *h = prober(&c);
	struct slb_health_target t = {.id = 1, .a = {.family = AF_INET, .port = 5060}};
	char err[256];

	inet_pton(AF_INET, "127.0.0.1", t.a.v6);
	CHECK(!slb_health_add(h, &t, SLB_BACKEND_UP, err, sizeof(err)), "%s", err);
	CHECK(slb_health_add(h, &t, SLB_BACKEND_UP, err, sizeof(err)) && strstr(err, "already"),
	      "duplicate id: %s", err);
	t.id = 2;
	CHECK(slb_health_add(h, &t, SLB_BACKEND_UP, err, sizeof(err)) &&
	      strstr(err, "probed already as id 1"), "duplicate address: %s", err);
	t.a.port = 0;
	CHECK(slb_health_add(h, &t, SLB_BACKEND_UP, err, sizeof(err)), "port 0");
	t.a.port = 5061;
	CHECK(slb_health_add(h, &t, SLB_BACKEND_DRAINING, err, sizeof(err)) &&
	      strstr(err, "starts up, down or probing"), "initial draining: %s", err);
	t.a.family = 99;
	CHECK(slb_health_add(h, &t, SLB_BACKEND_UP, err, sizeof(err)), "family 99");
	CHECK(slb_health_timeout_ms(h) >= 0 && slb_health_timeout_ms(h) <= 25,
	      "first probe within a quarter interval: %d ms", slb_health_timeout_ms(h));
	slb_health_destroy(h);
}

static void test_config(void)
{
	struct slb_health_config c;
	char err[256];

	slb_health_config_init(&c);
	CHECK(!slb_health_config_check(&c, err, sizeof(err)), "defaults: %s", err);
	CHECK(slb_health_code_alive(&c, 200) && slb_health_code_alive(&c, 404) &&
	      slb_health_code_alive(&c, 302) && slb_health_code_alive(&c, 699) &&
	      !slb_health_code_alive(&c, 503) && !slb_health_code_alive(&c, 100) &&
	      !slb_health_code_alive(&c, 183) && !slb_health_code_alive(&c, 700),
	      "default codes");
	CHECK(!slb_health_parse_codes(&c, " 2xx , 404", err, sizeof(err)), "%s", err);
	CHECK(slb_health_code_alive(&c, 200) && slb_health_code_alive(&c, 299) &&
	      slb_health_code_alive(&c, 404) && !slb_health_code_alive(&c, 300) &&
	      !slb_health_code_alive(&c, 403) && !slb_health_code_alive(&c, 503), "2xx,404");
	const char *bad[] = {"", "1xx", "183", "99", "700", "2x", "abc", "200;404", "200,", "20000"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(slb_health_parse_codes(&c, bad[i], err, sizeof(err)), "\"%s\" accepted", bad[i]);
		CHECK(slb_health_code_alive(&c, 404), "\"%s\" changed the codes", bad[i]);
	}
	c.timeout_ms = c.interval_ms + 1;
	CHECK(slb_health_config_check(&c, err, sizeof(err)) && strstr(err, "longer than"),
	      "timeout over interval");
	slb_health_config_init(&c);
	c.fall = 0;
	CHECK(slb_health_config_check(&c, err, sizeof(err)), "fall 0");
	slb_health_config_init(&c);
	memset(c.alive_codes, 0, sizeof(c.alive_codes));
	CHECK(slb_health_config_check(&c, err, sizeof(err)), "no alive code");
	CHECK(!slb_health_create(&c, NULL, NULL, err, sizeof(err)), "created with a bad config");
}

int main(void)
{
	test_config();
	test_add_errors();
	test_latency_buckets();
	test_trying();
	test_codes();
	test_stray();
	test_late();
	test_rise();
	test_mark_down_and_remove();
	printf("prober: ok\n");
	return 0;
}
