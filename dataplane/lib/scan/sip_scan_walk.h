/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The header-locating walk, compiled once per instruction set.
 *
 * Before including this file a path defines SLB_WALK_FN (the function
 * name), a fault accumulator type slb_faultv (SLB_FAULTV_NONE, and
 * slb_faultv_any()), and slb_chunk_masks(p, lf, colon, f), which fills the
 * LF and colon masks of the 64 bytes at p and adds their faults to *f
 * (slb_chunk_masks_first() the same for the datagram's first 64 bytes,
 * with no byte before them). Only LFs are walked, bit by bit: each ends a
 * physical line. A line's name colon is the lowest colon bit at or after
 * its start, taken from the chunk's colon mask (trimmed past each line
 * end), so colons inside values are never visited. Framing faults come from
 * whole-chunk vector arithmetic, not from per-byte branches: every CR must
 * sit right before an LF and every LF right after a CR, so an LF compare
 * of the 64 bytes and a CR compare of the 64 bytes one before them agree
 * in a well-formed chunk; that, and no NUL, is accumulated per chunk and
 * tested once at the block's end (and confirmed byte by byte in the block
 * alone when something was seen, as the last chunk may have read the
 * body).
 *
 * A line without a colon is a fault even when it starts with CR: such a
 * line is never the empty line ending the block (that is tested first), so
 * a bare CR or LF is also there, and its lower reason is the one reported.
 */
#ifndef SLB_WALK_FN
#error "define SLB_WALK_FN and slb_chunk_masks before including sip_scan_walk.h"
#endif

#include "sip_scan_internal.h"

/* The walk's own linkage: SLB_PATH_FN's unless the path says otherwise
 * (the SIMD paths keep it a function of its own: inlined into the run
 * function, its loop state is spilled around the values' registers). It
 * is never inlined, whatever it says: the walk takes its labels'
 * addresses. */
#ifndef SLB_WALK_LINKAGE
#define SLB_WALK_LINKAGE SLB_PATH_FN
#endif

/*
 * The walk's rare steps (a fold, a name to trim) are calls out of its loop;
 * with clang they keep every general register (preserve_most), so the
 * loop's state stays in registers across them instead of being spilled
 * around every chunk. gcc has no such convention: a plain call.
 */
#if defined(__clang__) && defined(__x86_64__)
#define SLB_WALK_COLD __attribute__((noinline, preserve_most))
#else
#define SLB_WALK_COLD __attribute__((noinline))
#endif

/* The bits from lo < 64 up. */
static inline uint64_t slb_bits_from(size_t lo)
{
	return ~0ULL << (lo & 63);
}

/* The lowest set bit's index, 64 for none (tzcnt, where the path has it). */
static inline unsigned slb_ctz_or_64(uint64_t x)
{
#ifdef __BMI__
	return (unsigned)_tzcnt_u64(x);
#else
	return x ? (unsigned)__builtin_ctzll(x) : 64;
#endif
}

/* The bits up to the lowest set bit of x, which is bit i: blsmsk where the
 * path has BMI1, else a shift (the XOR form costs four moves without it). */
static inline uint64_t slb_bits_through(uint64_t x, unsigned i)
{
#ifdef __BMI__
	(void)i;
	return x ^ (x - 1);
#else
	(void)x;
	return ~(-(2ULL << i));
#endif
}

/*
 * p + 1 as one lea into a register of its own, a value clang does not see
 * through. Written as an add, clang adds in p's register and copies: the
 * next line's start from the LF (p dead after it, so the add is not made a
 * lea, and the sum is copied to the line start's register), on every line
 * and chunk; the value's start from the name colon, where it kept the colon
 * alive beside it and copied it for the name's length, on every line.
 * Together 25 to 42 instructions a message on every SIMD path
 * (bench/RESULTS.md, walk8).
 */
static inline size_t slb_walk_next(size_t p)
{
#ifdef __x86_64__
	size_t r;

	__asm__("lea 1(%1), %0" : "=r"(r) : "r"(p));
	return r;
#else
	return p + 1;
#endif
}

