/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Finding the Call-ID of a SIP message in the XDP fast path, for DSR VIPs.
 *
 * What counts, as in siplb-dp's scanner (dataplane/lib/scan/sip_scan.c): a header
 * line, i.e. one that starts right after a CRLF, so that a "Call-ID:" inside
 * another header's value never matches; the header block ends at CRLFCRLF,
 * so one inside the body never matches either. The name is "Call-ID" or its
 * compact form "i", case-insensitive; SP/HT may come before the colon. The
 * value starts after LWS (SP/HT, at most one fold: CRLF SP/HT) and ends at
 * the first byte <= SP: for any Call-ID siplb-dp accepts, the CR, LF, SP or
 * HT that ends it (siplb-dp rejects a Call-ID holding any other control
 * byte, so ending there changes nothing it routes). The first such header
 * counts (siplb-dp rejects a message with two).
 *
 * Everything read lies in the first SLB_XDP_CALLID_WINDOW bytes of the UDP
 * payload, the byte that ends the value included: a Call-ID header that does
 * not end inside the window is not found (PASS no_callid).
 *
 * Speed: 8 bytes at a time (SWAR), 32 per round of the scan loop. For each
 * word, a loose LF test of the 8 bytes just before its own (an unaligned
 * load; one subtract, never a LF missed) says whether a line may start in
 * it, the four of a round OR-ed into one branch; for such words, exact
 * branch-free masks keep the lines that start after a CRLF with "Ca", "i" +
 * a byte below 'A', or CR (the empty line), and only those are read further,
 * in the same call as the scan (for a typical request: the Call-ID line, and
 * the empty line when there is no Call-ID). The scan loop runs a count of
 * whole blocks worked out before it (one compare a round) and makes no call,
 * so that its values stay in registers: a BPF call keeps only four alive,
 * and calls are dear where returns go through a mitigation thunk. Define
 * SLB_XDP_SCAN_BYTES for the byte-at-a-time twin the benchmark compares it
 * with (bpf/siplb_xdp_bytes.bpf.c); tests/xdp checks that both find the same
 * Call-IDs.
 *
 * Verifier: slb_callid_next (the loop over words, slb_callid_scan, then
 * the lines of the word it stops at, slb_callid_line) is a global
 * function, which the verifier checks once, on its own; slb_callid_find,
 * which calls it in turn, is inlined into the program (one call fewer a
 * packet: its loop makes only calls, so it adds little to what the
 * verifier walks).
 * Inside, numbers pass from one loop to the next through the per-CPU
 * scratch (slb_forget, xdp_maps.h), so that a loop is checked once rather
 * than once per way out of the one before (inlined naively, over a million
 * instructions). Loops handle whole words only; what is left after a loop
 * is loaded after it, the last word zero-padded, so a loop body is one
 * path.
 *
 * BPF is little-endian on the hosts we build for (clang -target bpf picks
 * the host's order): byte 0 of a loaded word is the lowest. Offsets are
 * 64-bit: clang zero-extends every 32-bit compare (BPF without ALU32).
 */
#ifndef SIPLB_BPF_XDP_CALLID_H
#define SIPLB_BPF_XDP_CALLID_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb/xdp.h"
#include "xdp_consts.h"
#include "xdp_maps.h"

#define SLB_ONES 0x0101010101010101ULL
#define SLB_LOW7 0x7f7f7f7f7f7f7f7fULL
#define SLB_HIGH 0x8080808080808080ULL

/* "call-id" as a little-endian word, and the bits that fold its letters to
 * lower case (not the '-': OR-ing 0x20 there would also fold CR onto it). */
#define SLB_CALL_ID_LE 0x0064692d6c6c6163ULL
#define SLB_CALL_ID_FOLD 0x0020200020202020ULL
#define SLB_LOW7_BYTES 0x00ffffffffffffffULL
#define SLB_CRLF_LE 0x0a0d

/* The search's result: (frame offset << 32 | length) of the value, or this. */
#define SLB_CALLID_NONE 0ULL

static __always_inline __u64 slb_callid_pack(__u64 off, __u64 len)
{
	return off << 32 | len;
}

/* A position that is never inside the window: "none". */
#define SLB_NO_POS (~0ULL)

/*
 * 0x80 in each byte of x that is zero, nothing elsewhere. Exact, unlike the
 * shorter (x - 0x01..) & ~x & 0x80.., whose bits above the first zero byte
 * can be false (a 0x01 byte borrowed from): here no carry crosses a byte,
 * so every bit is a real match and none needs checking again.
 */
static __always_inline __u64 slb_zero_bytes(__u64 x)
{
	return ~(((x & SLB_LOW7) + SLB_LOW7) | x | SLB_LOW7);
}

/*
 * 0x80 in the bytes of x below c (c <= 0x80), and perhaps in bytes above
 * one that is (a borrow from it), never missing one: the lowest bit is
 * exact, the others may be false. Four operations. Fit for a filter whose
 * hits are checked again, and for the first such byte.
 */
static __always_inline __u64 slb_below_bytes(__u64 x, __u64 c)
{
	return (x - c * SLB_ONES) & ~x & SLB_HIGH;
}

/* 0x80 in the bytes of x below 0x21; only the lowest bit is used. */
static __always_inline __u64 slb_ctl_or_space_bytes(__u64 x)
{
	return slb_below_bytes(x, 0x21);
}

/* 0x80 in the bytes of x that are neither SP nor HT (exact). */
static __always_inline __u64 slb_not_sp_ht_bytes(__u64 x)
{
	return ~(slb_zero_bytes(x ^ (' ' * SLB_ONES)) | slb_zero_bytes(x ^ ('\t' * SLB_ONES))) &
	       SLB_HIGH;
}

/* Index 0..7 of the lowest 0x80 bit of a nonzero mask. BPF has no
 * count-trailing-zeros instruction: isolate the bit, then one multiply moves
 * the index into the top byte (1 << 8k times 0x0001..07 has k there). */
static __always_inline __u64 slb_lowest_byte(__u64 mask)
{
	__u64 b = mask & -mask;

	return ((b >> 7) * 0x0001020304050607ULL) >> 56;
}

/* The 8 bytes at frame offset off, which the caller knows to lie inside the
 * window; nonzero only when the bounds check the verifier needs fails (it
 * cannot while the window is inside the frame). */
static __always_inline int slb_word(void *data, void *end, __u64 off, __u64 *w)
{
	void *p = data + (off & SLB_PKT_OFF_MASK);

	if (p + 8 > end)
		return -1;
	*w = *(__u64 *)p;
	return 0;
}

/* The 8 bytes at frame offset off, those at or past lim read as zero (never
 * a LF, a colon or a name character): for the last, partial word of a loop,
 * and for single looks near the window's end. Nonzero when off >= lim. */
static __always_inline int slb_load8(void *data, void *end, __u64 off, __u64 lim, __u64 *w)
{
	__u64 at = off, shift = 0;

	if (off >= lim)
		return -1;
	if (off + 8 > lim) {
		at = lim - 8;
		shift = (off + 8 - lim) * 8; /* 8..56 */
	}
	if (slb_word(data, end, at, w))
		return -1;
	*w >>= shift;
	return 0;
}

static __always_inline int slb_is_sp_ht(__u64 c)
{
	return c == ' ' || c == '\t';
}

/* ---- the value ----------------------------------------------------------------- */

/* What ends a run: a byte other than SP and HT, or a byte <= SP. */
enum slb_run_end { SLB_END_NOT_SP_HT, SLB_END_CTL_OR_SPACE };

static __always_inline __u64 slb_run_end_bytes(__u64 w, enum slb_run_end e)
{
	return e == SLB_END_NOT_SP_HT ? slb_not_sp_ht_bytes(w) : slb_ctl_or_space_bytes(w);
}

/* The first byte from pos on that ends a run of kind e, or SLB_NO_POS when
 * there is none inside the window (the zero padding past lim ends either
 * kind, but is not in the window). */
static __always_inline __u64 slb_run_end(void *data, void *end, __u64 pos, __u64 lim,
					 enum slb_run_end e)
{
	__u64 w, m;

	for (__u64 i = 0; i < SLB_XDP_WINDOW_WORDS; i++) {
		if (pos + 8 > lim)
			break;
		if (slb_word(data, end, pos, &w))
			return SLB_NO_POS;
		m = slb_run_end_bytes(w, e);
		if (m)
			return pos + slb_lowest_byte(m);
		pos += 8;
	}
	if (slb_load8(data, end, pos, lim, &w))
		return SLB_NO_POS;
	pos += slb_lowest_byte(slb_run_end_bytes(w, e));
	return pos < lim ? pos : SLB_NO_POS;
}

/* ---- one header line ----------------------------------------------------------- */

/* What the search gets from a line besides a packed value (whose offset,
 * below 64 KiB, never reaches bit 63). */
#define SLB_CALLID_STOP (1ULL << 63) /* the empty line, or past the window */

/* Where the name ends when the line starting with the 8 bytes w at s is
 * Call-ID or i followed by SP, HT or the colon; SLB_NO_POS otherwise. */
static __always_inline __u64 slb_callid_name_end(__u64 w, __u64 s)
{
	__u64 after, len;

	if (((w | 0x20) & 0xff) == 'i') {
		after = (w >> 8) & 0xff;
		len = 1;
	} else if (((w | SLB_CALL_ID_FOLD) & SLB_LOW7_BYTES) == SLB_CALL_ID_LE) {
		after = w >> 56;
		len = 7;
	} else {
		return SLB_NO_POS;
	}
	return after == ':' || slb_is_sp_ht(after) ? s + len : SLB_NO_POS;
}

/* The byte-at-a-time twin's scan is too long a walk for the verifier with
 * the line inlined after it (over its 1,000,000 instructions): there the
 * line stays a global function of its own, one more call a packet. */
#ifdef SLB_XDP_SCAN_BYTES
#define SLB_CALLID_LINE_LINKAGE __attribute__((noinline))
#else
#define SLB_CALLID_LINE_LINKAGE static __always_inline
#endif

/*
 * The line that starts at frame offset s, right after a CRLF: the packed
 * value when it is the Call-ID header, SLB_CALLID_STOP for the empty line
 * (or past the window), SLB_CALLID_NONE to go on. Read only for lines
 * that may be the Call-ID or the empty line (slb_callid_next). Inside, each
 * phase forgets pos and lim (which the loop before compared with its
 * offsets) before the next.
 */
SLB_CALLID_LINE_LINKAGE __u64 slb_callid_line(struct xdp_md *ctx, struct slb_scratch *sc,
					      __u32 s, __u32 lim32)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 pos, value, w, lim = lim32;

	if (!sc || slb_load8(data, end, s, lim, &w) || (w & 0xffff) == SLB_CRLF_LE)
		return SLB_CALLID_STOP;
	pos = slb_callid_name_end(w, s);
	if (pos == SLB_NO_POS)
		return SLB_CALLID_NONE;
	/* Before each loop, pos and lim are forgotten: they carry what the
	 * paths here compared them with. */
#define SLB_FORGET() (lim = slb_forget(sc, SLB_FORGET_LIM, lim), \
		      pos = slb_forget(sc, SLB_FORGET_POS, pos))
	/* The usual form, the colon right after the name, one SP, then the
	 * value (its first byte above SP, so inside the window: the padding
	 * is zero): the value starts two bytes on, as the general path below
	 * would find with three loops. */
	if (!slb_load8(data, end, pos, lim, &w) && (w & 0xffff) == (' ' << 8 | ':') &&
	    ((w >> 16) & 0xff) > ' ') {
		pos += 2;
	} else {
		/* SP/HT, the colon (a name is never folded from its colon:
		 * siplb-dp agrees) */
		SLB_FORGET();
		pos = slb_run_end(data, end, pos, lim, SLB_END_NOT_SP_HT);
		if (slb_load8(data, end, pos, lim, &w) || (w & 0xff) != ':')
			return SLB_CALLID_NONE;
		/* LWS: SP/HT, at most one fold, SP/HT */
		pos++;
		SLB_FORGET();
		pos = slb_run_end(data, end, pos, lim, SLB_END_NOT_SP_HT);
		if (slb_load8(data, end, pos, lim, &w))
			return SLB_CALLID_NONE;
		if ((w & 0xffff) == SLB_CRLF_LE && slb_is_sp_ht((w >> 16) & 0xff)) {
			pos += 2;
			SLB_FORGET();
			pos = slb_run_end(data, end, pos, lim, SLB_END_NOT_SP_HT);
		}
	}
	SLB_FORGET();
