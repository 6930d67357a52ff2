/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scanner's torture corpus test.
 *
 *   test_sip_scan CORPUS_DIR
 *
 * Reads CORPUS_DIR/expect.txt (one line per datagram file: the path, then
 * TAB-separated key=value expectations), scans every file with every path
 * (scalar, SSE4.2, AVX2 when the CPU has them, Hyperscan, and the automatic
 * choice), checks that all paths agree field by field and that every
 * expectation holds. Every prefix of the smaller valid files is also scanned
 * by every path, from an exactly sized heap copy, so that a sanitized build
 * catches reads past the end and the paths must agree on truncated input.
 *
 * Fails when a .sip file has no expectation line, when there are fewer than
 * 40 valid or 25 invalid entries, or when a reason code has no example.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/sip_scan.h"
#include "../check.h"

#define MAX_FIELDS 48
#define MIN_VALID 40
#define MIN_INVALID 25
#define MIN_VALID_KEYS 8
#define PREFIX_MAX_FILE 4096 /* prefixes of larger files: too slow, no gain */

struct field {
	char *key;
	char *value;
};

struct entry {
	char *path;
	int line;
	size_t n_fields;
	struct field fields[MAX_FIELDS];
	bool seen_on_disk;
};

static struct entry *find_entry(const char *rel);

/* ---- files -------------------------------------------------------------- */

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return NULL;
	}
	/* An exactly sized copy: ASan flags any read past the datagram. */
	uint8_t *exact = malloc(n ? n : 1);
	if (exact)
		memcpy(exact, buf, n);
	free(buf);
	*len = n;
	return exact;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("strdup");
		exit(2);
	}
	return d;
}

/* ---- expect.txt ------------------------------------------------------------ */

static struct entry *entries;
static size_t n_entries, cap_entries;

static bool read_expectations(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int lineno = 0;
	bool ok = true;

	CHECK(f, "%s: cannot open: %s", path, strerror(errno));
	if (!f)
		return false;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		if (got == 0 || line[0] == '#')
			continue;
		if (n_entries == cap_entries) {
			cap_entries = cap_entries ? cap_entries * 2 : 256;
			entries = realloc(entries, cap_entries * sizeof(*entries));
			if (!entries) {
				perror("realloc");
				exit(2);
			}
		}
		struct entry *e = &entries[n_entries];
		memset(e, 0, sizeof(*e));
		e->line = lineno;

		char *save = NULL, *tok = strtok_r(line, "\t", &save);
		e->path = xstrdup(tok);
		while ((tok = strtok_r(NULL, "\t", &save)) != NULL) {
			char *eq = strchr(tok, '=');
			bool kv = eq && eq != tok;

			CHECK(kv, "%s: line %d: field \"%s\" is not key=value", path, lineno, tok);
			if (!kv) {
				ok = false;
				continue;
			}
			CHECK(e->n_fields < MAX_FIELDS, "%s: line %d: more than %d fields", path, lineno,
			      MAX_FIELDS);
			if (e->n_fields == MAX_FIELDS) {
				ok = false;
				break;
			}
			*eq = '\0';
			e->fields[e->n_fields].key = xstrdup(tok);
			e->fields[e->n_fields].value = xstrdup(eq + 1);
			e->n_fields++;
		}
		const struct entry *dup = find_entry(e->path);

		CHECK(!dup, "%s: line %d: %s already has an expectation (line %d)", path, lineno,
		      e->path, dup ? dup->line : 0);
		ok = ok && !dup;
		n_entries++;
	}
	free(line);
	fclose(f);
	return ok;
}

static const char *field(const struct entry *e, const char *key)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (strcmp(e->fields[i].key, key) == 0)
			return e->fields[i].value;
	return NULL;
}

/* ---- the scanned values, as text ------------------------------------------- */

/* A value of a message: bytes, or absent. */
struct actual {
	bool absent;
	bool bad; /* a span outside the datagram: always a failure */
	const char *p;
	size_t n;
	char num[32];
};

