/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checksum arithmetic of the rewrite (dataplane/inet_csum.h) and its
 * incremental update across edits (slb_edit_apply_summed, RFC 1624), against the
 * tests' own RFC 1071 sum (ref_sum.h) of the bytes as they end up: spans
 * of every length and alignment, random edits (inserts and deletions of
 * odd and even lengths, at odd and even offsets, the longest run first,
 * last or between; all of even growth, which moves no byte by an odd
 * count; overwrites, as many bytes in as out), the edited bytes against
 * the frame built the plain way, overwrites that overlap refused, and the
 * sums that fold to 0 and to 0xffff.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "frame_edit.h"
#include "inet_csum.h"
#include "ref_sum.h"
#include "../check.h"

#define ROOM 256
#define MAX_LEN 1600

/* Equal as one's complement numbers: 0 and 0xffff are both zero. What the
 * proxy sends is exact: the pseudo-header's protocol makes the sum it
 * folds nonzero, and a nonzero sum folds to one value only. */
static int same(uint16_t a, uint16_t b)
{
	return a % 0xffff == b % 0xffff;
}

/* The reference sum of n bytes, in the byte order the proxy's sums use. */
static uint16_t ref_mem(const uint8_t *b, size_t n)
{
	return htons(ref_sum(b, n, 0));
}

static void fill(uint8_t *b, size_t n, uint8_t byte)
{
	for (size_t i = 0; i < n; i++)
		b[i] = byte == 1 ? (uint8_t)rand() : byte;
}

/* Every length up to three vector steps (32 bytes each) and every start
 * alignment, random, all-zero and all-0xff bytes; an odd offset swaps the
 * halves. */
static void test_spans(void)
{
	static uint8_t b[8 + 3 * 32 + 8], shifted[sizeof(b) + 1];
	const uint8_t bytes[] = { 1, 0, 0xff };
	int bad = 0;

	for (size_t k = 0; k < sizeof(bytes); k++) {
		for (size_t start = 0; start < 8; start++) {
			for (size_t n = 0; start + n <= sizeof(b); n++) {
				fill(b, sizeof(b), bytes[k]);
				memcpy(shifted + 1, b + start, n); /* after one zero byte */
				bad += slb_csum_span(b + start, n, 0) != ref_mem(b + start, n) ||
				       slb_csum_span(b + start, n, 1) != ref_mem(shifted, n + 1);
			}
		}
	}
	CHECK(!bad, "%d spans summed wrong", bad);
	CHECK(slb_csum_fold(0) == 0 && slb_csum_fold(0xffff) == 0xffff &&
	      slb_csum_fold(0x1fffe) == 0xffff && slb_csum_fold(UINT64_MAX) == 0xffff,
	      "only zeros fold to 0; a nonzero multiple of 0xffff to 0xffff");
	CHECK(slb_csum_fold(0x1234 + (uint64_t)slb_csum_neg(0x1234)) == 0xffff &&
	      slb_csum_neg(0) == 0xffff && slb_csum_neg(0xffff) == 0, "negation");
}

/* ref_mem of any length: ref_sum adds into 32 bits, so 64 KiB at a time. */
static uint16_t ref_mem_long(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;

	for (size_t at = 0; at < n; at += 65536)
		sum = ref_sum(b + at, n - at < 65536 ? n - at : 65536, sum);
	return htons((uint16_t)sum);
}

/* Long spans, where a vector path's lanes could overflow (a vpmaddwd
 * version's did, at 4 MiB of 0xff: bench/RESULTS.md): datagram sizes up to
 * UDP's largest and 4 MiB, all 0xff (the largest words) and random. */
static void test_long_spans(void)
{
	static uint8_t b[4 << 20];
	const size_t lens[] = { 1499, 1500, 4096, 9000, 65507, 65535, sizeof(b) - 3, sizeof(b) };
	int bad = 0;

	for (int k = 0; k < 2; k++) {
		fill(b, sizeof(b), k ? 1 : 0xff);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			for (size_t start = 0; start < 3; start++)
				bad += slb_csum_span(b + start, lens[i] - start, 0) !=
				       ref_mem_long(b + start, lens[i] - start);
	}
	CHECK(!bad, "%d long spans summed wrong", bad);
}

