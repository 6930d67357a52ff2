/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSR next hops from the kernel's routes, links and neighbours
 * (include/siplb/nexthops.h). One request socket asks the kernel (route,
 * link, neighbour gets; NTF_USE to have a MAC resolved); one event socket
 * says when to ask again (both: dataplane/lib/netlink.c). A backend's entry mirrors what is in the map, so
 * only changes are written and logged.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "siplb/log.h"
#include "siplb/netlink.h"
#include "siplb/nexthops.h"
#include "siplb/publish.h"
#include "siplb/xdp.h"

#define SOLICIT_MS 1000     /* a backend's MAC is asked for at most this often */
#define WHY_LEN 160
#define NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

struct entry {
	bool present;          /* in the map, as nh */
	struct slb_nexthop nh;
	int oif;               /* output interface of the last route lookup; 0: none */
	char why[WHY_LEN];     /* why it is unresolved, as last logged; "" */
	uint64_t solicited_ms;
};

struct slb_nexthops {
	int map_fd;
	struct slb_nl ev, req;
	struct entry e[SLB_MAX_BACKENDS];
};

/* What the kernel says about one backend. */
struct resolved {
	struct slb_nexthop nh;
	char via[INET6_ADDRSTRLEN];
	char dev[IF_NAMESIZE];
	char why[WHY_LEN];     /* "" when resolved */
};

struct link {
	bool ether;
	uint8_t mac[6];
	uint32_t mtu;
	char name[IF_NAMESIZE];
};

struct neigh {
	uint16_t state;        /* NUD_NONE when the kernel has no entry */
	bool has_mac;
	uint8_t mac[6];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- netlink requests -------------------------------------------------------- */

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;
	struct link *l = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) == IFLA_ADDRESS && len == sizeof(l->mac)) {
			memcpy(l->mac, mnl_attr_get_payload(a), sizeof(l->mac));
			l->ether = true;
		} else if (mnl_attr_get_type(a) == IFLA_MTU && len == sizeof(uint32_t)) {
			l->mtu = mnl_attr_get_u32(a);
		} else if (mnl_attr_get_type(a) == IFLA_IFNAME) {
			snprintf(l->name, sizeof(l->name), "%.*s", (int)len,
				 (const char *)mnl_attr_get_payload(a));
		}
	}
	return MNL_CB_OK;
}

