/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pinned state maps (include/siplb/state.h, state_maps.h): created and
 * pinned by siplbd, opened by siplb-dp and the tools, all mmap'd shared.
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

#include "siplb/state_maps.h"
#include "siplb/xdp.h"

/*
 * The kernel lays array elements out at a stride of value_size rounded up
 * to 8 bytes; C arrays over the mmap'd memory need that to be the size.
 */
_Static_assert(sizeof(struct slb_control) % 8 == 0, "control stride");
_Static_assert(sizeof(struct slb_state) % 8 == 0, "state stride");
_Static_assert(sizeof(struct slb_lcore_stats) % 8 == 0, "stats stride");

enum { MAP_CONTROL, MAP_STATE, MAP_MAGLEV, MAP_STATS, MAP_COUNT };

static const char *const map_names[MAP_COUNT] = {
	SLB_MAP_CONTROL, SLB_MAP_STATE, SLB_MAP_MAGLEV, SLB_MAP_STATS,
};

struct shape {
	uint32_t value_size, max_entries;
};

/* maglev: table_capacity elements of 8 bytes = two slots of table_capacity
 * u32 (state.h); 8-byte elements leave no gaps in the mmap and are small
 * enough for BPF to look up one by one. */
static struct shape shape_of(int map, uint32_t capacity)
{
	switch (map) {
	case MAP_CONTROL:
		return (struct shape){sizeof(struct slb_control), 1};
	case MAP_STATE:
		return (struct shape){sizeof(struct slb_state), 2};
	case MAP_MAGLEV:
		return (struct shape){(uint32_t)sizeof(uint64_t), capacity};
	default:
		return (struct shape){sizeof(struct slb_lcore_stats), SLB_MAX_LCORES};
	}
}

static size_t mmap_len(struct shape s)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)s.value_size * s.max_entries;

	return (len + page - 1) / page * page;
}

/* The XDP maps (xdp.h), each opened or created on its own. */
struct xdp_shape {
	const char *name;
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, flags;
};

static const struct xdp_shape xdp_shapes[SLB_XDP_MAP_COUNT] = {
	[SLB_XDP_MAP_STATS] = {SLB_MAP_XDP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			       sizeof(struct slb_xdp_stats), 1, 0},
	[SLB_XDP_MAP_NEXTHOP] = {SLB_MAP_NEXTHOP, BPF_MAP_TYPE_ARRAY, 4,
				 sizeof(struct slb_nexthop), SLB_XDP_NEXTHOP_ENTRIES, 0},
	[SLB_XDP_MAP_SRC_RATE] = {SLB_MAP_SRC_RATE, BPF_MAP_TYPE_LRU_HASH, sizeof(struct slb_ip),
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
};

const char *slb_xdp_map_name(enum slb_xdp_map i)
{
	return xdp_shapes[i].name;
}

static void reset(struct slb_maps *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < MAP_COUNT; i++)
		m->fd[i] = -1;
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++)
		m->xdp_fd[i] = -1;
}

void slb_maps_close(struct slb_maps *m)
{
	void *mem[MAP_COUNT] = {m->control, m->state, m->maglev, m->stats};

	for (int i = 0; i < MAP_COUNT; i++) {
		if (mem[i])
			munmap(mem[i], m->len[i]);
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	}
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++)
		if (m->xdp_fd[i] >= 0)
			close(m->xdp_fd[i]);
	reset(m);
}

/* Maps map i of fd into m; read-only unless writable. */
static int attach(struct slb_maps *m, int i, struct shape s, bool writable,
		  char *err, size_t errlen)
{
	size_t len = mmap_len(s);
	void *mem = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
			 m->fd[i], 0);

	if (mem == MAP_FAILED) {
		snprintf(err, errlen, "mmap of map '%s' (%zu bytes): %s%s", map_names[i], len,
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
	default:
		m->stats = mem;
	}
	return 0;
}

/* Says why dir is unusable when the filesystem under it is not a bpffs. */
static int check_bpffs(const char *dir, const char *at, char *err, size_t errlen)
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