static void as_span(struct actual *a, const uint8_t *buf, size_t len, struct slb_span s)
{
	a->absent = s.len == 0;
	a->bad = (size_t)s.off + s.len > len;
	a->p = a->bad ? "" : (const char *)buf + s.off;
	a->n = a->bad ? 0 : s.len;
}

static void as_num(struct actual *a, long long v)
{
	snprintf(a->num, sizeof(a->num), "%lld", v);
	a->p = a->num;
	a->n = strlen(a->num);
}

static void as_str(struct actual *a, const char *s)
{
	a->p = s;
	a->n = strlen(s);
}

static const char *kind_name(enum slb_sip_kind k)
{
	switch (k) {
	case SLB_SIP_KIND_NONE: return "none";
	case SLB_SIP_KIND_REQUEST: return "request";
	case SLB_SIP_KIND_RESPONSE: return "response";
	case SLB_SIP_KIND_KEEPALIVE: return "keepalive";
	}
	return "unknown";
}

/* The via fields; `prefix` is "via_" or "via2_". False for an unknown key. */
static bool via_value(struct actual *a, const char *k, const struct slb_sip_via *v,
		      bool present, const uint8_t *buf, size_t len)
{
	static const struct slb_span none = { 0, 0 };

	if (strcmp(k, "transport") == 0)
		as_span(a, buf, len, present ? v->transport : none);
	else if (strcmp(k, "host") == 0)
		as_span(a, buf, len, present ? v->host : none);
	else if (strcmp(k, "port") == 0)
		as_num(a, present ? v->port : 0);
	else if (strcmp(k, "branch") == 0)
		as_span(a, buf, len, present ? v->branch : none);
	else if (strcmp(k, "received") == 0)
		as_span(a, buf, len, present ? v->received : none);
	else if (strcmp(k, "rport") == 0) {
		/* absent: no ;rport at all; present: its value, maybe empty */
		if (!present || !v->has_rport) {
			a->absent = true;
			as_str(a, "");
		} else {
			as_span(a, buf, len, v->rport);
			a->absent = false;
		}
	} else {
		return false;
	}
	return true;
}

static bool value_of(struct actual *a, const char *key, const struct slb_sip_msg *m,
		     const uint8_t *buf, size_t len)
{
	memset(a, 0, sizeof(*a));
	if (strcmp(key, "reason") == 0)
		as_str(a, slb_sip_reason_name(m->reason));
	else if (strcmp(key, "kind") == 0)
		as_str(a, kind_name(m->kind));
	else if (strcmp(key, "method") == 0)
		as_span(a, buf, len, m->method_tok);
	else if (strcmp(key, "method_id") == 0)
		as_str(a, slb_sip_method_name(m->method));
	else if (strcmp(key, "version") == 0)
		as_span(a, buf, len, m->version);
	else if (strcmp(key, "request_uri") == 0)
		as_span(a, buf, len, m->ruri);
	else if (strcmp(key, "status") == 0)
		as_num(a, m->status);
	else if (strcmp(key, "status_reason") == 0)
		as_span(a, buf, len, m->status_reason);
	else if (strcmp(key, "call_id") == 0)
		as_span(a, buf, len, m->call_id);
	else if (strncmp(key, "via2_", 5) == 0)
		return via_value(a, key + 5, &m->via2, m->has_via2, buf, len);
	else if (strncmp(key, "via_", 4) == 0)
		return via_value(a, key + 4, &m->via, m->has_via, buf, len);
	else if (strcmp(key, "cseq") == 0)
		as_num(a, m->cseq);
	else if (strcmp(key, "cseq_method") == 0)
		as_span(a, buf, len, m->cseq_method_tok);
	else if (strcmp(key, "cseq_method_id") == 0)
		as_str(a, slb_sip_method_name(m->cseq_method));
	else if (strcmp(key, "content_length") == 0)
		as_num(a, m->content_length);
	else if (strcmp(key, "max_forwards") == 0)
		as_num(a, m->max_forwards);
	else if (strcmp(key, "to_tag") == 0)
		as_span(a, buf, len, m->to_tag);
	else if (strcmp(key, "from_tag") == 0)
		as_span(a, buf, len, m->from_tag);
	else if (strcmp(key, "route") == 0)
		as_span(a, buf, len, m->route);
	else if (strcmp(key, "contact") == 0)
		as_num(a, m->has_contact);
	else if (strcmp(key, "headers_length") == 0)
		as_num(a, m->headers_len);
	else if (strcmp(key, "body_length") == 0)
		as_num(a, m->body_len);
	else
		return false;
	return true;
}

