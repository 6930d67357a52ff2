/* SPDX-License-Identifier: BSD-3-Clause */
/* The uac thread's insides, shared by uac.c (engine), uac_msg.c (the
 * requests it builds) and uac_rx.c (what it does with what it receives). */
#ifndef SIPLB_BENCH_UAC_INT_H
#define SIPLB_BENCH_UAC_INT_H

#include "net.h"
#include "sipmsg.h"
#include "uac.h"
#include "wheel.h"

enum call_state { ST_FREE, ST_INVITE, ST_HOLD, ST_BYE, ST_REGISTER, ST_OPTIONS };

/* One open scenario. Everything a request needs is here, so a
 * retransmission is built again rather than kept. */
struct call {
	uint32_t gen;           /* bumped on reuse: Call-IDs never repeat */
	uint32_t cseq;
	uint8_t scen, state, sock, txn; /* txn: the branch's counter */
	bool provisional;       /* a 1xx arrived: Timer A stops (RFC 3261 17.1.1.2) */
	bool lossy;             /* this transaction was retransmitted */
	uint8_t rtag_len, contact_len;
	uint16_t route_len;     /* Route lines, or a REGISTER's Authorization line */
	uint32_t retx_ms;       /* the current Timer A/E interval */
	uint64_t t_first;       /* the transaction's first send (ns) */
	uint64_t t_retx;        /* next retransmission (ns), 0: none */
	uint64_t t_end;         /* Timer B/F, or the end of the hold (ns) */
	char rtag[48];
	char contact[96];
	char route[256];
};

struct uac_thread {
	int id;
	pthread_t tid;
	const struct bench_opts *o;
	struct uac_ctl *ctl;
	struct uac_stats *st;
	int fd[BENCH_MAX_SOCKETS];
	uint16_t port[BENCH_MAX_SOCKETS];
	struct net_tx *tx[BENCH_MAX_SOCKETS];
	struct net_rx *rx;
	struct sockaddr_storage target;
	struct call *calls;
	uint32_t *free, nfree, cap;
	struct wheel *wheel;
	char cid_prefix[32];    /* "<run>-<thread>-": what marks our Call-IDs */
	size_t cid_prefix_len;
	uint64_t now;
	/* the step being run (from ctl) */
	uint64_t step, started_in_step, limit, started_total;
	struct uac_plan cur;
	uint64_t mix_n;
};

/* uac_msg.c */
void uac_build(struct uac_thread *t, const struct call *c, struct out *o);
void uac_build_ack(struct uac_thread *t, const struct call *c, struct out *o, bool for_2xx);

/* uac.c */
void uac_send(struct uac_thread *t, struct call *c, bool ack, bool for_2xx);
void uac_txn_begin(struct uac_thread *t, struct call *c, uint8_t state);
void uac_arm(struct uac_thread *t, struct call *c);
void uac_finish(struct uac_thread *t, struct call *c, bool ok);
struct net_tx *uac_tx(struct uac_thread *t, unsigned sock);

/* uac_rx.c */
void uac_receive(struct uac_thread *t, unsigned sock, const uint8_t *buf, size_t len,
		 const struct sockaddr_storage *from);

#endif
