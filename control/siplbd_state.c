/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator's run-time changes as overrides of the file, and the state
 * file that keeps them (siplbd_state.h). The file is JSON that siplbd
 * writes and reads back; reading it trusts nothing: size, type, every
 * member and value are checked, and a file with anything else is refused
 * whole.
 */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "siplb/log.h"
#include "siplb/rpc.h"
#include "siplb/rules.h"
#include "siplb/rules_text.h"
#include "siplbd_state.h"

#define STATE_VERSION 1

static const char *const admin_names[] = {"enabled", "draining", "disabled"};
static const char *const change_names[] = {"unchanged", "added", "set", "removed"};

const char *siplbd_admin_name(enum siplbd_admin a)
{
	return a <= SIPLBD_DISABLED ? admin_names[a] : "?";
}

void siplbd_state_path(const char *config, const char *state_file, char *out, size_t len)
{
	const char *slash = strrchr(config, '/'), *dot = strrchr(config, '.');
	size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - config) : strlen(config);

	if (state_file[0])
		snprintf(out, len, "%s", state_file);
	else
		snprintf(out, len, "%.*s.state", (int)stem, config);
}

static void free_rules(struct siplbd_vip_rules *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		free(r->rule ? r->rule[i] : NULL);
		free(r->origin ? r->origin[i] : NULL);
	}
	free(r->rule);
	free(r->origin);
	*r = (struct siplbd_vip_rules){0};
}

void siplbd_state_free(struct siplbd_state *s)
{
	for (uint32_t p = 0; p < s->n_file; p++)
		free(s->file[p].backends);
	for (uint32_t v = 0; v < s->n_rules; v++)
		free_rules(&s->rules[v]);
	free(s->file);
	free(s->o);
	free(s->rules);
	s->file = NULL;
	s->o = NULL;
	s->rules = NULL;
	s->n = s->n_file = s->n_rules = 0;
}

void siplbd_state_empty(const struct siplbd_state *s, struct siplbd_state *out)
{
	*out = (struct siplbd_state){0};
	memcpy(out->path, s->path, sizeof(out->path));
}

static bool same(const struct siplbd_override *o, const char *pool, const struct slb_addr *a)
{
	return !slb_addr_cmp(&o->a, a) && !strncmp(o->pool, pool, SLB_NAME_LEN);
}

static struct siplbd_override *find(const struct siplbd_state *s, const char *pool,
				    const struct slb_addr *a)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (same(&s->o[i], pool, a))
			return &s->o[i];
	return NULL;
}

enum siplbd_admin siplbd_state_admin(const struct siplbd_state *s, const char *pool,
				     const struct slb_addr *a)
{
	const struct siplbd_override *o = find(s, pool, a);

	return o ? o->admin : SIPLBD_ENABLED;
}

/* ---- the file's lists ----------------------------------------------------------- */

static const struct siplbd_file_pool *file_pool(const struct siplbd_state *s, const char *name)
{
	for (uint32_t p = 0; p < s->n_file; p++)
		if (!strncmp(s->file[p].name, name, SLB_NAME_LEN))
			return &s->file[p];
	return NULL;
}

static const struct slb_config_backend *in_list(const struct slb_config_backend *list,
						uint32_t n, const struct slb_addr *a)
{
	for (uint32_t j = 0; j < n; j++)
		if (!slb_addr_cmp(&list[j].a, a))
			return &list[j];
	return NULL;
}

/* s's file pools into out (empty). */
static int copy_state_file_pools(const struct siplbd_state *s, struct siplbd_state *out)
{
	out->file = calloc(s->n_file + 1, sizeof(*out->file));
	if (!out->file)
		return -1;
	for (; out->n_file < s->n_file; out->n_file++) {
		struct siplbd_file_pool *fp = &out->file[out->n_file];

		*fp = s->file[out->n_file];
		fp->backends = calloc(fp->n + 1, sizeof(*fp->backends));
		if (!fp->backends)
			return -1;
		if (fp->n)
			memcpy(fp->backends, s->file[out->n_file].backends,
			       fp->n * sizeof(*fp->backends));
	}
	return 0;
}

