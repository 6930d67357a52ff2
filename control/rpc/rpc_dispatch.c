/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC 2.0 dispatch: one request line to one response object. The
 * request is checked member by member and the params against the method's
 * schema before any handler runs, so a handler sees only well-typed,
 * declared names, and every refusal says which member or param is wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_internal.h"

/* Deep enough for any params a method declares; json-c's default is 32. */
#define PARSE_DEPTH 16
#define NOT_A_REQUEST "a request is a JSON object (an array of them: a batch), not %s"

struct entry {
	struct slb_rpc_method m;
	void *ctx;
};

struct slb_rpc_registry {
	struct entry *e;
	size_t n, cap;
};

static const struct {
	int code;
	const char *message;
} messages[] = {
	{SLB_RPC_PARSE_ERROR, "Parse error"},
	{SLB_RPC_INVALID_REQUEST, "Invalid Request"},
	{SLB_RPC_METHOD_NOT_FOUND, "Method not found"},
	{SLB_RPC_INVALID_PARAMS, "Invalid params"},
	{SLB_RPC_INTERNAL_ERROR, "Internal error"},
	{SLB_RPC_NOT_FOUND, "Not found"},
	{SLB_RPC_EXISTS, "Already exists"},
	{SLB_RPC_BAD_CONFIG, "Invalid configuration"},
	{SLB_RPC_LIMIT, "Limit reached"},
	{SLB_RPC_DENIED, "Permission denied"},
	{SLB_RPC_PUBLISH_FAILED, "Publish failed"},
};

const char *slb_rpc_code_message(int code)
{
	for (size_t i = 0; i < sizeof(messages) / sizeof(*messages); i++)
		if (messages[i].code == code)
			return messages[i].message;
	return "Server error";
}

__attribute__((format(printf, 4, 0)))
static int vfail(struct slb_rpc_error *e, int code, const char *param, const char *fmt,
		 va_list ap)
{
	e->code = code;
	snprintf(e->param, sizeof(e->param), "%s", param ? param : "");
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	return -1;
}

int slb_rpc_fail(struct slb_rpc_error *e, int code, const char *param, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, code, param, fmt, ap);
	va_end(ap);
	return -1;
}

struct slb_rpc_registry *slb_rpc_registry_new(void)
{
	return calloc(1, sizeof(struct slb_rpc_registry));
}

void slb_rpc_registry_free(struct slb_rpc_registry *r)
{
	if (!r)
		return;
	free(r->e);
	free(r);
}

static const struct entry *lookup(const struct slb_rpc_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->e[i].m.name, name))
			return &r->e[i];
	return NULL;
}

/* Lower-case letters, digits and `extra`: names people type on a command line. */
static bool good_name(const char *s, const char *extra)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static size_t n_params(const struct slb_rpc_method *m)
{
	size_t n = 0;

	while (n < SLB_RPC_MAX_PARAMS && m->params[n].name)
		n++;
	return n;
}

static int check_param(const struct slb_rpc_method *m, size_t i, char *err, size_t errlen)
{
	const struct slb_rpc_param *p = &m->params[i];

	if (!good_name(p->name, "_"))
		return snprintf(err, errlen, "%s: param %zu: name '%s': a-z, 0-9, _ expected",
				m->name, i, p->name), -1;
	if (p->type != SLB_RPC_STRING && p->type != SLB_RPC_INT && p->type != SLB_RPC_BOOL)
		return snprintf(err, errlen, "%s: param %s: unknown type %d", m->name, p->name,
				p->type), -1;
	if (p->min > p->max)
		return snprintf(err, errlen, "%s: param %s: min > max", m->name, p->name), -1;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(m->params[j].name, p->name))
			return snprintf(err, errlen, "%s: param %s twice", m->name, p->name), -1;
	return 0;
}

/* Everything a dispatch later relies on without checking again. */
static int check_method(const struct slb_rpc_registry *r, const struct slb_rpc_method *m,
			char *err, size_t errlen)
{
	if (!good_name(m->name, "._-") || !strncmp(m->name, "rpc.", 4))
		return snprintf(err, errlen, "method name '%s': a-z, 0-9, '.', '_', '-' expected, "
				"not starting with the reserved 'rpc.'",
				m->name ? m->name : "(null)"), -1;
	if (!m->handler)
		return snprintf(err, errlen, "%s: no handler", m->name), -1;
	if (lookup(r, m->name))
		return snprintf(err, errlen, "%s: registered twice", m->name), -1;
	for (size_t i = 0; i < n_params(m); i++)
		if (check_param(m, i, err, errlen))
			return -1;
	return 0;
}

