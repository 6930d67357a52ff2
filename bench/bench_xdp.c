/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench-xdp: ns per packet of the XDP fast path (bpf/siplb_xdp.bpf.c)
 * under BPF_PROG_TEST_RUN, beside a no-op XDP_TX program (bpf/xdp_noop.bpf.c)
 * measured in the same run: a SIP message (default: a carrier INVITE,
 * bench/messages/invite.sip) in Ethernet/IPv4/UDP to a DSR VIP, and to a
 * proxy VIP with an AF_XDP socket in xsks_map (steer).
 *
 *   siplb-bench-xdp [--runs N] [--reps R] MESSAGE.sip
 *
 * Two ways to time, both printed:
 *  - loop: one test run with repeat = N; the kernel runs the program N times
 *    back to back on the same buffer and reports the mean (whole ns; its
 *    timer stops while the thread is scheduled out, the wall clock would
 *    not). Valid only where the program leaves the frame as it found it: the
 *    kernel does not restore the buffer between repetitions, so a DSR frame
 *    would be an IPIP packet from the second run on. Checked on the output;
 *    for DSR, a copy of siplb_xdp loaded with slb_bench_undo set puts the
 *    frame back after encapsulating it (an upper bound of DSR: one more
 *    helper call and a 14-byte copy). The loop runs warm, as a driver's
 *    poll loop does over a burst.
 *  - calls: N test runs of repeat = 1, each timed by the kernel around the
 *    program (its duration field), averaged. Every run gets a fresh copy of
 *    the frame, so it is valid for DSR; the kernel's timer calls are in
 *    every figure, and the no-op shows how much that is. Each run starts
 *    cold after a system call (caches, branch predictors, and the TLB where
 *    page-table isolation runs without PCID), which costs a program in
 *    proportion to the code and pages it touches.
 * "x noop" divides by the no-op of the same method.
 *
 * Also the Call-ID search alone, word-at-a-time against byte-at-a-time
 * (bpf/siplb_xdp_bytes.bpf.c): the decision (parse, search, hash, Maglev;
 * no next hop, so the frame is passed untouched and the loop method works)
 * for the message as it is minus the same for the message with its Call-ID
 * header moved to the first header line (same bytes, same length).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "siplb/sip_scan.h"
#include "siplb_xdp.skel.h"
#include "siplb_xdp_bytes.skel.h"
#include "xdp_harness.h"
#include "xdp_noop.skel.h"

struct msg {
	uint8_t b[2048];
	size_t len;
};

/* The world a row runs in: DSR by IPIP, by GUE, or with no next hop (the
 * decision rows: the frame is passed untouched). */
enum setup { IPIP, GUE, NO_NEXTHOP };

struct row {
	const char *name;
	const struct xh_prog *prog;
	const struct xh_frame *frame;
	uint32_t want;       /* the verdict every run must return */
	int loop_ok;         /* the frame comes back unchanged */
	enum setup setup;
	double loop, calls;  /* ns per packet, medians */
};

static struct xh_result res;

/* The loop is valid only if the frame comes back as it went in: checked. */
static int run_loop(const struct row *r, long n, double *ns)
{
	if (xh_run(r->prog, r->frame->b, (uint32_t)r->frame->len, (uint32_t)n, &res))
		return -1;
	*ns = res.duration;
	if (res.out_len != r->frame->len || memcmp(res.out, r->frame->b, r->frame->len)) {
		fprintf(stderr, "%s: the frame came back changed\n", r->name);
		return -1;
	}
	return res.retval == r->want ? 0 : -1;
}