/* cfg's static pools, as read, into out (empty). */
static int copy_file_pools(const struct slb_config *cfg, struct siplbd_state *out)
{
	out->file = calloc(cfg->n_pools + 1, sizeof(*out->file));
	if (!out->file)
		return -1;
	for (uint32_t p = 0; p < cfg->n_pools; p++) {
		const struct slb_config_pool *cp = &cfg->pools[p];
		struct siplbd_file_pool *fp = &out->file[out->n_file];

		if (cp->srv.name[0])
			continue;
		fp->backends = calloc(cp->n_backends + 1, sizeof(*fp->backends));
		if (!fp->backends)
			return -1;
		memcpy(fp->name, cp->name, SLB_NAME_LEN);
		if (cp->n_backends) /* an empty pool's list may be NULL */
			memcpy(fp->backends, cp->backends, cp->n_backends * sizeof(*fp->backends));
		fp->n = cp->n_backends;
		out->n_file++;
	}
	return 0;
}

/* ---- measuring a running list against the file's --------------------------------- */

static int push(struct siplbd_state *s, const struct siplbd_override *o)
{
	struct siplbd_override *more;

	if (s->n >= SIPLBD_STATE_MAX)
		return -1;
	more = realloc(s->o, (s->n + 1) * sizeof(*s->o));
	if (!more)
		return -1;
	s->o = more;
	s->o[s->n++] = *o;
	return 0;
}

/* be of pool as it runs, against fb as the file has it (NULL: not there). */
static struct siplbd_override measured(const char *pool, const struct slb_config_backend *be,
				       const struct slb_config_backend *fb)
{
	struct siplbd_override o = {.a = be->a, .weight = be->weight, .priority = be->priority};

	memcpy(o.pool, pool, SLB_NAME_LEN);
	o.has_weight = !fb || fb->weight != be->weight;
	o.has_priority = !fb || fb->priority != be->priority;
	o.change = !fb ? SIPLBD_ADDED : o.has_weight || o.has_priority ? SIPLBD_SET
								       : SIPLBD_UNCHANGED;
	return o;
}

/* Static pool cp's list changes (running) against fp (the file's) into out. */
static int measure_pool(const struct slb_config_pool *cp, const struct siplbd_file_pool *fp,
			struct siplbd_state *out)
{
	for (uint32_t j = 0; j < cp->n_backends; j++) {
		struct siplbd_override o = measured(cp->name, &cp->backends[j],
						    in_list(fp->backends, fp->n, &cp->backends[j].a));

		if (o.change && push(out, &o))
			return -1;
	}
	for (uint32_t j = 0; j < fp->n; j++) {
		struct siplbd_override o = {.a = fp->backends[j].a, .change = SIPLBD_REMOVED};

		memcpy(o.pool, cp->name, SLB_NAME_LEN);
		if (!in_list(cp->backends, cp->n_backends, &o.a) && push(out, &o))
			return -1;
	}
	return 0;
}

/* Whether admin overrides of (pool, a) stay: SRV pools keep them for the
 * answers to come; a static pool while it has the backend. */
static bool admin_stays(const struct slb_config *cfg, const struct siplbd_override *o)
{
	for (uint32_t p = 0; p < cfg->n_pools; p++) {
		const struct slb_config_pool *cp = &cfg->pools[p];

		if (strncmp(cp->name, o->pool, SLB_NAME_LEN))
			continue;
		return cp->srv.name[0] || in_list(cp->backends, cp->n_backends, &o->a);
	}
	return false;
}

