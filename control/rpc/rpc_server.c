/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a Unix stream listener and its clients behind one
 * epoll fd, so the caller's event loop polls a single fd however many
 * clients there are. Level-triggered; every socket non-blocking. Each pass
 * over a client reads at most once, so one busy client cannot starve the
 * others: what it still has to say stays readable and is taken next pass.
 *
 * A client must keep making progress: its first request, a started
 * request (bytes without their newline) or an unread response must be done
 * within request_timeout_ms, and a silent connection is closed after
 * idle_timeout_ms because it holds one of max_clients slots. Progress is a
 * whole request taken or a whole response sent, not a byte, so a client
 * trickling a byte at a time is still cut off.
 *
 * Slots are shared so that no uid can lock out root or siplbd's own: any
 * other uid holds at most max_per_uid of them and never the last
 * `reserved`.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpc_internal.h"

#define TAG_LISTEN UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)
#define BACKLOG 64
#define EVENTS_PER_PASS 32
/* Out of fds: stop accepting for this long rather than spin on a listener
 * that stays readable. */
#define ACCEPT_PAUSE_NS 1000000000ULL

struct client {
	int fd;                     /* -1: a free slot */
	struct slb_rpc_peer peer;
	char *in;                   /* max_request + 1 bytes: a line and its newline */
	size_t in_off, in_len;      /* unread input is in[in_off, in_len) */
	char *out;
	size_t out_off, out_len, out_cap;
	uint32_t events;            /* what epoll watches for */
	uint64_t deadline_ns;
	bool busy;                  /* a request to come or started, a response unsent */
	bool spoke;                 /* a request taken: idle from now on */
	bool progress;              /* a request taken or a response sent this pass */
	bool eof, closing;
};

struct slb_rpc_server {
	struct slb_rpc_server_config cfg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct slb_rpc_registry *reg;
	int epfd, lfd, tfd;
	dev_t dev;                  /* of the socket file: unlink only ours */
	ino_t ino;
	uid_t owner;
	struct client *clients;
	unsigned n_clients;
	uint64_t accept_paused_until;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

__attribute__((format(printf, 2, 3)))
static void logf_(const struct slb_rpc_server *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.log_ctx, msg);
}

/* ---- output ----------------------------------------------------------------- */

static int queue(struct client *c, const char *line, size_t len)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_len + len + 4096;
		char *p = realloc(c->out, cap);

		if (!p)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	return 0;
}

static int queue_response(struct client *c, json_object *res)
{
	size_t len;
	char *line = slb_rpc_to_line(res, &len);
	int rc = line ? queue(c, line, len) : -1;

	free(line);
	json_object_put(res);
	return rc;
}

/* An error with id null, outside any request: refusals, oversize, timeout. */
__attribute__((format(printf, 3, 4)))
static char *error_line(int code, size_t *len, const char *fmt, ...)
{
	struct slb_rpc_error e = {.code = code};
	json_object *o;
	va_list ap;
	char *line;

	va_start(ap, fmt);
	vsnprintf(e.reason, sizeof(e.reason), fmt, ap);
	va_end(ap);
	o = slb_rpc_error_response(NULL, &e);
	line = slb_rpc_to_line(o, len);
	json_object_put(o);
	return line;
}

/* Best effort on a socket we are about to close: it is new or given up on,
 * so its buffer has room for one short line, or the line does not matter. */
static void say(int fd, char *line, size_t len)
{
	if (line)
		(void)send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(line);
}

/* 0: all sent or would block; -1: the peer is gone. */
static int flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)n;
		c->progress |= c->out_off == c->out_len;
	}
	return 0;
}

/* ---- clients ---------------------------------------------------------------- */

static void drop_client(struct slb_rpc_server *s, struct client *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	*c = (struct client){.fd = -1};
	s->n_clients--;
}

static void watch(struct slb_rpc_server *s, struct client *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)(c - s->clients)};

	if (c->events != events && !epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = events;
}

static bool blank(const char *p, size_t n)
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return n == 0;
}

