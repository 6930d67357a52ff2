/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules the unit, differential and fuzz tests share: one VIP whose
 * rules use every field, operation and action (rules_fixture.c), loaded the
 * way siplb does: the configuration file, the compiler, the blob loaded.
 */
#ifndef SIPLB_TESTS_RULES_FIXTURE_H
#define SIPLB_TESTS_RULES_FIXTURE_H

#include "siplb/config.h"
#include "siplb/rules.h"

/* Rule indexes of the fixture, in its order. */
enum {
	R_SCANNER, R_EMERGENCY, R_REGISTRAR, R_TRUNK, R_TENANT, R_REG_RATE, R_PREMIUM,
	R_EVIL_FROM, R_BERLIN, R_SERVICE, R_TENANT_USER, R_ALLOW_TO, R_SUBJECT, R_V6_DROP,
	R_FOOBAR,
	R_COUNT
};

struct rules_fixture {
	struct slb_config config;  /* vips[0].rules: the fixture's rules */
	struct slb_rules_db *db;
};

/* Exits the test on failure (a fixture that does not load is a bug). */
void rules_fixture_load(struct rules_fixture *f);
void rules_fixture_free(struct rules_fixture *f);

/* A config file with text in a fresh temporary file: its path (static). */
const char *rules_fixture_file(const char *text);

#endif
