/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_xdp_agree CORPUS_DIR [CAPTURE_DIR]: the backend the XDP fast path
 * picks for a DSR VIP is the one siplb-dp picks for the same message:
 * slb_callid_hash() of the Call-ID slb_sip_scan() finds, into the same
 * Maglev table (dataplane/sip_proxy.c's formula, xh_world_pick()).
 *
 * Messages: every valid message of the scanner corpus (*.sip, recursively;
 * at least MIN_CORPUS of them compared), every file of CAPTURE_DIR when it
 * exists (the SIPp captures), and GENERATED messages built here with the
 * Call-ID header in every form the grammar allows (name case, compact form,
 * SP/HT before the colon, folds, trailing LWS, 1..300 bytes) among other
 * headers that look like it, at every alignment. Each goes through both
 * builds of the program (the word-at-a-time search and its byte-at-a-time
 * twin), framed three ways (IPv4; 802.1Q + IPv4 options; IPv6), so the
 * payload starts at different alignments. The program's choice is read
 * from the outer destination address of its output.
 *
 * Not compared, but checked and counted: messages whose Call-ID does not
 * end inside the 1500-byte window (the program must pass them to the kernel
 * as no_callid), and frames over one page (BPF_PROG_TEST_RUN gives a
 * program without multi-buffer support only the first page).
 *
 * Exit 0 when all agree, 1 otherwise, 77 (skip) when not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include "siplb/sip_scan.h"
#include "siplb_xdp.skel.h"
#include "siplb_xdp_bytes.skel.h"
#include "xdp_harness.h"
#include "../check.h"

#define MIN_CORPUS 30
#define GENERATED 3000
#define MAX_FRAME 3500 /* one page less XDP headroom and skb_shared_info */
#define SHOW 5

struct variant {
	const char *name;
	struct xh_prog p;
};

static struct variant variants[2] = { { "words", { 0 } }, { "bytes", { 0 } } };
static struct xh_world W;

struct tally {
	const char *name;
	unsigned long messages, compared, beyond_window, too_large, invalid;
};

static unsigned long mismatches;
static int run_errors;

/* ---- one message ----------------------------------------------------------- */

static int backend_of_output(const struct xh_result *r)
{
	for (int id = 0; id < (int)W.st.n_backends; id++) {
		const struct slb_backend *b = &W.st.backends[id];

		if (r->out_len >= 14 + 20 && r->out[12] == 0x08 && r->out[13] == 0x00 &&
		    b->family == AF_INET && !memcmp(r->out + 14 + 16, &b->addr, 4))
			return id;
		if (r->out_len >= 14 + 40 && r->out[12] == 0x86 && r->out[13] == 0xdd &&
		    b->family == AF_INET6 && !memcmp(r->out + 14 + 24, b->addr6, 16))
			return id;
	}
	return -1;
}

static void show(const char *what, const uint8_t *msg, size_t len)
{
	printf("  %s: ", what);
	for (size_t i = 0; i < len && i < 160; i++)
		putchar(msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '.');
	putchar('\n');
}

/* Frames msg three ways and runs both variants on each. */
static void check_message(const char *what, const uint8_t *msg, size_t len, struct tally *t)
{
	static struct xh_result r;
	struct slb_sip_msg m;
	struct {
		unsigned vip;
		uint16_t tag;
		unsigned opts;
	} framings[3] = { { XH_VIP4_DSR, 0, 0 }, { XH_VIP4_DSR, ETH_P_8021Q, 3 },
			  { XH_VIP6_DSR, 0, 0 } };

	t->messages++;
	if (slb_sip_scan(msg, len, &m) != SLB_SIP_OK || !m.call_id.len) {
		t->invalid++;
		return;
	}
	if (len + 14 + 4 + 60 + 8 > MAX_FRAME) {
		t->too_large++;
		return;
	}
	int in_window = (size_t)m.call_id.off + m.call_id.len < SLB_XDP_CALLID_WINDOW;

	if (in_window)
		t->compared++;
	else
		t->beyond_window++;
	for (int f = 0; f < 3; f++) {
		struct xh_spec s = xh_to_vip(&W, framings[f].vip, msg, len);
		struct xh_frame fr;
		uint64_t h;
		int want = xh_world_pick(&W, framings[f].vip, msg + m.call_id.off,
					 m.call_id.len, &h);

		s.tags[0] = framings[f].tag;
		s.opt_words = framings[f].opts;
		if (xh_build(&s, &fr))
			abort();
		for (int v = 0; v < 2; v++) {
			int got, err = xh_run(&variants[v].p, fr.b, (uint32_t)fr.len, 1, &r);

			CHECK(!err, "%s: test run: %s", what, strerror(errno));
			if (err) {
				run_errors++;
				return;
			}
			got = r.retval == XDP_TX ? backend_of_output(&r) : -2;
			if (!in_window && r.retval == XDP_PASS)
				continue; /* as it must: no_callid */
			if (in_window && got == want)
				continue;
			if (mismatches++ < SHOW) {
				printf("MISMATCH %s (%s, framing %d): XDP picked %d (-2: %s), "
				       "siplb-dp %d\n", what, variants[v].name, f, got,
				       xh_action_name(r.retval), want);
				show("message", msg, len);
				show("Call-ID", msg + m.call_id.off, m.call_id.len);
			}
		}
	}
}

/* ---- files ----------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static void walk(const char *dir, int only_sip, struct tally *t)
{
	static uint8_t buf[SLB_SIP_MAX_LEN + 1];
	DIR *d = opendir(dir);
	struct dirent *e;

	CHECK(d, "%s: %s", dir, strerror(errno));
	if (!d) {
		run_errors++;
		return;
	}
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;
		long n;

		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, only_sip, t);
			continue;
		}
		if (!S_ISREG(st.st_mode) || (only_sip && !ends_with(e->d_name, ".sip")))
			continue;
		n = xh_read_file(path, buf, sizeof(buf));
		CHECK(n >= 0, "%s: %s", path, strerror(errno));
		if (n < 0) {
			run_errors++;
		} else if ((size_t)n > SLB_SIP_MAX_LEN) {
			t->messages++;
			t->invalid++;
		} else {
			check_message(path, buf, (size_t)n, t);
		}
	}
	closedir(d);
}

/* ---- generated messages ------------------------------------------------------ */

static uint64_t rng = 0x5eed0f0cc0ffee11ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *pick(const char *const *a, size_t n)
{
	return a[rnd() % n];
}

#define PICK(a) pick((a), sizeof(a) / sizeof((a)[0]))

/* Headers that share a first letter or more with Call-ID, or carry it in
 * their value; and two with UTF-8 (bytes from 0x80 up, which the search's
 * loose LF test lets through to its exact one), at every alignment the
 * X-Pad gives. */
static const char *const decoys[] = {
	"Subject: caf\xc3\xa9 \xe6\x8a\x80\xe8\xa1\x93 r\xc3\xa9union \xc2\x8a\xc2\x8d\r\n",
	"X-Display: \"\xc3\x85sa \xc3\x96\x62\x65rg \xf0\x9f\x93\x9e\" <sip:asa@example.com>\r\n",
	"Contact: <sip:alice@192.0.2.1>\r\n",
	"Content-Type: application/sdp\r\n",
	"CSeq-Fake: x\r\n",
	"Call-Info: <http://www.example.com/alice/photo.jpg> ;purpose=icon\r\n",
	"Info-Package: foo\r\n",
	"In-Reply-To: 70710@saturn.bell-tel.com\r\n",
	"Subject: Call-ID: not-this-one\r\n",
	"X-Note: i: not-this-one\r\n",
	"Subject: folded\r\n Call-ID: not-this-one\r\n",
	"Allow: INVITE, ACK, CANCEL, BYE\r\n",
	"User-Agent: gen/1.0\r\n",
};
static const char *const names[] = { "Call-ID", "call-id", "CALL-ID", "cAlL-Id", "i", "I" };
static const char *const before_colon[] = { "", "", " ", "\t", "  \t" };
static const char *const after_colon[] = {
	"", " ", " ", "\t", "   ", "\r\n ", " \r\n\t", "\r\n  ",
};
static const char *const trailing[] = { "", "", " ", "\t", " \t " };
static const char id_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~()<>:\\\"/[]?{}";

static size_t gen(char *out, size_t cap)
{
	char id[320], hdrs[2048] = "", pad[1700];
	size_t id_len = 1 + rnd() % 300, n = 0, body_len;
	const char *body = rnd() % 3 ? "" : "v=0\r\nCall-ID: in-the-body\r\ni: body\r\n";
	int n_decoys = (int)(rnd() % 5), cid_at = (int)(rnd() % (n_decoys + 1)), k;

	for (size_t i = 0; i < id_len; i++)
		id[i] = id_chars[rnd() % (sizeof(id_chars) - 1)];
	id[id_len] = 0;
	/* X-Pad of 0..15 bytes moves everything after it to another alignment;
	 * one message in 16 gets 1300..1599, which puts the Call-ID around and
	 * beyond the window's end. */
	k = (int)(rnd() % 16 ? rnd() % 16 : 1300 + rnd() % 300);
	memset(pad, 'p', (size_t)k);
	pad[k] = 0;
	for (int i = 0; i <= n_decoys; i++) {
		char line[512];

		if (i == cid_at)
			snprintf(line, sizeof(line), "%s%s:%s%s%s\r\n", PICK(names),
				 PICK(before_colon), PICK(after_colon), id, PICK(trailing));
		else
			snprintf(line, sizeof(line), "%s", PICK(decoys));
		strncat(hdrs, line, sizeof(hdrs) - strlen(hdrs) - 1);
	}
	body_len = strlen(body);
	n = (size_t)snprintf(out, cap,
			     "%s\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%llx\r\n"
			     "X-Pad: %s\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:alice@example.com>;tag=%u\r\n"
			     "To: <sip:bob@example.com>\r\n"
			     "%s"
			     "CSeq: 1 INVITE\r\n"
			     "Content-Length: %zu\r\n\r\n%s",
			     rnd() % 2 ? "INVITE sip:bob@example.com SIP/2.0" : "SIP/2.0 200 OK",
			     (unsigned long long)rnd(), pad, (unsigned)rnd(), hdrs, body_len, body);
	return n < cap ? n : 0;
}

/* ---- setup ----------------------------------------------------------------- */

static int load_variants(struct siplb_xdp **words, struct siplb_xdp_bytes **bytes)
{
	*words = siplb_xdp__open();
	*bytes = siplb_xdp_bytes__open();
	if (!*words || !*bytes || xh_prepare((*words)->obj, W.capacity) ||
	    xh_prepare((*bytes)->obj, W.capacity) || siplb_xdp__load(*words) ||
	    siplb_xdp_bytes__load(*bytes) || xh_attach(&variants[0].p, (*words)->obj, W.capacity) ||
	    xh_attach(&variants[1].p, (*bytes)->obj, W.capacity))
		return -1;
	for (int i = 0; i < XH_N_BACKENDS; i++)
		W.nh[i].mtu = 9000; /* the choice is under test here, not the MTU */
	for (int v = 0; v < 2; v++)
		if (xh_world_load(&variants[v].p, &W, 1))
			return -1;
	return 0;
}

static void report(const struct tally *t)
{
	printf("%s: %lu messages, %lu compared, %lu with the Call-ID beyond the window "
	       "(passed to the kernel, as they must), %lu too large for a test frame, "
	       "%lu not valid SIP\n", t->name, t->messages, t->compared, t->beyond_window,
	       t->too_large, t->invalid);
}

int main(int argc, char **argv)
{
	struct tally corpus = { .name = "corpus" }, capture = { .name = "captures" },
		     generated = { .name = "generated" };
	struct siplb_xdp *words = NULL;
	struct siplb_xdp_bytes *bytes = NULL;
	static char msg[4096];
	struct stat st;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR [CAPTURE_DIR]\n", argv[0]);
		return 2;
	}
	ret = xh_check_can_run();
	if (ret)
		return ret;
	xh_quiet_libbpf();
	if (xh_world_init(&W) || load_variants(&words, &bytes)) {
		printf("FAIL: cannot load siplb_xdp and siplb_xdp_bytes: %s\n", strerror(errno));
		return 1;
	}
	walk(argv[1], 1, &corpus);
	report(&corpus);
	if (argc == 3 && !stat(argv[2], &st) && S_ISDIR(st.st_mode)) {
		walk(argv[2], 0, &capture);
		report(&capture);
	} else if (argc == 3) {
		printf("captures %s: absent, not checked\n", argv[2]);
	}
	for (int i = 0; i < GENERATED; i++) {
		size_t n = gen(msg, sizeof(msg));
		char what[32];

		snprintf(what, sizeof(what), "generated #%d", i);
		if (n)
			check_message(what, (const uint8_t *)msg, n, &generated);
	}
	report(&generated);

	for (int v = 0; v < 2; v++)
		xh_detach(&variants[v].p);
	siplb_xdp__destroy(words);
	siplb_xdp_bytes__destroy(bytes);
	xh_world_free(&W);

	printf("%lu mismatches over %lu messages compared (3 framings x 2 variants each)\n",
	       mismatches, corpus.compared + capture.compared + generated.compared);
	CHECK(!run_errors && !mismatches, "%d run errors, %lu mismatches", run_errors, mismatches);
	CHECK(corpus.compared >= MIN_CORPUS && generated.compared >= GENERATED * 9 / 10,
	      "too few compared (corpus %lu, need %d; generated %lu of %d)", corpus.compared,
	      MIN_CORPUS, generated.compared, GENERATED);
	return check_summary();
}
