/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A backend's summary: a JSON file (counters, requests per method, distinct
 * calls) and beside it FILE.ids, the sorted 64-bit hashes of the Call-IDs it
 * saw (little-endian). The uac reads several: per-backend shares, and the
 * affinity violations (a Call-ID on two backends).
 */
#ifndef SIPLB_BENCH_SUMMARY_H
#define SIPLB_BENCH_SUMMARY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* Writes path and path.ids (each through a rename: a reader never sees half). */
int summary_write(const char *path, const char *role, const char *name,
		  const struct be_stats *st, const uint64_t *ids, size_t nids);

struct backend_view {
	const char *path;
	json_object *json;   /* the summary; NULL: not read */
	uint64_t *ids;
	size_t nids;
};

/* Reads v->path, waiting until it is newer than since (a UNIX time) at
 * most wait_secs; -1 with a message when it does not come. */
int summary_read(struct backend_view *v, double since, double wait_secs);
/* Call-ID hashes found in more than one of the n views. */
uint64_t summary_affinity_violations(const struct backend_view *v, int n);
/* A number of the summary (in object group, or at the top: NULL), 0 when absent. */
long long summary_int(const struct backend_view *v, const char *group, const char *key);
/* Its --name. */
const char *summary_name(const struct backend_view *v);
void summary_free(struct backend_view *v);

#endif
