/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Setup of the DPDK ports the config names: one RX and one TX queue per
 * worker lcore on every port, one mbuf pool for all rings, UDP checksum
 * offload on transmit where every port has it and on receive where a port
 * has it, and the per-lcore state of the workers.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "siplb_dp.h"

/* Enough mbufs for every ring full plus what the lcores hold: RX rings,
 * TX rings, a burst and a TX buffer per port per lcore, the packets held for
 * a next hop's MAC, mempool caches. */
static unsigned pool_size(const struct slb_dp *dp)
{
	unsigned n = dp->n_ports * dp->n_queues * (SLB_DP_RXD + SLB_DP_TXD) +
		     dp->n_queues * (SLB_DP_BURST * (dp->n_ports + 1) + SLB_DP_HOLD +
				     SLB_DP_MBUF_CACHE);
	unsigned size = 1;

	while (size - 1 < n) /* 2^k - 1: the mempool's optimal size */
		size <<= 1;
	return size - 1;
}

static int create_pool(struct slb_dp *dp, char *err, size_t errlen)
{
	unsigned n = pool_size(dp);

	dp->pool = rte_pktmbuf_pool_create("slb_mbufs", n, SLB_DP_MBUF_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp->pool) {
		snprintf(err, errlen, "mbuf pool of %u x %u bytes: %s (with --no-huge, "
			 "raise EAL's -m)", n, RTE_MBUF_DEFAULT_BUF_SIZE, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static const struct slb_dp_static_mac *static_mac_of(const struct slb_dp *dp, const char *port)
{
	for (unsigned i = 0; i < dp->opts.n_static_macs; i++)
		if (!strcmp(dp->opts.static_macs[i].port, port))
			return &dp->opts.static_macs[i];
	return NULL;
}

/* Every --static-mac names a configured port. */
static int check_static_macs(const struct slb_dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->opts.n_static_macs; i++) {
		const char *name = dp->opts.static_macs[i].port;
		unsigned k = 0;

		while (k < dp->cfg.n_ports && strcmp(dp->cfg.ports[k].name, name))
			k++;
		if (k == dp->cfg.n_ports) {
			snprintf(err, errlen, "--static-mac %s: no such port in %s "
				 "(dataplane.ports)", name, dp->opts.config);
			return -1;
		}
	}
	return 0;
}

/* The config's iface, else the one the driver reports (af_xdp, af_packet). */
static int find_iface(struct slb_dp_port *p, const struct rte_eth_dev_info *info,
		      char *err, size_t errlen)
{
	if (p->cfg->iface[0]) {
		snprintf(p->iface, sizeof(p->iface), "%s", p->cfg->iface);
		return 0;
	}
	if (info->if_index && !if_indextoname(info->if_index, p->iface))
		p->iface[0] = 0;
	if (p->iface[0] || p->has_static_mac)
		return 0;
	snprintf(err, errlen, "port %s (%s) has no kernel interface to resolve next hops "
		 "through: give --static-mac %s=MAC (the next hop's MAC)", p->cfg->name,
		 p->driver, p->cfg->name);
	return -1;
}

/* Finds the port by its DPDK name and fills what setup needs to know. */
static int probe_port(struct slb_dp *dp, struct slb_dp_port *p,
		      struct rte_eth_dev_info *info, char *err, size_t errlen)
{
	const struct slb_dp_static_mac *sm = static_mac_of(dp, p->cfg->name);
	int rc;

	if (rte_eth_dev_get_port_by_name(p->cfg->name, &p->id)) {
		snprintf(err, errlen, "port %s (named in %s): DPDK has no port of that name; add it to "
			 "the EAL arguments (--vdev %s,... or -a PCI_ADDRESS)", p->cfg->name,
			 dp->opts.config, p->cfg->name);
		return -1;
	}
	if ((rc = rte_eth_dev_info_get(p->id, info)) ||
	    (rc = rte_eth_macaddr_get(p->id, &p->mac)) ||
	    (rc = rte_eth_dev_get_mtu(p->id, &p->mtu))) {
		snprintf(err, errlen, "port %s: %s", p->cfg->name, rte_strerror(-rc));
		return -1;
	}
	p->driver = info->driver_name;
	p->has_static_mac = sm != NULL;
	if (sm)
		p->static_mac = sm->mac;
	p->mask = p->cfg->prefix ? htonl(~0u << (32 - p->cfg->prefix)) : 0;
	p->net = p->cfg->addr & p->mask;
	p->udp_cksum_offload = info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	/* the port's verdict in ol_flags spares the proxy its pass over the
	 * datagram; without it (or with no verdict) the proxy sums it itself */
	p->rx_cksum_offload = info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (info->max_rx_queues < dp->n_queues || info->max_tx_queues < dp->n_queues) {
		snprintf(err, errlen, "port %s (%s) has %u RX and %u TX queues; %u worker lcores "
			 "need one each (fewer lcores with -l, or more queues on the port)",
			 p->cfg->name, p->driver, info->max_rx_queues, info->max_tx_queues,
			 dp->n_queues);
		return -1;
	}
	return find_iface(p, info, err, errlen);
}

/* The hash types this device gets, what it lacks logged. */
static uint64_t rss_hash(const struct slb_dp_port *p, uint64_t supported)
{
	uint64_t hf = slb_dp_rss_types(supported);
	char lacks[128];

	if (supported && hf != SLB_DP_RSS_ALL)
		slb_log(SLB_LOG_INFO, "port %s: RSS without %s: the device lacks it (or lacks "
			"the family's fragment type, without which UDP is hashed on addresses "
			"only, so that a datagram's fragments meet on one worker)", p->cfg->name,
			slb_dp_rss_text(SLB_DP_RSS_ALL & ~hf, lacks, sizeof(lacks)));
	return hf;
}

/* Entry i to queue i mod n: the workers' queues evenly. */
static const char *write_reta(const struct slb_dp *dp, const struct slb_dp_port *p,
			      uint16_t size)
{
	size_t groups = (size + RTE_ETH_RETA_GROUP_SIZE - 1u) / RTE_ETH_RETA_GROUP_SIZE;
	struct rte_eth_rss_reta_entry64 *reta = calloc(groups, sizeof(*reta));
	int rc;

	if (!reta)
		return "out of memory";
	for (unsigned i = 0; i < size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % dp->n_queues);
	}
	rc = rte_eth_dev_rss_reta_update(p->id, reta, size);
	free(reta);
	return rc ? rte_strerror(-rc) : NULL;
}

/* The RETA spread over the workers. A device whose RETA cannot be written
 * keeps its own, which drivers fill the same way over the configured
 * queues. */
static void spread_reta(const struct slb_dp *dp, const struct slb_dp_port *p, uint64_t hf,
			uint16_t size)
{
	const char *failed = size ? write_reta(dp, p, size) : "none reported";
	char text[128];

	slb_log(SLB_LOG_INFO, "port %s: RSS on %s over %u queues, RETA of %u entries: %s%s",
		p->cfg->name, slb_dp_rss_text(hf, text, sizeof(text)), dp->n_queues, size,
		failed ? failed : "spread evenly", failed ? ", the device's own stays" : "");
}

/* RSS over the workers' queues where there is more than one and the device
 * hashes; a device without RSS (pcap, null, ring, af_packet; af_xdp, whose
 * NIC's RSS is the kernel's: ethtool) fills each queue itself. */
static void configure_rss(const struct slb_dp *dp, const struct slb_dp_port *p,
			  const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	if (dp->n_queues < 2)
		return;
	conf->rx_adv_conf.rss_conf.rss_hf = rss_hash(p, info->flow_type_rss_offloads);
	if (conf->rx_adv_conf.rss_conf.rss_hf)
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	else
		slb_log(SLB_LOG_INFO, "port %s: %s has no RSS for IP: each of its %u RX queues "
			"gets what the driver puts into it (af_xdp: its NIC queue, by the "
			"kernel driver's RSS)", p->cfg->name, p->driver, dp->n_queues);
}

/* An af_xdp port's sockets serve n_queues queues of the interface (from
 * start_queue); SIP to a VIP that the NIC's RSS puts on another queue finds
 * no socket there, and siplb's XDP program drops it (no_dataplane) while
 * siplb-dp runs. Confining RSS with ethtool -X is valid, so this warns. */
static void check_xdp_queues(const struct slb_dp *dp, const struct slb_dp_port *p)
{
	char path[32 + IF_NAMESIZE];
	unsigned n = 0;
	struct dirent *e;
	DIR *d;

	if (strcmp(p->driver, "net_af_xdp"))
		return;
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", p->iface);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "rx-", 3);
	closedir(d);
	if (n > dp->n_queues)
		slb_log(SLB_LOG_WARNING, "port %s: %s has %u RX queues and siplb-dp sockets on "
			"%u: SIP to a VIP that the NIC's RSS puts on another queue is dropped "
			"(no_dataplane). Give af_xdp queue_count=%u and %u lcores, or keep RSS "
			"to the sockets' queues (ethtool -X %s equal %u, start_queue=0)",
			p->cfg->name, p->iface, n, dp->n_queues, n, n, p->iface, dp->n_queues);
}

static int configure_port(struct slb_dp *dp, struct slb_dp_port *p,
			  const struct rte_eth_dev_info *info, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_txconf txconf = info->default_txconf;
	uint16_t nb_rxd = SLB_DP_RXD, nb_txd = SLB_DP_TXD;
	int socket = rte_eth_dev_socket_id(p->id), rc;
	const char *what = "configure";

	if (p->udp_cksum_offload)
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	txconf.offloads = conf.txmode.offloads;
	if (p->rx_cksum_offload)
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	configure_rss(dp, p, info, &conf);
	rc = rte_eth_dev_configure(p->id, (uint16_t)dp->n_queues, (uint16_t)dp->n_queues, &conf);
	if (!rc)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; !rc && q < dp->n_queues; q++) {
		what = "RX queue setup";
		rc = rte_eth_rx_queue_setup(p->id, q, nb_rxd, (unsigned)socket, NULL,
					    dp->pool);
		if (!rc) {
			what = "TX queue setup";
			rc = rte_eth_tx_queue_setup(p->id, q, nb_txd, (unsigned)socket, &txconf);
		}
	}
	if (!rc) {
		what = "start";
		rc = rte_eth_dev_start(p->id);
	}
	if (rc) {
		snprintf(err, errlen, "port %s (%s): %s: %s", p->cfg->name, p->driver, what,
			 rte_strerror(-rc));
		return -1;
	}
	p->started = true;
	check_xdp_queues(dp, p);
	if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS)
		spread_reta(dp, p, conf.rx_adv_conf.rss_conf.rss_hf, info->reta_size);
	slb_log(SLB_LOG_INFO, "port %s: driver %s, iface %s, MAC " RTE_ETHER_ADDR_PRT_FMT
		", %u RX + %u TX queues (%u/%u descriptors), UDP checksum offload TX %s RX %s, "
		"MTU %u", p->cfg->name, p->driver, p->iface[0] ? p->iface : "-",
		RTE_ETHER_ADDR_BYTES(&p->mac), dp->n_queues, dp->n_queues, nb_rxd, nb_txd,
		p->udp_cksum_offload ? "on" : "off", p->rx_cksum_offload ? "on" : "off", p->mtu);
	return 0;
}

