/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration parser: every configs/bad-*.conf fails with the
 * "FILE:LINE: reason" its first line announces ("# expect: LINE: reason"),
 * every good-*.conf loads; good-full.conf, good-dsr.conf, good-srv.conf and
 * good-minimal.conf are checked field by field, and the state.h limits on
 * generated files.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "siplb/config.h"
#include "siplb/maglev.h"

/* docs/config.md: a configuration has at most 1 MiB, with its includes. */
#define MAX_BYTES (1 << 20)

/* Every failure is reported, not only the first. */
#include "check.h"

/* "# expect: LINE: reason" on the first line of a bad file. */
static void check_bad(const char *path)
{
	char first[512], reason[512], prefix[PATH_MAX + 32], err[1024];
	struct slb_config c;
	unsigned line;
	FILE *f = fopen(path, "r");

	if (!f || !fgets(first, sizeof(first), f) ||
	    sscanf(first, "# expect: %u: %511[^\n]", &line, reason) != 2) {
		CHECK(0, "%s: no \"# expect: LINE: reason\" first line", path);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (!slb_config_load(path, &c, err, sizeof(err))) {
		CHECK(0, "%s loaded, expected %s%s", path, prefix, reason);
		slb_config_free(&c);
		return;
	}
	CHECK(!strncmp(err, prefix, strlen(prefix)) && strstr(err + strlen(prefix), reason),
	      "got    \"%s\"\n  expected \"%s...%s...\"", err, prefix, reason);
	CHECK(!c.pools && !c.vips && !c.ports && !c.n_pools, "%s: not left empty", path);
}

static void check_good(const char *path)
{
	struct slb_config c;
	char err[1024];

	CHECK(!slb_config_load(path, &c, err, sizeof(err)), "%s: %s", path, err);
	slb_config_free(&c);
}

/* Every bad-*.conf and good-*.conf of dir; returns how many there were. */
static int check_dir(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), seen = 0;
	char path[PATH_MAX];

	CHECK(n > 0, "%s: no files", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (len > 5 && !strcmp(name + len - 5, ".conf")) {
			if (!strncmp(name, "bad-", 4))
				check_bad(path), seen++;
			else if (!strncmp(name, "good-", 5))
				check_good(path), seen++;
		}
		free(ents[i]);
	}
	free(n > 0 ? ents : NULL);
	return seen;
}

/* dir/name into c: false (and a failure) if it does not load. */
static bool load_file(const char *dir, const char *name, struct slb_config *c)
{
	char path[PATH_MAX], err[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!slb_config_load(path, c, err, sizeof(err)))
		return true;
	CHECK(0, "%s", err);
	return false;
}

/* good-full.conf's probing and passive: pool core has them, edge not. */
static void check_full_health(const struct slb_config *c)
{
	const struct slb_health_config *h = &c->pools[0].health;
	const struct slb_passive_config *pc = &c->pools[0].passive_cfg;

	CHECK(c->pools[0].probing && h->interval_ms == 2000 && h->timeout_ms == 500 &&
	      h->rise == 3 && h->fall == 2 && !strcmp(h->from_uri, "sip:siplb@lb1.example.net"),
	      "probing");
	CHECK(slb_health_code_alive(h, 200) && slb_health_code_alive(h, 299) &&
	      slb_health_code_alive(h, 404) && !slb_health_code_alive(h, 405) &&
	      !slb_health_code_alive(h, 503), "reply_codes 2xx,404");
	CHECK(h->source4.sin_addr.s_addr == 0, "no probing source: the route's");
	CHECK(c->pools[0].passive && pc->silence_ms == 2500 && pc->min_requests == 10 &&
	      pc->window_ms == 20000 && pc->min_finals == 30 && pc->max_503_pct == 40, "passive");
	CHECK(!c->pools[1].probing && !c->pools[1].passive && !c->pools[1].srv.name[0],
	      "edge: static, not checked");
}

