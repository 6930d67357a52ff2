/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scan-train: the scanner's profile run. Built against an instrumented copy
 * of the scanner (clang's -fprofile-instr-generate); it scans every .sip
 * file in the directories it is given, ROUNDS times on every path this CPU
 * has, and the build turns the counts into the profile the product scanner
 * is compiled with (meson.build here, scan_profile.sh). Valid messages
 * only: their branches are the ones a profile should make the straight
 * line; the faults' are what it should move aside.
 *
 * usage: scan-train ROUNDS DIR...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "siplb/sip_scan.h"

static unsigned char buf[SLB_SIP_MAX_LEN + 1];

/* The file's bytes in buf, their count, or -1 (said on stderr). */
static long load(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n > SLB_SIP_MAX_LEN) {
		fprintf(stderr, "scan-train: %s is over %u bytes\n", path, SLB_SIP_MAX_LEN);
		return -1;
	}
	return (long)n;
}

/* Scans of every .sip file in dir, or -1. */
static long train_dir(const char *dir, long rounds)
{
	struct dirent **names;
	long scans = 0;
	bool failed = false;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		long len = fnmatch("*.sip", names[i]->d_name, 0) ? 0 : load(dir, names[i]->d_name);

		free(names[i]);
		failed |= len < 0;
		for (int p = SLB_SIP_PATH_SCALAR; len > 0 && p < SLB_SIP_PATH_COUNT; p++) {
			struct slb_sip_msg msg;

			if (!slb_sip_path_supported((enum slb_sip_path)p))
				continue;
			for (long r = 0; r < rounds; r++, scans++)
				slb_sip_scan_with((enum slb_sip_path)p, buf, (size_t)len, &msg);
		}
	}
	free(names);
	return failed ? -1 : scans;
}

int main(int argc, char **argv)
{
	long rounds = argc > 2 ? atol(argv[1]) : 0, scans = 0;

	if (rounds <= 0) {
		fprintf(stderr, "usage: scan-train ROUNDS DIR...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		long k = train_dir(argv[i], rounds);

		if (k < 0)
			return 1;
		scans += k;
	}
	if (!scans) {
		fprintf(stderr, "scan-train: no .sip file in the directories given\n");
		return 1;
	}
	printf("scan-train: %ld scans\n", scans);
	return 0;
}