int slb_rpc_registry_add(struct slb_rpc_registry *r, const struct slb_rpc_method *m,
			 size_t n, void *ctx, char *err, size_t errlen)
{
	size_t base = r->n;

	if (r->n + n > r->cap) {
		size_t cap = r->cap * 2 > r->n + n ? r->cap * 2 : r->n + n;
		struct entry *e = realloc(r->e, cap * sizeof(*e));

		if (!e) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->e = e;
		r->cap = cap;
	}
	/* Added one by one so that duplicates inside the table are caught too. */
	for (size_t i = 0; i < n; i++) {
		if (check_method(r, &m[i], err, errlen)) {
			r->n = base;
			return -1;
		}
		r->e[r->n++] = (struct entry){m[i], ctx};
	}
	return 0;
}

/* ---- responses ---------------------------------------------------------- */

static json_object *response(json_object *id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_get(id));
	return o;
}

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
		   (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Reasons quote what the client sent, cut to a length that may split a
 * character: what is not valid UTF-8 becomes '?', so that every answer is
 * JSON a strict client can read.
 */
static void utf8_clean(char *s)
{
	while (*s) {
		size_t n = utf8_len((const unsigned char *)s);

		if (!n)
			*s++ = '?';
		else
			s += n;
	}
}

json_object *slb_rpc_error_response(json_object *id, const struct slb_rpc_error *err_in)
{
	json_object *o = response(id), *err = json_object_new_object();
	json_object *data = json_object_new_object();
	struct slb_rpc_error copy = *err_in, *e = &copy;

	copy.reason[sizeof(copy.reason) - 1] = 0;
	utf8_clean(copy.reason);
	json_object_object_add(err, "code", json_object_new_int(e->code));
	json_object_object_add(err, "message",
			       json_object_new_string(slb_rpc_code_message(e->code)));
	json_object_object_add(data, "reason", json_object_new_string(e->reason));
	if (e->param[0])
		json_object_object_add(data, "param", json_object_new_string(e->param));
	json_object_object_add(err, "data", data);
	json_object_object_add(o, "error", err);
	return o;
}

__attribute__((format(printf, 4, 5)))
static json_object *fail_response(json_object *id, int code, const char *param,
				  const char *fmt, ...)
{
	struct slb_rpc_error e;
	va_list ap;

	va_start(ap, fmt);
	vfail(&e, code, param, fmt, ap);
	va_end(ap);
	return slb_rpc_error_response(id, &e);
}

char *slb_rpc_to_line(json_object *response, size_t *len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(
		response, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	char *line = malloc(n + 2);

	if (!line)
		return NULL;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = 0;
	*len = n + 1;
	return line;
}

/* ---- params --------------------------------------------------------------- */

static const char *type_name(enum slb_rpc_type t)
{
	return t == SLB_RPC_STRING ? "a string" : t == SLB_RPC_INT ? "an integer" : "a boolean";
}

/* The declared names, for "unknown param" and "too many params". */
static void list_params(const struct slb_rpc_method *m, char *buf, size_t len)
{
	size_t n = n_params(m), off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					m->params[i].name);
	if (!n)
		snprintf(buf, len, "none");
}

static int check_int(const struct slb_rpc_param *p, json_object *v, struct slb_rpc_error *e)
{
	int64_t x = json_object_get_int64(v);

	/* json-c holds integers past INT64_MAX as uint64 and clamps get_int64 */
	if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, p->name,
				    "%s: %s out of range (a 64-bit signed integer)", p->name,
				    json_object_to_json_string(v));
	if ((p->min || p->max) && (x < p->min || x > p->max))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, p->name,
				    "%s: %s out of range %lld..%lld", p->name,
				    json_object_to_json_string(v), (long long)p->min,
				    (long long)p->max);
	return 0;
}

/* json-c keeps "a\u0000b" whole, but a C string of it stops at the NUL: a
 * handler would see "a". */
static bool has_nul(json_object *s)
{
	return strlen(json_object_get_string(s)) != (size_t)json_object_get_string_len(s);
}

