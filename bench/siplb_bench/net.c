/* SPDX-License-Identifier: BSD-3-Clause */
#include "net.h"

#include <errno.h>
#include <linux/filter.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Large buffers: a burst of a million messages/s must not overflow the
 * default 200 KB between two polls. */
static void set_buffers(int fd)
{
	int size = 32 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int net_socket(const struct slb_addr *addr, bool reuseport)
{
	struct sockaddr_storage ss;
	socklen_t len = slb_addr_to_sockaddr(addr, &ss);
	int one = 1, fd = socket(addr->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	set_buffers(fd);
	if (addr->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int net_spread(int fd, unsigned n)
{
	struct sock_filter code[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_RANDOM) },
		{ BPF_ALU | BPF_MOD | BPF_K, 0, 0, n },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	struct sock_fprog prog = { .len = 3, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

uint16_t net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct slb_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) || slb_addr_from_sockaddr(&ss, &a))
		return 0;
	return a.port;
}

void net_rx_init(struct net_rx *r)
{
	for (unsigned i = 0; i < BATCH; i++) {
		r->iov[i] = (struct iovec){ r->buf[i], RX_BUF };
		r->msg[i].msg_hdr = (struct msghdr){ .msg_iov = &r->iov[i], .msg_iovlen = 1,
			.msg_name = &r->from[i] };
	}
}

int net_recv(int fd, struct net_rx *r)
{
	for (unsigned i = 0; i < BATCH; i++)
		r->msg[i].msg_hdr.msg_namelen = sizeof(r->from[i]);
	int n = recvmmsg(fd, r->msg, BATCH, MSG_DONTWAIT, NULL);

	return n < 0 ? 0 : n;
}

void net_tx_commit(struct net_tx *t, size_t len, const struct sockaddr_storage *to)
{
	unsigned i = t->n++;

	t->to[i] = *to;
	t->iov[i] = (struct iovec){ t->buf[i], len };
	t->msg[i].msg_hdr = (struct msghdr){ .msg_iov = &t->iov[i], .msg_iovlen = 1,
		.msg_name = &t->to[i],
		.msg_namelen = to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : sizeof(struct sockaddr_in) };
}

/* A full socket buffer (EAGAIN) is retried briefly: the datagram is ours to
 * deliver, dropping it here would be a loss the bench itself made. */
unsigned net_flush(int fd, struct net_tx *t)
{
	unsigned done = 0, refused = 0, spins = 0;

	while (done < t->n) {
		int r = sendmmsg(fd, t->msg + done, t->n - done, 0);

		if (r > 0) {
			done += (unsigned)r;
			continue;
		}
		if ((errno == EAGAIN || errno == ENOBUFS || errno == EINTR) && spins++ < 1000)
			continue;
		done++; /* this one cannot go: skip it, count it */
		refused++;
	}
	t->n = 0;
	return refused;
}
