/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's routes and neighbours over rtnetlink (libmnl), for both
 * programs that follow them: siplbd's DSR next hops (control/nexthops.c)
 * and siplb-dp's neighbour cache (dataplane/dp_neigh.c). Each keeps two
 * sockets: one that asks (a get, or a request the kernel acknowledges) and
 * waits at most SLB_NL_TIMEOUT_MS for the answer, and one subscribed to
 * events that says when to ask again. A socket is used by one thread.
 */
#ifndef SIPLB_NETLINK_H
#define SIPLB_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#define SLB_NL_BUF_SIZE 32768   /* one netlink datagram (dumps fill up to 32 KiB) */
#define SLB_NL_MSG_SIZE 256     /* one request we build */
#define SLB_NL_TIMEOUT_MS 1000  /* longest wait for the kernel's answer */

struct slb_nl {
	struct mnl_socket *sock;
	uint32_t portid, seq;
	char buf[SLB_NL_BUF_SIZE] __attribute__((aligned(8)));
};

/* groups 0: a request socket (answers time out); else subscribed to the
 * RTMGRP_* groups. 0, or -1 with "who: netlink ..." in err. */
int slb_nl_open(struct slb_nl *nl, unsigned groups, const char *who, char *err,
		size_t errlen);
void slb_nl_close(struct slb_nl *nl);
int slb_nl_fd(const struct slb_nl *nl);

/* The header of a request of type into buf (SLB_NL_MSG_SIZE, aligned). */
struct nlmsghdr *slb_nl_request(char *buf, uint16_t type, uint16_t flags);

/* Sends nlh and feeds the answers to cb: until the kernel is done when
 * until_done (a dump, or a request with NLM_F_ACK), else the one answer of a
 * plain get. 0, or -errno: the kernel's error (-EINTR: a dump changed under
 * way), or -EAGAIN when it did not answer in time. */
int slb_nl_talk(struct slb_nl *nl, struct nlmsghdr *nlh, bool until_done, mnl_cb_t cb,
		void *data);

/* Feeds up to max pending event datagrams (0: all) to cb without waiting.
 * 0 when none is left or max were read, -ENOBUFS when the kernel dropped
 * events (the caller must look at everything again), else -errno. */
int slb_nl_events(struct slb_nl *nl, unsigned max, mnl_cb_t cb, void *data);

struct slb_nl_route {
	int oif;                 /* output interface; 0: none */
	uint8_t type;            /* RTN_* */
	bool has_gw;             /* gw holds the gateway, of the route's family */
	bool other_family_gw;    /* an RFC 5549 gateway (RTA_VIA): has no neighbour of ours */
	uint8_t gw[16];
};

/* The kernel's route to dst (AF_INET or AF_INET6, network order), as for a
 * packet this host sends. */
int slb_nl_route_get(struct slb_nl *nl, int family, const void *dst, struct slb_nl_route *r);

/* Asks the kernel to resolve addr on ifindex as if it sent a packet there
 * (NTF_USE, see netlink.c). The MAC comes later, as an RTM_NEWNEIGH event. */
int slb_nl_neigh_use(struct slb_nl *nl, int family, int ifindex, const void *addr);

#endif
