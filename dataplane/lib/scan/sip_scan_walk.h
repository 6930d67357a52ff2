/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The header-locating walk, compiled once per instruction set.
 *
 * Before including this file a path defines SLB_WALK_FN (the function name)
 * and slb_chunk_masks(p, m), which fills four 64-bit masks (LF, CR, colon,
 * NUL) for the 64 bytes at p. Only LFs are walked, bit by bit: each ends a
 * physical line. A line's name colon is the lowest colon bit at or after its
 * start, taken from the chunk's colon mask (trimmed past each line end), so
 * colons inside values are never visited. Framing faults come from
 * whole-chunk bit arithmetic, not from per-byte branches: every CR must sit
 * right before an LF and every LF right after a CR, so (lf ^ (cr << 1)) is
 * zero in a well-formed chunk; a chunk's faults are added once it is past
 * (the last one's only up to the block's end).
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
 * function, its loop state is spilled around the values' registers). */
#ifndef SLB_WALK_LINKAGE
#define SLB_WALK_LINKAGE SLB_PATH_FN
#endif

static inline uint64_t slb_bits_from(size_t lo)
{
	return lo >= 64 ? 0 : ~0ULL << lo;
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

/* A name ending in blanks ("Via :"), trimmed and looked up again: rare, so
 * out of the walk's code. */
static __attribute__((noinline)) void slb_walk_record_trimmed(const uint8_t *buf, size_t start,
							      size_t colon, size_t lf,
							      struct slb_sip_hits *hits)
{
	size_t name_end = colon;

	while (buf[name_end - 1] == ' ' || buf[name_end - 1] == '\t')
		name_end--;
	enum slb_hdr id = slb_hdr_id(buf + start, name_end - start);
	if (id != SLB_HDR_OTHER)
		slb_sip_hit(hits, id, start, colon + 1, lf - 1);
}

/*
 * A logical line [start, lf) with its name colon (start <= colon < lf):
 * record it if it is one of ours; an empty name is a fault. buf[start - 1]
 * is an LF, so a trim stops there at the latest. The
 * value ends at lf - 1 without a look at that byte: a line whose LF has no
 * CR before it is a fault, and the values are not parsed then.
 */
static inline void slb_walk_record(const uint8_t *buf, size_t start, size_t colon, size_t lf,
				   struct slb_sip_hits *hits, uint32_t *err)
{
	const uint8_t *n = buf + start;
	size_t vstart = colon + 1, vend = lf - 1;

#define HIT(id) do { slb_sip_hit(hits, (id), start, vstart, vend); return; } while (0)
	SLB_HDR_SWITCH(n, colon - start, HIT,
		       *err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE); return)
#undef HIT
	if (__builtin_expect(buf[colon - 1] <= ' ', 0))
		slb_walk_record_trimmed(buf, start, colon, lf, hits);
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

/* The faults: a NUL seen, and the bits of crlf_bad. */
static inline uint32_t slb_chunk_faults(bool nul, uint64_t crlf_bad)
{
	return (nul ? SLB_ERR(SLB_SIP_ERR_NUL_BYTE) : 0) |
	       (crlf_bad ? SLB_ERR(SLB_SIP_ERR_BARE_CRLF) : 0);
}

/* The current logical line, carried from chunk to chunk. colon is its
 * name colon, or the next chunk's base while none has been seen (past every
 * LF of the chunks walked so far). */
struct slb_walk {
	size_t start, colon;
	size_t first; /* the first header line: never a fold */
	uint32_t err;
};

/*
 * The masks of the chunk at base: the 64 bytes there, or for the last,
 * partial chunk the datagram's last 64 bytes with the masks shifted down
 * (bytes before base come out; nothing past len is read), or, in a datagram
 * shorter than 64 bytes, a copy padded with 0xff (no class of the walk).
 * *nul takes whatever NULs were read: also bytes before base, which the
 * walk has passed, so in the header block.
 */
static inline __attribute__((always_inline)) void
slb_walk_masks(const uint8_t *buf, size_t len, size_t base, uint64_t *lf, uint64_t *cr,
	       uint64_t *colons, slb_nulv *nul)
{
	if (__builtin_expect(base + 64 <= len, 1)) {
		slb_chunk_masks(buf + base, lf, cr, colons, nul);
	} else if (len >= 64) {
		unsigned sh = (unsigned)(base + 64 - len);

		slb_chunk_masks(buf + len - 64, lf, cr, colons, nul);
		*lf >>= sh;
		*cr >>= sh;
		*colons >>= sh;
	} else {
		uint8_t tail[64];

		memset(tail, 0xff, sizeof(tail));
		memcpy(tail, buf + base, len - base);
		slb_chunk_masks(tail, lf, cr, colons, nul);
	}
}

/*
 * A physical line that starts with a blank continues the logical line
 * before it (a fold): if that line's value was recorded, it ended at
 * prev_end (the CR before the line's LF) and now ends at end. Values end
 * where their lines do, so only that one can end there. Rare, so out of
 * the walk's code.
 */
static __attribute__((noinline)) void slb_walk_fold(struct slb_sip_hits *h, size_t prev_end,
						    size_t end)
{
	struct slb_span *spans[] = {
		&h->via[0], &h->via[1], &h->call_id, &h->cseq, &h->content_length,
		&h->max_forwards, &h->to, &h->from, &h->user_agent, &h->route[0], &h->route[1],
	};

	for (size_t k = 0; k < sizeof(spans) / sizeof(spans[0]); k++)
		if (spans[k]->off && (size_t)spans[k]->off + spans[k]->len == prev_end)
			*spans[k] = slb_span_of(spans[k]->off, end);
}

/*
 * The LFs of the chunk at base, in order. Returns true at the block's
 * closing empty line, with *hdr_end set and *upto the chunk's bits up to
 * its LF.
 *
 * A line is recorded at its first LF; a fold is seen at the next line's
 * first byte (loaded only there, so no bound test) and stretches the value
 * recorded. The first header line is never a fold; after a line without a
 * colon a blank line is taken as one too, where the walk took it as a new
 * line: the fault is already in w->err then, and that outranks everything
 * the lines after it give but the block's end, which is found alike.
 */
static inline __attribute__((always_inline)) bool
slb_walk_lines(const uint8_t *buf, size_t base, uint64_t lf, uint64_t colons,
	       struct slb_walk *w, struct slb_sip_hits *hits, size_t *hdr_end, uint64_t *upto)
{
	size_t start = w->start, colon = w->colon;

	/* No colon of the current line before this chunk: its first here, or
	 * none yet (the next chunk's base). */
	if (__builtin_expect(colon == base, 0))
		colon = base + slb_ctz_or_64(colons);
	while (lf) {
		unsigned i = (unsigned)__builtin_ctzll(lf);
		size_t p = base + i;
		uint64_t through = slb_bits_through(lf, i); /* the bits up to this LF */

		colons &= ~through;
		lf &= lf - 1;
		if (__builtin_expect(buf[start] <= ' ', 0) &&
		    (buf[start] == ' ' || buf[start] == '\t') && start != w->first) {
			slb_walk_fold(hits, start - 2, p - 1);
		} else if (colon >= p) {
			/* The first physical line must hold "name:": start <
			 * colon < p (colon == start is a fault of
			 * slb_walk_record()). The empty line ending the block
			 * has no colon either, so it is looked for only here. */
			if (p == start + 1 && slb_is_header_end(buf, p)) {
				*upto = through;
				*hdr_end = p + 1;
				return true;
			}
			w->err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE);
		} else {
			slb_walk_record(buf, start, colon, p, hits, &w->err);
		}
		start = p + 1;
		colon = base + slb_ctz_or_64(colons);
	}
	w->start = start;
	w->colon = colon;
	return false;
}

