/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the operator changed at run time (siplbctl backend add, remove,
 * set, drain, disable), kept as overrides of the configuration file by
 * (pool, address, port) and in a state file beside it, so that a reload
 * and a restart apply them again over the file (docs/siplbd.md, "Runtime
 * state"). The model (siplbd_model.c) owns one and asks it; this module
 * only knows the overrides, the file's backend lists they are measured
 * against, and the state file.
 */
#ifndef SIPLB_SIPLBD_STATE_H
#define SIPLB_SIPLBD_STATE_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "siplb/addr.h"
#include "siplb/config.h"

/* The operator's say over a backend (backend.drain, .disable, .enable). */
enum siplbd_admin {
	SIPLBD_ENABLED = 0,
	SIPLBD_DRAINING,   /* no new calls; in-dialog requests still reach it */
	SIPLBD_DISABLED,   /* no traffic at all */
};

const char *siplbd_admin_name(enum siplbd_admin a);

/* What run time did to a static pool's list, against the file's. */
enum siplbd_change {
	SIPLBD_UNCHANGED = 0,
	SIPLBD_ADDED,      /* not in the file: weight and priority */
	SIPLBD_SET,        /* in the file: weight and/or priority differ */
	SIPLBD_REMOVED,    /* in the file, removed */
};

struct siplbd_override {
	char pool[SLB_NAME_LEN];
	struct slb_addr a;               /* and port */
	enum siplbd_change change;
	bool has_weight, has_priority;
	uint16_t weight, priority;
	enum siplbd_admin admin;         /* ENABLED: none */
};

/* A static pool's backends as the file has them. */
struct siplbd_file_pool {
	char name[SLB_NAME_LEN];
	struct slb_config_backend *backends;
	uint32_t n;
};

/* A VIP's routing rules changed at run time (rule add, remove, move):
 * kept whole, each rule in the configuration's syntax with its origin. */
struct siplbd_vip_rules {
	char vip[SLB_NAME_LEN];
	char **rule, **origin;           /* n each */
	uint32_t n;
};

/* At most this many overrides (two per backend siplb holds), and bytes of
 * file (10,000 rules on every VIP would not fit: a state file is for
 * run-time changes, the configuration for many rules). */
#define SIPLBD_STATE_MAX (2 * SLB_MAX_BACKENDS)
#define SIPLBD_STATE_MAX_BYTES (16 * 1024 * 1024)
#define SIPLBD_STATE_RULE_LEN 4096       /* a rule's text, as rule.add takes it */

struct siplbd_state {
	char path[PATH_MAX];             /* "": kept in memory only */
	struct siplbd_override *o;
	uint32_t n;
	struct siplbd_file_pool *file;   /* the static pools of the file applied last */
	uint32_t n_file;
	struct siplbd_vip_rules *rules;  /* by VIP name */
	uint32_t n_rules;
};

/* The state file: state_file (the setting) if not "", else beside the
 * configuration file config, its extension (if any) replaced by ".state"
 * (/etc/siplb/siplb.conf: /etc/siplb/siplb.state). */
void siplbd_state_path(const char *config, const char *state_file, char *out, size_t len);

/*
 * The overrides of the state file at path into s (empty when there is no
 * such file). Everything is checked; a file that is not a regular file,
 * too large, not JSON, or with anything siplbd would not have written is
 * refused: -1 with "PATH: reason", and s is left empty.
 */
int siplbd_state_load(struct siplbd_state *s, const char *path, char *err, size_t errlen);

/* s into its file: a temporary file beside it, fsync'd, renamed over it
 * (a crash leaves the old or the new file, whole). 0, or -1 with err. */
int siplbd_state_save(const struct siplbd_state *s, char *err, size_t errlen);

/*
 * cfg, just read from a file, with the overrides of s applied into out
 * (out->file: cfg's static pools as read). An override the file makes
 * moot goes (an added backend the file now has with the same weight and
 * priority, a removed one the file no longer has, an override of a pool
 * the file no longer has or that is an SRV pool now): each is logged.
 * -1: out of memory (err), nothing changed.
 */
int siplbd_state_apply(const struct siplbd_state *s, struct slb_config *cfg,
		       struct siplbd_state *out, char *err, size_t errlen);

/* s as it is, with its list changes measured again on cfg (the running
 * configuration) and (pool, a)'s admin set to admin when pool is not
 * NULL, and VIP rules_vip's rules taken from cfg when it is >= 0, into
 * out. -1: out of memory. */
int siplbd_state_next(const struct siplbd_state *s, const struct slb_config *cfg,
		      const char *pool, const struct slb_addr *a, enum siplbd_admin admin,
		      int rules_vip, struct siplbd_state *out);

/* What the operator said of (pool, a): ENABLED when nothing. */
enum siplbd_admin siplbd_state_admin(const struct siplbd_state *s, const char *pool,
				     const struct slb_addr *a);

/* {"version": 1, "overrides": [{pool, backend, change?, weight?, priority?,
 * admin?}], "rules": [{vip, rules: [{rule, origin}]}]}: the state file's
 * content; with file_values, what the file has of a backend set or removed
 * (file_weight, file_priority). */
json_object *siplbd_state_json(const struct siplbd_state *s, bool file_values);

/* An empty state kept at s's path. */
void siplbd_state_empty(const struct siplbd_state *s, struct siplbd_state *out);

void siplbd_state_free(struct siplbd_state *s);

#endif
