/* SPDX-License-Identifier: BSD-3-Clause */
/* siplbd's clock and configuration loading (siplbd_common.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "siplbd_common.h"

uint64_t siplbd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define BUDGET_SHARE 5 /* 1/5 of the loop's time, in the long run */

int siplbd_budget_take(struct siplbd_budget *b, int64_t *took_ms, int64_t *wait_ms)
{
	uint64_t now = siplbd_now_ns();
	int64_t refill = (int64_t)((now - b->at_ns) / BUDGET_SHARE);

	b->left_ns = refill > SIPLBD_BUDGET_BURST_NS - b->left_ns ? SIPLBD_BUDGET_BURST_NS :
		     b->left_ns + refill;
	b->at_ns = now;
	if (b->left_ns > 0)
		return 0;
	*took_ms = (SIPLBD_BUDGET_BURST_NS - b->left_ns) / 1000000;
	*wait_ms = (1000000 - b->left_ns) * BUDGET_SHARE / 1000000;
	return -1;
}

void siplbd_budget_charge(struct siplbd_budget *b, uint64_t since_ns)
{
	b->left_ns -= (int64_t)(siplbd_now_ns() - since_ns);
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