static int check_type(const struct slb_rpc_param *p, json_object *v, struct slb_rpc_error *e)
{
	static const json_type want[] = {
		[SLB_RPC_STRING] = json_type_string,
		[SLB_RPC_INT] = json_type_int,
		[SLB_RPC_BOOL] = json_type_boolean,
	};

	if (!json_object_is_type(v, want[p->type]))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, p->name, "%s: %s expected, got %s",
				    p->name, type_name(p->type),
				    json_type_to_name(json_object_get_type(v)));
	if (p->type == SLB_RPC_STRING && has_nul(v))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, p->name,
				    "%s: a NUL (\\u0000) in the string", p->name);
	return p->type == SLB_RPC_INT ? check_int(p, v, e) : 0;
}

static const struct slb_rpc_param *find_param(const struct slb_rpc_method *m, const char *name)
{
	for (size_t i = 0; i < n_params(m); i++)
		if (!strcmp(m->params[i].name, name))
			return &m->params[i];
	return NULL;
}

/* One given value: JSON null counts as absent, so an optional param can be skipped. */
static int take_param(const struct slb_rpc_param *p, json_object *v, json_object *out,
		      struct slb_rpc_error *e)
{
	if (!v)
		return 0;
	if (check_type(p, v, e))
		return -1;
	json_object_object_add(out, p->name, json_object_get(v));
	return 0;
}

static int params_by_position(const struct slb_rpc_method *m, json_object *given,
			      json_object *out, struct slb_rpc_error *e)
{
	size_t n = json_object_array_length(given);
	char names[256];

	if (n > n_params(m)) {
		list_params(m, names, sizeof(names));
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, NULL,
				    "%zu params given, %s takes at most %zu (%s)", n, m->name,
				    n_params(m), names);
	}
	for (size_t i = 0; i < n; i++)
		if (take_param(&m->params[i], json_object_array_get_idx(given, i), out, e))
			return -1;
	return 0;
}

static int params_by_name(const struct slb_rpc_method *m, json_object *given, json_object *out,
			  struct slb_rpc_error *e)
{
	char names[256];

	json_object_object_foreach(given, key, v) {
		const struct slb_rpc_param *p = find_param(m, key);

		if (!p) {
			list_params(m, names, sizeof(names));
			return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, NULL,
					    "unknown param '%.64s' (%s takes: %s)", key, m->name,
					    names);
		}
		if (take_param(p, v, out, e))
			return -1;
	}
	return 0;
}

/* given (object, array or NULL) as an object of declared, typed names: *out. */
static int check_params(const struct slb_rpc_method *m, json_object *given, json_object **out,
			struct slb_rpc_error *e)
{
	int rc = 0;

	*out = json_object_new_object();
	if (json_object_is_type(given, json_type_array))
		rc = params_by_position(m, given, *out, e);
	else if (given)
		rc = params_by_name(m, given, *out, e);
	for (size_t i = 0; !rc && i < n_params(m); i++)
		if (m->params[i].required && !json_object_object_get_ex(*out, m->params[i].name, NULL))
			rc = slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, m->params[i].name,
					  "missing param '%s' (%s)", m->params[i].name,
					  type_name(m->params[i].type));
	if (rc) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- rpc.methods ------------------------------------------------------------ */

static json_object *param_json(const struct slb_rpc_param *p)
{
	static const char *const types[] = {
		[SLB_RPC_STRING] = "string", [SLB_RPC_INT] = "integer", [SLB_RPC_BOOL] = "boolean",
	};
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "type", json_object_new_string(types[p->type]));
	json_object_object_add(o, "required", json_object_new_boolean(p->required));
	if (p->type == SLB_RPC_INT && (p->min || p->max)) {
		json_object_object_add(o, "min", json_object_new_int64(p->min));
		json_object_object_add(o, "max", json_object_new_int64(p->max));
	}
	return o;
}

static json_object *methods_json(const struct slb_rpc_registry *r)
{
	json_object *list = json_object_new_array(), *o = json_object_new_object();

	for (size_t i = 0; i < r->n; i++) {
		const struct slb_rpc_method *m = &r->e[i].m;
		json_object *mo = json_object_new_object(), *ps = json_object_new_array();

		json_object_object_add(mo, "name", json_object_new_string(m->name));
		json_object_object_add(mo, "summary", json_object_new_string(m->summary ?
								  m->summary : ""));
		for (size_t j = 0; j < n_params(m); j++)
			json_object_array_add(ps, param_json(&m->params[j]));
		json_object_object_add(mo, "params", ps);
		json_object_array_add(list, mo);
	}
	json_object_object_add(o, "methods", list);
	return o;
}