static int run_calls(const struct row *r, long n, double *ns)
{
	uint64_t sum = 0;

	for (long i = 0; i < n; i++) {
		if (xh_run(r->prog, r->frame->b, (uint32_t)r->frame->len, 1, &res) ||
		    res.retval != r->want)
			return -1;
		sum += res.duration;
	}
	*ns = (double)sum / n;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of reps measurements. */
static int measure(struct row *r, long n, int reps)
{
	double loop[16], calls[16];

	for (int i = 0; i < reps; i++) {
		if ((r->loop_ok && run_loop(r, n, &loop[i])) || run_calls(r, n, &calls[i])) {
			fprintf(stderr, "%s: %s, verdict %u where %u was expected\n", r->name,
				errno ? strerror(errno) : "run failed", res.retval, r->want);
			return -1;
		}
	}
	qsort(loop, (size_t)reps, sizeof(double), cmp_double);
	qsort(calls, (size_t)reps, sizeof(double), cmp_double);
	r->loop = r->loop_ok ? loop[reps / 2] : 0;
	r->calls = calls[reps / 2];
	return 0;
}

/* Where the first header line and the Call-ID header line start. */
static size_t first_hdr, callid_line;

/* The message with its Call-ID header line moved right after the start line
 * (same bytes, same length); sets first_hdr and callid_line. */
static int callid_first(const struct msg *in, struct msg *out)
{
	const uint8_t *b = in->b, *sl_end = memchr(b, '\n', in->len), *lf;
	struct slb_sip_msg m;
	size_t line_end, n;

	if (slb_sip_scan(b, in->len, &m) != SLB_SIP_OK || !sl_end)
		return -1;
	for (callid_line = m.call_id.off; b[callid_line - 1] != '\n'; callid_line--)
		;
	lf = memchr(b + callid_line, '\n', in->len - callid_line);
	if (!lf)
		return -1;
	line_end = (size_t)(lf - b) + 1;
	first_hdr = (size_t)(sl_end - b) + 1;
	memcpy(out->b, b, first_hdr);
	n = first_hdr;
	memcpy(out->b + n, b + callid_line, line_end - callid_line);
	n += line_end - callid_line;
	memcpy(out->b + n, b + first_hdr, callid_line - first_hdr);
	n += callid_line - first_hdr;
	memcpy(out->b + n, b + line_end, in->len - line_end);
	out->len = in->len;
	return 0;
}

/* The machine, as bench/machine.sh prints it (the CPU's family and model,
 * the kernel's return thunk: a BPF call's price), and the CPU this runs on. */
static void machine(void)
{
	fflush(stdout);
	if (system(SLB_BENCH_DIR "/machine.sh") != 0)
		printf("machine: unknown (%s failed)\n", SLB_BENCH_DIR "/machine.sh");
	printf("running on CPU %d\n", sched_getcpu());
}

static struct xh_frame build(unsigned vip, const struct msg *m, const struct xh_world *w)
{
	struct xh_spec s = xh_to_vip(w, vip, m->b, m->len);
	struct xh_frame f;

	if (xh_build(&s, &f)) {
		fprintf(stderr, "message too large\n");
		exit(1);
	}
	return f;
}

/* Every program gets the world of setup st. 0 or -1. */
static int apply(struct xh_world *w, struct xh_prog *const *progs, size_t n, enum setup st)
{
	const struct slb_nexthop none = { .ifindex = 0 };

	w->st.dsr.encap = st == GUE ? SLB_ENCAP_GUE : SLB_ENCAP_IPIP;
	for (size_t i = 0; i < n; i++) {
		if (xh_world_load(progs[i], w, 1))
			return -1;
		/* no next hop for pool 0's backends: ifindex 0 in the nexthop array */
		for (uint32_t id = 0; st == NO_NEXTHOP && id < 4; id++)
			if (bpf_map_update_elem(progs[i]->fd[XH_NEXTHOP], &id, &none, BPF_ANY))
				return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct xh_world w;
	static struct xh_prog words, bytes, undo, noop;
	static struct msg inv, first;
	struct xh_prog *const progs[] = { &words, &bytes, &undo };
	struct siplb_xdp *sw, *su;
	struct siplb_xdp_bytes *sb;
	struct xdp_noop *sn;
	long runs = 1000000;
	int reps = 3, a = 1, ret;

	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (!strcmp(argv[a], "--runs"))
			runs = atol(argv[a + 1]);
		else if (!strcmp(argv[a], "--reps"))
			reps = atoi(argv[a + 1]);
	}
	if (a != argc - 1 || runs < 1 || runs > 0xffffffffL || reps < 1 || reps > 15) {
		fprintf(stderr,
			"usage: siplb-bench-xdp [--runs N] [--reps R (1-15)] MESSAGE.sip\n");
		return 2;
	}
	ret = xh_check_can_run();
	if (ret)
		return ret;
	xh_quiet_libbpf();
	long n = xh_read_file(argv[a], inv.b, sizeof(inv.b));
	if (n > 0 && (size_t)n < sizeof(inv.b))
		inv.len = (size_t)n;
	if (!inv.len || callid_first(&inv, &first)) {
		fprintf(stderr, "%s: not a valid SIP message of at most %zu bytes\n", argv[a],
			sizeof(inv.b) - 1);
		return 1;
	}
	if (xh_world_init(&w))
		return 1;
	sw = siplb_xdp__open();
	su = siplb_xdp__open();
	sb = siplb_xdp_bytes__open();
	sn = xdp_noop__open_and_load();
	if (su)
		su->rodata->slb_bench_undo = 1;
	if (!sw || !su || !sb || !sn || xh_prepare(sw->obj, w.capacity) ||
	    xh_prepare(su->obj, w.capacity) || xh_prepare(sb->obj, w.capacity) ||
	    siplb_xdp__load(sw) || siplb_xdp__load(su) || siplb_xdp_bytes__load(sb) ||
	    xh_attach(&words, sw->obj, w.capacity) || xh_attach(&undo, su->obj, w.capacity) ||
	    xh_attach(&bytes, sb->obj, w.capacity) || xh_add_xsk(&words) < 0) {
		fprintf(stderr, "loading the programs: %s\n", strerror(errno));
		return 1;
	}
	noop.prog_fd = bpf_program__fd(sn->progs.xdp_noop);

	/* Frames. The decision rows use the DSR VIP of pool 0 with every next
	 * hop of that pool removed (pool 1's VIP stays intact for the GUE
	 * row). */
	struct xh_frame f4 = build(XH_VIP4_DSR, &inv, &w), f4first = build(XH_VIP4_DSR, &first, &w),
			f6 = build(XH_VIP6_DSR, &inv, &w), fsteer = build(XH_VIP4_PROXY, &inv, &w);
	struct row rows[] = {
		{ "noop: XDP_TX, nothing else", &noop, &f4, XDP_TX, 1, IPIP, 0, 0 },
		{ "steer: proxy VIP -> AF_XDP socket", &words, &fsteer, XDP_REDIRECT, 1, IPIP, 0,
		  0 },
		{ "DSR: IPv4 IPIP -> XDP_TX", &words, &f4, XDP_TX, 0, IPIP, 0, 0 },
		{ "  same, encapsulation undone", &undo, &f4, XDP_TX, 1, IPIP, 0, 0 },
		{ "DSR: IPv4 IPIP, byte-loop search", &bytes, &f4, XDP_TX, 0, IPIP, 0, 0 },
		{ "DSR: IPv6 GUE -> XDP_TX", &words, &f6, XDP_TX, 0, GUE, 0, 0 },
		{ "decision (no next hop): words", &words, &f4, XDP_PASS, 1, NO_NEXTHOP, 0, 0 },
		{ "decision (no next hop): bytes", &bytes, &f4, XDP_PASS, 1, NO_NEXTHOP, 0, 0 },
		{ "  same, Call-ID on line 2: words", &words, &f4first, XDP_PASS, 1, NO_NEXTHOP, 0,
		  0 },
		{ "  same, Call-ID on line 2: bytes", &bytes, &f4first, XDP_PASS, 1, NO_NEXTHOP, 0,
		  0 },
	};
	const struct row *noop_r = &rows[0], *dsr = &rows[2], *dsr_undo = &rows[3];
	const struct row *dw = &rows[6], *db = &rows[7], *fw = &rows[8], *fb = &rows[9];
	size_t n_rows = sizeof(rows) / sizeof(rows[0]);

	machine();
	printf("message: %s, %zu bytes (frame %zu), Call-ID header at payload offset %zu; "
	       "median of %d x %ld runs per figure\n", argv[a], inv.len, f4.len, callid_line, reps,
	       runs);
	for (size_t i = 0; i < n_rows; i++) {
		if (apply(&w, progs, sizeof(progs) / sizeof(progs[0]), rows[i].setup)) {
			fprintf(stderr, "publishing the world: %s\n", strerror(errno));
			return 1;
		}
		if (measure(&rows[i], runs, reps))
			return 1;
	}

	printf("\n%-36s %10s %8s   %10s %8s %8s\n", "", "loop", "", "calls", "", "");
	printf("%-36s %10s %8s   %10s %8s %8s\n", "case", "ns/pkt", "x noop", "ns/pkt", "x noop",
	       "Mpps");
	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		char loop[32] = "-", ratio[32] = "-";

		if (r->loop_ok) {
			snprintf(loop, sizeof(loop), "%.1f", r->loop);
			snprintf(ratio, sizeof(ratio), "%.2f", r->loop / noop_r->loop);
		}
		printf("%-36s %10s %8s   %10.1f %8.2f %8.2f\n", r->name, loop, ratio, r->calls,
		       r->calls / noop_r->calls, 1e3 / r->calls);
	}
	double sw_loop = dw->loop - fw->loop, sb_loop = db->loop - fb->loop;
	double sw_calls = dw->calls - fw->calls, sb_calls = db->calls - fb->calls;

	printf("\nCall-ID search over the %zu header bytes before the Call-ID line "
	       "(decision minus decision with the Call-ID on line 2):\n", callid_line - first_hdr);
	printf("  loop:  words %.1f ns, bytes %.1f ns: byte loop / words = %.2f\n", sw_loop,
	       sb_loop, sb_loop / sw_loop);
	printf("  calls: words %.1f ns, bytes %.1f ns: byte loop / words = %.2f\n", sw_calls,
	       sb_calls, sb_calls / sw_calls);
	printf("DSR IPv4 IPIP above the no-op (target: at most 150 ns):\n"
	       "  loop:  %.1f ns (encapsulation undone: an upper bound, one more helper call)\n"
	       "  calls: %.1f ns\n", dsr_undo->loop - noop_r->loop, dsr->calls - noop_r->calls);

	xh_detach(&undo);
	siplb_xdp__destroy(su);
	xh_detach(&words);
	xh_detach(&bytes);
	siplb_xdp__destroy(sw);
	siplb_xdp_bytes__destroy(sb);
	xdp_noop__destroy(sn);
	xh_world_free(&w);
	return 0;
}
