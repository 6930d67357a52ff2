/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-place edits of a frame: a few insertions and deletions applied in one
 * pass. The bytes between edits shift; the bytes before the first edit
 * (headers included) or after the last one shift as a block, whichever side
 * moves fewer bytes and fits its room. Nothing is copied twice and the
 * message is never copied whole.
 */
#ifndef SIPLB_FRAME_EDIT_H
#define SIPLB_FRAME_EDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "siplb/proxy.h"

#define SLB_MAX_EDITS 6
/* Any edit may be an overwrite (rport, received and Max-Forwards are, on
 * a CANCEL that copies the Via of our 180): as many as edits. */
#define SLB_MAX_OVERWRITES SLB_MAX_EDITS

struct slb_edit {
	uint32_t off;        /* from the frame start, before any edit */
	uint32_t del;        /* bytes removed at off */
	const uint8_t *ins;  /* bytes inserted at off (not inside the frame) */
	uint16_t ins_len;
};

struct slb_edits {
	struct slb_edit e[SLB_MAX_EDITS];  /* in offset order */
	unsigned n;
	int32_t growth;      /* bytes the edits add (negative: remove) */
	/* edits that replace bytes by as many (Max-Forwards "70" -> "69"):
	 * they move nothing, so they split no run of moved bytes; written
	 * where their bytes land once the others are done */
	struct slb_edit over[SLB_MAX_OVERWRITES];
	unsigned n_over;
};

/* An empty list: only the counts are set (the arrays are read no further
 * than they say), not the whole struct zeroed per packet. */
static inline void slb_edits_init(struct slb_edits *ed)
{
	ed->n = 0;
	ed->growth = 0;
	ed->n_over = 0;
}

/* Adds an edit; false when the list is full. Edits may come in any order
 * but must not overlap; inserts at one offset keep their order, and come
 * before an overwrite at that offset. */
static inline bool slb_edit_add(struct slb_edits *ed, uint32_t off, uint32_t del,
				const void *ins, uint16_t ins_len)
{
	unsigned i;

	if (del && del == ins_len) {
		if (ed->n_over == SLB_MAX_OVERWRITES)
			return false;
		ed->over[ed->n_over++] = (struct slb_edit){ off, del, (const uint8_t *)ins, ins_len };
		return true;
	}
	if (ed->n == SLB_MAX_EDITS)
		return false;
	/* insertion sort by offset, stable for equal offsets */
	for (i = ed->n; i > 0 && ed->e[i - 1].off > off; i--)
		ed->e[i] = ed->e[i - 1];
	ed->e[i] = (struct slb_edit){ off, del, (const uint8_t *)ins, ins_len };
	ed->n++;
	ed->growth += ins_len - (int32_t)del;
	return true;
}

/* How many bytes the edits add to the frame (negative: remove). */
static inline int32_t slb_edit_growth(const struct slb_edits *ed)
{
	return ed->growth;
}

/* Applies the edits to f (data, len, headroom and tailroom updated).
 * False, with f unchanged, when the frame lacks the room. */
bool slb_edit_apply(struct slb_frame *f, struct slb_edits *ed);

/*
 * slb_edit_apply, and *sum, the folded one's complement sum (inet_csum.h)
 * of bytes [from, f->len) counted from from, updated (RFC 1624: for a UDP
 * checksum, edits at or after from). When every edit adds or removes an
 * even number of bytes (the proxy's usual case), it reads only the bytes
 * inserted and deleted; else only the bytes around the longest run the
 * edits leave whole, before and after: that run's sum is the old sum less
 * theirs (swapped if the edits move it by an odd count).
 */
bool slb_edit_apply_summed(struct slb_frame *f, struct slb_edits *ed, uint32_t from,
			   uint16_t *sum);

#endif
