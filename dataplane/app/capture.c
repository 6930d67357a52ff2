/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP capture (docs/capture.md): the workers copy what they send, when the
 * published state asks for it (slb_state.capture: on, which VIPs, one in
 * N), into mbufs of a pool of its own and onto one ring; a thread of its
 * own (not a worker lcore: it makes system calls) takes them off in bursts,
 * encodes each as HEP v3 (dataplane/hep.c) and sends them with one
 * sendmmsg() per burst to the collector, at most capture.rate a second.
 * What does not fit (pool or ring full, over the rate, a send refused) is
 * dropped and counted (slb_capture_stats), never waited for: a slow
 * collector costs the workers nothing.
 *
 * The state is read the way the XDP program reads it: one load of the
 * generation, then a copy of its capture settings at once; siplbd rewrites
 * a retired slot only SLB_XDP_GRACE_NS after the flip (state.h).
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>

#include "hep.h"
#include "siplb/log.h"
#include "siplb_dp.h"

#define CAPTURE_MBUFS 2047 /* a second of 2,000 messages in flight */
#define CAPTURE_RING 2048
#define CAPTURE_BURST 64
#define CAPTURE_IDLE_US 1000
#define CAPTURE_HEP_ROOM SLB_HEP_MAX

struct slb_dp_capture {
	struct rte_mempool *pool;
	struct rte_ring *ring;
	pthread_t thread;
	bool running;
	volatile bool stop;              /* set by slb_dp_capture_stop */
	int fd4, fd6;
	struct slb_maps *maps;
	struct slb_capture_stats *stats; /* the main lcore's slot: the thread's fields */
	double tokens;                   /* rate limit: HEP packets that may go now */
	uint64_t tokens_ns;
	uint64_t logged_ns;              /* the last send error logged */
	uint8_t frame[SLB_UDP_MAX_PAYLOAD + 256]; /* a chained copy made flat */
	uint8_t hep[CAPTURE_BURST][CAPTURE_HEP_ROOM];
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the workers' side ------------------------------------------------------------ */

/* The frame's source is VIP v's address and port: siplb-dp sends from its VIPs. */
static bool from_vips(const struct slb_state *s, uint64_t vips, const struct slb_frame *f)
{
	const uint8_t *ip = f->data + RTE_ETHER_HDR_LEN;
	uint32_t src;
	uint16_t sport;

	if (vips == SLB_CAPTURE_ALL_VIPS)
		return true;
	if (f->len < RTE_ETHER_HDR_LEN + 28)
		return false;
	memcpy(&src, ip + 12, 4);
	memcpy(&sport, ip + (ip[0] & 0x0f) * 4u, 2);
	for (uint32_t v = 0; v < s->n_vips && v < SLB_MAX_VIPS; v++)
		if ((vips >> v & 1) && s->vips[v].addr == src && s->vips[v].port == sport)
			return true;
	return false;
}

/* f into mbufs of the capture pool (chained past one's room), stamped
 * with the wall clock; NULL when the pool is short. */
static struct rte_mbuf *copy_frame(struct rte_mempool *mp, const struct slb_frame *f)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	const uint8_t *data = f->data;
	uint32_t left = f->len;

	while (left) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t n;

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		n = (uint16_t)RTE_MIN(left, rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, n), data, n);
		if (head) {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		} else {
			head = m;
		}
		last = m;
		data += n;
		left -= n;
	}
	*(uint64_t *)rte_mbuf_to_priv(head) = clock_ns(CLOCK_REALTIME);
	return head;
}

void slb_dp_capture_sent(struct slb_dp_capture *cap, struct slb_dp_lcore *lc,
			 const struct slb_state *s, struct slb_lcore_stats *stats,
			 const struct slb_frame *f)
{
	const struct slb_capture *c = &s->capture;
	struct rte_mbuf *m;

	if (likely(!c->sample) || !cap || !from_vips(s, c->vips, f) ||
	    ++lc->capture_seen < c->sample)
		return;
	lc->capture_seen = 0;
	m = copy_frame(cap->pool, f);
	if (m && !rte_ring_mp_enqueue(cap->ring, m)) {
		stats->capture.queued++;
		return;
	}
	rte_pktmbuf_free(m);
	stats->capture.queue_full++;
}

/* ---- the capture thread ------------------------------------------------------------- */

/* A tenth of a second's worth of HEP packets, at least one. */
static double rate_depth(uint32_t rate)
{
	return rate / 10.0 > 1 ? rate / 10.0 : 1;
}

/* Whether one more HEP packet may go now: a token bucket of rate a second,
 * rate_depth deep. */
static bool within_rate(struct slb_dp_capture *cap, uint32_t rate, uint64_t now)
{
	double depth = rate_depth(rate);

	cap->tokens += (double)(now - cap->tokens_ns) * rate / 1e9;
	cap->tokens_ns = now;
	if (cap->tokens > depth)
		cap->tokens = depth;
	if (cap->tokens < 1)
		return false;
	cap->tokens -= 1;
	return true;
}

/* m as HEP v3 into out: its length, 0 when it is not UDP over IP. */
static size_t encode(struct slb_dp_capture *cap, const struct slb_capture *c,
		     struct rte_mbuf *m, uint8_t *out)
{
	const uint8_t *frame = rte_pktmbuf_read(m, 0, m->pkt_len, cap->frame);
	uint64_t ns = *(uint64_t *)rte_mbuf_to_priv(m);
	char password[SLB_CAPTURE_PASSWORD_LEN + 1];
	struct slb_hep_msg h;

