/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uac engine: an open-loop scheduler (scenarios start at the rate
 * whatever the answers do), client transactions with RFC 3261's timers
 * (Timer A/E from T1 doubling, T2 = 4 s cap for non-INVITE, Timer B/F at
 * 64*T1), and the loop: start what is due, read, expire timers, send.
 */
#include "uac_int.h"
#include "thread.h"

#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ull
#define T2_MS 4000u
#define MAX_STARTS_PER_LOOP 256

struct net_tx *uac_tx(struct uac_thread *t, unsigned sock)
{
	if (net_tx_full(t->tx[sock]))
		ctr_add(&t->st->c[U_SEND_ERRORS], net_flush(t->fd[sock], t->tx[sock]));
	return t->tx[sock];
}

/* The call's current request, or its ACK. */
void uac_send(struct uac_thread *t, struct call *c, bool ack, bool for_2xx)
{
	struct net_tx *tx = uac_tx(t, c->sock);
	struct out o = out_init(net_tx_next(tx), TX_BUF);

	if (ack)
		uac_build_ack(t, c, &o, for_2xx);
	else
		uac_build(t, c, &o);
	if (o.overflow) { /* a route set or tag too long for TX_BUF: the call fails */
		ctr_add(&t->st->c[U_SEND_ERRORS], 1);
		return;
	}
	net_tx_commit(tx, (size_t)(o.p - net_tx_next(tx)), &t->target);
	ctr_add(&t->st->c[U_SENT], 1);
}

void uac_arm(struct uac_thread *t, struct call *c)
{
	uint64_t at = c->t_retx && c->t_retx < c->t_end ? c->t_retx : c->t_end;

	wheel_arm(t->wheel, (uint32_t)(c - t->calls), at / NS_PER_MS);
}

/* A new client transaction for state (INVITE, BYE, REGISTER, OPTIONS). */
void uac_txn_begin(struct uac_thread *t, struct call *c, uint8_t state)
{
	uint64_t t1 = (uint64_t)(t->o->t1_ms * NS_PER_MS);

	c->state = state;
	c->txn++;
	c->provisional = c->lossy = false;
	c->retx_ms = (uint32_t)t->o->t1_ms;
	c->t_first = t->now;
	c->t_retx = t->now + t1;
	c->t_end = t->now + 64 * t1;
	ctr_add(&t->st->c[U_TRANSACTIONS], 1);
	uac_send(t, c, false, false);
	uac_arm(t, c);
}

void uac_finish(struct uac_thread *t, struct call *c, bool ok)
{
	uint32_t slot = (uint32_t)(c - t->calls);

	ctr_add(ok ? &t->st->completed[c->scen] : &t->st->failed[c->scen], 1);
	wheel_cancel(t->wheel, slot);
	c->state = ST_FREE;
	c->gen++;
	t->free[t->nfree++] = slot;
}

/* Scenario n's kind: the shares of --mix, interleaved (a multiplicative hash
 * of n, not runs of one kind). */
static uint8_t pick_scenario(const struct uac_thread *t, uint64_t n)
{
	const unsigned *mix = t->o->mix;
	unsigned total = mix[0] + mix[1] + mix[2];
	unsigned x = (unsigned)((n * 2654435761u) % total);

	for (uint8_t s = 0; s < SCEN_COUNT; s++) {
		if (x < mix[s])
			return s;
		x -= mix[s];
	}
	return SCEN_CALL;
}

static void start_scenario(struct uac_thread *t)
{
	uint8_t scen = pick_scenario(t, t->mix_n++);
	static const uint8_t first[] = { ST_INVITE, ST_REGISTER, ST_OPTIONS };

	ctr_add(&t->st->started[scen], 1);
	if (!t->nfree) {
		ctr_add(&t->st->c[U_TABLE_FULL], 1);
		ctr_add(&t->st->failed[scen], 1);
		return;
	}
	struct call *c = &t->calls[t->free[--t->nfree]];
	uint32_t gen = c->gen;

	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->scen = scen;
	c->cseq = 1;
	c->sock = (uint8_t)(t->mix_n % (uint64_t)t->o->sockets);
	uac_txn_begin(t, c, first[scen]);
}

/* Scenarios the step should have started by now: the integral of the rate
 * (a linear ramp from rate_start over ramp_secs, then flat). */
static uint64_t due_by(const struct uac_plan *c, uint64_t now, int threads)
{
	double s = now > c->start_ns ? (double)(now - c->start_ns) / 1e9 : 0, n;
	double r0 = c->rate_start / threads, r1 = c->rate / threads, ramp = c->ramp_secs;

	if (s < ramp)
		n = r0 * s + (r1 - r0) * s * s / (2 * ramp);
	else
		n = (r0 + r1) * ramp / 2 + r1 * (s - ramp);
	return (uint64_t)n;
}

