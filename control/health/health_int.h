/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the prober: what health.c (state, timers) and probe_io.c (the
 * wire) share. Not installed, not for siplbd. */
#ifndef SIPLB_HEALTH_INT_H
#define SIPLB_HEALTH_INT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "siplb/health.h"
#include "siplb/sip_scan.h"

#define HOST_LEN (INET6_ADDRSTRLEN + 2) /* with IPv6 brackets */
#define CODE_TEXT_LEN 48

struct slb_probe_target {
	bool used;
	struct slb_health_target t;
	struct sockaddr_storage sa; /* where probes go */
	socklen_t salen;
	char host[HOST_LEN];        /* the target, as a URI host */
	char via_host[HOST_LEN];    /* our address as the target sees it */
	uint64_t next_send_ns;
	uint64_t deadline_ns;       /* of the probe in flight; 0: none */
	uint64_t sent_ns;
	uint32_t seq;               /* probes sent: in Call-ID, branch, CSeq */
	/* The failures of the current streak, by kind, for the reason. */
	uint32_t n_timeout, n_icmp, n_code, n_send;
	char last_code_text[CODE_TEXT_LEN];
	char last_icmp_text[CODE_TEXT_LEN];
	bool judged;                /* a probe has answered or a change happened */
	struct slb_health_status st;
};

struct slb_health {
	struct slb_health_config cfg;
	slb_health_change_cb cb;
	void *arg;
	int fd4, fd6;               /* fd6 -1 without IPv6 */
	uint16_t port4, port6;      /* our bound ports, for the Via */
	uint64_t nonce;
	struct slb_probe_target *slots;
	uint32_t n_slots;
	struct slb_health_stray stray;
	uint8_t rx[SLB_SIP_MAX_LEN];  /* one datagram being read */
};

static inline uint64_t slb_health_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The wire (probe_io.c), called by the state machine (health.c) and never
 * calling it: a probe's outcome goes up through the callback below, which
 * health.c passes to slb_probe_receive.
 */

/* A reply or an ICMP error settled the probe in flight to tg: alive names
 * the reply ("200 OK"); NULL is a failure, already counted by kind in tg. */
typedef void slb_probe_outcome_fn(struct slb_health *h, struct slb_probe_target *tg,
				  const char *alive);

int slb_probe_open(struct slb_health *h, char *err, size_t errlen);
int slb_probe_address(const struct slb_health *h, struct slb_probe_target *tg,
		      char *err, size_t errlen);
/* 0, or -1 when the send failed (counted in tg: a failure of the probe). */
int slb_probe_send(struct slb_health *h, struct slb_probe_target *tg, uint64_t now);
void slb_probe_receive(struct slb_health *h, int fd, slb_probe_outcome_fn *outcome);

#endif
