/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The header-locating walk, compiled once per instruction set.
 *
 * Before including this file a path defines SLB_WALK_FN (the function name)
 * and slb_chunk_masks(p, m), which fills four 64-bit masks (LF, CR, colon,
 * NUL) for the 64 bytes at p. Only LFs are walked, bit by bit: each ends a
 * physical line; a line's name ends at the first colon bit after its start,
 * found with a mask operation. Framing
 * faults come from whole-chunk bit arithmetic, not from per-byte branches:
 * every CR must sit right before an LF and every LF right after a CR, so
 * (lf ^ (cr << 1)) is zero in a well-formed chunk.
 */
#ifndef SLB_WALK_FN
#error "define SLB_WALK_FN and slb_chunk_masks before including sip_scan_walk.h"
#endif

#include "sip_scan_internal.h"

#define SLB_NO_POS SIZE_MAX

struct slb_walk_line {
	size_t start;      /* first byte of the logical line */
	size_t colon;      /* first colon since start, or SLB_NO_POS */
	bool need_colon;   /* first physical line not checked yet */
	bool good;         /* it had "name:" on its first physical line */
};

static inline uint64_t slb_bits_from(size_t lo)
{
	return lo >= 64 ? 0 : ~0ULL << lo;
}

static inline uint64_t slb_bits_below(size_t hi)
{
	return hi >= 64 ? ~0ULL : (1ULL << hi) - 1;
}

/* The line's first colon in this chunk below bit hi, from the colon mask:
 * colons are looked up per line, never walked one by one. */
static inline void slb_walk_colon(struct slb_walk_line *l, size_t base, uint64_t colon,
				  size_t hi)
{
	if (l->colon != SLB_NO_POS)
		return;
	uint64_t m = colon & slb_bits_below(hi) &
		     slb_bits_from(l->start > base ? l->start - base : 0);
	if (m)
		l->colon = base + (size_t)__builtin_ctzll(m);
}

static inline void slb_walk_line_open(struct slb_walk_line *l, const uint8_t *buf,
				      size_t len, size_t start)
{
	uint8_t c = start < len ? buf[start] : '\r';

	l->start = start;
	l->colon = SLB_NO_POS;
	l->good = false;
	/* CR starts the empty line (or a framing fault flagged elsewhere); SP or
	 * HT right after the start line is flagged by slb_sip_scan_begin(). */
	l->need_colon = c != '\r' && c != ' ' && c != '\t';
}

static inline void slb_walk_record(const uint8_t *buf, const struct slb_walk_line *l,
				   size_t lf, struct slb_sip_hits *hits)
{
	size_t name_end = l->colon;

	while (buf[name_end - 1] == ' ' || buf[name_end - 1] == '\t')
		name_end--;
	enum slb_hdr id = slb_sip_header_id(buf + l->start, name_end - l->start);
	if (id != SLB_HDR_OTHER)
		slb_sip_hit(hits, id, l->start, l->colon + 1, slb_line_end(buf, lf));
}

/* An LF at lf that does not end the header block. */
static inline uint32_t slb_walk_lf(const uint8_t *buf, size_t len, size_t lf,
				   struct slb_walk_line *l, struct slb_sip_hits *hits)
{
	uint32_t err = 0;

	if (l->need_colon) {
		l->need_colon = false;
		if (l->colon == SLB_NO_POS || l->colon == l->start)
			err = SLB_ERR(SLB_SIP_ERR_BAD_HEADER_LINE);
		else
			l->good = true;
	}
	if (lf + 1 < len && (buf[lf + 1] == ' ' || buf[lf + 1] == '\t'))
		return err; /* folded: the logical line goes on */
	if (l->good)
		slb_walk_record(buf, l, lf, hits);
	slb_walk_line_open(l, buf, len, lf + 1);
	return err;
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

uint32_t SLB_WALK_FN(const uint8_t *buf, size_t len, size_t hdr_start,
		     struct slb_sip_hits *hits, size_t *hdr_end)
{
	struct slb_walk_line line;
	uint64_t cr_carry = 0;
	uint32_t err = 0;

	slb_walk_line_open(&line, buf, len, hdr_start);
	for (size_t base = 0; base < len; base += 64) {
		uint64_t lf, cr, colon, nul;
		size_t n = len - base;

		if (n >= 64) {
			slb_chunk_masks(buf + base, &lf, &cr, &colon, &nul);
		} else {
			/* Never read past len: the tail goes through a padded copy. */
			uint8_t tail[64] = { 0 };

			memcpy(tail, buf + base, n);
			slb_chunk_masks(tail, &lf, &cr, &colon, &nul);
			nul &= slb_bits_below(n);
		}
		uint64_t crlf_bad = lf ^ ((cr << 1) | cr_carry);
		cr_carry = cr >> 63;

		uint64_t ev = lf & slb_bits_from(hdr_start > base ? hdr_start - base : 0);
		while (ev) {
			unsigned i = (unsigned)__builtin_ctzll(ev);
			size_t p = base + i;

			ev &= ev - 1;
			if (slb_is_header_end(buf, p)) {
				uint64_t upto = slb_bits_below(i + 1);

				if (nul & upto)
					err |= SLB_ERR(SLB_SIP_ERR_NUL_BYTE);
				if (crlf_bad & upto)
					err |= SLB_ERR(SLB_SIP_ERR_BARE_CRLF);
				*hdr_end = p + 1;
				return err;
			}
			slb_walk_colon(&line, base, colon, i);
			err |= slb_walk_lf(buf, len, p, &line, hits);
		}
		slb_walk_colon(&line, base, colon, 64);
		if (nul)
			err |= SLB_ERR(SLB_SIP_ERR_NUL_BYTE);
		if (crlf_bad)
			err |= SLB_ERR(SLB_SIP_ERR_BARE_CRLF);
	}
	return err | SLB_ERR(SLB_SIP_ERR_TRUNCATED);
}
