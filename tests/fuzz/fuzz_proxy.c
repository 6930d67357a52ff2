/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the proxy's rewrite (dataplane/sip_proxy.c): every
 * input is a SIP message to a proxy VIP, handled twice, once as siplb-dp
 * does (in a burst, of one: the usual request's head built in place, its
 * branch MAC made at the burst's end, the sender's marks kept per worker)
 * and once alone by the edit list with the marks made anew
 * (slb_proxy_view.edit_list_only, senders NULL). The verdicts, the frames
 * sent and the counters must be the same, and a frame the proxy summed must
 * carry a right UDP checksum; ASan/UBSan catch bad reads and writes. The
 * input's last byte picks the source and its port, the Record-Route flag
 * and the received checksum (none, one, one the port verified), the one
 * before it the headroom.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/proxy.h"
#include "../proxy/ref_sum.h"
#include "../proxy/test_frame.h"

#define ROOM 512
#define MAX_SIP 2048
#define TABLE 7

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct slb_state state;
static uint32_t tables[TABLE];

struct side {
	struct slb_lcore_stats stats;
	struct slb_vip_text vip_text[SLB_MAX_VIPS];
	struct slb_sender_text senders[SLB_SENDER_SLOTS];
	struct slb_proxy_view view;
	uint8_t mem[ROOM + 42 + MAX_SIP + ROOM];
	struct slb_frame f;
	struct slb_out out;
	enum slb_action act;
};

static struct side sides[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const backends[3] = { "192.0.2.21", "192.0.2.22", "198.51.100.10" };

	(void)argc;
	(void)argv;
	state.n_vips = 1;
	state.vips[0] = (struct slb_vip){ .addr = ip4("192.0.2.100"), .port = htons(5060),
					  .mode = SLB_MODE_PROXY, .pool = 0, .name = "sip",
					  .host = "192.0.2.100" };
	state.n_pools = 1;
	state.pools[0] = (struct slb_pool){ 0, TABLE, 1, "core" };
	state.n_backends = 3;
	state.branch_keys.n = 1;
	memset(state.branch_keys.key[0], 0x5a, SLB_BRANCH_KEY_LEN);
	for (uint32_t i = 0; i < 3; i++)
		state.backends[i] = (struct slb_backend){ .addr = ip4(backends[i]),
							  .port = htons(5060), .weight = 100,
							  .state = SLB_BACKEND_UP, .family = AF_INET };
	for (uint32_t i = 0; i < TABLE; i++)
		tables[i] = i % 3;
	for (int k = 0; k < 2; k++)
		sides[k].view = (struct slb_proxy_view){
			.state = &state, .tables = tables, .stats = &sides[k].stats,
			.branch_seed = 0x5eed, .ip_mtu = 1500, .vip_text = sides[k].vip_text,
			.senders = k ? NULL : sides[k].senders, .edit_list_only = k };
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sources[4] = { "198.51.100.10", "10.0.0.1", "198.51.100.168",
						"192.0.2.22" };
	static const uint16_t sports[4] = { 5060, 6, 50620, 5062 };
	static const uint32_t headrooms[4] = { ROOM, 128, 64, 0 };
	uint8_t pick = size ? data[size - 1] : 0, room = size > 1 ? data[size - 2] : 0;

	if (size > MAX_SIP)
		return 0;
	state.vips[0].flags = pick & 1 ? SLB_VIP_RECORD_ROUTE : 0;
	for (int k = 0; k < 2; k++) {
		struct side *s = &sides[k];
		uint8_t *d = s->mem + ROOM;
		uint32_t len = test_udp_frame(d, sources[pick >> 1 & 3], sports[pick >> 3 & 3],
					      "192.0.2.100", 5060, 0, 0, data, size);
		int how = (pick >> 5) % 3;

		if (how) { /* a checksum (0xffff for a sum of 0) */
			uint16_t sum = (uint16_t)~ref_udp_sum(d, len - 34u);

			sum = htons(sum ? sum : 0xffff);
			memcpy(d + 40, &sum, 2);
		}
		s->f = (struct slb_frame){ d, len, headrooms[room & 3],
					   (uint32_t)(sizeof(s->mem) - ROOM - len), how == 2 };
		memset(&s->out, 0, sizeof(s->out));
		if (k)
			s->act = slb_proxy_handle(&s->view, &s->f, &s->out);
		else
			slb_proxy_handle_burst(&s->view, &s->f, 1, &s->out, &s->act);
	}
	struct side *a = &sides[0], *b = &sides[1];
	if (a->act != b->act || memcmp(&a->out, &b->out, sizeof(a->out)) ||
	    memcmp(&a->stats, &b->stats, sizeof(a->stats))) {
		fprintf(stderr, "fuzz: verdicts, outputs or counters differ (%d, %d)\n", a->act,
			b->act);
		abort();
	}
	if (a->act == SLB_ACTION_SEND &&
	    (a->f.len != b->f.len || memcmp(a->f.data, b->f.data, a->f.len))) {
		fprintf(stderr, "fuzz: the frames sent differ (%u, %u bytes)\n", a->f.len, b->f.len);
		abort();
	}
	if (a->act == SLB_ACTION_SEND && !a->out.cksum_offload && !a->out.fragment &&
	    ref_udp_sum(a->f.data, a->f.len - 34u) != 0xffff) {
		fprintf(stderr, "fuzz: a wrong UDP checksum sent\n");
		abort();
	}
	return 0;
}