/*
 * The chunks that hold only the start line are checked for faults alone;
 * the one where the headers begin has its lower bits (the start line's LF
 * and colons) masked off once, before the loop over the rest. Faults are
 * accumulated and tested once, where the block ends: CR/LF ones as bits
 * (the last chunk's only up to the end), NULs in a vector (on the SIMD
 * paths the bytewise minimum of the bytes read). The vector may have seen
 * the body in the last chunk, so a NUL there is confirmed in the block
 * alone (rare: a fault).
 */
SLB_WALK_LINKAGE uint32_t SLB_WALK_FN(const uint8_t *buf, size_t len, size_t hdr_start,
		     struct slb_sip_hits *hits, size_t *hdr_end)
{
	struct slb_walk w = { hdr_start, 0, hdr_start, 0 };
	uint64_t cr_carry = 0, crlf_acc = 0, lf, cr, colons, crlf_bad, upto = 0;
	slb_nulv nul = SLB_NULV_NONE;
	size_t base = 0;

	for (; base + 64 <= hdr_start; base += 64) {
		slb_chunk_masks(buf + base, &lf, &cr, &colons, &nul);
		crlf_acc |= lf ^ ((cr << 1) | cr_carry);
		cr_carry = cr >> 63;
	}
	if (base >= len)
		return SLB_ERR(SLB_SIP_ERR_TRUNCATED);
	slb_walk_masks(buf, len, base, &lf, &cr, &colons, &nul);
	crlf_bad = lf ^ ((cr << 1) | cr_carry);
	cr_carry = cr >> 63;
	w.colon = base;
	{
		uint64_t keep = slb_bits_from(hdr_start - base);

		if (slb_walk_lines(buf, base, lf & keep, colons & keep, &w, hits, hdr_end,
				   &upto))
			goto found;
	}
	for (;;) {
		crlf_acc |= crlf_bad;
		base += 64;
		if (base >= len)
			return w.err | SLB_ERR(SLB_SIP_ERR_TRUNCATED);
		slb_walk_masks(buf, len, base, &lf, &cr, &colons, &nul);
		crlf_bad = lf ^ ((cr << 1) | cr_carry);
		cr_carry = cr >> 63;
		if (slb_walk_lines(buf, base, lf, colons, &w, hits, hdr_end, &upto))
			break;
	}
found:
	return w.err |
	       slb_chunk_faults(slb_nulv_any(nul) && memchr(buf, 0, *hdr_end) != NULL,
				crlf_acc | (crlf_bad & upto));
}
