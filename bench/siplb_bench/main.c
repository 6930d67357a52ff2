/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench: SIP traffic at rates SIPp cannot reach, to benchmark a farm
 * of proxies or siplb itself (docs/bench.md).
 *   uac   calls, REGISTERs and OPTIONS at an open-loop rate, or --find-max
 *   uas   answers them (and can hang up itself)
 *   sink  counts what arrives, per method and per Call-ID
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "opts.h"
#include "run.h"
#include "siplb_version.h"

int main(int argc, char **argv)
{
	struct bench_opts o;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		bench_usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("siplb-bench %s\n", SLB_VERSION);
		return 0;
	}
	if (bench_parse_args(argc, argv, &o))
		return 2;
	return o.role == ROLE_UAC ? uac_run(&o) : backend_run(&o);
}
