/* SPDX-License-Identifier: BSD-3-Clause */
#include "wheel.h"

#include <stdlib.h>

int wheel_init(struct wheel *w, uint32_t n, uint64_t now_tick)
{
	w->link = calloc(n, sizeof(*w->link));
	if (!w->link)
		return -1;
	for (uint32_t i = 0; i < WHEEL_SLOTS; i++)
		w->head[i] = WHEEL_NONE;
	for (uint32_t i = 0; i < n; i++)
		w->link[i].tick = UINT64_MAX;
	w->cur = now_tick;
	return 0;
}

void wheel_free(struct wheel *w)
{
	free(w->link);
	w->link = NULL;
}

void wheel_cancel(struct wheel *w, uint32_t i)
{
	struct wheel_link *l = &w->link[i];

	if (l->tick == UINT64_MAX)
		return;
	if (l->prev != WHEEL_NONE)
		w->link[l->prev].next = l->next;
	else
		w->head[l->tick % WHEEL_SLOTS] = l->next;
	if (l->next != WHEEL_NONE)
		w->link[l->next].prev = l->prev;
	l->tick = UINT64_MAX;
}

void wheel_arm(struct wheel *w, uint32_t i, uint64_t tick)
{
	struct wheel_link *l = &w->link[i];

	wheel_cancel(w, i);
	if (tick < w->cur)
		tick = w->cur;
	uint32_t slot = (uint32_t)(tick % WHEEL_SLOTS);

	l->tick = tick;
	l->prev = WHEEL_NONE;
	l->next = w->head[slot];
	if (l->next != WHEEL_NONE)
		w->link[l->next].prev = i;
	w->head[slot] = i;
}

/* The entries of one slot that are due; later laps stay. */
static void expire_slot(struct wheel *w, uint32_t slot, uint64_t now_tick,
			void (*fire)(void *ctx, uint32_t i), void *ctx)
{
	uint32_t i = w->head[slot];

	while (i != WHEEL_NONE) {
		uint32_t next = w->link[i].next;

		if (w->link[i].tick <= now_tick) {
			wheel_cancel(w, i);
			fire(ctx, i);
		}
		i = next;
	}
}

void wheel_expire(struct wheel *w, uint64_t now_tick, void (*fire)(void *ctx, uint32_t i),
		  void *ctx)
{
	if (now_tick < w->cur)
		return;
	uint64_t from = w->cur, n = now_tick - from + 1;

	if (n > WHEEL_SLOTS)
		n = WHEEL_SLOTS;
	w->cur = now_tick + 1; /* what fire arms for now goes to the next round */
	for (uint64_t t = 0; t < n; t++)
		expire_slot(w, (uint32_t)((from + t) % WHEEL_SLOTS), now_tick, fire, ctx);
}