static int link_get(struct slb_nexthops *n, int ifindex, struct link *l)
{
	char buf[SLB_NL_MSG_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = slb_nl_request(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	memset(l, 0, sizeof(*l));
	return slb_nl_talk(&n->req, nlh, false, link_cb, l);
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct neigh *nb = data;

	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	nb->state = ndm->ndm_state;
	mnl_attr_for_each(a, nlh, sizeof(*ndm))
		if (mnl_attr_get_type(a) == NDA_LLADDR &&
		    mnl_attr_get_payload_len(a) == sizeof(nb->mac)) {
			memcpy(nb->mac, mnl_attr_get_payload(a), sizeof(nb->mac));
			nb->has_mac = true;
		}
	return MNL_CB_OK;
}

/* The neighbour entry of addr on ifindex; none is not an error (NUD_NONE). */
static int neigh_get(struct slb_nexthops *n, int family, int ifindex, const void *addr,
		     struct neigh *nb)
{
	char buf[SLB_NL_MSG_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = slb_nl_request(buf, RTM_GETNEIGH, 0);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	int ret;

	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET6 ? 16 : 4, addr);
	memset(nb, 0, sizeof(*nb));
	ret = slb_nl_talk(&n->req, nlh, false, neigh_cb, nb);
	return ret == -ENOENT ? 0 : ret;
}

/* ---- resolving one backend ------------------------------------------------------ */

static void mac_str(const uint8_t *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *route_type(uint8_t t)
{
	return t == RTN_LOCAL ? "local: the backend is an address of this host" :
	       t == RTN_UNREACHABLE || t == RTN_BLACKHOLE || t == RTN_PROHIBIT ?
	       "unreachable, blackhole or prohibit" : "not a unicast route";
}

/* The next hop's MAC into r, asking the kernel for it when it has none. */
static void resolve_mac(struct slb_nexthops *n, struct entry *e, int family, const void *via,
			struct resolved *r)
{
	struct neigh nb;
	int ret = neigh_get(n, family, e->oif, via, &nb);
	bool usable = !ret && nb.has_mac && (nb.state & NUD_USABLE);
	uint64_t now = now_ms();

	if ((!usable || nb.state == NUD_STALE) && now - e->solicited_ms >= SOLICIT_MS) {
		e->solicited_ms = now;
		ret = ret ? ret : slb_nl_neigh_use(&n->req, family, e->oif, via);
	}
	if (ret)
		snprintf(r->why, sizeof(r->why), "neighbour %s on %s: %s", r->via, r->dev,
			 strerror(-ret));
	else if (!usable)
		snprintf(r->why, sizeof(r->why), "MAC of %s on %s not known yet (asked the kernel "
			 "to resolve it)", r->via, r->dev);
	else
		memcpy(r->nh.dst_mac, nb.mac, sizeof(nb.mac));
}

/* The output interface's MAC and MTU into r. */
static int resolve_link(struct slb_nexthops *n, int oif, struct resolved *r)
{
	struct link l;
	int ret = link_get(n, oif, &l);

	if (ret || !l.ether) {
		snprintf(r->why, sizeof(r->why), "output interface %d: %s", oif,
			 ret ? strerror(-ret) : "no Ethernet address");
		return -1;
	}
	snprintf(r->dev, sizeof(r->dev), "%s", l.name);
	memcpy(r->nh.src_mac, l.mac, sizeof(l.mac));
	r->nh.ifindex = (uint32_t)oif;
	r->nh.mtu = (uint16_t)(l.mtu > UINT16_MAX ? UINT16_MAX : l.mtu);
	return 0;
}

static void resolve(struct slb_nexthops *n, struct entry *e, const struct slb_backend *b,
		    struct resolved *r)
{
	struct slb_addr dst = SLB_STATE_ADDR(b), via = dst;
	struct slb_nl_route rt;
	int ret = slb_nl_route_get(&n->req, b->family, dst.v6, &rt);

	memset(r, 0, sizeof(*r));
	e->oif = ret ? 0 : rt.oif;
	if (ret)
		snprintf(r->why, sizeof(r->why), "no route: %s", strerror(-ret));
	else if (rt.other_family_gw)
		snprintf(r->why, sizeof(r->why), "its route's gateway is of the other family "
			 "(RFC 5549): not supported");
	else if (rt.type != RTN_UNICAST || !rt.oif)
		snprintf(r->why, sizeof(r->why), "route %s", route_type(rt.type));
	if (r->why[0] || resolve_link(n, rt.oif, r))
		return;
	if (rt.has_gw)
		memcpy(via.v6, rt.gw, b->family == AF_INET6 ? 16 : 4);
	slb_addr_format(&via, SLB_ADDR_IP, r->via, sizeof(r->via));
	resolve_mac(n, e, b->family, via.v6, r);
}

/* ---- the map ---------------------------------------------------------------- */

static void put(struct slb_nexthops *n, uint32_t id, const struct slb_backend *b,
		const struct resolved *r)
{
	struct entry *e = &n->e[id];
	struct slb_addr addr = SLB_STATE_ADDR(b);
	char a[SLB_ADDR_TEXT_LEN], dst[18], src[18];

	e->why[0] = 0;
	if (e->present && !memcmp(&e->nh, &r->nh, sizeof(r->nh)))
		return;
	if (bpf_map_update_elem(n->map_fd, &id, &r->nh, BPF_ANY)) {
		slb_log(SLB_LOG_ERR, "nexthop backend %u: cannot write the map: %s", id,
			strerror(errno));
		return;
	}
	e->present = true;
	e->nh = r->nh;
	mac_str(r->nh.dst_mac, dst);
	mac_str(r->nh.src_mac, src);
	slb_log(SLB_LOG_INFO, "nexthop backend %u %s: via %s dev %s (ifindex %u), MAC %s from %s, "
		"mtu %u", id, slb_addr_format(&addr, SLB_ADDR_IP, a, sizeof(a)), r->via, r->dev,
		r->nh.ifindex, dst, src, r->nh.mtu);
}

/* Clears id's entry (ifindex 0: none; the map is an array) and logs why,
 * once per reason. */
static void drop(struct slb_nexthops *n, uint32_t id, const char *who, const char *why)
{
	static const struct slb_nexthop none;
	struct entry *e = &n->e[id];
	bool was = e->present;

	if (e->present && bpf_map_update_elem(n->map_fd, &id, &none, BPF_ANY)) {
		slb_log(SLB_LOG_ERR, "nexthop backend %u: cannot clear its entry: %s", id,
			strerror(errno));
		return;
	}
	e->present = false;
	if (!was && !strcmp(e->why, why))
		return;
	snprintf(e->why, sizeof(e->why), "%s", why);
	/* Unresolved, DSR to the backend stops: worth a warning. */
	slb_log(SLB_LOG_WARNING, "nexthop backend %u%s%s: %s%s", id, who[0] ? " " : "", who, why,
		was ? "; entry removed" : "");
}

/* The pools some DSR VIP of s uses. */
static void dsr_pools(const struct slb_state *s, bool *dsr)
{
	memset(dsr, 0, SLB_MAX_POOLS * sizeof(*dsr));
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++)
		if (s->vips[i].mode == SLB_MODE_DSR && s->vips[i].pool < SLB_MAX_POOLS)
			dsr[s->vips[i].pool] = true;
}

void slb_nexthops_refresh(struct slb_nexthops *n, const struct slb_state *s)
{
	bool dsr[SLB_MAX_POOLS];

	dsr_pools(s, dsr);
	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		const struct slb_backend *b = &s->backends[id];
		struct slb_addr addr = SLB_STATE_ADDR(b);
		char a[SLB_ADDR_TEXT_LEN];
		struct resolved r;

		if (id >= s->n_backends || b->state == SLB_BACKEND_UNUSED || b->pool >= SLB_MAX_POOLS ||
		    !dsr[b->pool]) {
			n->e[id].oif = 0;
			if (n->e[id].present)
				drop(n, id, "", "no longer a backend of a DSR pool");
			n->e[id].why[0] = 0;
			continue;
		}
		resolve(n, &n->e[id], b, &r);
		if (r.why[0])
			drop(n, id, slb_addr_format(&addr, SLB_ADDR_IP, a, sizeof(a)), r.why);
		else
			put(n, id, b, &r);
	}
}

/* ---- events ------------------------------------------------------------------- */

static bool oif_used(const struct slb_nexthops *n, int ifindex)
{
	for (uint32_t i = 0; i < SLB_MAX_BACKENDS; i++)
		if (n->e[i].oif == ifindex)
			return true;
	return false;
}

struct events {
	const struct slb_nexthops *n;
	bool changed;
};

/* Neighbour and link changes matter on the interfaces next hops use; any
 * route change may move a backend. */
static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct events *ev = data;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		ev->changed |= oif_used(ev->n, ndm->ndm_ifindex);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		ev->changed |= oif_used(ev->n, ifi->ifi_index);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		ev->changed = true;
		break;
	}
	return MNL_CB_OK;
}

