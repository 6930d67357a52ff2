/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy mode (see include/siplb/proxy.h): classify a frame, rewrite the SIP
 * message in place, fix the IPv4/UDP headers. No allocation, no syscall.
 */
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "frame_edit.h"
#include "inet_csum.h"
#include "siphash.h"
#include "siplb/callid_hash.h"
#include "siplb/maglev.h"
#include "siplb/proxy.h"
#include "siplb/sip_scan.h"
#include "sip_proxy_text.h"
#include "sip_rules.h"
#include "stun.h"

#define SLB_DEFAULT_SIP_PORT 5060
#define SLB_IP_TTL 64

/* One packet being handled. */
struct pkt {
	const struct slb_proxy_view *v;
	struct slb_frame *f;
	uint16_t sip_off;          /* SIP message offset in the frame */
	uint16_t sip_len;
	uint32_t saddr, daddr;     /* as received, network order */
	uint16_t sport, dport;
	const struct slb_vip *vip;
	unsigned vip_idx;
	struct slb_sip_msg msg;
	const struct slb_vip_text *vip_text; /* our Via's and Record-Route's start */
	uint16_t payload_sum;      /* the SIP message's folded sum (inet_csum.h) */
	bool call_id_hashed;       /* call_id_hash() of call_id_seed */
	uint64_t call_id_seed, call_id_hash;
};

/* A message of len bytes on c. Two scalar adds: clang's SLP vectorizer
 * makes them one 16-byte add of a pair it builds, three instructions more. */
static inline void count_msg(struct slb_msg_counter *c, uint32_t len)
{
	c->msgs++;
	__asm__("" : "+r"(c)); /* the adds apart */
	c->bytes += len;
}

static enum slb_action drop(struct pkt *p, enum slb_drop why)
{
	p->v->stats->drops[why]++;
	return SLB_ACTION_DROP;
}

static const uint8_t *sip(const struct pkt *p)
{
	return p->f->data + p->sip_off;
}

/* ---- frame parsing and the IPv4/UDP epilogue ------------------------------- */

/* The UDP pseudo-header's sum (RFC 768): addresses, protocol, UDP length,
 * all in network order. */
static uint64_t pseudo_sum(uint32_t saddr, uint32_t daddr, uint16_t udp_len)
{
	return (uint64_t)saddr + daddr + htons(IPPROTO_UDP) + udp_len;
}

/*
 * The UDP checksum of a datagram to a VIP (RFC 768): 0 means none was
 * sent; else the pseudo-header and the datagram sum to all ones. Sets
 * payload_sum, which the rewrite updates instead of summing the datagram
 * again (RFC 1624): from the checksum when the port verified it (the
 * message's sum is what makes the total all ones), else from the pass
 * that verifies it. A checksum of 0 from the port leaves a pass to do.
 */
static bool udp_cksum_ok(struct pkt *p)
{
	const uint8_t *udp = sip(p) - sizeof(struct udphdr);
	uint16_t check, len = htons((uint16_t)(p->sip_len + sizeof(struct udphdr)));
	uint64_t head = slb_csum_words(pseudo_sum(p->saddr, p->daddr, len), udp,
				       sizeof(struct udphdr) / 4);

	memcpy(&check, udp + offsetof(struct udphdr, check), sizeof(check));
	if (check && p->f->l4_cksum_good) {
		p->payload_sum = slb_csum_neg(slb_csum_fold(head));
		return true;
	}
	p->payload_sum = slb_csum_span(sip(p), p->sip_len, 0);
	return !check || slb_csum_fold(head + p->payload_sum) == 0xffff;
}


static bool parse_frame(struct pkt *p, enum slb_drop *why)
{
	const uint8_t *d = p->f->data;
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;

	*why = SLB_DROP_NOT_SIP;
	if (p->f->len < sizeof(eth) + sizeof(ip) + sizeof(udp))
		return false;
	memcpy(&eth, d, sizeof(eth));
	memcpy(&ip, d + sizeof(eth), sizeof(ip));
	if (eth.h_proto != htons(ETH_P_IP) || ip.version != 4 || ip.ihl < 5 ||
	    ip.protocol != IPPROTO_UDP)
		return false;
	size_t l3 = sizeof(eth), l4 = l3 + ip.ihl * 4u, ip_len = ntohs(ip.tot_len);
	if (ip_len < l4 - l3 + sizeof(udp))
		return false;
	if (l3 + ip_len > p->f->len) {
		*why = SLB_DROP_TRUNCATED;
		return false;
	}
	if (ip.frag_off & htons(0x3fff)) { /* MF set or an offset: a fragment */
		p->daddr = ip.daddr; /* to a VIP: the caller reassembles it */
		*why = SLB_DROP_IP_FRAGMENT;
		return false;
	}
	memcpy(&udp, d + l4, sizeof(udp));
	size_t udp_len = ntohs(udp.len);
	if (udp_len < sizeof(udp) || l4 + udp_len > l3 + ip_len)
		return false;

	p->f->len = (uint32_t)(l4 + udp_len); /* drop Ethernet padding */
	p->sip_off = (uint16_t)(l4 + sizeof(udp));
	p->sip_len = (uint16_t)(udp_len - sizeof(udp));
	p->saddr = ip.saddr;
	p->daddr = ip.daddr;
	p->sport = udp.source;
	p->dport = udp.dest;
	return true;
}

/* host:port of a VIP; the length. */
static size_t put_hostport(char *out, const char *host, size_t host_len, uint16_t port)
{
	memcpy(out, host, host_len);
	out[host_len] = ':';
	return host_len + 1 + slb_fmt_u32(out + host_len + 1, ntohs(port));
}

/* Appends s (of n bytes) at out + *len. */
static void append(char *out, uint8_t *len, const char *s, size_t n)
{
	memcpy(out + *len, s, n);
	*len = (uint8_t)(*len + n);
}
#define APPEND_TEXT(out, len, text) append(out, len, text, sizeof(text) - 1)

/* VIP i's text as this worker keeps it, made again when the VIP's address
 * or port is not what it was made from (a new generation changed it). */
static const struct slb_vip_text *vip_text(const struct slb_proxy_view *v, unsigned i,
					   const struct slb_vip *vip)
{
	struct slb_vip_text *t = &v->vip_text[i];
	char hp[sizeof(vip->host) + 6];
	size_t host_len, n;

	if (t->via_len && t->addr == vip->addr && t->port == vip->port)
		return t;
	host_len = strnlen(vip->host, sizeof(vip->host) - 1);
	n = put_hostport(hp, vip->host, host_len, vip->port);
	*t = (struct slb_vip_text){ .addr = vip->addr, .port = vip->port,
				    .host_len = (uint8_t)host_len };
	APPEND_TEXT(t->via, &t->via_len, "Via: SIP/2.0/UDP ");
	append(t->via, &t->via_len, hp, n);
	APPEND_TEXT(t->via, &t->via_len, ";branch=" SLB_BRANCH_PREFIX);
	APPEND_TEXT(t->rr, &t->rr_len, "Record-Route: <sip:");
	append(t->rr, &t->rr_len, hp, n);
	APPEND_TEXT(t->rr, &t->rr_len, ";lr;" SLB_BACKEND_PARAM "=");
	return t;
}

static bool find_vip(struct pkt *p)
{
	const struct slb_state *s = p->v->state;

	for (unsigned i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		const struct slb_vip *vip = &s->vips[i];

		if (vip->addr == p->daddr && vip->port == p->dport && vip->mode == SLB_MODE_PROXY) {
			p->vip = vip;
			p->vip_idx = i;
			p->vip_text = vip_text(p->v, i, vip);
			return true;
		}
	}
	return false;
}

/* Later fragments carry no ports: a proxy VIP's address is enough. */
static bool to_proxy_vip(const struct pkt *p)
{
	const struct slb_state *s = p->v->state;

	for (unsigned i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++)
		if (s->vips[i].addr == p->daddr && s->vips[i].mode == SLB_MODE_PROXY)
			return true;
	return false;
}

/* A frame of len bytes leaves as IPv4 fragments. */
static bool fragments(const struct pkt *p, uint32_t len)
{
	return p->v->ip_mtu && len - ETH_HLEN > p->v->ip_mtu;
}

/* The port completes the UDP checksum of a frame of len bytes: it can, and
 * the frame leaves whole (a port cannot sum a datagram it sends in pieces). */