/*
 * i, as an offset clang cannot relate to the walk's other loads: the rare
 * miss test loads its two bytes again at such offsets instead of taking
 * the first from a name compare's word, which clang otherwise copied before
 * each compare to keep it for that test (AVX-512 -6 to -12 instructions a
 * message, AVX2 -2 to -7; bench/RESULTS.md, walk8). The offsets (the line's
 * start, the value's) are dead after the test, so the empty asm works in
 * their registers; on the buffer's pointer, which lives on, it took a copy
 * every unmatched line.
 */
static inline size_t slb_walk_opaque(size_t i)
{
	__asm__("" : "+r"(i));
	return i;
}

/*
 * A physical line that starts with a blank continues the logical line
 * before it (a fold): if that line's value was recorded, it ended at
 * prev_end (the CR before the line's LF) and now ends at end. Values end
 * where their lines do, so only that one can end there. Rare, so out of
 * the walk's code.
 */
static SLB_WALK_COLD void slb_walk_fold(struct slb_sip_hits *h, size_t prev_end, size_t end)
{
	struct slb_span *spans[] = {
		&h->via[0], &h->via[1], &h->call_id, &h->cseq, &h->content_length,
		&h->max_forwards, &h->to, &h->from, &h->user_agent, &h->route[0], &h->route[1],
	};

	for (size_t k = 0; k < sizeof(spans) / sizeof(spans[0]); k++)
		if (spans[k]->off && (size_t)spans[k]->off + spans[k]->len == prev_end)
			*spans[k] = slb_span_of(spans[k]->off, end);
}

/* A line [start, lf) starting with a blank is a fold, unless it is the
 * first header line (first). */
static inline bool slb_walk_is_fold(const uint8_t *buf, size_t start, size_t first)
{
	return (buf[start] == ' ' || buf[start] == '\t') && start != first;
}

/*
 * A line with a colon whose name is none of ours, and starts or ends with
 * a blank: a fold, or a name ending in blanks ("Via :"), trimmed and
 * looked up again. Rare, so out of the walk's code. No name of ours
 * starts with a blank, so a fold never matched one.
 */
static SLB_WALK_COLD void slb_walk_miss(const uint8_t *buf, size_t start, size_t colon,
						    size_t lf, size_t first,
						    struct slb_sip_hits *hits)
{
	size_t name_end = colon;

	if (slb_walk_is_fold(buf, start, first)) {
		slb_walk_fold(hits, start - 2, lf - 1);
		return;
	}
	while (buf[name_end - 1] == ' ' || buf[name_end - 1] == '\t')
		name_end--;
	enum slb_hdr id = slb_hdr_id(buf + start, name_end - start);
	if (id != SLB_HDR_OTHER)
		slb_sip_hit(hits, id, start, colon + 1, lf - 1);
}

/* "\r\n\r\n" ends at p: one 32-bit compare. */
static inline bool slb_is_header_end(const uint8_t *buf, size_t p)
{
	static const uint8_t marker[4] = { '\r', '\n', '\r', '\n' };
	uint32_t a, b;

	if (p < 3)
		return false;
	memcpy(&a, buf + p - 3, 4);
	memcpy(&b, marker, 4);
	return a == b;
}

/*
 * The masks of the chunk at base > 0: the 64 bytes there (base <= full,
 * the last base with 64 bytes from it), or for the last, partial chunk the
 * datagram's last 64 bytes with the masks shifted down (bytes before base
 * come out; nothing past len is read); false when base is past the
 * datagram. *f takes the faults of whatever was read: also bytes before
 * base, which the walk has passed, so in the header block.
 */
static inline __attribute__((always_inline)) bool
slb_walk_masks(const uint8_t *buf, size_t len, size_t full, size_t base, uint64_t *lf,
	       uint64_t *colons, slb_faultv *f)
{
	if (__builtin_expect(base <= full, 1)) {
		slb_chunk_masks(buf + base, lf, colons, f);
	} else if (base < len) {
		/* base + 64 - len, from this base: with the previous base
		 * in it, the loop kept both and copied one every chunk */
		unsigned sh = (unsigned)(base - full);

		slb_chunk_masks(buf + len - 64, lf, colons, f);
		*lf >>= sh;
		*colons >>= sh;
	} else {
		return false;
	}
	return true;
}

/* The first chunk's masks: in a datagram shorter than 64 bytes, of a copy
 * padded with 0xff (no class of the walk, and no fault). */