int slb_dp_ports_setup(struct slb_dp *dp, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;

	dp->default_port = -1;
	dp->udp_cksum_offload = true;
	dp->ip_mtu = UINT16_MAX;
	if (check_static_macs(dp, err, errlen) || create_pool(dp, err, errlen))
		return -1;
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct slb_dp_port *p = &dp->ports[i];

		p->cfg = &dp->cfg.ports[i];
		if (probe_port(dp, p, &info, err, errlen) ||
		    slb_dp_kernel_reclaim(dp, p, err, errlen) ||
		    configure_port(dp, p, &info, err, errlen))
			return -1;
		dp->port_index[p->id] = (uint16_t)i;
		if (p->has_static_mac && dp->default_port < 0)
			dp->default_port = (int)i;
		/* One view serves every egress: offload only if all ports have it,
		 * and the smallest MTU. */
		dp->udp_cksum_offload &= p->udp_cksum_offload;
		dp->ip_mtu = RTE_MIN(dp->ip_mtu, p->mtu);
	}
	dp->ports_up = true;
	/* a larger frame leaves as fragments, each in one mbuf */
	dp->ip_mtu = (uint16_t)RTE_MIN(dp->ip_mtu, RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN);
	if (dp->ip_mtu < SLB_DP_MIN_MTU) {
		snprintf(err, errlen, "a port's MTU is %u, below %u: a 65,535-byte datagram "
			 "would need more than %u fragments", dp->ip_mtu, SLB_DP_MIN_MTU,
			 SLB_DP_MAX_FRAGS);
		return -1;
	}
	return 0;
}