static bool port_sums(const struct pkt *p, uint32_t len)
{
	return p->v->udp_cksum_offload && !fragments(p, len);
}

/* Addresses, lengths and checksums of the rewritten frame, whose SIP
 * message sums to p->payload_sum (unless the port sums it). */
static inline __attribute__((always_inline)) void
finish_frame(struct pkt *p, uint32_t daddr, uint16_t dport, struct slb_out *out)
{
	uint8_t *d = p->f->data;
	struct iphdr ip;
	struct udphdr udp;

	memcpy(&ip, d + ETH_HLEN, sizeof(ip));
	size_t l4 = ETH_HLEN + ip.ihl * 4u, udp_len = p->f->len - l4;

	ip.saddr = p->vip->addr;
	ip.daddr = daddr;
	ip.tot_len = htons((uint16_t)(p->f->len - ETH_HLEN));
	ip.ttl = SLB_IP_TTL;
	out->fragment = fragments(p, p->f->len);
	if (out->fragment)
		ip.frag_off = 0; /* DF clear: we fragment it, and routers after us may */
	ip.check = 0;
	/* summed where it is built, the options (unchanged) where they are;
	 * written once */
	ip.check = slb_csum_neg(slb_csum_fold(slb_csum_words(
		slb_csum_words(0, &ip, 5), d + ETH_HLEN + sizeof(ip), ip.ihl - 5u)));
	memcpy(d + ETH_HLEN, &ip, sizeof(ip));

	udp.source = p->vip->port;
	udp.dest = dport;
	udp.len = htons((uint16_t)udp_len);
	udp.check = 0;
	uint64_t sum = pseudo_sum(ip.saddr, ip.daddr, udp.len);
	out->cksum_offload = port_sums(p, p->f->len);
	if (out->cksum_offload) {
		udp.check = slb_csum_fold(sum); /* the port completes it */
	} else {
		udp.check = slb_csum_neg(
			slb_csum_fold(slb_csum_words(sum + p->payload_sum, &udp, sizeof(udp) / 4)));
		if (!udp.check) /* 0 says none was computed (RFC 768) */
			udp.check = 0xffff;
	}
	memcpy(d + l4, &udp, sizeof(udp));
	out->next_hop = daddr;
}

/* ---- SIP pieces ------------------------------------------------------------ */

struct uri {
	struct slb_span host;
	uint16_t port;             /* 0 when absent */
	struct slb_span params;    /* ";a=b;c" up to '>' or '?' or the end */
};

/* sip:[user@]host[:port][;params] in a span, with or without <>. IPv4 or a
 * name; sips: and IPv6 references are not routed by the dataplane. */
static bool parse_uri(const uint8_t *b, struct slb_span s, struct uri *u)
{
	size_t i = s.off, end = (size_t)s.off + s.len;

	if (i < end && b[i] == '<') {
		const uint8_t *gt = memchr(b + i, '>', end - i);
		if (!gt)
			return false;
		i++;
		end = (size_t)(gt - b);
	}
	if (end - i < 4 || (b[i] | 0x20) != 's' || (b[i + 1] | 0x20) != 'i' ||
	    (b[i + 2] | 0x20) != 'p' || b[i + 3] != ':')
		return false;
	i += 4;
	size_t stop = i;
	while (stop < end && b[stop] != ';' && b[stop] != '?')
		stop++;
	const uint8_t *at = memchr(b + i, '@', stop - i);
	if (at)
		i = (size_t)(at - b) + 1;
	size_t h = i;
	while (i < stop && b[i] != ':')
		i++;
	if (i == h || b[h] == '[')
		return false;
	u->host = slb_span_of(h, i);
	u->port = 0;
	if (i < stop && !slb_parse_port(b + i + 1, stop - i - 1, &u->port))
		return false;
	size_t pend = stop;
	while (pend < end && b[pend] != '?')
		pend++;
	u->params = slb_span_of(stop, pend);
	return true;
}

/* The value of ;name=value in a URI's params (name case-insensitive). */
static struct slb_span uri_param(const uint8_t *b, struct slb_span params, const char *name)
{
	size_t n = strlen(name), i = params.off, end = (size_t)params.off + params.len;

	while (i < end) {
		size_t s = ++i; /* past ';' */
		while (i < end && b[i] != ';')
			i++;
		if (i - s > n && b[s + n] == '=' && strncasecmp((const char *)b + s, name, n) == 0)
			return slb_span_of(s + n + 1, i);
	}
	return (struct slb_span){ 0, 0 };
}

/* host:port of a URI as an IPv4 destination (no DNS on the packet path). */
static bool uri_target(const uint8_t *b, struct slb_span s, uint32_t *addr, uint16_t *port)
{
	struct uri u;

	if (!parse_uri(b, s, &u) || !slb_parse_ipv4(b + u.host.off, u.host.len, addr))
		return false;
	*port = htons(u.port ? u.port : SLB_DEFAULT_SIP_PORT);
	return true;
}

static bool is_vip_hostport(const struct pkt *p, const uint8_t *host, size_t len,
			    uint16_t port)
{
	uint16_t vport = ntohs(p->vip->port);

	return len == p->vip_text->host_len && memcmp(host, p->vip->host, len) == 0 &&
	       (port == vport || (port == 0 && vport == SLB_DEFAULT_SIP_PORT));
}

/* A backend id of this generation written in decimal, or SLB_MAX_BACKENDS
 * when s is none. */
static uint32_t backend_id(const struct pkt *p, const uint8_t *s, size_t len)
{
	uint32_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || n >= SLB_MAX_BACKENDS)
			return SLB_MAX_BACKENDS;
		n = n * 10 + (uint32_t)(s[i] - '0');
	}
	return len && n < p->v->state->n_backends ? n : SLB_MAX_BACKENDS;
}

/* The top Route is ours: the backend id it names, or SLB_MAX_BACKENDS
 * when it names none we can use; else -1. */
static __attribute__((noinline)) int route_of_ours(const struct pkt *p)
{
	const uint8_t *b = sip(p);
	struct uri u;

	if (!parse_uri(b, p->msg.route, &u) ||
	    !is_vip_hostport(p, b + u.host.off, u.host.len, u.port))
		return -1;
	struct slb_span v = uri_param(b, u.params, SLB_BACKEND_PARAM);
	return (int)backend_id(p, b + v.off, v.len);
}

/* Our Route on top? -1: no; otherwise route_of_ours. Inline: a request
 * without a Route (a dialog's first) makes no call. */
static inline __attribute__((always_inline)) int our_route(const struct pkt *p)
{
	return p->msg.route.len ? route_of_ours(p) : -1;
}

/* The Call-ID's hash: unseeded in the branch MAC's input, seeded for the
 * pool's Maglev table, the branch and a reply's To tag. The last one is
 * kept: with the default pool seed, 0, Maglev's is the MAC's. */
static uint64_t call_id_hash(struct pkt *p, uint64_t seed)
{
	if (!p->call_id_hashed || p->call_id_seed != seed) {
		p->call_id_hash = slb_callid_hash(sip(p) + p->msg.call_id.off, p->msg.call_id.len,
						  seed);
		p->call_id_seed = seed;
		p->call_id_hashed = true;
	}
	return p->call_id_hash;
}

/* A stable function of the incoming request (RFC 3261 §16.11): the same for
 * its retransmissions, and for a CANCEL or a non-2xx ACK of an INVITE, whose
 * top Via is the INVITE's (§9.1, §17.1.1.3). An RFC 3261 branch is unique
 * with its sent-by (what §17.2.3 matches on): one span from the sent-by
 * to the branch's end, hashed once. The MAC after it adds the Call-ID. */
static uint64_t branch_of(struct pkt *p)
{
	const uint8_t *b = sip(p);
	const struct slb_sip_msg *m = &p->msg;
	struct slb_span host = m->via.host, branch = m->via.branch;

	if (branch.len > 7 && memcmp(b + branch.off, "z9hG4bK", 7) == 0)
		return slb_callid_hash(b + host.off, (uint32_t)(branch.off + branch.len - host.off),
				       p->v->branch_seed);
	/* RFC 2543 client: what identifies its transaction, the method aside */
	uint64_t h = call_id_hash(p, p->v->branch_seed);
	h = slb_callid_hash(b + host.off, host.len, h ^ m->via.port);
	h = slb_callid_hash(b + m->ruri.off, m->ruri.len, h ^ m->cseq);
	return slb_callid_hash(b + m->from_tag.off, m->from_tag.len, h);
}