#undef SLB_FORGET
	value = slb_run_end(data, end, pos, lim, SLB_END_CTL_OR_SPACE);
	if (value == SLB_NO_POS || value <= pos || pos >= lim)
		return SLB_CALLID_NONE;
	return slb_callid_pack(pos, value - pos);
}

/* ---- the word loop ------------------------------------------------------------- */

/* Lines that start inside one word: each after its own CRLF, so at most 4
 * (the bound of the loop over a word's candidates, which misses none). */
#define SLB_LINES_PER_WORD 4

/*
 * The lines that start in the word x and may be the Call-ID line or the
 * empty line: 0x80 in their first bytes. Branch-free. Byte k of y is the
 * byte before x's byte k, of z the one before that: where y has a LF and z
 * a CR, a line starts at byte k (exact: slb_callid_line trusts it), and
 * x's byte k is its first character, byte k of n (x moved down a byte) its
 * second. Kept, by tests that may keep more than they should
 * (slb_below_bytes; slb_callid_line reads the name again): "Ca" (Call-ID,
 * not Contact, CSeq or Content-*), "i" and then a byte below 'A' (':', SP
 * and HT among them), and CR (the empty line); a line starting at the last
 * byte, whose second character is in the next word, is always kept.
 *
 * The LF and the CR tests are the 4-operation borrow form too, and their
 * AND is still exact. Each flags its real bytes and perhaps, above one, a
 * byte one more than the one it looks for that a borrow reached: for the
 * LF test a 0x0b at j after a LF (or after such a 0x0b) at j - 1. z's byte
 * j is y's byte j - 1, so there the CR test sees that LF or 0x0b: neither
 * a CR nor the 0x0c a borrow could flag. A false LF bit never has a CR bit
 * with it, and byte 0 takes no borrow. As a yes/no the LF test is exact
 * (false bits only above a real one; ~x drops the bytes from 0x80 up): the
 * scan asks it of each word of a round that may have a LF, and hands the
 * mask on.
 */