/* One request, without its newline (a trailing CR too: socat, telnet). */
static int run_line(struct slb_rpc_server *s, struct client *c, const char *p, size_t n)
{
	json_object *res;

	if (n && p[n - 1] == '\r')
		n--;
	c->progress = true;
	if (blank(p, n))
		return 0;
	c->spoke = true;
	res = slb_rpc_dispatch(s->reg, &c->peer, p, n);
	return res ? queue_response(c, res) : 0;
}

static int oversized(struct slb_rpc_server *s, struct client *c)
{
	size_t len;
	char *line = error_line(SLB_RPC_INVALID_REQUEST, &len, "request larger than %zu bytes "
				"(no newline within the limit): connection closed",
				s->cfg.max_request);
	int rc = line ? queue(c, line, len) : -1;

	logf_(s, "control client pid %d uid %u: request larger than %zu bytes: closed",
	      (int)c->peer.pid, (unsigned)c->peer.uid, s->cfg.max_request);
	free(line);
	c->in_off = c->in_len = 0;
	c->closing = true;
	return rc;
}

/* Takes the next complete line from the input, if there is one: 1 taken, 0 none,
 * -1 failed (out of memory). At end of input the rest counts as a line. */
static int take_line(struct slb_rpc_server *s, struct client *c)
{
	char *p = c->in + c->in_off;
	size_t avail = c->in_len - c->in_off;
	char *nl = memchr(p, '\n', avail);

	if (nl) {
		c->in_off += (size_t)(nl - p) + 1;
		return run_line(s, c, p, (size_t)(nl - p)) ? -1 : 1;
	}
	if (avail && c->eof) {
		c->in_off = c->in_len;
		return run_line(s, c, p, avail) ? -1 : 1;
	}
	if (c->in_off == 0 && c->in_len == s->cfg.max_request + 1)
		return oversized(s, c) ? -1 : 1;
	return 0;
}

/* One read into what is left of the buffer: 0, or -1 if the peer failed. */
static int read_some(struct slb_rpc_server *s, struct client *c)
{
	ssize_t n;

	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	n = recv(c->fd, c->in + c->in_len, s->cfg.max_request + 1 - c->in_len, MSG_DONTWAIT);
	if (n > 0)
		c->in_len += (size_t)n;
	else if (n == 0)
		c->eof = true;
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -1;
	return 0;
}

/*
 * Moves a client as far as it can go without waiting: send what is queued,
 * answer complete lines, read once. A response not sent in full holds back
 * the next request, so a client that does not read cannot make us queue
 * without bound.
 */
static void pump(struct slb_rpc_server *s, struct client *c)
{
	bool read_once = false;
	int rc;

	for (;;) {
		if (flush(c)) {
			drop_client(s, c);
			return;
		}
		if (c->out_off < c->out_len) {
			watch(s, c, EPOLLOUT);
			return;
		}
		if (c->closing || (c->eof && c->in_off == c->in_len)) {
			drop_client(s, c);
			return;
		}
		rc = take_line(s, c);
		if (rc > 0)
			continue;
		if (rc < 0 || (!read_once && read_some(s, c))) {
			drop_client(s, c);
			return;
		}
		if (read_once) {
			watch(s, c, EPOLLIN);
			return;
		}
		read_once = true;
	}
}

static void set_deadline(const struct slb_rpc_server *s, struct client *c, uint64_t now)
{
	bool busy = !c->spoke || c->in_len > c->in_off || c->out_off < c->out_len;

	if (!busy)
		c->deadline_ns = now + s->cfg.idle_timeout_ms * 1000000ULL;
	else if (!c->busy || c->progress)
		c->deadline_ns = now + s->cfg.request_timeout_ms * 1000000ULL;
	c->busy = busy;
	c->progress = false;
}

/* The time is taken after the handlers ran: one may have taken long (a
 * publish waits up to seconds for the dataplane), not the client's fault. */
static void on_client(struct slb_rpc_server *s, struct client *c)
{
	pump(s, c);
	if (c->fd >= 0)
		set_deadline(s, c, now_ns());
}

