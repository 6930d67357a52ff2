/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "idset.h"
#include "net.h"
#include "siplb/callid_hash.h"
#include "summary.h"
#include "thread.h"
#include "uas.h"

struct be_thread {
	int id;
	pthread_t tid;
	const struct bench_opts *o;
	struct be_stats *st;
	int fd[BENCH_MAX_SOCKETS];
	struct net_tx *tx[BENCH_MAX_SOCKETS];
	struct net_rx *rx;
	struct idset ids;
	struct uas *uas; /* NULL: a sink */
};

static int stopping;
static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
	(void)sig;
	signalled = 1;
}

/* One datagram: counted, its Call-ID remembered, answered by a uas. */
static void handle(struct be_thread *t, struct uas_io *io, const uint8_t *buf, size_t len,
		   const struct sockaddr_storage *from)
{
	struct slb_sip_msg m;

	if (slb_sip_scan(buf, len, &m) != SLB_SIP_OK || m.kind == SLB_SIP_KIND_KEEPALIVE) {
		ctr_add(&t->st->c[B_BAD], 1);
		return;
	}
	if (m.kind == SLB_SIP_KIND_RESPONSE) {
		ctr_add(&t->st->c[B_RESPONSES], 1);
		if (t->uas)
			uas_response(io, &m);
		return;
	}
	ctr_add(&t->st->c[B_REQUESTS], 1);
	ctr_add(&t->st->method[m.method], 1);
	idset_add(&t->ids, slb_callid_hash(buf + m.call_id.off, m.call_id.len, 0));
	if (t->uas)
		uas_request(t->uas, io, buf, &m, from);
}

static unsigned receive(struct be_thread *t, int s, uint64_t now)
{
	struct uas_io io = { t->fd[s], t->tx[s], t->st, now };
	int n = net_recv(t->fd[s], t->rx);

	for (int i = 0; i < n; i++) {
		ctr_add(&t->st->c[B_RECEIVED], 1);
		if (t->rx->msg[i].msg_hdr.msg_flags & MSG_TRUNC)
			ctr_add(&t->st->c[B_BAD], 1);
		else
			handle(t, &io, (const uint8_t *)t->rx->buf[i], t->rx->msg[i].msg_len,
			       &t->rx->from[i]);
	}
	if (t->uas && s == 0)
		uas_tick(t->uas, &io);
	if (t->tx[s]->n)
		ctr_add(&t->st->c[B_SEND_ERRORS], net_flush(t->fd[s], t->tx[s]));
	return (unsigned)n;
}

static void *be_loop(void *arg)
{
	struct be_thread *t = arg;
	struct pollfd p[BENCH_MAX_SOCKETS];

	for (int s = 0; s < t->o->sockets; s++)
		p[s] = (struct pollfd){ .fd = t->fd[s], .events = POLLIN };
	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		uint64_t now = now_ns();
		unsigned got = 0;

		for (int s = 0; s < t->o->sockets; s++)
			got += receive(t, s, now);
		if (!got) /* 1 ms: the callee BYEs' granularity */
			poll(p, (nfds_t)t->o->sockets, t->o->callee_bye_ms > 0 ? 1 : 20);
		else if (got < BATCH / 4) /* let a batch gather: see uac.c, nap() */
			nanosleep(&(struct timespec){ 0, 50000 }, NULL);
	}
	return NULL;
}

/* Every thread's sockets, one SO_REUSEPORT group spread at random. */
static int open_sockets(struct be_thread *t, const struct bench_opts *o)
{
	int last = -1;

	for (int i = 0; i < o->threads; i++)
		for (int s = 0; s < o->sockets; s++) {
			t[i].fd[s] = last = net_socket(&o->local, true);
			t[i].tx[s] = calloc(1, sizeof(*t[i].tx[s]));
			if (last < 0 || !t[i].tx[s]) {
				fprintf(stderr, "siplb-bench: socket on port %u: %m\n", o->local.port);
				return -1;
			}
		}
	unsigned n = (unsigned)(o->threads * o->sockets);

	if (n > 1 && net_spread(last, n)) {
		fprintf(stderr, "siplb-bench: SO_ATTACH_REUSEPORT_CBPF: %m\n");
		return -1;
	}
	return 0;
}