/* Printable form of some bytes: \r, \n, \t, \\ and \xNN escaped. */
static const char *show(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			o += (size_t)snprintf(out + o, cap - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, cap - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, cap - o, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* ---- scanning with every path ----------------------------------------------- */

struct path_result {
	const char *name;
	struct slb_sip_msg msg;
};

static struct slb_sip_hs_db *hs_db;
static struct slb_sip_hs_scratch *hs_scratch;

/* Scans buf with every path this CPU has (print_paths() says which);
 * returns how many results. */
static size_t scan_all(const uint8_t *buf, size_t len, struct path_result *r)
{
	size_t n = 0;

	for (int p = SLB_SIP_PATH_SCALAR; p < SLB_SIP_PATH_COUNT; p++) {
		r[n].name = slb_sip_path_name((enum slb_sip_path)p);
		if (slb_sip_scan_with((enum slb_sip_path)p, buf, len, &r[n].msg))
			n++;
	}
	r[n].name = "hyperscan";
	slb_sip_scan_hs(hs_db, hs_scratch, buf, len, &r[n].msg);
	n++;
	r[n].name = "auto";
	slb_sip_scan(buf, len, &r[n].msg);
	n++;
	return n;
}

/* The paths compared, and those this CPU lacks. */
static void print_paths(void)
{
	printf("paths:");
	for (int p = SLB_SIP_PATH_SCALAR; p < SLB_SIP_PATH_COUNT; p++)
		printf(" %s%s", slb_sip_path_name((enum slb_sip_path)p),
		       slb_sip_path_supported((enum slb_sip_path)p) ? ""
								    : " (skipped: not on this CPU)");
	printf(", hyperscan, auto (%s)\n", slb_sip_path_name(slb_sip_path_active()));
}

static void check_agree(const char *file, const struct path_result *r, size_t n,
			const char *what)
{
	for (size_t i = 1; i < n; i++)
		CHECK(slb_sip_msg_same(&r[0].msg, &r[i].msg),
		      "%s: %spaths disagree: %s says %s, %s says %s", file, what, r[0].name,
		      slb_sip_reason_name(r[0].msg.reason), r[i].name,
		      slb_sip_reason_name(r[i].msg.reason));
}

static void check_entry(const char *dir, struct entry *e)
{
	char path[4096];
	size_t len = 0;
	struct path_result r[8];

	snprintf(path, sizeof(path), "%s/%s", dir, e->path);
	uint8_t *buf = load(path, &len);
	CHECK(buf, "%s: cannot read %s: %s", e->path, path, strerror(errno));
	if (!buf)
		return;
	size_t n = scan_all(buf, len, r);
	check_agree(e->path, r, n, "");

	const struct slb_sip_msg *m = &r[0].msg;
	for (size_t i = 0; i < e->n_fields; i++) {
		const char *key = e->fields[i].key, *want = e->fields[i].value;
		struct actual a;
		char shown[1024];
		bool known = value_of(&a, key, m, buf, len);

		CHECK(known, "%s: unknown key \"%s\" (expect.txt line %d)", e->path, key, e->line);
		if (!known)
			continue;
		bool ok;
		if (a.bad)
			ok = false;
		else if (strcmp(want, "-") == 0)
			ok = a.absent;
		else
			ok = !a.absent && strlen(want) == a.n && memcmp(want, a.p, a.n) == 0;
		CHECK(ok, "%s: %s expected %s got %s", e->path, key, want,
		      a.bad ? "(span outside the datagram)"
		      : a.absent ? "-" : show(a.p, a.n, shown, sizeof(shown)));
	}
	free(buf);
}

/*
 * A file's bytes for the checks that scan variants of it many times; NULL
 * when it is larger than PREFIX_MAX_FILE (too slow, no gain) or unreadable
 * (check_entry() reports that).
 */
static uint8_t *load_for_variants(const char *dir, const struct entry *e, size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, e->path);
	uint8_t *buf = load(path, len);
	if (buf && *len > PREFIX_MAX_FILE) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Every prefix of a valid file, each from an exactly sized allocation: the
 * paths must agree on all of them, and none may read past the end.
 */
static void check_prefixes(const char *dir, const struct entry *e, unsigned long *n_prefixes)
{
	size_t len = 0;
	struct path_result r[8];
	uint8_t *buf = load_for_variants(dir, e, &len);

	if (!buf)
		return;
	for (size_t k = 0; k < len; k++) {
		uint8_t *p = malloc(k ? k : 1);
		char what[64];

		if (!p) {
			perror("malloc");
			exit(2);
		}
		memcpy(p, buf, k);
		size_t n = scan_all(p, k, r);
		snprintf(what, sizeof(what), "prefix of %zu bytes: ", k);
		check_agree(e->path, r, n, what);
		(*n_prefixes)++;
		free(p);
	}
	free(buf);
}

/*
 * Each byte of the file replaced in turn by each of a few values, every
 * path against the scalar one: bytes from 0x80 up (the AVX-512 path takes
 * them to DEL before its class lookup, so a class that treated them
 * otherwise would differ here), DEL, and the bytes that end the value
 * forms' runs. Only the first 1024 bytes (the header block of most
 * files; the paths read a body only for the block's last chunk).
 */
static void check_substitutions(const char *dir, const struct entry *e,
				unsigned long *n_subst)
{
	static const uint8_t values[] = { 0x7f, 0x80, 0xa0, 0xbf, 0xc3, 0xfe, 0xff,
					  ';',  '"',  '<',  '>',  '\\', ' ' };
	size_t len = 0;
	struct path_result r[8];
	uint8_t *buf = load_for_variants(dir, e, &len);

	if (!buf)
		return;
	for (size_t k = 0; k < len && k < 1024; k++) {
		uint8_t was = buf[k];

		for (size_t v = 0; v < sizeof(values); v++) {
			char what[64];

			if (values[v] == was)
				continue;
			buf[k] = values[v];
			size_t n = scan_all(buf, len, r);
			snprintf(what, sizeof(what), "byte %zu as 0x%02x: ", k, values[v]);
			check_agree(e->path, r, n, what);
			(*n_subst)++;
		}
		buf[k] = was;
	}
	free(buf);
}

/* ---- the corpus as a whole -------------------------------------------------- */

static struct entry *find_entry(const char *rel)
{
	for (size_t i = 0; i < n_entries; i++)
		if (strcmp(entries[i].path, rel) == 0)
			return &entries[i];
	return NULL;
}

static size_t check_dir(const char *dir, const char *sub)
{
	char path[4096];
	size_t count = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	DIR *d = opendir(path);
	CHECK(d, "%s: cannot open directory: %s", path, strerror(errno));
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		size_t n = strlen(de->d_name);
		char rel[1024];

		if (n < 4 || strcmp(de->d_name + n - 4, ".sip") != 0)
			continue;
		count++;
		snprintf(rel, sizeof(rel), "%s/%s", sub, de->d_name);
		struct entry *e = find_entry(rel);
		CHECK(e != NULL, "%s: no expectation line in expect.txt", rel);
		if (e)
			e->seen_on_disk = true;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	char path[4096], err[256];
	size_t n_valid = 0, n_invalid = 0, n_keepalive = 0;
	unsigned long n_prefixes = 0, n_subst = 0;
	bool reason_seen[SLB_SIP_REASON_COUNT] = { false };

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];

	hs_db = slb_sip_hs_db_create(err, sizeof(err));
	if (!hs_db) {
		fprintf(stderr, "slb_sip_hs_db_create: %s\n", err);
		return 2;
	}
	hs_scratch = slb_sip_hs_scratch_create(hs_db);
	if (!hs_scratch) {
		fprintf(stderr, "slb_sip_hs_scratch_create failed\n");
		return 2;
	}

	print_paths();
	snprintf(path, sizeof(path), "%s/expect.txt", dir);
	CHECK(read_expectations(path), "%s: not read as it is", path);

	for (size_t i = 0; i < n_entries; i++) {
		struct entry *e = &entries[i];
		const char *reason = field(e, "reason");
		bool is_valid = strncmp(e->path, "valid/", 6) == 0;
		bool is_invalid = strncmp(e->path, "invalid/", 8) == 0;

		CHECK(reason, "%s: no reason= expectation (expect.txt line %d)", e->path, e->line);
		if (reason) {
			for (int r = 0; r < SLB_SIP_REASON_COUNT; r++)
				if (strcmp(reason, slb_sip_reason_name((enum slb_sip_reason)r)) == 0)
					reason_seen[r] = true;
			CHECK(!is_valid || strcmp(reason, "ok") == 0,
			      "%s: a file in valid/ must expect reason=ok", e->path);
			CHECK(!is_invalid || strcmp(reason, "ok") != 0,
			      "%s: a file in invalid/ must not expect reason=ok", e->path);
		}
		CHECK(!is_valid || e->n_fields >= MIN_VALID_KEYS,
		      "%s: only %zu keys: a valid message needs at least %d", e->path, e->n_fields,
		      MIN_VALID_KEYS);
		n_valid += is_valid;
		n_invalid += is_invalid;
		n_keepalive += strncmp(e->path, "keepalive/", 10) == 0;

		check_entry(dir, e);
		if (is_valid) {
			check_prefixes(dir, e, &n_prefixes);
			check_substitutions(dir, e, &n_subst);
		}
	}

	size_t on_disk = check_dir(dir, "valid") + check_dir(dir, "invalid") +
			 check_dir(dir, "keepalive");
	for (size_t i = 0; i < n_entries; i++)
		CHECK(entries[i].seen_on_disk, "%s: expectation without a file (expect.txt line %d)",
		      entries[i].path, entries[i].line);
	CHECK(n_valid >= MIN_VALID, "expect.txt: only %zu valid entries, want at least %d", n_valid,
	      MIN_VALID);
	CHECK(n_invalid >= MIN_INVALID, "expect.txt: only %zu invalid entries, want at least %d",
	      n_invalid, MIN_INVALID);
	for (int r = 1; r < SLB_SIP_REASON_COUNT; r++)
		CHECK(reason_seen[r], "expect.txt: no example of reason %s",
		      slb_sip_reason_name((enum slb_sip_reason)r));

	printf("scanner corpus: %zu files (%zu valid, %zu invalid, %zu keepalive; %zu on disk), "
	       "%d checks (%lu prefixes, %lu byte substitutions), %d failures\n",
	       n_entries, n_valid, n_invalid, n_keepalive, on_disk, check_count, n_prefixes,
	       n_subst, check_failures);
	slb_sip_hs_scratch_free(hs_scratch);
	slb_sip_hs_db_free(hs_db);
	for (size_t i = 0; i < n_entries; i++) {
		for (size_t k = 0; k < entries[i].n_fields; k++) {
			free(entries[i].fields[k].key);
			free(entries[i].fields[k].value);
		}
		free(entries[i].path);
	}
	free(entries);
	return check_failures ? 1 : 0;
}
