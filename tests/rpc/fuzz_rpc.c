/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the control socket: an input is what a client
 * sends. It goes twice through siplbd's methods on its model
 * (siplbd_fixture.h), each time from the same starting state (fresh maps):
 *  - line by line into slb_rpc_dispatch, as docs/siplbctl.md frames it
 *    (newline-delimited, a trailing CR dropped, lines of only spaces, tabs
 *    and CRs skipped, the last line may end with the stream);
 *  - as bytes through a real connection to the server.
 * Every response must be one line of JSON-RPC 2.0 (an object with
 * "jsonrpc", "id", and either "result" or an error with code, message and
 * reason), and the two runs must answer the same bytes. ASan/UBSan catch
 * bad memory; a broken rule aborts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "siplbd_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct siplbd_fixture fx;
static struct slb_rpc_registry *reg;
static struct slb_rpc_server *srv;
static char dir[64], sock[108], conf[128];

struct buf {
	char *p;
	size_t len, cap;
};

static void append(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz_rpc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- the starting state ----------------------------------------------------------- */

/* Three pools (one empty), two VIPs, two rules; a small table and few
 * rule counters, so that backend.add and rule.add reach their limits; a
 * small rules map, made afresh at each reset (the default 8 MiB halves
 * the runs per second). */
static const char config[] =
	"maglev = { table_size = 7; capacity = 28; };\n"
	"rule_maps = { capacity = 65536; counters = 4; };\n"
	"dsr = { source = \"192.0.2.1\"; };\n"
	"vips = (\n"
	"  { name = \"sip\"; address = \"192.0.2.100\"; port = 5060; pool = \"core\";\n"
	"    rules = ( { match = { user_agent = { regex = \"scanner\" }; }; action = \"drop\"; },\n"
	"      { match = { method = \"REGISTER\"; }; action = \"pool core\"; hash = \"to-user\"; } ); },\n"
	"  { name = \"edge\"; address = \"192.0.2.101\"; port = 5060; mode = \"dsr\";\n"
	"    pool = \"edge\"; }\n"
	");\n"
	"pools = (\n"
	"  { name = \"core\"; seed = \"0x1\"; backends = (\n"
	"      { address = \"192.0.2.21\"; port = 5060; weight = 50; },\n"
	"      { address = \"192.0.2.22\"; port = 5060; weight = 30; },\n"
	"      { address = \"192.0.2.23\"; port = 5062; weight = 0; }); },\n"
	"  { name = \"edge\"; backends = ({ address = \"198.51.100.10\"; port = 5060; weight = 10; }); },\n"
	"  { name = \"empty\"; }\n"
	");\n";

/* The start state again, and siplbd's uptime from now: status answers
 * the same by dispatch and by socket unless one run takes a second. */
static void reset_model(void)
{
	if (siplbd_fixture_reset(&fx))
		die("reset failed");
	fx.rpc.started_ns = siplbd_now_ns();
}

/* ---- the rules every response keeps ---------------------------------------------------- */

static void check_error(json_object *e)
{
	static const int codes[] = {-32700, -32600, -32601, -32602, -32603, -32001, -32002,
				    -32003, -32004, -32005, -32006};
	json_object *code, *msg, *data, *reason;
	bool known = false;

	if (!json_object_object_get_ex(e, "code", &code) || !json_object_is_type(code, json_type_int) ||
	    !json_object_object_get_ex(e, "message", &msg) ||
	    !json_object_is_type(msg, json_type_string) ||
	    !json_object_object_get_ex(e, "data", &data) ||
	    !json_object_object_get_ex(data, "reason", &reason) ||
	    !json_object_is_type(reason, json_type_string) || !*json_object_get_string(reason))
		die("error without code, message or reason: %s", json_object_to_json_string(e));
	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++)
		known |= json_object_get_int(code) == codes[i];
	if (!known)
		die("unknown error code: %s", json_object_to_json_string(e));
}

static void check_response(json_object *r)
{
	json_object *v, *e;
	bool has_result = json_object_object_get_ex(r, "result", NULL);
	bool has_error = json_object_object_get_ex(r, "error", &e);

	if (!json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "jsonrpc", &v) ||
	    strcmp(json_object_get_string(v), "2.0") || !json_object_object_get_ex(r, "id", NULL) ||
	    has_result == has_error || json_object_object_length(r) != 3)
		die("not a JSON-RPC 2.0 response: %s", json_object_to_json_string(r));
	if (has_error)
		check_error(e);
}

/* As a strict client would read it: valid UTF-8, nothing after the value. */
static json_object *strict_parse(const char *line, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o)
		die("an answer that is not strict JSON (%s): %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)), line);
	json_tokener_free(tok);
	return o;
}

