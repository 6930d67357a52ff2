/* SPDX-License-Identifier: BSD-3-Clause */
/* siplbd's log line, clock and configuration loading (siplbd_common.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "siplbd_common.h"

void siplbd_log(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ siplbd: ", stamp, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t siplbd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int siplbd_load_config(const char *path, const char *bpffs, struct slb_config *cfg, char *err,
		       size_t errlen)
{
	if (slb_config_load(path, cfg, err, errlen))
		return -1;
	if (!bpffs)
		return 0;
	if (strlen(bpffs) >= sizeof(cfg->bpffs)) {
		snprintf(err, errlen, "--bpffs: longer than %zu bytes", sizeof(cfg->bpffs) - 1);
		slb_config_free(cfg);
		return -1;
	}
	snprintf(cfg->bpffs, sizeof(cfg->bpffs), "%s", bpffs);
	return 0;
}
