/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_neigh IFACE PEER_MAC: dataplane/dp_neigh.c against the kernel's real
 * neighbour table. Run by run_neigh.sh inside a namespace whose IFACE
 * (192.0.2.1/24) is a veth to a peer namespace with 192.0.2.2 and PEER_MAC;
 * the test changes neighbours and routes of its namespace with `ip`.
 *
 * Checks: a miss first, then the peer's MAC after ARP (NTF_USE); a static
 * PERMANENT neighbour; a changed MAC; a destination behind a gateway; a
 * route change moving it to another gateway; a deleted neighbour; a
 * destination without a route; start-up errors. Then churn: reader threads
 * look up 508 destinations behind two gateways while one gateway's MAC keeps
 * changing; every hit must carry a MAC its gateway had. Built a second time
 * with a 64-destination table (test_neigh_small), where the churn also
 * evicts and reuses slots under the readers all the time.
 *
 * The EAL runs without hugepages, PCI or ports: the module only needs
 * rte_hash and rte_ring, and a port id is just a number here.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ether.h>

#include "dp_neigh.h"
#include "../../check.h"

#define TEST_PORT 3
#define WAIT_MS 2000   /* longest wait for the kernel (ARP, events) */
#define POLL_MS 5
#define NO_ROUTE_MS 300
#define CHURN_READERS 3
#define CHURN_FLIPS 6       /* gateway MAC changes during the churn */
#define CHURN_FLIP_MS 250
#define CHURN_HOSTS 254     /* .1 to .254 of each range */

static struct slb_neigh *neigh;
static const char *iface;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(1);
	}
	return a.s_addr;
}

/* Runs an ip(8) command in this namespace; a failure ends the test. */
static void run_ip(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0) {
		fprintf(stderr, "FAIL: command failed: %s\n", cmd);
		exit(1);
	}
	printf("  $ %s\n", cmd);
}

/* Polls until dst resolves to want (a MAC string) on TEST_PORT. */
static void expect_mac(const char *dst, const char *want, const char *what)
{
	struct rte_ether_addr want_mac, mac;
	uint64_t t0 = mono_ms();
	char got[RTE_ETHER_ADDR_FMT_SIZE] = "(none)";
	uint16_t port = UINT16_MAX;
	bool ok = false;

	if (rte_ether_unformat_addr(want, &want_mac) < 0) {
		fprintf(stderr, "bad MAC %s\n", want);
		exit(1);
	}
	for (;;) {
		if (slb_neigh_lookup(neigh, ip(dst), &port, &mac)) {
			rte_ether_format_addr(got, sizeof(got), &mac);
			ok = rte_is_same_ether_addr(&mac, &want_mac) && port == TEST_PORT;
		}
		if (ok || mono_ms() - t0 >= WAIT_MS)
			break;
		sleep_ms(POLL_MS);
	}
	CHECK_SHOW(ok, "%s: %s -> %s port %u after %llu ms, want %s port %d", what, dst, got, port,
		   (unsigned long long)(mono_ms() - t0), want, TEST_PORT);
}

static bool lookup(const char *dst)
{
	struct rte_ether_addr mac;
	uint16_t port;

	return slb_neigh_lookup(neigh, ip(dst), &port, &mac);
}

/* Polls until dst stops resolving. */
static void expect_gone(const char *dst, const char *what)
{
	uint64_t t0 = mono_ms();
	bool gone;

	while (!(gone = !lookup(dst)) && mono_ms() - t0 < WAIT_MS)
		sleep_ms(POLL_MS);
	CHECK_SHOW(gone, "%s: %s unknown after %llu ms (at most %d)", what, dst,
		   (unsigned long long)(mono_ms() - t0), WAIT_MS);
}

/* dst must keep missing for ms (asked for all along). */
static void expect_unresolved(const char *dst, unsigned ms, const char *what)
{
	uint64_t t0 = mono_ms();
	bool resolved;

	while (!(resolved = lookup(dst)) && mono_ms() - t0 < ms)
		sleep_ms(POLL_MS);
	CHECK_SHOW(!resolved, "%s: %s unresolved for %u ms", what, dst, ms);
}