/* The admin overrides of s that stay with cfg, onto out's list changes. */
static int merge_admin(const struct siplbd_state *s, const struct slb_config *cfg,
		       struct siplbd_state *out)
{
	for (uint32_t i = 0; i < s->n; i++) {
		struct siplbd_override *o = find(out, s->o[i].pool, &s->o[i].a);
		struct siplbd_override only = {.a = s->o[i].a, .admin = s->o[i].admin};

		if (!s->o[i].admin || !admin_stays(cfg, &s->o[i]))
			continue;
		if (o) {
			o->admin = s->o[i].admin;
			continue;
		}
		memcpy(only.pool, s->o[i].pool, SLB_NAME_LEN);
		if (push(out, &only))
			return -1;
	}
	return 0;
}

/* Sets (pool, a)'s admin in s: an entry made, changed, or gone when empty. */
static int set_admin(struct siplbd_state *s, const char *pool, const struct slb_addr *a,
		     enum siplbd_admin admin)
{
	struct siplbd_override *o = find(s, pool, a), fresh = {.a = *a, .admin = admin};

	if (!o) {
		memcpy(fresh.pool, pool, SLB_NAME_LEN);
		return admin ? push(s, &fresh) : 0;
	}
	o->admin = admin;
	if (!o->admin && !o->change)
		*o = s->o[--s->n];
	return 0;
}

/* ---- a VIP's rules ------------------------------------------------------------------ */

/* r (its arrays of n, allocated) into s, taken over; -1 (r freed) when full. */
static int push_rules(struct siplbd_state *s, struct siplbd_vip_rules *r)
{
	struct siplbd_vip_rules *more = s->n_rules < SLB_MAX_VIPS ?
					realloc(s->rules, (s->n_rules + 1) * sizeof(*s->rules)) : NULL;

	if (!more) {
		free_rules(r);
		return -1;
	}
	s->rules = more;
	s->rules[s->n_rules++] = *r;
	return 0;
}

static int alloc_rules(struct siplbd_vip_rules *r, const char *vip, uint32_t n)
{
	*r = (struct siplbd_vip_rules){.n = n};
	snprintf(r->vip, sizeof(r->vip), "%s", vip);
	r->rule = calloc(n + 1, sizeof(*r->rule));
	r->origin = calloc(n + 1, sizeof(*r->origin));
	return r->rule && r->origin ? 0 : -1;
}

static int copy_rules(const struct siplbd_vip_rules *from, struct siplbd_state *out)
{
	struct siplbd_vip_rules r;
	int rc = alloc_rules(&r, from->vip, from->n);

	for (uint32_t i = 0; !rc && i < r.n; i++) {
		r.rule[i] = strdup(from->rule[i]);
		r.origin[i] = strdup(from->origin[i]);
		rc = r.rule[i] && r.origin[i] ? 0 : -1;
	}
	if (rc) {
		free_rules(&r);
		return -1;
	}
	return push_rules(out, &r);
}

/* VIP v of cfg's rules as text into out. */
static int rules_of(const struct slb_config *cfg, uint32_t v, struct siplbd_state *out)
{
	const struct slb_rules *rules = &cfg->vips[v].rules;
	struct siplbd_vip_rules r;
	int rc = alloc_rules(&r, cfg->vips[v].name, rules->n);

	for (uint32_t i = 0; !rc && i < r.n; i++) {
		struct slb_rule_text t;

		rc = slb_rule_format(&rules->rules[i], cfg, &t);
		r.rule[i] = rc ? NULL : t.rule;
		t.rule = NULL;
		slb_rule_text_free(&t);
		r.origin[i] = strdup(rules->rules[i].origin);
		rc |= r.rule[i] && r.origin[i] ? 0 : -1;
	}
	if (rc) {
		free_rules(&r);
		return -1;
	}
	return push_rules(out, &r);
}

/* r parsed against cfg into VIP v's rules (the file's freed): 0, or -1
 * with the reason (cfg as it was). */