static void check_full(const char *dir)
{
	struct slb_config c;

	if (!load_file(dir, "good-full.conf", &c))
		return;
	CHECK(!strcmp(c.bpffs, "/sys/fs/bpf/siplb-test"), "bpffs %s", c.bpffs);
	CHECK(c.branch_seed == 0x5eedc0de, "branch_seed %llx", (unsigned long long)c.branch_seed);
	CHECK(c.table_size == 251 && c.capacity == 1000, "maglev %u %u", c.table_size, c.capacity);
	CHECK(c.n_ports == 2 && !strcmp(c.ports[1].name, "0000:01:00.0") &&
	      !strcmp(c.ports[1].iface, "ens1f0") && c.ports[1].addr == ip("198.51.100.1") &&
	      c.ports[1].prefix == 25, "ports");
	CHECK(c.n_vips == 3, "%u vips", c.n_vips);
	CHECK(!strcmp(c.vips[0].name, "sip") && c.vips[0].a.v4 == ip("192.0.2.100") &&
	      c.vips[0].a.family == AF_INET && c.vips[0].a.port == 5060 &&
	      c.vips[0].mode == SLB_MODE_PROXY && c.vips[0].pool == 0 && c.vips[0].record_route &&
	      c.vips[0].rate == 20000 && c.vips[0].burst == 2000, "vip 0");
	CHECK(c.vips[1].mode == SLB_MODE_DSR && c.vips[1].pool == 1 && c.vips[1].a.port == 5080 &&
	      !c.vips[1].record_route, "vip 1");
	CHECK(c.vips[2].mode == SLB_MODE_PROXY && c.vips[2].record_route, "vip 2 defaults");
	CHECK(c.n_pools == 3 && c.pools[0].seed == 1 &&
	      c.pools[1].seed == 12345678901234567890ULL && c.pools[2].seed == 0 &&
	      c.pools[2].n_backends == 0, "pools");
	CHECK(c.pools[0].n_backends == 3 && c.pools[0].backends[1].a.v4 == ip("192.0.2.22") &&
	      c.pools[0].backends[1].weight == 30 && c.pools[0].backends[1].priority == 1 &&
	      c.pools[0].backends[2].a.port == 5062 && c.pools[0].backends[2].priority == 0, "core");
	CHECK(c.pools[1].backends[0].weight == 65535 && c.pools[1].backends[1].weight == 0, "edge");
	CHECK(slb_config_n_backends(&c) == 5, "%u backends", slb_config_n_backends(&c));
	CHECK(c.dsr.src4.family == AF_INET && c.dsr.src4.v4 == ip("192.0.2.1") &&
	      c.dsr.src6.family == AF_INET6 && ip6_is(c.dsr.src6.v6, "2001:db8::1") &&
	      c.dsr.encap == SLB_ENCAP_IPIP && c.dsr.gue_port == 6080, "dsr");
	CHECK(c.flood.source_rate == 100 && c.flood.source_burst == 50 &&
	      c.flood.n_blocklist == 2 && c.flood.blocklist[0].family == AF_INET &&
	      c.flood.blocklist[0].len == 24 && !memcmp(c.flood.blocklist[0].addr,
							"\xcb\x00\x71\x00", 4) &&
	      c.flood.blocklist[1].family == AF_INET6 && c.flood.blocklist[1].len == 48 &&
	      ip6_is(c.flood.blocklist[1].addr, "2001:db8:bad::"), "flood");
	CHECK(c.xdp.n_ifaces == 0 && !c.xdp.generic, "no xdp group");
	check_full_health(&c);
	CHECK(!strcmp(c.control.socket, "/run/siplb-test/siplbd.sock") && c.control.mode == 0660 &&
	      c.control.n_allow_uids == 2 && c.control.allow_uids[1] == 1001, "control");
	CHECK(!strcmp(c.metrics.address, "127.0.0.1") && c.metrics.port == 9467, "metrics");
	slb_config_free(&c);
}

/* good-dsr.conf: IPv6 DSR, the xdp group, blocklist entries of both kinds. */
static void check_dsr(const char *dir)
{
	struct slb_config c;
	const struct slb_config_prefix *b;

	if (!load_file(dir, "good-dsr.conf", &c))
		return;
	CHECK(c.n_vips == 3 && c.vips[2].a.family == AF_INET6 &&
	      ip6_is(c.vips[2].a.v6, "2001:db8::101") && c.vips[2].mode == SLB_MODE_DSR &&
	      c.vips[2].rate == 5000 && c.vips[2].burst == 0, "vip dsr6");
	CHECK(c.vips[1].a.family == AF_INET && c.vips[1].rate == 0, "vip dsr4");
	CHECK(c.pools[2].n_backends == 2 && c.pools[2].backends[1].a.family == AF_INET6 &&
	      ip6_is(c.pools[2].backends[1].a.v6, "2001:db8:1::11") &&
	      c.pools[2].backends[1].a.port == 5062, "pool edge6");
	CHECK(c.pools[3].backends[0].a.family == AF_INET6, "a pool no VIP uses may be IPv6");
	CHECK(c.dsr.encap == SLB_ENCAP_GUE && c.dsr.gue_port == 6081, "dsr gue");
	CHECK(c.xdp.n_ifaces == 2 && !strcmp(c.xdp.ifaces[0], "veth-lb0") &&
	      !strcmp(c.xdp.ifaces[1], "veth-lb1") && c.xdp.generic, "xdp");
	CHECK(c.flood.n_blocklist == 5, "%u prefixes", c.flood.n_blocklist);
	b = c.flood.blocklist;
	CHECK(b[2].family == AF_INET && b[2].len == 32 && b[3].family == AF_INET6 &&
	      b[3].len == 0 && b[4].len == 128 && ip6_is(b[4].addr, "2001:db8:bad:1::7"),
	      "single addresses are /32 and /128, ::/0 is a prefix");
	slb_config_free(&c);
}