/* n random edits at or after from, in order, none overlapping; their
 * inserts in ins, the edits as made in plain (their count returned). */
static unsigned random_edits(struct slb_edits *ed, uint32_t from, uint32_t len, unsigned n,
			     uint8_t ins[][64], struct slb_edit *plain)
{
	uint32_t at = from;
	unsigned made = 0;

	*ed = (struct slb_edits){ .n = 0 };
	for (unsigned k = 0; k < n && at < len; k++) {
		uint32_t off = at + (uint32_t)rand() % ((len - at) / (n - k) + 1);
		uint32_t del = off < len ? (uint32_t)rand() % (len - off < 12 ? len - off + 1 : 12) : 0;
		uint16_t ins_len = (uint16_t)(rand() % 3 ? rand() % 64 : 0);

		if (rand() % 8 == 0 && del) /* as many bytes in as out: an overwrite */
			ins_len = (uint16_t)del;
		fill(ins[k], ins_len, 1);
		if (slb_edit_add(ed, off, del, ins[k], ins_len))
			plain[made++] = (struct slb_edit){ off, del, ins[k], ins_len };
		at = off + del;
	}
	return made;
}

/* The frame the edits make, built the plain way: the old bytes up to each
 * edit, its insert, on past what it deletes. */
static uint32_t ref_apply(const uint8_t *old, uint32_t len, const struct slb_edit *e, unsigned n,
			  uint8_t *out)
{
	uint32_t src = 0, k = 0;

	for (unsigned i = 0; i < n; i++) {
		memcpy(out + k, old + src, e[i].off - src);
		k += e[i].off - src;
		memcpy(out + k, e[i].ins, e[i].ins_len);
		k += e[i].ins_len;
		src = e[i].off + e[i].del;
	}
	memcpy(out + k, old + src, len - src);
	return k + len - src;
}

/* Random frames and edits: the updated sum against the reference sum of
 * what the edits leave, on both sides (head or tail room). */
static void test_edits(void)
{
	static uint8_t mem[ROOM + MAX_LEN + ROOM];
	static uint8_t old[MAX_LEN], want_frame[MAX_LEN + SLB_MAX_EDITS * 64];
	uint8_t ins[SLB_MAX_EDITS][64];
	struct slb_edit plain[SLB_MAX_EDITS];
	int bad = 0, bad_bytes = 0, odd_moves = 0, even_edits = 0, overwrites = 0;

	for (int i = 0; i < 50000; i++) {
		uint32_t len = 1 + (uint32_t)rand() % MAX_LEN, from = (uint32_t)rand() % len;
		struct slb_frame f = { mem + ROOM, len, rand() % 2 ? ROOM : 0, ROOM, false };
		struct slb_edits ed;

		fill(mem, sizeof(mem), rand() % 50 ? 1 : (uint8_t)(rand() % 2 ? 0 : 0xff));
		unsigned n = random_edits(&ed, from, len, 1 + (unsigned)rand() % SLB_MAX_EDITS, ins,
					  plain);
		memcpy(old, f.data, len);
		uint16_t sum = rand() % 2 ? slb_csum_span(f.data + from, len - from, 0)
					  : ref_mem(f.data + from, len - from);

		odd_moves += slb_edit_growth(&ed) & 1;
		unsigned odd = 0;
		for (unsigned k = 0; k < ed.n; k++)
			odd |= ed.e[k].ins_len ^ ed.e[k].del;
		even_edits += !(odd & 1); /* the update that reads only the edits' bytes */
		overwrites += ed.n_over > 0;
		if (!slb_edit_apply_summed(&f, &ed, from, &sum))
			continue;
		uint32_t want_len = ref_apply(old, len, plain, n, want_frame);
		bad_bytes += f.len != want_len || memcmp(f.data, want_frame, want_len) != 0;
		uint16_t want = ref_mem(f.data + from, f.len - from), after = sum;
		if (!same(after, want)) {
			if (bad++ < 5)
				CHECK(0, "frame of %u from %u, %u edits: %04x, want %04x", len, from,
				      ed.n, after, want);
		}
	}
	CHECK(!bad, "%d of 50000 updates wrong", bad);
	CHECK(!bad_bytes, "%d of 50000 edited frames differ from the plain way's", bad_bytes);
	CHECK(odd_moves > 10000, "odd shifts tried (%d)", odd_moves);
	CHECK(even_edits > 5000, "edits all of even growth tried (%d)", even_edits);
	CHECK(overwrites > 1000, "overwrites (as many bytes in as out) tried (%d)", overwrites);
}

