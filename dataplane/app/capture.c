/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP capture (docs/capture.md): the workers copy what the published state
 * asks for (slb_state.capture) into mbufs of a pool of its own and onto
 * one ring: for HEP, what they send (its VIPs, one in N); for a pcap file,
 * what they receive for and send from its VIPs, all of it. A thread of its
 * own (not a worker lcore: it makes system calls) takes them off in
 * bursts: HEP v3 (dataplane/hep.c) with one sendmmsg() per burst to the
 * collector, at most capture.rate a second; the pcap file through libpcap,
 * at most capture.pcap_max_mb. What does not fit (pool or ring full, over
 * the rate or the size, a send or write refused) is dropped and counted
 * (slb_capture_stats), never waited for: a slow collector or disk costs
 * the workers nothing.
 *
 * The state is read the way the XDP program reads it: one load of the
 * generation, then a copy of its capture settings at once; siplbd rewrites
 * a retired slot only SLB_XDP_GRACE_NS after the flip (state.h).
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>

#include "hep.h"
#include "siplb/log.h"
#include "siplb_dp.h"

#define CAPTURE_MBUFS 2047 /* a second of 2,000 messages in flight */
#define CAPTURE_RING 2048
#define CAPTURE_BURST 64
#define CAPTURE_IDLE_US 1000      /* ring empty while capturing */
#define CAPTURE_OFF_US 10000      /* nothing to capture: a stop closes the file in 10 ms */
#define CAPTURE_HEP_ROOM SLB_HEP_MAX

/* Where a copy goes: a datagram sent, to HEP (whole, before its MACs and
 * fragments), or a frame as it crossed the port, to the pcap file. */
enum capture_to { CAPTURE_TO_HEP, CAPTURE_TO_PCAP };

/* In each copy's private area. */
struct capture_meta {
	uint64_t ns;          /* wall clock when the worker copied it */
	enum capture_to to;
};

/* The pcap file being written: the state's pcap_id while its pcap_vips is
 * not 0; another id is another file. */
struct pcap_sink {
	uint32_t id;          /* 0: no file wanted */
	pcap_t *dead;         /* libpcap's writing handle: Ethernet, ns stamps */
	pcap_dumper_t *out;   /* NULL: not open (not wanted, or it failed: logged) */
	uint64_t bytes;       /* the file's size so far */
	bool full;            /* past pcap_max_mb: logged once */
};

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
	const char *pcap_dir;            /* the configuration's capture.pcap_dir */
	struct pcap_sink sink;
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

/* The frame's IPv4 addresses and UDP ports, when it has them (a later
 * fragment has no ports: *ports false). siplb-dp's VIPs in proxy mode are
 * IPv4. */
struct frame_ends {
	uint32_t src, dst;
	uint16_t sport, dport;
	bool ports;
};

static bool frame_ends(const struct slb_frame *f, struct frame_ends *e)
{
	const uint8_t *ip = f->data + RTE_ETHER_HDR_LEN;
	uint32_t ihl;

	if (f->len < RTE_ETHER_HDR_LEN + 20 || f->data[12] != 0x08 || f->data[13] != 0x00 ||
	    (ip[0] >> 4) != 4 || (ihl = (ip[0] & 0x0fu) * 4u) < 20)
		return false;
	memcpy(&e->src, ip + 12, 4);
	memcpy(&e->dst, ip + 16, 4);
	e->ports = ip[9] == IPPROTO_UDP && !((ip[6] & 0x1f) | ip[7]) &&
		   f->len >= RTE_ETHER_HDR_LEN + ihl + 4;
	if (e->ports) {
		memcpy(&e->sport, ip + ihl, 2);
		memcpy(&e->dport, ip + ihl + 2, 2);
	}
	return true;
}

/* Whether VIP v of the mask is the frame's source (sent) or destination
 * (received): its address, and its port where the frame has ports. */
static bool of_vips(const struct slb_state *s, uint64_t vips, const struct slb_frame *f,
		    bool received)
{
	struct frame_ends e = {0};

	if (!frame_ends(f, &e))
		return false;
	for (uint32_t v = 0; v < s->n_vips && v < SLB_MAX_VIPS; v++) {
		const struct slb_vip *vip = &s->vips[v];
		uint32_t addr = received ? e.dst : e.src;
		uint16_t port = received ? e.dport : e.sport;

		if ((vips >> v & 1) && vip->addr == addr && (!e.ports || vip->port == port))
			return true;
	}
	return false;
}

/* f into mbufs of the capture pool (chained past one's room), stamped
 * with the wall clock and where it goes; NULL when the pool is short. */
