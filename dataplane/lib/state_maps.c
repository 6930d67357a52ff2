/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pinned state maps (include/siplb/state.h, state_maps.h), the reader
 * side: opened by siplb-dp, siplbd and the tools, all mmap'd shared. The
 * writer side, creating and pinning them, is siplbd's alone
 * (control/state_maps_create.c).
 */
#include <assert.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "state_maps_int.h"
#include "siplb/xdp.h"

/*
 * The kernel lays array elements out at a stride of value_size rounded up
 * to 8 bytes; C arrays over the mmap'd memory need that to be the size.
 */
_Static_assert(sizeof(struct slb_control) % 8 == 0, "control stride");
_Static_assert(sizeof(struct slb_state) % 8 == 0, "state stride");
_Static_assert(sizeof(struct slb_lcore_stats) % 8 == 0, "stats stride");

const char *const slb_map_names[MAP_COUNT] = {
	SLB_MAP_CONTROL, SLB_MAP_STATE, SLB_MAP_MAGLEV, SLB_MAP_STATS, SLB_MAP_RULES,
	SLB_MAP_RULE_STATS,
};

/* maglev: table_capacity elements of 8 bytes = two slots of table_capacity
 * u32 (state.h); 8-byte elements leave no gaps in the mmap and are small
 * enough for BPF to look up one by one. rules and rule_stats likewise:
 * bytes and counters in elements of 8. */
struct slb_map_shape slb_map_shape(int map, const struct slb_map_sizes *z)
{
	const uint32_t u64 = (uint32_t)sizeof(uint64_t);

	switch (map) {
	case MAP_CONTROL:
		return (struct slb_map_shape){sizeof(struct slb_control), 1};
	case MAP_STATE:
		return (struct slb_map_shape){sizeof(struct slb_state), 2};
	case MAP_MAGLEV:
		return (struct slb_map_shape){u64, z->table_capacity};
	case MAP_RULES:
		return (struct slb_map_shape){u64, z->rules_capacity / u64 * 2};
	case MAP_RULE_STATS:
		return (struct slb_map_shape){u64, z->rule_counters * SLB_MAX_LCORES};
	default:
		return (struct slb_map_shape){sizeof(struct slb_lcore_stats), SLB_MAX_LCORES};
	}
}

static size_t mmap_len(struct slb_map_shape s)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)s.value_size * s.max_entries;

	return (len + page - 1) / page * page;
}

const struct slb_xdp_shape slb_xdp_shapes[SLB_XDP_MAP_COUNT] = {
	[SLB_XDP_MAP_STATS] = {SLB_MAP_XDP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			       sizeof(struct slb_xdp_stats), 1, 0},
	[SLB_XDP_MAP_NEXTHOP] = {SLB_MAP_NEXTHOP, BPF_MAP_TYPE_ARRAY, 4,
				 sizeof(struct slb_nexthop), SLB_XDP_NEXTHOP_ENTRIES, 0},
	[SLB_XDP_MAP_SRC_RATE] = {SLB_MAP_SRC_RATE, BPF_MAP_TYPE_LRU_HASH, sizeof(struct slb_addr),
				  sizeof(uint64_t), SLB_XDP_SRC_RATE_ENTRIES, 0},
	[SLB_XDP_MAP_VIP_RATE] = {SLB_MAP_VIP_RATE, BPF_MAP_TYPE_ARRAY, 4, sizeof(uint64_t),
				  SLB_MAX_VIPS, 0},
	/* LPM tries exist only without preallocation. */
	[SLB_XDP_MAP_BLOCK4] = {SLB_MAP_BLOCK4, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct slb_lpm4), 1,
				SLB_XDP_BLOCK_ENTRIES, BPF_F_NO_PREALLOC},
	[SLB_XDP_MAP_BLOCK6] = {SLB_MAP_BLOCK6, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct slb_lpm6), 1,
				SLB_XDP_BLOCK_ENTRIES, BPF_F_NO_PREALLOC},
	[SLB_XDP_MAP_PORT_MAC] = {SLB_MAP_PORT_MAC, BPF_MAP_TYPE_ARRAY, 4,
				  sizeof(struct slb_port_mac), SLB_XDP_PORT_ENTRIES, 0},
	[SLB_XDP_MAP_RULE_SRC] = {SLB_MAP_RULE_SRC, BPF_MAP_TYPE_LPM_TRIE,
				  sizeof(struct slb_rule_src_key), sizeof(struct slb_xdp_rule),
				  2 * SLB_XDP_RULE_ENTRIES, BPF_F_NO_PREALLOC},
	[SLB_XDP_MAP_RULE_RATE] = {SLB_MAP_RULE_RATE, BPF_MAP_TYPE_LRU_HASH,
				   sizeof(struct slb_rule_rate_key), sizeof(uint64_t),
				   SLB_XDP_RULE_RATE_ENTRIES, 0},
	[SLB_XDP_MAP_RULE_HITS] = {SLB_MAP_RULE_HITS, BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(uint64_t),
				   SLB_XDP_RULE_HITS, 0},
};

