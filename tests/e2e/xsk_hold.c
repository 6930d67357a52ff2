/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Holds an interface's queue with an AF_XDP socket until SIGTERM, for the
 * restart test's "queue held" case: siplb-dp, started while another
 * socket is bound to its queue (as a killed siplb-dp's is until the kernel
 * releases it), must wait for the queue and start once it is free
 * (dataplane/app/xsk_queue.c).
 *
 * usage: xsk_hold IFACE QUEUE
 * Binds in copy mode (retrying for 5 s while the queue is still busy),
 * prints "held IFACE QUEUE", waits for SIGTERM, closes the socket, prints
 * "released" and exits 0. Nothing is received: the socket is never in any
 * XSK map, so no packet reaches it.
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAMES 64
#define FRAME_SIZE 4096
#define RING 64
#define BIND_TRIES 250 /* 20 ms apart: 5 s */

static int set(int fd, int opt, const void *val, socklen_t len, const char *what)
{
	if (setsockopt(fd, SOL_XDP, opt, val, len) == 0)
		return 0;
	fprintf(stderr, "xsk_hold: %s: %s\n", what, strerror(errno));
	return -1;
}

/* The socket with its umem and rings, not yet bound; -1 on error. */
static int xsk_socket(void *area)
{
	struct xdp_umem_reg reg = {
		.addr = (unsigned long)area,
		.len = FRAMES * FRAME_SIZE,
		.chunk_size = FRAME_SIZE,
	};
	int ring = RING;
	int fd = socket(AF_XDP, SOCK_RAW, 0);

	if (fd < 0) {
		fprintf(stderr, "xsk_hold: socket(AF_XDP): %s\n", strerror(errno));
		return -1;
	}
	if (set(fd, XDP_UMEM_REG, &reg, sizeof(reg), "umem") ||
	    set(fd, XDP_UMEM_FILL_RING, &ring, sizeof(ring), "fill ring") ||
	    set(fd, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring), "completion ring") ||
	    set(fd, XDP_RX_RING, &ring, sizeof(ring), "rx ring")) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_xdp addr = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_COPY };
	struct timespec busy_wait = { 0, 20 * 1000 * 1000 };
	sigset_t term;
	void *area;
	int fd, tries = 0, rc, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: xsk_hold IFACE QUEUE\n");
		return 2;
	}
	addr.sxdp_ifindex = if_nametoindex(argv[1]);
	addr.sxdp_queue_id = (unsigned)atoi(argv[2]);
	if (!addr.sxdp_ifindex) {
		fprintf(stderr, "xsk_hold: %s: no such interface\n", argv[1]);
		return 1;
	}
	area = mmap(NULL, FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || (fd = xsk_socket(area)) < 0)
		return 1;
	/* SIGTERM blocked from here, so it is taken by sigwait whenever it comes. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	while ((rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr))) && errno == EBUSY &&
	       ++tries < BIND_TRIES)
		nanosleep(&busy_wait, NULL);
	if (rc) {
		fprintf(stderr, "xsk_hold: bind %s queue %s: %s\n", argv[1], argv[2],
			strerror(errno));
		return 1;
	}
	printf("held %s %s after %d busy attempts\n", argv[1], argv[2], tries);
	fflush(stdout);
	sigwait(&term, &sig);
	close(fd);
	printf("released\n");
	return 0;
}