/* Sums that are zero: all-zero bytes, and all-ones bytes (0xffff) with
 * some of them shifted by one. */
static void test_edges(void)
{
	static uint8_t mem[ROOM + 64 + ROOM];
	struct slb_frame f = { mem + ROOM, 64, ROOM, ROOM, false };
	struct slb_edits ed = { .n = 0 };

	uint16_t sum = 0;

	memset(mem, 0, sizeof(mem));
	slb_edit_add(&ed, 10, 1, NULL, 0);
	CHECK(slb_edit_apply_summed(&f, &ed, 0, &sum) && same(sum, 0), "zeros less a byte: zero");
	memset(mem, 0xff, sizeof(mem));
	f = (struct slb_frame){ mem + ROOM, 64, ROOM, ROOM, false };
	ed = (struct slb_edits){ .n = 0 };
	sum = 0xffff;
	slb_edit_add(&ed, 3, 0, "\xff", 1);
	slb_edit_add(&ed, 10, 1, NULL, 0);
	CHECK(slb_edit_apply_summed(&f, &ed, 0, &sum) && same(sum, 0xffff) &&
	      ref_mem(f.data, f.len) == 0xffff, "all ones, some shifted by one: all ones (%04x)",
	      sum);
}

/* Overwrites that overlap another edit, or leave the frame, are refused
 * with the frame as it was; an insert at an overwrite's offset comes
 * before it. */
static void test_overwrite_bounds(void)
{
	static uint8_t mem[ROOM + 64 + ROOM], was[sizeof(mem)];
	const struct {
		uint32_t off, del;  /* an edit first (none when both are 0) */
		uint16_t ins_len;
		uint32_t o_off;     /* then a 2-byte overwrite */
		const char *what;
	} bad[] = {
		{ 10, 4, 0, 12, "an overwrite over a deletion" },
		{ 13, 0, 3, 12, "an insert inside an overwrite" },
		{ 20, 2, 2, 21, "two overwrites that overlap" },
		{ 0, 0, 0, 63, "an overwrite past the end" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct slb_frame f = { mem + ROOM, 64, ROOM, ROOM, false };
		struct slb_edits ed = { .n = 0 };
		uint16_t sum = 0;

		fill(mem, sizeof(mem), 1);
		memcpy(was, mem, sizeof(mem));
		if (bad[i].del || bad[i].ins_len)
			slb_edit_add(&ed, bad[i].off, bad[i].del, "xyz", bad[i].ins_len);
		slb_edit_add(&ed, bad[i].o_off, 2, "OW", 2);
		CHECK(!slb_edit_apply_summed(&f, &ed, 0, &sum) && !slb_edit_apply(&f, &ed) &&
		      !memcmp(mem, was, sizeof(mem)) && f.data == mem + ROOM && f.len == 64,
		      "refused, the frame as it was: %s", bad[i].what);
	}
	struct slb_frame f = { mem + ROOM, 64, ROOM, ROOM, false };
	struct slb_edits ed = { .n = 0 };

	fill(mem, sizeof(mem), 1);
	memcpy(was, f.data, 64);
	slb_edit_add(&ed, 12, 2, "OW", 2);
	slb_edit_add(&ed, 12, 0, "abc", 3);
	CHECK(slb_edit_apply(&f, &ed) && f.len == 67 && !memcmp(f.data + 12, "abcOW", 5) &&
	      !memcmp(f.data + 17, was + 14, 50), "an insert at an overwrite's offset goes first");
}

int main(void)
{
	srand(1);
	for (int avx512 = 1; avx512 >= 0; avx512--) { /* each path this CPU has */
		slb_csum_allow_avx512(avx512);
		test_spans();
		test_long_spans();
	}
	test_edits();
	test_edges();
	test_overwrite_bounds();
	return check_summary();
}
