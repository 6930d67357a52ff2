/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP scanner's common part: names, the choice of path and the
 * differential equality. Each path parses the start line (sip_scan_start.h),
 * locates headers (sip_scan_walk.h) and parses their values
 * (sip_scan_values.h), all compiled for its instruction set.
 */
#include <string.h>

#include "sip_scan_internal.h"

static const char *const method_names[SLB_SIP_METHOD_COUNT] = {
	[SLB_SIP_METHOD_OTHER] = "OTHER",
	[SLB_SIP_METHOD_INVITE] = "INVITE",
	[SLB_SIP_METHOD_ACK] = "ACK",
	[SLB_SIP_METHOD_BYE] = "BYE",
	[SLB_SIP_METHOD_CANCEL] = "CANCEL",
	[SLB_SIP_METHOD_REGISTER] = "REGISTER",
	[SLB_SIP_METHOD_OPTIONS] = "OPTIONS",
	[SLB_SIP_METHOD_PRACK] = "PRACK",
	[SLB_SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SLB_SIP_METHOD_NOTIFY] = "NOTIFY",
	[SLB_SIP_METHOD_PUBLISH] = "PUBLISH",
	[SLB_SIP_METHOD_INFO] = "INFO",
	[SLB_SIP_METHOD_REFER] = "REFER",
	[SLB_SIP_METHOD_MESSAGE] = "MESSAGE",
	[SLB_SIP_METHOD_UPDATE] = "UPDATE",
};

static const char *const reason_names[SLB_SIP_REASON_COUNT] = {
	[SLB_SIP_OK] = "ok",
	[SLB_SIP_ERR_EMPTY] = "empty",
	[SLB_SIP_ERR_TOO_LARGE] = "too_large",
	[SLB_SIP_ERR_KEEPALIVE] = "keepalive",
	[SLB_SIP_ERR_TRUNCATED] = "truncated",
	[SLB_SIP_ERR_NUL_BYTE] = "nul_byte",
	[SLB_SIP_ERR_BARE_CRLF] = "bare_cr_or_lf",
	[SLB_SIP_ERR_BAD_START_LINE] = "bad_start_line",
	[SLB_SIP_ERR_BAD_VERSION] = "bad_version",
	[SLB_SIP_ERR_BAD_HEADER_LINE] = "header_without_colon",
	[SLB_SIP_ERR_DUP_CALL_ID] = "duplicate_call_id",
	[SLB_SIP_ERR_BAD_CALL_ID] = "bad_call_id",
	[SLB_SIP_ERR_BAD_VIA] = "bad_via",
	[SLB_SIP_ERR_BAD_CSEQ] = "bad_cseq",
	[SLB_SIP_ERR_BAD_CONTENT_LENGTH] = "bad_content_length",
	[SLB_SIP_ERR_BAD_MAX_FORWARDS] = "bad_max_forwards",
	[SLB_SIP_ERR_NO_CALL_ID] = "no_call_id",
	[SLB_SIP_ERR_CONTENT_LENGTH_EXCEEDS] = "content_length_exceeds_datagram",
	[SLB_SIP_ERR_NO_VIA] = "no_via",
	[SLB_SIP_ERR_NO_CSEQ] = "no_cseq",
	[SLB_SIP_ERR_DUP_CONTENT_LENGTH] = "duplicate_content_length",
	[SLB_SIP_ERR_CALL_ID_NOT_WORD] = "call_id_not_word",
	[SLB_SIP_ERR_BAD_FROM] = "bad_from",
	[SLB_SIP_ERR_BAD_TO] = "bad_to",
};

const char *slb_sip_reason_name(enum slb_sip_reason reason)
{
	return (unsigned)reason < SLB_SIP_REASON_COUNT ? reason_names[reason] : "unknown";
}

const char *slb_sip_method_name(enum slb_sip_method method)
{
	return (unsigned)method < SLB_SIP_METHOD_COUNT ? method_names[method] : "OTHER";
}

enum slb_sip_method slb_sip_method_of(const uint8_t *t, size_t len)
{
	return slb_method_id(t, len);
}

enum slb_hdr slb_sip_header_id(const uint8_t *n, size_t len)
{
	return slb_hdr_id(n, len);
}

/* ---- paths ------------------------------------------------------------- */

