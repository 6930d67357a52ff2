/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules per VIP (issue 11, docs/rules.md): in order, first match
 * wins; a message that matches none goes the VIP's default way (its pool,
 * hashed on the Call-ID), or is dropped on an allow-list VIP.
 *
 * Three sides share this header:
 *   - the configuration (dataplane/lib/rules_config.c): `rules = ( ... )` of
 *     a VIP into struct slb_rules, every pattern checked with Hyperscan's
 *     compiler so a bad regex fails with FILE:LINE;
 *   - the compiler (control/rules/rules_compile.c, siplbd): struct slb_rules
 *     into a blob (struct slb_rules_blob): the rules' actions and one
 *     serialized block-mode database per field;
 *   - the matcher (dataplane/lib/rules/rules_match.c, siplb-dp): the blob's
 *     databases deserialized once, one scratch per worker, scanning only the
 *     fields the scanner's spans locate.
 */
/*
 * Published (docs/rules.md, "Publishing"; include/siplb/state.h): siplbd
 * compiles every VIP's rules on each publish and writes the blobs into the
 * generation's slot of the `rules` map; slb_state.rules[v] gives VIP v's
 * blob (blob_off, blob_len), its number of rules, the generation its blob
 * last changed in, and the pools its rules send to.
 *
 * Hit counters (what `siplbctl stats` and siplb_rule_matches_total{vip,rule}
 * show): the `rule_stats` map, control.rule_counters __u64 per lcore:
 *
 *     lcore l, VIP v, rule i (0-based, the rule's position in the VIP's
 *     list):  rule_stats[l * rule_counters + rules[v].counter_base + i]
 *
 * with rules[v] of the active generation; sum over the lcores. A counter
 * counts the requests the rule matched (within its rate or over it; a
 * rate-only rule that lets the next rules decide counts too). The VIPs'
 * ranges are consecutive in VIP order. When a VIP's rules change (or its
 * range moves), each lcore zeroes its range when it takes the new
 * generation: a reset, as for a Prometheus counter; for a moment after a
 * flip a lcore may still count with the old positions.
 */
#ifndef SIPLB_RULES_H
#define SIPLB_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/addr.h"
#include "siplb/sip_scan.h"

#define SLB_RULES_MAX 10000        /* per VIP */
#define SLB_RULE_HEADER_LEN 48     /* a header name, with its NUL */
#define SLB_RULE_MAX_HEADERS 16    /* distinct header names per VIP */
#define SLB_RULE_REASON_LEN 48     /* reply reason phrase, with its NUL */
#define SLB_RULE_ORIGIN_LEN 96     /* "FILE:LINE" of a rule */

/* What a condition looks at. Headers by name come after the fixed fields:
 * field SLB_RULE_F_HEADER + k is the VIP's k-th distinct header name. */
enum slb_rule_field {
	SLB_RULE_F_METHOD = 0,
	SLB_RULE_F_RURI,           /* the whole Request-URI */
	SLB_RULE_F_RURI_USER,
	SLB_RULE_F_RURI_HOST,      /* case-insensitive */
	SLB_RULE_F_FROM_USER,
	SLB_RULE_F_FROM_HOST,      /* case-insensitive */
	SLB_RULE_F_TO_USER,
	SLB_RULE_F_TO_HOST,        /* case-insensitive */
	SLB_RULE_F_USER_AGENT,
	SLB_RULE_F_HEADER,         /* first of the named headers */
	SLB_RULE_MAX_FIELDS = SLB_RULE_F_HEADER + SLB_RULE_MAX_HEADERS
};

enum slb_rule_op {
	SLB_RULE_OP_NONE = 0,      /* no condition on this field */
	SLB_RULE_OP_EXACT,         /* the whole field */
	SLB_RULE_OP_PREFIX,
	SLB_RULE_OP_REGEX,         /* Hyperscan (PCRE) syntax, unanchored */
};

enum slb_rule_action {
	SLB_RULE_ACT_POOL = 0,     /* forward to pool (the VIP's by default) */
	SLB_RULE_ACT_DROP,         /* drop, counted */
	SLB_RULE_ACT_REPLY,        /* stateless response reply_code reason */
	SLB_RULE_ACT_ALLOW,        /* allow-list VIP: the default way */
	SLB_RULE_ACT_CONTINUE,     /* only a rate: within it, the next rules decide */
};

