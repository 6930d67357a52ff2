/* SPDX-License-Identifier: BSD-3-Clause */
#include "summary.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static json_object *counters(const char *const *names, const uint64_t *v, int n)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < n; i++)
		json_object_object_add(o, names[i], json_object_new_int64((int64_t)v[i]));
	return o;
}

static json_object *methods(const struct be_stats *st)
{
	json_object *o = json_object_new_object();

	for (int m = 0; m < SLB_SIP_METHOD_COUNT; m++)
		if (st->method[m])
			json_object_object_add(o, m ? slb_sip_method_name(m) : "other",
					       json_object_new_int64((int64_t)st->method[m]));
	return o;
}

static int write_ids(const char *path, const uint64_t *ids, size_t n)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.ids.new", path);
	if (!(f = fopen(tmp, "wb")))
		return -1;
	size_t put = n ? fwrite(ids, sizeof(*ids), n, f) : 0;

	if (fclose(f) || put != n)
		return -1;
	char final[4096];

	snprintf(final, sizeof(final), "%s.ids", path);
	return rename(tmp, final);
}

int summary_write(const char *path, const char *role, const char *name,
		  const struct be_stats *st, const uint64_t *ids, size_t nids)
{
	json_object *j = json_object_new_object();
	char tmp[4096];

	json_object_object_add(j, "role", json_object_new_string(role));
	json_object_object_add(j, "name", json_object_new_string(name));
	json_object_object_add(j, "counters", counters(be_ctr_name, st->c, B_COUNT));
	json_object_object_add(j, "methods", methods(st));
	json_object_object_add(j, "calls", json_object_new_int64((int64_t)nids));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int rc = write_ids(path, ids, nids) ||
		 json_object_to_file_ext(tmp, j, JSON_C_TO_STRING_PRETTY) || rename(tmp, path);

	json_object_put(j);
	if (rc)
		fprintf(stderr, "siplb-bench: summary %s: %s\n", path, strerror(errno));
	return rc ? -1 : 0;
}

static int read_ids(struct backend_view *v)
{
	char p[4096];
	struct stat s;
	FILE *f;

	snprintf(p, sizeof(p), "%s.ids", v->path);
	if (!(f = fopen(p, "rb")) || fstat(fileno(f), &s)) {
		if (f)
			fclose(f);
		return -1;
	}
	v->nids = (size_t)s.st_size / sizeof(uint64_t);
	v->ids = malloc(v->nids ? v->nids * sizeof(uint64_t) : 1);
	size_t got = v->ids ? fread(v->ids, sizeof(uint64_t), v->nids, f) : 0;

	fclose(f);
	return got == v->nids ? 0 : -1;
}

static bool fresh(const char *path, double since)
{
	struct stat s;

	return !stat(path, &s) && s.st_mtim.tv_sec + s.st_mtim.tv_nsec / 1e9 >= since;
}

int summary_read(struct backend_view *v, double since, double wait_secs)
{
	for (double waited = 0; !fresh(v->path, since); waited += 0.1) {
		if (waited >= wait_secs) {
			fprintf(stderr, "siplb-bench: no summary in %s after %.1f s (is the uas or "
				"sink running with --summary and --idle-exit?)\n", v->path, wait_secs);
			return -1;
		}
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	v->json = json_object_from_file(v->path);
	if (!v->json || read_ids(v)) {
		fprintf(stderr, "siplb-bench: summary %s: unreadable\n", v->path);
		return -1;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Each view's hashes are distinct, so a hash twice in the union is a call
 * seen by two backends. */
uint64_t summary_affinity_violations(const struct backend_view *v, int n)
{
	size_t total = 0, k = 0;
	uint64_t bad = 0;

	for (int i = 0; i < n; i++)
		total += v[i].nids;
	uint64_t *all = malloc(total ? total * sizeof(*all) : 1);

	if (!all)
		return UINT64_MAX;
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].nids; j++)
			all[k++] = v[i].ids[j];
	qsort(all, total, sizeof(*all), cmp_u64);
	for (size_t i = 1; i < total; i++)
		bad += all[i] == all[i - 1] && (i < 2 || all[i - 1] != all[i - 2]);
	free(all);
	return bad;
}

long long summary_int(const struct backend_view *v, const char *group, const char *key)
{
	json_object *g = v->json, *x;

	if (group && !json_object_object_get_ex(g, group, &g))
		return 0;
	return json_object_object_get_ex(g, key, &x) ? json_object_get_int64(x) : 0;
}

const char *summary_name(const struct backend_view *v)
{
	json_object *x;

	return json_object_object_get_ex(v->json, "name", &x) ? json_object_get_string(x) : v->path;
}

void summary_free(struct backend_view *v)
{
	if (v->json)
		json_object_put(v->json);
	free(v->ids);
	v->json = NULL;
	v->ids = NULL;
}
