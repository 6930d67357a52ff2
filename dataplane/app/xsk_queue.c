/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waiting for a killed siplb-dp's AF_XDP sockets to let go of the queues.
 *
 * The kernel releases a closed socket's buffer pool, and with it the queue
 * it was bound to, in deferred work (xp_release_deferred); on a loaded
 * machine that runs late, and a restart that binds meanwhile gets EBUSY.
 * The af_xdp PMD cannot be retried: after one failed queue set-up every
 * later attempt fails with "Failed to reserve fill queue" (seen: 218
 * attempts over 5 s after the queue was free, tests/e2e/test_e2e_restart.py
 * "queue held"; as we read the PMD, the failed attempt's mbufs stay on the
 * fill ring of the umem it destroyed).
 * So the queues are probed before the PMD touches them, with a socket of
 * our own, and the PMD is called once they are free.
 *
 * The probe binds in zero-copy mode. The kernel checks the queue first
 * (EBUSY); where the device has no zero-copy (veth, most virtual devices,
 * any NIC whose driver lacks it) it then unregisters the probe before the
 * bind returns (EOPNOTSUPP), so the probe leaves nothing to release. Where
 * zero-copy binds, the probe is closed at once and its own release is
 * deferred like any other's: a short settle time follows, the one guess in
 * this scheme. (A copy-mode probe would need it everywhere. A zero-copy
 * bind makes such a driver set its queue up again, as the PMD's own bind
 * does a moment later: this runs only on a restart after a kill.)
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>

#include "siplb_dp.h"

#define PROBE_FRAMES 8
#define PROBE_FRAME 4096
#define PROBE_RING 8
#define PROBE_EVERY_MS 20
/* After a probe that bound (a zero-copy device): its own deferred release. */
#define PROBE_SETTLE_MS 250

enum probe { QUEUE_FREE, QUEUE_FREE_PROBE_BOUND, QUEUE_HELD, PROBE_FAILED };

/* A socket with a small umem and the rings bind requires; -1 on error. */
static int probe_socket(void *area)
{
	struct xdp_umem_reg reg = {
		.addr = (uintptr_t)area,
		.len = PROBE_FRAMES * PROBE_FRAME,
		.chunk_size = PROBE_FRAME,
	};
	int ring = PROBE_RING, fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring))) {
		close(fd);
		return -1;
	}
	return fd;
}

static enum probe probe_queue(unsigned ifindex, unsigned qid, void *area)
{
	struct sockaddr_xdp a = {
		.sxdp_family = AF_XDP,
		.sxdp_flags = XDP_ZEROCOPY,
		.sxdp_ifindex = ifindex,
		.sxdp_queue_id = qid,
	};
	int fd = probe_socket(area), rc, e;

	if (fd < 0)
		return PROBE_FAILED;
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	close(fd);
	if (!rc)
		return QUEUE_FREE_PROBE_BOUND;
	return e == EBUSY ? QUEUE_HELD : QUEUE_FREE;
}

/* The PMD's first queue on the interface: start_queue= of its devargs
 * (the PMD's default, 0, without one). */
static unsigned start_queue(const struct slb_dp_port *p)
{
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	struct rte_kvargs *kv;
	const char *v;
	unsigned q = 0;

	if (rte_eth_dev_info_get(p->id, &info) || !(da = rte_dev_devargs(info.device)) ||
	    !da->args || !(kv = rte_kvargs_parse(da->args, NULL)))
		return 0;
	if ((v = rte_kvargs_get(kv, "start_queue")))
		q = (unsigned)strtoul(v, NULL, 10);
	rte_kvargs_free(kv);
	return q;
}

/* Waits for one queue; false when it is still held at give_up. */
static bool wait_queue(const struct slb_dp_port *p, unsigned ifindex, unsigned qid,
		       uint64_t give_up, void *area, bool *bound)
{
	uint64_t t0 = rte_get_timer_cycles();
	enum probe r;
	unsigned held = 0;

	while ((r = probe_queue(ifindex, qid, area)) == QUEUE_HELD) {
		if (!held++)
			slb_log(SLB_LOG_NOTICE, "port %s: queue %u of %s is held by another AF_XDP "
				"socket (a killed siplb-dp's, until the kernel releases it): "
				"waiting up to %u ms", p->cfg->name, qid, p->iface,
				SLB_DP_RECLAIM_WAIT_MS);
		if (rte_get_timer_cycles() >= give_up)
			return false;
		rte_delay_us_sleep(PROBE_EVERY_MS * 1000);
	}
	if (held)
		slb_log(SLB_LOG_NOTICE, "port %s: queue %u of %s free after %.0f ms (%u probes)",
			p->cfg->name, qid, p->iface,
			(double)(rte_get_timer_cycles() - t0) * 1e3 / (double)rte_get_timer_hz(),
			held + 1);
	if (r == PROBE_FAILED)
		slb_log(SLB_LOG_DEBUG, "port %s: queue %u of %s not probed (AF_XDP socket: %s); "
			"the PMD will say", p->cfg->name, qid, p->iface, strerror(errno));
	*bound |= r == QUEUE_FREE_PROBE_BOUND;
	return true;
}

int slb_dp_wait_xsk_queues(const struct slb_dp *dp, const struct slb_dp_port *p, char *err,
			   size_t errlen)
{
	uint64_t give_up = rte_get_timer_cycles() +
			   rte_get_timer_hz() * SLB_DP_RECLAIM_WAIT_MS / 1000;
	unsigned ifindex = if_nametoindex(p->iface), first = start_queue(p);
	bool bound = false, ok = true;
	void *area;

	if (!ifindex)
		return 0; /* the PMD reports a missing interface */
	area = mmap(NULL, PROBE_FRAMES * PROBE_FRAME, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 0;
	for (unsigned q = first; ok && q < first + dp->n_queues; q++)
		ok = wait_queue(p, ifindex, q, give_up, area, &bound);
	munmap(area, PROBE_FRAMES * PROBE_FRAME);
	if (!ok) {
		snprintf(err, errlen, "port %s (%s on %s): a queue is still held by another "
			 "AF_XDP socket after %u ms", p->cfg->name, p->driver, p->iface,
			 SLB_DP_RECLAIM_WAIT_MS);
		return -1;
	}
	if (bound)
		rte_delay_us_sleep(PROBE_SETTLE_MS * 1000);
	return 0;
}