static inline void slb_walk_first(const uint8_t *buf, size_t len, uint64_t *lf, uint64_t *colons,
				  slb_faultv *f)
{
	uint8_t tail[64];

	if (len >= 64) {
		slb_chunk_masks_first(buf, lf, colons, f);
		return;
	}
	memset(tail, 0xff, sizeof(tail));
	memcpy(tail, buf, len);
	slb_chunk_masks_first(tail, lf, colons, f);
}

/*
 * The NUL and CR/LF faults of the block's bytes [from, end), byte by byte
 * (an LF at i against a CR at i - 1).
 */
static uint32_t slb_walk_faults_exact(const uint8_t *buf, size_t from, size_t end)
{
	bool crlf = from == 0 && buf[0] == '\n';

	for (size_t i = from ? from : 1; i < end; i++)
		crlf |= (buf[i] == '\n') != (buf[i - 1] == '\r');
	return (memchr(buf + from, 0, end - from) ? SLB_ERR(SLB_SIP_ERR_NUL_BYTE) : 0) |
	       (crlf ? SLB_ERR(SLB_SIP_ERR_BARE_CRLF) : 0);
}

/*
 * The fault vector saw a NUL or a bare CR or LF; the last chunk, at base,
 * may have read it in the body past the block's end [0, end) (a body with
 * a NUL, or an SDP with bare LFs, which RFC 4566 asks parsers to accept).
 * The chunks before it lie in the block: their faults are taken again with
 * the vector, and when they have none, only the last chunk's bytes in the
 * block are checked byte by byte, not the whole block. A path whose chunk
 * masks cost more than that byte loop (the scalar one) sets
 * SLB_WALK_FAULTS_BYTEWISE and checks the whole block byte by byte.
 */
#ifndef SLB_WALK_FAULTS_BYTEWISE
#define SLB_WALK_FAULTS_BYTEWISE 0
#endif
static __attribute__((noinline)) uint32_t slb_walk_faults_confirm(const uint8_t *buf,
								   size_t len, size_t full,
								   size_t base, size_t end)
{
	slb_faultv f = SLB_FAULTV_NONE;
	uint64_t lf, colons;

	if (base == 0 || SLB_WALK_FAULTS_BYTEWISE)
		return slb_walk_faults_exact(buf, 0, end);
	slb_walk_first(buf, len, &lf, &colons, &f);
	for (size_t at = 64; at < base; at += 64)
		slb_chunk_masks(buf + at, &lf, &colons, &f);
	return slb_walk_faults_exact(buf, slb_faultv_any(f) ? 0 : base <= full ? base : len - 64,
				     end);
}

/*
 * The lines: the LFs of each chunk at base, in order, then the next chunk's
 * masks, until the block's closing empty line (hdr_end set) or the
 * datagram's end. start is the current logical line's first byte, colon
 * its name colon, or the next chunk's base while none has been seen (past
 * every LF of the chunks walked so far).
 *
 * A line is recorded at its first LF; a fold is seen at the next line's
 * first byte (loaded only there, so no bound test) and stretches the value
 * recorded. The first header line (hdr_start) is never a fold; after a
 * line without a colon a blank line is taken as one too, where the walk
 * took it as a new line: the fault is already in err then, and that
 * outranks everything the lines after it give but the block's end, which
 * is found alike.
 *
 * A physical line [start, p) with a colon (start <= colon < p) is looked up
 * by its name's length through a table of label addresses (GNU C): one
 * indirect jump through a table of pointers, where a switch's table of
 * relative offsets (position-independent code) takes a load, an add and
 * the jump (AVX-512 and AVX2 -15 to -27 instructions a message). So the
 * line loop is here, in the walk's own function, not in an inline helper:
 * a function whose labels' addresses are taken is never inlined. The names of a length are compared (SLB_HDR_CASES), a match
 * recorded; an empty name is a fault; a fold or a name ending in blanks is
 * seen only when no name matched. buf[start - 1] is an LF, so a trim stops
 * there at the latest. The value ends at p - 1 without a look at that
 * byte: a line whose LF has no CR before it is a fault, and the values are
 * not parsed then.
 *
 * The chunks that hold only the start line are checked for faults alone;
 * the one where the headers begin has its lower bits (the start line's LF
 * and colons) masked off once.
 */
