/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench-scan: SIP scanner speed per path on realistic messages, beside
 * the byte-touch floor measured in the same run (memchr for a byte that is
 * not in the message: one vectorised pass over every byte).
 *
 *   siplb-bench-scan [--iters N] [--reps R] DIR      table for the .sip files in DIR
 *   siplb-bench-scan --one PATH N FILE                N scans of one path, for
 *                                                     callgrind (see scan_callgrind.sh)
 *   siplb-bench-scan --insns DIR [PATH...]            instructions per scan, counted
 *                                                     by ptrace single-stepping on the
 *                                                     real CPU (insn_count.h): AVX-512 too
 *   siplb-bench-scan --insns-trace PATH FILE          each instruction of one scan, for
 *                                                     scan_insns_split.sh (by function)
 * PATH: floor, scalar, sse4.2, avx2, avx512, hyperscan (a path this CPU lacks is
 * left out of the table).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siplb/sip_scan.h"
#include "insn_count.h"

enum { P_FLOOR, P_SCALAR, P_SSE42, P_AVX2, P_AVX512, P_HS, P_COUNT };
static const char *const path_names[P_COUNT] = {
	"floor", "scalar", "sse4.2", "avx2", "avx512", "hyperscan",
};

struct msg_file {
	char name[64];
	uint8_t buf[SLB_SIP_MAX_LEN];
	size_t len;
};

static struct slb_sip_hs_db *hs_db;
static struct slb_sip_hs_scratch *hs_scratch;
static volatile uint64_t sink; /* keeps results alive */

/* The floor: a byte no message holds, so memchr reads all of it. */
#define ABSENT_BYTE 0x01

static uint64_t run(int path, const struct msg_file *m, long iters)
{
	struct slb_sip_msg msg;
	uint64_t acc = 0;

	for (long i = 0; i < iters; i++) {
		switch (path) {
		case P_FLOOR:
			acc += (uintptr_t)memchr(m->buf, ABSENT_BYTE, m->len);
			break;
		case P_HS:
			slb_sip_scan_hs(hs_db, hs_scratch, m->buf, m->len, &msg);
			acc += msg.call_id.off;
			break;
		default:
			slb_sip_scan_with((enum slb_sip_path)(SLB_SIP_PATH_SCALAR + path - P_SCALAR),
					  m->buf, m->len, &msg);
			acc += msg.call_id.off;
		}
		__asm__ volatile("" ::: "memory"); /* one real scan per iteration */
	}
	return acc;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Median of reps timings, in ns per message. */
static double measure(int path, const struct msg_file *m, long iters, int reps)
{
	double t[64];

	for (int r = 0; r < reps; r++) {
		double t0 = now_ns();
		sink += run(path, m, iters);
		t[r] = (now_ns() - t0) / iters;
	}
	for (int i = 1; i < reps; i++)
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[reps / 2];
}

static int load(const char *path, struct msg_file *m)
{
	FILE *f = fopen(path, "rb");
	const char *base = strrchr(path, '/');
	struct slb_sip_msg msg;

	if (!f) {
		perror(path);
		return -1;
	}
	m->len = fread(m->buf, 1, sizeof(m->buf), f);
	fclose(f);
	snprintf(m->name, sizeof(m->name), "%s", base ? base + 1 : path);
	if (memchr(m->buf, ABSENT_BYTE, m->len) || slb_sip_scan(m->buf, m->len, &msg)) {
		fprintf(stderr, "%s: not a valid message without byte 0x01\n", path);
		return -1;
	}
	return 0;
}

static bool path_ok(int p)
{
	return p == P_FLOOR || p == P_HS ||
	       slb_sip_path_supported((enum slb_sip_path)(SLB_SIP_PATH_SCALAR + p - P_SCALAR));
}

/* The message --one and --insns scan: the same address, so code whose count
 * depends on the buffer's alignment (memchr: its loop is 128-byte aligned)
 * counts the same under callgrind and ptrace. */
static struct msg_file one_m;

static int one(const char *pname, long iters, const char *file)
{
	struct msg_file *const m = &one_m;

	for (int p = 0; p < P_COUNT; p++)
		if (strcmp(pname, path_names[p]) == 0 && path_ok(p)) {
			if (load(file, m))
				return 1;
			sink += run(p, m, iters);
			return 0;
		}
	fprintf(stderr, "unknown or unsupported path '%s'\n", pname);
	return 2;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct msg_file *)a)->name, ((const struct msg_file *)b)->name);
}

#define MAX_FILES 16

/* The .sip files of dir, by name: how many, or -1. */
static int load_dir(const char *dir, struct msg_file files[MAX_FILES])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d)) && n < MAX_FILES) {
		char p[4096];
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".sip"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (load(p, &files[n])) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	qsort(files, (size_t)n, sizeof(files[0]), cmp_name);
	return n;
}

/*
 * --insns: instructions per scan by ptrace single-stepping (insn_count.h),
 * defined as scan_callgrind.sh defines it, one more iteration of run()'s
 * loop: count(run(path, m, 2)) - count(run(path, m, 1)); the paths are the
 * table's (path_ok()), from the floor to Hyperscan.
 */
struct insn_job {
	int path;
	const struct msg_file *m;
	long iters;
};

static void insn_job_run(void *arg)
{
	const struct insn_job *j = arg;

	sink += run(j->path, j->m, j->iters);
}

/* Instructions of one iteration of run(path, m, ...), or a negative errno. */
static long insns_per_scan(int path, const struct msg_file *m)
{
	struct insn_job one_scan = { path, m, 1 }, two_scans = { path, m, 2 };
	long a = slb_insn_count(insn_job_run, &one_scan, NULL);
	long b = a < 0 ? a : slb_insn_count(insn_job_run, &two_scans, NULL);

	return b < 0 ? b : b - a;
}

