/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an instance of siplb publishes, as text, for the scale-out test
 * (test_e2e_scaleout.py) to compare between instances: the active
 * generation's pools (name, seed, table size), backends (id, address,
 * weight, state, pool) and each pool's Maglev table, its bytes in hex as
 * the maps hold them. The generation number is printed first, on a line
 * of its own: instances need not have published as often.
 *
 * usage: dump_tables BPFFS_DIR
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "siplb/state_maps.h"

static void dump_backends(const struct slb_state *s)
{
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_backend *b = &s->backends[i];
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &b->addr, a, sizeof(a));
		printf("backend %u %s:%u weight %u state %u pool %u\n", i, a, ntohs(b->port),
		       b->weight, b->state, b->pool);
	}
}

static void dump_table(const struct slb_pool *p, const uint32_t *table)
{
	const uint8_t *bytes = (const uint8_t *)(table + p->table_off);

	printf("table %s ", p->name);
	for (size_t i = 0; i < (size_t)p->table_size * sizeof(*table); i++)
		printf("%02x", bytes[i]);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct slb_maps m;
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: dump_tables BPFFS_DIR\n");
		return 2;
	}
	if (slb_maps_open(argv[1], &m, err, sizeof(err))) {
		fprintf(stderr, "dump_tables: %s\n", err);
		return 1;
	}
	uint64_t g = slb_generation(&m);
	const struct slb_state *s = slb_state_of(&m, g);

	printf("generation %" PRIu64 "\n", g);
	for (uint32_t p = 0; p < s->n_pools; p++)
		printf("pool %s seed 0x%" PRIx64 " size %u\n", s->pools[p].name, (uint64_t)s->pools[p].seed,
		       s->pools[p].table_size);
	dump_backends(s);
	for (uint32_t p = 0; p < s->n_pools; p++)
		dump_table(&s->pools[p], slb_tables_of(&m, g));
	slb_maps_close(&m);
	return 0;
}