const char *slb_xdp_map_name(enum slb_xdp_map i)
{
	return slb_xdp_shapes[i].name;
}

void slb_maps_reset(struct slb_maps *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < MAP_COUNT; i++)
		m->fd[i] = -1;
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++)
		m->xdp_fd[i] = -1;
}

void slb_maps_close(struct slb_maps *m)
{
	void *mem[MAP_COUNT] = {m->control, m->state, m->maglev, m->stats, m->rules,
				m->rule_stats};

	for (int i = 0; i < MAP_COUNT; i++) {
		if (mem[i])
			munmap(mem[i], m->len[i]);
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	}
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++)
		if (m->xdp_fd[i] >= 0)
			close(m->xdp_fd[i]);
	slb_maps_reset(m);
}

int slb_maps_attach(struct slb_maps *m, int i, struct slb_map_shape s, bool writable,
		    char *err, size_t errlen)
{
	size_t len = mmap_len(s);
	void *mem = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
			 m->fd[i], 0);

	if (mem == MAP_FAILED) {
		snprintf(err, errlen, "mmap of map '%s' (%zu bytes): %s%s", slb_map_names[i], len,
			 strerror(errno),
			 errno == EINVAL ? " (not created with BPF_F_MMAPABLE?)" : "");
		return -1;
	}
	m->len[i] = len;
	switch (i) {
	case MAP_CONTROL:
		m->control = mem;
		break;
	case MAP_STATE:
		m->state = mem;
		break;
	case MAP_MAGLEV:
		m->maglev = mem;
		break;
	case MAP_RULES:
		m->rules = mem;
		break;
	case MAP_RULE_STATS:
		m->rule_stats = mem;
		break;
	default:
		m->stats = mem;
	}
	return 0;
}

int slb_maps_check_bpffs(const char *dir, const char *at, char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(at, &st)) {
		snprintf(err, errlen, "%s: %s", at, strerror(errno));
		return -1;
	}
	if (st.f_type == BPF_FS_MAGIC)
		return 0;
	snprintf(err, errlen, "%s: %s is not on a bpffs (mount -t bpf bpf DIR first; "
		 "`ip netns exec` remounts /sys, so in a namespace /sys/fs/bpf is empty: "
		 "mount a bpffs under /run and point siplbd and siplb-dp there)", dir, at);
	return -1;
}

/* Opens the pinned map i and checks that it has shape s. */
static int open_map(const char *dir, struct slb_maps *m, int i, struct slb_map_shape s,
		    char *err, size_t errlen)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, slb_map_names[i]);
	m->fd[i] = bpf_obj_get(path);
	if (m->fd[i] < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (has siplbd published there?)" : "");
		return -1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(m->fd[i], &info, &len)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
	    info.value_size != s.value_size || info.max_entries != s.max_entries ||
	    !(info.map_flags & BPF_F_MMAPABLE)) {
		snprintf(err, errlen, "%s: an array of %u x %u bytes where %u x %u mmapable "
			 "ones are expected (another siplb version?)", path, info.max_entries,
			 info.value_size, s.max_entries, s.value_size);
		return -1;
	}
	return 0;
}

/* sizes NULL: whatever the control map says (readers). */
static int check_control(const char *dir, const struct slb_maps *m,
			 const struct slb_map_sizes *z, char *err, size_t errlen)
{
	const struct slb_control *c = m->control;

	if (c->magic != SLB_STATE_MAGIC || c->version != SLB_STATE_VERSION) {
		snprintf(err, errlen, "%s/%s: magic 0x%x version %u, expected 0x%x version %u "
			 "(another siplb version?)", dir, SLB_MAP_CONTROL, c->magic, c->version,
			 SLB_STATE_MAGIC, SLB_STATE_VERSION);
		return -1;
	}
	if (z && (c->table_capacity != z->table_capacity ||
		  c->rules_capacity != z->rules_capacity || c->rule_counters != z->rule_counters)) {
		snprintf(err, errlen, "%s: the maps hold %u Maglev slots, %u rule bytes per "
			 "generation and %u rule counters per lcore, %u, %u and %u wanted", dir,
			 c->table_capacity, c->rules_capacity, c->rule_counters, z->table_capacity,
			 z->rules_capacity, z->rule_counters);
		return -1;
	}
	return 0;
}

static struct slb_map_sizes sizes_of(const struct slb_control *c)
{
	return (struct slb_map_sizes){c->table_capacity, c->rules_capacity, c->rule_counters};
}