/* good-srv.conf: SRV pools, their resolvers and DNS settings, probe sources. */
static void check_srv(const char *dir)
{
	struct slb_config c;
	const struct slb_srv_config *core, *edge6;

	if (!load_file(dir, "good-srv.conf", &c))
		return;
	core = &c.pools[0].srv;
	edge6 = &c.pools[1].srv;
	CHECK(!strcmp(core->name, "_sip._udp.example.net") && c.pools[0].n_backends == 0 &&
	      core->n_resolvers == 2 && core->resolvers[0].port == 53 &&
	      core->resolvers[1].family == AF_INET6 && core->resolvers[1].port == 5353 &&
	      ip6_is(core->resolvers[1].v6, "::1"), "core: the file's resolvers");
	CHECK(core->ipv4 && !core->ipv6 && edge6->ipv6 && !edge6->ipv4 &&
	      c.pools[2].srv.ipv4 && !c.pools[2].srv.ipv6,
	      "A or AAAA by the VIPs' family, A for a pool no VIP uses");
	CHECK(core->ttl_floor_ms == 1000 && core->ttl_ceiling_ms == 3600000 &&
	      core->retry_min_ms == 1000 && core->query_tries == 2, "dns defaults");
	CHECK(edge6->n_resolvers == 1 && !memcmp(edge6->resolvers[0].v6, "\xc0\x00\x02\x35", 4) &&
	      edge6->ttl_floor_ms == 2000 && edge6->ttl_ceiling_ms == 600000 &&
	      edge6->retry_min_ms == 500 && edge6->retry_max_ms == 30000 &&
	      edge6->query_timeout_ms == 2000 && edge6->query_tries == 3, "edge6: its own dns");
	CHECK(c.pools[0].health.source4.sin_addr.s_addr == ip("192.0.2.1") &&
	      ip6_is(c.pools[0].health.source6.sin6_addr.s6_addr, "2001:db8::1") &&
	      c.pools[2].health.source4.sin_addr.s_addr == ip("192.0.2.1") &&
	      c.pools[0].health.interval_ms == 500 && c.pools[2].health.interval_ms == 5000,
	      "probe sources");
	slb_config_free(&c);
}

static void check_defaults(const char *dir)
{
	struct slb_config c;

	if (!load_file(dir, "good-minimal.conf", &c))
		return;
	CHECK(!strcmp(c.bpffs, SLB_CONFIG_DEFAULT_BPFFS), "bpffs %s", c.bpffs);
	CHECK(c.branch_seed == 0 && c.table_size == SLB_MAGLEV_DEFAULT_SIZE &&
	      c.capacity == SLB_CONFIG_DEFAULT_CAPACITY && c.n_ports == 0, "defaults");
	CHECK(c.vips[0].mode == SLB_MODE_PROXY && c.vips[0].record_route, "vip defaults");
	CHECK(c.pools[0].seed == 0 && c.pools[0].backends[0].priority == 0, "pool defaults");
	CHECK(c.vips[0].rate == 0 && c.vips[0].burst == 0 && !c.dsr.src4.family &&
	      !c.dsr.src6.family && c.dsr.encap == SLB_ENCAP_IPIP &&
	      c.dsr.gue_port == SLB_CONFIG_DEFAULT_GUE_PORT && c.xdp.n_ifaces == 0 &&
	      !c.xdp.generic && c.flood.source_rate == 0 && c.flood.n_blocklist == 0,
	      "dsr, xdp and flood defaults");
	CHECK(!c.pools[0].probing && !c.pools[0].passive && !c.pools[0].srv.name[0] &&
	      c.pools[0].health.interval_ms == 5000 && c.pools[0].passive_cfg.silence_ms == 5000,
	      "no health checks, library defaults in place");
	CHECK(!strcmp(c.control.socket, SLB_CONFIG_DEFAULT_SOCKET) && c.control.mode == 0 &&
	      c.control.n_allow_uids == 0 && !strcmp(c.metrics.address, "127.0.0.1") &&
	      c.metrics.port == 9466, "control and metrics defaults");
	slb_config_free(&c);
}

