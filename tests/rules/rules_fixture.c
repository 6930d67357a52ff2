/* SPDX-License-Identifier: BSD-3-Clause */
/* The shared rules of the tests (rules_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siplb/rules_compile.h"
#include "rules_fixture.h"

static const char fixture_conf[] =
	"pools = ( { name = \"core\"; }, { name = \"emergency\"; }, { name = \"registrars\"; },\n"
	"  { name = \"trunk\"; }, { name = \"acme\"; } );\n"
	"vips = ( { name = \"sip\"; address = \"192.0.2.100\"; port = 5060; pool = \"core\";\n"
	"  rules = (\n"
	"    { match = { user_agent = { regex = \"friendly-scanner|sipvicious|sipcli\"; }; };\n"
	"      action = \"drop\"; },\n"
	"    { match = { method = \"INVITE\"; ruri_user = { prefix = \"112\"; }; };\n"
	"      action = \"pool emergency\"; },\n"
	"    { match = { method = \"REGISTER\"; ruri_host = \"reg.example.com\"; };\n"
	"      action = \"pool registrars\"; hash = \"to-user\"; },\n"
	"    { match = { source = \"203.0.113.0/24\"; }; action = \"pool trunk\"; },\n"
	"    { match = { header = { name = \"X-Tenant\"; exact = \"acme\"; }; };\n"
	"      action = \"pool acme\"; },\n"
	"    { match = { method = \"REGISTER\"; };\n"
	"      rate = { limit = 50; burst = 100; per = \"source\"; over = \"reply 503\"; }; },\n"
	"    { match = { ruri_user = { regex = \"^\\\\+?1900\"; }; };\n"
	"      action = \"reply 403 Premium numbers barred\"; },\n"
	"    { match = { from_host = \"Evil.Example\"; }; action = \"drop\"; },\n"
	"    { match = { to_user = { prefix = \"+4930\"; }; source_port = 5070; };\n"
	"      action = \"pool trunk\"; },\n"
	"    { match = { ruri = \"sip:svc@192.0.2.100\"; }; action = \"reply 404\"; },\n"
	"    { match = { from_user = { regex = \"^[0-9]{4}$\"; };\n"
	"                header = { name = \"x-tenant\"; prefix = \"ac\"; }; };\n"
	"      action = \"pool acme\"; },\n"
	"    { match = { to_host = { regex = \"example\\\\.(com|net)$\"; }; }; action = \"allow\"; },\n"
	"    { match = { header = { name = \"Subject\"; regex = \"urgent\"; }; };\n"
	"      hash = \"header:Subject\"; },\n"
	"    { match = { source = \"2001:db8::/32\"; }; action = \"drop\"; },\n"
	"    { match = { method = \"FOOBAR\"; }; action = \"reply 501\"; }\n"
	"  ); } );\n";

const char *rules_fixture_file(const char *text)
{
	static char path[] = "/tmp/siplb-rules-XXXXXX";
	int fd;

	strcpy(path, "/tmp/siplb-rules-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("rules fixture");
		exit(1);
	}
	close(fd);
	return path;
}

void rules_fixture_load(struct rules_fixture *f)
{
	const char *path = rules_fixture_file(fixture_conf);
	char err[512];
	size_t len;
	void *blob;

	if (slb_config_load(path, &f->config, err, sizeof(err))) {
		fprintf(stderr, "rules fixture: %s\n", err);
		exit(1);
	}
	unlink(path);
	blob = slb_rules_compile(&f->config.vips[0].rules, &len, err, sizeof(err));
	f->db = blob ? slb_rules_db_load(blob, len, err, sizeof(err)) : NULL;
	free(blob);
	if (!f->db || f->config.vips[0].rules.n != R_COUNT) {
		fprintf(stderr, "rules fixture: %s\n", f->db ? "not R_COUNT rules" : err);
		exit(1);
	}
}

void rules_fixture_free(struct rules_fixture *f)
{
	slb_rules_db_free(f->db);
	slb_config_free(&f->config);
}
