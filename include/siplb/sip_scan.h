/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb SIP scanner: zero-copy parse of one UDP datagram.
 *
 * The scanner never writes to the buffer, never reads past len and never
 * allocates. Every text field is a span (offset, length) into the buffer.
 * Several scanning paths (scalar, SSE4.2, AVX2, AVX-512, Hyperscan) give identical
 * results; slb_sip_scan() uses the fastest one the CPU supports.
 *
 * On an invalid message only `kind` and `reason` are meaningful; the other
 * fields hold whatever the scan reached.
 */
#ifndef SIPLB_SIP_SCAN_H
#define SIPLB_SIP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest UDP payload; every offset fits in 16 bits. */
#define SLB_SIP_MAX_LEN 65535u

struct slb_span {
	uint16_t off;
	uint16_t len; /* 0 = absent (an empty value is reported as a reason) */
};

/* The span [from, to). */
static inline struct slb_span slb_span_of(size_t from, size_t to)
{
	struct slb_span s = { (uint16_t)from, (uint16_t)(to - from) };
	return s;
}

/* The headers the scanner locates (the rest are SLB_HDR_OTHER). */
enum slb_hdr {
	SLB_HDR_OTHER = 0,
	SLB_HDR_VIA,
	SLB_HDR_CALL_ID,
	SLB_HDR_CSEQ,
	SLB_HDR_CONTENT_LENGTH,
	SLB_HDR_MAX_FORWARDS,
	SLB_HDR_TO,
	SLB_HDR_FROM,
	SLB_HDR_ROUTE,
	SLB_HDR_CONTACT,
	SLB_HDR_USER_AGENT,
};

/* Header name (already trimmed) to id; case-insensitive, compact forms. */
enum slb_hdr slb_sip_header_id(const uint8_t *name, size_t len);

enum slb_sip_kind {
	SLB_SIP_KIND_NONE = 0,
	SLB_SIP_KIND_REQUEST,
	SLB_SIP_KIND_RESPONSE,
	SLB_SIP_KIND_KEEPALIVE, /* RFC 5626 CRLF keep-alive: not a SIP message */
};

enum slb_sip_method {
	SLB_SIP_METHOD_OTHER = 0, /* extension method: see method_tok */
	SLB_SIP_METHOD_INVITE,
	SLB_SIP_METHOD_ACK,
	SLB_SIP_METHOD_BYE,
	SLB_SIP_METHOD_CANCEL,
	SLB_SIP_METHOD_REGISTER,
	SLB_SIP_METHOD_OPTIONS,
	SLB_SIP_METHOD_PRACK,
	SLB_SIP_METHOD_SUBSCRIBE,
	SLB_SIP_METHOD_NOTIFY,
	SLB_SIP_METHOD_PUBLISH,
	SLB_SIP_METHOD_INFO,
	SLB_SIP_METHOD_REFER,
	SLB_SIP_METHOD_MESSAGE,
	SLB_SIP_METHOD_UPDATE,
	SLB_SIP_METHOD_COUNT
};

/*
 * Why a datagram is not a valid SIP message. The numeric order is the
 * precedence: when a message has several faults, the lowest value is the one
 * reported, so every scanning path reports the same reason.
 */
enum slb_sip_reason {
	SLB_SIP_OK = 0,
	SLB_SIP_ERR_EMPTY,              /* zero bytes */
	SLB_SIP_ERR_TOO_LARGE,          /* more than a UDP datagram holds */
	SLB_SIP_ERR_KEEPALIVE,          /* only CRLFs: a keep-alive, not a message */
	SLB_SIP_ERR_TRUNCATED,          /* no CRLF CRLF ending the header block */
	SLB_SIP_ERR_NUL_BYTE,           /* NUL inside the start line or headers */
	SLB_SIP_ERR_BARE_CRLF,          /* CR without LF or LF without CR */
	SLB_SIP_ERR_BAD_START_LINE,     /* missing parts, bad method or status */
	SLB_SIP_ERR_BAD_VERSION,        /* not SIP/2.0 (case-insensitive) */
	SLB_SIP_ERR_BAD_HEADER_LINE,    /* header line without name and colon */
	SLB_SIP_ERR_DUP_CALL_ID,        /* two Call-ID headers */
	SLB_SIP_ERR_BAD_CALL_ID,        /* empty, or whitespace or controls inside */
	SLB_SIP_ERR_BAD_VIA,            /* top Via unparseable */
	SLB_SIP_ERR_BAD_CSEQ,           /* CSeq not "number method" */
	SLB_SIP_ERR_BAD_CONTENT_LENGTH, /* Content-Length not a number */
	SLB_SIP_ERR_BAD_MAX_FORWARDS,   /* Max-Forwards not a number 0..255 */
	SLB_SIP_ERR_NO_CALL_ID,         /* no Call-ID header */
	SLB_SIP_ERR_CONTENT_LENGTH_EXCEEDS, /* more body announced than present */
	/* Later additions go last, so that existing codes keep their numbers in
	 * the counters siplb-dp and siplbd share (struct slb_lcore_stats). */
	SLB_SIP_ERR_NO_VIA,             /* no Via header (RFC 3261 §8.1.1, §8.2.6.2) */
	SLB_SIP_ERR_NO_CSEQ,            /* no CSeq header */
	SLB_SIP_ERR_DUP_CONTENT_LENGTH, /* two Content-Length headers (full or compact) */
	SLB_SIP_ERR_CALL_ID_NOT_WORD,   /* not word or word@word (RFC 3261 §25.1) */
	SLB_SIP_ERR_BAD_FROM,           /* From: a quote or '<' left open */
	SLB_SIP_ERR_BAD_TO,             /* To: a quote or '<' left open */
	SLB_SIP_REASON_COUNT
};