	if (!frame || slb_hep_from_frame(frame, m->pkt_len, &h))
		return 0;
	memcpy(password, c->password, SLB_CAPTURE_PASSWORD_LEN);
	password[SLB_CAPTURE_PASSWORD_LEN] = 0;
	h.ts_sec = (uint32_t)(ns / 1000000000u);
	h.ts_usec = (uint32_t)(ns % 1000000000u / 1000u);
	h.agent_id = c->agent_id;
	h.password = password;
	return slb_hep_encode(&h, out, CAPTURE_HEP_ROOM);
}

static socklen_t collector(const struct slb_capture *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = c->port;
		memcpy(&a->sin6_addr, c->addr, 16);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = c->port;
	memcpy(&a->sin_addr, c->addr, 4);
	return sizeof(*a);
}

/* One sendmmsg of n encoded packets; what it refused is counted. */
static void send_burst(struct slb_dp_capture *cap, const struct slb_capture *c,
		       struct mmsghdr *msgs, struct iovec *iov, unsigned n)
{
	struct sockaddr_storage ss;
	socklen_t len = collector(c, &ss);
	int sent, fd = c->family == AF_INET6 ? cap->fd6 : cap->fd4;

	for (unsigned i = 0; i < n; i++)
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &ss, .msg_namelen = len,
						       .msg_iov = &iov[i], .msg_iovlen = 1}};
	sent = fd < 0 ? -1 : sendmmsg(fd, msgs, n, MSG_DONTWAIT);
	if (sent < 0)
		sent = 0;
	cap->stats->sent += (unsigned)sent;
	if ((unsigned)sent == n)
		return;
	cap->stats->send_errors += n - (unsigned)sent;
	if (clock_ns(CLOCK_MONOTONIC) - cap->logged_ns >= 1000000000u) {
		cap->logged_ns = clock_ns(CLOCK_MONOTONIC);
		slb_log(SLB_LOG_WARNING, "capture: %u HEP packets not sent: %s", n - (unsigned)sent,
			fd < 0 ? "no socket of the collector's family" : strerror(errno));
	}
}

/* A burst off the ring, as HEP, to the collector the state names now. */
static unsigned drain_ring(struct slb_dp_capture *cap)
{
	struct rte_mbuf *m[CAPTURE_BURST];
	struct mmsghdr msgs[CAPTURE_BURST];
	struct iovec iov[CAPTURE_BURST];
	struct slb_capture c = slb_state_of(cap->maps, slb_generation(cap->maps))->capture;
	unsigned n = rte_ring_sc_dequeue_burst(cap->ring, (void **)m, CAPTURE_BURST, NULL), k = 0;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	for (unsigned i = 0; i < n; i++) {
		size_t len = 0;

		if (!within_rate(cap, c.rate, now))
			cap->stats->over_rate++;
		else if (!(len = encode(cap, &c, m[i], cap->hep[k])))
			cap->stats->send_errors++; /* not UDP over IP: siplb-dp sends no such */
		if (len) {
			iov[k] = (struct iovec){cap->hep[k], len};
			k++;
		}
		rte_pktmbuf_free(m[i]);
	}
	if (k)
		send_burst(cap, &c, msgs, iov, k);
	return n;
}

static void *capture_main(void *arg)
{
	struct slb_dp_capture *cap = arg;

	while (!cap->stop)
		if (!drain_ring(cap))
			usleep(CAPTURE_IDLE_US);
	while (drain_ring(cap)) /* what the workers queued last */
		;
	return NULL;
}

int slb_dp_capture_start(struct slb_dp *dp, char *err, size_t errlen)
{
	struct slb_dp_capture *cap;

	if (!dp->cfg.capture.configured)
		return 0;
	cap = calloc(1, sizeof(*cap)); /* 4 MB of HEP buffers: not EAL's memory */
	if (!cap) {
		snprintf(err, errlen, "capture: out of memory");
		return -1;
	}
	dp->capture = cap;
	cap->maps = &dp->maps;
	cap->stats = &dp->maps.stats[dp->lcores[rte_get_main_lcore()]->reader].capture;
	cap->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cap->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cap->pool = rte_pktmbuf_pool_create("slb_capture", CAPTURE_MBUFS, 0, sizeof(uint64_t),
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	cap->ring = rte_ring_create("slb_capture", CAPTURE_RING, (int)rte_socket_id(),
				    RING_F_SC_DEQ);
	if (!cap->pool || !cap->ring || (cap->fd4 < 0 && cap->fd6 < 0)) {
		snprintf(err, errlen, "capture: %s", !cap->pool || !cap->ring ?
			 "no memory for its mbufs and ring" : strerror(errno));
		return -1;
	}
	cap->tokens_ns = clock_ns(CLOCK_MONOTONIC);
	cap->tokens = rate_depth(dp->cfg.capture.rate);
	if (pthread_create(&cap->thread, NULL, capture_main, cap)) {
		snprintf(err, errlen, "capture: cannot start its thread");
		return -1;
	}
	cap->running = true;
	return 0;
}

void slb_dp_capture_stop(struct slb_dp *dp)
{
	struct slb_dp_capture *cap = dp->capture;

	if (!cap)
		return;
	cap->stop = true;
	if (cap->running)
		pthread_join(cap->thread, NULL);
	if (cap->fd4 >= 0)
		close(cap->fd4);
	if (cap->fd6 >= 0)
		close(cap->fd6);
	rte_ring_free(cap->ring);
	rte_mempool_free(cap->pool);
	free(cap);
	dp->capture = NULL;
}