/* ---- the branch MAC (docs/security.md) --------------------------------------- */

#define BRANCH_PREFIX_LEN (sizeof(SLB_BRANCH_PREFIX) - 1)
#define BRANCH_TXN_OFF BRANCH_PREFIX_LEN              /* 16 hex: branch_of() */
#define BRANCH_MAC_OFF (BRANCH_TXN_OFF + 16)          /* 16 hex: the MAC */
#define BRANCH_ID_OFF (BRANCH_MAC_OFF + 16)           /* "-ID" or nothing */
#define NO_BACKEND_ID 0xffffu
#define PROVEN SLB_DROP_COUNT /* check_our_via: nothing to drop for */

/* What a response to our request is routed by and whose it is: the MAC's
 * input, the same bytes when the request leaves and when its responses
 * come back (then read from the response: its top Via is ours, the next
 * one the sender's as we marked it). */
struct mac_input {
	char txn[16];      /* the branch's transaction hash, as sent */
	uint64_t call_id;  /* hash of the Call-ID */
	uint32_t addr;     /* where the response goes (network order) */
	uint16_t port;     /* network order */
	uint16_t backend;  /* the backend the request went to, NO_BACKEND_ID */
};
_Static_assert(sizeof(struct mac_input) == 32, "no padding in the MAC input");

static inline __attribute__((always_inline)) uint64_t
branch_mac(const uint8_t *key, const struct mac_input *in)
{
	return slb_siphash24_32(key, in);
}

/* Where responses to this request go (RFC 3261 §18.2.2, RFC 3581 §4): the
 * source address (mark_sender writes it as received unless the Via says
 * it already), the source port with rport, else the sent-by port. */
static void request_reply_to(const struct pkt *p, uint32_t *addr, uint16_t *port)
{
	const struct slb_sip_via *via = &p->msg.via;

	*addr = p->saddr;
	*port = via->has_rport ? p->sport : htons(via->port ? via->port : SLB_DEFAULT_SIP_PORT);
}

/* Where a response goes by a Via of it: received or sent-by host (IPv4),
 * rport or sent-by port. */
static bool via_reply_to(const uint8_t *b, const struct slb_sip_via *v, uint32_t *addr,
			 uint16_t *port)
{
	struct slb_span host = v->received.len ? v->received : v->host;
	uint16_t n = v->port ? v->port : SLB_DEFAULT_SIP_PORT;

	if (!slb_parse_ipv4(b + host.off, host.len, addr) ||
	    (v->rport.len && !slb_parse_port(b + v->rport.off, v->rport.len, &n)))
		return false;
	*port = htons(n);
	return true;
}

/* A response's top Via is ours: our address and port, and a branch that
 * has our prefix, the transaction hash and a MAC that one of the state's
 * keys made over where the next Via sends it, its Call-ID and the backend
 * id after the MAC. *id: that backend, or NO_BACKEND_ID. PROVEN, or why
 * the response is dropped. */
static enum slb_drop check_our_via(struct pkt *p, struct mac_input *in, uint32_t *id)
{
	const struct slb_branch_keys *keys = &p->v->state->branch_keys;
	const struct slb_sip_via *via = &p->msg.via;
	const uint8_t *b = sip(p), *br = b + via->branch.off;
	uint64_t mac;

	if (!is_vip_hostport(p, b + via->host.off, via->host.len, via->port) ||
	    via->branch.len < BRANCH_ID_OFF || memcmp(br, SLB_BRANCH_PREFIX, BRANCH_PREFIX_LEN))
		return SLB_DROP_NOT_OURS;
	*id = NO_BACKEND_ID;
	if (via->branch.len > BRANCH_ID_OFF) {
		*id = br[BRANCH_ID_OFF] == '-' ? backend_id(p, br + BRANCH_ID_OFF + 1,
							    via->branch.len - BRANCH_ID_OFF - 1)
					       : SLB_MAX_BACKENDS;
		if (*id == SLB_MAX_BACKENDS)
			return SLB_DROP_BAD_MAC;
	}
	if (!p->msg.has_via2 || !via_reply_to(b, &p->msg.via2, &in->addr, &in->port))
		return SLB_DROP_NO_ROUTE;
	memcpy(in->txn, br + BRANCH_TXN_OFF, sizeof(in->txn));
	in->call_id = call_id_hash(p, 0);
	in->backend = (uint16_t)*id;
	if (!slb_parse_hex64(br + BRANCH_MAC_OFF, &mac))
		return SLB_DROP_BAD_MAC;
	for (uint32_t k = 0; k < keys->n && k < SLB_BRANCH_KEYS; k++)
		if (branch_mac(keys->key[k], in) == mac)
			return PROVEN;
	return SLB_DROP_BAD_MAC;
}

/* ---- request rewriting ----------------------------------------------------- */

/* Texts the edits insert; they live until the edits are applied. */
struct inserts {
	char top[208];      /* our Via [+ Max-Forwards] [+ Record-Route] */
	struct slb_sender_text sender; /* the sender's marks when the worker keeps
					* none (sender_text), or rport's "=port" or
					* "port", ";received=a.b.c.d" (mark_sender) */
	char max_forwards[8]; /* the value minus one, at its width */
};
/* top_headers copies whole arrays (fixed sizes, no call), the texts' ends
 * overwritten after: the furthest it writes is the Via text, 32 hex digits,
 * "-" and the id (at most 10 digits), CRLF, a Max-Forwards line (18), then
 * a whole Record-Route array and a whole id buffer (16). */
_Static_assert(sizeof(((struct inserts *)0)->top) >=
		       sizeof(((struct slb_vip_text *)0)->via) + 32 + 1 + 10 + 2 + 18 +
			       sizeof(((struct slb_vip_text *)0)->rr) + 16,
	       "room for top_headers' whole-array copies");

static uint32_t at(const struct pkt *p, uint16_t sip_offset)
{
	return p->sip_off + (uint32_t)sip_offset;
}

static size_t put(char *out, const char *s)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

/*
 * Our Via, Max-Forwards when the request has none (RFC 3261 §16.6 step 3),
 * and Record-Route naming the backend for dialog-creating requests.
 *
 * The branch: our prefix, a hash of the request (branch_of), a MAC over
 * where its responses go, its Call-ID and the backend (struct mac_input),
 * and on a request to a backend that backend's id ("-ID"). The backend
 * copies our Via into its responses (RFC 3261 §8.2.6.2): response()
 * relays only what carries a MAC one of our keys made, from the backend
 * the id names, and counts it for that backend's passive health. The
 * branch stays a function of the request: its retransmissions and its
 * CANCEL go to the same backend and get the same branch. Finding the backend
 * by the response's source address instead would cost a search per
 * response, would be ambiguous for a backend in two pools (two ids), and
 * would miss a backend that answers from another address or port.
 *
 * The MAC's 16 digits are left zeros here, its input in *in: put_mac
 * writes them, or for the usual request mac_later leaves them to the end
 * of the burst, whose MACs are made together (later_macs).
 */
static inline __attribute__((always_inline)) uint16_t
top_headers(struct pkt *p, char *out, int backend, bool record, struct mac_input *in)
{
	const struct slb_vip_text *vt = p->vip_text;
	char id[16]; /* written twice, formatted once */
	size_t id_len = backend >= 0 ? slb_fmt_u32(id, (uint32_t)backend) : 0;
	size_t n = vt->via_len;

	memcpy(out, vt->via, sizeof(vt->via)); /* fixed sizes: copies without a call */
	*in = (struct mac_input){
		.call_id = call_id_hash(p, 0),
		.backend = backend >= 0 ? (uint16_t)backend : NO_BACKEND_ID,
	};
	slb_fmt_hex64(in->txn, branch_of(p));
	request_reply_to(p, &in->addr, &in->port);
	memcpy(out + n, in->txn, sizeof(in->txn));
	memset(out + n + 16, 0, 16); /* the MAC's place */
	n += 32;
	if (backend >= 0) {
		out[n++] = '-';
		memcpy(out + n, id, sizeof(id));
		n += id_len;
	}
	n += put(out + n, "\r\n");
	if (p->msg.max_forwards < 0)
		n += put(out + n, "Max-Forwards: 70\r\n");
	if (record) {
		memcpy(out + n, vt->rr, sizeof(vt->rr));
		n += vt->rr_len;
		memcpy(out + n, id, sizeof(id));
		n += id_len;
		n += put(out + n, ">\r\n");
	}
	return (uint16_t)n;
}