static int parse_rules(const struct siplbd_vip_rules *r, struct slb_config *cfg, uint32_t v,
		       char *why, size_t len)
{
	struct slb_rules rules = {.rules = calloc(r->n + 1, sizeof(*rules.rules))};

	for (; rules.rules && rules.n < r->n; rules.n++) {
		struct slb_rule *rule = &rules.rules[rules.n];

		if (slb_rule_parse_text(r->rule[rules.n], cfg, cfg->vips[v].pool, rule, why, len)) {
			slb_rules_free(&rules);
			return -1;
		}
		snprintf(rule->origin, sizeof(rule->origin), "%s", r->origin[rules.n]);
		rules.allow_list |= rule->rec.action == SLB_RULE_ACT_ALLOW;
	}
	if (!rules.rules)
		return snprintf(why, len, "out of memory"), -1;
	slb_rules_free(&cfg->vips[v].rules);
	cfg->vips[v].rules = rules;
	return 0;
}

/* s's rules onto cfg (a file just read), those that still fit into out. */
static int apply_rules(const struct siplbd_state *s, struct slb_config *cfg,
		       struct siplbd_state *out)
{
	char why[512];

	for (uint32_t i = 0; i < s->n_rules; i++) {
		const struct siplbd_vip_rules *r = &s->rules[i];
		int v = slb_config_vip_index(cfg, r->vip);

		if (v < 0 || parse_rules(r, cfg, (uint32_t)v, why, sizeof(why))) {
			slb_log(SLB_LOG_WARNING, "state: rules dropped: vip=%s reason=\"%s\"", r->vip,
				v < 0 ? "the file has no VIP of that name" : why);
			continue;
		}
		if (copy_rules(r, out))
			return -1;
	}
	return 0;
}

int siplbd_state_next(const struct siplbd_state *s, const struct slb_config *cfg,
		      const char *pool, const struct slb_addr *a, enum siplbd_admin admin,
		      int rules_vip, struct siplbd_state *out)
{
	siplbd_state_empty(s, out);
	if (copy_state_file_pools(s, out))
		goto fail;
	for (uint32_t i = 0; i < s->n_rules; i++)
		if ((rules_vip < 0 || strncmp(s->rules[i].vip, cfg->vips[rules_vip].name,
					      SLB_NAME_LEN)) && copy_rules(&s->rules[i], out))
			goto fail;
	if (rules_vip >= 0 && rules_of(cfg, (uint32_t)rules_vip, out))
		goto fail;
	for (uint32_t p = 0; p < cfg->n_pools; p++) {
		const struct siplbd_file_pool *fp = file_pool(s, cfg->pools[p].name);

		if (fp && !cfg->pools[p].srv.name[0] && measure_pool(&cfg->pools[p], fp, out))
			goto fail;
	}
	if (merge_admin(s, cfg, out) || (pool && set_admin(out, pool, a, admin)))
		goto fail;
	return 0;
fail:
	siplbd_state_free(out);
	return -1;
}

/* ---- applying the overrides to a file just read ------------------------------------ */

__attribute__((format(printf, 2, 3)))
static void dropped(const struct siplbd_override *o, const char *fmt, ...)
{
	char e[SLB_ADDR_TEXT_LEN], why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	slb_log(SLB_LOG_WARNING, "state: override dropped: pool=%s backend=%s change=%s "
		"reason=\"%s\"", o->pool, slb_addr_format(&o->a, SLB_ADDR_ENDPOINT, e, sizeof(e)),
		change_names[o->change], why);
}

static struct slb_config_pool *static_pool(struct slb_config *cfg, const char *name)
{
	for (uint32_t p = 0; p < cfg->n_pools; p++)
		if (!strncmp(cfg->pools[p].name, name, SLB_NAME_LEN))
			return cfg->pools[p].srv.name[0] ? NULL : &cfg->pools[p];
	return NULL;
}