/* What a path compiles for its instruction set: the start line, the walk
 * and the values, called one after the other by its slb_sip_run_*(). */
static slb_sip_run_fn *const paths[SLB_SIP_PATH_COUNT] = {
	[SLB_SIP_PATH_SCALAR] = slb_sip_run_scalar,
	[SLB_SIP_PATH_SSE42] = slb_sip_run_sse42,
	[SLB_SIP_PATH_AVX2] = slb_sip_run_avx2,
	[SLB_SIP_PATH_AVX512] = slb_sip_run_avx512,
};

bool slb_sip_path_supported(enum slb_sip_path path)
{
	switch (path) {
	case SLB_SIP_PATH_AUTO:
	case SLB_SIP_PATH_SCALAR: return true;
	case SLB_SIP_PATH_SSE42: return __builtin_cpu_supports("sse4.2");
	case SLB_SIP_PATH_AVX2: /* built with -mbmi -mbmi2 too (tzcnt, blsr, shlx) */
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
		       __builtin_cpu_supports("bmi2");
	case SLB_SIP_PATH_AVX512: /* the compilers' test includes the OS's (XCR0) */
		return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
		       __builtin_cpu_supports("avx512vbmi") &&
		       slb_sip_path_supported(SLB_SIP_PATH_AVX2);
	default: return false;
	}
}

/*
 * Whether auto takes AVX-512: only on cores that lower their clock little
 * or not at all for it. Skylake-SP and Cascade Lake lower the whole core's
 * clock for a while after 512-bit instructions, which costs the rest of
 * the worker's loop more than the scanner gains (bench/RESULTS.md, seventh
 * pass: 0-3.5 % on Zen 5). VBMI2 marks the later cores: Intel from Ice
 * Lake, whose drop for the integer instructions used here is small, and
 * AMD from Zen 4, which has none (simdjson takes its AVX-512 kernel on the
 * same test; glibc is more cautious and keeps its string functions off
 * 512-bit code on every Intel core without AVX-VNNI). --scan-path avx512
 * still pins it on any core with AVX-512 VBMI (its byte classes' permute):
 * from Cannon Lake and Ice Lake, and Zen 4; not Skylake-SP nor Cascade Lake.
 */
static bool avx512_by_default(void)
{
	return slb_sip_path_supported(SLB_SIP_PATH_AVX512) &&
	       __builtin_cpu_supports("avx512vbmi2");
}

static enum slb_sip_path fastest_path(void)
{
	if (avx512_by_default())
		return SLB_SIP_PATH_AVX512;
	if (slb_sip_path_supported(SLB_SIP_PATH_AVX2))
		return SLB_SIP_PATH_AVX2;
	if (slb_sip_path_supported(SLB_SIP_PATH_SSE42))
		return SLB_SIP_PATH_SSE42;
	return SLB_SIP_PATH_SCALAR;
}

/* What slb_sip_path_choose() set: AUTO until then. */
static enum slb_sip_path chosen_path;

enum slb_sip_path slb_sip_path_active(void)
{
	enum slb_sip_path path = __atomic_load_n(&chosen_path, __ATOMIC_RELAXED);

	return path != SLB_SIP_PATH_AUTO ? path : fastest_path();
}

const char *slb_sip_path_name(enum slb_sip_path path)
{
	static const char *const names[SLB_SIP_PATH_COUNT] = {
		"auto", "scalar", "sse4.2", "avx2", "avx512",
	};
	return (unsigned)path < SLB_SIP_PATH_COUNT ? names[path] : "unknown";
}

enum slb_sip_path slb_sip_path_by_name(const char *name)
{
	int p = 0;

	while (p < SLB_SIP_PATH_COUNT && strcmp(name, slb_sip_path_name((enum slb_sip_path)p)))
		p++;
	return (enum slb_sip_path)p;
}

/* What slb_sip_scan_with() calls for each path it is given: the path's
 * function when this CPU supports it, else NULL; all NULL until its first
 * call, and always NULL for AUTO (which follows slb_sip_path_choose()).
 * The CPU tests (a jump table and __cpu_model's bits: some 15 instructions
 * a scan) made once, as slb_sip_scan()'s active_path is. */
static slb_sip_run_fn *with_fns[SLB_SIP_PATH_COUNT];

/* slb_sip_scan_with() where with_fns[path] is NULL: its first call, AUTO,
 * an unsupported path or none. */
