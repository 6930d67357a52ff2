/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket server with siplbd's model and methods behind it
 * (siplbd_fixture.h: maps of its own), in the shape of siplbd's event loop
 * (one poll over the server's fd and a signalfd), for siplbctl's tests:
 *
 *   rpc_test_server --socket PATH --config FILE [--down ADDR[:PORT]]...
 *                   [--max-clients N] [--request-timeout MS] [--max-request N]
 *                   [--allow-uid UID]...
 *
 * --down: the backend's prober takes it down ("3 timeouts"), as three
 * unanswered probes would. Prints "ready" on stdout once it listens;
 * SIGTERM ends it. Needs root (exit 77 without).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "siplbd_fixture.h"

static void log_line(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "rpc_test_server: %s\n", msg);
}

static unsigned number(const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || n > 1u << 30) {
		fprintf(stderr, "rpc_test_server: %s: a number expected\n", v);
		exit(2);
	}
	return (unsigned)n;
}

/* The server's settings into cfg; the model's file into *config, the
 * backends to take down into down (n of them). */
static int setup(int argc, char **argv, struct slb_rpc_server_config *cfg, const char **config,
		 const char **down, int *n)
{
	static const struct option longs[] = {
		{"socket", required_argument, NULL, 's'}, {"config", required_argument, NULL, 'c'},
		{"down", required_argument, NULL, 'd'}, {"max-clients", required_argument, NULL, 'm'},
		{"request-timeout", required_argument, NULL, 't'},
		{"max-request", required_argument, NULL, 'r'},
		{"allow-uid", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (c == 's') {
			cfg->path = optarg;
		} else if (c == 'c') {
			*config = optarg;
		} else if (c == 'd' && *n < 16) {
			down[(*n)++] = optarg;
		} else if (c == 'm') {
			cfg->max_clients = number(optarg);
		} else if (c == 't') {
			cfg->request_timeout_ms = number(optarg);
		} else if (c == 'r') {
			cfg->max_request = number(optarg);
		} else if (c == 'u' && cfg->n_allowed_uids < SLB_RPC_MAX_ALLOWED_UIDS) {
			cfg->allowed_uids[cfg->n_allowed_uids++] = number(optarg);
		} else {
			return -1;
		}
	}
	if (cfg->path && *config)
		return 0;
	fprintf(stderr, "rpc_test_server: --socket PATH --config FILE\n");
	return -1;
}

static int serve(struct slb_rpc_server *srv, int sfd)
{
	struct pollfd p[2] = {{.fd = slb_rpc_server_fd(srv), .events = POLLIN},
			      {.fd = sfd, .events = POLLIN}};
	char err[256];

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return perror("poll"), 1;
		if (p[1].revents)
			return 0;
		if (p[0].revents && slb_rpc_server_process(srv, err, sizeof(err)))
			return fprintf(stderr, "rpc_test_server: %s\n", err), 1;
	}
}

/* The model on config, its backends in down taken down. */
static int start_model(struct siplbd_fixture *f, const char *config, const char **down, int n)
{
	int rc = siplbd_fixture_start(f, config);

	for (int i = 0; !rc && i < n; i++)
		if (siplbd_fixture_down(f, down[i], "3 timeouts")) {
			fprintf(stderr, "rpc_test_server: --down %s: no such probed backend\n", down[i]);
			rc = 2;
		}
	return rc;
}

int main(int argc, char **argv)
{
	static struct siplbd_fixture f; /* large: not on the stack */
	struct slb_rpc_server_config cfg = {.log = log_line};
	struct slb_rpc_server *srv = NULL;
	const char *config = NULL, *down[16];
	char err[512];
	sigset_t set;
	int sfd, n = 0, rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (setup(argc, argv, &cfg, &config, down, &n))
		return 2;
	rc = start_model(&f, config, down, n);
	if (rc) {
		printf("%s\n", rc == 77 ? "skip" : "failed");
		return rc;
	}
	srv = slb_rpc_server_open(&cfg, f.rpc.registry, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "rpc_test_server: %s\n", err);
		rc = 1;
	} else {
		printf("ready\n");
		fflush(stdout);
		rc = serve(srv, sfd);
	}
	slb_rpc_server_close(srv);
	siplbd_fixture_stop(&f);
	return rc;
}