/* The top (or second) Via value: SIP/2.0/<transport> <host>[:<port>];params */
struct slb_sip_via {
	struct slb_span value;     /* the whole via-parm, without the comma */
	struct slb_span transport; /* "UDP", "TCP", ... */
	struct slb_span host;      /* sent-by host; IPv6 with its brackets */
	struct slb_span port_tok;  /* sent-by port digits, absent if none */
	uint16_t port;             /* 0 when absent */
	struct slb_span branch;    /* value of ;branch= */
	struct slb_span received;  /* value of ;received= */
	struct slb_span rport;     /* value of ;rport=; without a value, length 0
				    * at the end of the name (where "=port" goes) */
	bool has_rport;            /* ;rport present, with or without value */
};

struct slb_sip_msg {
	enum slb_sip_kind kind;
	enum slb_sip_reason reason;

	/* start line */
	enum slb_sip_method method;
	struct slb_span method_tok; /* raw method token (also for extensions) */
	struct slb_span ruri;
	struct slb_span version;
	uint16_t status;            /* responses: 100..699 */
	struct slb_span status_reason;

	/* headers */
	struct slb_span call_id;
	struct slb_sip_via via;     /* top Via */
	struct slb_sip_via via2;    /* the next one: where responses go */
	bool has_via, has_via2;
	uint32_t cseq;
	enum slb_sip_method cseq_method;
	struct slb_span cseq_method_tok;
	bool has_cseq;
	int32_t content_length;     /* -1 when absent */
	int32_t max_forwards;       /* -1 when absent */
	struct slb_span max_forwards_tok; /* the digits, for in-place edits */
	struct slb_span to_tag, from_tag;
	struct slb_span route;      /* first route-param of the first Route */
	struct slb_span route2;     /* the next one (same line or next Route) */
	uint16_t route_line;        /* offset of the first Route header line */
	bool has_contact;
	/* The first From, To and User-Agent values as located: from just past
	 * the colon to the end of the logical line, blanks not trimmed (len 0:
	 * absent). What the routing rules match on, found by the same walk. */
	struct slb_span from, to, user_agent;
	uint16_t via_line;          /* offset of the top Via header line */

	/* framing */
	uint16_t headers_len;       /* start line + headers + empty line */
	uint16_t body_len;          /* Content-Length, or the rest when absent */
};

enum slb_sip_path {
	SLB_SIP_PATH_AUTO = 0, /* the fastest path this CPU supports (AVX-512 only with VBMI2) */
	SLB_SIP_PATH_SCALAR,
	SLB_SIP_PATH_SSE42,
	SLB_SIP_PATH_AVX2,
	SLB_SIP_PATH_AVX512,   /* AVX-512BW/VL/VBMI with BMI1/BMI2 */
	SLB_SIP_PATH_COUNT
};
#define SLB_SIP_PATH_NAMES "auto, scalar, sse4.2, avx2, avx512"

/* Scan with the path slb_sip_path_active() names. */
enum slb_sip_reason slb_sip_scan(const uint8_t *buf, size_t len,
				 struct slb_sip_msg *msg);

/* Scan with one given path; false if the CPU lacks it. */
bool slb_sip_scan_with(enum slb_sip_path path, const uint8_t *buf, size_t len,
		       struct slb_sip_msg *msg);

bool slb_sip_path_supported(enum slb_sip_path path);
/* The path slb_sip_scan() takes: the one chosen, else the fastest. */
enum slb_sip_path slb_sip_path_active(void);
/* Pins slb_sip_scan() to path (AUTO: the fastest again), before the
 * workers start; false, and nothing changed, when this CPU lacks it. */
bool slb_sip_path_choose(enum slb_sip_path path);
const char *slb_sip_path_name(enum slb_sip_path path);
/* The path of that name ("auto", "scalar", "sse4.2", "avx2", "avx512"),
 * SLB_SIP_PATH_COUNT for none. */
enum slb_sip_path slb_sip_path_by_name(const char *name);

/* Names for JSON, logs and counters: "no_call_id", "INVITE", ... */
const char *slb_sip_reason_name(enum slb_sip_reason reason);
const char *slb_sip_method_name(enum slb_sip_method method);

/* Method enum of a token (case-sensitive, as RFC 3261 §7.1 says). */
enum slb_sip_method slb_sip_method_of(const uint8_t *tok, size_t len);

static inline bool slb_sip_is_in_dialog(const struct slb_sip_msg *m)
{
	return m->to_tag.len != 0;
}

/*
 * Hyperscan header location: the same results as the SIMD
 * paths from a block-mode database compiled once; one scratch per thread.
 */
struct slb_sip_hs_db;
struct slb_sip_hs_scratch;

struct slb_sip_hs_db *slb_sip_hs_db_create(char *err, size_t errlen);
void slb_sip_hs_db_free(struct slb_sip_hs_db *db);
struct slb_sip_hs_scratch *slb_sip_hs_scratch_create(const struct slb_sip_hs_db *db);
void slb_sip_hs_scratch_free(struct slb_sip_hs_scratch *s);
enum slb_sip_reason slb_sip_scan_hs(const struct slb_sip_hs_db *db,
				    struct slb_sip_hs_scratch *s,
				    const uint8_t *buf, size_t len,
				    struct slb_sip_msg *msg);

/* Field-by-field equality as the differential tests define it. */
bool slb_sip_msg_same(const struct slb_sip_msg *a, const struct slb_sip_msg *b);

#endif