/* ---- one request ------------------------------------------------------------ */

struct request {
	json_object *id;      /* NULL with has_id: JSON null */
	bool has_id;          /* false: a notification */
	const char *method;
	bool method_nul;      /* the name goes on past a NUL: no method's */
	json_object *params;  /* NULL when absent */
};

static bool good_id(json_object *id)
{
	return !id || json_object_is_type(id, json_type_string) ||
	       json_object_is_type(id, json_type_int) || json_object_is_type(id, json_type_double);
}

/* The id first, so that a later complaint can still carry it. */
static json_object *parse_id(json_object *o, struct request *q)
{
	json_object *id;

	q->has_id = json_object_object_get_ex(o, "id", &id);
	if (q->has_id && !good_id(id))
		return fail_response(NULL, SLB_RPC_INVALID_REQUEST, NULL,
				     "id must be a string, a number or null, not %s",
				     json_type_to_name(json_object_get_type(id)));
	q->id = q->has_id ? id : NULL;
	return NULL;
}

static json_object *check_members(json_object *o, struct request *q)
{
	json_object *v;

	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") && strcmp(key, "params") &&
		    strcmp(key, "id"))
			return fail_response(q->id, SLB_RPC_INVALID_REQUEST, NULL,
					     "unknown member '%.64s' (jsonrpc, method, params, id)",
					     key);
	}
	if (!json_object_object_get_ex(o, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "2.0"))
		return fail_response(q->id, SLB_RPC_INVALID_REQUEST, NULL,
				     "\"jsonrpc\": \"2.0\" is missing");
	if (!json_object_object_get_ex(o, "method", &v) || !json_object_is_type(v, json_type_string))
		return fail_response(q->id, SLB_RPC_INVALID_REQUEST, NULL,
				     "\"method\" (a string) is missing");
	q->method = json_object_get_string(v);
	q->method_nul = has_nul(v);
	if (json_object_object_get_ex(o, "params", &q->params) &&
	    !json_object_is_type(q->params, json_type_object) &&
	    !json_object_is_type(q->params, json_type_array))
		return fail_response(q->id, SLB_RPC_INVALID_REQUEST, NULL,
				     "params must be an object (by name) or an array (by position)");
	return NULL;
}

static json_object *call(struct slb_rpc_registry *r, const struct slb_rpc_peer *peer,
			 const struct request *q)
{
	const struct entry *e = lookup(r, q->method);
	struct slb_rpc_error err = {0};
	json_object *params, *result = NULL, *o;

	if (q->method_nul)
		return fail_response(q->id, SLB_RPC_METHOD_NOT_FOUND, NULL,
				     "no method '%.64s\\u0000...': names hold no NUL", q->method);
	if (!strcmp(q->method, "rpc.methods")) {
		o = response(q->id);
		json_object_object_add(o, "result", methods_json(r));
		return o;
	}
	if (!e)
		return fail_response(q->id, SLB_RPC_METHOD_NOT_FOUND, NULL,
				     "no method '%.64s' (rpc.methods lists them)", q->method);
	if (check_params(&e->m, q->params, &params, &err))
		return slb_rpc_error_response(q->id, &err);
	if (e->m.handler(&(struct slb_rpc_call){e->ctx, e->m.name, peer}, params, &result,
			  &err)) {
		json_object_put(params);
		if (!err.code)
			slb_rpc_fail(&err, SLB_RPC_INTERNAL_ERROR, NULL, "%s failed", e->m.name);
		return slb_rpc_error_response(q->id, &err);
	}
	json_object_put(params);
	o = response(q->id);
	json_object_object_add(o, "result", result);
	return o;
}

/* A call's response; NULL for a notification, whatever came of it. */
static json_object *dispatch_one(struct slb_rpc_registry *r, const struct slb_rpc_peer *peer,
				 json_object *o)
{
	struct request q = {0};
	json_object *res;

	if (!json_object_is_type(o, json_type_object))
		return fail_response(NULL, SLB_RPC_INVALID_REQUEST, NULL, NOT_A_REQUEST,
				     json_type_to_name(json_object_get_type(o)));
	res = parse_id(o, &q);
	if (!res)
		res = check_members(o, &q);
	if (res)
		return res;
	res = call(r, peer, &q);
	if (!q.has_id) {
		json_object_put(res);
		return NULL;
	}
	return res;
}

