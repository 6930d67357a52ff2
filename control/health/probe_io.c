/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The prober's wire: one non-blocking UDP socket per family, OPTIONS
 * requests out, replies (parsed with the siplb scanner) and ICMP errors
 * (the socket's error queue) in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/errqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health_int.h"
#include "siplb/sip_scan.h"

/* Datagrams read per socket per slb_health_process: bounds the time one
 * call takes under a flood; the rest waits for the next poll. */
#define RX_BATCH 256
#define PROBE_MAX 1024 /* an OPTIONS request with the longest from_uri */
#define ID_LEN 64

/* "127.0.0.1" or "[::1]" */
static void format_host(const struct sockaddr_storage *ss, char *host)
{
	struct slb_addr a;

	slb_addr_from_sockaddr(ss, &a);
	slb_addr_format(&a, SLB_ADDR_HOST, host, HOST_LEN);
}

static int open_socket(int family, const void *src, socklen_t len, uint16_t *port,
		       char *err, size_t errlen)
{
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int on = 1, fd;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "probe socket (%s): %s", fam, strerror(errno));
		return -1;
	}
	/* IP_RECVERR: ICMP errors for an unconnected socket are queued with
	 * the address they are about, so one socket serves every target. */
	if ((family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on))) ||
	    (family == AF_INET6 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ||
				    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)))) ||
	    bind(fd, src, len) || getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		snprintf(err, errlen, "probe socket (%s): %s", fam, strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
					: ((struct sockaddr_in6 *)&bound)->sin6_port);
	return fd;
}

int slb_probe_open(struct slb_health *h, char *err, size_t errlen)
{
	h->fd4 = open_socket(AF_INET, &h->cfg.source4, sizeof(h->cfg.source4), &h->port4,
			     err, errlen);
	if (h->fd4 < 0)
		return -1;
	h->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (h->fd6 < 0 && errno == EAFNOSUPPORT)
		return 0; /* a host without IPv6: IPv6 targets are refused */
	if (h->fd6 >= 0)
		close(h->fd6);
	h->fd6 = open_socket(AF_INET6, &h->cfg.source6, sizeof(h->cfg.source6), &h->port6,
			     err, errlen);
	return h->fd6 < 0 ? -1 : 0;
}

static bool source_is_any(const struct slb_health *h, int family)
{
	if (family == AF_INET)
		return h->cfg.source4.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&h->cfg.source6.sin6_addr);
}

/* Our address towards sa: the bound source, or the one the kernel's route
 * picks (a connected scratch socket sends nothing). */
