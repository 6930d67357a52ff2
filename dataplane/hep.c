/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEP v3 encoding (hep.h): chunks written one after another into the
 * caller's buffer, all integers in network order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "hep.h"

enum {
	HEP_IP_FAMILY = 1, HEP_IP_PROTO = 2, HEP_SRC4 = 3, HEP_DST4 = 4, HEP_SRC6 = 5,
	HEP_DST6 = 6, HEP_SPORT = 7, HEP_DPORT = 8, HEP_TS_SEC = 9, HEP_TS_USEC = 10,
	HEP_PROTO_TYPE = 11, HEP_AGENT_ID = 12, HEP_AUTH_KEY = 14, HEP_PAYLOAD = 15,
};
#define HEP_PROTO_SIP 1
#define HEP_CHUNK_HDR 6

/* Where the next chunk goes; pos past cap means it did not fit. */
struct out {
	uint8_t *buf;
	size_t pos, cap;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void chunk(struct out *o, uint16_t type, const void *v, size_t len)
{
	size_t n = HEP_CHUNK_HDR + len;

	if (o->pos + n <= o->cap) {
		put16(o->buf + o->pos, 0); /* vendor: generic */
		put16(o->buf + o->pos + 2, type);
		put16(o->buf + o->pos + 4, (uint16_t)n);
		memcpy(o->buf + o->pos + HEP_CHUNK_HDR, v, len);
	}
	o->pos += n;
}

static void chunk8(struct out *o, uint16_t type, uint8_t v)
{
	chunk(o, type, &v, 1);
}

static void chunk16(struct out *o, uint16_t type, uint16_t v)
{
	uint16_t be = htons(v);

	chunk(o, type, &be, 2);
}

static void chunk32(struct out *o, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	chunk(o, type, &be, 4);
}

size_t slb_hep_encode(const struct slb_hep_msg *m, uint8_t *buf, size_t cap)
{
	struct out o = {buf, 6, cap < SLB_HEP_MAX ? cap : SLB_HEP_MAX};
	bool v4 = m->family == AF_INET;
	size_t alen = v4 ? 4 : 16;

	chunk8(&o, HEP_IP_FAMILY, v4 ? 2 : 10); /* HEP's own codes: 2 IPv4, 10 IPv6 */
	chunk8(&o, HEP_IP_PROTO, IPPROTO_UDP);
	chunk(&o, v4 ? HEP_SRC4 : HEP_SRC6, m->src, alen);
	chunk(&o, v4 ? HEP_DST4 : HEP_DST6, m->dst, alen);
	chunk16(&o, HEP_SPORT, m->sport);
	chunk16(&o, HEP_DPORT, m->dport);
	chunk32(&o, HEP_TS_SEC, m->ts_sec);
	chunk32(&o, HEP_TS_USEC, m->ts_usec);
	chunk8(&o, HEP_PROTO_TYPE, HEP_PROTO_SIP);
	chunk32(&o, HEP_AGENT_ID, m->agent_id);
	if (m->password && m->password[0])
		chunk(&o, HEP_AUTH_KEY, m->password, strnlen(m->password, SLB_HEP_PASSWORD_LEN));
	chunk(&o, HEP_PAYLOAD, m->payload, m->len);
	if (o.pos > o.cap)
		return 0;
	memcpy(buf, "HEP3", 4);
	put16(buf + 4, (uint16_t)o.pos);
	return o.pos;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The UDP header's offset in an IPv4 or IPv6 packet at ip, or 0. */
static size_t udp_at(const uint8_t *ip, size_t left, struct slb_hep_msg *m)
{
	if (left >= 20 && ip[0] >> 4 == 4) {
		size_t hl = (ip[0] & 0x0f) * 4u;

		if (hl < 20 || ip[9] != IPPROTO_UDP || (get16(ip + 6) & 0x3fff) ||
		    get16(ip + 2) > left || get16(ip + 2) < hl + 8)
			return 0;
		m->family = AF_INET;
		memcpy(m->src, ip + 12, 4);
		memcpy(m->dst, ip + 16, 4);
		return hl;
	}
	if (left >= 48 && ip[0] >> 4 == 6 && ip[6] == IPPROTO_UDP &&
	    40u + get16(ip + 4) <= left) {
		m->family = AF_INET6;
		memcpy(m->src, ip + 8, 16);
		memcpy(m->dst, ip + 24, 16);
		return 40;
	}
	return 0;
}

int slb_hep_from_frame(const uint8_t *frame, size_t len, struct slb_hep_msg *m)
{
	size_t l3 = 14, l4, ulen;

	while (l3 + 4 <= len && (get16(frame + l3 - 2) == 0x8100 || get16(frame + l3 - 2) == 0x88a8))
		l3 += 4;
	if (l3 > len || (get16(frame + l3 - 2) != 0x0800 && get16(frame + l3 - 2) != 0x86dd))
		return -1;
	l4 = udp_at(frame + l3, len - l3, m);
	if (!l4)
		return -1;
	l4 += l3;
	ulen = get16(frame + l4 + 4);
	if (ulen < 8 || l4 + ulen > len)
		return -1;
	m->sport = get16(frame + l4);
	m->dport = get16(frame + l4 + 2);
	m->payload = frame + l4 + 8;
	m->len = ulen - 8;
	return 0;
}