static __always_inline __u64 slb_lf_mask(__u64 y)
{
	return slb_below_bytes(y ^ (0x0a * SLB_ONES), 1);
}

/* slb_callid_cands with y's LF mask (slb_lf_mask) already made. */
static __always_inline __u64 slb_callid_cands_lf(__u64 x, __u64 lf, __u64 z)
{
	__u64 n = x >> 8, xl = x | 0x20 * SLB_ONES, nl = n | 0x20 * SLB_ONES;
	__u64 last = SLB_HIGH << 56;

	return lf & slb_below_bytes(z ^ (0x0d * SLB_ONES), 1) &
	       ((slb_below_bytes(xl ^ ('c' * SLB_ONES), 1) &
		 (slb_below_bytes(nl ^ ('a' * SLB_ONES), 1) | last)) |
		(slb_below_bytes(xl ^ ('i' * SLB_ONES), 1) & (slb_below_bytes(n, 'A') | last)) |
		slb_below_bytes(x ^ ('\r' * SLB_ONES), 1));
}

static __always_inline __u64 slb_callid_cands(__u64 x, __u64 y, __u64 z)
{
	return slb_callid_cands_lf(x, slb_lf_mask(y), z);
}

#ifndef SLB_XDP_SCAN_BYTES
/*
 * Each byte of y ^ LF less 1 (one subtract for the word): bit 0x80 set in
 * every byte that was a LF (0x00 - 1, with or without a borrow), and maybe
 * in others: a byte from 0x80 up, or one a borrow reached. Never a LF
 * missed, so as a yes/no it is loose, not wrong: the round's "maybe"
 * (slb_block_has_lf), after which each word's exact test (slb_lf_in)
 * decides. Three operations a word against the exact test's five: a round
 * of ASCII text without a LF, the usual one, costs less; a round with a
 * byte from 0x80 up (UTF-8 in a display name) goes word by word, four
 * exact tests more, never the candidates' masks unless a LF is there
 * (bench/RESULTS.md, "Target 4: a loose LF test").
 */
