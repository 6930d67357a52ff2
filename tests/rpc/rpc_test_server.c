/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket server with the fake model behind it, in the shape
 * siplbd's event loop will have (one poll over the server's fd and a
 * signalfd), for siplbctl's tests:
 *
 *   rpc_test_server --socket PATH [--config FILE] [--down ADDR[:PORT]]...
 *                   [--max-clients N] [--request-timeout MS] [--max-request N]
 *                   [--allow-uid UID]...
 *
 * Prints "ready" on stdout once it listens; SIGTERM ends it.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "fake_model.h"

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

static int setup(int argc, char **argv, struct slb_rpc_server_config *cfg,
		 struct fake_model *m)
{
	static const struct option longs[] = {
		{"socket", required_argument, NULL, 's'}, {"config", required_argument, NULL, 'c'},
		{"down", required_argument, NULL, 'd'}, {"max-clients", required_argument, NULL, 'm'},
		{"request-timeout", required_argument, NULL, 't'},
		{"max-request", required_argument, NULL, 'r'},
		{"allow-uid", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0},
	};
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		struct slb_config conf;

		if (c == 's') {
			cfg->path = optarg;
		} else if (c == 'c') {
			if (slb_config_load(optarg, &conf, err, sizeof(err)))
				return fprintf(stderr, "rpc_test_server: %s\n", err), -1;
			fake_model_apply(m, &conf);
			slb_config_free(&conf);
			snprintf(m->config, sizeof(m->config), "%s", optarg);
		} else if (c == 'd') {
			if (fake_model_set_health(m, optarg, SLB_BACKEND_DOWN))
				return fprintf(stderr, "rpc_test_server: --down %s: no such backend\n",
					       optarg), -1;
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
	return cfg->path ? 0 : (fprintf(stderr, "rpc_test_server: --socket PATH\n"), -1);
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

int main(int argc, char **argv)
{
	static struct fake_model model; /* large: not on the stack */
	struct slb_rpc_server_config cfg = {.log = log_line};
	struct slb_rpc_handlers h = {0};
	struct slb_rpc_registry *reg = slb_rpc_registry_new();
	struct slb_rpc_server *srv = NULL;
	char err[512];
	sigset_t set;
	int sfd, rc = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	fake_handlers(&h);
	fake_config_handlers(&h);
	if (setup(argc, argv, &cfg, &model))
		return 2;
	if (slb_rpc_register_siplbd(reg, &h, &model, err, sizeof(err)) ||
	    !(srv = slb_rpc_server_open(&cfg, reg, err, sizeof(err)))) {
		fprintf(stderr, "rpc_test_server: %s\n", err);
	} else {
		printf("ready\n");
		fflush(stdout);
		rc = serve(srv, sfd);
	}
	slb_rpc_server_close(srv);
	slb_rpc_registry_free(reg);
	return rc;
}