bool slb_nexthops_events(struct slb_nexthops *n)
{
	struct events ev = {n, false};
	int ret;

	/* Dropped events: look at everything again. */
	while ((ret = slb_nl_events(&n->ev, 0, event_cb, &ev)) == -ENOBUFS)
		ev.changed = true;
	if (ret)
		slb_log(SLB_LOG_ERR, "nexthop: netlink events: %s", strerror(-ret));
	return ev.changed;
}

int slb_nexthops_fd(const struct slb_nexthops *n)
{
	return slb_nl_fd(&n->ev);
}

/* ---- open and close ------------------------------------------------------------ */

static int open_sockets(struct slb_nexthops *n, char *err, size_t errlen)
{
	if (slb_nl_open(&n->ev, RTMGRP_NEIGH | RTMGRP_LINK | RTMGRP_IPV4_ROUTE |
			RTMGRP_IPV6_ROUTE, "nexthop", err, errlen))
		return -1;
	return slb_nl_open(&n->req, 0, "nexthop", err, errlen);
}

/* What a previous siplbd left in the map. */
static int read_map(struct slb_nexthops *n, char *err, size_t errlen)
{
	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++) {
		if (bpf_map_lookup_elem(n->map_fd, &id, &n->e[id].nh)) {
			snprintf(err, errlen, "nexthop map: %s", strerror(errno));
			return -1;
		}
		n->e[id].present = n->e[id].nh.ifindex != 0;
	}
	return 0;
}

struct slb_nexthops *slb_nexthops_open(int map_fd, char *err, size_t errlen)
{
	struct slb_nexthops *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "nexthop: out of memory");
		return NULL;
	}
	n->map_fd = map_fd;
	if (!open_sockets(n, err, errlen) && !read_map(n, err, errlen))
		return n;
	slb_nexthops_close(n);
	return NULL;
}

void slb_nexthops_close(struct slb_nexthops *n)
{
	if (!n)
		return;
	slb_nl_close(&n->ev);
	slb_nl_close(&n->req);
	free(n);
}