/* A file of n_vips VIPs and n_pools pools of per_pool backends each. */
static void write_config(const char *path, int n_vips, int n_pools, int per_pool)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "maglev = { table_size = 1031; capacity = 1000000; };\nvips = (\n");
	for (int i = 0; i < n_vips; i++)
		fprintf(f, "%s{ name = \"v%d\"; address = \"192.0.2.%d\"; port = %d; pool = \"p0\"; }\n",
			i ? "," : "", i, 1 + i % 250, 5060 + i);
	fprintf(f, ");\npools = (\n");
	for (int p = 0; p < n_pools; p++) {
		fprintf(f, "%s{ name = \"p%d\"; backends = (\n", p ? "," : "", p);
		for (int b = 0; b < per_pool; b++)
			fprintf(f, "%s{ address = \"198.51.%d.%d\"; port = %d; weight = 1; }\n",
				b ? "," : "", p, 1 + b % 250, 5060 + b);
		fprintf(f, "); }\n");
	}
	fprintf(f, ");\n");
	fclose(f);
}

/* Loads a generated file; NULL reason: must load, else must fail with it. */
static void check_generated(const char *path, int n_vips, int n_pools, int per_pool,
			    const char *reason)
{
	struct slb_config c;
	char err[1024];

	write_config(path, n_vips, n_pools, per_pool);
	if (!slb_config_load(path, &c, err, sizeof(err))) {
		CHECK(!reason, "%d vips %d pools %d backends each: loaded, expected %s", n_vips,
		      n_pools, per_pool, reason);
		slb_config_free(&c);
		return;
	}
	CHECK(reason && strstr(err, reason), "%d vips %d pools %d backends each: %s", n_vips,
	      n_pools, per_pool, err);
}

static void check_limits(void)
{
	char dir[] = "/tmp/slb-test-config-XXXXXX", path[64];

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %m");
		return;
	}
	snprintf(path, sizeof(path), "%s/limits.conf", dir);
	check_generated(path, SLB_MAX_VIPS, SLB_MAX_POOLS, SLB_MAX_BACKENDS / SLB_MAX_POOLS, NULL);
	check_generated(path, SLB_MAX_VIPS + 1, 1, 1, "'vips' has 65 entries, at most 64");
	check_generated(path, 1, SLB_MAX_POOLS + 1, 0, "'pools' has 65 entries, at most 64");
	check_generated(path, 1, 2, SLB_MAX_BACKENDS / 2 + 1,
			"'pools[1].backends': more than 1024 backends over all pools");
	unlink(path);
	rmdir(dir);
}

static void check_unreadable(void)
{
	struct slb_config c;
	char err[1024];

	CHECK(slb_config_load("/nonexistent/siplb.conf", &c, err, sizeof(err)) &&
	      !strcmp(err, "/nonexistent/siplb.conf: cannot read: No such file or directory"),
	      "%s", err);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && !fclose(f), "%s: %m", path);
}

/* dir/name (or name, if absolute) fails with a reason containing want;
 * want NULL: it loads. */
static void expect_load(const char *dir, const char *name, const char *want)
{
	char path[PATH_MAX], err[1024] = "";
	struct slb_config c;
	int rc;

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = slb_config_load(path, &c, err, sizeof(err));
	if (!rc)
		slb_config_free(&c);
	if (!want)
		CHECK(!rc, "%s: %s", path, err);
	else
		CHECK(rc && strstr(err, want), "%s: got \"%s\", expected \"...%s...\"", path,
		      rc ? err : "loaded", want);
}

/* Only regular files are read, never blocking, at most MAX_BYTES:
 * libconfig reading itself blocked on a FIFO and exited on /proc/self/mem. */
