/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The callee's answers, stateless as a bench wants them: 100, 180 and 200
 * with SDP to an INVITE, 200 to BYE, CANCEL, OPTIONS and REGISTER (401
 * first when --realm is set, 403 for wrong credentials), 501 otherwise; the
 * To tag is a hash of the Call-ID, so a retransmission gets the same
 * answer. With --callee-bye the callee hangs up itself, along the route
 * set of the INVITE's Record-Route (back through the load balancer).
 */
#ifndef SIPLB_BENCH_UAS_H
#define SIPLB_BENCH_UAS_H

#include "net.h"
#include "opts.h"
#include "sipmsg.h"
#include "stats.h"

/* Where one thread's answers go out. */
struct uas_io {
	int fd;
	struct net_tx *tx;
	struct be_stats *st;
	uint64_t now;
};

struct uas;

/* One per thread; port: the one the sockets share (for Via and Contact). */
struct uas *uas_new(const struct bench_opts *o, uint16_t port);
void uas_free(struct uas *u);
void uas_request(struct uas *u, struct uas_io *io, const uint8_t *buf,
		 const struct slb_sip_msg *m, const struct sockaddr_storage *from);
void uas_response(struct uas_io *io, const struct slb_sip_msg *m);
/* Sends the callee BYEs that are due. */
void uas_tick(struct uas *u, struct uas_io *io);

#endif
