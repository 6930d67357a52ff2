/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bpf_hash CORPUS_DIR [CAPTURE_DIR]: proves that the Call-ID hash of
 * include/siplb/callid_hash.h gives the same 64 bits in the kernel (the
 * callid_hash_probe XDP program, run through BPF_PROG_TEST_RUN) as in C.
 *
 * Compared: the Call-ID of every valid message of the scanner corpus (every
 * *.sip under CORPUS_DIR, recursively; at least MIN_CORPUS_IDS of them), of
 * every file under CAPTURE_DIR when it exists, 10,000 random Call-IDs of
 * 1..256 bytes and the edge lengths around the word size and the 256-byte
 * cap, each under several seeds.
 *
 * Exit 0 when all agree, 1 on any mismatch or load failure, 77 (skip) when
 * not root or the kernel cannot run XDP programs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "callid_hash_probe.skel.h"
#include "siplb/callid_hash.h"
#include "siplb/sip_scan.h"
#include "../check.h"

#define EXIT_SKIP 77
#define MIN_CORPUS_IDS 30
#define RANDOM_IDS 10000
#define SHOW_MISMATCHES 5
#define PROBE_HDR 16u
#define MAX_FILE SLB_SIP_MAX_LEN

static int prog_fd = -1;
static unsigned long agree, mismatch;
static bool run_failed; /* the probe failed: stop */
static bool io_failed;  /* a corpus/capture file or directory was unreadable */

/* ---- the PRNG (splitmix64: fixed seed, reproducible) ---------------------- */

static uint64_t rng_state = 0x5eed5eed5eed5eedULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- one comparison -------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Runs the probe: the kernel's hash of (id, len, seed), false on error. */
static bool kernel_hash(const uint8_t *id, uint32_t len, uint64_t seed, uint64_t *out)
{
	uint8_t in[PROBE_HDR + SLB_CALLID_HASH_MAX], res[sizeof(in) + 64];
	uint32_t n = len < SLB_CALLID_HASH_MAX ? len : SLB_CALLID_HASH_MAX;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = PROBE_HDR + n,
		.data_out = res,
		.data_size_out = sizeof(res),
		.repeat = 1);
	int err;

	memset(in, 0, PROBE_HDR);
	put_le(in, seed, 8);
	put_le(in + 8, len, 4);
	memcpy(in + PROBE_HDR, id, n);

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err) {
		fprintf(stderr, "BPF_PROG_TEST_RUN failed (len %" PRIu32 "): %s\n",
			len, strerror(errno));
		return false;
	}
	if (opts.retval != XDP_PASS) {
		fprintf(stderr, "probe returned %u, not XDP_PASS (len %" PRIu32 ")\n",
			opts.retval, len);
		return false;
	}
	if (opts.data_size_out < 8) {
		fprintf(stderr, "probe returned %u bytes\n", opts.data_size_out);
		return false;
	}
	memcpy(out, res, 8); /* the probe stores the hash in host order */
	return true;
}

static void hexdump(const uint8_t *p, uint32_t len)
{
	uint32_t shown = len < 64 ? len : 64;

	for (uint32_t i = 0; i < shown; i++)
		printf("%02x", p[i]);
	if (shown < len)
		printf("...");
}

/* Compares kernel and C on one Call-ID; false only when the probe failed. */
static bool hashes_agree(const char *what, const uint8_t *id, uint32_t len, uint64_t seed)
{
	uint64_t k, c = slb_callid_hash(id, len, seed);

	if (!kernel_hash(id, len, seed, &k)) {
		run_failed = true;
		return false;
	}
	if (k == c) {
		agree++;
		return true;
	}
	if (mismatch++ < SHOW_MISMATCHES) {
		printf("MISMATCH %s: len %" PRIu32 " seed %016" PRIx64
			" kernel %016" PRIx64 " C %016" PRIx64 "\n  id ",
			what, len, seed, k, c);
		hexdump(id, len);
		putchar('\n');
	}
	return true;
}

static const uint64_t fixed_seeds[] = {
	0, 1, 0x5ca1ab1e5ca1ab1eULL, 0xffffffffffffffffULL,
};
#define N_FIXED_SEEDS (sizeof(fixed_seeds) / sizeof(fixed_seeds[0]))

/* Every fixed seed and one random one. */
static bool check_seeds(const char *what, const uint8_t *id, uint32_t len)
{
	for (size_t i = 0; i < N_FIXED_SEEDS; i++)
		if (!hashes_agree(what, id, len, fixed_seeds[i]))
			return false;
	return hashes_agree(what, id, len, rnd());
}

/* ---- files ----------------------------------------------------------------- */