static __attribute__((noinline)) bool scan_with_slow(enum slb_sip_path path, const uint8_t *buf,
						     size_t len, struct slb_sip_msg *msg)
{
	for (int p = SLB_SIP_PATH_SCALAR; p < SLB_SIP_PATH_COUNT; p++)
		if (slb_sip_path_supported((enum slb_sip_path)p))
			__atomic_store_n(&with_fns[p], paths[p], __ATOMIC_RELAXED);
	if (!slb_sip_path_supported(path))
		return false;
	if (path == SLB_SIP_PATH_AUTO)
		path = slb_sip_path_active();
	paths[path](buf, len, msg);
	return true;
}

bool slb_sip_scan_with(enum slb_sip_path path, const uint8_t *buf, size_t len,
		       struct slb_sip_msg *msg)
{
	slb_sip_run_fn *fn = (unsigned)path < SLB_SIP_PATH_COUNT
				     ? __atomic_load_n(&with_fns[path], __ATOMIC_RELAXED)
				     : NULL;

	if (!fn)
		return scan_with_slow(path, buf, len, msg);
	fn(buf, len, msg);
	return true;
}

static slb_sip_run_fn *active_path;

bool slb_sip_path_choose(enum slb_sip_path path)
{
	if (!slb_sip_path_supported(path))
		return false;
	__atomic_store_n(&chosen_path, path, __ATOMIC_RELAXED);
	__atomic_store_n(&active_path, paths[slb_sip_path_active()], __ATOMIC_RELAXED);
	return true;
}

enum slb_sip_reason slb_sip_scan(const uint8_t *buf, size_t len, struct slb_sip_msg *msg)
{
	slb_sip_run_fn *path = __atomic_load_n(&active_path, __ATOMIC_RELAXED);

	if (!path) {
		path = paths[slb_sip_path_active()];
		__atomic_store_n(&active_path, path, __ATOMIC_RELAXED);
	}
	return path(buf, len, msg);
}

/* ---- equality for the differential tests -------------------------------- */

static bool span_eq(struct slb_span a, struct slb_span b)
{
	return a.off == b.off && a.len == b.len;
}

static bool via_eq(const struct slb_sip_via *a, const struct slb_sip_via *b)
{
	return span_eq(a->value, b->value) && span_eq(a->transport, b->transport) &&
	       span_eq(a->host, b->host) && span_eq(a->port_tok, b->port_tok) &&
	       a->port == b->port && span_eq(a->branch, b->branch) &&
	       span_eq(a->received, b->received) && span_eq(a->rport, b->rport) &&
	       a->has_rport == b->has_rport;
}

bool slb_sip_msg_same(const struct slb_sip_msg *a, const struct slb_sip_msg *b)
{
	if (a->reason != b->reason || a->kind != b->kind)
		return false;
	if (a->reason != SLB_SIP_OK)
		return true; /* on errors only the reason is defined */
	return a->method == b->method && span_eq(a->method_tok, b->method_tok) &&
	       span_eq(a->ruri, b->ruri) && span_eq(a->version, b->version) &&
	       a->status == b->status && span_eq(a->status_reason, b->status_reason) &&
	       span_eq(a->call_id, b->call_id) && a->has_via == b->has_via &&
	       a->has_via2 == b->has_via2 && via_eq(&a->via, &b->via) &&
	       (!a->has_via2 || via_eq(&a->via2, &b->via2)) &&
	       a->cseq == b->cseq && a->cseq_method == b->cseq_method &&
	       span_eq(a->cseq_method_tok, b->cseq_method_tok) && a->has_cseq == b->has_cseq &&
	       a->content_length == b->content_length && a->max_forwards == b->max_forwards &&
	       span_eq(a->max_forwards_tok, b->max_forwards_tok) &&
	       span_eq(a->to_tag, b->to_tag) && span_eq(a->from_tag, b->from_tag) &&
	       span_eq(a->route, b->route) && span_eq(a->route2, b->route2) &&
	       a->route_line == b->route_line && a->has_contact == b->has_contact &&
	       a->via_line == b->via_line && a->headers_len == b->headers_len &&
	       span_eq(a->from, b->from) && span_eq(a->to, b->to) &&
	       span_eq(a->user_agent, b->user_agent) &&
	       a->body_len == b->body_len;
}
