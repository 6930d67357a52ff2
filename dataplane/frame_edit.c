/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "frame_edit.h"
#include "inet_csum.h"

/* The frame as segments of old bytes: segment k is [src, src + len), and
 * lands at dst; edit k's insert lands right after segment k. */
struct segment {
	uint32_t src, len;
	int32_t dst; /* relative to the old frame start */
};

/* The segments when the new frame starts at new_start (relative to old). */
static void plan(const struct slb_frame *f, const struct slb_edits *ed, int32_t new_start,
		 struct segment *seg)
{
	int32_t at = new_start;
	uint32_t src = 0;

	for (unsigned k = 0; k <= ed->n; k++) {
		uint32_t end = k < ed->n ? ed->e[k].off : f->len;

		seg[k] = (struct segment){ src, end - src, at };
		at += end - src;
		if (k < ed->n) {
			at += ed->e[k].ins_len;
			src = end + ed->e[k].del;
		}
	}
}

/* The head side moves fewer bytes than the tail side: there, segment k
 * moves by the growth of the edits at and after it, here by that of the
 * edits before it. */
static bool head_moves_less(const struct slb_frame *f, const struct slb_edits *ed)
{
	uint32_t src = 0, head = 0, tail = 0;
	int32_t before = 0;

	for (unsigned k = 0; k <= ed->n; k++) {
		uint32_t end = k < ed->n ? ed->e[k].off : f->len;

		head += before != ed->growth ? end - src : 0;
		tail += before ? end - src : 0;
		if (k < ed->n) {
			before += ed->e[k].ins_len - (int32_t)ed->e[k].del;
			src = end + ed->e[k].del;
		}
	}
	return head <= tail;
}

static void move_segments(uint8_t *base, const struct segment *seg, unsigned n)
{
	/* Left-movers left to right, then right-movers right to left: the
	 * segments keep their order, so no move overwrites a source not yet
	 * moved. */
	for (unsigned k = 0; k < n; k++)
		if (seg[k].dst < (int32_t)seg[k].src && seg[k].len)
			memmove(base + seg[k].dst, base + seg[k].src, seg[k].len);
	for (unsigned k = n; k-- > 0;)
		if (seg[k].dst > (int32_t)seg[k].src && seg[k].len)
			memmove(base + seg[k].dst, base + seg[k].src, seg[k].len);
}

/* Edits in order that do not overlap (else a caller bug) and lie within
 * [from, f->len). */
static bool edits_fit(const struct slb_frame *f, const struct slb_edits *ed, uint32_t from)
{
	for (unsigned k = 0; k < ed->n; k++) {
		if (k ? ed->e[k].off < ed->e[k - 1].off + ed->e[k - 1].del : ed->e[k].off < from)
			return false;
		if (ed->e[k].off + ed->e[k].del > f->len)
			return false;
	}
	for (unsigned i = 0; i < ed->n_over; i++) {
		const struct slb_edit *o = &ed->over[i];

		if (o->off < from || o->off + o->del > f->len)
			return false;
		for (unsigned k = 0; k < ed->n; k++) /* an insert at o->off comes before it */
			if (ed->e[k].off < o->off + o->del && ed->e[k].off + ed->e[k].del > o->off)
				return false;
		for (unsigned j = 0; j < i; j++)
			if (ed->over[j].off < o->off + o->del && ed->over[j].off + ed->over[j].del > o->off)
				return false;
	}
	return true;
}

/* Where overwrite o's bytes are once the other edits are done, from the
 * new frame's start: moved by the growth of the edits before it. */
static uint32_t overwrite_at(const struct slb_edits *ed, const struct slb_edit *o)
{
	int32_t shift = 0;

	for (unsigned k = 0; k < ed->n && ed->e[k].off <= o->off; k++)
		shift += ed->e[k].ins_len - (int32_t)ed->e[k].del;
	return (uint32_t)((int32_t)o->off + shift);
}

/* The folded sum of a few bytes counted from an even offset (inline: an
 * overwrite is a handful of bytes). */
static uint16_t small_sum(const uint8_t *b, uint32_t n)
{
	uint64_t sum = 0;
	uint32_t i = 0;

	for (; i + 1 < n; i += 2) {
		uint16_t w;

		memcpy(&w, b + i, 2);
		sum += w;
	}
	if (i < n) {
		uint16_t w = 0;

		memcpy(&w, b + i, 1);
		sum += w;
	}
	return slb_csum_fold(sum);
}

/* Writes the overwrites where their bytes landed; with sum (the folded sum
 * of [from, f->len) before they are written), updates it: their old bytes
 * out, the new ones in, each counted where it lies. */
static void write_overwrites(struct slb_frame *f, const struct slb_edits *ed, uint32_t from,
			     uint16_t *sum)
{
	for (unsigned i = 0; i < ed->n_over; i++) {
		const struct slb_edit *o = &ed->over[i];
		uint32_t at = overwrite_at(ed, o);
		uint8_t *b = f->data + at;

		if (sum)
			*sum = slb_csum_fold(
				(uint64_t)*sum + slb_csum_neg(slb_csum_at(small_sum(b, o->del), at - from)) +
				slb_csum_at(small_sum(o->ins, o->ins_len), at - from));
		for (uint32_t j = 0; j < o->ins_len; j++) /* a few bytes: no call */
			b[j] = o->ins[j];
	}
}