static void time_out(struct slb_rpc_server *s, struct client *c)
{
	size_t len = 0;
	char *line = NULL;

	if (c->busy) {
		logf_(s, "control client pid %d uid %u: no complete request or unread response "
		      "after %u ms: closed", (int)c->peer.pid, (unsigned)c->peer.uid,
		      s->cfg.request_timeout_ms);
		/* one that never said a thing is not told either */
		if (c->out_off == c->out_len && c->in_len > c->in_off)
			line = error_line(SLB_RPC_INVALID_REQUEST, &len, "request not complete "
					  "(no newline) after %u ms: connection closed",
					  s->cfg.request_timeout_ms);
	}
	say(c->fd, line, len);
	drop_client(s, c);
}

/* ---- accepting ---------------------------------------------------------------- */

static bool privileged(const struct slb_rpc_server *s, uid_t uid)
{
	return uid == 0 || uid == s->owner;
}

static bool allowed(const struct slb_rpc_server *s, uid_t uid)
{
	if (privileged(s, uid))
		return true;
	for (unsigned i = 0; i < s->cfg.n_allowed_uids; i++)
		if (s->cfg.allowed_uids[i] == uid)
			return true;
	return false;
}

static struct client *free_slot(struct slb_rpc_server *s)
{
	for (unsigned i = 0; i < s->cfg.max_clients; i++)
		if (s->clients[i].fd < 0)
			return &s->clients[i];
	return NULL;
}

static unsigned clients_of(const struct slb_rpc_server *s, uid_t uid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->cfg.max_clients; i++)
		n += s->clients[i].fd >= 0 && s->clients[i].peer.uid == uid;
	return n;
}

/* An allowed uid other than root's and ours over its share: why, or NULL. */
static char *over_share(struct slb_rpc_server *s, const struct ucred *cr, size_t *len)
{
	unsigned mine;

	if (privileged(s, cr->uid))
		return NULL;
	if (s->n_clients >= s->cfg.max_clients - s->cfg.reserved) {
		logf_(s, "control client pid %d uid %u refused: the %u slots left are root's",
		      (int)cr->pid, (unsigned)cr->uid, s->cfg.max_clients - s->n_clients);
		return error_line(SLB_RPC_LIMIT, len, "too many clients: the %u slots left are "
				  "kept for root: try again", s->cfg.max_clients - s->n_clients);
	}
	mine = clients_of(s, cr->uid);
	if (mine < s->cfg.max_per_uid)
		return NULL;
	logf_(s, "control client pid %d uid %u refused: %u connections of that uid already",
	      (int)cr->pid, (unsigned)cr->uid, mine);
	return error_line(SLB_RPC_LIMIT, len, "uid %u has %u connections already (at most %u): "
			  "try again", (unsigned)cr->uid, mine, s->cfg.max_per_uid);
}

/* A refused peer is told why before it is closed: siplbctl prints that. */
static bool refuse(struct slb_rpc_server *s, int fd, const struct ucred *cr)
{
	size_t len = 0;
	char *line = NULL;

	if (!allowed(s, cr->uid)) {
		logf_(s, "control client pid %d refused: uid %u is not root, the socket's owner "
		      "(uid %u) or an allowed uid", (int)cr->pid, (unsigned)cr->uid,
		      (unsigned)s->owner);
		line = error_line(SLB_RPC_DENIED, &len, "uid %u may not use this socket",
				  (unsigned)cr->uid);
	} else if (s->n_clients == s->cfg.max_clients) {
		logf_(s, "control client pid %d uid %u refused: %u clients already",
		      (int)cr->pid, (unsigned)cr->uid, s->n_clients);
		line = error_line(SLB_RPC_LIMIT, &len, "too many clients (%u): try again",
				  s->cfg.max_clients);
	} else if (!(line = over_share(s, cr, &len))) {
		return false;
	}
	say(fd, line, len);
	close(fd);
	return true;
}