/* Where top_headers leaves the MAC's digits in our Via. */
static uint32_t mac_offset(const struct pkt *p)
{
	return p->vip_text->via_len + 16u;
}

/* The MAC of in written into our Via's text at top (top_headers). */
static void put_mac(const struct pkt *p, char *top, const struct mac_input *in)
{
	slb_fmt_hex64(top + mac_offset(p), branch_mac(p->v->state->branch_keys.key[0], in));
}

/* The sender's marks when they are one edit or none: received new, rport
 * absent or the Via's last parameter (the usual Via). */
struct sender_mark {
	uint16_t off, del; /* the SIP message's bytes [off, off + del) go */
	uint16_t len;      /* and len bytes of text come there (0: no edit) */
	bool summed;       /* sum is text's folded sum, counted from text */
	uint16_t sum;
	const char *text;
};

/* ";received=" and the address (n of its 16 bytes) at s; the length. */
static size_t put_received(char *s, const char ip[static 16], size_t n)
{
	size_t k = put(s, ";received=");

	memcpy(s + k, ip, 16); /* the whole buffer: a copy without a call */
	return k + n;
}

/* The source's "=port;received=a.b.c.d": the worker's copy when it keeps
 * one (made again when its slot held another source), else made at own. */
static const struct slb_sender_text *sender_text(const struct pkt *p,
						 struct slb_sender_text *own)
{
	struct slb_sender_text *t = own;
	char ip[16];
	size_t n, k = 0;

	if (p->v->senders) {
		uint32_t slot = ((p->saddr ^ (uint32_t)p->sport << 16) * 0x9e3779b1u) >> 26;

		_Static_assert(SLB_SENDER_SLOTS == 64, "the slot is 6 bits of a hash");
		t = &p->v->senders[slot];
		if (t->len && t->addr == p->saddr && t->port == p->sport)
			return t;
	}
	n = slb_fmt_ipv4(ip, p->saddr);
	t->text[k++] = '=';
	k += slb_fmt_u32(t->text + k, ntohs(p->sport));
	k += put_received(t->text + k, ip, n);
	_Static_assert(sizeof(t->text) >= 1 + 5 + 10 + 16, "room for put_received's copy");
	t->addr = p->saddr;
	t->port = p->sport;
	t->len = (uint8_t)k;
	t->ip_len = (uint8_t)n;
	t->sum = slb_csum_fold(slb_csum_short(0, t->text, k));
	return t;
}

/* The sender's marks as one edit (or none), its text at *m, or false when
 * they take two (mark_sender). Inline: build_head's checks and its own
 * fold into one. */
static inline __attribute__((always_inline)) bool
sender_mark(const struct pkt *p, struct slb_sender_text *own, struct sender_mark *m)
{
	const struct slb_sip_via *via = &p->msg.via;
	uint16_t value_end = (uint16_t)(via->value.off + via->value.len);

	if (via->received.len || (via->has_rport && via->rport.off + via->rport.len != value_end))
		return false;
	const struct slb_sender_text *st = sender_text(p, own);
	const char *ip = st->text + st->len - st->ip_len;
	if (!via->has_rport) {
		*m = (struct sender_mark){ value_end, 0, 0, false, 0, ip - 10 };
		if (via->host.len != st->ip_len || memcmp(sip(p) + via->host.off, ip, st->ip_len))
			m->len = (uint16_t)(st->ip_len + 10); /* ";received=" and the address */
		return true; /* else sent from where it says: nothing to add */
	}
	/* rport last: its value, then received right after it */
	if (!via->rport.len)
		*m = (struct sender_mark){ via->rport.off, 0, st->len, true, st->sum, st->text };
	else /* its value replaced: the text without its "=" */
		*m = (struct sender_mark){ via->rport.off, via->rport.len, (uint16_t)(st->len - 1),
					   false, 0, st->text + 1 };
	return true;
}

/* rport's value: "=port" for an rport without one, else "port". */
static size_t put_rport(const struct pkt *p, char *s)
{
	size_t k = 0;

	if (!p->msg.via.rport.len)
		s[k++] = '=';
	return k + slb_fmt_u32(s + k, ntohs(p->sport));
}

/* received and rport on the sender's Via (RFC 3261 §18.2.1, RFC 3581):
 * one edit when rport is the last parameter and received is new (the
 * usual Via), else one each. */
static bool mark_sender(const struct pkt *p, struct slb_edits *ed, struct inserts *t)
{
	const struct slb_sip_via *via = &p->msg.via;
	struct slb_span rport = via->rport;
	uint16_t value_end = (uint16_t)(via->value.off + via->value.len);
	char ip[16], *s = t->sender.text; /* rport's value, then received's text */
	struct sender_mark m;
	size_t n, k = 0;

	if (sender_mark(p, &t->sender, &m))
		return !m.len || slb_edit_add(ed, at(p, m.off), m.del, m.text, m.len);
	n = slb_fmt_ipv4(ip, p->saddr);
	if (via->has_rport)
		k = put_rport(p, s);
	if (via->received.len) { /* whatever it says, it is where we received it */
		memcpy(s + k, ip, sizeof(ip));
		return (!via->has_rport ||
			slb_edit_add(ed, at(p, rport.off), rport.len, s, (uint16_t)k)) &&
		       slb_edit_add(ed, at(p, via->received.off), via->received.len, s + k,
				    (uint16_t)n);
	}
	/* rport not last: received at the Via's end */
	size_t r = k + put_received(s + k, ip, n);
	return slb_edit_add(ed, at(p, rport.off), rport.len, s, (uint16_t)k) &&
	       slb_edit_add(ed, at(p, value_end), 0, s + k, (uint16_t)(r - k));
}

/* Removes the first value of a header: the whole line when it is the only
 * value, else the value and its comma up to next (the second value). */
static bool remove_first_value(const struct pkt *p, struct slb_edits *ed, uint16_t line,
			       struct slb_span value, struct slb_span next)
{
	const uint8_t *b = sip(p);
	size_t i = (size_t)value.off + value.len;

	while (i < p->sip_len && (b[i] == ' ' || b[i] == '\t'))
		i++;
	if (i < p->sip_len && b[i] == ',' && next.off > i)
		return slb_edit_add(ed, at(p, value.off), (uint16_t)(next.off - value.off), NULL, 0);
	if (i + 1 < p->sip_len && b[i] == '\r' && b[i + 1] == '\n')
		return slb_edit_add(ed, at(p, line), (uint16_t)(i + 2 - line), NULL, 0);
	return false;
}

/* Max-Forwards minus one at the same width ("10" -> "09"), as an edit:
 * nothing changes in the frame unless all the edits fit. */
static bool decrement_max_forwards(const struct pkt *p, struct slb_edits *ed, struct inserts *t)
{
	struct slb_span d = p->msg.max_forwards_tok;
	uint32_t v = (uint32_t)p->msg.max_forwards - 1;

	if (p->msg.max_forwards <= 0)
		return true; /* none (ours is inserted with our Via), or 0: 483 */
	if (d.len > sizeof(t->max_forwards))
		return false;
	for (size_t i = 0; i < d.len; i++, v /= 10) /* the last digit first */
		t->max_forwards[d.len - 1 - i] = (char)('0' + v % 10);
	return slb_edit_add(ed, at(p, d.off), d.len, t->max_forwards, d.len);
}

/* Applies the edits, fixes the headers. Past the MTU, it leaves as
 * fragments (out->fragment). */
static enum slb_action send_rewritten(struct pkt *p, struct slb_edits *ed, uint32_t daddr,
				      uint16_t dport, struct slb_out *out)
{
	bool summed = !port_sums(p, (uint32_t)((int32_t)p->f->len + slb_edit_growth(ed)));

	if (!(summed ? slb_edit_apply_summed(p->f, ed, p->sip_off, &p->payload_sum)
		     : slb_edit_apply(p->f, ed)))
		return drop(p, SLB_DROP_NO_ROOM);
	finish_frame(p, daddr, dport, out);
	return SLB_ACTION_SEND;
}

/* A request our additions would push past what a UDP datagram holds: it
 * gets a 513 (RFC 3261 §21.5.14) before anything counts it as forwarded.
 * Responses only lose our Via. */