static unsigned start_due(struct uac_thread *t)
{
	if (t->cur.phase != PH_RUN)
		return 0;
	uint64_t due = due_by(&t->cur, t->now, t->o->threads);
	unsigned n = 0;

	while (t->started_in_step < due && n < MAX_STARTS_PER_LOOP &&
	       (!t->limit || t->started_total < t->limit)) {
		start_scenario(t);
		t->started_in_step++;
		t->started_total++;
		n++;
	}
	return n;
}

/* The call's timer: its hold ended, or Timer A/E (retransmit), or B/F. */
static void on_timer(void *ctx, uint32_t slot)
{
	struct uac_thread *t = ctx;
	struct call *c = &t->calls[slot];

	if (c->state == ST_HOLD) {
		c->cseq = 2;
		uac_txn_begin(t, c, ST_BYE);
		return;
	}
	if (t->now >= c->t_end) {
		ctr_add(&t->st->c[U_TIMEOUTS], 1);
		if (!c->lossy)
			ctr_add(&t->st->c[U_LOSSY], 1);
		uac_finish(t, c, false);
		return;
	}
	if (!c->lossy)
		ctr_add(&t->st->c[U_LOSSY], 1);
	c->lossy = true;
	ctr_add(&t->st->c[U_RETRANS], 1);
	uac_send(t, c, false, false);
	if (c->state == ST_INVITE)
		c->retx_ms *= 2;
	else
		c->retx_ms = c->retx_ms * 2 < T2_MS ? c->retx_ms * 2 : T2_MS;
	c->t_retx = t->now + (uint64_t)c->retx_ms * NS_PER_MS;
	uac_arm(t, c);
}

/* Every open scenario given up (between find-max steps), counted. The
 * walk reads the whole table: only when something is open. */
static void abandon_all(struct uac_thread *t)
{
	for (uint32_t i = 0; t->nfree < t->cap && i < t->cap; i++)
		if (t->calls[i].state != ST_FREE) {
			ctr_add(&t->st->c[U_ABANDONED], 1);
			uac_finish(t, &t->calls[i], false);
		}
}

void uac_ctl_set(struct uac_ctl *ctl, const struct uac_plan *plan)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->plan = *plan;
	__atomic_store_n(&ctl->step, ctl->step + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctl->lock);
}

/* A new step from the main thread: its rate counts from its start. */
static void sync_ctl(struct uac_thread *t)
{
	uint64_t step = __atomic_load_n(&t->ctl->step, __ATOMIC_ACQUIRE);

	if (step == t->step)
		return;
	uint64_t old_start = t->cur.start_ns;

	pthread_mutex_lock(&t->ctl->lock);
	t->cur = t->ctl->plan;
	t->step = t->ctl->step;
	pthread_mutex_unlock(&t->ctl->lock);
	if (t->cur.start_ns != old_start)
		t->started_in_step = 0;
	if (t->cur.phase == PH_ABORT)
		abandon_all(t);
}

static void receive_all(struct uac_thread *t, unsigned *got)
{
	for (int s = 0; s < t->o->sockets; s++) {
		int n = net_recv(t->fd[s], t->rx);

		for (int i = 0; i < n; i++) {
			const struct msghdr *h = &t->rx->msg[i].msg_hdr;

			ctr_add(&t->st->c[U_RECEIVED], 1);
			if (h->msg_flags & MSG_TRUNC) {
				ctr_add(&t->st->c[U_BAD], 1);
				continue;
			}
			uac_receive(t, (unsigned)s, (const uint8_t *)t->rx->buf[i],
				    t->rx->msg[i].msg_len, &t->rx->from[i]);
		}
		*got += (unsigned)n;
	}
}

static void flush_all(struct uac_thread *t)
{
	for (int s = 0; s < t->o->sockets; s++)
		if (t->tx[s]->n)
			ctr_add(&t->st->c[U_SEND_ERRORS], net_flush(t->fd[s], t->tx[s]));
}

/* Nothing to do now: sleep until a datagram comes, or until the next
 * scenario is due (1 ms at most: the timers' tick; 50 us at least). */
static void idle(struct uac_thread *t)
{
	struct pollfd p[BENCH_MAX_SOCKETS];
	double per_thread = t->cur.phase == PH_RUN ? t->cur.rate / t->o->threads : 0;
	long gap = per_thread > 1000 ? (long)(1e9 / per_thread) : 1000000;
	struct timespec ts = { 0, gap < 50000 ? 50000 : gap };

	for (int s = 0; s < t->o->sockets; s++)
		p[s] = (struct pollfd){ .fd = t->fd[s], .events = POLLIN };
	ppoll(p, (nfds_t)t->o->sockets, &ts, NULL);
}

