/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-parse FILE...: runs the scanner on raw datagrams (one per file) and
 * prints one JSON object per file. Exit status 1 when any file is invalid or
 * unreadable (reasons on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/sip_scan.h"
#include "siplb_version.h"

static const char usage[] =
	"usage: siplb-parse [--path PATH] FILE...\n"
	"       siplb-parse --version\n"
	"Parses each FILE as one raw SIP datagram and prints a JSON object per file.\n"
	"PATH, the scanner's: " SLB_SIP_PATH_NAMES " (default auto).\n";

static json_object *span_str(const uint8_t *buf, struct slb_span s)
{
	return json_object_new_string_len((const char *)buf + s.off, s.len);
}

static void add_span(json_object *o, const char *key, const uint8_t *buf, struct slb_span s)
{
	json_object_object_add(o, key, s.len ? span_str(buf, s) : NULL);
}

static json_object *describe(const char *file, const uint8_t *buf, const struct slb_sip_msg *m)
{
	static const char *const kinds[] = { NULL, "request", "response", "keepalive" };
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "valid", json_object_new_boolean(m->reason == SLB_SIP_OK));
	if (m->reason != SLB_SIP_OK)
		json_object_object_add(o, "reason",
				       json_object_new_string(slb_sip_reason_name(m->reason)));
	if (kinds[m->kind])
		json_object_object_add(o, "kind", json_object_new_string(kinds[m->kind]));
	if (m->kind == SLB_SIP_KIND_KEEPALIVE)
		json_object_object_add(o, "keepalive", json_object_new_boolean(1));
	if (m->reason != SLB_SIP_OK)
		return o;
	if (m->kind == SLB_SIP_KIND_REQUEST) {
		add_span(o, "method", buf, m->method_tok);
		add_span(o, "request_uri", buf, m->ruri);
	} else {
		json_object_object_add(o, "status", json_object_new_int(m->status));
		add_span(o, "reason_phrase", buf, m->status_reason);
	}
	add_span(o, "call_id", buf, m->call_id);
	add_span(o, "via_branch", buf, m->via.branch);
	add_span(o, "via_sent_by", buf, (struct slb_span){
		m->via.host.off,
		(uint16_t)(m->via.port_tok.len ? m->via.port_tok.off + m->via.port_tok.len -
						 m->via.host.off : m->via.host.len) });
	json_object_object_add(o, "cseq", m->has_cseq ? json_object_new_int64(m->cseq) : NULL);
	add_span(o, "cseq_method", buf, m->cseq_method_tok);
	json_object_object_add(o, "content_length", m->content_length >= 0 ?
			       json_object_new_int(m->content_length) : NULL);
	json_object_object_add(o, "max_forwards", m->max_forwards >= 0 ?
			       json_object_new_int(m->max_forwards) : NULL);
	add_span(o, "to_tag", buf, m->to_tag);
	add_span(o, "from_tag", buf, m->from_tag);
	add_span(o, "route", buf, m->route);
	json_object_object_add(o, "contact", json_object_new_boolean(m->has_contact));
	json_object_object_add(o, "body_length", json_object_new_int(m->body_len));
	return o;
}

/* Reads a whole file; NULL with errno (EFBIG when over a datagram). */
static uint8_t *read_datagram(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(SLB_SIP_MAX_LEN + 1);

	if (!f || !buf) {
		int e = errno;
		free(buf);
		if (f)
			fclose(f);
		errno = e;
		return NULL;
	}
	*len = fread(buf, 1, SLB_SIP_MAX_LEN + 1, f);
	int failed = ferror(f);
	fclose(f);
	if (failed || *len > SLB_SIP_MAX_LEN) {
		free(buf);
		errno = failed ? EIO : EFBIG;
		return NULL;
	}
	return buf;
}

int main(int argc, char **argv)
{
	enum slb_sip_path path = SLB_SIP_PATH_AUTO;
	int first = 1, bad = 0;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("siplb-parse %s\n", SLB_VERSION);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "--path") == 0) {
		path = slb_sip_path_by_name(argv[2]);
		if (path == SLB_SIP_PATH_COUNT || !slb_sip_path_supported(path)) {
			fprintf(stderr, "siplb-parse: path '%s' unknown or not supported here\n",
				argv[2]);
			return 2;
		}
		first = 3;
	}
	if (first >= argc || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, first >= argc ? stderr : stdout);
		return first >= argc ? 2 : 0;
	}
	for (int i = first; i < argc; i++) {
		struct slb_sip_msg msg;
		size_t len;
		uint8_t *buf = read_datagram(argv[i], &len);

		if (!buf) {
			fprintf(stderr, "siplb-parse: %s: %s\n", argv[i],
				errno == EFBIG ? "larger than a UDP datagram (65535 bytes)"
					       : strerror(errno));
			bad = 1;
			continue;
		}
		slb_sip_scan_with(path, buf, len, &msg);
		if (msg.reason != SLB_SIP_OK) {
			fprintf(stderr, "siplb-parse: %s: %s\n", argv[i],
				slb_sip_reason_name(msg.reason));
			bad = 1;
		}
		json_object *o = describe(argv[i], buf, &msg);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		free(buf);
	}
	return bad;
}