enum slb_rule_hash {
	SLB_RULE_HASH_CALL_ID = 0,
	SLB_RULE_HASH_FROM_USER,
	SLB_RULE_HASH_TO_USER,
	SLB_RULE_HASH_RURI_USER,
	SLB_RULE_HASH_HEADER,      /* the field hash_field (a named header) */
};

/*
 * What a rule does, and its conditions that need no Hyperscan (source,
 * port): the blob's record, also the configuration's (no pointers, fixed
 * size, the same in siplbd and siplb-dp).
 */
struct slb_rule_rec {
	uint8_t action;            /* enum slb_rule_action */
	uint8_t hash;              /* enum slb_rule_hash */
	uint8_t hash_field;        /* SLB_RULE_HASH_HEADER: its field */
	uint8_t n_hs;              /* conditions Hyperscan must match (fields) */
	uint32_t pool;             /* SLB_RULE_ACT_POOL: index into the pools */
	uint16_t reply_code;       /* SLB_RULE_ACT_REPLY: 300..699 */
	uint16_t src_port;         /* source port; 0: any */
	uint32_t rate, burst;      /* messages per second; rate 0: no limit */
	uint8_t rate_per_source;   /* 1: one bucket per source address, 0: per rule */
	uint8_t over_reply;        /* over the rate: 1 reply 503, 0 drop */
	uint8_t src_len;           /* source prefix length; src.family 0: any */
	uint8_t pad;
	uint32_t others;           /* blob: its conditions besides the anchor,
				    * n_hs - 1 of them from rule_conds[others] */
	struct slb_addr src;       /* source prefix, port 0, host bits zero */
	char reason[SLB_RULE_REASON_LEN];
};

/* One condition of a rule: the configuration's form. */
struct slb_rule_cond {
	uint8_t op;                /* enum slb_rule_op; NONE: no condition */
	char *value;               /* NUL-terminated, never empty */
};

struct slb_rule {
	struct slb_rule_cond cond[SLB_RULE_F_HEADER]; /* the fixed fields */
	char header[SLB_RULE_HEADER_LEN]; /* match.header's name; "" none */
	struct slb_rule_cond header_cond;
	char hash_header[SLB_RULE_HEADER_LEN]; /* hash = "header:NAME" */
	struct slb_rule_rec rec;
	char origin[SLB_RULE_ORIGIN_LEN]; /* "FILE:LINE", for later errors */
};

/* A VIP's rules, as the configuration gives them. */
struct slb_rules {
	struct slb_rule *rules;
	uint32_t n;
	bool allow_list;           /* some rule allows: the unmatched are dropped */
};

void slb_rules_free(struct slb_rules *r);

/* Field names as the configuration spells them ("ruri_user", ...). */
const char *slb_rule_field_name(enum slb_rule_field f);

/*
 * The Hyperscan expression and flags of one condition on field f: exact
 * and prefix as an escaped literal anchored at the start ("^lit$", "^lit"),
 * regex as written; single match, hosts caseless. *expr is malloc'd.
 */
int slb_rule_pattern(enum slb_rule_field f, const struct slb_rule_cond *c, char **expr,
		     unsigned *flags);

/* Compiles the condition alone: 0, or -1 with Hyperscan's reason in err. */
int slb_rule_pattern_check(enum slb_rule_field f, const struct slb_rule_cond *c, char *err,
			   size_t errlen);

/* ---- the blob: what siplbd publishes and siplb-dp loads ---- */

#define SLB_RULES_BLOB_MAGIC 0x534c4252u /* "SLBR" */
#define SLB_RULES_BLOB_VERSION 2u

/*
 * Conditions: every distinct (field, operation, value) of a VIP's rules is
 * one condition, one Hyperscan pattern (id = condition index), however many
 * rules share it: "method = INVITE" in 1000 rules fires once. Each rule
 * with Hyperscan conditions has one anchor, its condition that the fewest
 * rules share; only when an anchor fires are its rules' other conditions
 * looked up, so a common condition costs one callback, not one per rule.
 *
 * Layout, every part 8-byte aligned, offsets from the blob's start:
 *   struct slb_rules_blob
 *   struct slb_rule_rec [n_rules]
 *   struct slb_rules_blob_field [n_fields]
 *   struct slb_rules_blob_cond [n_conds]: the rules anchored on each
 *   uint32_t anchored [n_anchored]: rule indexes, ascending per condition
 *   uint32_t rule_conds [n_rule_conds]: condition indexes (rec.others)
 *   the serialized databases (hs_serialize_database), at db_off
 */
