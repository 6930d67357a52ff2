/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb's one address type: an IPv4 or IPv6 address with a port, for
 * everything that names an endpoint (VIPs, backends, SRV targets, DNS
 * resolvers, probe targets) or only an address (port 0). One parser, one
 * formatter, one comparator (dataplane/lib/addr.c, in both programs).
 *
 * The XDP program keys its per-source rate state (xdp.h: src_rate) with
 * it, port 0, so it is also a map layout: 20 bytes without holes, IPv4 in
 * the first 4 bytes of the address and the other 12 zero (a key hashes the
 * same however it was filled). The state map (state.h) keeps its older
 * split layout; slb_addr_from_state and slb_addr_to_state convert.
 */
#ifndef SIPLB_ADDR_H
#define SIPLB_ADDR_H

#include <linux/types.h>

struct slb_addr {
	__u8 family;        /* AF_INET or AF_INET6; 0: none */
	__u8 pad;           /* zero */
	__u16 port;         /* host byte order; 0: none */
	union {             /* v6 first: an initializer zeroes all 16 bytes */
		__u8 v6[16];  /* the address bytes: IPv6, or IPv4 in v6[0..3] and zeros */
		__u32 v4;     /* IPv4, network byte order */
	};
};

_Static_assert(sizeof(struct slb_addr) == 20, "struct slb_addr: a map key without holes");

#ifndef __bpf__
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

/* "[" + INET6_ADDRSTRLEN - 1 + "]:65535" with its NUL, rounded up. */
#define SLB_ADDR_TEXT_LEN 56

enum slb_addr_form {
	SLB_ADDR_IP,       /* "192.0.2.21", "2001:db8::21" */
	SLB_ADDR_HOST,     /* as a URI's host: "192.0.2.21", "[2001:db8::21]" */
	SLB_ADDR_ENDPOINT, /* "192.0.2.21:5060", "[2001:db8::21]:5060" */
};

/* a as text in form: buf (len bytes, SLB_ADDR_TEXT_LEN is enough), "?" for
 * an address of no family. */
const char *slb_addr_format(const struct slb_addr *a, enum slb_addr_form form, char *buf,
			    size_t len);

/* Orders by family (IPv4 first), address, port: <0, 0, >0. Inline: siplbd
 * matches every backend against every published one on each publish. */
static inline int slb_addr_cmp(const struct slb_addr *a, const struct slb_addr *b)
{
	int c = memcmp(a->v6, b->v6, sizeof(a->v6));

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (c)
		return c;
	return a->port == b->port ? 0 : a->port < b->port ? -1 : 1;
}

/* An IPv4 or IPv6 literal (no port, no brackets) into *out, port 0. 0, or
 * -1 when text is neither (*out zeroed). */
int slb_addr_parse(const char *text, struct slb_addr *out);

/* What slb_addr_parse_endpoint refuses, in the order it looks. */
enum slb_addr_error {
	SLB_ADDR_OK = 0,
	SLB_ADDR_ERR_BRACKET, /* '[' without ']' or "]:PORT" */
	SLB_ADDR_ERR_LONG,    /* the address part is longer than any address */
	SLB_ADDR_ERR_HOST,    /* the address part is no IPv4 or IPv6 literal */
	SLB_ADDR_ERR_PORT,    /* the port is not 1..65535 (*out has the address) */
};

/* An endpoint text's parts, for the caller's messages. */
struct slb_addr_parts {
	char host[INET6_ADDRSTRLEN]; /* the address part, without brackets */
	const char *port;            /* the port part, in the text; NULL: none */
};

/*
 * An endpoint as operators write it: "ADDR", "IPV4:PORT", a bare IPv6
 * address (its colons separate no port), "[ADDR]" or "[ADDR]:PORT"; the
 * port is default_port when the text has none. *out and *parts are filled
 * as far as the text goes.
 */
enum slb_addr_error slb_addr_parse_endpoint(const char *text, __u16 default_port,
					    struct slb_addr *out, struct slb_addr_parts *parts);

/* Not a wildcard, broadcast or multicast address. */
bool slb_addr_unicast(const struct slb_addr *a);

/* The state map's split layout (state.h: slb_vip, slb_backend): IPv4 in
 * addr, IPv6 in addr6, the port in network byte order. */
static inline struct slb_addr slb_addr_from_state(__u8 family, __u32 addr, const __u8 *addr6,
						  __u16 port)
{
	struct slb_addr a = {.family = family, .port = ntohs(port)};

	if (family == AF_INET6)
		memcpy(a.v6, addr6, sizeof(a.v6));
	else
		a.v4 = addr;
	return a;
}
void slb_addr_to_state(const struct slb_addr *a, __u8 *family, __u32 *addr, __u8 *addr6,
		       __u16 *port);
/* The address of x, a struct slb_vip or slb_backend. */
#define SLB_STATE_ADDR(x) slb_addr_from_state((x)->family, (x)->addr, (x)->addr6, (x)->port)

/* To and from the sockets' form. from: -1 for a family other than IPv4 and IPv6. */
socklen_t slb_addr_to_sockaddr(const struct slb_addr *a, struct sockaddr_storage *ss);
int slb_addr_from_sockaddr(const struct sockaddr_storage *ss, struct slb_addr *out);
#endif

#endif