/* The edits but the overwrites: segments moved, inserts written. False,
 * with f unchanged, when the frame lacks the room. */
static bool apply_moves(struct slb_frame *f, const struct slb_edits *ed)
{
	struct segment seg[SLB_MAX_EDITS + 1];
	int32_t delta = ed->growth;
	bool head_fits = delta <= (int32_t)f->headroom;
	bool tail_fits = delta <= (int32_t)f->tailroom;

	if (!head_fits && !tail_fits)
		return false;
	/* Either the start moves by -delta (head side) or the end by +delta. */
	bool use_head = head_fits && (!tail_fits || head_moves_less(f, ed));

	plan(f, ed, use_head ? -delta : 0, seg);
	move_segments(f->data, seg, ed->n + 1);
	for (unsigned k = 0; k < ed->n; k++)
		if (ed->e[k].ins_len) /* deletions have no bytes */
			memcpy(f->data + seg[k].dst + seg[k].len, ed->e[k].ins, ed->e[k].ins_len);
	if (use_head) {
		f->data -= delta;
		f->headroom = (uint32_t)((int32_t)f->headroom - delta);
	} else {
		f->tailroom = (uint32_t)((int32_t)f->tailroom - delta);
	}
	f->len = (uint32_t)((int32_t)f->len + delta);
	return true;
}

bool slb_edit_apply(struct slb_frame *f, struct slb_edits *ed)
{
	if (!edits_fit(f, ed, 0) || !apply_moves(f, ed))
		return false;
	write_overwrites(f, ed, 0, NULL);
	return true;
}

/* The longest run of bytes at or after from that the edits leave whole,
 * and how far the edits before it move it. */
struct run {
	uint32_t off, len;
	int32_t shift;
};

static struct run longest_run(const struct slb_frame *f, const struct slb_edits *ed,
			      uint32_t from)
{
	struct run best = { from, 0, 0 };
	uint32_t start = from;
	int32_t shift = 0;

	for (unsigned k = 0; k <= ed->n; k++) {
		uint32_t end = k < ed->n ? ed->e[k].off : f->len;

		if (end - start > best.len)
			best = (struct run){ start, end - start, shift };
		if (k < ed->n) {
			start = end + ed->e[k].del;
			shift += ed->e[k].ins_len - (int32_t)ed->e[k].del;
		}
	}
	return best;
}

/* The folded sum of f's bytes [from, f->len) but the len at off, counted
 * from from. */
static uint16_t sum_around(const struct slb_frame *f, uint32_t from, uint32_t off, uint32_t len)
{
	uint32_t end = off + len;

	return slb_csum_fold((uint64_t)slb_csum_span(f->data + from, off - from, 0) +
			     slb_csum_span(f->data + end, f->len - end, end - from));
}

/* Every edit adds or removes an even number of bytes: then no byte moves
 * by an odd count. */
static bool moves_even(const struct slb_edits *ed)
{
	unsigned odd = 0;

	for (unsigned k = 0; k < ed->n; k++)
		odd |= ed->e[k].ins_len ^ ed->e[k].del;
	return !(odd & 1);
}

/* The sum after edits that move nothing by an odd count: every byte that
 * stays keeps its half of a word, so the sum changes by the inserted bytes
 * less the deleted ones, each counted where it lies (RFC 1624); nothing
 * else is read. */
static uint16_t even_moves_sum(const struct slb_frame *f, const struct slb_edits *ed,
			       uint32_t from, uint16_t sum)
{
	uint64_t added = 0, gone = 0;

	for (unsigned k = 0; k < ed->n; k++) {
		const struct slb_edit *e = &ed->e[k];

		if (e->ins_len)
			added += slb_csum_span(e->ins, e->ins_len, e->off - from);
		if (e->del)
			gone += slb_csum_span(f->data + e->off, e->del, e->off - from);
	}
	return slb_csum_fold((uint64_t)sum + slb_csum_fold(added) +
			     slb_csum_neg(slb_csum_fold(gone)));
}

bool slb_edit_apply_summed(struct slb_frame *f, struct slb_edits *ed, uint32_t from,
			   uint16_t *sum)
{
	uint16_t after;

	if (!edits_fit(f, ed, from))
		return false;
	if (moves_even(ed)) {
		after = even_moves_sum(f, ed, from, *sum);
		if (!apply_moves(f, ed))
			return false;
	} else {
		struct run r = longest_run(f, ed, from);
		uint16_t run_sum = slb_csum_fold(*sum + slb_csum_neg(sum_around(f, from, r.off,
										  r.len)));

		if (!apply_moves(f, ed))
			return false;
		after = slb_csum_fold(sum_around(f, from, (uint32_t)(r.off + r.shift), r.len) +
				      (uint64_t)slb_csum_at(run_sum, (uint32_t)r.shift));
	}
	write_overwrites(f, ed, from, &after); /* their old bytes are in both sums */
	*sum = after;
	return true;
}
