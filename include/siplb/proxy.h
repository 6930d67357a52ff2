/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy mode: what siplb-dp does to one Ethernet frame, as a stateless
 * RFC 3261 §16.11 proxy. Pure C without DPDK, so the rewrite rules are unit
 * tested on plain buffers; siplb-dp calls it per packet on the mbuf's data.
 *
 * Requests from clients to a VIP: Max-Forwards checked (483 at 0) and
 * decremented, siplb's Via inserted on top (branch derived from the incoming
 * request: retransmissions get the same one), received/rport added to the
 * client's Via (RFC 3261 §18.2.1, RFC 3581), Record-Route with the chosen
 * backend's id for INVITE/SUBSCRIBE, sent to the backend Maglev gives for the
 * Call-ID, or to the one a Route of ours names (in-dialog affinity).
 * Requests from backends (a callee's BYE) are loose-routed (§16.12) to the
 * next Route or the Request-URI. Responses whose top Via is ours lose it and
 * go to the next Via's received/rport/sent-by: ours means proven, by a MAC
 * in the branch (keys in the state) and, for a request siplb sent to a
 * backend, by coming from that backend's address. No backend up: a
 * stateless 503 with Retry-After. A UDP checksum that is wrong drops the
 * datagram (0, none, is allowed).
 *
 * Edits happen in place: the shorter side of the message moves (into the
 * headroom or the tailroom), never the whole message.
 */
#ifndef SIPLB_PROXY_H
#define SIPLB_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "siplb/state.h"

/* The largest UDP payload in IPv4 (65,535 - 20 - 8): what siplb forwards
 * whole; a request our edits would push past it is answered 513. */
#define SLB_UDP_MAX_PAYLOAD 65507u

/* A VIP's part of our Via and Record-Route, formatted once and kept by
 * the worker (slb_proxy_handle makes it again when the VIP's address or
 * port is not the one it was made from): formatting it per packet cost
 * about 200 instructions. */
struct slb_vip_text {
	uint32_t addr;       /* the VIP it was made from, network order */
	uint16_t port;
	uint8_t host_len;    /* the VIP's host text (slb_vip.host) */
	uint8_t via_len;     /* 0: not made yet */
	uint8_t rr_len;
	char via[64];        /* "Via: SIP/2.0/UDP host:port;branch=" SLB_BRANCH_PREFIX */
	char rr[56];         /* "Record-Route: <sip:host:port;lr;slb=" */
};

/* A source's marks on its Via as text (RFC 3261 §18.2.1, RFC 3581), kept
 * per worker for the few sources (SBCs) that send most requests:
 * "=port;received=a.b.c.d", its folded sum counted from its first byte. */
#define SLB_SENDER_SLOTS 64
struct slb_sender_text {
	uint32_t addr;       /* network order */
	uint16_t port;       /* network order */
	uint8_t len;         /* of text; 0: an empty slot */
	uint8_t ip_len;      /* the dotted quad's, the text's last bytes */
	uint16_t sum;
	char text[38];
};

/* A frame in a buffer with room around it (an mbuf's data, a reassembled
 * datagram's buffer, or a test's). 32-bit lengths: Ethernet + the largest
 * IPv4 datagram is 65,549 bytes. */
struct slb_frame {
	uint8_t *data;      /* Ethernet header */
	uint32_t len;       /* frame length */
	uint32_t headroom;  /* bytes usable before data */
	uint32_t tailroom;  /* bytes usable after data + len */
	bool l4_cksum_good; /* the port verified the UDP checksum (RX offload) */
};

struct slb_rules_worker; /* dataplane/sip_rules.h */

/* What a worker hands the proxy: the generation it announced this burst. */
struct slb_proxy_view {
	const struct slb_state *state;
	const uint32_t *tables;        /* this generation's maglev slot */
	struct slb_vip_text *vip_text; /* [SLB_MAX_VIPS], this worker's own: the
					* proxy fills them as it needs them */
	struct slb_lcore_stats *stats; /* this worker's counters */
	uint64_t branch_seed;          /* shared by all instances (config) */
	bool udp_cksum_offload;        /* the port fills the UDP checksum */
	uint16_t ip_mtu;               /* largest IPv4 packet to send unfragmented;
					* 0: no limit */
	struct slb_rules_worker *rules; /* synced to state (sip_rules.h); NULL: none */
	struct slb_sender_text *senders; /* [SLB_SENDER_SLOTS], this worker's own;
					  * NULL: the marks made per request */
	bool edit_list_only;            /* tests: every request rewritten by the edit
					 * list, to compare with the head built in place */
};

enum slb_action {
	SLB_ACTION_DROP = 0,  /* counted in stats by reason */
	SLB_ACTION_SEND,      /* frame rewritten: send it to next_hop */
	SLB_ACTION_REASSEMBLE, /* an IPv4 fragment to a proxy VIP: hand back the
				* whole datagram once reassembled */
};

struct slb_out {
	uint32_t next_hop;    /* IPv4, network order: whose MAC to put in dst */
	bool cksum_offload;   /* UDP checksum left to the port: pseudo-header in place */
	bool fragment;        /* larger than ip_mtu: DF clear and checksums complete,
			       * for the caller to send as IPv4 fragments */
};

/*
 * Handles one frame. On SLB_ACTION_SEND, f->data/len describe the rewritten
 * frame (IPv4 and UDP headers and checksums done, MAC addresses not: the
 * caller puts its port's MAC in src and next_hop's in dst).
 */
enum slb_action slb_proxy_handle(const struct slb_proxy_view *v, struct slb_frame *f,
				 struct slb_out *out);

/*
 * Handles frames f[0..n) as slb_proxy_handle each (act[i], out[i]), except
 * that the routing rules of the requests that have some run back to back
 * once every frame has been scanned (SLB_PROXY_BURST such requests at a
 * time, in the frames' order): Hyperscan's code and databases are
 * then loaded into the caches once per burst, not once per request, where
 * the scanner's, the rewrite's and the PMD's own evicted them in between
 * (bench/RESULTS.md, "Routing rules"). The rules see the requests in the
 * burst's order; each frame's rewrite comes after every frame's scan.
 */
#define SLB_PROXY_BURST 32
void slb_proxy_handle_burst(const struct slb_proxy_view *v, struct slb_frame *f, unsigned n,
			    struct slb_out *out, enum slb_action *act);

/* Our Record-Route/Via parameter that names a backend: ";slb=<id>". */
#define SLB_BACKEND_PARAM "slb"
/* Branch prefix of our Via: magic cookie + "slb". Then 16 hex digits (a
 * hash of the request), 16 hex digits (the MAC) and, on requests to a
 * backend, "-" and its id. */
#define SLB_BRANCH_PREFIX "z9hG4bKslb"

#endif