/* mkdir -p of path, but only inside a bpffs: nothing is created elsewhere. */
static int make_dir(const char *dir, const char *path, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return check_bpffs(dir, path, err, errlen);
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

/* Opens the pinned map i and checks that it has shape s. */
static int open_map(const char *dir, struct slb_maps *m, int i, struct shape s,
		    char *err, size_t errlen)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
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

/* capacity 0: whatever the control map says (readers). */
static int check_control(const char *dir, const struct slb_maps *m, uint32_t capacity,
			 char *err, size_t errlen)
{
	const struct slb_control *c = m->control;

	if (c->magic != SLB_STATE_MAGIC || c->version != SLB_STATE_VERSION) {
		snprintf(err, errlen, "%s/%s: magic 0x%x version %u, expected 0x%x version %u "
			 "(another siplb version?)", dir, SLB_MAP_CONTROL, c->magic, c->version,
			 SLB_STATE_MAGIC, SLB_STATE_VERSION);
		return -1;
	}
	if (capacity && c->table_capacity != capacity) {
		snprintf(err, errlen, "%s: the maps hold %u Maglev slots per generation, "
			 "%u wanted", dir, c->table_capacity, capacity);
		return -1;
	}
	return 0;
}

/* Opens and maps all four; the writer maps everything writable. */
static int open_all(const char *dir, struct slb_maps *m, uint32_t capacity, bool writer,
		    char *err, size_t errlen)
{
	for (int i = 0; i < MAP_COUNT; i++) {
		struct shape s = shape_of(i, i == MAP_CONTROL ? 0 : m->control->table_capacity);
		/* Readers write only their epochs and their counters. */
		bool writable = writer || i == MAP_CONTROL || i == MAP_STATS;

		if (open_map(dir, m, i, s, err, errlen) || attach(m, i, s, writable, err, errlen) ||
		    (i == MAP_CONTROL && check_control(dir, m, capacity, err, errlen))) {
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
	const struct xdp_shape *x = &xdp_shapes[i];
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

static int create_xdp_map(const char *dir, int i, char *err, size_t errlen)
{
	const struct xdp_shape *x = &xdp_shapes[i];
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

/* Readers need every XDP map; the writer creates what is missing or stale. */
static int open_xdp(const char *dir, struct slb_maps *m, bool create, char *err, size_t errlen)
{
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++) {
		int fd = open_xdp_map(dir, i, err, errlen);

		if (fd == -1 && create)
			fd = create_xdp_map(dir, i, err, errlen);
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
	reset(m);
	if (check_bpffs(dir, dir, err, errlen))
		return -1;
	return open_all(dir, m, 0, false, err, errlen) || open_xdp(dir, m, false, err, errlen) ?
	       -1 : 0;
}

static int create_map(struct slb_maps *m, int i, struct shape s, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	char name[BPF_OBJ_NAME_LEN];

	snprintf(name, sizeof(name), "slb_%s", map_names[i]);
	m->fd[i] = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, s.value_size, s.max_entries, &opts);
	if (m->fd[i] >= 0)
		return 0;
	snprintf(err, errlen, "creating map '%s' (%u x %u bytes): %s%s", map_names[i],
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
	static const int order[MAP_COUNT] = {MAP_STATE, MAP_MAGLEV, MAP_STATS, MAP_CONTROL};
	char path[PATH_MAX];

	for (int k = 0; k < MAP_COUNT; k++) {
		int i = order[k];

		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		if ((unlink(path) && errno != ENOENT) || bpf_obj_pin(m->fd[i], path)) {
			snprintf(err, errlen, "pinning %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* New, zeroed maps: generation 0 is the empty state in slot 0. */
static int create_all(const char *dir, struct slb_maps *m, uint32_t capacity,
		      char *err, size_t errlen)
{
	for (int i = 0; i < MAP_COUNT; i++) {
		struct shape s = shape_of(i, capacity);

		if (create_map(m, i, s, err, errlen) || attach(m, i, s, true, err, errlen)) {
			slb_maps_close(m);
			return -1;
		}
	}
	m->control->magic = SLB_STATE_MAGIC;
	m->control->version = SLB_STATE_VERSION;
	m->control->table_capacity = capacity;
	if (pin_all(dir, m, err, errlen)) {
		slb_maps_close(m);
		return -1;
	}
	return 0;
}

int slb_maps_create(const char *dir, uint32_t table_capacity, struct slb_maps *m,
		    char *err, size_t errlen)
{
	/* Slot 1's table starts right after slot 0's only at an 8-byte stride. */
	uint32_t capacity = table_capacity + (table_capacity & 1);

	struct slb_maps x;

	reset(m);
	if (make_dir(dir, dir, err, errlen))
		return -1;
	/* The XDP maps first: a reader that finds the new control map finds them too. */
	reset(&x);
	if (open_xdp(dir, &x, true, err, errlen))
		return -1;
	/* Whatever is there and does not fit (absent, older, other size) is replaced. */
	if (open_all(dir, m, capacity, true, err, errlen) &&
	    create_all(dir, m, capacity, err, errlen)) {
		slb_maps_close(&x);
		return -1;
	}
	memcpy(m->xdp_fd, x.xdp_fd, sizeof(m->xdp_fd));
	return 0;
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