static json_object *dispatch_batch(struct slb_rpc_registry *r, const struct slb_rpc_peer *peer,
				   json_object *batch)
{
	size_t n = json_object_array_length(batch);
	json_object *out;

	if (n == 0 || n > SLB_RPC_MAX_BATCH)
		return fail_response(NULL, SLB_RPC_INVALID_REQUEST, NULL,
				     "a batch holds 1..%d requests, not %zu", SLB_RPC_MAX_BATCH, n);
	out = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *res = dispatch_one(r, peer, json_object_array_get_idx(batch, i));

		if (res)
			json_object_array_add(out, res);
	}
	if (json_object_array_length(out) == 0) {
		json_object_put(out);
		return NULL;
	}
	return out;
}

/* Where a member name holding an escaped NUL starts, or -1. A string runs
 * from a quote to the next unescaped one; one followed by ':' is a name. */
static long nul_name(const char *p, size_t len)
{
	bool in = false, nul = false; /* nul: the last string held \u0000 */
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (in && p[i] == '\\') {
			nul |= len - i > 5 && !memcmp(p + i + 1, "u0000", 5);
			i++;
		} else if (p[i] == '"') {
			in = !in;
			start = in ? i : start;
			nul &= !in;
		} else if (!in && p[i] == ':' && nul) {
			return (long)start;
		} else if (!in && !strchr(" \t\r\n", p[i])) {
			nul = false;
		}
	}
	return -1;
}

/* What json-c would read otherwise than sent: a NUL byte ends its input,
 * and it keeps member names as C strings, so {"method\u0000x": ...} would
 * be "method". (A NUL in a string value is caught where it is used.) */
static json_object *nul_refusal(const char *line, size_t len)
{
	const char *nul = memchr(line, 0, len);
	long name;

	if (nul)
		return fail_response(NULL, SLB_RPC_PARSE_ERROR, NULL, "NUL byte at offset %zu",
				     (size_t)(nul - line));
	name = nul_name(line, len);
	if (name >= 0)
		return fail_response(NULL, SLB_RPC_INVALID_REQUEST, NULL,
				     "the member name at offset %ld holds a NUL (\\u0000)", name);
	return NULL;
}

/* The request as JSON, or NULL with *fail set to the parse error response. */
static json_object *parse(const char *line, size_t len, json_object **fail)
{
	json_tokener *tok;
	json_object *o;
	char *buf;

	*fail = nul_refusal(line, len);
	if (*fail)
		return NULL;
	tok = json_tokener_new_ex(PARSE_DEPTH);
	buf = malloc(len + 1);
	if (!tok || !buf) {
		*fail = fail_response(NULL, SLB_RPC_INTERNAL_ERROR, NULL, "out of memory");
		goto out;
	}
	/* Strict: no trailing characters, no comments, no single quotes. The
	 * final NUL goes in too: it is what ends a bare number. */
	memcpy(buf, line, len);
	buf[len] = 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len + 1);
	if (!o && json_tokener_get_error(tok) == json_tokener_success)
		*fail = fail_response(NULL, SLB_RPC_INVALID_REQUEST, NULL, NOT_A_REQUEST, "null");
	else if (!o)
		*fail = fail_response(NULL, SLB_RPC_PARSE_ERROR, NULL, "%s at offset %zu",
				      json_tokener_error_desc(json_tokener_get_error(tok)),
				      json_tokener_get_parse_end(tok));
out:
	free(buf);
	if (tok)
		json_tokener_free(tok);
	return *fail ? NULL : o;
}

json_object *slb_rpc_dispatch(struct slb_rpc_registry *r, const struct slb_rpc_peer *peer,
			      const char *line, size_t len)
{
	json_object *fail, *o = parse(line, len, &fail), *res;

	if (!o)
		return fail;
	if (json_object_is_type(o, json_type_array))
		res = dispatch_batch(r, peer, o);
	else
		res = dispatch_one(r, peer, o);
	json_object_put(o);
	return res;
}