/* An added backend into cp's list, where it fits the file's rules. */
static int add_to(struct slb_config *cfg, struct slb_config_pool *cp,
		  const struct siplbd_override *o)
{
	struct slb_config_backend *list;

	if (cp->n_backends && cp->backends[0].a.family != o->a.family)
		return dropped(o, "the pool's backends are of the other family"), 0;
	if (slb_config_n_backends(cfg) >= SLB_MAX_BACKENDS)
		return dropped(o, "%d backends already", SLB_MAX_BACKENDS), 0;
	list = realloc(cp->backends, (cp->n_backends + 1) * sizeof(*list));
	if (!list)
		return -1;
	cp->backends = list;
	list[cp->n_backends++] = (struct slb_config_backend){.a = o->a, .weight = o->weight,
							     .priority = o->priority};
	return 0;
}

/* One list change of o onto cfg: 0 (applied or dropped, logged), -1 OOM. */
static int apply_change(struct slb_config *cfg, const struct siplbd_override *o)
{
	struct slb_config_pool *cp = static_pool(cfg, o->pool);
	struct slb_config_backend *be;

	if (!cp)
		return dropped(o, "the file has no static pool of that name"), 0;
	be = (struct slb_config_backend *)in_list(cp->backends, cp->n_backends, &o->a);
	if (!be && o->change == SIPLBD_ADDED)
		return add_to(cfg, cp, o);
	if (!be) /* set or removed: the file has it no more */
		return o->change == SIPLBD_SET ? dropped(o, "the file has it no more"), 0 : 0;
	if (o->change == SIPLBD_REMOVED) {
		memmove(be, be + 1, (size_t)(cp->backends + cp->n_backends - be - 1) * sizeof(*be));
		cp->n_backends--;
		return 0;
	}
	be->weight = o->has_weight ? o->weight : be->weight;
	be->priority = o->has_priority ? o->priority : be->priority;
	return 0;
}

int siplbd_state_apply(const struct siplbd_state *s, struct slb_config *cfg,
		       struct siplbd_state *out, char *err, size_t errlen)
{
	siplbd_state_empty(s, out);
	if (copy_file_pools(cfg, out))
		goto oom;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->o[i].change && apply_change(cfg, &s->o[i]))
			goto oom;
	for (uint32_t p = 0; p < out->n_file; p++)
		if (measure_pool(static_pool(cfg, out->file[p].name), &out->file[p], out))
			goto oom;
	if (merge_admin(s, cfg, out) || apply_rules(s, cfg, out))
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "state: out of memory");
	siplbd_state_free(out);
	return -1;
}

/* ---- as JSON ------------------------------------------------------------------------ */

static json_object *override_json(const struct siplbd_state *s, const struct siplbd_override *o,
				  bool file_values)
{
	const struct siplbd_file_pool *fp = file_values ? file_pool(s, o->pool) : NULL;
	const struct slb_config_backend *fb = fp ? in_list(fp->backends, fp->n, &o->a) : NULL;
	json_object *j = json_object_new_object();
	char e[SLB_ADDR_TEXT_LEN];

	json_object_object_add(j, "pool", json_object_new_string(o->pool));
	json_object_object_add(j, "backend", json_object_new_string(
					     slb_addr_format(&o->a, SLB_ADDR_ENDPOINT, e, sizeof(e))));
	if (o->change)
		json_object_object_add(j, "change", json_object_new_string(change_names[o->change]));
	if (o->has_weight)
		json_object_object_add(j, "weight", json_object_new_int(o->weight));
	if (o->has_priority)
		json_object_object_add(j, "priority", json_object_new_int(o->priority));
	if (o->admin)
		json_object_object_add(j, "admin", json_object_new_string(admin_names[o->admin]));
	if (fb) {
		json_object_object_add(j, "file_weight", json_object_new_int(fb->weight));
		json_object_object_add(j, "file_priority", json_object_new_int(fb->priority));
	}
	return j;
}