struct walk {
	bool only_sip;        /* corpus: *.sip only; captures: every file */
	unsigned long files;  /* files scanned */
	unsigned long ids;    /* Call-IDs checked */
	unsigned long skipped; /* files without a valid message */
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool check_file(const char *path, struct walk *w)
{
	static uint8_t buf[MAX_FILE + 1];
	struct slb_sip_msg msg;
	size_t len;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		io_failed = true;
		return true;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	w->files++;
	if (len > MAX_FILE) {
		w->skipped++;
		return true;
	}
	if (slb_sip_scan(buf, len, &msg) != SLB_SIP_OK || msg.call_id.len == 0) {
		w->skipped++;
		return true;
	}
	w->ids++;
	return check_seeds(path, buf + msg.call_id.off, msg.call_id.len);
}

static bool walk_dir(const char *dir, struct walk *w)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool ok = true;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		io_failed = true;
		return true;
	}
	while (ok && (e = readdir(d))) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			ok = walk_dir(path, w);
		else if (S_ISREG(st.st_mode) && (!w->only_sip || ends_with(e->d_name, ".sip")))
			ok = check_file(path, w);
	}
	closedir(d);
	return ok;
}

/* ---- random and edge Call-IDs ---------------------------------------------- */

static bool check_random(void)
{
	uint8_t id[SLB_CALLID_HASH_MAX];

	for (unsigned i = 0; i < RANDOM_IDS; i++) {
		uint32_t len = 1 + (uint32_t)(rnd() % SLB_CALLID_HASH_MAX);

		for (uint32_t j = 0; j < len; j++)
			id[j] = (uint8_t)rnd();
		if (!hashes_agree("random", id, len, rnd()))
			return false;
		if (i % 10 == 0 && !hashes_agree("random", id, len, 0))
			return false;
	}
	return true;
}

static bool check_edges(void)
{
	static const uint32_t lens[] = { 1, 7, 8, 9, 255, 256, 257, 300, 1000 };
	static uint8_t id[1000];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char what[32];

		for (int round = 0; round < 4; round++) {
			for (uint32_t j = 0; j < lens[i]; j++)
				id[j] = round == 0 ? (uint8_t)('a' + j % 26) : (uint8_t)rnd();
			snprintf(what, sizeof(what), "edge len %" PRIu32, lens[i]);
			if (!check_seeds(what, id, lens[i]))
				return false;
		}
	}
	return true;
}

/* ---- setup ----------------------------------------------------------------- */

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct callid_hash_probe *skel;
	struct walk corpus = { .only_sip = true }, capture = { .only_sip = false };
	bool ok = true;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR [CAPTURE_DIR]\n", argv[0]);
		return 1;
	}
	if (getenv("SLB_TEST_SEED"))
		rng_state = strtoull(getenv("SLB_TEST_SEED"), NULL, 0);
	printf("PRNG seed %#" PRIx64 "\n", rng_state);

	if (geteuid() != 0) {
		printf("SKIP: not root: loading BPF programs needs root (CAP_BPF + CAP_NET_ADMIN)\n");
		return EXIT_SKIP;
	}
	libbpf_set_print(libbpf_log);
	ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL);
	if (ret <= 0) {
		printf("SKIP: this kernel cannot load XDP programs (%s)\n",
		       ret < 0 ? strerror(-ret) : "not supported");
		return EXIT_SKIP;
	}

	skel = callid_hash_probe__open_and_load();
	if (!skel) {
		fprintf(stderr, "FAIL: cannot open/load callid_hash_probe: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.callid_hash_probe);

	/* (a) the corpus, and real captures when there are some */
	ok = walk_dir(argv[1], &corpus);
	printf("corpus %s: %lu files, %lu Call-IDs checked, %lu without a valid message\n",
	       argv[1], corpus.files, corpus.ids, corpus.skipped);
	if (ok && argc == 3) {
		struct stat st;

		if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
			ok = walk_dir(argv[2], &capture);
			printf("captures %s: %lu files, %lu Call-IDs checked, %lu without a valid message\n",
			       argv[2], capture.files, capture.ids, capture.skipped);
		} else {
			printf("captures %s: absent, not checked\n", argv[2]);
		}
	}

	/* (b) random Call-IDs and the edge lengths */
	ok = ok && check_random() && check_edges();

	callid_hash_probe__destroy(skel);

	printf("%lu agreements, %lu mismatches (%lu corpus + %lu capture Call-IDs, "
	       "%u random Call-IDs, 9 edge lengths)\n",
	       agree, mismatch, corpus.ids, capture.ids, RANDOM_IDS);
	CHECK(ok && !run_failed, "the probe could not run on every input");
	CHECK(!mismatch, "kernel and C disagree on %lu hashes", mismatch);
	CHECK(!io_failed, "a corpus or capture file or directory was unreadable");
	CHECK(corpus.ids >= MIN_CORPUS_IDS, "only %lu corpus Call-IDs checked, need at least %d",
	      corpus.ids, MIN_CORPUS_IDS);
	return check_summary();
}