/* Each scanner path has its P_ entry (run() and path_ok() map them by
 * offset), so every path the scanner has is measured and counted here. */
_Static_assert(P_HS - P_SCALAR == SLB_SIP_PATH_COUNT - SLB_SIP_PATH_SCALAR,
	       "path_names lists every scanner path, in the enum's order");

/* The paths --insns counts, as indices: every one path_ok() accepts, or
 * those of them named in want, in that order. How many, or -1. */
static int insn_paths(int idx[P_COUNT], char **want, int nwant)
{
	int n = 0;

	if (nwant > P_COUNT) {
		fprintf(stderr, "at most %d paths\n", P_COUNT);
		return -1;
	}
	if (nwant == 0) {
		for (int p = 0; p < P_COUNT; p++)
			if (path_ok(p))
				idx[n++] = p;
		return n;
	}
	for (int i = 0; i < nwant; i++) {
		int p = 0;

		while (p < P_COUNT && strcmp(want[i], path_names[p]))
			p++;
		if (p == P_COUNT || !path_ok(p)) {
			fprintf(stderr, "unknown or unsupported path '%s'\n", want[i]);
			return -1;
		}
		idx[n++] = p;
	}
	return n;
}

static int insns(const char *dir, char **want, int nwant)
{
	static struct msg_file files[MAX_FILES];
	int idx[P_COUNT], np = insn_paths(idx, want, nwant), n;

	if (np < 0)
		return 2;
	n = load_dir(dir, files);
	if (n < 0)
		return 1;
	printf("siplb-bench-scan --insns: instructions per scan by ptrace single-step\n");
	printf("%-14s", "message");
	for (int p = 0; p < np; p++)
		printf(" %10s", path_names[idx[p]]);
	printf("\n");
	for (int i = 0; i < n; i++) {
		one_m = files[i];
		printf("%-14s", files[i].name);
		for (int p = 0; p < np; p++) {
			long c = insns_per_scan(idx[p], &one_m);

			if (c < 0) {
				fprintf(stderr, "\n%s: %s\n", path_names[idx[p]],
					slb_insn_count_strerror(c));
				return 1;
			}
			printf(" %10ld", c);
			fflush(stdout);
		}
		printf("\n");
	}
	printf("instructions per message (ptrace single-step, as scan_callgrind.sh counts: "
	       "run()'s loop, 2 scans - 1)\n");
	return 0;
}

/*
 * --insns-trace PATH FILE: each instruction of one run(PATH, FILE's
 * message, 1) (one scan, with run()'s loop and the call around it) as an
 * offset into this program, a line each (slb_insn_trace()): the input of
 * bench/scan_insns_split.sh, a split of --insns by function.
 */
static int insns_trace(char *pname, const char *file)
{
	int idx[P_COUNT];
	struct insn_job job = { 0, &one_m, 1 };
	long c;

	if (insn_paths(idx, &pname, 1) != 1)
		return 2;
	if (load(file, &one_m))
		return 1;
	job.path = idx[0];
	c = slb_insn_trace(insn_job_run, &job, NULL, stdout);
	if (c < 0) {
		fprintf(stderr, "%s: %s\n", pname, slb_insn_count_strerror(c));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long iters = 200000;
	int reps = 7, a = 1;
	char err[256];

	hs_db = slb_sip_hs_db_create(err, sizeof(err));
	hs_scratch = hs_db ? slb_sip_hs_scratch_create(hs_db) : NULL;
	if (!hs_scratch) {
		fprintf(stderr, "hyperscan: %s\n", err);
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "--one") == 0)
		return one(argv[2], atol(argv[3]), argv[4]);
	if (argc == 4 && strcmp(argv[1], "--insns-trace") == 0)
		return insns_trace(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "--insns") == 0)
		return insns(argv[2], argv + 3, argc - 3);
	if (argc >= 2 && strcmp(argv[1], "--insns") == 0)
		a = argc; /* no DIR: the usage below */
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "--iters") == 0)
			iters = atol(argv[a + 1]);
		else if (strcmp(argv[a], "--reps") == 0)
			reps = atoi(argv[a + 1]);
	}
	if (a != argc - 1 || iters < 1 || reps < 1 || reps > 63) {
		fprintf(stderr, "usage: siplb-bench-scan [--iters N] [--reps R] DIR\n"
				"       siplb-bench-scan --one PATH N FILE\n"
				"       siplb-bench-scan --insns DIR [PATH...]\n"
				"       siplb-bench-scan --insns-trace PATH FILE\n");
		return 2;
	}
	static struct msg_file files[MAX_FILES];
	int n = load_dir(argv[a], files);

	if (n < 0)
		return 1;
	printf("siplb-bench-scan: median of %d runs x %ld scans, one core; hot path = %s\n",
	       reps, iters, slb_sip_path_name(slb_sip_path_active()));
	printf("%-14s %6s  %-10s %9s %10s %9s\n", "message", "bytes", "path", "ns/msg",
	       "Mmsg/s", "x floor");
	for (int i = 0; i < n; i++) {
		double floor_ns = measure(P_FLOOR, &files[i], iters, reps);

		for (int p = 0; p < P_COUNT; p++) {
			if (!path_ok(p))
				continue;
			double ns = p == P_FLOOR ? floor_ns : measure(p, &files[i], iters, reps);
			printf("%-14s %6zu  %-10s %9.1f %10.2f %9.2f\n", files[i].name, files[i].len,
			       path_names[p], ns, 1e3 / ns, ns / floor_ns);
		}
	}
	printf("done: %d messages; x floor = ns per message / memchr over the same bytes\n", n);
	slb_sip_hs_scratch_free(hs_scratch);
	slb_sip_hs_db_free(hs_db);
	return 0;
}
