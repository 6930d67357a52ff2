/* SPDX-License-Identifier: BSD-3-Clause */
/* siplb-dp's own command line: what comes after EAL's "--". */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siplb_dp.h"
#include "siplb_version.h"

static const char usage[] =
	"usage: siplb-dp [EAL args] -- --config FILE [--bpffs DIR]\n"
	"                [--static-mac PORT=MAC]... [--exit-when-idle MS] [--log-level LEVEL]\n"
	"                [--scan-path PATH]\n"
	"       siplb-dp --print-xdp-prog | --version\n"
	"  --config FILE          the siplb configuration (docs/config.md)\n"
	"  --bpffs DIR            where siplbd pinned the state maps (default: the config's)\n"
	"  --static-mac PORT=MAC  next-hop MAC for every packet out of PORT, a port the\n"
	"                         kernel does not see (net_pcap, net_null, a bound NIC)\n"
	"  --exit-when-idle MS    each worker stops after MS without a packet (tests)\n"
	"  --log-level LEVEL      " SLB_LOG_LEVEL_NAMES " (default: the file's log_level,\n"
	"                         info); DPDK's own lines also by EAL's --log-level\n"
	"  --scan-path PATH       the SIP scanner's instructions: " SLB_SIP_PATH_NAMES "\n"
	"                         (default auto: the fastest this CPU has)\n"
	"  --print-xdp-prog       the placeholder XDP object for af_xdp's xdp_prog=, and exit\n";

const char *slb_dp_xdp_prog(void)
{
	return access(SLB_DP_XDP_PROG_BUILD, R_OK) ? SLB_DP_XDP_PROG_INSTALLED
						   : SLB_DP_XDP_PROG_BUILD;
}

/* None needs EAL, and EAL would reject them as unknown options. */
int slb_dp_early_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--print-xdp-prog")) {
			printf("%s\n", slb_dp_xdp_prog());
			return 1;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("siplb-dp %s\n", SLB_VERSION);
			return 1;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 1;
		}
	}
	return 0;
}

static int parse_static_mac(char *arg, struct slb_dp_opts *o, char *err, size_t errlen)
{
	char *eq = strrchr(arg, '=');
	struct slb_dp_static_mac *s = &o->static_macs[o->n_static_macs];

	if (o->n_static_macs == RTE_MAX_ETHPORTS) {
		snprintf(err, errlen, "--static-mac: more than %d ports", RTE_MAX_ETHPORTS);
		return -1;
	}
	if (!eq || eq == arg || rte_ether_unformat_addr(eq + 1, &s->mac)) {
		snprintf(err, errlen, "--static-mac '%s': expected PORT=MAC, "
			 "e.g. net_pcap0=02:00:00:00:00:02", arg);
		return -1;
	}
	/* the port name ends at '='; argv lives as long as the process */
	*eq = 0;
	s->port = arg;
	o->n_static_macs++;
	return 0;
}

static int parse_ms(const char *arg, uint64_t *out, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v == 0 || v > 86400000ULL || arg[0] == '-') {
		snprintf(err, errlen, "--exit-when-idle '%s': milliseconds, 1..86400000", arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_log_level(const char *arg, enum slb_log_level *out, char *err, size_t errlen)
{
	if (!slb_log_level_parse(arg, out))
		return 0;
	snprintf(err, errlen, "--log-level '%s': one of %s expected", arg, SLB_LOG_LEVEL_NAMES);
	return -1;
}

/* Refused here, before any port starts, when this CPU lacks the path. */
static int parse_scan_path(const char *arg, enum slb_sip_path *out, char *err, size_t errlen)
{
	enum slb_sip_path path = slb_sip_path_by_name(arg);

	if (path == SLB_SIP_PATH_COUNT)
		snprintf(err, errlen, "--scan-path '%s': one of %s expected", arg, SLB_SIP_PATH_NAMES);
	else if (!slb_sip_path_supported(path))
		snprintf(err, errlen, "--scan-path %s: this CPU lacks its instructions (the fastest "
			 "it has is %s)", arg, slb_sip_path_name(slb_sip_path_active()));
	else {
		*out = path;
		return 0;
	}
	return -1;
}

int slb_dp_parse_args(int argc, char **argv, struct slb_dp_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ "static-mac", required_argument, NULL, 'm' },
		{ "exit-when-idle", required_argument, NULL, 'i' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "scan-path", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'c': o->config = optarg; break;
		case 'b': o->bpffs = optarg; break;
		case 'm': bad = parse_static_mac(optarg, o, err, errlen); break;
		case 'i': bad = parse_ms(optarg, &o->exit_when_idle_ms, err, errlen); break;
		case 'l': bad = parse_log_level(optarg, &o->log_level, err, errlen); break;
		case 's': bad = parse_scan_path(optarg, &o->scan_path, err, errlen); break;
		default:
			snprintf(err, errlen, "unknown or incomplete option '%s'\n%s",
				 argv[optind - 1], usage);
			return -1;
		}
		if (bad)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	if (!o->config) {
		snprintf(err, errlen, "--config FILE is required (after EAL's \"--\")\n%s", usage);
		return -1;
	}
	return 0;
}
