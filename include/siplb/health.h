/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health of backends (docs/health.md), in two parts:
 *
 * Active: a prober sends SIP OPTIONS over UDP to each target every interval
 * (Kamailio's dispatcher: ds_ping_interval) and moves it between up, down
 * and probing after `fall` failures (ds_probing_threshold) or `rise`
 * successes (ds_inactive_threshold). A reply counts as alive by its status
 * code (ds_ping_reply_codes); no reply within the timeout, a code that does
 * not count, or an ICMP port unreachable (read from the socket's error
 * queue, IP_RECVERR / IPV6_RECVERR) is a failure. ICMP makes that probe fail
 * at once instead of at its timeout; it is one failure towards `fall` like
 * any other, so a backend restarting in under fall x interval does not flap.
 *
 * Passive: a decision on the per-backend counters the dataplane keeps
 * (requests forwarded, responses, final responses, 503s), so that a backend
 * that stops answering the traffic it gets, or answers it with 503s, is
 * marked down (slb_health_mark_down) before its probes would notice.
 *
 * The prober has no thread: it exposes its sockets (slb_health_fds) and the
 * time to its next deadline (slb_health_timeout_ms); the caller polls them
 * and calls slb_health_process when a socket is readable or the time is up.
 * Time is CLOCK_MONOTONIC.
 */
#ifndef SIPLB_HEALTH_H
#define SIPLB_HEALTH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/addr.h"
#include "siplb/state.h"

/* Status codes 100..699 as a bitmap indexed by the code. */
#define SLB_HEALTH_CODE_LIMIT 700
#define SLB_HEALTH_CODE_WORDS ((SLB_HEALTH_CODE_LIMIT + 63) / 64)
#define SLB_HEALTH_URI_LEN 128
#define SLB_HEALTH_REASON_LEN 96

struct slb_health_config {
	uint32_t interval_ms;  /* one probe per target per interval */
	uint32_t timeout_ms;   /* no reply by then: failure; <= interval_ms */
	uint32_t rise;         /* consecutive successes: down -> up */
	uint32_t fall;         /* consecutive failures: up -> down */
	/* Codes that count as alive; slb_health_config_init sets every final
	 * code except 503. 1xx never counts: a provisional reply only says
	 * the request arrived, the probe waits for the final one. */
	uint64_t alive_codes[SLB_HEALTH_CODE_WORDS];
	char from_uri[SLB_HEALTH_URI_LEN]; /* "" = sip:siplb@<our address> */
	/* Sources to bind; INADDR_ANY / in6addr_any and port 0 let the
	 * kernel choose (the Via then names the route's source address). */
	struct sockaddr_in source4;
	struct sockaddr_in6 source6;
};

struct slb_health_target {
	uint32_t id;          /* the caller's: a backend id, unique per prober */
	struct slb_addr a;    /* where its probes go */
};

struct slb_health_counters {
	uint64_t sent;        /* probes sent */
	uint64_t send_errors; /* sendto failed (counted as a failure too) */
	uint64_t alive;       /* final replies with an alive code */
	uint64_t bad_code;    /* final replies with another code */
	uint64_t provisional; /* 1xx replies (ignored) */
	uint64_t timeouts;
	uint64_t icmp;        /* ICMP port (or host) unreachable */
	uint64_t late;        /* replies to a probe already given up on */
};

/* Datagrams on the probe sockets that matched no target. */
struct slb_health_stray {
	uint64_t junk;        /* not a SIP response the scanner accepts */
	uint64_t unknown;     /* a SIP response to no probe of ours */
	uint64_t errqueue;    /* error-queue messages for no probe of ours */
};

/* Round trips of final replies, as a Prometheus histogram's buckets
 * (docs/metrics.md): bucket[i] counts replies within bounds[i] but above
 * bounds[i - 1]; bucket[SLB_HEALTH_LATENCY_BUCKETS] those above the last. */
#define SLB_HEALTH_LATENCY_BUCKETS 12
#define SLB_HEALTH_LATENCY_BOUNDS_US                                                   \
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, \
	2500000
struct slb_health_latency {
	uint64_t bucket[SLB_HEALTH_LATENCY_BUCKETS + 1];
	uint64_t sum_us;
};

/* Counts rtt_us into l. */
void slb_health_latency_add(struct slb_health_latency *l, int64_t rtt_us);

struct slb_health_status {
	enum slb_backend_state state; /* UP, DOWN or PROBING */
	uint32_t streak;      /* consecutive failures (up) or successes (probing) */
	int64_t rtt_us;       /* latency of the last final reply; -1 before one */
	uint16_t last_code;   /* status of the last final reply; 0 before one */
	uint64_t changed_ns;  /* CLOCK_MONOTONIC of the last state change */
	char reason[SLB_HEALTH_REASON_LEN]; /* why the last change happened */
	struct slb_health_counters counters;
	struct slb_health_latency latency; /* of every final reply */
};

/*
 * A state change: the target's id, its old and new state, and why:
 * "3 timeouts", "503 Service Unavailable x2", "ICMP port unreachable x3",
 * "200 OK" (down -> probing), "200 OK x2" (-> up), or the passive reason.
 */
typedef void (*slb_health_change_cb)(void *arg, uint32_t id,
				     enum slb_backend_state from,
				     enum slb_backend_state to, const char *reason);

struct slb_health;

/* Defaults: interval 5 s, timeout 2 s, rise 2, fall 3, codes 200..699 but
 * 503, any source. */
void slb_health_config_init(struct slb_health_config *c);

/*
 * Parses a reply code list into c->alive_codes, replacing it: codes
 * ("200") and classes ("2xx") separated by commas, e.g. "2xx,404".
 * 1xx and codes outside 200..699 are refused. Returns 0, or -1 with a
 * reason in err (c unchanged).
 */
int slb_health_parse_codes(struct slb_health_config *c, const char *text,
			   char *err, size_t errlen);

bool slb_health_code_alive(const struct slb_health_config *c, unsigned code);

/* Checks c (thresholds >= 1, timeout <= interval, ...). */
int slb_health_config_check(const struct slb_health_config *c, char *err, size_t errlen);

/*
 * Opens one UDP socket per family (IPv6 only if the kernel has it).
 * Returns NULL with a reason in err.
 */
struct slb_health *slb_health_create(const struct slb_health_config *c,
				     slb_health_change_cb cb, void *arg,
				     char *err, size_t errlen);
void slb_health_destroy(struct slb_health *h);

/*
 * Adds a target in state `initial` (UP or DOWN: a reload passes what the
 * old prober knew; PROBING: a backend new at run time, up after `rise`
 * successes). Its first probe goes out within a quarter interval
 * (spread so that targets added together are not probed in one burst).
 * Returns 0, or -1 with a reason (duplicate id, an address and port
 * probed already, family without a socket, no route, bad state, out of
 * memory).
 */
int slb_health_add(struct slb_health *h, const struct slb_health_target *t,
		   enum slb_backend_state initial, char *err, size_t errlen);

/* Stops probing id; a late reply to it counts as unknown. -1 if absent. */
int slb_health_remove(struct slb_health *h, uint32_t id);

/* The target's state and counters, or NULL if absent. */
const struct slb_health_status *slb_health_status(const struct slb_health *h, uint32_t id);

const struct slb_health_stray *slb_health_stray(const struct slb_health *h);

/* The sockets to poll for POLLIN (errors arrive as POLLERR on the same).
 * Returns how many were written to fds (1 or 2). */
int slb_health_fds(const struct slb_health *h, int fds[2]);

/* Milliseconds until slb_health_process has something to do; -1: never
 * (no targets). Rounded up, so polling that long never wakes early. */
int slb_health_timeout_ms(const struct slb_health *h);

/* Reads every pending reply and error on both sockets (non-blocking), then
 * expires timed-out probes and sends the probes that are due. */
void slb_health_process(struct slb_health *h);

/*
 * Passive health or an operator: puts an UP or PROBING target down now, with
 * reason; it comes back by its probes (rise successes). Returns 1 if the
 * state changed, 0 if it was already down, -1 if id is absent.
 */
int slb_health_mark_down(struct slb_health *h, uint32_t id, const char *reason);

/* ---- passive health: a decision on dataplane counters ------------------- */

struct slb_passive_config {
	/* Silent: no response at all for silence_ms while at least
	 * min_requests requests went to the backend. 0 disables. */
	uint32_t silence_ms;
	uint32_t min_requests;
	/* Overloaded: in a window of window_ms with at least min_finals final
	 * responses, max_503_pct percent or more of them were 503. 0 disables. */
	uint32_t window_ms;
	uint32_t min_finals;
	uint32_t max_503_pct;
};

/* Cumulative per-backend counters, as the dataplane sums them. */
struct slb_passive_counts {
	uint64_t requests;  /* requests forwarded to the backend */
	uint64_t responses; /* responses from it, 1xx included */
	uint64_t finals;    /* of those, final (>= 200) */
	uint64_t r503;      /* of those, 503 */
};

/* Per-backend memory of the decision; zero it (or slb_passive_reset) first. */
struct slb_passive {
	bool primed;
	struct slb_passive_counts last;   /* at the previous call */
	uint64_t unanswered_since_ns;     /* first request after the last response; 0: none */
	uint64_t requests_at_response;    /* requests when a response was last seen */
	struct slb_passive_counts window; /* at the start of the 503 window */
	uint64_t window_ns;
};

enum slb_passive_verdict {
	SLB_PASSIVE_OK = 0,
	SLB_PASSIVE_SILENT,
	SLB_PASSIVE_OVERLOADED,
};

/* Defaults: silence 5 s with 20 requests; 503 share 50 % over 10 s with at
 * least 20 finals (docs/health.md says why). */
void slb_passive_config_init(struct slb_passive_config *c);

/* Forgets what p saw (call it when the backend comes back up). */
void slb_passive_reset(struct slb_passive *p);

/*
 * Feeds one sample of counts taken at now_ns (call it every second or so)
 * and says whether the backend should go down now, with a reason in
 * reason ("20 requests, no response in 5.0 s", "503 for 60% of 40 final
 * responses in 10.0 s"). Counters that went backwards (a restarted
 * dataplane) start the memory again: no verdict on that sample.
 */
enum slb_passive_verdict slb_passive_update(const struct slb_passive_config *c,
					    struct slb_passive *p,
					    const struct slb_passive_counts *now,
					    uint64_t now_ns, char *reason, size_t len);

#endif