static int via_host(const struct slb_health *h, const struct slb_probe_target *tg,
		    char *host, char *err, size_t errlen)
{
	struct sockaddr_storage src = {0};
	socklen_t len = sizeof(src);
	int fd, family = tg->t.a.family;

	if (!source_is_any(h, family)) {
		memcpy(&src, family == AF_INET ? (const void *)&h->cfg.source4
					       : (const void *)&h->cfg.source6,
		       family == AF_INET ? sizeof(h->cfg.source4) : sizeof(h->cfg.source6));
		format_host(&src, host);
		return 0;
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&tg->sa, tg->salen) ||
	    getsockname(fd, (struct sockaddr *)&src, &len)) {
		snprintf(err, errlen, "target id %u: no route to %s: %s", tg->t.id, tg->host,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	format_host(&src, host);
	return 0;
}

static bool same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

/* The used target, other than except, whose address is sa; NULL if none. */
static struct slb_probe_target *target_at(const struct slb_health *h,
					  const struct sockaddr_storage *sa,
					  const struct slb_probe_target *except)
{
	for (uint32_t i = 0; i < h->n_slots; i++)
		if (h->slots[i].used && &h->slots[i] != except &&
		    same_endpoint(&h->slots[i].sa, sa))
			return &h->slots[i];
	return NULL;
}

int slb_probe_address(const struct slb_health *h, struct slb_probe_target *tg,
		      char *err, size_t errlen)
{
	const struct slb_probe_target *other;
	char ep[SLB_ADDR_TEXT_LEN];

	tg->salen = slb_addr_to_sockaddr(&tg->t.a, &tg->sa);
	slb_addr_format(&tg->t.a, SLB_ADDR_HOST, tg->host, sizeof(tg->host));
	/* ICMP errors name only the address: one target per address. */
	other = target_at(h, &tg->sa, tg);
	if (other) {
		snprintf(err, errlen, "target id %u: %s is probed already as id %u", tg->t.id,
			 slb_addr_format(&tg->t.a, SLB_ADDR_ENDPOINT, ep, sizeof(ep)), other->t.id);
		return -1;
	}
	return via_host(h, tg, tg->via_host, err, errlen);
}

/* ---- out ---------------------------------------------------------------- */

/* Call-ID and branch name the prober (nonce), the slot and the probe, so
 * a reply finds its target without a search. */
static void probe_call_id(const struct slb_health *h, uint32_t slot, uint32_t seq,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%016" PRIx64 "-%u-%u@siplb", h->nonce, slot, seq);
}

static void probe_branch(const struct slb_health *h, uint32_t slot, uint32_t seq,
			 char *buf, size_t len)
{
	snprintf(buf, len, "z9hG4bK%016" PRIx64 ".%u.%u", h->nonce, slot, seq);
}

static int build_probe(const struct slb_health *h, const struct slb_probe_target *tg,
		       char *buf, size_t len)
{
	uint32_t slot = (uint32_t)(tg - h->slots);
	uint16_t port = tg->t.a.family == AF_INET ? h->port4 : h->port6;
	char call_id[ID_LEN], branch[ID_LEN], from[SLB_HEALTH_URI_LEN + HOST_LEN];
	uint64_t tag = (h->nonce ^ ((uint64_t)slot << 32 | tg->seq)) * 0x9e3779b97f4a7c15ull;

	probe_call_id(h, slot, tg->seq, call_id, sizeof(call_id));
	probe_branch(h, slot, tg->seq, branch, sizeof(branch));
	if (h->cfg.from_uri[0])
		snprintf(from, sizeof(from), "%s", h->cfg.from_uri);
	else
		snprintf(from, sizeof(from), "sip:siplb@%s", tg->via_host);
	return snprintf(buf, len,
			"OPTIONS sip:%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:%u;branch=%s;rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: <%s>;tag=%016" PRIx64 "\r\n"
			"To: <sip:%s:%u>\r\n"
			"Call-ID: %s\r\n"
			"CSeq: %u OPTIONS\r\n"
			"User-Agent: siplb\r\n"
			"Accept: application/sdp\r\n"
			"Content-Length: 0\r\n\r\n",
			tg->host, tg->t.a.port, tg->via_host, port, branch, from, tag,
			tg->host, tg->t.a.port, call_id, tg->seq);
}

static ssize_t send_probe(const struct slb_health *h, const struct slb_probe_target *tg,
			  const char *buf, size_t len)
{
	int fd = tg->t.a.family == AF_INET ? h->fd4 : h->fd6;
	ssize_t n = sendto(fd, buf, len, 0, (const struct sockaddr *)&tg->sa, tg->salen);

	/* With IP_RECVERR an earlier ICMP error is also pending on the socket
	 * and fails the next send once; its details are in the error queue. */
	if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH))
		n = sendto(fd, buf, len, 0, (const struct sockaddr *)&tg->sa, tg->salen);
	return n;
}

int slb_probe_send(struct slb_health *h, struct slb_probe_target *tg, uint64_t now)
{
	uint64_t interval = (uint64_t)h->cfg.interval_ms * 1000000u;
	char buf[PROBE_MAX];
	int len;

	tg->seq++;
	/* Keep the cadence; after a stall (nobody called us) start afresh. */
	tg->next_send_ns += interval;
	if (tg->next_send_ns <= now)
		tg->next_send_ns = now + interval;
	len = build_probe(h, tg, buf, sizeof(buf));
	if (len > 0 && (size_t)len < sizeof(buf) && send_probe(h, tg, buf, (size_t)len) == len) {
		tg->st.counters.sent++;
		tg->sent_ns = now;
		tg->deadline_ns = now + (uint64_t)h->cfg.timeout_ms * 1000000u;
		return 0;
	}
	tg->st.counters.send_errors++;
	tg->n_send++;
	return -1;
}

/* ---- in ----------------------------------------------------------------- */

static bool span_is(const uint8_t *buf, struct slb_span s, const char *text)
{
	return s.len == strlen(text) && !memcmp(buf + s.off, text, s.len);
}

/* The target whose probe in flight m answers; *late when it names one of
 * our targets but not its probe in flight. */
static struct slb_probe_target *match_reply(struct slb_health *h, const uint8_t *buf,
					    const struct slb_sip_msg *m, bool *late)
{
	char text[ID_LEN];
	uint64_t nonce;
	unsigned slot, seq;
	int used = 0;
	struct slb_probe_target *tg;

	*late = false;
	if (m->call_id.len >= sizeof(text))
		return NULL;
	memcpy(text, buf + m->call_id.off, m->call_id.len);
	text[m->call_id.len] = '\0';
	if (sscanf(text, "%16" SCNx64 "-%u-%u@siplb%n", &nonce, &slot, &seq, &used) != 3 ||
	    (size_t)used != m->call_id.len || nonce != h->nonce || slot >= h->n_slots ||
	    !h->slots[slot].used)
		return NULL;
	tg = &h->slots[slot];
	probe_call_id(h, slot, tg->seq, text, sizeof(text));
	*late = !tg->deadline_ns || !span_is(buf, m->call_id, text);
	probe_branch(h, slot, tg->seq, text, sizeof(text));
	*late = *late || !span_is(buf, m->via.branch, text);
	return tg;
}

