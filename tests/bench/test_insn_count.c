/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ptrace single-step instruction counter (bench/insn_count.c) on
 * functions whose instruction counts are known: 100 and 1000 nops (exactly
 * 100 and 1000 above the empty function, 900 apart, the same on a second
 * run), and rep stosb of 0, 1 and 50 bytes (one instruction per iteration,
 * one for none; callgrind counts one more when it iterates, insn_count.h).
 * slb_insn_trace() on the 100 nops: a line per instruction counted with the
 * bracket, the nops' 100 one byte apart from the function's own offset.
 * Exits 77 (skip) when this process may not use ptrace.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "insn_count.h"
#include "../check.h"

static void nops100(void *arg)
{
	(void)arg;
	__asm__ volatile(".rept 100\n\tnop\n\t.endr" ::: "memory");
}

static void nops1000(void *arg)
{
	(void)arg;
	__asm__ volatile(".rept 1000\n\tnop\n\t.endr" ::: "memory");
}

static unsigned char stos_buf[64];

/* rep stosb of *(long *)arg bytes. */
static void stosb(void *arg)
{
	void *dst = stos_buf;

	__asm__ volatile("mov %[n], %%rcx\n\trep stosb"
			 : "+D"(dst)
			 : [n] "m"(*(long *)arg), "a"(0)
			 : "rcx", "memory");
}

/* slb_insn_trace() of the 100 nops: n + bracket lines, and 100 of them the
 * nops, one byte apart, inside nops100's first 200 bytes. */
static void check_trace(long n100, long b100)
{
	unsigned long long at, prev = 0, fn = slb_insn_program_offset((uintptr_t)nops100);
	long bracket, lines = 0, in_fn = 0, apart = 0;
	FILE *out = tmpfile();

	CHECK(out && slb_insn_trace(nops100, NULL, &bracket, out) == n100, "trace: the count");
	rewind(out);
	while (fscanf(out, "%llx", &at) == 1) {
		lines++;
		if (at >= fn && at < fn + 200) {
			apart += in_fn++ && at == prev + 1;
			prev = at;
		}
	}
	fclose(out);
	CHECK_SHOW(lines == n100 + b100 && bracket == b100,
		   "trace: %ld lines (want %ld + %ld)", lines, n100, b100);
	CHECK_SHOW(in_fn >= 100 && apart >= 99, "trace: %ld in nops100, %ld one byte apart",
		   in_fn, apart);
}

int main(void)
{
	long b100, b1000, n100 = slb_insn_count(nops100, NULL, &b100);
	long n1000 = slb_insn_count(nops1000, NULL, &b1000);
	long again = slb_insn_count(nops1000, NULL, NULL);

	if (n100 == -EPERM) {
		printf("SKIP: %s\n", slb_insn_count_strerror(n100));
		return 77;
	}
	CHECK(n100 >= 0 && n1000 >= 0, "counter failed: %s / %s",
	      slb_insn_count_strerror(n100), slb_insn_count_strerror(n1000));
	CHECK_SHOW(n1000 - n100 == 900, "1000 nops - 100 nops = %ld (want 900)", n1000 - n100);
	CHECK_SHOW(n100 == 100 && n1000 == 1000,
		   "above the empty function: %ld and %ld (want 100 and 1000); the "
		   "bracket itself: %ld and %ld instructions", n100, n1000, b100, b1000);
	CHECK_SHOW(b100 == b1000 && b100 > 0 && b100 < 20,
		   "the bracket is the same small count each time: %ld, %ld", b100, b1000);
	CHECK_SHOW(again == n1000, "a second count of 1000 nops: %ld", again);
	check_trace(n100, b100);
	long bytes[3] = { 0, 1, 50 }, n[3];

	for (int i = 0; i < 3; i++)
		n[i] = slb_insn_count(stosb, &bytes[i], NULL);
	CHECK_SHOW(n[0] > 0 && n[1] == n[0] && n[2] - n[1] == 49,
		   "rep stosb of 0, 1, 50 bytes: %ld, %ld, %ld instructions (want n, n, n + 49)",
		   n[0], n[1], n[2]);
	return check_summary();
}
