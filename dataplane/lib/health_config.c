/* SPDX-License-Identifier: BSD-3-Clause */
/* The prober's and passive health's configuration: defaults, the reply code
 * list, checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/health.h"

static void code_set(uint64_t *bits, unsigned code)
{
	bits[code / 64] |= 1ull << (code % 64);
}

bool slb_health_code_alive(const struct slb_health_config *c, unsigned code)
{
	return code < SLB_HEALTH_CODE_LIMIT &&
	       (c->alive_codes[code / 64] >> (code % 64)) & 1;
}

void slb_health_config_init(struct slb_health_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = 5000;
	c->timeout_ms = 2000;
	c->rise = 2;
	c->fall = 3;
	/* Any final answer proves a working SIP stack (a proxy without an
	 * OPTIONS handler says 404 or 405 and still routes calls), except 503:
	 * the server's own "send this elsewhere" (RFC 3261 §21.5.4). */
	for (unsigned code = 200; code < SLB_HEALTH_CODE_LIMIT; code++)
		if (code != 503)
			code_set(c->alive_codes, code);
	c->source4.sin_family = AF_INET;
	c->source6.sin6_family = AF_INET6;
}

/* One item: "404" or "4xx" (x case-insensitive). */
static int parse_code_item(const char *s, size_t len, uint64_t *bits,
			   char *err, size_t errlen)
{
	char item[8];

	if (len != 3) {
		snprintf(err, errlen, "reply code \"%.*s\": not 3 characters", (int)len, s);
		return -1;
	}
	memcpy(item, s, 3);
	item[3] = '\0';
	if (item[0] < '2' || item[0] > '6') {
		snprintf(err, errlen, "reply code \"%s\": only 200..699 (1xx is provisional, never alive)", item);
		return -1;
	}
	if ((item[1] | 0x20) == 'x' && (item[2] | 0x20) == 'x') {
		for (unsigned code = (unsigned)(item[0] - '0') * 100, i = 0; i < 100; i++)
			code_set(bits, code + i);
		return 0;
	}
	if (item[1] < '0' || item[1] > '9' || item[2] < '0' || item[2] > '9') {
		snprintf(err, errlen, "reply code \"%s\": not a code (\"404\") or a class (\"4xx\")", item);
		return -1;
	}
	code_set(bits, (unsigned)strtoul(item, NULL, 10));
	return 0;
}

int slb_health_parse_codes(struct slb_health_config *c, const char *text,
			   char *err, size_t errlen)
{
	uint64_t bits[SLB_HEALTH_CODE_WORDS] = {0};
	const char *p = text;

	for (;;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, ", ");
		if (parse_code_item(p, len, bits, err, errlen))
			return -1;
		p += len;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ',') {
			snprintf(err, errlen, "reply codes \"%s\": separate codes with commas", text);
			return -1;
		}
	}
	memcpy(c->alive_codes, bits, sizeof(bits));
	return 0;
}

static bool any_code(const struct slb_health_config *c)
{
	for (unsigned i = 0; i < SLB_HEALTH_CODE_WORDS; i++)
		if (c->alive_codes[i])
			return true;
	return false;
}

int slb_health_config_check(const struct slb_health_config *c, char *err, size_t errlen)
{
	if (c->interval_ms == 0 || c->timeout_ms == 0)
		snprintf(err, errlen, "probing interval and timeout must be > 0");
	else if (c->timeout_ms > c->interval_ms)
		snprintf(err, errlen, "probing timeout (%u ms) longer than the interval (%u ms): "
			 "one probe per target is in flight at a time",
			 c->timeout_ms, c->interval_ms);
	else if (c->rise == 0 || c->fall == 0)
		snprintf(err, errlen, "probing rise and fall must be >= 1");
	else if (c->source4.sin_family != AF_INET || c->source6.sin6_family != AF_INET6)
		snprintf(err, errlen, "probing sources: wrong address family");
	else if (!memchr(c->from_uri, '\0', sizeof(c->from_uri)))
		snprintf(err, errlen, "probing from URI not terminated");
	else if (!any_code(c))
		snprintf(err, errlen, "probing: no reply code counts as alive");
	else
		return 0;
	return -1;
}

void slb_passive_config_init(struct slb_passive_config *c)
{
	/* A live proxy answers an INVITE with 100 Trying within T1 (500 ms)
	 * and every other request with a final response well within 5 s. */
	c->silence_ms = 5000;
	c->min_requests = 20;
	/* A backend that refuses half of what it gets is shedding load: its
	 * share is better spread over the others (Maglev moves only its
	 * calls). */
	c->window_ms = 10000;
	c->min_finals = 20;
	c->max_503_pct = 50;
}
