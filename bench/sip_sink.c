/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip-sink: counts UDP datagrams on a port with recvmmsg until it has been
 * idle for IDLE_MS after the first one, or SECONDS have passed; prints the
 * count. For loss measurements at the backends.
 *
 * usage: sip-sink BIND_IP PORT SECONDS IDLE_MS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

int main(int argc, char **argv)
{
	static char bufs[BATCH][2048];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_in a = { .sin_family = AF_INET };
	int rcvbuf = 64 << 20;

	if (argc < 5 || !inet_pton(AF_INET, argv[1], &a.sin_addr)) {
		fprintf(stderr, "usage: sip-sink BIND_IP PORT SECONDS IDLE_MS\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("sip-sink: bind");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	long total = 0;
	int limit_ms = atoi(argv[3]) * 1000, idle_ms = atoi(argv[4]), waited = 0;
	struct pollfd p = { .fd = s, .events = POLLIN };
	printf("sip-sink: ready\n");
	fflush(stdout);
	while (waited < limit_ms) {
		int r = poll(&p, 1, 10);
		if (r <= 0) {
			waited += 10;
			if (total && waited >= idle_ms)
				break;
			continue;
		}
		waited = 0;
		r = recvmmsg(s, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (r > 0)
			total += r;
	}
	printf("received %ld\n", total);
	return 0;
}