static int init_threads(struct be_thread *t, const struct bench_opts *o, struct be_stats *st)
{
	for (int i = 0; i < o->threads; i++) {
		t[i] = (struct be_thread){ .id = i, .o = o, .st = &st[i] };
		for (int s = 0; s < BENCH_MAX_SOCKETS; s++)
			t[i].fd[s] = -1;
	}
	if (open_sockets(t, o))
		return -1;
	uint16_t port = net_local_port(t[0].fd[0]);

	for (int i = 0; i < o->threads; i++) {
		t[i].rx = malloc(sizeof(*t[i].rx));
		if (!t[i].rx || (o->role == ROLE_UAS && !(t[i].uas = uas_new(o, port)))) {
			fprintf(stderr, "siplb-bench: out of memory\n");
			return -1;
		}
		net_rx_init(t[i].rx);
	}
	printf("siplb-bench %s: ready on port %u, %d thread(s) x %d socket(s)\n",
	       o->role == ROLE_UAS ? "uas" : "sink", port, o->threads, o->sockets);
	fflush(stdout);
	return 0;
}

static void free_threads(struct be_thread *t, int n)
{
	for (int i = 0; i < n; i++) {
		for (int s = 0; s < BENCH_MAX_SOCKETS; s++) {
			if (t[i].fd[s] >= 0)
				close(t[i].fd[s]);
			free(t[i].tx[s]);
		}
		free(t[i].rx);
		uas_free(t[i].uas);
		idset_free(&t[i].ids);
	}
}

/* Until a signal, --max-time, or --idle-exit seconds without a datagram
 * after the first one. */
static void watch(const struct bench_opts *o, struct be_stats *st)
{
	uint64_t start = now_ns(), last_change = start, last_count = 0;
	struct be_stats sum;

	while (!signalled) {
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		uint64_t now = now_ns();

		be_stats_sum(&sum, st, o->threads);
		if (sum.c[B_RECEIVED] != last_count)
			last_count = sum.c[B_RECEIVED], last_change = now;
		if (o->max_secs > 0 && (double)(now - start) / 1e9 >= o->max_secs)
			break;
		if (o->idle_exit_secs > 0 && last_count &&
		    (double)(now - last_change) / 1e9 >= o->idle_exit_secs)
			break;
	}
}

static int finish(const struct bench_opts *o, struct be_thread *t, struct be_stats *st)
{
	struct idset all = { 0 };
	struct be_stats sum;
	int rc = 0;

	for (int i = 0; i < o->threads; i++)
		for (size_t k = 0; k < t[i].ids.cap; k++)
			if (t[i].ids.slot[k])
				idset_add(&all, t[i].ids.slot[k]);
	be_stats_sum(&sum, st, o->threads);
	printf("received %llu requests %llu responses %llu sent %llu calls %zu bad %llu\n",
	       (unsigned long long)sum.c[B_RECEIVED], (unsigned long long)sum.c[B_REQUESTS],
	       (unsigned long long)sum.c[B_RESPONSES], (unsigned long long)sum.c[B_SENT], all.n,
	       (unsigned long long)sum.c[B_BAD]);
	if (o->summary_out) {
		uint64_t *ids = idset_sorted(&all);

		rc = summary_write(o->summary_out, o->role == ROLE_UAS ? "uas" : "sink", o->name,
				   &sum, ids, ids ? all.n : 0);
		free(ids);
	}
	idset_free(&all);
	return rc ? 1 : 0;
}

int backend_run(const struct bench_opts *o)
{
	struct be_thread *t = calloc((size_t)o->threads, sizeof(*t));
	struct be_stats *st = calloc((size_t)o->threads, sizeof(*st));
	struct sigaction sa = { .sa_handler = on_signal };
	int rc = 1, started = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (t && st && !init_threads(t, o, st)) {
		for (; started < o->threads; started++)
			if (bench_spawn(&t[started].tid, o->cores[started], be_loop, &t[started])) {
				fprintf(stderr, "siplb-bench: cannot start thread %d\n", started);
				break;
			}
		if (started == o->threads)
			watch(o, st);
		__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
		for (int i = 0; i < started; i++)
			pthread_join(t[i].tid, NULL);
		if (started == o->threads)
			rc = finish(o, t, st);
	}
	if (t)
		free_threads(t, o->threads);
	free(t);
	free(st);
	return rc;
}