/* A few datagrams a round: let more gather (50 us), so that each system
 * call moves a batch; system calls, not messages, are the cost here. */
static void nap(void)
{
	nanosleep(&(struct timespec){ 0, 50000 }, NULL);
}

static void *uac_loop(void *arg)
{
	struct uac_thread *t = arg;

	for (;;) {
		unsigned work = 0;

		t->now = now_ns();
		sync_ctl(t);
		if (t->cur.phase == PH_STOP)
			break;
		work += start_due(t);
		receive_all(t, &work);
		wheel_expire(t->wheel, t->now / NS_PER_MS, on_timer, t);
		flush_all(t);
		if (!work)
			idle(t);
		else if (work < BATCH / 4)
			nap();
	}
	abandon_all(t);
	return NULL;
}

static int open_sockets(struct uac_thread *t)
{
	const struct bench_opts *o = t->o;

	for (int s = 0; s < o->sockets; s++) {
		struct slb_addr a = o->local;

		if (a.port)
			a.port = (uint16_t)(a.port + t->id * o->sockets + s);
		t->fd[s] = net_socket(&a, false);
		t->tx[s] = malloc(sizeof(*t->tx[s]));
		if (t->fd[s] < 0 || !t->tx[s]) {
			fprintf(stderr, "siplb-bench: uac socket on port %u: %m\n", a.port);
			return -1;
		}
		t->tx[s]->n = 0;
		t->port[s] = net_local_port(t->fd[s]);
	}
	return 0;
}

static int init_thread(struct uac_thread *t)
{
	t->cap = t->o->max_open;
	t->calls = calloc(t->cap, sizeof(*t->calls));
	t->free = malloc(t->cap * sizeof(*t->free));
	t->wheel = malloc(sizeof(*t->wheel));
	t->rx = malloc(sizeof(*t->rx));
	if (!t->calls || !t->free || !t->wheel || !t->rx ||
	    wheel_init(t->wheel, t->cap, now_ns() / NS_PER_MS)) {
		fprintf(stderr, "siplb-bench: out of memory for %u open scenarios\n", t->cap);
		return -1;
	}
	for (uint32_t i = 0; i < t->cap; i++)
		t->free[i] = t->cap - 1 - i;
	t->nfree = t->cap;
	net_rx_init(t->rx);
	slb_addr_to_sockaddr(&t->o->target, &t->target);
	uint64_t m = t->o->max_scenarios, n = (uint64_t)t->o->threads;

	t->limit = m ? m / n + ((uint64_t)t->id < m % n) : 0;
	return open_sockets(t);
}

static void free_thread(struct uac_thread *t)
{
	for (int s = 0; s < t->o->sockets; s++) {
		if (t->fd[s] >= 0)
			close(t->fd[s]);
		free(t->tx[s]);
	}
	if (t->wheel)
		wheel_free(t->wheel);
	free(t->wheel);
	free(t->calls);
	free(t->free);
	free(t->rx);
}

struct uac_thread *uac_start(const struct bench_opts *o, struct uac_ctl *ctl,
			     struct uac_stats *stats)
{
	struct uac_thread *t = calloc((size_t)o->threads, sizeof(*t));
	uint32_t run = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16));
	int i;

	if (!t)
		return NULL;
	for (i = 0; i < o->threads; i++) {
		t[i] = (struct uac_thread){ .id = i, .o = o, .ctl = ctl, .st = &stats[i] };
		for (int s = 0; s < BENCH_MAX_SOCKETS; s++)
			t[i].fd[s] = -1;
		t[i].cid_prefix_len = (size_t)snprintf(t[i].cid_prefix, sizeof(t[i].cid_prefix),
						       "%08x-%d-", run, i);
		t[i].step = UINT64_MAX;
		if (init_thread(&t[i]))
			break;
	}
	for (int k = 0; i == o->threads && k < o->threads; k++) {
		int err = bench_spawn(&t[k].tid, o->cores[k], uac_loop, &t[k]);

		if (err) {
			fprintf(stderr, "siplb-bench: thread on core %d: %s\n", o->cores[k],
				strerror(err));
			exit(1);
		}
	}
	if (i < o->threads) {
		for (int k = 0; k <= i && k < o->threads; k++)
			free_thread(&t[k]);
		free(t);
		return NULL;
	}
	return t;
}

void uac_join(struct uac_thread *t, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	for (int i = 0; i < n; i++)
		free_thread(&t[i]);
	free(t);
}
