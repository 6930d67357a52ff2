/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's side of the ports it also sees: it resolves next hops
 * (dp_neigh), siplb's XDP program must hand SIP to the af_xdp sockets
 * (xdp_attach), and on af_packet ports, which copy traffic to the kernel
 * instead of taking it, it must not answer SIP itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_neigh.h"
#include "siplb/xdp_attach.h"
#include "siplb_dp.h"

#define SLB_DRIVER_AF_XDP "net_af_xdp"
#define SLB_DRIVER_AF_PACKET "net_af_packet"

/* Ports with a kernel interface and no --static-mac resolve next hops
 * through the kernel's neighbour table. */
static int start_neigh(struct slb_dp *dp, char *err, size_t errlen)
{
	struct slb_neigh_port np[RTE_MAX_ETHPORTS];
	unsigned n = 0;

	for (unsigned i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].iface[0] && !dp->ports[i].has_static_mac)
			np[n++] = (struct slb_neigh_port){ dp->ports[i].id, dp->ports[i].iface };
	if (!n)
		return 0;
	char why[256];
	dp->neigh = slb_neigh_start(np, n, why, sizeof(why));
	if (!dp->neigh) {
		snprintf(err, errlen, "neighbour table: %s", why);
		return -1;
	}
	return 0;
}

static bool siplbds(const struct slb_config *c, const char *iface)
{
	for (uint32_t i = 0; i < c->xdp.n_ifaces; i++)
		if (!strcmp(c->xdp.ifaces[i], iface))
			return true;
	return false;
}

/*
 * Guards: a bound UDP socket per proxy VIP that is never read keeps the
 * kernel, which may own the VIP (it answers ARP for it), from answering SIP
 * with ICMP port unreachable, which fails the client's transaction (RFC 3261
 * §18.4) where a silent drop makes it retransmit. IP_FREEBIND binds even when
 * the VIP is not a local address, and a filter that accepts nothing drops
 * the datagrams before they queue up.
 *
 * An af_packet port gives the kernel a copy of every frame: its guards stay
 * for the process's life and follow reloads (slb_dp_kernel_follow). On af_xdp ports they cover the start: from the
 * dead siplb-dp's program detached (slb_dp_kernel_reclaim) until siplb's
 * program steers again (take_over), the kernel sees the clients'
 * retransmissions, for a few ms on an idle core but for hundreds on a
 * starved one (docs/dataplane.md, Restart).
 */