int slb_maps_open_all(const char *dir, struct slb_maps *m, const struct slb_map_sizes *sizes,
		      bool writer, char *err, size_t errlen)
{
	for (int i = 0; i < MAP_COUNT; i++) {
		struct slb_map_sizes now = {0, 0, 0};
		struct slb_map_shape s;
		/* Readers write only their epochs and their counters. */
		bool writable = writer || i == MAP_CONTROL || i == MAP_STATS ||
				i == MAP_RULE_STATS;

		if (i != MAP_CONTROL)
			now = sizes_of(m->control);
		s = slb_map_shape(i, &now);
		if (open_map(dir, m, i, s, err, errlen) ||
		    slb_maps_attach(m, i, s, writable, err, errlen) ||
		    (i == MAP_CONTROL && check_control(dir, m, sizes, err, errlen))) {
			slb_maps_close(m);
			return -1;
		}
	}
	return 0;
}

/* The pinned XDP map i if it has its shape: its fd, -1 (absent or another
 * shape, said in err) or -2 (cannot be looked at). */
static int open_xdp_map(const char *dir, int i, char *err, size_t errlen)
{
	const struct slb_xdp_shape *x = &slb_xdp_shapes[i];
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, x->name);
	fd = bpf_obj_get(path);
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (has a siplbd of this version published there?)" : "");
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? -1 : -2;
	}
	if (info.type == x->type && info.key_size == x->key_size &&
	    info.value_size == x->value_size && info.max_entries == x->max_entries &&
	    info.map_flags == x->flags)
		return fd;
	snprintf(err, errlen, "%s: map type %u, %u x %u+%u bytes, flags 0x%x where type %u, %u x "
		 "%u+%u, flags 0x%x is expected (another siplb version?)", path, info.type,
		 info.max_entries, info.key_size, info.value_size, info.map_flags, x->type,
		 x->max_entries, x->key_size, x->value_size, x->flags);
	close(fd);
	return -1;
}

int slb_maps_open_xdp(const char *dir, struct slb_maps *m, slb_xdp_map_create_fn *create,
		      char *err, size_t errlen)
{
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++) {
		int fd = open_xdp_map(dir, i, err, errlen);

		if (fd == -1 && create)
			fd = create(dir, i, err, errlen);
		if (fd < 0) {
			slb_maps_close(m);
			return -1;
		}
		m->xdp_fd[i] = fd;
	}
	return 0;
}

int slb_maps_open(const char *dir, struct slb_maps *m, char *err, size_t errlen)
{
	slb_maps_reset(m);
	if (slb_maps_check_bpffs(dir, dir, err, errlen))
		return -1;
	return slb_maps_open_all(dir, m, NULL, false, err, errlen) ||
	       slb_maps_open_xdp(dir, m, NULL, err, errlen) ? -1 : 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void slb_reader_heartbeat(struct slb_maps *m, unsigned reader)
{
	assert(reader < SLB_MAX_LCORES);
	__atomic_store_n(&m->control->readers[reader].heartbeat_ns, monotonic_ns(),
			 __ATOMIC_RELEASE);
}

/* The inode of this process's PID namespace; 0 when /proc cannot say. */
static uint64_t own_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (uint64_t)st.st_ino;
}

void slb_reader_claim(struct slb_maps *m, unsigned reader)
{
	struct slb_reader *r = &m->control->readers[reader];

	assert(reader < SLB_MAX_LCORES);
	__atomic_store_n(&r->pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&r->pidns, own_pidns(), __ATOMIC_RELAXED);
	slb_reader_heartbeat(m, reader); /* release: the owner before the heartbeat */
}

/* Only a pid of our own PID namespace names a process we can ask about;
 * our own pid is a predecessor's number we were given again. */
static bool owner_dead(const struct slb_reader *r)
{
	uint32_t pid = __atomic_load_n(&r->pid, __ATOMIC_RELAXED);
	uint64_t ns = __atomic_load_n(&r->pidns, __ATOMIC_RELAXED);

	if (!pid || !ns || ns != own_pidns())
		return false;
	return pid == (uint32_t)getpid() || (kill((pid_t)pid, 0) && errno == ESRCH);
}

bool slb_reader_live(const struct slb_maps *m, unsigned reader, uint64_t *age_ns)
{
	const struct slb_reader *r = &m->control->readers[reader];
	uint64_t hb = __atomic_load_n(&r->heartbeat_ns, __ATOMIC_ACQUIRE);

	assert(reader < SLB_MAX_LCORES);
	*age_ns = monotonic_ns() - hb; /* after the load: hb is never in the future */
	return hb && *age_ns <= SLB_READER_TIMEOUT_NS && !owner_dead(r);
}

void slb_reader_leave(struct slb_maps *m, unsigned reader)
{
	assert(reader < SLB_MAX_LCORES);
	__atomic_store_n(&m->control->readers[reader].heartbeat_ns, 0, __ATOMIC_RELEASE);
}