json_object *siplbd_state_json(const struct siplbd_state *s, bool file_values)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();

	json_object_object_add(o, "version", json_object_new_int(STATE_VERSION));
	for (uint32_t i = 0; i < s->n; i++)
		json_object_array_add(list, override_json(s, &s->o[i], file_values));
	json_object_object_add(o, "overrides", list);
	list = json_object_new_array();
	for (uint32_t v = 0; v < s->n_rules; v++) {
		json_object *vr = json_object_new_object(), *rules = json_object_new_array();

		for (uint32_t i = 0; i < s->rules[v].n; i++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "rule", json_object_new_string(s->rules[v].rule[i]));
			json_object_object_add(r, "origin",
					       json_object_new_string(s->rules[v].origin[i]));
			json_object_array_add(rules, r);
		}
		json_object_object_add(vr, "vip", json_object_new_string(s->rules[v].vip));
		json_object_object_add(vr, "rules", rules);
		json_object_array_add(list, vr);
	}
	json_object_object_add(o, "rules", list);
	return o;
}

/* ---- the state file ----------------------------------------------------------------- */

/* The file's bytes (NUL-terminated, malloc'd) into *text; 1: no such file. */
static int read_file(const char *path, char **text, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n = -1;

	*text = NULL;
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st))
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: not a regular file", path);
	else if (st.st_size > SIPLBD_STATE_MAX_BYTES)
		snprintf(err, errlen, "%s: %lld bytes: a state file has at most %d", path,
			 (long long)st.st_size, SIPLBD_STATE_MAX_BYTES);
	else if (!(*text = malloc((size_t)st.st_size + 1)))
		snprintf(err, errlen, "%s: out of memory", path);
	else if ((n = read(fd, *text, (size_t)st.st_size)) != st.st_size)
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "changed while read");
	if (fd >= 0)
		close(fd);
	if (n == st.st_size && *text) {
		(*text)[n] = 0;
		return 0;
	}
	free(*text);
	*text = NULL;
	return -1;
}

/* Member k of an override, checked: its type, its range; "where" says which. */
struct reading {
	const char *path;
	uint32_t i;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int bad(const struct reading *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s: overrides[%u]: %s (siplbd writes this file: "
		 "remove it, or set it aside, to start from the configuration alone)",
		 r->path, r->i, why);
	return -1;
}

static int name_of(const char *const *names, size_t n, const char *v)
{
	for (size_t i = 1; i < n; i++)
		if (!strcmp(names[i], v))
			return (int)i;
	return -1;
}

static int read_u16(const struct reading *r, json_object *v, const char *k, bool *has,
		    uint16_t *out)
{
	int64_t n;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return bad(r, "%s: an integer expected", k);
	n = json_object_get_int64(v);
	if (n < 0 || n > UINT16_MAX)
		return bad(r, "%s: %lld out of range 0..65535", k, (long long)n);
	*has = true;
	*out = (uint16_t)n;
	return 0;
}

static int read_word(const struct reading *r, json_object *v, const char *k,
		     const char *const *names, size_t n, int *out)
{
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    (*out = name_of(names, n, json_object_get_string(v))) < 0)
		return bad(r, "%s: not one of the words siplbd writes", k);
	return 0;
}

