/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One line of each level through include/siplb/log.h, for test_log.py:
 * log_lines LEVEL.
 */
#include <stdio.h>

#include "siplb/log.h"

int main(int argc, char **argv)
{
	enum slb_log_level level;

	if (argc != 2 || slb_log_level_parse(argv[1], &level)) {
		fprintf(stderr, "usage: log_lines %s\n", SLB_LOG_LEVEL_NAMES);
		return 2;
	}
	slb_log_open("log_lines", level);
	slb_log(SLB_LOG_ERR, "start: out of memory");
	slb_log(SLB_LOG_WARNING, "backend health up -> down: pool=core backend=192.0.2.10:5060 "
		"id=3 reason=\"3 timeouts\"");
	slb_log(SLB_LOG_NOTICE, "running (pid %d): a=b= =c x=1", 7);
	slb_log(SLB_LOG_INFO, "SRV answer: pool=edge backends=2 ttl=30");
	slb_log(SLB_LOG_DEBUG, "debug line: key=value");
	return 0;
}