static __always_inline __u64 slb_lf_bits_loose(__u64 y)
{
	return (y ^ (0x0a * SLB_ONES)) - SLB_ONES;
}

/* y's LF mask (slb_lf_mask), 0 when no line starts in the word after y's
 * first byte: the mask itself here; the byte twin's below decides byte by
 * byte first. */
static __always_inline __u64 slb_lf_in(__u64 y)
{
	return slb_lf_mask(y);
}

/* Whether any of the four words at q, q + 8, q + 16, q + 24 may hold a LF:
 * one branch for a block, which blocks of a header without a line start
 * pass on. */
static __always_inline int slb_block_has_lf(const void *q)
{
	return ((slb_lf_bits_loose(*(const __u64 *)q) | slb_lf_bits_loose(*(const __u64 *)(q + 8)) |
		 slb_lf_bits_loose(*(const __u64 *)(q + 16)) |
		 slb_lf_bits_loose(*(const __u64 *)(q + 24))) &
		SLB_HIGH) != 0;
}
#else
/* The byte-at-a-time twin, for the benchmark: each byte compared and
 * branched on in turn, as a scalar scanner does (the loads stay words: a
 * load and a bounds check per byte would be 1500 iterations, more than the
 * verifier walks). */
static __always_inline __u64 slb_lf_in(__u64 y)
{
#pragma unroll
	for (int k = 0; k < 8; k++)
		if (((y >> (8 * k)) & 0xff) == '\n')
			return slb_lf_mask(y);
	return 0;
}