static int read_names(const struct reading *r, json_object *j, struct siplbd_override *o)
{
	json_object *pool = json_object_object_get(j, "pool");
	json_object *backend = json_object_object_get(j, "backend");
	const char *name = json_object_get_string(pool);
	char why[256];

	if (!json_object_is_type(pool, json_type_string) || !name[0] ||
	    strlen(name) >= SLB_NAME_LEN || strspn(name, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(name))
		return bad(r, "pool: a pool's name expected");
	memcpy(o->pool, name, strlen(name) + 1);
	if (!json_object_is_type(backend, json_type_string))
		return bad(r, "backend: \"ADDR:PORT\" expected");
	if (slb_rpc_parse_backend(json_object_get_string(backend), &o->a, why, sizeof(why)))
		return bad(r, "backend: %s", why);
	return 0;
}

/* One override, every member checked, and that it means something. */
static int read_override(const struct reading *r, json_object *j, struct siplbd_override *o)
{
	int change = 0, admin = 0;

	if (!json_object_is_type(j, json_type_object))
		return bad(r, "an object expected");
	json_object_object_foreach(j, k, v) {
		(void)v;
		if (name_of((const char *const[]){"", "pool", "backend", "change", "weight",
						  "priority", "admin", "file_weight",
						  "file_priority"}, 9, k) < 0)
			return bad(r, "unknown member '%.40s'", k);
	}
	if (read_names(r, j, o) ||
	    read_word(r, json_object_object_get(j, "change"), "change", change_names, 4, &change) ||
	    read_word(r, json_object_object_get(j, "admin"), "admin", admin_names, 3, &admin) ||
	    read_u16(r, json_object_object_get(j, "weight"), "weight", &o->has_weight, &o->weight) ||
	    read_u16(r, json_object_object_get(j, "priority"), "priority", &o->has_priority,
		     &o->priority))
		return -1;
	o->change = (enum siplbd_change)change;
	o->admin = (enum siplbd_admin)admin;
	if (o->change == SIPLBD_ADDED ? !o->has_weight || !o->has_priority :
	    o->change == SIPLBD_SET ? !o->has_weight && !o->has_priority :
	    o->has_weight || o->has_priority)
		return bad(r, "weight and priority do not go with change '%s'",
			   change_names[o->change]);
	return !o->change && !o->admin ? bad(r, "neither a change nor an admin state") : 0;
}

/* A string member of at most max - 1 bytes, not empty. */
static const char *text_of(json_object *o, const char *k, size_t max)
{
	json_object *v = json_object_object_get(o, k);
	const char *t = json_object_get_string(v);

	return json_object_is_type(v, json_type_string) && t[0] && strlen(t) < max ? t : NULL;
}

/* One VIP's rules: {"vip", "rules": [{"rule", "origin"}]}, the texts only
 * checked here (they are parsed as rule.add's are, against the file). */
static int read_vip_rules(const char *path, uint32_t k, json_object *j, struct siplbd_state *s,
			  char *err, size_t errlen)
{
	json_object *list = json_object_object_get(j, "rules");
	const char *vip = json_object_is_type(j, json_type_object) ?
			  text_of(j, "vip", SLB_NAME_LEN) : NULL;
	struct siplbd_vip_rules r;
	size_t n;

	if (!vip || json_object_object_length(j) != 2 || !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) > SLB_RULES_MAX)
		return snprintf(err, errlen, "%s: rules[%u]: {\"vip\": NAME, \"rules\": [...]} with "
				"at most %d rules expected", path, k, SLB_RULES_MAX), -1;
	for (uint32_t v = 0; v < s->n_rules; v++)
		if (!strcmp(s->rules[v].vip, vip))
			return snprintf(err, errlen, "%s: rules[%u]: VIP %s twice", path, k, vip), -1;
	if (alloc_rules(&r, vip, (uint32_t)n))
		return free_rules(&r), snprintf(err, errlen, "%s: out of memory", path), -1;
	for (uint32_t i = 0; i < r.n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *t = json_object_is_type(e, json_type_object) &&
				json_object_object_length(e) == 2 ?
				text_of(e, "rule", SIPLBD_STATE_RULE_LEN) : NULL;
		const char *o = t ? text_of(e, "origin", SLB_RULE_ORIGIN_LEN) : NULL;

		if (!o || !(r.rule[i] = strdup(t)) || !(r.origin[i] = strdup(o))) {
			free_rules(&r);
			return snprintf(err, errlen, "%s: rules[%u].rules[%u]: {\"rule\": TEXT, "
					"\"origin\": TEXT} expected", path, k, i), -1;
		}
	}
	return push_rules(s, &r) ? (snprintf(err, errlen, "%s: out of memory", path), -1) : 0;
}

