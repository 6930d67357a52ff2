/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a configuration and its @includes into memory (config_text.h).
 * libconfig 1.5 would open the files itself, and its scanner blocks on a
 * FIFO and calls exit() when a read fails (/proc/self/mem): a client of
 * siplbd's socket could stop it with `config validate`. So siplb reads the
 * files and expands the @include lines itself, exactly where libconfig's
 * scanner would (a line starting with optional blanks, "@include", blanks
 * and a quote, outside a block comment and a string), and remembers for
 * each line of the result its file and line, for FILE:LINE in messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_text.h"

/* Lines [first, next span's first) of the text are file's lines from `from` on. */
struct span {
	unsigned first, from, file;
};

struct slb_config_text {
	char *buf;
	size_t len, cap;
	unsigned lines;         /* in buf so far */
	struct span *spans;
	size_t n_spans, cap_spans;
	char **files;
	size_t n_files;
};

/* Where the scanner is at the start of a line: block comments and strings
 * go on over line ends, '#' and '//' comments end with their line. */
enum lex { NORMAL, COMMENT, STRING };

struct reader {
	struct slb_config_text *t;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(const struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- one file ------------------------------------------------------------------ */

static const char *kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	       S_ISSOCK(m) ? "a socket" : "not a regular file";
}

static int check_stat(const struct reader *r, const char *path, const struct stat *st,
		      size_t limit)
{
	if (!S_ISREG(st->st_mode))
		return fail(r, "%s: %s: a configuration is read only from a regular file", path,
			    kind(st->st_mode));
	if ((unsigned long long)st->st_size > limit)
		return fail(r, "%s: %lld bytes: a configuration (with its includes) has at most "
			    "%u bytes", path, (long long)st->st_size, SLB_CONFIG_MAX_BYTES);
	return 0;
}

/*
 * Checked before it is opened (opening a device can act: a watchdog starts)
 * and again after (the path may have changed in between); opened without
 * blocking, so a FIFO swapped in cannot stall us. Symlinks are followed:
 * /etc/siplb/siplb.conf may well be one.
 */
static int open_regular(const struct reader *r, const char *path, size_t limit)
{
	struct stat st;
	int fd;

	if (stat(path, &st))
		return fail(r, "%s: cannot read: %s", path, strerror(errno));
	if (check_stat(r, path, &st, limit))
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(r, "%s: cannot read: %s", path, strerror(errno));
	if (fstat(fd, &st))
		fail(r, "%s: cannot read: %s", path, strerror(errno));
	else if (!check_stat(r, path, &st, limit))
		return fd;
	close(fd);
	return -1;
}

/* One read past len into *buf, grown first when full: what read gave, or
 * -1 with errno. */
static ssize_t read_more(int fd, char **buf, size_t *cap, size_t len)
{
	ssize_t n;

	if (len == *cap) {
		size_t c = *cap ? *cap * 2 : 65536;
		char *p = realloc(*buf, c + 1);

		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		*buf = p;
		*cap = c;
	}
	do
		n = read(fd, *buf + len, *cap - len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* All of fd, at most limit bytes (a file may grow after fstat), NUL-terminated. */
static char *read_all(const struct reader *r, const char *path, int fd, size_t limit,
		      size_t *len)
{
	size_t cap = 0;
	char *buf = NULL;
	ssize_t n;

	*len = 0;
	while ((n = read_more(fd, &buf, &cap, *len)) > 0 && *len + (size_t)n <= limit)
		*len += (size_t)n;
	if (n == 0) {
		buf[*len] = 0;
		return buf;
	}
	if (n < 0)
		fail(r, "%s: cannot read: %s", path, strerror(errno));
	else
		fail(r, "%s: more than %u bytes: a configuration (with its includes) has at most "
		     "that", path, SLB_CONFIG_MAX_BYTES);
	free(buf);
	return NULL;
}

static unsigned line_at(const char *buf, const char *p)
{
	unsigned line = 1;

	for (const char *q = buf; q < p; q++)
		line += *q == '\n';
	return line;
}

/* The file's text: a regular file, text (libconfig would stop at a NUL). */
static char *read_file(const struct reader *r, const char *path, size_t *len)
{
	size_t limit = SLB_CONFIG_MAX_BYTES - r->t->len;
	int fd = open_regular(r, path, limit);
	char *buf, *nul;

	if (fd < 0)
		return NULL;
	buf = read_all(r, path, fd, limit, len);
	close(fd);
	nul = buf ? memchr(buf, 0, *len) : NULL;
	if (nul) {
		fail(r, "%s:%u: a NUL byte: a configuration is text", path, line_at(buf, nul));
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the text ------------------------------------------------------------------ */

static int add_span(struct slb_config_text *t, unsigned file, unsigned line)
{
	struct span *last = t->n_spans ? &t->spans[t->n_spans - 1] : NULL;

	if (last && last->file == file && last->from + (t->lines - last->first) == line)
		return 0;
	if (t->n_spans == t->cap_spans) {
		size_t cap = t->cap_spans ? t->cap_spans * 2 : 8;
		struct span *s = realloc(t->spans, cap * sizeof(*s));

		if (!s)
			return -1;
		t->spans = s;
		t->cap_spans = cap;
	}
	t->spans[t->n_spans++] = (struct span){t->lines, line, file};
	return 0;
}

/* One line (without its newline) of file at line, and a newline. */
static int add_line(const struct reader *r, unsigned file, unsigned line, const char *p,
		    size_t n)
{
	struct slb_config_text *t = r->t;

	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap * 2 > t->len + n + 1 ? t->cap * 2 : t->len + n + 1 + 4096;
		char *b = realloc(t->buf, cap + 1);

		if (!b)
			return fail(r, "%s: out of memory", t->files[0]);
		t->buf = b;
		t->cap = cap;
	}
	if (add_span(t, file, line))
		return fail(r, "%s: out of memory", t->files[0]);
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	t->buf[t->len++] = '\n';
	t->buf[t->len] = 0;
	t->lines++;
	return 0;
}

static int add_file_name(const struct reader *r, const char *path)
{
	struct slb_config_text *t = r->t;
	char **f = realloc(t->files, (t->n_files + 1) * sizeof(*f));

	if (f)
		t->files = f;
	if (!f || !(f[t->n_files] = strdup(path)))
		return fail(r, "%s: out of memory", path);
	return (int)t->n_files++;
}

/* ---- @include ------------------------------------------------------------------- */

static const char *blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* After the opening quote of an @include line as libconfig's scanner knows
 * one ([ \t]*@include[ \t]+"), or NULL if the line is not one. */
static const char *include_quote(const char *p, const char *end)
{
	const char *q;

	p = blanks(p, end);
	if (end - p < 8 || memcmp(p, "@include", 8))
		return NULL;
	q = blanks(p + 8, end);
	return q > p + 8 && q < end && *q == '"' ? q + 1 : NULL;
}

/* The quoted name from p (with \\ and \" as libconfig takes them) into
 * name; the rest of the line after the quote and its blanks, or NULL. */
static const char *include_name(const char *p, const char *end, char *name, size_t len)
{
	size_t n = 0;

	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && (p + 1 == end || (p[1] != '\\' && p[1] != '"')))
			return NULL;
		p += *p == '\\';
		if (n + 1 < len)
			name[n] = *p;
		n++;
	}
	if (p == end || n == 0 || n >= len)
		return NULL;
	name[n] = 0;
	return blanks(p + 1, end);
}

/* name relative to the directory of the file that includes it; false if
 * that is longer than len. */
static bool include_path(const char *includer, const char *name, char *path, size_t len)
{
	const char *slash = strrchr(includer, '/');
	int n;

	if (name[0] == '/' || !slash)
		n = snprintf(path, len, "%s", name);
	else
		n = snprintf(path, len, "%.*s/%s", (int)(slash - includer), includer, name);
	return n >= 0 && (size_t)n < len;
}

static enum lex after(enum lex st, const char *p, const char *end)
{
	for (; p < end; p++) {
		bool two = p + 1 < end;

		if (st == COMMENT && *p == '*' && two && p[1] == '/')
			st = NORMAL, p++;
		else if (st == STRING && *p == '\\')
			p++;
		else if (st == STRING && *p == '"')
			st = NORMAL;
		else if (st != NORMAL)
			continue;
		else if (*p == '"')
			st = STRING;
		else if (*p == '#' || (*p == '/' && two && p[1] == '/'))
			return NORMAL;
		else if (*p == '/' && two && p[1] == '*')
			st = COMMENT, p++;
	}
	return st;
}

static int add_text(const struct reader *r, const char *path, char *buf, size_t len,
		    unsigned depth);

/* The include on line `line` of file, its name starting at p: the file,
 * then what follows the name on the line, as a line of its own. */
static int add_include(const struct reader *r, unsigned file, unsigned line, const char *p,
		       const char *end, unsigned depth)
{
	const char *from = r->t->files[file], *rest;
	char name[PATH_MAX], path[PATH_MAX], why[512];
	size_t len;
	char *buf;

	rest = include_name(p, end, name, sizeof(name));
	if (!rest)
		return fail(r, "%s:%u: @include: a file name in quotes on one line expected "
			    "(\\\\ and \\\" the only escapes)", from, line);
	if (depth == SLB_CONFIG_MAX_INCLUDE_DEPTH)
		return fail(r, "%s:%u: @include \"%s\": includes nested deeper than %d (a loop?)",
			    from, line, name, SLB_CONFIG_MAX_INCLUDE_DEPTH);
	/* On a line of its own, it would be an @include to libconfig. */
	if (include_quote(rest, end))
		return fail(r, "%s:%u: one @include per line", from, line);
	if (!include_path(from, name, path, sizeof(path)))
		return fail(r, "%s:%u: @include \"%s\": the path is too long", from, line, name);
	buf = read_file(r, path, &len);
	if (!buf) {
		snprintf(why, sizeof(why), "%s", r->err);
		return fail(r, "%s:%u: @include \"%s\": %s", from, line, name, why);
	}
	if (add_text(r, path, buf, len, depth + 1))
		return -1;
	return rest < end ? add_line(r, file, line, rest, (size_t)(end - rest)) : 0;
}

static int add_lines(const struct reader *r, unsigned file, const char *buf, size_t len,
		     unsigned depth)
{
	enum lex st = NORMAL;
	const char *p = buf, *end = buf + len, *nl, *name;
	unsigned line;
	int rc = 0;

	for (line = 1; !rc && p < end; line++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl : end;
		name = st == NORMAL ? include_quote(p, nl) : NULL;
		if (name)
			rc = add_include(r, file, line, name, nl, depth);
		else
			rc = add_line(r, file, line, p, (size_t)(nl - p));
		/* From the name's opening quote: it lexes as a string. */
		st = after(st, name ? name - 1 : p, nl);
	}
	/* libconfig would carry it on into the including file, in its own way */
	if (!rc && depth && st != NORMAL)
		return fail(r, "%s:%u: a %s left open at the end of an @included file",
			    r->t->files[file], line - 1, st == COMMENT ? "/* comment" : "string");
	return rc;
}

/* A file's text (buf, which it frees) at the end of the text. */
static int add_text(const struct reader *r, const char *path, char *buf, size_t len,
		    unsigned depth)
{
	int file = add_file_name(r, path), rc;

	rc = file < 0 ? -1 : add_lines(r, (unsigned)file, buf, len, depth);
	free(buf);
	return rc;
}

struct slb_config_text *slb_config_text_read(const char *path, char *err, size_t errlen)
{
	struct slb_config_text *t = calloc(1, sizeof(*t));
	struct reader r = {t, err, errlen};
	size_t len;
	char *buf;

	if (t)
		t->buf = strdup("");
	if (!t || !t->buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		slb_config_text_free(t);
		return NULL;
	}
	buf = read_file(&r, path, &len);
	if (!buf || add_text(&r, path, buf, len, 0)) {
		slb_config_text_free(t);
		return NULL;
	}
	return t;
}

const char *slb_config_text_buf(const struct slb_config_text *t)
{
	return t->buf;
}

unsigned slb_config_text_origin(const struct slb_config_text *t, unsigned line,
				const char **file)
{
	const struct span *s = NULL;

	for (size_t i = 0; line && i < t->n_spans && t->spans[i].first < line; i++)
		s = &t->spans[i];
	*file = t->files[s ? s->file : 0];
	return s ? s->from + (line - 1 - s->first) : line;
}

void slb_config_text_free(struct slb_config_text *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_files; i++)
		free(t->files[i]);
	free(t->files);
	free(t->spans);
	free(t->buf);
	free(t);
}

const config_setting_t *slb_config_unknown_key(const config_setting_t *g,
					       const char *const *known, char *list,
					       size_t len)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *const *k = known;

		while (*k && strcmp(*k, config_setting_name(s)))
			k++;
		if (*k)
			continue;
		list[0] = 0;
		for (k = known; *k; k++)
			snprintf(list + strlen(list), len - strlen(list), "%s%s",
				 k == known ? "" : ", ", *k);
		return s;
	}
	return NULL;
}
