/* SPDX-License-Identifier: BSD-3-Clause */
/* The rules' compiler, siplbd's side of include/siplb/rules.h. */
#ifndef SIPLB_RULES_COMPILE_H
#define SIPLB_RULES_COMPILE_H

#include <stddef.h>

#include "siplb/rules.h"

/*
 * A VIP's rules into a blob (struct slb_rules_blob, malloc'd, *len bytes)
 * that slb_rules_db_load takes; NULL with "FILE:LINE: reason" (the rule's
 * origin) in err.
 */
void *slb_rules_compile(const struct slb_rules *r, size_t *len, char *err, size_t errlen);

#endif