/* No test for the block as a whole: a scalar scanner looks at each byte
 * once, so each word goes byte by byte on its own (the verifier takes the
 * OR-ed form too: 259k instructions against 246k). */
static __always_inline int slb_block_has_lf(const void *q)
{
	(void)q;
	return 1;
}
#endif

/* Bytes a block of the scan covers: four words, one bounds check, one
 * branch when none of them starts a line. */
#define SLB_SCAN_BLOCK 32

/* The candidates of the word x at frame offset off, given the word of the
 * 8 bytes before it (prev; start: where the search began, before which
 * nothing counts, so bytes there read as zero). */
static __always_inline __u64 slb_callid_cands_after(__u64 x, __u64 prev, __u64 off,
						    __u64 start)
{
	if (off == start)
		prev = 0;
	return slb_callid_cands(x, x << 8 | prev >> 56, x << 16 | prev >> 48);
}

/*
 * From the word at frame offset off on (start <= off: where the search
 * began), the first word in [off, lim) holding candidate lines
 * (slb_callid_cands): their mask, with the word's offset in
 * sc->forget[SLB_FORGET_POS]; 0 when no word has any. Its loop makes no
 * call, so that it keeps everything in registers (a BPF call leaves only
 * four of them alive across it). The loop takes 32-byte blocks: one
 * bounds check, and for each word a load of the 8 bytes just before its own
 * bytes (so no shifting across words) given the loose LF test, the four
 * tests one branch; a block that may have a LF tests its words exactly
 * (slb_lf_in) and computes the candidates of those that have one. What is
 * left after the blocks, less than 32 bytes, is at most four words, the
 * last partial and zero-padded.
 */