static void check_start_errors(void)
{
	struct slb_neigh_port bad = { .port_id = 0, .iface = "slb-no-such0" };
	char err[256] = "";
	struct slb_neigh *n = slb_neigh_start(&bad, 1, err, sizeof(err));

	CHECK_SHOW(!n && strstr(err, "slb-no-such0"), "start with a missing interface: %s (%s)",
		   n ? "started" : "refused", err);
	slb_neigh_stop(n);
	struct slb_neigh_port twice[2] = { { .port_id = 0, .iface = iface },
					   { .port_id = 1, .iface = iface } };

	n = slb_neigh_start(twice, 2, err, sizeof(err));
	CHECK_SHOW(!n && strstr(err, "two ports"), "start with one interface for two ports: %s",
		   n ? "started" : err);
	slb_neigh_stop(n);
	err[0] = '\0';
	n = slb_neigh_start(&bad, 0, err, sizeof(err));
	CHECK_SHOW(!n && err[0] != '\0', "start without ports: %s", n ? "started" : err);
	slb_neigh_stop(n);
}

static void check_kernel(const char *peer_mac)
{
	CHECK_SHOW(!lookup("192.0.2.2"),
		   "first lookup of 192.0.2.2 misses: the neighbour is unknown yet");
	expect_mac("192.0.2.2", peer_mac, "ARP through NTF_USE");

	run_ip("ip neigh add 192.0.2.50 lladdr 02:00:5e:00:00:50 dev %s nud permanent", iface);
	expect_mac("192.0.2.50", "02:00:5e:00:00:50", "permanent neighbour");
	run_ip("ip neigh change 192.0.2.50 lladdr 02:00:5e:00:00:51 dev %s nud permanent", iface);
	expect_mac("192.0.2.50", "02:00:5e:00:00:51", "changed neighbour");

	run_ip("ip route add 198.51.100.0/24 via 192.0.2.2 dev %s", iface);
	expect_mac("198.51.100.7", peer_mac, "behind gateway 192.0.2.2");
	run_ip("ip route replace 198.51.100.0/24 via 192.0.2.50 dev %s", iface);
	expect_mac("198.51.100.7", "02:00:5e:00:00:51", "route moved to gateway 192.0.2.50");

	run_ip("ip neigh del 192.0.2.50 dev %s", iface);
	expect_gone("192.0.2.50", "deleted neighbour");
	expect_gone("198.51.100.7", "gateway deleted");
	expect_unresolved("203.0.113.9", NO_ROUTE_MS, "no route");
	expect_mac("192.0.2.2", peer_mac, "unrelated neighbour kept");
}

struct churn_reader {
	pthread_t thread;
	uint32_t seed;
	struct rte_ether_addr peer, gw[2]; /* 198.51.100.x: peer; 203.0.113.x: gw[0|1] */
	unsigned long hits, misses, wrong;
};

static bool churn_stop;

static bool churn_mac_ok(const struct churn_reader *r, bool behind_peer,
			 const struct rte_ether_addr *mac, uint16_t port)
{
	if (port != TEST_PORT)
		return false;
	if (behind_peer)
		return rte_is_same_ether_addr(mac, &r->peer);
	return rte_is_same_ether_addr(mac, &r->gw[0]) || rte_is_same_ether_addr(mac, &r->gw[1]);
}

