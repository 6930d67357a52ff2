/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP the fast way: non-blocking sockets, SO_REUSEPORT groups spread at
 * random over their sockets, and batches of BATCH datagrams in and out with
 * recvmmsg/sendmmsg (one system call per batch, no allocation).
 */
#ifndef SIPLB_BENCH_NET_H
#define SIPLB_BENCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "siplb/addr.h"

#define BATCH 64
#define TX_BUF 2048   /* every message siplb-bench builds fits */
#define RX_BUF 4096   /* longer datagrams are counted as truncated, not parsed */

struct net_tx {
	unsigned n;
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to[BATCH];
	char buf[BATCH][TX_BUF];
};

struct net_rx {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	char buf[BATCH][RX_BUF];
};

/* A UDP socket bound to addr; reuseport: one of a group on the same port. -1
 * with errno on failure. */
int net_socket(const struct slb_addr *addr, bool reuseport);
/* The group of fd (n sockets, fd the last one added) spreads datagrams at
 * random over its sockets instead of by 4-tuple: the load balancer sends
 * everything from one address and port. */
int net_spread(int fd, unsigned n);
/* The port the kernel gave fd. */
uint16_t net_local_port(int fd);

void net_rx_init(struct net_rx *r);
/* Up to BATCH datagrams; 0 when none is waiting. */
int net_recv(int fd, struct net_rx *r);

/* The buffer for the next message of t (flush t first when net_tx_full). */
static inline char *net_tx_next(struct net_tx *t)
{
	return t->buf[t->n];
}

static inline bool net_tx_full(const struct net_tx *t)
{
	return t->n == BATCH;
}

/* Queue the len bytes written at net_tx_next(t) for to. */
void net_tx_commit(struct net_tx *t, size_t len, const struct sockaddr_storage *to);
/* Send what t holds; returns the datagrams the kernel refused (counted by
 * the caller as send errors; UDP has no later chance for them). */
unsigned net_flush(int fd, struct net_tx *t);

/* Seconds since an arbitrary start, monotonic, in ns. */
uint64_t now_ns(void);

#endif
