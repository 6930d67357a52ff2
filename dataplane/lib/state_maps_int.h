/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the state maps: their names and shapes and the steps of opening
 * them, shared by the reader side (dataplane/lib/state_maps.c, which defines them)
 * and the writer side (control/state_maps_create.c, siplbd's only), which
 * creates what a reader would not find. Not for anyone else.
 */
#ifndef SIPLB_STATE_MAPS_INT_H
#define SIPLB_STATE_MAPS_INT_H

#include <bpf/bpf.h>

#include "siplb/state_maps.h"

/* The mmap'd maps, as indexes of slb_maps.fd and slb_map_names. */
enum { MAP_CONTROL, MAP_STATE, MAP_MAGLEV, MAP_STATS, MAP_RULES, MAP_RULE_STATS, MAP_COUNT };

extern const char *const slb_map_names[MAP_COUNT];

struct slb_map_shape {
	uint32_t value_size, max_entries;
};

/* The XDP maps (xdp.h), each opened or created on its own. */
struct slb_xdp_shape {
	const char *name;
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, flags;
};

extern const struct slb_xdp_shape slb_xdp_shapes[SLB_XDP_MAP_COUNT];

/* The shape of map i for these sizes. */
struct slb_map_shape slb_map_shape(int map, const struct slb_map_sizes *sizes);

/* No map open: every fd -1, nothing mapped. */
void slb_maps_reset(struct slb_maps *m);

/* Maps map i of fd into m; read-only unless writable. */
int slb_maps_attach(struct slb_maps *m, int i, struct slb_map_shape s, bool writable,
		    char *err, size_t errlen);

/* Says why dir is unusable when the filesystem under `at` is not a bpffs. */
int slb_maps_check_bpffs(const char *dir, const char *at, char *err, size_t errlen);

/* Opens and maps them all, checking the control map's version and, unless
 * sizes is NULL, its sizes; the writer maps everything writable. */
int slb_maps_open_all(const char *dir, struct slb_maps *m, const struct slb_map_sizes *sizes,
		      bool writer, char *err, size_t errlen);

/* Creates and pins XDP map i under dir: its fd, or -1 with a reason. */
typedef int slb_xdp_map_create_fn(const char *dir, int i, char *err, size_t errlen);

/* Opens every XDP map; one missing or of another shape is made by create
 * (the writer's), or is an error when create is NULL (readers). */
int slb_maps_open_xdp(const char *dir, struct slb_maps *m, slb_xdp_map_create_fn *create,
		      char *err, size_t errlen);

#endif
