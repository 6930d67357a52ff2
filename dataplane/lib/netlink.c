/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink requests and events (include/siplb/netlink.h). */
#include "siplb/netlink.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* ---- sockets -------------------------------------------------------------------- */

/* A request socket waits for its answer, but not for ever: a kernel that
 * never answers must not stall the caller's loop. */
static int set_timeout(struct slb_nl *nl, const char *who, char *err, size_t errlen)
{
	struct timeval tv = {SLB_NL_TIMEOUT_MS / 1000, (SLB_NL_TIMEOUT_MS % 1000) * 1000};

	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		snprintf(err, errlen, "%s: netlink timeout: %s", who, strerror(errno));
		return -1;
	}
	return 0;
}

int slb_nl_open(struct slb_nl *nl, unsigned groups, const char *who, char *err,
		size_t errlen)
{
	nl->seq = 0;
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock || mnl_socket_bind(nl->sock, groups, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "%s: netlink socket: %s", who, strerror(errno));
		slb_nl_close(nl);
		return -1;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	if (!groups && set_timeout(nl, who, err, errlen)) {
		slb_nl_close(nl);
		return -1;
	}
	return 0;
}

void slb_nl_close(struct slb_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

int slb_nl_fd(const struct slb_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

/* ---- requests ------------------------------------------------------------------- */

struct nlmsghdr *slb_nl_request(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

int slb_nl_talk(struct slb_nl *nl, struct nlmsghdr *nlh, bool until_done, mnl_cb_t cb,
		void *data)
{
	uint32_t seq = ++nl->seq;
	int ret;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));

		if (len < 0)
			return -errno;
		if (len < (ssize_t)sizeof(struct nlmsghdr))
			return -EPROTO;
		/* A late answer to an earlier request that timed out. */
		if (((const struct nlmsghdr *)nl->buf)->nlmsg_seq != seq)
			continue;
		ret = mnl_cb_run(nl->buf, (size_t)len, seq, nl->portid, cb, data);
		if (ret <= MNL_CB_STOP || !until_done)
			return ret < 0 ? -errno : 0;
	}
}

int slb_nl_events(struct slb_nl *nl, unsigned max, mnl_cb_t cb, void *data)
{
	for (unsigned k = 0; !max || k < max; k++) {
		ssize_t len = recv(slb_nl_fd(nl), nl->buf, sizeof(nl->buf), MSG_DONTWAIT);

		if (len < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		/* An event we cannot parse says nothing; the others still count. */
		(void)mnl_cb_run(nl->buf, (size_t)len, 0, 0, cb, data);
	}
	return 0;
}

/* ---- routes and neighbours ------------------------------------------------------ */

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct slb_nl_route *r = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	r->type = rtm->rtm_type;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) == RTA_OIF && len == sizeof(uint32_t))
			r->oif = (int)mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_GATEWAY && len == addr_len(rtm->rtm_family)) {
			memcpy(r->gw, mnl_attr_get_payload(a), len);
			r->has_gw = true;
		} else if (mnl_attr_get_type(a) == RTA_VIA) {
			r->other_family_gw = true;
		}
	}
	return MNL_CB_OK;
}

int slb_nl_route_get(struct slb_nl *nl, int family, const void *dst, struct slb_nl_route *r)
{
	char buf[SLB_NL_MSG_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = slb_nl_request(buf, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	size_t alen = addr_len(family);

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	memset(r, 0, sizeof(*r));
	return slb_nl_talk(nl, nlh, false, route_cb, r);
}

/*
 * NTF_USE makes the kernel treat the entry as used by a packet of its own:
 * it creates the entry if needed and sends the ARP or ND request (or
 * re-probes a stale entry), as when it routes traffic. Traffic that leaves
 * from XDP or DPDK never confirms a neighbour, hence the re-probe of stale
 * ones too.
 */
int slb_nl_neigh_use(struct slb_nl *nl, int family, int ifindex, const void *addr)
{
	char buf[SLB_NL_MSG_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = slb_nl_request(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_ACK);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, addr_len(family), addr);
	return slb_nl_talk(nl, nlh, true, NULL, NULL);
}
