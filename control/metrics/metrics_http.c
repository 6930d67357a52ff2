/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics over HTTP, served by libmicrohttpd on its own thread. The
 * snapshot it renders is a private deep copy with a reference count: an
 * update makes the copy before it takes the mutex and only swaps a pointer
 * under it; a scrape takes a reference under the mutex and renders outside
 * it; whoever lets go of a replaced copy last frees it. So siplbd never
 * waits for a render, and a render never sees a copy change or go.
 *
 * Idle connections must not starve the scraper (16 of them did): room for
 * many (DEFAULT_CLIENTS, each at most libmicrohttpd's 32 KiB), at most half
 * of it for one address, and a connection silent for CONNECTION_TIMEOUT_S
 * closed. A scrape takes milliseconds; Prometheus reconnects when its
 * kept-alive connection was closed between scrapes.
 */
#define _GNU_SOURCE /* vasprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/addr.h"
#include "siplb/metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define CONNECTION_TIMEOUT_S 2
#define DEFAULT_CLIENTS 256

/* A snapshot and the arrays it points to, with its holders: the server
 * while it is current, each scrape rendering it. */
struct copy {
	struct slb_metrics_snapshot s;
	unsigned refs;          /* under the server's lock */
	struct slb_metrics_vip *vips;
	struct slb_metrics_pool *pools;
	struct slb_metrics_backend *backends;
	struct slb_metrics_rule *rules;
};

struct slb_metrics_server {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	struct copy *cur;           /* NULL until the first update */
	/* guards cur and every copy's refs */
	char start_err[256];        /* libmicrohttpd's complaint while starting */
	bool started;
};

static void free_copy(struct copy *c)
{
	if (!c)
		return;
	free(c->vips);
	free(c->pools);
	free(c->backends);
	free(c->rules);
	free(c);
}

static void *dup_array(const void *p, size_t n, size_t size, bool *failed)
{
	void *q;

	if (!n)
		return NULL;
	q = malloc(n * size);
	if (q)
		memcpy(q, p, n * size);
	else
		*failed = true;
	return q;
}

static struct copy *copy_of(const struct slb_metrics_snapshot *s)
{
	struct copy *c = calloc(1, sizeof(*c));
	bool failed = !c;

	if (failed)
		return NULL;
	c->s = *s;
	c->refs = 1;
	c->vips = dup_array(s->vips, s->n_vips, sizeof(*s->vips), &failed);
	c->pools = dup_array(s->pools, s->n_pools, sizeof(*s->pools), &failed);
	c->backends = dup_array(s->backends, s->n_backends, sizeof(*s->backends), &failed);
	c->rules = dup_array(s->rules, s->n_rules, sizeof(*s->rules), &failed);
	c->s.vips = c->vips;
	c->s.pools = c->pools;
	c->s.backends = c->backends;
	c->s.rules = c->rules;
	if (failed) {
		free_copy(c);
		return NULL;
	}
	return c;
}

/* Drops one hold on c (under the lock); true if it was the last. */
static bool unref(struct copy *c)
{
	return c && --c->refs == 0;
}

int slb_metrics_update(struct slb_metrics_server *m, const struct slb_metrics_snapshot *s)
{
	struct copy *c = copy_of(s), *old;
	bool last;

	if (!c)
		return -1;
	pthread_mutex_lock(&m->lock);
	old = m->cur;
	m->cur = c;
	last = unref(old);
	pthread_mutex_unlock(&m->lock);
	if (last)
		free_copy(old);
	return 0;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, char *text,
				 size_t len, const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

__attribute__((format(printf, 4, 5)))
static enum MHD_Result send_msg(struct MHD_Connection *conn, unsigned status, const char *allow,
				const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	return n < 0 ? MHD_NO : send_text(conn, status, text, (size_t)n, allow);
}

static enum MHD_Result send_metrics(struct slb_metrics_server *m, struct MHD_Connection *conn)
{
	size_t len = 0;
	char *text;
	struct copy *c;
	bool last;

	pthread_mutex_lock(&m->lock);
	c = m->cur;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&m->lock);
	if (!c)
		return send_msg(conn, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
				"no metrics yet: siplbd has not published a snapshot\n");
	text = slb_metrics_render(&c->s, &len);
	pthread_mutex_lock(&m->lock);
	last = unref(c);
	pthread_mutex_unlock(&m->lock);
	if (last)
		free_copy(c);
	if (!text)
		return send_msg(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory\n");
	return send_text(conn, MHD_HTTP_OK, text, len, NULL);
}

/* /metrics for GET and HEAD (libmicrohttpd leaves out a HEAD's body);
 * 405 for other methods there, 404 for any other path. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	(void)version;
	(void)upload;
	(void)state;
	*upload_len = 0; /* a body is read and ignored */
	if (strcmp(url, "/metrics"))
		return send_msg(conn, MHD_HTTP_NOT_FOUND, NULL, "not found: %s (try /metrics)\n",
				url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_msg(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD",
				"method %s not allowed on /metrics: GET or HEAD\n", method);
	return send_metrics(cls, conn);
}

/* Start-up errors become slb_metrics_start's reason; later ones (a client's
 * reset) are nobody's business but the client's. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct slb_metrics_server *m = cls;

	size_t n;

	if (__atomic_load_n(&m->started, __ATOMIC_ACQUIRE))
		return;
	vsnprintf(m->start_err, sizeof(m->start_err), fmt, ap);
	n = strlen(m->start_err);
	while (n && m->start_err[n - 1] == '\n')
		m->start_err[--n] = 0;
}

static int parse_address(const struct slb_metrics_config *c, struct sockaddr_storage *ss,
			 unsigned *flags, char *err, size_t errlen)
{
	const char *text = c->address ? c->address : SLB_METRICS_DEFAULT_ADDRESS;
	struct slb_addr a;

	if (slb_addr_parse(text, &a)) {
		snprintf(err, errlen, "metrics address \"%s\": an IPv4 or IPv6 address expected",
			 text);
		return -1;
	}
	a.port = c->port;
	slb_addr_to_sockaddr(&a, ss);
	if (a.family == AF_INET6)
		*flags |= MHD_USE_IPv6;
	return 0;
}

struct slb_metrics_server *slb_metrics_start(const struct slb_metrics_config *c, char *err,
					     size_t errlen)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	unsigned clients = c->max_clients ? c->max_clients : DEFAULT_CLIENTS;
	struct slb_metrics_server *m;
	struct sockaddr_storage ss;

	if (parse_address(c, &ss, &flags, err, errlen))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m || pthread_mutex_init(&m->lock, NULL)) {
		free(m);
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->d = MHD_start_daemon(flags, c->port, NULL, NULL, answer, m,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, clients,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (clients + 1) / 2,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m, MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errlen, "metrics on %s port %u: %s",
			 c->address ? c->address : SLB_METRICS_DEFAULT_ADDRESS, c->port,
			 m->start_err[0] ? m->start_err : strerror(errno));
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	__atomic_store_n(&m->started, true, __ATOMIC_RELEASE);
	return m;
}

uint16_t slb_metrics_port(const struct slb_metrics_server *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void slb_metrics_stop(struct slb_metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	pthread_mutex_destroy(&m->lock);
	free_copy(m->cur);
	free(m);
}
