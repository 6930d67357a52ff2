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

#define SLB_NO_POS SIZE_MAX

static inline uint64_t slb_bits_from(size_t lo)
{
	return lo >= 64 ? 0 : ~0ULL << lo;
}

/* Bits above i (i < 64): -(2 << i) is ~((2 << i) - 1), and 0 for i = 63. */
static inline uint64_t slb_bits_above(unsigned i)
{
	return -(2ULL << i);
}

/* A logical line [start, lf) with its name colon: record it if it is one of
 * ours. buf[start - 1] is an LF, so the trim stops there at the latest. */
static inline void slb_walk_record(const uint8_t *buf, size_t start, size_t colon, size_t lf,
				   struct slb_sip_hits *hits)
{
	size_t name_end = colon;

	if (buf[name_end - 1] <= ' ') /* rare: "Via :" */
		while (buf[name_end - 1] == ' ' || buf[name_end - 1] == '\t')
			name_end--;
	enum slb_hdr id = slb_hdr_id(buf + start, name_end - start);
	if (id != SLB_HDR_OTHER)
		slb_sip_hit(hits, id, start, colon + 1, slb_line_end(buf, lf));
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

/* The faults among the bits of nul and crlf_bad. */
static inline uint32_t slb_chunk_faults(uint64_t nul, uint64_t crlf_bad)
{
	return (nul ? SLB_ERR(SLB_SIP_ERR_NUL_BYTE) : 0) |
	       (crlf_bad ? SLB_ERR(SLB_SIP_ERR_BARE_CRLF) : 0);
}

uint32_t SLB_WALK_FN(const uint8_t *buf, size_t len, size_t hdr_start,
		     struct slb_sip_hits *hits, size_t *hdr_end)
{
	size_t start = hdr_start, colon = SLB_NO_POS; /* the current logical line */
	uint64_t cr_carry = 0;
	uint32_t err = 0;

	for (size_t base = 0; base < len; base += 64) {
		uint64_t lf, cr, colons, nul;
		size_t n = len - base;

		if (n >= 64) {
			slb_chunk_masks(buf + base, &lf, &cr, &colons, &nul);
		} else {
			/* Never read past len: the tail goes through a padded copy. */
			uint8_t tail[64] = { 0 };

			memcpy(tail, buf + base, n);
			slb_chunk_masks(tail, &lf, &cr, &colons, &nul);
			nul &= ~slb_bits_from(n);
		}
		uint64_t crlf_bad = lf ^ ((cr << 1) | cr_carry);
		cr_carry = cr >> 63;
		if (base < hdr_start) { /* the start line's LF and colons */
			lf &= slb_bits_from(hdr_start - base);
			colons &= slb_bits_from(hdr_start - base);
		}
		/* The current line's colon may be in this chunk (rare: a branch,
		 * not the six-instruction select the compiler makes otherwise). */
		if (__builtin_expect(colon == SLB_NO_POS, 0) && colons)
			colon = base + (size_t)__builtin_ctzll(colons);

		while (lf) {
			unsigned i = (unsigned)__builtin_ctzll(lf);
			size_t p = base + i;

			lf &= lf - 1;
			colons &= slb_bits_above(i);
			/* The first physical line must hold "name:": start < colon < p
			 * (SLB_NO_POS is past every p). The empty line ending the
			 * block has no colon either, so it is looked for only here. */
			if (colon <= start || colon >= p) {
				if (p == start + 1 && slb_is_header_end(buf, p)) {
					uint64_t upto = ~slb_bits_above(i);

					*hdr_end = p + 1;
					return err | slb_chunk_faults(nul & upto, crlf_bad & upto);
				}
				/* A fault: what follows is not parsed, so the
				 * line ends here even if the next one is folded. */
				err |= SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE);
			} else if (p + 1 < len && __builtin_expect(buf[p + 1] <= ' ', 0) &&
				   (buf[p + 1] == ' ' || buf[p + 1] == '\t')) {
				/* Folded: the logical line goes on. (The next name's
				 * first byte fails the first test alone.) */
				continue;
			} else {
				slb_walk_record(buf, start, colon, p, hits);
			}
			start = p + 1;
			colon = colons ? base + (size_t)__builtin_ctzll(colons) : SLB_NO_POS;
		}
		/* The whole chunk is in the header block: its faults count. */
		if (nul | crlf_bad)
			err |= slb_chunk_faults(nul, crlf_bad);
	}
	return err | SLB_ERR(SLB_SIP_ERR_TRUNCATED);
}