static void admit(struct slb_rpc_server *s, int fd, uint64_t now)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	struct client *c;
	struct epoll_event ev = {.events = EPOLLIN};

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l)) {
		logf_(s, "control socket: SO_PEERCRED: %s: client closed", strerror(errno));
		close(fd);
		return;
	}
	if (refuse(s, fd, &cr))
		return;
	c = free_slot(s);
	*c = (struct client){.fd = fd, .peer = {cr.uid, cr.gid, cr.pid}, .events = EPOLLIN};
	c->in = malloc(s->cfg.max_request + 1);
	ev.data.u64 = (uint64_t)(c - s->clients);
	s->n_clients++;
	if (!c->in || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		logf_(s, "control socket: cannot take a client: %s",
		      c->in ? strerror(errno) : "out of memory");
		drop_client(s, c);
		return;
	}
	set_deadline(s, c, now);
}

static void pause_accepting(struct slb_rpc_server *s, uint64_t now)
{
	struct epoll_event ev = {.events = 0, .data.u64 = TAG_LISTEN};

	logf_(s, "control socket: accept: %s: not accepting for 1 s", strerror(errno));
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
	s->accept_paused_until = now + ACCEPT_PAUSE_NS;
}

static void accept_all(struct slb_rpc_server *s, uint64_t now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(s, fd, now);
		} else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			   errno == ENOMEM) {
			pause_accepting(s, now);
			return;
		} else if (errno != EINTR && errno != ECONNABORTED) {
			return; /* EAGAIN: all taken */
		}
	}
}

/* ---- time --------------------------------------------------------------------- */

static void expire(struct slb_rpc_server *s, uint64_t now)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};

	for (unsigned i = 0; i < s->cfg.max_clients; i++)
		if (s->clients[i].fd >= 0 && s->clients[i].deadline_ns <= now)
			time_out(s, &s->clients[i]);
	if (s->accept_paused_until && s->accept_paused_until <= now &&
	    !epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev))
		s->accept_paused_until = 0;
}

/* The timerfd fires at the earliest deadline, which makes the epoll fd readable. */
static void arm_timer(struct slb_rpc_server *s)
{
	uint64_t next = s->accept_paused_until;
	struct itimerspec its = {0};

	for (unsigned i = 0; i < s->cfg.max_clients; i++)
		if (s->clients[i].fd >= 0 && (!next || s->clients[i].deadline_ns < next))
			next = s->clients[i].deadline_ns;
	its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
	its.it_value.tv_nsec = (long)(next % 1000000000ULL);
	timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int slb_rpc_server_process(struct slb_rpc_server *s, char *err, size_t errlen)
{
	struct epoll_event ev[EVENTS_PER_PASS];
	uint64_t now = now_ns(), ticks;
	int n = epoll_wait(s->epfd, ev, EVENTS_PER_PASS, 0);

	if (n < 0 && errno != EINTR) {
		snprintf(err, errlen, "control socket: epoll_wait: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;

		if (tag == TAG_LISTEN)
			accept_all(s, now);
		else if (tag == TAG_TIMER)
			(void)!read(s->tfd, &ticks, sizeof(ticks));
		else if (s->clients[tag].fd >= 0)
			on_client(s, &s->clients[tag]);
	}
	expire(s, now_ns());
	arm_timer(s);
	return 0;
}

int slb_rpc_server_fd(const struct slb_rpc_server *s)
{
	return s->epfd;
}

unsigned slb_rpc_server_clients(const struct slb_rpc_server *s)
{
	return s->n_clients;
}

/* ---- opening and closing ------------------------------------------------------ */

static void apply_defaults(struct slb_rpc_server_config *c)
{
	if (!c->mode)
		c->mode = SLB_RPC_DEFAULT_MODE;
	if (!c->max_request)
		c->max_request = SLB_RPC_DEFAULT_MAX_REQUEST;
	if (!c->max_clients)
		c->max_clients = SLB_RPC_DEFAULT_MAX_CLIENTS;
	if (!c->request_timeout_ms)
		c->request_timeout_ms = SLB_RPC_DEFAULT_REQUEST_TIMEOUT_MS;
	if (!c->idle_timeout_ms)
		c->idle_timeout_ms = SLB_RPC_DEFAULT_IDLE_TIMEOUT_MS;
	if (!c->max_per_uid)
		c->max_per_uid = SLB_RPC_DEFAULT_MAX_PER_UID;
	if (!c->reserved)
		c->reserved = c->max_clients / 8;
}

/* Something at path already: a stale socket goes, anything else stays and we fail. */
static int clear_path(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", sa->sun_path,
						       strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode))
		return snprintf(err, errlen, "%s: exists and is not a socket", sa->sun_path), -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -1 : connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		return snprintf(err, errlen, "%s: another server is listening there",
				sa->sun_path), -1;
	if (errno != ECONNREFUSED)
		return snprintf(err, errlen, "%s: %s", sa->sun_path, strerror(errno)), -1;
	return unlink(sa->sun_path) && errno != ENOENT ?
	       (snprintf(err, errlen, "%s: stale socket: %s", sa->sun_path, strerror(errno)), -1) :
	       0;
}

