/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the SRV module: the resolution round (srv.c) and the answer built
 * from it (srv_answer.c). */
#ifndef SIPLB_SRV_INT_H
#define SIPLB_SRV_INT_H

#include <ares.h>

#include "siplb/srv.h"

#define HOST_ADDRS 32 /* addresses kept per target name and round */

struct host {
	char name[SLB_SRV_NAME_LEN];
	uint32_t n_addrs;
	struct slb_addr addrs[HOST_ADDRS]; /* port 0 */
};

struct query {
	struct slb_srv *s;
	uint32_t host;  /* index into round.hosts */
	int type;       /* ns_t_a or ns_t_aaaa */
};

struct round {
	bool active;
	bool failed;
	char reason[SLB_SRV_REASON_LEN];
	uint32_t pending;          /* queries not answered yet */
	uint32_t ttl;              /* smallest so far, seconds */
	struct ares_srv_reply *srv;
	struct host *hosts;        /* the distinct SRV targets */
	uint32_t n_hosts;
	struct query *queries;
};

struct slb_srv {
	struct slb_srv_config cfg;
	struct slb_srv_callbacks cb;
	bool library, channel;     /* what destroy must undo */
	ares_channel ch;
	struct round r;
	uint64_t next_ns;          /* next round, when none is active */
	struct slb_srv_result result;
	struct slb_srv_counters counters;
};

/*
 * The answer side (srv_answer.c), called by the round (srv.c) and never
 * calling it: each function works on the round it is given; name is the
 * SRV name, for reasons.
 */

/* The first failure of a round is its reason; the round goes on so that
 * all its queries end before its memory goes. */
void slb_srv_fail(struct round *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The SRV answer into the round; -1 (round failed) or 0. */
int slb_srv_take_records(struct round *r, const char *name, const unsigned char *abuf, int alen);
/* An A or AAAA answer into its host. */
void slb_srv_add_addresses(struct round *r, const struct query *q,
			   const unsigned char *abuf, int alen);
/* The round's answer, sorted; fails the round when it has no address. */
void slb_srv_build(struct round *r, const char *name, struct slb_srv_result *out);
bool slb_srv_same(const struct slb_srv_result *a, const struct slb_srv_result *b);

#endif
