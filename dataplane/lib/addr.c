/* SPDX-License-Identifier: BSD-3-Clause */
/* siplb's address type (include/siplb/addr.h): its texts, the endpoint
 * grammar, the unicast rule and the conversions (the comparator and
 * slb_addr_from_state are inline in the header). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/addr.h"

const char *slb_addr_format(const struct slb_addr *a, enum slb_addr_form form, char *buf,
			    size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = a->family == AF_INET6;

	if ((a->family != AF_INET && !v6) || !inet_ntop(a->family, a->v6, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (form == SLB_ADDR_ENDPOINT)
		snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	else
		snprintf(buf, len, v6 && form == SLB_ADDR_HOST ? "[%s]" : "%s", ip);
	return buf;
}

int slb_addr_parse(const char *text, struct slb_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->v4) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, text, out->v6) == 1)
		out->family = AF_INET6;
	else
		return memset(out, 0, sizeof(*out)), -1;
	return 0;
}

/* "1".."65535", digits only. */
static int parse_port(const char *p, __u16 *port)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end || errno || n < 1 || n > 65535)
		return -1;
	*port = (__u16)n;
	return 0;
}

/* The address part (h, n bytes) and the port part of text; -1: a '['
 * without ']' or "]:PORT". */
static int split(const char *text, const char **h, size_t *n, const char **port)
{
	const char *colon = strchr(text, ':');

	*h = text;
	*port = NULL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		*h = text + 1;
		*n = (size_t)(close - *h);
		*port = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(colon + 1, ':')) {
		*n = strlen(text); /* a bare IPv6 address */
	} else {
		*n = colon ? (size_t)(colon - text) : strlen(text);
		*port = colon ? colon + 1 : NULL;
	}
	return 0;
}

enum slb_addr_error slb_addr_parse_endpoint(const char *text, __u16 default_port,
					    struct slb_addr *out, struct slb_addr_parts *parts)
{
	const char *h;
	size_t n;

	memset(out, 0, sizeof(*out));
	memset(parts, 0, sizeof(*parts));
	if (split(text, &h, &n, &parts->port))
		return SLB_ADDR_ERR_BRACKET;
	if (n >= sizeof(parts->host))
		return SLB_ADDR_ERR_LONG;
	memcpy(parts->host, h, n);
	if (slb_addr_parse(parts->host, out))
		return SLB_ADDR_ERR_HOST;
	out->port = default_port;
	return parts->port && parse_port(parts->port, &out->port) ? SLB_ADDR_ERR_PORT : SLB_ADDR_OK;
}

bool slb_addr_unicast(const struct slb_addr *a)
{
	static const __u8 zero[16];
	__u32 h = ntohl(a->v4);

	if (a->family == AF_INET)
		return h != 0 && h != UINT32_MAX && (h >> 28) != 0xe;
	return memcmp(a->v6, zero, sizeof(zero)) && a->v6[0] != 0xff;
}

void slb_addr_to_state(const struct slb_addr *a, __u8 *family, __u32 *addr, __u8 *addr6,
		       __u16 *port)
{
	bool v6 = a->family == AF_INET6;

	*family = a->family;
	*addr = v6 ? 0 : a->v4;
	memset(addr6, 0, 16);
	if (v6)
		memcpy(addr6, a->v6, 16);
	*port = htons(a->port);
}

socklen_t slb_addr_to_sockaddr(const struct slb_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		s->sin_addr.s_addr = a->v4;
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	s->sin6_family = AF_INET6;
	s->sin6_port = htons(a->port);
	memcpy(&s->sin6_addr, a->v6, sizeof(a->v6));
	return sizeof(*s);
}

int slb_addr_from_sockaddr(const struct sockaddr_storage *ss, struct slb_addr *out)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		out->port = ntohs(s4->sin_port);
		out->v4 = s4->sin_addr.s_addr;
	} else if (ss->ss_family == AF_INET6) {
		out->port = ntohs(s6->sin6_port);
		memcpy(out->v6, &s6->sin6_addr, sizeof(out->v6));
	} else {
		return -1;
	}
	out->family = (__u8)ss->ss_family;
	return 0;
}
