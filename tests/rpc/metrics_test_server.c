/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics endpoint with the fixture snapshot, for curl and Prometheus'
 * parser (test_metrics_http.py):
 *
 *   metrics_test_server [ADDRESS]    prints "port N" once it listens
 *
 * then reads commands on stdin: "update" serves the fixture (before it,
 * /metrics answers 503); end of input stops it.
 */
#include <stdio.h>
#include <string.h>

#include "metrics_fixture.h"

int main(int argc, char **argv)
{
	struct slb_metrics_config cfg = {.address = argc > 1 ? argv[1] : NULL};
	struct slb_metrics_snapshot s;
	struct slb_metrics_server *m;
	char err[256], line[64];

	m = slb_metrics_start(&cfg, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "metrics_test_server: %s\n", err);
		return 1;
	}
	printf("port %u\n", slb_metrics_port(m));
	fflush(stdout);
	fixture_snapshot(&s);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "update\n") && slb_metrics_update(m, &s) == 0)
			printf("updated\n");
		else
			printf("? %s", line);
		fflush(stdout);
	}
	slb_metrics_stop(m);
	return 0;
}