static struct rte_mbuf *copy_frame(struct rte_mempool *mp, const struct slb_frame *f,
				   enum capture_to to)
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
	*(struct capture_meta *)rte_mbuf_to_priv(head) =
		(struct capture_meta){clock_ns(CLOCK_REALTIME), to};
	return head;
}

static void enqueue(struct slb_dp_capture *cap, struct slb_lcore_stats *stats,
		    const struct slb_frame *f, enum capture_to to)
{
	struct rte_mbuf *m = copy_frame(cap->pool, f, to);

	if (m && !rte_ring_mp_enqueue(cap->ring, m)) {
		stats->capture.queued++;
		return;
	}
	rte_pktmbuf_free(m);
	stats->capture.queue_full++;
}

void slb_dp_capture_sent(struct slb_dp_capture *cap, struct slb_dp_lcore *lc,
			 const struct slb_state *s, struct slb_lcore_stats *stats,
			 const struct slb_frame *f)
{
	const struct slb_capture *c = &s->capture;

	/* off: the worker tests that first; tested here too, as a sample of 0
	 * would otherwise take every datagram */
	if (!c->sample || !of_vips(s, c->vips, f, false) ||
	    ++lc->capture_seen < c->sample)
		return;
	lc->capture_seen = 0;
	enqueue(cap, stats, f, CAPTURE_TO_HEP);
}

void slb_dp_capture_wire(struct slb_dp_capture *cap, const struct slb_state *s,
			 struct slb_lcore_stats *stats, struct rte_mbuf *m)
{
	struct slb_frame f = {.data = rte_pktmbuf_mtod(m, uint8_t *),
			      .len = rte_pktmbuf_data_len(m)};

	if (of_vips(s, s->capture.pcap_vips, &f, false))
		enqueue(cap, stats, &f, CAPTURE_TO_PCAP);
}

