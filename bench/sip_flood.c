/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip-flood: a bounded stream of SIP INVITEs (distinct Call-IDs) from one UDP
 * socket with sendmmsg, flat out or at a given rate. Stops at COUNT messages
 * or SECONDS, whichever comes first, and prints what it sent.
 *
 * PAD (bytes, 0 for none) adds a header line of that many bytes, X-Pad, to
 * each INVITE: a forwarder that adds nothing then carries frames of the size
 * another one emits after its own insertions (bench/dp_veth_bench.py
 * --pad-floor).
 *
 * usage: sip-flood DEST_IP DEST_PORT SRC_PORT COUNT SECONDS [RATE [PAD]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VARIANTS 4096
#define BATCH 64
#define MSG_MAX 2048
#define PAD_MAX 1024
#define PAD_MIN 10 /* "X-Pad: " x CRLF */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "X-Pad: xxx...\r\n", pad bytes in all (pad >= PAD_MIN), or "" for 0. */
static void pad_line(char *out, size_t pad)
{
	if (!pad) {
		out[0] = '\0';
		return;
	}
	memcpy(out, "X-Pad: ", 7);
	memset(out + 7, 'x', pad - 9);
	memcpy(out + pad - 2, "\r\n", 3);
}

static int build(char *out, unsigned i, const char *dest, unsigned sport, const char *pad)
{
	static const char sdp[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
		"m=audio 31846 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

	return snprintf(out, MSG_MAX,
		"INVITE sip:bench-%u@%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:%u;branch=z9hG4bK-flood-%08x;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:flood@192.0.2.10>;tag=%08x\r\n"
		"To: <sip:bench-%u@%s>\r\n"
		"Call-ID: flood-%08x@192.0.2.10\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:flood@192.0.2.10:%u>\r\n"
		"Content-Type: application/sdp\r\n"
		"%s"
		"Content-Length: %zu\r\n\r\n%s",
		i, dest, sport, i, i * 2654435761u, i, dest, i * 40503u, sport, pad,
		sizeof(sdp) - 1, sdp);
}

int main(int argc, char **argv)
{
	static char msgs[VARIANTS][MSG_MAX];
	static struct iovec iov[VARIANTS];
	struct mmsghdr batch[BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET }, src = { .sin_family = AF_INET };

	static char pad[PAD_MAX + 1];

	if (argc < 6 || !inet_pton(AF_INET, argv[1], &dst.sin_addr)) {
		fprintf(stderr, "usage: sip-flood DEST_IP DEST_PORT SRC_PORT COUNT SECONDS "
				"[RATE [PAD]]\n");
		return 2;
	}
	long pad_len = argc > 7 ? atol(argv[7]) : 0;
	if (pad_len < 0 || (pad_len && pad_len < PAD_MIN) || pad_len > PAD_MAX) {
		fprintf(stderr, "sip-flood: PAD is 0 or %d to %d bytes, got %s\n", PAD_MIN,
			PAD_MAX, argv[7]);
		return 2;
	}
	pad_line(pad, (size_t)pad_len);
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	src.sin_port = htons((uint16_t)atoi(argv[3]));
	long count = atol(argv[4]);
	double secs = atof(argv[5]), rate = argc > 6 ? atof(argv[6]) : 0;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(s, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("sip-flood: socket");
		return 1;
	}
	for (unsigned i = 0; i < VARIANTS; i++) {
		int n = build(msgs[i], i, argv[1], (unsigned)atoi(argv[3]), pad);

		if (n < 0 || n >= MSG_MAX) {
			fprintf(stderr, "sip-flood: an INVITE of %d bytes does not fit in %d\n", n,
				MSG_MAX);
			return 2;
		}
		iov[i].iov_base = msgs[i];
		iov[i].iov_len = (size_t)n;
	}
	long sent = 0, errors = 0;
	double t0 = now(), t = t0;
	while (sent < count && t - t0 < secs) {
		unsigned n = count - sent < BATCH ? (unsigned)(count - sent) : BATCH;

		if (rate > 0 && sent > (t - t0) * rate) { /* ahead of the rate: wait a little */
			usleep(50);
			t = now();
			continue;
		}
		memset(batch, 0, sizeof(batch));
		for (unsigned k = 0; k < n; k++) {
			batch[k].msg_hdr.msg_iov = &iov[(sent + k) % VARIANTS];
			batch[k].msg_hdr.msg_iovlen = 1;
		}
		int r = sendmmsg(s, batch, n, 0);
		if (r < 0)
			errors++;
		else
			sent += r;
		if ((sent & 0x3fff) < BATCH)
			t = now();
	}
	t = now();
	printf("sent %ld messages in %.3f s: %.0f msgs/s (%ld send errors)\n", sent, t - t0,
	       sent / (t - t0), errors);
	return 0;
}