static bool too_large(const struct pkt *p, const struct slb_edits *ed)
{
	return p->sip_len + slb_edit_growth(ed) > (int32_t)SLB_UDP_MAX_PAYLOAD;
}


/* ---- the usual request's head, built in place ------------------------------ */

/* n bytes from src to dst, apart: 16 bytes a step, the last step ending
 * at n, so a few fixed-size copies and no call for our short texts. Up to
 * 32 bytes (the marks: 31 at most) two steps and no loop. */
static inline void copy_short(uint8_t *dst, const char *src, size_t n)
{
	if (n >= 16) {
		size_t i = 0;

		for (; i + 32 < n; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + i, src + i, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = (uint8_t)src[i];
	}
}

/* The folded sum of the SIP message's bytes [from, to), counted from its
 * start. */
static uint16_t sip_sum(const struct pkt *p, uint32_t from, uint32_t to)
{
	return slb_csum_span(sip(p) + from, to - from, from);
}

/* The same of a few bytes (Max-Forwards' digits, a deleted rport value):
 * inline. */
static uint16_t sip_sum_short(const struct pkt *p, uint32_t from, uint32_t to)
{
	return slb_csum_at(slb_csum_fold(slb_csum_short(0, sip(p) + from, to - from)), from);
}

/*
 * The usual request's rewrite without an edit list: no Route of ours to
 * remove, the sender's marks one edit or none (sender_mark). The frame up
 * to the top Via's line moves into the headroom, as far as it goes (the
 * growth, or the headroom when that is less: then the rest, after the
 * marks, moves toward the tailroom by what is left); our headers (top,
 * top_len bytes) follow it, then the Via up to its marks, then the marks.
 * Max-Forwards' digits are overwritten in place first. p->payload_sum
 * follows (RFC 1624). False, with the frame as it was, where the edit
 * list's path applies (slb_edit_apply gives the same bytes).
 */
static bool build_head(struct pkt *p, const char *top, uint16_t top_len,
		       struct inserts *t)
{
	const struct slb_sip_msg *m = &p->msg;
	struct slb_span mf = m->max_forwards_tok;
	struct sender_mark sm;
	uint32_t via = m->via_line;
	int32_t grow;

	if (!sender_mark(p, &t->sender, &sm))
		return false;
	if (!sm.len)
		sm = (struct sender_mark){ (uint16_t)via, 0, 0, true, 0, NULL };
	grow = top_len + sm.len - sm.del;
	int32_t left = grow < (int32_t)p->f->headroom ? grow : (int32_t)p->f->headroom;
	if (grow - left > (int32_t)p->f->tailroom || sm.len < sm.del ||
	    p->sip_len + grow > (int32_t)SLB_UDP_MAX_PAYLOAD)
		return false;
	if (m->max_forwards > 0 &&
	    (mf.len > sizeof(t->max_forwards) || (mf.off < sm.off + sm.del && mf.off + mf.len > via)))
		return false; /* Max-Forwards too long (dropped), or inside what moves */

	bool summed = !port_sums(p, (uint32_t)((int32_t)p->f->len + grow));
	uint8_t *b = p->f->data + p->sip_off;
	uint64_t sum = p->payload_sum;

	if (m->max_forwards > 0) { /* in place, before anything moves */
		uint32_t v = (uint32_t)m->max_forwards - 1;

		if (mf.len == 2) { /* "70" -> "69": one pair of digits, one word's change */
			uint16_t was, now;

			memcpy(&was, b + mf.off, 2);
			memcpy(&now, slb_digit_pairs + 2 * v, 2);
			memcpy(b + mf.off, &now, 2);
			sum += slb_csum_at(slb_csum_neg(was), mf.off) + slb_csum_at(now, mf.off);
		} else {
			if (summed)
				sum += slb_csum_neg(sip_sum_short(p, mf.off, mf.off + mf.len));
			for (size_t i = mf.len; i-- > 0; v /= 10)
				b[mf.off + i] = (uint8_t)('0' + v % 10);
			if (summed)
				sum += sip_sum_short(p, mf.off, mf.off + mf.len);
		}
	}
	if (summed) {
		uint16_t ins = slb_csum_fold(
			(uint64_t)slb_csum_span(top, top_len, via) +
			slb_csum_at(sm.summed ? sm.sum : slb_csum_fold(slb_csum_short(0, sm.text, sm.len)),
				    (uint32_t)sm.off + top_len));
		uint16_t del = sm.del ? sip_sum_short(p, sm.off, sm.off + sm.del) : 0;

		if (top_len & 1 || grow & 1) {
			/* the Via's start and the rest move by odd counts: their
			 * sums, swapped */
			uint16_t head = sip_sum(p, 0, via), mid = sip_sum(p, via, sm.off);
			uint16_t rest = slb_csum_fold(sum + slb_csum_neg(head) + slb_csum_neg(mid) +
						      slb_csum_neg(del));

			sum = (uint64_t)head + ins + slb_csum_at(mid, top_len) +
			      slb_csum_at(rest, (uint32_t)grow);
		} else {
			sum += (uint64_t)ins + slb_csum_neg(del);
		}
		p->payload_sum = slb_csum_fold(sum);
	}

	uint8_t *d = p->f->data;
	uint32_t v_at = p->sip_off + via, mark_at = p->sip_off + sm.off;
	uint32_t rest_at = mark_at + sm.del, right = (uint32_t)(grow - left);

	if (right) /* the rest toward the tailroom: first, as it lands past the others */
		memmove(d + rest_at + right, d + rest_at, p->f->len - rest_at);
	memmove(d - left, d, v_at);                       /* up to our headers */
	memmove(d + v_at - left + top_len, d + v_at, mark_at - v_at); /* the Via to its marks */
	memcpy(d + v_at - left, top, top_len);        /* ours, between them */
	copy_short(d + rest_at + right - sm.len, sm.text, sm.len); /* the marks */
	p->f->data -= left;
	p->f->headroom -= (uint32_t)left;
	p->f->tailroom -= right;
	p->f->len += (uint32_t)grow;
	return true;
}

/* A Route of ours names a backend that can take this VIP's dialog: up or
 * draining, IPv4 (proxy mode), and of the VIP's pool. */
static bool backend_takes_dialogs(const struct pkt *p, const struct slb_backend *be)
{
	uint64_t rule_pools = p->v->state->rules[p->vip_idx].pools; /* docs/rules.md */

	return (be->state == SLB_BACKEND_UP || be->state == SLB_BACKEND_DRAINING) &&
	       be->family == AF_INET &&
	       (be->pool == p->vip->pool || (be->pool < 64 && (rule_pools >> be->pool & 1)));
}

/* Pool pool_idx's Maglev choice for key (a routing rule's, a span of the
 * message; NULL: the Call-ID), or -1 (no backend up). */
static int maglev_backend(struct pkt *p, uint32_t pool_idx, const struct slb_span *key)
{
	const struct slb_state *s = p->v->state;
	const struct slb_pool *pool = &s->pools[pool_idx % SLB_MAX_POOLS];

	if (!pool->table_size)
		return -1;
	uint64_t h = !key ? call_id_hash(p, pool->seed)
			  : slb_callid_hash(sip(p) + key->off, key->len, pool->seed);
	uint32_t id = p->v->tables[pool->table_off + h % pool->table_size];
	return id < s->n_backends ? (int)id : -1;
}

/* The Maglev slot the usual request reads (its VIP's pool, keyed on the
 * Call-ID), fetched by read_frame a frame ahead of its use. Where the
 * kernel's transmit path shares the core (AF_XDP's copy mode) the 256 KB
 * table does not stay in its cache, and the slot's load, waited for
 * alone, was siplb-dp's largest single cost on veth (~150 ns a request; 2
 * MB pages for the table made no difference). Measured there, siplb-dp's
 * own time a message (bench/RESULTS.md, "Target 5 in rounds"): 630 -> 558
 * ns fetched before the checksum's pass of the same frame (+35
 * instructions), 566 -> 448 fetched a frame ahead (+66 more). A request a
 * rule sends to another pool reads another slot: that fetch is only
 * lost. */
static inline __attribute__((always_inline)) void prefetch_slot(struct pkt *p)
{
	const struct slb_pool *pool = &p->v->state->pools[p->vip->pool % SLB_MAX_POOLS];

	if (pool->table_size)
		__builtin_prefetch(&p->v->tables[pool->table_off +
						 call_id_hash(p, pool->seed) % pool->table_size]);
}

/* ---- stateless replies: 483 and 503 ------------------------------------------ */

#define SLB_REPLY_MAX 2048

/* Copies the logical header lines a response needs (RFC 3261 §8.2.6.2):
 * Via, From, To (with a To tag when there is none), Call-ID, CSeq. */
static size_t copy_reply_headers(struct pkt *p, char *out, size_t cap)
{
	const uint8_t *b = sip(p);
	const uint8_t *lf = memchr(b, '\n', p->sip_len);
	size_t i = (size_t)(lf - b) + 1, end = p->msg.headers_len - 2, n = 0;

	while (i < end) {
		size_t e = i, colon = 0;

		for (;;) { /* logical line end: an LF not followed by SP or HT */
			const uint8_t *nl = memchr(b + e, '\n', end + 2 - e);
			e = (size_t)(nl - b) + 1;
			if (e >= end || (b[e] != ' ' && b[e] != '\t'))
				break;
		}
		const uint8_t *c = memchr(b + i, ':', e - i);
		colon = c ? (size_t)(c - b) : i;
		while (colon > i && (b[colon - 1] == ' ' || b[colon - 1] == '\t'))
			colon--;
		enum slb_hdr id = slb_sip_header_id(b + i, colon - i);
		bool add_tag = id == SLB_HDR_TO && !p->msg.to_tag.len;
		if ((id == SLB_HDR_VIA || id == SLB_HDR_FROM || id == SLB_HDR_TO ||
		     id == SLB_HDR_CALL_ID || id == SLB_HDR_CSEQ) && n + (e - i) + 32 < cap) {
			size_t body = e - i - 2; /* without CRLF */
			memcpy(out + n, b + i, body);
			n += body;
			if (add_tag) {
				n += put(out + n, ";tag=slb");
				slb_fmt_hex64(out + n, call_id_hash(p, p->v->branch_seed));
				n += 16;
			}
			n += put(out + n, "\r\n");
		}
		i = e;
	}
	return n;
}

/* The request's top Via as the server sees it (received, rport: RFC 3261
 * §18.2.1, RFC 3581 §4), so that the reply copies it so; the request is
 * rescanned after the edit (a rare path). */
static bool mark_request_received(struct pkt *p)
{
	struct slb_edits ed;
	struct inserts t;
	uint32_t before = p->f->len, len;

	slb_edits_init(&ed);
	if (!mark_sender(p, &ed, &t) || !slb_edit_apply(p->f, &ed))
		return false;
	len = p->sip_len + p->f->len - before;
	if (len > SLB_SIP_MAX_LEN) /* a request within 32 bytes of UDP's limit */
		return false;
	p->sip_len = (uint16_t)len;
	return slb_sip_scan(sip(p), p->sip_len, &p->msg) == SLB_SIP_OK;
}

static const char *const reply_lines[SLB_REPLY_COUNT] = {
	[SLB_REPLY_483] = "SIP/2.0 483 Too Many Hops\r\n",
	[SLB_REPLY_503] = "SIP/2.0 503 Service Unavailable\r\n",
	[SLB_REPLY_513] = "SIP/2.0 513 Message Too Large\r\n",
};

/* The datagram's payload replaced by n bytes of r, for an answer sent back. */
static bool replace_payload(struct pkt *p, const void *r, size_t n)
{
	if (n > (size_t)p->sip_len + p->f->tailroom)
		return false;
	memcpy(p->f->data + p->sip_off, r, n);
	p->payload_sum = slb_csum_span(r, n, 0);
	p->f->tailroom = (uint32_t)(p->f->tailroom + p->sip_len - n);
	p->f->len = (uint32_t)(p->sip_off + n);
	return true;
}

static enum slb_action reply_with(struct pkt *p, const char *status_line, enum slb_reply which,
				   bool retry_after, struct slb_out *out)
{
	char r[SLB_REPLY_MAX];
	size_t n = put(r, status_line);
	uint32_t addr;
	uint16_t port;

	if (p->msg.method == SLB_SIP_METHOD_ACK) /* never answered (§17.2.1) */
		return drop(p, SLB_DROP_NO_ROUTE);
	if (!mark_request_received(p))
		return drop(p, SLB_DROP_NO_ROOM);
	n += copy_reply_headers(p, r + n, sizeof(r) - n - 64);
	if (retry_after)
		n += put(r + n, "Retry-After: 5\r\n");
	n += put(r + n, "Content-Length: 0\r\n\r\n");
	if (!replace_payload(p, r, n))
		return drop(p, SLB_DROP_NO_ROOM);
	p->v->stats->replies[which]++;
	request_reply_to(p, &addr, &port); /* where its responses go (§18.2.2) */
	finish_frame(p, addr, port, out);
	return SLB_ACTION_SEND;
}

static enum slb_action reply(struct pkt *p, enum slb_reply which, struct slb_out *out)
{
	return reply_with(p, reply_lines[which], which, which == SLB_REPLY_503, out);
}

/* ---- the three flows ----------------------------------------------------------- */

/*
 * The end of both request paths, once ok says their edits were taken: the
 * Max-Forwards edit, a 513 when the result is too large for UDP, then the
 * rewrite. count[0] and count[1] (each may be NULL) count the request only
 * once it is sent: a request dropped for want of room leaves the frame and
 * the counters as they were.
 */
static enum slb_action forward_request(struct pkt *p, bool ok, struct slb_edits *ed,
				       struct inserts *t, uint32_t daddr, uint16_t dport,
				       struct slb_msg_counter *const count[2], struct slb_out *out)
{
	uint32_t len = p->sip_len;

	if (!ok || !decrement_max_forwards(p, ed, t))
		return drop(p, SLB_DROP_NO_ROOM);
	if (too_large(p, ed))
		return reply(p, SLB_REPLY_513, out);
	if (send_rewritten(p, ed, daddr, dport, out) != SLB_ACTION_SEND)
		return SLB_ACTION_DROP;
	for (int i = 0; i < 2; i++) {
		if (count[i]) {
			count[i]->msgs++;
			count[i]->bytes += len;
		}
	}
	return SLB_ACTION_SEND;
}

/* A request from a backend toward a client (a callee's BYE): loose routing
 * (RFC 3261 §16.12): our Route goes, the next Route or the Request-URI is
 * the next hop. */
static enum slb_action request_from_backend(struct pkt *p, struct slb_out *out)
{
	const uint8_t *b = sip(p);
	struct slb_edits ed;
	struct inserts t;
	struct mac_input in;
	uint32_t daddr;
	uint16_t dport;

	slb_edits_init(&ed);
	if (!(p->msg.route2.len ? uri_target(b, p->msg.route2, &daddr, &dport)
				: uri_target(b, p->msg.ruri, &daddr, &dport)))
		return drop(p, SLB_DROP_NO_ROUTE);
	uint16_t top_len = top_headers(p, t.top, -1, false, &in);
	put_mac(p, t.top, &in);
	bool ok = remove_first_value(p, &ed, p->msg.route_line, p->msg.route, p->msg.route2) &&
		  slb_edit_add(&ed, at(p, p->msg.via_line), 0, t.top, top_len) &&
		  mark_sender(p, &ed, &t);
	return forward_request(p, ok, &ed, &t, daddr, dport,
			       (struct slb_msg_counter *[2]){ &p->v->stats->in_dialog, NULL }, out);
}

/*
 * The branch MACs of a burst's usual requests (those build_head rewrites),
 * made together once their frames are otherwise done (later_macs): each
 * MAC's 14 SipRounds are a chain of about 60 cycles, which the core ran
 * alone, request after request; slb_siphash24_32_lanes runs 8 (AVX-512)
 * or 4 (AVX2) of them as one. Their inputs, one array per word; where
 * each one's digits go (zeros until then, and so in the UDP checksum).
 */
struct later_macs {
	unsigned n;
	uint64_t w[4][SLB_PROXY_BURST];
	struct {
		uint8_t *digits; /* 16 bytes in the frame */
		uint8_t *check;  /* its UDP checksum; NULL: the port sums it */
		bool odd;        /* the digits at an odd offset of the datagram */
	} at[SLB_PROXY_BURST];
};

/* A rewritten request's MAC (input in) left to later_macs. */
static inline __attribute__((always_inline)) void
mac_later(const struct pkt *p, const struct mac_input *in, const struct slb_out *out,
	  struct later_macs *lm)
{
	uint32_t at = p->msg.via_line + mac_offset(p); /* our Via is where the top Via was */
	unsigned k = lm->n++;

	for (unsigned i = 0; i < 4; i++)
		memcpy(&lm->w[i][k], (const char *)in + 8 * i, 8);
	lm->at[k].digits = p->f->data + p->sip_off + at;
	lm->at[k].check = out->cksum_offload ? NULL : p->f->data + p->sip_off - 2;
	lm->at[k].odd = at & 1; /* the UDP header's 8 bytes keep the parity */
}

/* The MACs later_macs holds, each written into its frame and added to its
 * UDP checksum (RFC 1624: the digits' sum, for the zeros'). */
static void later_macs(const struct slb_proxy_view *v, struct later_macs *lm)
{
	uint64_t mac[SLB_PROXY_BURST];

	slb_siphash24_32_lanes(v->state->branch_keys.key[0],
			       (const uint64_t *const[4]){ lm->w[0], lm->w[1], lm->w[2], lm->w[3] },
			       lm->n, mac);
	for (unsigned k = 0; k < lm->n; k++) {
		char hex[16];
		uint16_t check;

		slb_fmt_hex64(hex, mac[k]);
		memcpy(lm->at[k].digits, hex, sizeof(hex));
		if (!lm->at[k].check)
			continue;
		memcpy(&check, lm->at[k].check, 2);
		check = slb_csum_neg(slb_csum_fold(
			slb_csum_neg(check) +
			slb_csum_at(slb_csum_fold(slb_csum_short(0, hex, 16)), lm->at[k].odd)));
		check = check ? check : 0xffff; /* 0 says none (RFC 768) */
		memcpy(lm->at[k].check, &check, 2);
	}
	lm->n = 0;
}

/* A request from a client, its rules (if any) applied with pool and key
 * (key.len 0: the Call-ID): to the backend our Route names (in-dialog),
 * else to the pool's Maglev choice for the key. The usual request's MAC
 * goes to lm when that is given. Inline, as are top_headers and
 * finish_frame: the usual request's path is one function, without the
 * calls' saved registers and the spills around them. */
static inline __attribute__((always_inline)) enum slb_action
to_backend(struct pkt *p, int route_id, uint32_t pool, struct slb_span key,
	   struct later_macs *lm, struct slb_out *out)
{
	const struct slb_state *s = p->v->state;
	struct slb_lcore_stats *st = p->v->stats;
	struct slb_edits ed;
	struct inserts t;
	struct mac_input in;
	bool in_dialog = route_id >= 0 && route_id < (int)s->n_backends &&
			 backend_takes_dialogs(p, &s->backends[route_id]);

	int id = in_dialog ? route_id : maglev_backend(p, pool, key.len ? &key : NULL);
	if (id < 0)
		return reply(p, SLB_REPLY_503, out);
	_Static_assert(SLB_SIP_METHOD_COUNT <= 32, "a method is a bit of a word");
	bool record = (p->vip->flags & SLB_VIP_RECORD_ROUTE) && !p->msg.to_tag.len &&
		      (1u << p->msg.method & (1u << SLB_SIP_METHOD_INVITE |
					     1u << SLB_SIP_METHOD_SUBSCRIBE)); /* one test */
	uint16_t top_len = top_headers(p, t.top, id, record, &in);

	if (!lm)
		put_mac(p, t.top, &in);
	if (route_id < 0 && !p->v->edit_list_only && build_head(p, t.top, top_len, &t)) {
		finish_frame(p, s->backends[id].addr, s->backends[id].port, out);
		if (lm)
			mac_later(p, &in, out, lm);
		count_msg(&st->backend_tx[id], p->sip_len);
		return SLB_ACTION_SEND;
	}
	if (lm)
		put_mac(p, t.top, &in);
	slb_edits_init(&ed); /* here: build_head's requests use none */
	bool ok = (route_id < 0 || remove_first_value(p, &ed, p->msg.route_line, p->msg.route,
						      p->msg.route2)) &&
		  slb_edit_add(&ed, at(p, p->msg.via_line), 0, t.top, top_len) &&
		  mark_sender(p, &ed, &t);
	return forward_request(p, ok, &ed, &t, s->backends[id].addr, s->backends[id].port,
			       (struct slb_msg_counter *[2]){ &st->backend_tx[id],
							      in_dialog ? &st->in_dialog : NULL },
			       out);
}

/* A request to a VIP with routing rules (docs/rules.md, sip_rules.h), once
 * they decided rv: dropped, answered, or to the first matching rule's pool
 * and hash key. Apart, so that the path of VIPs without rules carries
 * nothing of it. In-dialog requests are matched too: a Route is the
 * client's to write, so it must not carry a request past a drop, reply,
 * rate or allow rule. Only a rule's pool and key leave them alone: they
 * keep the backend their Route names. */
static __attribute__((noinline)) enum slb_action
ruled_to_backend(struct pkt *p, int route_id, const struct slb_rules_verdict *rv,
		 struct slb_out *out)
{
	uint32_t pool = p->vip->pool;
	struct slb_span key = { 0, 0 };

	if (rv->kind == SLB_RULES_DROP)
		return drop(p, rv->drop);
	if (rv->kind == SLB_RULES_REPLY)
		return reply_with(p, rv->status_line, rv->reply, rv->retry_after, out);
	if (rv->kind == SLB_RULES_FORWARD) {
		pool = rv->pool;
		if (rv->key.off != p->msg.call_id.off)
			key = rv->key;
	}
	return to_backend(p, route_id, pool, key, NULL, out);
}

static void decide(const struct pkt *p, struct slb_rules_verdict *rv)
{
	slb_rules_decide(p->v->rules, p->vip_idx, sip(p), &p->msg, p->saddr, p->sport, rv);
}

/* The requests parked in a burst (slb_proxy_handle_burst): each one's
 * packet, route id and frame. */
struct parked {
	unsigned n;
	unsigned frame[SLB_PROXY_BURST];
	int route_id[SLB_PROXY_BURST];
	struct pkt p[SLB_PROXY_BURST];
};

/* handle()'s answer for a request parked until its burst's rules ran
 * (slb_proxy_handle_burst): never a caller's. */
#define SLB_ACTION_PARKED ((enum slb_action)-1)

/* A request from a client. One to a VIP with rules waits for them in pk
 * when that is given (SLB_ACTION_PARKED: a copy, so that the path without
 * rules keeps its packet on the stack), else has them now; the usual
 * request's MAC goes to lm when that is given. */
static inline __attribute__((always_inline)) enum slb_action
request_to_backend(struct pkt *p, int route_id, struct parked *pk, struct later_macs *lm,
		   struct slb_out *out)
{
	struct slb_lcore_stats *st = p->v->stats;

	count_msg(&st->vip_rx[p->vip_idx], p->sip_len);
	if (__builtin_expect(p->v->state->rules[p->vip_idx].blob_len && p->v->rules, 0)) {
		struct slb_rules_verdict rv;

		if (pk) {
			pk->p[pk->n] = *p;
			pk->route_id[pk->n] = route_id;
			return SLB_ACTION_PARKED;
		}
		decide(p, &rv);
		return ruled_to_backend(p, route_id, &rv, out);
	}
	return to_backend(p, route_id, p->vip->pool, (struct slb_span){ 0, 0 }, lm, out);
}

/* A proven response from the backend our branch names counts for its
 * passive health (docs/health.md). */
static void count_response(const struct pkt *p, uint32_t id)
{
	struct slb_backend_rx *rx = &p->v->stats->backend_rx[id];

	rx->responses++;
	rx->finals += p->msg.status >= 200;
	rx->r503 += p->msg.status == 503;
}

/* A response whose top Via is ours, proven (check_our_via) and, when it
 * names a backend, from that backend's address: our Via goes, the next
 * one says where. */
static enum slb_action response(struct pkt *p, struct slb_out *out)
{
	const struct slb_sip_msg *m = &p->msg;
	const struct slb_state *s = p->v->state;
	struct slb_edits ed;
	struct mac_input to;
	uint32_t id;
	enum slb_drop why = check_our_via(p, &to, &id);

	slb_edits_init(&ed);
	if (why != PROVEN)
		return drop(p, why);
	if (id != NO_BACKEND_ID) {
		if (s->backends[id].family != AF_INET || s->backends[id].addr != p->saddr)
			return drop(p, SLB_DROP_WRONG_SOURCE);
		count_response(p, id);
	}
	if (!remove_first_value(p, &ed, m->via_line, m->via.value, m->via2.value))
		return drop(p, SLB_DROP_NOT_OURS);
	p->v->stats->responses.msgs++;
	p->v->stats->responses.bytes += p->sip_len;
	return send_rewritten(p, &ed, to.addr, to.port, out);
}

/* An RFC 5626 STUN keep-alive (stun.h): answered to its source, counted
 * with the CRLF keep-alives. */
static enum slb_action stun_binding(struct pkt *p, bool fingerprint, struct slb_out *out)
{
	uint8_t r[SLB_STUN_RESPONSE_MAX];
	size_t n = slb_stun_binding_response(sip(p), p->saddr, p->sport, fingerprint, r);

	if (!replace_payload(p, r, n))
		return drop(p, SLB_DROP_NO_ROOM);
	p->v->stats->keepalives++;
	finish_frame(p, p->saddr, p->sport, out);
	return SLB_ACTION_SEND;
}

/* read_frame's answer where it has none of its own: handle goes on. */
#define SLB_ACTION_READ ((enum slb_action)-2)

/* What read_frame found of a frame, for handle to act on. */
struct first_look {
	enum slb_action early;       /* SLB_ACTION_READ, or the frame's answer */
	enum slb_sip_reason scanned; /* the scan's verdict (a STUN request: OK) */
	bool stun, fingerprint;      /* an RFC 5626 STUN binding request */
};

/* handle's first half, which acts on nothing: the frame parsed, its SIP
 * message scanned and a request's Maglev slot fetched (prefetch_slot). The
 * burst loop runs it a frame ahead of handle, so that the slot, a miss
 * where the kernel's path shares the core, arrives while the frame
 * before is finished. A frame that is not for a proxy VIP is dropped
 * (counted) here. */
static inline __attribute__((always_inline)) void
read_frame(const struct slb_proxy_view *v, struct slb_frame *f, struct pkt *p,
	   struct first_look *fl)
{
	enum slb_drop why;

	p->v = v; /* not zeroed whole: the scanner clears p->msg, and parse_frame
		   * and find_vip set the fields they own before any use */
	p->f = f;
	p->call_id_hashed = false;
	fl->early = SLB_ACTION_READ;
	if (!parse_frame(p, &why)) {
		fl->early = why == SLB_DROP_IP_FRAGMENT && to_proxy_vip(p) ? SLB_ACTION_REASSEMBLE
									    : drop(p, why);
		return;
	}
	if (!find_vip(p)) {
		fl->early = drop(p, SLB_DROP_NOT_SIP);
		return;
	}
	fl->fingerprint = false;
	fl->stun = __builtin_expect(slb_stun_is_stun(sip(p), p->sip_len), 0) &&
		   slb_stun_binding_request(sip(p), p->sip_len, &fl->fingerprint);
	fl->scanned = fl->stun ? SLB_SIP_OK : slb_sip_scan(sip(p), p->sip_len, &p->msg);
	if (!fl->stun && fl->scanned == SLB_SIP_OK && p->msg.kind != SLB_SIP_KIND_RESPONSE)
		prefetch_slot(p);
}

/* slb_proxy_handle's work after read_frame: the UDP checksum decides
 * before anything is acted on. A request to a VIP with rules is parked in
 * pk, the usual request's MAC left to lm, when those are given. */
static enum slb_action handle(struct pkt *p, const struct first_look *fl, struct slb_out *out,
			      struct parked *pk, struct later_macs *lm)
{
	const struct slb_proxy_view *v = p->v;

	if (fl->early != SLB_ACTION_READ)
		return fl->early;
	enum slb_sip_reason r = fl->scanned; /* set where early is not */
	if (!udp_cksum_ok(p))
		return drop(p, SLB_DROP_BAD_CHECKSUM);
	if (fl->stun)
		return stun_binding(p, fl->fingerprint, out);
	if (r == SLB_SIP_ERR_KEEPALIVE) {
		v->stats->keepalives++;
		return SLB_ACTION_DROP;
	}
	if (r != SLB_SIP_OK) { /* the scanner refuses a message without Via or CSeq */
		v->stats->sip_reasons[r]++;
		return drop(p, SLB_DROP_MALFORMED);
	}
	if (p->msg.kind == SLB_SIP_KIND_RESPONSE)
		return response(p, out);
	if (p->msg.max_forwards == 0)
		return reply(p, SLB_REPLY_483, out);
	int route_id = our_route(p);
	if (route_id >= 0 && route_id < (int)v->state->n_backends &&
	    v->state->backends[route_id].addr == p->saddr)
		return request_from_backend(p, out);
	return request_to_backend(p, route_id, pk, lm, out);
}

enum slb_action slb_proxy_handle(const struct slb_proxy_view *v, struct slb_frame *f,
				 struct slb_out *out)
{
	struct pkt p;
	struct first_look fl;

	read_frame(v, f, &p, &fl);
	return handle(&p, &fl, out, NULL, NULL);
}

/* The rules of the parked requests, back to back, then the rest of each. */
static void run_parked(struct parked *pk, struct slb_out *out, enum slb_action *act)
{
	struct slb_rules_verdict rv[SLB_PROXY_BURST];

	for (unsigned k = 0; k < pk->n; k++)
		decide(&pk->p[k], &rv[k]);
	for (unsigned k = 0; k < pk->n; k++)
		act[pk->frame[k]] = ruled_to_backend(&pk->p[k], pk->route_id[k], &rv[k],
						     &out[pk->frame[k]]);
	pk->n = 0;
}

/* A frame's first 512 bytes after its first line (PREFETCH_AHEAD fetches
 * that), and the headroom lines build_head moves its headers into, for
 * writing: for the frame after next, the one read_frame reads in the next
 * turn of the burst loop. Where the port's receive wrote the frame from
 * another core (AF_XDP's copy mode: the kernel's copy into the UMEM) or by
 * DMA, it is not in this core's cache, and the scan and the UDP
 * checksum's pass, the first to read it, wait for each line in turn; the
 * line that finish_frame reads back after the move waits too. On veth:
 * 40-190 ns a request less of siplb-dp's CPU time, for 15 instructions
 * (bench/RESULTS.md, "Target 5 with the forwarders the limit"). The whole
 * frame, a line at a time, saved more there (300-400 ns) but cost about
 * 20 ns a frame that is already in cache (the pcap replay, target 1), and
 * in later rounds showed no gain. A prefetch outside the buffer (a small
 * headroom) faults nothing. */
static inline __attribute__((always_inline)) void prefetch_frame(const struct slb_frame *f)
{
	const uint8_t *d = f->data;

	for (unsigned o = 64; o < 512; o += 64)
		__builtin_prefetch(d + o);
	for (unsigned o = 64; o <= 192; o += 64)
		__builtin_prefetch(d - o, 1);
}

/* Frames whose first line is fetched ahead of their scan. */
#define PREFETCH_AHEAD 3

void slb_proxy_handle_burst(const struct slb_proxy_view *v, struct slb_frame *f, unsigned n,
			    struct slb_out *out, enum slb_action *act)
{
	struct parked pk;
	struct later_macs lm;
	struct pkt p[2]; /* read_frame fills one while handle finishes the other */
	struct first_look fl[2];

	pk.n = 0;
	lm.n = 0;
	for (unsigned i = 0; i < n && i < PREFETCH_AHEAD; i++)
		__builtin_prefetch(f[i].data);
	if (n > 1)
		prefetch_frame(&f[1]);
	if (n)
		read_frame(v, &f[0], &p[0], &fl[0]);
	for (unsigned i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(f[i + PREFETCH_AHEAD].data);
		if (i + 2 < n)
			prefetch_frame(&f[i + 2]);
		if (i + 1 < n)
			read_frame(v, &f[i + 1], &p[(i + 1) & 1], &fl[(i + 1) & 1]);
		act[i] = handle(&p[i & 1], &fl[i & 1], &out[i], &pk, &lm);
		if (lm.n == SLB_PROXY_BURST)
			later_macs(v, &lm);
		if (act[i] != SLB_ACTION_PARKED)
			continue;
		pk.frame[pk.n++] = i;
		if (pk.n == SLB_PROXY_BURST) /* the rules keep the requests' order */
			run_parked(&pk, out, act);
	}
	run_parked(&pk, out, act);
	later_macs(v, &lm);
}
