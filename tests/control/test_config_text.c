/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_text.c against libconfig itself: random files made of comments,
 * strings (over lines, with an @include inside), settings and @include
 * lines in their several spellings (and in a comment, of a missing file), each read twice: by libconfig
 * from the file (config_read_file, which opens the includes itself) and by
 * config_text.c then config_read_string. Both must accept the same files
 * with the same settings, and refuse the same ones at the same FILE:LINE.
 *
 * Where siplb is stricter on purpose, the case is left out: an @included
 * file ending inside a comment or a string (libconfig carries it on into
 * the includer its own way; siplb refuses it). Where it is more lenient:
 * a file ending in a '#' comment without a newline (libconfig: syntax
 * error; siplb ends every line), so the included files end with one.
 */
#define _GNU_SOURCE /* open_memstream */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_text.h"

#include "check.h"

#define CASES 1000

static const char *const pieces[] = {
	"k%d = 1;\n", "/* c */ ", "/*\n", "*/\n", "# c\n", "// c\n", "k%d = \"s\\\"tr\";\n",
	"k%d = \"ab\n@include \\\"a.inc\\\"\ncd\";\n", "@include \"INC\"\n",
	"  @include \"INC\" # c\n", "\n", "\t@include\t\"INC\"\n", "k%d = \"x/*\";\n",
	"k%d = \"#\"; # \"\n", "k%d = \"a\\\\\";\n", "x@include \"INC\"\n",
	"k%d = \"/*\" /* \" */;\n", "/*\n@include \"missing.inc\"\n*/\n",
	"k%d = \"ab\n@include \";\n",
};

static const struct {
	const char *name, *text;
} includes[] = {
	{"a.inc", "ia = 1;\n"},
	{"b.inc", "ib = \"x\"; // c\n"},
	{"c.inc", "/* open\n"},   /* refused by siplb */
	{"d.inc", "id = \"open\n"}, /* refused by siplb */
};

#define N_INCLUDES (sizeof(includes) / sizeof(*includes))

static void put(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	CHECK(f && fputs(text, f) >= 0 && !fclose(f), "%s: %m", name);
}

/* A random file of 1..8 pieces, each include at most once. */
static void make_file(char *doc, size_t len)
{
	unsigned used = 0;
	size_t off = 0;
	int k = 0;

	doc[0] = 0;
	for (int i = rand() % 8 + 1; i; i--) {
		const char *p = pieces[(size_t)rand() % (sizeof(pieces) / sizeof(*pieces))];
		const char *inc = strstr(p, "INC");
		unsigned j = (unsigned)rand() % N_INCLUDES;

		if (!inc) {
			off += (size_t)snprintf(doc + off, len - off, p, k++);
		} else if (!(used & (1u << j))) {
			used |= 1u << j;
			off += (size_t)snprintf(doc + off, len - off, "%.*s%s%s", (int)(inc - p), p,
						includes[j].name, inc + 3);
		}
	}
}

/* The settings as libconfig writes them back, or its error as FILE:LINE: text. */
static char *outcome(config_t *c, int ok, const struct slb_config_text *t)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	const char *file = config_error_file(c) ? config_error_file(c) : "main.conf";
	unsigned line = (unsigned)config_error_line(c);

	if (ok)
		config_write(c, f);
	else if (t)
		line = slb_config_text_origin(t, line, &file);
	if (!ok)
		fprintf(f, "%s:%u: %s", strncmp(file, "./", 2) ? file : file + 2, line,
			config_error_text(c));
	fclose(f);
	return buf;
}

/* One file both ways: false if they differ (siplb's deliberate refusals aside). */
static bool same_both_ways(const char *doc)
{
	config_t a, b;
	char err[512], *oa, *ob = NULL;
	struct slb_config_text *t;
	bool same;

	put("main.conf", doc);
	config_init(&a);
	config_init(&b);
	config_set_include_dir(&a, ".");
	oa = outcome(&a, config_read_file(&a, "main.conf"), NULL);
	t = slb_config_text_read("main.conf", err, sizeof(err));
	if (t)
		ob = outcome(&b, config_read_string(&b, slb_config_text_buf(t)), t);
	same = t ? !strcmp(oa, ob) : !!strstr(err, "left open at the end of an @included file");
	if (!same)
		fprintf(stderr, "---- libconfig: %s\n---- siplb: %s\n---- file:\n%s\n", oa,
			t ? ob : err, doc);
	free(oa);
	free(ob);
	slb_config_text_free(t);
	config_destroy(&a);
	config_destroy(&b);
	return same;
}

int main(void)
{
	char dir[] = "/tmp/slb-test-config-text-XXXXXX", doc[4096];
	int differ = 0;

	if (!mkdtemp(dir) || chdir(dir)) {
		perror(dir);
		return 1;
	}
	for (size_t i = 0; i < N_INCLUDES; i++)
		put(includes[i].name, includes[i].text);
	srand(1);
	for (int i = 0; i < CASES && differ < 5; i++) {
		make_file(doc, sizeof(doc));
		differ += !same_both_ways(doc);
	}
	CHECK(!differ, "%d files read differently", differ);
	for (size_t i = 0; i < N_INCLUDES; i++)
		unlink(includes[i].name);
	unlink("main.conf");
	CHECK(!chdir("/") && !rmdir(dir), "%s: %m", dir);
	printf("%d random files, libconfig and config_text.c: %s\n", CASES,
	       check_failures ? "FAIL" : "the same");
	return check_failures ? 1 : 0;
}
