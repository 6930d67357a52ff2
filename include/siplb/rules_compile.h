/* SPDX-License-Identifier: BSD-3-Clause */
/* The rules' compiler, siplbd's side of include/siplb/rules.h. */
#ifndef SIPLB_RULES_COMPILE_H
#define SIPLB_RULES_COMPILE_H

#include <stddef.h>

#include "siplb/config.h"
#include "siplb/rules.h"
#include "siplb/state.h"

/*
 * A VIP's rules into a blob (struct slb_rules_blob, malloc'd, *len bytes)
 * that slb_rules_db_load takes; NULL with "FILE:LINE: reason" (the rule's
 * origin) in err.
 */
void *slb_rules_compile(const struct slb_rules *r, size_t *len, char *err, size_t errlen);

/* What a generation's rules are built from (control/rules/rules_publish.c). */
struct slb_rules_image_in {
	const struct slb_config *cfg;      /* the VIPs' rules */
	const struct slb_state *active;    /* the generation being replaced */
	const uint8_t *active_slot;        /* its slot of the rules map */
	uint32_t capacity;                 /* bytes per slot (control.rules_capacity) */
	uint32_t counters;                 /* counters per lcore (control.rule_counters) */
};

/* The bytes of a rules map slot: its first len bytes (malloc'd). */
struct slb_rules_image {
	uint8_t *bytes;
	size_t len;
};

/*
 * Every VIP's rules compiled (a blob is reused while its rules stay the
 * same) and laid out one after another at 8-byte offsets: next->rules[]
 * says where, next->generation being set. A VIP whose blob has the same
 * bytes as in the active generation keeps its `changed`. -1 with the
 * reason ("FILE:LINE: ..." of a rule, or what does not fit in rule_maps).
 */
int slb_rules_image_build(const struct slb_rules_image_in *in, struct slb_state *next,
			  struct slb_rules_image *out, char *err, size_t errlen);

#endif
