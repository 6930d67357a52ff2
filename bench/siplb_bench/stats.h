/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What each role counts, one block per thread (single writer, ctr_add),
 * summed by the reporter. Counters are cumulative: a second's or a
 * find-max step's figures are differences of two snapshots.
 */
#ifndef SIPLB_BENCH_STATS_H
#define SIPLB_BENCH_STATS_H

#include "hist.h"
#include "opts.h"
#include "siplb/sip_scan.h"

enum uac_ctr {
	U_SENT,          /* datagrams sent, retransmissions included */
	U_RECEIVED,      /* datagrams received */
	U_RETRANS,       /* requests sent again by Timer A/E */
	U_TRANSACTIONS,  /* client transactions started */
	U_LOSSY,         /* transactions that needed a retransmission or timed out */
	U_TIMEOUTS,      /* Timer B/F fired: no final response */
	U_REJECTED,      /* a final response >= 300 other than the expected 401 */
	U_TABLE_FULL,    /* scenarios not started: --max-open reached (counted failed) */
	U_ABANDONED,     /* scenarios still open at the end of the drain */
	U_AUTH_ROUNDS,   /* 401 answered with credentials */
	U_CALLEE_BYES,   /* calls the callee hung up */
	U_ACK_RETRANS,   /* ACKs sent again for a 200 sent again */
	U_REPLIES,       /* responses sent (to the callee's BYE), part of U_SENT */
	U_STRAY,         /* responses to no open transaction (late or duplicate) */
	U_BAD,           /* datagrams the scanner refused, or truncated */
	U_SEND_ERRORS,   /* datagrams the kernel refused */
	U_COUNT
};

enum lat { LAT_INVITE, LAT_BYE, LAT_REGISTER, LAT_OPTIONS, LAT_COUNT };

struct uac_stats {
	uint64_t c[U_COUNT];
	uint64_t started[SCEN_COUNT], completed[SCEN_COUNT], failed[SCEN_COUNT];
	struct hist lat[LAT_COUNT];
};

extern const char *const uac_ctr_name[U_COUNT];
extern const char *const lat_name[LAT_COUNT];
extern const char *const scen_name[SCEN_COUNT];

/* uas and sink: what a backend saw. */
enum be_ctr {
	B_RECEIVED,      /* datagrams */
	B_REQUESTS,
	B_RESPONSES,     /* received: answers to the callee's BYEs */
	B_SENT,          /* responses and BYEs sent */
	B_CHALLENGES,    /* 401 sent */
	B_AUTH_FAILED,   /* 403 sent: wrong credentials */
	B_CALLEE_BYES,   /* BYEs sent by the callee */
	B_CALLEE_BYE_OK, /* their 200s */
	B_BYE_QUEUE_FULL,/* callee BYEs not sent: queue full */
	B_BAD,           /* refused by the scanner or truncated */
	B_SEND_ERRORS,
	B_COUNT
};

extern const char *const be_ctr_name[B_COUNT];

struct be_stats {
	uint64_t c[B_COUNT];
	uint64_t method[SLB_SIP_METHOD_COUNT];
};

void uac_stats_sum(struct uac_stats *dst, const struct uac_stats *src, int n);
void be_stats_sum(struct be_stats *dst, const struct be_stats *src, int n);
/* a - b, field by field (histograms too). */
void uac_stats_diff(struct uac_stats *dst, const struct uac_stats *a, const struct uac_stats *b);

#endif