/* Reassembly buffers in plain memory: only the CPU touches them, and EAL's
 * memory (hugepages, or -m with --no-huge) stays for the mbufs. */
static struct slb_reasm *reasm_create(void)
{
	struct slb_reasm *t = malloc(sizeof(*t) + (size_t)SLB_REASM_SLOTS * SLB_REASM_BUF);

	if (t)
		slb_reasm_init(t, (uint8_t *)(t + 1), SLB_DP_REASM_MS * (rte_get_tsc_hz() / 1000));
	return t;
}

/* Worker i (in lcore order) polls queue i of every port. */
/* The lcore's routing rules state, counting into its rule_stats range. */
static int lcore_rules(struct slb_dp *dp, struct slb_dp_lcore *lc)
{
	if (!dp->rules_cache)
		dp->rules_cache = slb_rules_cache_create();
	if (dp->rules_cache)
		lc->rules = slb_rules_worker_create(dp->rules_cache,
						    slb_rule_stats_of(&dp->maps, lc->reader),
						    dp->maps.control->rule_counters);
	return lc->rules ? 0 : -1;
}

int slb_dp_lcores_setup(struct slb_dp *dp, char *err, size_t errlen)
{
	size_t size = sizeof(struct slb_dp_lcore) + dp->cfg.n_ports * sizeof(struct slb_dp_txq);
	unsigned lcore, q = 0;

	dp->n_ports = dp->cfg.n_ports;
	dp->n_queues = rte_lcore_count();
	RTE_LCORE_FOREACH(lcore) {
		struct slb_dp_lcore *lc = rte_zmalloc_socket("slb_lcore", size, RTE_CACHE_LINE_SIZE,
							     (int)rte_lcore_to_socket_id(lcore));
		int reader = rte_lcore_index((int)lcore);

		if (!lc || reader < 0 || reader >= SLB_MAX_LCORES) {
			rte_free(lc);
			snprintf(err, errlen, "lcore %u: %s", lcore, !lc ? "out of memory" :
				 "more lcores than the state maps have reader slots (128)");
			return -1;
		}
		lc->reader = (unsigned)reader;
		lc->queue = (uint16_t)q++;
		lc->ip_id = lc->queue;
		dp->lcores[lcore] = lc;
		lc->reasm = reasm_create();
		if (!lc->reasm) {
			snprintf(err, errlen, "lcore %u: out of memory for IPv4 reassembly", lcore);
			return -1;
		}
		if (lcore_rules(dp, lc)) {
			snprintf(err, errlen, "lcore %u: out of memory for routing rules", lcore);
			return -1;
		}
	}
	return 0;
}

void slb_dp_ports_stop(struct slb_dp *dp)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct slb_dp_port *p = &dp->ports[i];

		if (!p->started)
			continue;
		/* close: af_xdp detaches its XDP program, pcap flushes its file */
		rte_eth_dev_stop(p->id);
		rte_eth_dev_close(p->id);
		p->started = false;
	}
	rte_mempool_free(dp->pool);
	dp->pool = NULL;
}

void slb_dp_lcores_free(struct slb_dp *dp)
{
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		if (dp->lcores[l]) {
			free(dp->lcores[l]->reasm);
			slb_rules_worker_free(dp->lcores[l]->rules);
		}
		rte_free(dp->lcores[l]);
		dp->lcores[l] = NULL;
	}
	slb_rules_cache_free(dp->rules_cache); /* after its workers */
	dp->rules_cache = NULL;
}