SLB_WALK_LINKAGE struct slb_walk_result SLB_WALK_FN(const uint8_t *buf, size_t len,
						    size_t hdr_start, struct slb_sip_hits *hits)
{
	/* every length SLB_HDR_CASES has a label for; the others miss (a
	 * length added there and not here is an unused label: a warning) */
	static const void *const by_len[15] = {
		&&len_0, &&len_1, &&len_2, &&len_3, &&len_4, &&len_5, &&miss, &&len_7,
		&&miss, &&miss, &&len_10, &&miss, &&len_12, &&miss, &&len_14,
	};
	uint64_t chunk_lf, chunk_colons; /* the masks of the chunk at base */
	slb_faultv f = SLB_FAULTV_NONE;
	size_t base = 0, full = len >= 64 ? len - 64 : 0;
	size_t start = hdr_start, colon, hdr_end;
	uint32_t err = 0;

	slb_walk_first(buf, len, &chunk_lf, &chunk_colons, &f);
	while (base + 64 <= hdr_start) {
		base += 64;
		if (!slb_walk_masks(buf, len, full, base, &chunk_lf, &chunk_colons, &f))
			return (struct slb_walk_result){ SLB_ERR(SLB_SIP_ERR_TRUNCATED), 0 };
	}
	/* base <= hdr_start < base + 64 */
	chunk_lf &= slb_bits_from(hdr_start - base);
	chunk_colons &= slb_bits_from(hdr_start - base);
	colon = base + slb_ctz_or_64(chunk_colons);
	for (;;) {
		/* copies, walked down: with the chunk's own variables, the SSE4.2
		 * walk kept them in memory (two stores a chunk) */
		uint64_t lf = chunk_lf, colons = chunk_colons;

		while (lf) {
			unsigned i = (unsigned)__builtin_ctzll(lf);
			size_t p = base + i;
			uint64_t through = slb_bits_through(lf, i); /* the bits up to this LF */

			colons &= ~through;
			lf &= lf - 1;
			if (__builtin_expect(colon >= p, 0)) {
				/* A fold, the empty line ending the block, or a
				 * fault: the first physical line must hold
				 * "name:", start < colon < p (colon == start is
				 * an empty name, a fault below). */
				if (p == start + 1 && slb_is_header_end(buf, p)) {
					/* first: every message has it; a
					 * one-byte line that is a CR is no fold */
					hdr_end = p + 1;
					goto block_end;
				} else if (slb_walk_is_fold(buf, start, hdr_start)) {
					slb_walk_fold(hits, start - 2, p - 1);
				} else {
					err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE);
				}
				goto next_line;
			}
			const uint8_t *n = buf + start;
			size_t vstart = slb_walk_next(colon), vend = p - 1;
			size_t name_len = colon - start;

			if (name_len > 14)
				goto miss;
			goto *by_len[name_len];
#define SLB_WALK_HIT(id) do { slb_sip_hit(hits, (id), start, vstart, vend); goto next_line; } while (0)
#define SLB_WALK_CASE(k) len_##k:
			SLB_HDR_CASES(n, ":", SLB_WALK_HIT,
				      err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE); goto next_line,
				      SLB_WALK_CASE, goto miss)
#undef SLB_WALK_CASE
#undef SLB_WALK_HIT
miss:
			/* the colon as vstart - 1: with colon - 1, clang kept
			 * the colon alive and copied it for the length on
			 * every line */
			start = slb_walk_opaque(start);
			vstart = slb_walk_opaque(vstart);
			if (__builtin_expect(buf[start] <= ' ' || buf[vstart - 2] <= ' ', 0))
				slb_walk_miss(buf, start, vstart - 1, p, hdr_start, hits);
next_line:
			start = slb_walk_next(p);
			colon = base + slb_ctz_or_64(colons);
		}
		base += 64;
		if (!slb_walk_masks(buf, len, full, base, &chunk_lf, &chunk_colons, &f))
			return (struct slb_walk_result){ err | SLB_ERR(SLB_SIP_ERR_TRUNCATED), 0 };
		/* No colon of the current line before this chunk: its first
		 * here, or none yet (the next chunk's base). */
		if (__builtin_expect(colon == base, 0))
			colon = base + slb_ctz_or_64(chunk_colons);
	}
block_end:
	if (__builtin_expect(slb_faultv_any(f), 0))
		err |= slb_walk_faults_confirm(buf, len, full, base, hdr_end);
	return (struct slb_walk_result){ err, hdr_end };
}