static void check_not_regular(const char *dir)
{
	char path[PATH_MAX], want[PATH_MAX + 64];
	int fd;

	expect_load(dir, "/proc/self/mem", "/proc/self/mem: cannot read: Input/output error");
	/* size 0, 5 MB of text: the limit holds for what is read too */
	if (!access("/proc/kallsyms", R_OK))
		expect_load(dir, "/proc/kallsyms", "/proc/kallsyms: more than 1048576 bytes");
	expect_load(dir, "/dev/zero", "/dev/zero: a character device: a configuration is "
		    "read only from a regular file");
	expect_load(dir, "/", "/: a directory");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(!mkfifo(path, 0600), "mkfifo: %m");
	expect_load(dir, "fifo", "fifo: a FIFO: a configuration is read only from a regular file");
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 100 << 20) && !close(fd), "%s: %m", path);
	expect_load(dir, "big.conf", "big.conf: 104857600 bytes: a configuration (with its "
		    "includes) has at most 1048576 bytes");
	CHECK(!truncate(path, MAX_BYTES + 1), "%s: %m", path);
	expect_load(dir, "big.conf", "big.conf: 1048577 bytes");
	CHECK(!truncate(path, MAX_BYTES - 10), "%s: %m", path);
	put(dir, "inc-big.conf", "# more than 10 bytes\n@include \"big.conf\"\n");
	expect_load(dir, "inc-big.conf", "inc-big.conf:2: @include \"big.conf\": ");
	expect_load(dir, "inc-big.conf", "big.conf: 1048566 bytes: a configuration (with its "
		    "includes) has at most 1048576 bytes");
	put(dir, "nul.conf", "bpffs = \"/x\";\n# a NUL: \\0 \n");
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "", 1, 22) == 1 && !close(fd), "%s: %m", path);
	expect_load(dir, "nul.conf", "nul.conf:2: a NUL byte: a configuration is text");
	put(dir, "good.conf", "bpffs = \"/sys/fs/bpf/x\";\n");
	snprintf(path, sizeof(path), "%s/link.conf", dir);
	CHECK(!symlink("good.conf", path), "symlink: %m");
	expect_load(dir, "link.conf", NULL);
	snprintf(want, sizeof(want), "inc-fifo.conf:2: @include \"fifo\": %s/fifo: a FIFO", dir);
	put(dir, "inc-fifo.conf", "# includes get the same checks\n@include \"fifo\"\n");
	expect_load(dir, "inc-fifo.conf", want);
	put(dir, "inc-mem.conf", "  @include \"/proc/self/mem\" # absolute\n");
	expect_load(dir, "inc-mem.conf", "inc-mem.conf:1: @include \"/proc/self/mem\": "
		    "/proc/self/mem: cannot read: Input/output error");
}

/* Read by siplb, @includes keep their FILE:LINE and libconfig's rules:
 * only at the start of a line outside comments and strings. Written in
 * order: a file includes only those above it. want NULL: it loads. */
static void check_includes(const char *dir)
{
	static const struct {
		const char *name, *text, *want;
	} files[] = {
		{"pools.inc", "# 1\npools = ( { name = \"p\";\n  backends = 7; } );\n", NULL},
		{"inc-error.conf", "# 1\n@include \"pools.inc\"\n",
		 "/pools.inc:3: 'pools[0].backends' must be a list"},
		{"ok.inc", "# 1\n\n", NULL},
		{"inc-after.conf", "@include \"ok.inc\" // ok\n\n/* 3 */ colour = 1;\n",
		 "inc-after.conf:3: unknown setting 'colour'"},
		{"syntax.inc", "a = ;\n", NULL},
		{"inc-syntax.conf", "\n\n@include \"syntax.inc\"\n", "/syntax.inc:1: syntax error"},
		{"inc-quiet.conf", "/* off for now:\n@include \"fifo\"\n*/ bpffs = \"/x\\\"\n"
		 "@include \\\"fifo\\\"\n\"; # @include \"fifo\"\n", NULL},
		{"inc-two.conf", "@include \"ok.inc\" @include \"ok.inc\"\n",
		 "inc-two.conf:1: one @include per line"},
		{"loop.conf", "@include \"loop.conf\"\n", "includes nested deeper than 10 (a loop?)"},
		{"inc-name.conf", "@include \"a\\b\"\n",
		 "inc-name.conf:1: @include: a file name in quotes"},
		{"open.inc", "x = 1;\n/* open\n", NULL},
		{"inc-open.conf", "@include \"open.inc\"\n",
		 "/open.inc:2: a /* comment left open at the end of an @included file"},
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		put(dir, files[i].name, files[i].text);
		if (strstr(files[i].name, ".conf"))
			expect_load(dir, files[i].name, files[i].want);
	}
}

static void check_files(void)
{
	char dir[] = "/tmp/slb-test-config-XXXXXX", cmd[64];

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %m");
		return;
	}
	alarm(20); /* a read that blocks is a failure, not a hang */
	check_not_regular(dir);
	check_includes(dir);
	alarm(0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(!system(cmd), "%s", cmd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIGS_DIR\n", argv[0]);
		return 2;
	}
	int files = check_dir(argv[1]);

	check_full(argv[1]);
	check_dsr(argv[1]);
	check_srv(argv[1]);
	check_defaults(argv[1]);
	check_limits();
	check_unreadable();
	check_files();
	printf("%d config files, limits, defaults: %s\n", files, check_failures ? "FAIL" : "ok");
	return check_failures ? 1 : 0;
}