void slb_dp_capture_received(struct slb_dp_capture *cap, const struct slb_state *s,
			     struct slb_lcore_stats *stats, const struct slb_frame *f)
{
	if (of_vips(s, s->capture.pcap_vips, f, true))
		enqueue(cap, stats, f, CAPTURE_TO_PCAP);
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
	uint64_t ns = ((const struct capture_meta *)rte_mbuf_to_priv(m))->ns;
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

/* ---- pcap files --------------------------------------------------------------------- */

static void sink_close(struct pcap_sink *k)
{
	if (k->out)
		pcap_dump_close(k->out);
	k->out = NULL;
}

/* PCAP_DIR/NAME.pcap, new: never one that exists, never through a link. */
static void sink_open(struct slb_dp_capture *cap, const struct slb_capture *c)
{
	char name[SLB_CAPTURE_PCAP_NAME_LEN], path[PATH_MAX + SLB_CAPTURE_PCAP_NAME_LEN + 8];
	struct pcap_sink *k = &cap->sink;
	FILE *f = NULL;
	int fd = -1;

	memcpy(name, c->pcap_name, sizeof(name));
	name[sizeof(name) - 1] = 0;
	slb_config_pcap_path(cap->pcap_dir, name, path, sizeof(path));
	*k = (struct pcap_sink){.id = c->pcap_id, .dead = k->dead};
	if (mkdir(cap->pcap_dir, 0750) && errno != EEXIST)
		fd = -1;
	else if (slb_config_pcap_name_ok(name))
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	else
		errno = EINVAL;
	if (fd >= 0 && !(f = fdopen(fd, "wb")))
		close(fd);
	k->out = f ? pcap_dump_fopen(k->dead, f) : NULL;
	if (!k->out) {
		slb_log(SLB_LOG_WARNING, "capture: pcap file not written: file=%s reason=\"%s\"",
			path, f ? pcap_geterr(k->dead) : strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	k->bytes = 24; /* pcap's file header */
	slb_log(SLB_LOG_NOTICE, "capture: pcap file open: file=%s max_mb=%u", path,
		c->pcap_max_mb);
}

/* The file the state wants now: a new id closes the last and opens its own. */
static void sink_follow(struct slb_dp_capture *cap, const struct slb_capture *c)
{
	uint32_t want = c->pcap_vips ? c->pcap_id : 0;

	if (want == cap->sink.id)
		return;
	sink_close(&cap->sink);
	cap->sink.id = want;
	if (want)
		sink_open(cap, c);
}

static void sink_write(struct slb_dp_capture *cap, const struct slb_capture *c,
		       struct rte_mbuf *m)
{
	const struct capture_meta *meta = rte_mbuf_to_priv(m);
	struct pcap_sink *k = &cap->sink;
	uint64_t size = k->bytes + 16 + m->pkt_len;
	struct pcap_pkthdr h = {.caplen = m->pkt_len, .len = m->pkt_len};

	if (!k->out || size > (uint64_t)c->pcap_max_mb << 20) {
		if (k->out && !k->full)
			slb_log(SLB_LOG_WARNING, "capture: pcap file full, later frames dropped: "
				"file=%.63s.pcap max_mb=%u", c->pcap_name, c->pcap_max_mb);
		k->full = k->out != NULL;
		cap->stats->pcap_dropped++;
		return;
	}
	h.ts.tv_sec = (time_t)(meta->ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(meta->ns % 1000000000u); /* ns: the handle's precision */
	pcap_dump((u_char *)k->out, &h, rte_pktmbuf_read(m, 0, m->pkt_len, cap->frame));
	k->bytes = size;
	cap->stats->pcap_written++;
}

/* ---- the thread ------------------------------------------------------------------- */

/* One copy off the ring: into the pcap file, or as HEP into the burst (*k
 * of them so far). */
static void take(struct slb_dp_capture *cap, const struct slb_capture *c, struct rte_mbuf *m,
		 uint64_t now, struct iovec *iov, unsigned *k)
{
	size_t len = 0;

	if (((const struct capture_meta *)rte_mbuf_to_priv(m))->to == CAPTURE_TO_PCAP) {
		sink_write(cap, c, m);
		return;
	}
	if (!within_rate(cap, c->rate, now))
		cap->stats->over_rate++;
	else if (!(len = encode(cap, c, m, cap->hep[*k])))
		cap->stats->send_errors++; /* not UDP over IP: siplb-dp sends no such */
	if (len) {
		iov[*k] = (struct iovec){cap->hep[*k], len};
		(*k)++;
	}
}

/* A burst off the ring, to the collector and the file the state names now. */
static unsigned drain_ring(struct slb_dp_capture *cap, const struct slb_capture *c)
{
	struct rte_mbuf *m[CAPTURE_BURST];
	struct mmsghdr msgs[CAPTURE_BURST];
	struct iovec iov[CAPTURE_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(cap->ring, (void **)m, CAPTURE_BURST, NULL), k = 0;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	for (unsigned i = 0; i < n; i++) {
		take(cap, c, m[i], now, iov, &k);
		rte_pktmbuf_free(m[i]);
	}
	if (k)
		send_burst(cap, c, msgs, iov, k);
	if (n && cap->sink.out)
		pcap_dump_flush(cap->sink.out); /* whole frames on disk for a reader now */
	return n;
}

static void *capture_main(void *arg)
{
	struct slb_dp_capture *cap = arg;
	struct slb_capture c;

	while (!cap->stop) {
		c = slb_state_of(cap->maps, slb_generation(cap->maps))->capture;
		sink_follow(cap, &c);
		if (!drain_ring(cap, &c))
			usleep(c.sample || c.pcap_vips ? CAPTURE_IDLE_US : CAPTURE_OFF_US);
	}
	c = slb_state_of(cap->maps, slb_generation(cap->maps))->capture;
	while (drain_ring(cap, &c)) /* what the workers queued last */
		;
	sink_close(&cap->sink);
	return NULL;
}

int slb_dp_capture_start(struct slb_dp *dp, char *err, size_t errlen)
{
	struct slb_dp_capture *cap;

	cap = calloc(1, sizeof(*cap)); /* 4 MB of HEP buffers: not EAL's memory */
	if (!cap) {
		snprintf(err, errlen, "capture: out of memory");
		return -1;
	}
	dp->capture = cap;
	cap->maps = &dp->maps;
	cap->stats = &dp->maps.stats[dp->lcores[rte_get_main_lcore()]->reader].capture;
	cap->fd4 = cap->fd6 = -1;
	if (dp->cfg.capture.configured) { /* a HEP collector */
		cap->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		cap->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (cap->fd4 < 0 && cap->fd6 < 0) {
			snprintf(err, errlen, "capture: %s", strerror(errno));
			return -1;
		}
	}
	cap->pcap_dir = dp->cfg.capture.pcap_dir;
	cap->sink.dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
							      PCAP_TSTAMP_PRECISION_NANO);
	cap->pool = rte_pktmbuf_pool_create("slb_capture", CAPTURE_MBUFS, 0,
					    sizeof(struct capture_meta), RTE_MBUF_DEFAULT_BUF_SIZE,
					    (int)rte_socket_id());
	cap->ring = rte_ring_create("slb_capture", CAPTURE_RING, (int)rte_socket_id(),
				    RING_F_SC_DEQ);
	if (!cap->pool || !cap->ring || !cap->sink.dead) {
		snprintf(err, errlen, "capture: no memory for its mbufs, ring and pcap handle");
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
	if (cap->sink.dead)
		pcap_close(cap->sink.dead);
	rte_ring_free(cap->ring);
	rte_mempool_free(cap->pool);
	free(cap);
	dp->capture = NULL;
}