static int guard_vip(const struct slb_vip *vip, struct slb_dp_guard *g, char *err,
		     size_t errlen)
{
	static struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { 1, drop_all };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = vip->port,
				  .sin_addr.s_addr = vip->addr };
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*g = (struct slb_dp_guard){ fd, vip->addr, vip->port };
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		struct slb_addr a = SLB_STATE_ADDR(vip);
		char ep[SLB_ADDR_TEXT_LEN];
		int e = errno; /* before formatting, which may set it */

		slb_addr_format(&a, SLB_ADDR_ENDPOINT, ep, sizeof(ep));
		snprintf(err, errlen, "VIP %s %s: kernel socket to keep the kernel from "
			 "answering SIP: %s%s", vip->name, ep, strerror(e),
			 e == EADDRINUSE ? " (another program listens there)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

static bool guarded_vip(const struct slb_vip *v)
{
	return v->mode == SLB_MODE_PROXY && v->family == AF_INET;
}

static int guard_vips(struct slb_dp *dp, const struct slb_state *s, char *err, size_t errlen)
{
	for (unsigned i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		if (!guarded_vip(&s->vips[i]))
			continue;
		if (guard_vip(&s->vips[i], &dp->guards[dp->n_guards], err, errlen))
			return -1;
		dp->n_guards++;
	}
	return 0;
}

static void close_guards(struct slb_dp *dp)
{
	for (unsigned i = 0; i < dp->n_guards; i++)
		if (dp->guards[i].fd >= 0)
			close(dp->guards[i].fd);
	dp->n_guards = 0;
}

/* A guard's fd besides a socket: taken into the next generation's list, or
 * not opened (tried again with each generation, logged once). */
#define GUARD_TAKEN (-1)
#define GUARD_FAILED (-2)

/* v's guard (open or GUARD_FAILED), taken out of dp->guards, or false. */
static bool take_guard(struct slb_dp *dp, const struct slb_vip *v, struct slb_dp_guard *g)
{
	for (unsigned i = 0; i < dp->n_guards; i++)
		if (dp->guards[i].fd != GUARD_TAKEN && dp->guards[i].addr == v->addr &&
		    dp->guards[i].port == v->port) {
			*g = dp->guards[i];
			dp->guards[i].fd = GUARD_TAKEN;
			return true;
		}
	return false;
}

/*
 * An af_packet port gives the kernel a copy of every frame for the process's
 * life, so the guards follow the proxy VIPs of each generation: a VIP that a
 * reload adds gets one, one that it removes gives its up. A few system calls
 * per new VIP, on the main lcore's worker, once per generation (health
 * changes make generations too). A VIP whose guard cannot be opened (another
 * program holds its port) is forwarded all the same; it is logged once and
 * tried again with each generation.
 */
void slb_dp_kernel_follow(struct slb_dp *dp, uint64_t g, const struct slb_state *s)
{
	struct slb_dp_guard next[SLB_MAX_VIPS];
	unsigned n = 0;
	char err[512];

	dp->guards_gen = g;
	for (unsigned i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		const struct slb_vip *v = &s->vips[i];
		struct slb_dp_guard *gd = &next[n];
		bool had;

		if (!guarded_vip(v))
			continue;
		n++;
		had = take_guard(dp, v, gd);
		if (had && gd->fd != GUARD_FAILED)
			continue; /* kept */
		if (!guard_vip(v, gd, err, sizeof(err))) {
			slb_log(SLB_LOG_INFO, "generation %" PRIu64 ": VIP %s guarded", g, v->name);
			continue;
		}
		slb_log(had ? SLB_LOG_DEBUG : SLB_LOG_WARNING, "generation %" PRIu64 ": %s: the "
			"kernel answers this VIP's SIP too", g, err); /* said once per VIP */
		gd->fd = GUARD_FAILED;
	}
	close_guards(dp); /* those of VIPs gone; the kept ones are GUARD_TAKEN there */
	memcpy(dp->guards, next, n * sizeof(next[0]));
	dp->n_guards = n;
}

/* The active state, read as the main lcore's reader would: registered, so
 * that siplbd does not reuse the slot while we read it. */
static const struct slb_state *current_state(struct slb_dp *dp)
{
	unsigned reader = dp->lcores[rte_get_main_lcore()]->reader;

	slb_reader_heartbeat(&dp->maps, reader);
	return slb_state_of(&dp->maps, slb_reader_enter(&dp->maps, reader));
}

/*
 * Before a port whose interface the kernel also sees, unless an earlier
 * port opened them: an af_packet port cannot start without its guards; an
 * af_xdp port can (a warning): only its start's window is then uncovered.
 */
static int open_guards(struct slb_dp *dp, const struct slb_dp_port *p, char *err,
		       size_t errlen)
{
	bool af_packet = !strcmp(p->driver, SLB_DRIVER_AF_PACKET);
	char why[512];

	if (dp->n_guards || (!af_packet && strcmp(p->driver, SLB_DRIVER_AF_XDP)))
		return 0;
	if (!guard_vips(dp, current_state(dp), why, sizeof(why)))
		return 0;
	close_guards(dp);
	if (af_packet) {
		snprintf(err, errlen, "port %s: %s", p->cfg->name, why);
		return -1;
	}
	slb_log(SLB_LOG_WARNING, "port %s: %s: the kernel may answer SIP while the port starts",
		p->cfg->name, why);
	return 0;
}

/*
 * Before an af_xdp port starts: a siplb-dp that was killed (no close) left
 * siplb's program on the interface, and the PMD attaches its own only where
 * none is (XDP_FLAGS_UPDATE_IF_NOEXIST), so a restart would fail. Our reader
 * slots are claimed, so no siplb-dp on these maps still uses it: it goes
 * (bpf/siplb_xdp.c, slb_xdp_reclaim). An interface of siplbd's (xdp.interfaces,
 * which the config checks only against ports that name their iface) is left
 * to siplbd, so the two never take it from each other.
 */
int slb_dp_kernel_reclaim(struct slb_dp *dp, struct slb_dp_port *p, char *err, size_t errlen)
{
	struct slb_xdp_report rep;
	char why[512], what[256];

	if (open_guards(dp, p, err, errlen))
		return -1;
	if (strcmp(p->driver, SLB_DRIVER_AF_XDP))
		return 0;
	if (siplbds(&dp->cfg, p->iface)) {
		snprintf(err, errlen, "port %s: %s is in xdp.interfaces, where siplbd attaches the XDP "
			 "program: an af_xdp port's interface is siplb-dp's alone", p->cfg->name,
			 p->iface);
		return -1;
	}
	if (slb_xdp_reclaim(&dp->maps, p->iface, &rep, why, sizeof(why))) {
		snprintf(err, errlen, "port %s (%s on %s): %s", p->cfg->name, p->driver, p->iface,
			 why);
		return -1;
	}
	p->reclaimed = rep.done == SLB_XDP_DETACHED;
	if (p->reclaimed) {
		slb_xdp_describe(&rep, p->iface, what, sizeof(what));
		slb_log(SLB_LOG_WARNING, "port %s: %s: left by a siplb-dp that did not close the "
			"port (killed?)", p->cfg->name, what);
		return slb_dp_wait_xsk_queues(dp, p, err, errlen);
	}
	return 0;
}

/*
 * Until siplb's program is in place (loading it takes the verifier a few
 * hundred ms), the PMD's placeholder steers the proxy VIPs' SIP to the
 * sockets rather than pass it to the kernel, which would answer ICMP port
 * unreachable: after a restart, clients' retransmissions are already
 * arriving. Without it (a warning), the kernel gets them for that time.
 */
static void steer_early(const struct slb_dp *dp, const struct slb_state *s)
{
	char why[512];

	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct slb_dp_port *p = &dp->ports[i];

		if (!strcmp(p->driver, SLB_DRIVER_AF_XDP) &&
		    slb_xdp_steer_early(p->iface, s, why, sizeof(why)))
			slb_log(SLB_LOG_WARNING, "port %s: %s", p->cfg->name, why);
	}
}

