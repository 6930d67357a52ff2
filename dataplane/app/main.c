/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-dp: EAL, config, state maps, ports, then the workers until
 * SIGINT/SIGTERM (or --exit-when-idle), then everything back in reverse.
 */
#define _GNU_SOURCE /* fopencookie */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_log.h>

#include "inet_csum.h"
#include "siphash.h"
#include "siplb_dp.h"

static struct slb_dp dp;

static void on_signal(int sig)
{
	(void)sig;
	slb_dp_quit = true;
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slb_vlog(SLB_LOG_ERR, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

/* DPDK's own lines (EAL, the PMDs, siplb.neigh) into siplb's log, at their
 * level: DPDK's RTE_LOG_ERR (4) .. RTE_LOG_DEBUG (8) are syslog's 3 .. 7. */
static ssize_t dpdk_log_write(void *cookie, const char *buf, size_t len)
{
	int level = rte_log_cur_msg_loglevel() - 1;
	size_t n = len && buf[len - 1] == '\n' ? len - 1 : len; /* slb_log ends the line */

	(void)cookie;
	slb_log(level < SLB_LOG_ERR ? SLB_LOG_ERR : level > SLB_LOG_DEBUG ? SLB_LOG_DEBUG :
		(enum slb_log_level)level, "%.*s", (int)n, buf);
	return (ssize_t)len;
}

/* Before rte_eal_init, so that EAL's own lines go the same way. */
static void route_dpdk_log(void)
{
	static char line[4096]; /* one message per write: rte_log flushes each */
	FILE *f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = dpdk_log_write});

	if (!f || setvbuf(f, line, _IOFBF, sizeof(line)) || rte_openlog_stream(f))
		die("cannot route DPDK's log: %s", strerror(errno));
}

static int open_state(struct slb_dp *d, char *err, size_t errlen)
{
	const char *dir = d->opts.bpffs ? d->opts.bpffs : d->cfg.bpffs;

	if (slb_maps_open(dir, &d->maps, err, errlen))
		return -1;
	if (slb_generation(&d->maps))
		return 0;
	snprintf(err, errlen, "%s: siplbd created the state maps but has not published a "
		 "state yet (is it still starting, or failing? see its log)", dir);
	return -1;
}

/* Reader slots are claimed before any port starts: a second siplb-dp on the
 * same maps must fail before it touches the first one's interfaces (an
 * af_xdp start would replace its XDP program). */
static int setup(struct slb_dp *d, char *err, size_t errlen)
{
	return open_state(d, err, errlen) || slb_dp_lcores_setup(d, err, errlen) ||
	       slb_dp_counters_start(d, err, errlen) || slb_dp_ports_setup(d, err, errlen) ||
	       slb_dp_kernel_setup(d, err, errlen) || slb_dp_capture_start(d, err, errlen);
}

/*
 * rte_eal_cleanup closes every port, started or not, and the af_xdp PMD's
 * close detaches whatever XDP program the interface has. On a port this
 * process never started that is not its own: the program of the siplb-dp
 * whose reader slot refused this one, or a program that is not siplb's.
 * A start that failed before every port ran leaves EAL to the process's
 * exit (hugepage files: EAL clears them at the next start with this
 * --file-prefix).
 */
/* EAL leaves its runtime directory (/var/run/dpdk/PREFIX: the config and,
 * with --no-huge, a 6 MB fbarray file, in RAM) behind; no other process
 * uses this one's (siplb-dp has no secondaries), so it goes with it. */
static void remove_runtime_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	closedir(d);
	rmdir(dir);
}

static void teardown(struct slb_dp *d)
{
	bool eal = d->ports_up;
	char runtime_dir[PATH_MAX];

	slb_dp_ports_stop(d);
	slb_dp_capture_stop(d);
	slb_dp_kernel_close(d);
	slb_dp_counters_release(d);
	slb_dp_lcores_free(d);
	free(d->stats_at_start);
	slb_maps_close(&d->maps);
	slb_config_free(&d->cfg);
	if (!eal)
		return;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_runtime_dir(runtime_dir);
}

static void run(struct slb_dp *d)
{
	unsigned lcore;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	slb_log(SLB_LOG_NOTICE, "forwarding: %u worker lcore(s), %u port(s), generation %" PRIu64,
		d->n_queues, d->n_ports, slb_generation(&d->maps));
	rte_eal_mp_remote_launch(slb_dp_worker, d, CALL_MAIN);
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_wait_lcore(lcore);
}

int main(int argc, char **argv)
{
	char err[PATH_MAX + 1024]; /* a path and what went wrong with it */
	int n;

	if (slb_dp_early_args(argc, argv))
		return 0;
	slb_log_open("siplb-dp", SLB_LOG_INFO); /* then --log-level, after EAL's args */
	route_dpdk_log();
	n = rte_eal_init(argc, argv);
	if (n < 0)
		die("EAL initialisation failed: %s", rte_strerror(rte_errno));
	argc -= n;
	argv += n;
	if (slb_dp_parse_args(argc, argv, &dp.opts, err, sizeof(err)) ||
	    slb_config_load(dp.opts.config, &dp.cfg, err, sizeof(err)))
		die("%s", err);
	slb_log_open("siplb-dp", dp.opts.log_level ? dp.opts.log_level :
				 dp.cfg.log_level ? (enum slb_log_level)dp.cfg.log_level : SLB_LOG_INFO);
	slb_sip_path_choose(dp.opts.scan_path); /* args.c refused one this CPU lacks */
	slb_csum_allow_avx512(slb_sip_path_active() == SLB_SIP_PATH_AVX512);
	slb_siphash_allow_avx512(slb_sip_path_active() == SLB_SIP_PATH_AVX512);
	slb_log(SLB_LOG_INFO, "SIP scanner: path=%s (%s)", slb_sip_path_name(slb_sip_path_active()),
		dp.opts.scan_path ? "--scan-path" : "auto: the fastest this CPU has");
	if (setup(&dp, err, sizeof(err))) {
		teardown(&dp);
		die("%s", err);
	}
	run(&dp);
	slb_dp_ports_stop(&dp);
	slb_dp_counters_print(&dp);
	teardown(&dp);
	return 0;
}
