/* SPDX-License-Identifier: BSD-3-Clause */
/* A VIP's `rules = ( ... )` (docs/rules.md), for config.c. */
#ifndef SIPLB_RULES_CONFIG_H
#define SIPLB_RULES_CONFIG_H

#include <libconfig.h>
#include <stddef.h>

#include "siplb/config.h"
#include "siplb/rules.h"
#include "config_text.h"

/*
 * The list setting `list` (NULL: no rules) into *out, pool names resolved
 * in c->pools; rules without "pool NAME" keep vip_pool; text NULL: their
 * origin is "runtime" (rules_text.c), else FILE:LINE. On error returns -1, leaves *out empty, and sets *bad to the
 * offending setting and why to the reason (config.c adds FILE:LINE and the
 * setting's path).
 */
int slb_rules_config_parse(const config_setting_t *list, const struct slb_config *c,
			   const struct slb_config_text *text, uint32_t vip_pool,
			   struct slb_rules *out,
			   const config_setting_t **bad, char *why, size_t len);

#endif