struct slb_rules_blob {
	uint32_t magic, version;
	uint32_t len;              /* the whole blob */
	uint32_t n_rules, n_fields;
	uint32_t n_conds, n_anchored, n_rule_conds;
	uint8_t allow_list;
	uint8_t pad[7];
};

struct slb_rules_blob_cond {
	uint32_t first, n;         /* anchored[first .. first + n) */
};

struct slb_rules_blob_field {
	uint8_t field;             /* enum slb_rule_field (+ header index) */
	uint8_t pad[3];
	char header[SLB_RULE_HEADER_LEN]; /* a named header's name, else "" */
	uint32_t db_off, db_len;   /* db_len 0: no database (hash key only) */
};

/* ---- the matcher (siplb-dp) ---- */

/* The fields of one message the rules look at: spans into its buffer. */
struct slb_rules_fields {
	struct slb_span f[SLB_RULE_MAX_FIELDS];
};

struct slb_rules_db;
struct slb_rules_scratch;

/* Checks and deserializes a blob (the blob may go away afterwards); NULL
 * with the reason in err. */
struct slb_rules_db *slb_rules_db_load(const void *blob, size_t len, char *err,
				       size_t errlen);
void slb_rules_db_free(struct slb_rules_db *db);
uint32_t slb_rules_db_count(const struct slb_rules_db *db);
bool slb_rules_db_allow_list(const struct slb_rules_db *db);
const struct slb_rule_rec *slb_rules_db_rule(const struct slb_rules_db *db, uint32_t i);

/* Per worker; valid for db and every database no larger (see update). */
struct slb_rules_scratch *slb_rules_scratch_create(const struct slb_rules_db *db);
/* Grows s for db (after a new generation): 0, or -1 (s unchanged). */
int slb_rules_scratch_update(struct slb_rules_scratch **s, const struct slb_rules_db *db);
void slb_rules_scratch_free(struct slb_rules_scratch *s);

/*
 * Locates the fields db's rules use in a scanned request (msg from
 * slb_sip_scan over buf) and runs the databases over them. Then
 * slb_rules_next gives the matching rules in order. The method condition
 * of a CANCEL or an ACK holds when it holds for its own method or for
 * "INVITE" (slb_rules_as_invite).
 */
/* A CANCEL, and an ACK (which siplb never answers), must reach the backend
 * of their INVITE (RFC 3261 9.1, 17.1.1.3): a method condition is also
 * tried on "INVITE" for them, so that the INVITE's rule takes them too. */
static inline bool slb_rules_as_invite(const struct slb_sip_msg *msg)
{
	return msg->method == SLB_SIP_METHOD_CANCEL || msg->method == SLB_SIP_METHOD_ACK;
}

int slb_rules_scan(const struct slb_rules_db *db, struct slb_rules_scratch *s,
		   const uint8_t *buf, const struct slb_sip_msg *msg,
		   const struct slb_addr *src);

/* The first rule >= from that the last scan matched; -1 when none. */
int32_t slb_rules_next(const struct slb_rules_db *db, struct slb_rules_scratch *s,
		       uint32_t from);

/* The span rule i hashes on in the last scanned message (Call-ID: msg's). */
struct slb_span slb_rules_hash_key(const struct slb_rules_db *db,
				   const struct slb_rules_scratch *s, const struct slb_sip_msg *msg,
				   uint32_t i);

/*
 * The fields the matcher reads (rules_fields.c), also for the tests'
 * reference matcher: the bits of `need` (1u << field) are located; a named
 * header k is headers[k]. Fields not found have length 0.
 */
void slb_rules_fields_locate(const uint8_t *buf, const struct slb_sip_msg *msg, uint32_t need,
			     const char (*headers)[SLB_RULE_HEADER_LEN], uint32_t n_headers,
			     struct slb_rules_fields *out);

/* src inside the prefix (family, len) of rec. */
bool slb_rule_source_matches(const struct slb_rule_rec *rec, const struct slb_addr *src);

#endif
