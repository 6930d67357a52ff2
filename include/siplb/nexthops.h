/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSR next hops (siplbd): where the XDP program sends a backend's
 * encapsulated packets. For every backend of a pool that a DSR VIP uses,
 * the kernel's route to it (gateway or on-link, output interface), the next
 * hop's MAC from the neighbour table, and the output interface's MAC and MTU
 * become nexthop[backend id] (xdp.h). A MAC the kernel does not know yet is
 * asked for (RTM_NEWNEIGH with NTF_USE: the kernel sends the ARP or ND
 * request as for its own traffic); until it is known the entry is absent
 * and the program hands the backend's packets to the kernel.
 *
 * siplbd calls slb_nexthops_refresh() every second, after every publish and
 * when the netlink socket (slb_nexthops_fd) reports a neighbour, route or
 * link change; entries of backends that are gone or cannot be resolved are
 * deleted. Changes are logged.
 */
#ifndef SIPLB_NEXTHOPS_H
#define SIPLB_NEXTHOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "siplb/state.h"

struct slb_nexthops;

/* Takes over the nexthop map (its current entries are known from then on:
 * a restarted siplbd logs only real changes). NULL with a reason. */
struct slb_nexthops *slb_nexthops_open(int map_fd, char *err, size_t errlen);
void slb_nexthops_close(struct slb_nexthops *n);

/* The netlink event socket, to poll for POLLIN. */
int slb_nexthops_fd(const struct slb_nexthops *n);

/* Reads what is pending on the socket; true when a next hop may have changed. */
bool slb_nexthops_events(struct slb_nexthops *n);

/* Resolves the DSR backends of s (the active generation) and brings the map
 * in line. */
void slb_nexthops_refresh(struct slb_nexthops *n, const struct slb_state *s);

#endif
