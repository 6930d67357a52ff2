/* SPDX-License-Identifier: BSD-3-Clause */
/* The real siplbd model and methods on maps of their own (siplbd_fixture.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "siplb/sip_scan.h"
#include "siplbd_fixture.h"

/* The program's part after a publish (next hops, metrics, XDP): none here. */
static void published(void *arg, const struct slb_config *replaced)
{
	(void)arg;
	(void)replaced;
}

/* Own mounts and network; a bpffs on a fresh directory; lo with 198.51.100.1/24. */
static int namespaces(struct siplbd_fixture *f)
{
	if (geteuid()) {
		fprintf(stderr, "SKIP: needs root (namespaces, a bpffs, BPF maps)\n");
		return 77;
	}
	snprintf(f->dir, sizeof(f->dir), "/run/siplb-rpc-XXXXXX");
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || !mkdtemp(f->dir)) {
		fprintf(stderr, "namespaces: %s\n", strerror(errno));
		return 1;
	}
	if (mount("bpf", f->dir, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "SKIP: mount -t bpf %s: %s\n", f->dir, strerror(errno));
		rmdir(f->dir);
		return 77;
	}
	if (system("ip link set lo up && ip addr add 198.51.100.1/24 dev lo")) {
		fprintf(stderr, "ip: lo and 198.51.100.1/24 failed\n");
		return 1;
	}
	return 0;
}

/* What siplb-dp's lcore 0 would have counted (the header's figures). */
static void count(struct slb_lcore_stats *t)
{
	static const uint32_t replies[SLB_REPLY_COUNT] = {1, 2, 0}; /* 483, 503, 513, ... */

	for (uint64_t i = 0; i < SLB_MAX_VIPS; i++)
		t->vip_rx[i] = (struct slb_msg_counter){1000 * (i + 1), 500000 * (i + 1)};
	for (uint64_t i = 0; i < SLB_MAX_BACKENDS; i++)
		t->backend_tx[i] = (struct slb_msg_counter){100 * (i + 1), 50000 * (i + 1)};
	t->responses = (struct slb_msg_counter){900, 450000};
	t->in_dialog = (struct slb_msg_counter){300, 150000};
	for (unsigned i = 0; i < SLB_DROP_COUNT; i++)
		t->drops[i] = i;
	for (unsigned i = 0; i < SLB_REPLY_COUNT; i++)
		t->replies[i] = replies[i];
	for (unsigned i = 0; i < SLB_SIP_REASON_COUNT; i++)
		t->sip_reasons[i] = i;
	t->keepalives = 7;
}

/* Maps and the model on f->config, counters counted: 0, or 1. */
static int start_model(struct siplbd_fixture *f)
{
	struct siplbd_model *m = &f->model;
	struct slb_config cfg;
	char err[512];

	*m = (struct siplbd_model){.bpffs = f->dir, .maps = &f->maps, .published = published};
	snprintf(m->config, sizeof(m->config), "%s", f->config);
	if (siplbd_load_config(f->config, f->dir, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const struct slb_map_sizes sizes = {cfg.capacity, cfg.rules_capacity, cfg.rule_counters};

	if (slb_maps_create(f->dir, &sizes, &f->maps, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		slb_config_free(&cfg);
		return 1;
	}
	if (siplbd_model_start(m, &cfg, false))
		return 1;
	count(&f->maps.stats[0]);
	return 0;
}

int siplbd_fixture_start(struct siplbd_fixture *f, const char *config)
{
	char err[512];
	int rc = namespaces(f);

	if (rc)
		return rc;
	snprintf(f->config, sizeof(f->config), "%s", config);
	if (siplbd_rpc_init(&f->rpc, &f->model, &f->maps, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return start_model(f);
}

/* The model stopped, the maps closed and unpinned. */
static void stop_model(struct siplbd_fixture *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;

	siplbd_model_stop(&f->model);
	if (f->maps.control)
		slb_maps_close(&f->maps);
	f->maps = (struct slb_maps){0};
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
}

int siplbd_fixture_reset(struct siplbd_fixture *f)
{
	stop_model(f);
	f->rpc.budget = (struct siplbd_budget){0}; /* a full budget, as at the start */
	return start_model(f);
}

void siplbd_fixture_stop(struct siplbd_fixture *f)
{
	siplbd_rpc_close(&f->rpc);
	stop_model(f);
	if (umount2(f->dir, MNT_DETACH) || rmdir(f->dir))
		fprintf(stderr, "cleaning up %s: %s\n", f->dir, strerror(errno));
}

int siplbd_fixture_down(struct siplbd_fixture *f, const char *backend, const char *reason)
{
	struct siplbd_model *m = &f->model;
	struct slb_addr a;
	char err[256];
	int n = 0;

	if (slb_rpc_parse_backend(backend, &a, err, sizeof(err)))
		return -1;
	for (uint32_t id = 0; id < SLB_MAX_BACKENDS; id++)
		if (m->backends[id].used && m->backends[id].prober &&
		    !slb_addr_cmp(&m->backends[id].a, &a))
			n += slb_health_mark_down(m->backends[id].prober, id, reason) >= 0;
	siplbd_model_publish_dirty(m, true);
	return n ? 0 : -1;
}
