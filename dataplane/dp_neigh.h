/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop MAC addresses for siplb-dp, from the kernel's neighbour table
 * (netlink). A control thread keeps a lock-free hash of destination IPv4 ->
 * (DPDK port, next-hop MAC) up to date: it dumps routes and neighbours,
 * follows RTM_NEWNEIGH/RTM_DELNEIGH events, and resolves what workers miss
 * (route lookup for the gateway, then RTM_NEWNEIGH with NTF_USE so the kernel
 * sends the ARP request). Workers only look up; a miss asks for resolution
 * through a lock-free ring and the packet is dropped and counted (SIP over
 * UDP retransmits).
 */
#ifndef SIPLB_DP_NEIGH_H
#define SIPLB_DP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct slb_neigh;

/* A DPDK port the kernel also knows (af_xdp, af_packet): its interface. */
struct slb_neigh_port {
	uint16_t port_id;     /* DPDK port */
	const char *iface;    /* kernel interface name */
};

/* Starts the control thread. NULL with a reason in err. */
struct slb_neigh *slb_neigh_start(const struct slb_neigh_port *ports, unsigned n_ports,
				  char *err, size_t errlen);

/* Worker side, lock-free and without syscalls: the port and MAC to send a
 * packet for dst (IPv4, network order) to. false when unknown yet: resolution
 * is asked for (at most once per destination per 100 ms). */
bool slb_neigh_lookup(struct slb_neigh *n, uint32_t dst, uint16_t *port_id,
		      struct rte_ether_addr *mac);

void slb_neigh_stop(struct slb_neigh *n);

#endif