/* One answer line: valid JSON, one response or a non-empty batch of them. */
static void check_line(const char *line, size_t len)
{
	json_object *o;

	if (!len || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		die("an answer is not one line: %.*s", (int)len, line);
	o = strict_parse(line, len);
	if (json_object_is_type(o, json_type_array)) {
		if (!json_object_array_length(o))
			die("an empty batch answer");
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_response(json_object_array_get_idx(o, i));
	} else {
		check_response(o);
	}
	json_object_put(o);
}

/* ---- path 1: the dispatcher, line by line ----------------------------------------------- */

static bool blank(const char *p, size_t n)
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return n == 0;
}

static void dispatch_line(const char *p, size_t n, struct buf *out)
{
	json_object *res;
	char *line;
	size_t len;

	if (n && p[n - 1] == '\r')
		n--;
	if (blank(p, n))
		return;
	res = slb_rpc_dispatch(reg, NULL, p, n);
	if (!res)
		return;
	line = slb_rpc_to_line(res, &len);
	append(out, line, len);
	free(line);
	json_object_put(res);
}

static void by_dispatch(const char *data, size_t size, struct buf *out)
{
	const char *p = data, *end = data + size, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		dispatch_line(p, nl ? (size_t)(nl - p) : (size_t)(end - p), out);
		p = nl ? nl + 1 : end;
	}
}

/* ---- path 2: the server, through a socket ------------------------------------------------- */

static void serve(void)
{
	char err[256];

	if (slb_rpc_server_process(srv, err, sizeof(err)))
		die("%s", err);
}

static int dial(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect: %s", strerror(errno));
	return fd;
}

/* Writes the input, then its end; reads answers until the server closes. */
static void by_socket(const uint8_t *data, size_t size, struct buf *out)
{
	int fd = dial();
	size_t sent = 0;
	bool shut = false;
	char chunk[65536];

	for (int rounds = 0; rounds < 100000; rounds++) {
		ssize_t n;

		if (sent < size && (n = send(fd, data + sent, size - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		if (sent == size && !shut)
			shut = !shutdown(fd, SHUT_WR);
		serve();
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n > 0)
			append(out, chunk, (size_t)n);
		else if (n == 0)
			break;
		else if (errno != EAGAIN)
			die("recv: %s", strerror(errno));
		else
			poll((struct pollfd[]){{.fd = slb_rpc_server_fd(srv), .events = POLLIN},
					       {.fd = fd, .events = POLLIN}}, 2, 1);
	}
	close(fd);
	serve(); /* the server sees the close: no client left over */
	if (slb_rpc_server_clients(srv))
		die("a client left over");
}

/* ---- libFuzzer ---------------------------------------------------------------------------- */

/* libFuzzer ends with exit(): the socket file and its directory go. */
static void cleanup(void)
{
	slb_rpc_server_close(srv);
	siplbd_fixture_stop(&fx);
	unlink(conf);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct slb_rpc_server_config cfg = {.path = sock, .max_request = 1 << 20};
	char err[256];
	FILE *f;
	int rc;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/siplb-fuzz-rpc-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(conf, sizeof(conf), "%s/fuzz.conf", dir);
	f = fopen(conf, "w");
	if (!f || fputs(config, f) < 0 || fclose(f))
		die("%s: %s", conf, strerror(errno));
	rc = siplbd_fixture_start(&fx, conf);
	if (rc == 77) { /* not root: nothing to fuzz (run_fuzz.sh says so) */
		unlink(conf);
		rmdir(dir);
		exit(77);
	}
	if (rc)
		die("the model did not start");
	reg = fx.rpc.registry;
	srv = slb_rpc_server_open(&cfg, reg, err, sizeof(err));
	if (!srv)
		die("%s", err);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf direct = {0}, wire = {0};
	char *line;

	reset_model();
	by_dispatch((const char *)data, size, &direct);
	reset_model();
	by_socket(data, size, &wire);
	if (direct.len != wire.len || (direct.len && memcmp(direct.p, wire.p, direct.len)))
		die("the dispatcher and the socket answered differently:\n%.*s\n---\n%.*s",
		    (int)direct.len, direct.p, (int)wire.len, wire.p);
	for (size_t off = 0, n; off < direct.len; off += n) {
		n = (size_t)((char *)memchr(direct.p + off, '\n', direct.len - off) - direct.p) + 1 - off;
		line = strndup(direct.p + off, n);
		check_line(line, n);
		free(line);
	}
	free(direct.p);
	free(wire.p);
	return 0;
}