static __always_inline __u64 slb_callid_scan(struct xdp_md *ctx, struct slb_scratch *sc,
					     __u32 off32, __u32 lim32, __u32 start32)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end, *p;
	__u64 x, y, lf, prev, cand = 0, off = off32, lim = lim32, start = start32;
	int k;

	if (!sc || off < 8)
		return 0;
	/* whole blocks before lim: one compare a block for the loop */
	__u64 blocks = off < lim ? (lim - off) / SLB_SCAN_BLOCK : 0;

	if (blocks > SLB_XDP_CALLID_WINDOW / SLB_SCAN_BLOCK)
		blocks = SLB_XDP_CALLID_WINDOW / SLB_SCAN_BLOCK;
	for (__u64 i = 0; i < blocks; i++) {
		/* bytes off - 8 .. off + 32: prev, and the four words */
		p = data + ((off - 8) & SLB_PKT_OFF_MASK);
		if (p + 8 + SLB_SCAN_BLOCK > end)
			return 0;
		if (slb_block_has_lf(p + 7)) {
			/* The words are read again here rather than kept in
			 * registers across the blocks that have no LF. */
			barrier_var(p);
#pragma unroll
			for (k = 0; k < SLB_SCAN_BLOCK / 8; k++) {
				y = *(__u64 *)(p + 7 + 8 * k);
				lf = slb_lf_in(y);
				if (!lf)
					continue;
				x = *(__u64 *)(p + 8 + 8 * k);
				cand = k ? slb_callid_cands_lf(x, lf, *(__u64 *)(p + 6 + 8 * k))
					 : slb_callid_cands_after(x, *(__u64 *)p, off, start);
				if (cand)
					break;
			}
			if (cand) {
				off += 8 * k;
				break;
			}
		}
		off += SLB_SCAN_BLOCK;
	}
	for (k = 0; k < SLB_SCAN_BLOCK / 8 && !cand; k++) {
		if (slb_load8(data, end, off, lim, &x) || slb_word(data, end, off - 8, &prev))
			break;
		cand = slb_callid_cands_after(x, prev, off, start);
		if (!cand)
			off += 8;
	}
	slb_forget(sc, SLB_FORGET_POS, off);
	return cand;
}

/*
 * The next word from frame offset off on (start <= off: where the search
 * began) with candidate lines, and those lines: the packed value when one
 * is the Call-ID line, SLB_CALLID_STOP when the search ends (the empty
 * line, the window's end, no candidate left), else SLB_CALLID_NONE, the
 * search to go on from sc->forget[SLB_FORGET_NEXT]. A global function,
 * which the verifier checks once, on its own; a packet makes one call of it
 * per word with candidates: one for the usual request, whose only
 * candidate is its Call-ID line. A call and its return cost about 7 ns
 * where returns go through a mitigation thunk (SRSO's Safe RET on AMD
 * hosts without its microcode: bench/RESULTS.md, "Target 4: one call for
 * the search"), as much as a fifth of the search; the scan and the line were
 * two functions, two calls.
 */
__attribute__((noinline)) __u64 slb_callid_next(struct xdp_md *ctx, struct slb_scratch *sc,
						__u32 off32, __u32 lim32, __u32 start32)
{
	__u64 cand, word, r;

	if (!sc)
		return SLB_CALLID_STOP;
	cand = slb_callid_scan(ctx, sc, off32, lim32, start32);
	if (!cand)
		return SLB_CALLID_STOP;
	/* the word's offset, from the scan; the lines reuse its slot. Read
	 * volatile, as slb_forget reads: clang may not hand on the value the
	 * scan stored, whose ranges the verifier would carry into the lines */
	word = *(volatile __u64 *)&sc->forget[SLB_FORGET_POS];
	*(volatile __u64 *)&sc->forget[SLB_FORGET_NEXT] = word + 8;
	for (__u64 j = 0; j < SLB_LINES_PER_WORD && cand; j++) {
		r = slb_callid_line(ctx, sc, (__u32)(word + slb_lowest_byte(cand)), lim32);
		if (r != SLB_CALLID_NONE)
			return r;
		cand &= cand - 1;
	}
	return SLB_CALLID_NONE;
}

/*
 * The Call-ID value in the UDP payload at frame offsets [start, lim), as
 * (frame offset << 32 | length), or SLB_CALLID_NONE. lim - start is at most
 * SLB_XDP_CALLID_WINDOW and lim at least 8 (the caller checks both). sc:
 * the per-CPU scratch (slb_forget). Each turn reads the next word with
 * candidate lines, and its lines (slb_callid_next).
 */
static __always_inline __u64 slb_callid_find(struct xdp_md *ctx, struct slb_scratch *sc,
					     __u32 start, __u32 lim)
{
	__u64 r, off = start;

	if (!sc)
		return SLB_CALLID_NONE;
	for (__u64 i = 0; i < SLB_XDP_WINDOW_WORDS; i++) {
		r = slb_callid_next(ctx, sc, (__u32)off, lim, start);
		if (r != SLB_CALLID_NONE)
			return r & SLB_CALLID_STOP ? SLB_CALLID_NONE : r;
		off = sc->forget[SLB_FORGET_NEXT];
	}
	return SLB_CALLID_NONE;
}

#endif
