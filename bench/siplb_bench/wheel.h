/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A timer wheel of 1 ms ticks over 65.5 s: one timer per entry (a call
 * slot), arming and cancelling in O(1), no allocation after creation.
 * Deadlines further out wait in the last slot and are armed again.
 */
#ifndef SIPLB_BENCH_WHEEL_H
#define SIPLB_BENCH_WHEEL_H

#include <stdint.h>

#define WHEEL_SLOTS 65536u
#define WHEEL_NONE UINT32_MAX

struct wheel_link {
	uint32_t next, prev;
	uint64_t tick; /* UINT64_MAX: not armed */
};

struct wheel {
	uint32_t head[WHEEL_SLOTS];
	struct wheel_link *link; /* one per entry */
	uint64_t cur;            /* the first tick not yet expired */
};

/* Entries 0..n-1, none armed; -1 when out of memory. */
int wheel_init(struct wheel *w, uint32_t n, uint64_t now_tick);
void wheel_free(struct wheel *w);
/* Entry i fires at tick (moved if it was armed). */
void wheel_arm(struct wheel *w, uint32_t i, uint64_t tick);
void wheel_cancel(struct wheel *w, uint32_t i);
/* Calls fire(ctx, i) for each entry due at or before now_tick; fire may arm
 * i again. */
void wheel_expire(struct wheel *w, uint64_t now_tick, void (*fire)(void *ctx, uint32_t i),
		  void *ctx);

#endif
