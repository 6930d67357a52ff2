/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pinned state maps' writer side, siplbd's alone: creating and pinning
 * what a reader would not find (the reader side, which it opens the rest
 * with, is dataplane/lib/state_maps.c).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_maps_int.h"

/* mkdir -p of path, but only inside a bpffs: nothing is created elsewhere. */
static int make_dir(const char *dir, const char *path, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return slb_maps_check_bpffs(dir, path, err, errlen);
		snprintf(err, errlen, "%s: %s is not a directory", dir, path);
		return -1;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else
		slash[slash == parent] = 0; /* the parent of "/x" is "/" */
	if (make_dir(dir, parent, err, errlen))
		return -1;
	if (mkdir(path, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "%s: mkdir %s: %s", dir, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* slb_xdp_map_create_fn: XDP map i, which was missing or stale. */
static int create_xdp_map(const char *dir, int i, char *err, size_t errlen)
{
	const struct slb_xdp_shape *x = &slb_xdp_shapes[i];
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = x->flags);
	char name[BPF_OBJ_NAME_LEN], path[PATH_MAX];
	int fd;

	snprintf(name, sizeof(name), "slb_%s", x->name);
	snprintf(path, sizeof(path), "%s/%s", dir, x->name);
	fd = bpf_map_create(x->type, name, x->key_size, x->value_size, x->max_entries, &opts);
	if (fd < 0) {
		snprintf(err, errlen, "creating map '%s': %s%s", x->name, strerror(errno),
			 errno == EPERM ? " (needs root or CAP_BPF)" : "");
		return -1;
	}
	if ((unlink(path) && errno != ENOENT) || bpf_obj_pin(fd, path)) {
		snprintf(err, errlen, "pinning %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int create_map(struct slb_maps *m, int i, struct slb_map_shape s,
		      char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	char name[BPF_OBJ_NAME_LEN];

	snprintf(name, sizeof(name), "slb_%s", slb_map_names[i]);
	m->fd[i] = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, s.value_size, s.max_entries, &opts);
	if (m->fd[i] >= 0)
		return 0;
	snprintf(err, errlen, "creating map '%s' (%u x %u bytes): %s%s", slb_map_names[i],
		 s.max_entries, s.value_size, strerror(errno),
		 errno == EPERM ? " (needs root or CAP_BPF)" :
		 errno == E2BIG ? " (some kernels cap an array value at 4 MiB: a smaller "
				  "maglev.capacity)" : "");
	return -1;
}

/* Replaces whatever is pinned at dir/NAME; control last, so that a reader
 * that finds the new control map finds the new others too. */
static int pin_all(const char *dir, const struct slb_maps *m, char *err, size_t errlen)
{
	static const int order[MAP_COUNT] = {MAP_STATE, MAP_MAGLEV, MAP_STATS, MAP_RULES,
					     MAP_RULE_STATS, MAP_CONTROL};
	char path[PATH_MAX];

	for (int k = 0; k < MAP_COUNT; k++) {
		int i = order[k];

		snprintf(path, sizeof(path), "%s/%s", dir, slb_map_names[i]);
		if ((unlink(path) && errno != ENOENT) || bpf_obj_pin(m->fd[i], path)) {
			snprintf(err, errlen, "pinning %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* New, zeroed maps: generation 0 is the empty state in slot 0. */
static int create_all(const char *dir, struct slb_maps *m, const struct slb_map_sizes *z,
		      char *err, size_t errlen)
{
	for (int i = 0; i < MAP_COUNT; i++) {
		struct slb_map_shape s = slb_map_shape(i, z);

		if (create_map(m, i, s, err, errlen) ||
		    slb_maps_attach(m, i, s, true, err, errlen)) {
			slb_maps_close(m);
			return -1;
		}
	}
	m->control->magic = SLB_STATE_MAGIC;
	m->control->version = SLB_STATE_VERSION;
	m->control->table_capacity = z->table_capacity;
	m->control->rules_capacity = z->rules_capacity;
	m->control->rule_counters = z->rule_counters;
	if (pin_all(dir, m, err, errlen)) {
		slb_maps_close(m);
		return -1;
	}
	return 0;
}

int slb_maps_create(const char *dir, const struct slb_map_sizes *sizes, struct slb_maps *m,
		    char *err, size_t errlen)
{
	/* Slot 1 starts right after slot 0 only at an 8-byte stride. */
	struct slb_map_sizes z = {
		.table_capacity = sizes->table_capacity + (sizes->table_capacity & 1),
		.rules_capacity = (sizes->rules_capacity + 7) & ~7u,
		.rule_counters = sizes->rule_counters,
	};
	struct slb_maps x;

	slb_maps_reset(m);
	if (make_dir(dir, dir, err, errlen))
		return -1;
	/* The XDP maps first: a reader that finds the new control map finds them too. */
	slb_maps_reset(&x);
	if (slb_maps_open_xdp(dir, &x, create_xdp_map, err, errlen))
		return -1;
	/* Whatever is there and does not fit (absent, older, other size) is replaced. */
	if (slb_maps_open_all(dir, m, &z, true, err, errlen) &&
	    create_all(dir, m, &z, err, errlen)) {
		slb_maps_close(&x);
		return -1;
	}
	memcpy(m->xdp_fd, x.xdp_fd, sizeof(m->xdp_fd));
	return 0;
}
