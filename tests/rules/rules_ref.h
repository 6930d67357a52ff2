/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tests' reference matcher: the rules as the configuration gives them,
 * evaluated one by one in plain C (memcmp, POSIX extended regex) on the
 * same located fields, to check the Hyperscan matcher against. Its regexes
 * must be in the subset PCRE and POSIX ERE read alike.
 */
#ifndef SIPLB_TESTS_RULES_REF_H
#define SIPLB_TESTS_RULES_REF_H

#include "siplb/rules.h"

struct rules_ref;

struct rules_ref *rules_ref_create(const struct slb_rules *r);
void rules_ref_free(struct rules_ref *ref);

/* The first rule >= from that matches the request (-1: none). */
int32_t rules_ref_next(const struct rules_ref *ref, const uint8_t *buf,
		       const struct slb_sip_msg *msg, const struct slb_addr *src, uint32_t from);

#endif