static int read_rules(const char *path, json_object *list, struct siplbd_state *s, char *err,
		      size_t errlen)
{
	size_t n;

	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) > SLB_MAX_VIPS)
		return snprintf(err, errlen, "%s: rules: a list of at most %d VIPs expected", path,
				SLB_MAX_VIPS), -1;
	for (uint32_t k = 0; k < n; k++)
		if (read_vip_rules(path, k, json_object_array_get_idx(list, k), s, err, errlen))
			return -1;
	return 0;
}

static int read_overrides(const char *path, json_object *root, struct siplbd_state *s,
			  char *err, size_t errlen)
{
	json_object *v = json_object_object_get(root, "version");
	json_object *list = json_object_object_get(root, "overrides");
	json_object *rules = json_object_object_get(root, "rules");
	struct reading r = {path, 0, err, errlen};
	size_t n;

	if (!json_object_is_type(root, json_type_object) ||
	    json_object_object_length(root) != 2 + (rules != NULL) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != STATE_VERSION ||
	    !json_object_is_type(list, json_type_array))
		return snprintf(err, errlen, "%s: not a siplb state file of version %d "
				"({\"version\": %d, \"overrides\": [...]})", path, STATE_VERSION,
				STATE_VERSION), -1;
	n = json_object_array_length(list); /* json-c asserts on another type: checked */
	if (n > SIPLBD_STATE_MAX)
		return snprintf(err, errlen, "%s: %zu overrides, at most %d", path, n,
				SIPLBD_STATE_MAX), -1;
	for (r.i = 0; r.i < n; r.i++) {
		struct siplbd_override o = {0};

		if (read_override(&r, json_object_array_get_idx(list, r.i), &o))
			return -1;
		if (find(s, o.pool, &o.a))
			return bad(&r, "a second override of the same backend");
		if (push(s, &o))
			return snprintf(err, errlen, "%s: out of memory", path), -1;
	}
	return read_rules(path, rules, s, err, errlen);
}

int siplbd_state_load(struct siplbd_state *s, const char *path, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root = NULL;
	char *text = NULL;
	int rc = -1;

	*s = (struct siplbd_state){0};
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (!tok || (rc = read_file(path, &text, err, errlen)) != 0) {
		json_tokener_free(tok);
		return rc > 0 ? 0 : (tok ? -1 : (snprintf(err, errlen, "out of memory"), -1));
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	rc = -1;
	if (!root)
		snprintf(err, errlen, "%s: not JSON: %s", path,
			 json_tokener_error_desc(json_tokener_get_error(tok)));
	else if (text[strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") +
		      json_tokener_get_parse_end(tok)])
		snprintf(err, errlen, "%s: not JSON: something after the object", path);
	else
		rc = read_overrides(path, root, s, err, errlen);
	if (rc)
		siplbd_state_free(s);
	json_object_put(root);
	json_tokener_free(tok);
	free(text);
	return rc;
}

/* All of buf into fd. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory of path, fsync'd: the rename is on disk too. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int siplbd_state_save(const struct siplbd_state *s, char *err, size_t errlen)
{
	json_object *o;
	const char *text;
	char tmp[PATH_MAX + 16];
	int fd, rc;

	if (!s->path[0])
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", s->path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return snprintf(err, errlen, "state file %s: %s", tmp, strerror(errno)), -1;
	o = siplbd_state_json(s, false);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = fchmod(fd, 0644) || write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1) ||
	     fsync(fd);
	json_object_put(o);
	if (close(fd) || rc || rename(tmp, s->path)) {
		snprintf(err, errlen, "state file %s: %s", s->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	sync_dir(s->path);
	return 0;
}