/* A worker: random destinations of both ranges, as fast as it can. */
static void *churn_read(void *arg)
{
	struct churn_reader *r = arg;
	uint32_t x = r->seed;

	while (!__atomic_load_n(&churn_stop, __ATOMIC_RELAXED)) {
		struct rte_ether_addr mac;
		uint16_t port;
		unsigned k;
		uint32_t dst;

		x = x * 1103515245u + 12345u;
		k = (x >> 8) % (2 * CHURN_HOSTS);
		dst = htonl((k < CHURN_HOSTS ? 0xc6336400u : 0xcb007100u) | (k % CHURN_HOSTS + 1));
		if (!slb_neigh_lookup(neigh, dst, &port, &mac))
			r->misses++;
		else if (churn_mac_ok(r, k < CHURN_HOSTS, &mac, port))
			r->hits++;
		else
			r->wrong++;
	}
	return NULL;
}

static void check_churn(const char *peer_mac)
{
	static const char *const gw_mac[2] = { "02:00:5e:00:00:60", "02:00:5e:00:00:61" };
	struct churn_reader r[CHURN_READERS];
	unsigned long hits = 0, misses = 0, wrong = 0;

	run_ip("ip neigh replace 192.0.2.60 lladdr %s dev %s nud permanent", gw_mac[0], iface);
	run_ip("ip route replace 198.51.100.0/24 via 192.0.2.2 dev %s", iface);
	run_ip("ip route replace 203.0.113.0/24 via 192.0.2.60 dev %s", iface);
	for (unsigned i = 0; i < CHURN_READERS; i++) {
		r[i] = (struct churn_reader){ .seed = 7919u * (i + 1) };
		rte_ether_unformat_addr(peer_mac, &r[i].peer);
		rte_ether_unformat_addr(gw_mac[0], &r[i].gw[0]);
		rte_ether_unformat_addr(gw_mac[1], &r[i].gw[1]);
		if (pthread_create(&r[i].thread, NULL, churn_read, &r[i]) != 0) {
			fprintf(stderr, "FAIL: reader thread\n");
			exit(1);
		}
	}
	for (unsigned f = 0; f < CHURN_FLIPS; f++) {
		sleep_ms(CHURN_FLIP_MS);
		run_ip("ip neigh change 192.0.2.60 lladdr %s dev %s nud permanent",
		       gw_mac[(f + 1) % 2], iface);
	}
	sleep_ms(CHURN_FLIP_MS);
	__atomic_store_n(&churn_stop, true, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < CHURN_READERS; i++) {
		pthread_join(r[i].thread, NULL);
		hits += r[i].hits;
		misses += r[i].misses;
		wrong += r[i].wrong;
	}
	CHECK_SHOW(!wrong && hits, "churn: %lu hits, %lu misses, %lu with a wrong MAC or port",
		   hits, misses, wrong);
}

/* EAL on the first CPU this process may run on, no hugepages, no devices;
 * its runtime directory under the caller's prefix, which the caller
 * removes (rte_eal_cleanup() leaves it). */
static int eal_init(const char *prog, const char *file_prefix)
{
	char lcore[32], prefix[64];
	cpu_set_t set;
	int cpu = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set))
			cpu++;
	snprintf(lcore, sizeof(lcore), "%d", cpu);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", file_prefix);
	char *argv[] = { (char *)prog, "-l", lcore, "--no-huge", "--no-pci", "--no-shconf",
			 "--no-telemetry", prefix, "--log-level=lib.eal:warning", NULL };

	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
}

int main(int argc, char **argv)
{
	struct slb_neigh_port port = { .port_id = TEST_PORT };
	char err[256];

	if (argc != 4) {
		fprintf(stderr, "usage: %s IFACE PEER_MAC EAL_FILE_PREFIX\n", argv[0]);
		return 2;
	}
	iface = port.iface = argv[1];
	if (eal_init(argv[0], argv[3]) < 0) {
		fprintf(stderr, "FAIL: EAL init\n");
		return 1;
	}
	check_start_errors();
	neigh = slb_neigh_start(&port, 1, err, sizeof(err));
	if (!neigh) {
		fprintf(stderr, "FAIL: slb_neigh_start: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	check_kernel(argv[2]);
	check_churn(argv[2]);
	slb_neigh_stop(neigh);
	rte_eal_cleanup();
	return check_summary();
}