/*
 * The af_xdp PMD loaded and attached the program of its xdp_prog= option
 * (bpf/xdp_steer.o: without one, its default program would take every
 * packet, ARP included) and put its sockets into that program's xsks_map.
 * siplb's XDP program takes that program's place, atomically, with the same
 * xsks_map and the pinned maps: it steers SIP for the proxy VIPs of
 * whatever generation is active to the sockets, serves DSR VIPs itself and
 * passes the rest to the kernel. When the port closes, the PMD detaches
 * whatever program the interface has, so ours goes with it.
 */
static int take_over(const struct slb_dp *dp, const struct slb_dp_port *p, char *err,
		     size_t errlen)
{
	struct slb_xdp_report rep;
	char why[512], what[256];

	if (slb_xdp_take_over(&dp->maps, p->iface, &rep, why, sizeof(why))) {
		snprintf(err, errlen, "port %s (%s on %s): %s\n  start the port with siplb's "
			 "placeholder program: --vdev %s,iface=%s,xdp_prog=%s (siplb-dp "
			 "--print-xdp-prog)", p->cfg->name, p->driver, p->iface, why, p->cfg->name,
			 p->iface, slb_dp_xdp_prog());
		return -1;
	}
	slb_xdp_describe(&rep, p->iface, what, sizeof(what));
	slb_log(SLB_LOG_INFO, "port %s: %s: siplb's XDP program, with the PMD's sockets",
		p->cfg->name, what);
	return 0;
}

/* Asks for the backends' MACs now, so the first calls do not wait for ARP
 * (a miss costs a dropped datagram and a SIP retransmission, 500 ms). */
static void prefetch_backends(struct slb_dp *dp, const struct slb_state *s)
{
	struct rte_ether_addr mac;
	uint16_t port;

	/* IPv6 backends are DSR's, which the XDP program serves */
	for (uint32_t i = 0; dp->neigh && i < s->n_backends && i < SLB_MAX_BACKENDS; i++)
		if (s->backends[i].state != SLB_BACKEND_UNUSED && s->backends[i].family == AF_INET)
			slb_neigh_lookup(dp->neigh, s->backends[i].addr, &port, &mac);
}

int slb_dp_kernel_setup(struct slb_dp *dp, char *err, size_t errlen)
{
	const struct slb_state *s = current_state(dp);
	bool af_packet = false;

	steer_early(dp, s);
	/* the backends' MACs are asked for while siplb's program loads */
	if (start_neigh(dp, err, errlen))
		return -1;
	prefetch_backends(dp, s);
	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct slb_dp_port *p = &dp->ports[i];

		if (!strcmp(p->driver, SLB_DRIVER_AF_XDP) && take_over(dp, p, err, errlen))
			return -1;
		af_packet |= !strcmp(p->driver, SLB_DRIVER_AF_PACKET);
	}
	/* siplb's program steers the VIPs now: the start's guards have done */
	if (!af_packet)
		close_guards(dp);
	dp->guards_follow = af_packet; /* from the workers' first generation on */
	return 0;
}

void slb_dp_kernel_close(struct slb_dp *dp)
{
	close_guards(dp);
	if (dp->neigh)
		slb_neigh_stop(dp->neigh);
	dp->neigh = NULL;
}