void slb_health_latency_add(struct slb_health_latency *l, int64_t rtt_us)
{
	static const int64_t bounds[SLB_HEALTH_LATENCY_BUCKETS] = {SLB_HEALTH_LATENCY_BOUNDS_US};
	unsigned i = 0;

	while (i < SLB_HEALTH_LATENCY_BUCKETS && rtt_us > bounds[i])
		i++;
	l->bucket[i]++;
	l->sum_us += rtt_us > 0 ? (uint64_t)rtt_us : 0;
}

static void on_final(struct slb_health *h, struct slb_probe_target *tg,
		     const uint8_t *buf, const struct slb_sip_msg *m, slb_probe_outcome_fn *outcome)
{
	char what[CODE_TEXT_LEN];

	tg->deadline_ns = 0;
	tg->st.rtt_us = (int64_t)(slb_health_now_ns() - tg->sent_ns) / 1000;
	slb_health_latency_add(&tg->st.latency, tg->st.rtt_us);
	tg->st.last_code = m->status;
	snprintf(what, sizeof(what), "%u %.*s", m->status, (int)m->status_reason.len,
		 (const char *)buf + m->status_reason.off);
	if (slb_health_code_alive(&h->cfg, m->status)) {
		tg->st.counters.alive++;
		outcome(h, tg, what);
		return;
	}
	tg->st.counters.bad_code++;
	tg->n_code++;
	memcpy(tg->last_code_text, what, sizeof(what));
	outcome(h, tg, NULL);
}

static void on_datagram(struct slb_health *h, const uint8_t *buf, size_t len,
			slb_probe_outcome_fn *outcome)
{
	struct slb_sip_msg m;
	struct slb_probe_target *tg;
	bool late;

	if (slb_sip_scan(buf, len, &m) != SLB_SIP_OK || m.kind != SLB_SIP_KIND_RESPONSE ||
	    !m.has_via) {
		h->stray.junk++;
		return;
	}
	tg = match_reply(h, buf, &m, &late);
	if (!tg) {
		h->stray.unknown++;
	} else if (late) {
		tg->st.counters.late++;
	} else if (m.status < 200) {
		tg->st.counters.provisional++;
	} else {
		on_final(h, tg, buf, &m, outcome);
	}
}

static const struct sock_extended_err *extended_err(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)CMSG_DATA(c);
	return NULL;
}

/* An ICMP error about dst: the probe in flight there fails now. */
static void on_icmp(struct slb_health *h, const struct sockaddr_storage *dst,
		    const struct sock_extended_err *ee, slb_probe_outcome_fn *outcome)
{
	struct slb_probe_target *tg = target_at(h, dst, NULL);

	if (!tg || !tg->deadline_ns) {
		h->stray.errqueue++;
		return;
	}
	tg->deadline_ns = 0;
	tg->st.counters.icmp++;
	tg->n_icmp++;
	if (ee->ee_errno == ECONNREFUSED)
		snprintf(tg->last_icmp_text, sizeof(tg->last_icmp_text), "ICMP port unreachable");
	else
		snprintf(tg->last_icmp_text, sizeof(tg->last_icmp_text), "ICMP: %s",
			 strerror((int)ee->ee_errno));
	outcome(h, tg, NULL);
}

static void read_errors(struct slb_health *h, int fd, slb_probe_outcome_fn *outcome)
{
	for (int i = 0; i < RX_BATCH; i++) {
		struct sockaddr_storage dst;
		char control[512];
		uint8_t payload[64]; /* our own request: only the address matters */
		struct iovec iov = {payload, sizeof(payload)};
		struct msghdr mh = {.msg_name = &dst, .msg_namelen = sizeof(dst),
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = control, .msg_controllen = sizeof(control)};
		const struct sock_extended_err *ee;

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		ee = extended_err(&mh);
		if (ee && (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6))
			on_icmp(h, &dst, ee, outcome);
		else
			h->stray.errqueue++;
	}
}

void slb_probe_receive(struct slb_health *h, int fd, slb_probe_outcome_fn *outcome)
{
	uint8_t *buf = h->rx;

	read_errors(h, fd, outcome);
	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t n = recv(fd, buf, sizeof(h->rx), MSG_DONTWAIT);

		if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			      errno == ENETUNREACH)) {
			read_errors(h, fd, outcome); /* the pending error of an ICMP */
			continue;
		}
		if (n < 0)
			return;
		on_datagram(h, buf, (size_t)n, outcome);
	}
}