/* Created with its mode from the start (umask), not chmod'ed after: no
 * moment where anyone else may connect. */
static int listen_at(struct slb_rpc_server *s, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int rc;

	memcpy(sa.sun_path, s->path, sizeof(s->path));
	if (clear_path(&sa, err, errlen))
		return -1;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return snprintf(err, errlen, "socket: %s", strerror(errno)), -1;
	old = umask(~s->cfg.mode & 0777);
	rc = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || listen(s->lfd, BACKLOG) || stat(s->path, &st))
		return snprintf(err, errlen, "%s: %s", s->path, strerror(errno)), -1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

static int add_fd(struct slb_rpc_server *s, int fd, uint64_t tag, char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev))
		return snprintf(err, errlen, "epoll_ctl: %s", strerror(errno)), -1;
	return 0;
}

/* c with its defaults applied. */
static int check_config(const struct slb_rpc_server_config *c, char *err, size_t errlen)
{
	if (!c->path || !*c->path || strlen(c->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		snprintf(err, errlen, "control socket path \"%s\": 1..%zu bytes expected",
			 c->path ? c->path : "", sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	else if (c->n_allowed_uids > SLB_RPC_MAX_ALLOWED_UIDS)
		snprintf(err, errlen, "%u allowed uids: at most %d", c->n_allowed_uids,
			 SLB_RPC_MAX_ALLOWED_UIDS);
	else if (c->mode & ~0777u)
		snprintf(err, errlen, "control socket mode %o: permission bits only", c->mode);
	else if (c->reserved >= c->max_clients)
		snprintf(err, errlen, "%u reserved control slots of %u: some must be left for "
			 "others", c->reserved, c->max_clients);
	else
		return 0;
	return -1;
}

struct slb_rpc_server *slb_rpc_server_open(const struct slb_rpc_server_config *cfg,
					   struct slb_rpc_registry *reg, char *err,
					   size_t errlen)
{
	struct slb_rpc_server_config c = *cfg;
	struct slb_rpc_server *s;

	apply_defaults(&c);
	if (check_config(&c, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return snprintf(err, errlen, "out of memory"), NULL;
	*s = (struct slb_rpc_server){.cfg = c, .reg = reg, .epfd = -1, .lfd = -1, .tfd = -1,
				     .owner = geteuid()};
	snprintf(s->path, sizeof(s->path), "%s", cfg->path);
	s->cfg.path = s->path;
	s->clients = calloc(s->cfg.max_clients, sizeof(*s->clients));
	for (unsigned i = 0; s->clients && i < s->cfg.max_clients; i++)
		s->clients[i].fd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!s->clients || s->epfd < 0 || s->tfd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno ? errno : ENOMEM));
	} else if (!listen_at(s, err, errlen) && !add_fd(s, s->lfd, TAG_LISTEN, err, errlen) &&
		   !add_fd(s, s->tfd, TAG_TIMER, err, errlen)) {
		return s;
	}
	slb_rpc_server_close(s);
	return NULL;
}

void slb_rpc_server_close(struct slb_rpc_server *s)
{
	struct stat st;

	if (!s)
		return;
	for (unsigned i = 0; s->clients && i < s->cfg.max_clients; i++)
		if (s->clients[i].fd >= 0)
			drop_client(s, &s->clients[i]);
	/* A newer server may have replaced our socket file: leave that one. */
	if (s->ino && !stat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->clients);
	free(s);
}
