// SPDX-License-Identifier: Apache-2.0
#include "filters.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "array.h"
#include "log.h"
#include "socket_types.h"
#include "tracer.h"
#include "tt_filter.h"
#include "tt_contract.h"

/* The path becomes a C string in the BPF text: keep it plain. */
static const char *path_problem(const char *path)
{
	if (!*path)
		return "empty";
	for (const char *p = path; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			return "has a quote, backslash or control character";
	return NULL;
}

int tt_filters_option(struct tt_filters *filters, int key, const char *arg)
{
	const char *why = NULL;
	switch (key) {
	case 'p':
		why = tt_parse_pid(arg, &filters->pid);
		return why ? tt_bad_value("PID", arg, why) : 0;
	case 'u':
		why = tt_parse_uid(arg, &filters->uid);
		filters->has_uid = !why;
		return why ? tt_bad_value("UID", arg, why) : 0;
	case 'P':
		why = tt_parse_port_list(arg, &filters->ports);
		return why ? tt_bad_value("port list", arg, why) : 0;
	case TT_OPT_PEER:
		why = tt_parse_cidr_list(arg, &filters->peers);
		return why ? tt_bad_value("CIDR list", arg, why) : 0;
	case TT_OPT_COMM:
		if (!*arg)
			return tt_bad_value("command name", arg, "empty");
		/* The kernel keeps 15 bytes of a name (TASK_COMM_LEN - 1): so do we. */
		memset(filters->comm, 0, sizeof(filters->comm));
		strncpy(filters->comm, arg, sizeof(filters->comm) - 1);
		return 0;
	case TT_OPT_NETNS: {
		uint64_t inode;
		why = tt_parse_ranged(arg, 1, UINT32_MAX, &inode, "out of range (1 to 4294967295)");
		filters->netns = (uint32_t)inode;
		return why ? tt_bad_value("network namespace inode", arg, why) : 0;
	}
	case '4':
	case '6':
		if (filters->family && filters->family != (key == '4' ? AF_INET : AF_INET6)) {
			tt_error("-4 and -6 exclude each other");
			return -1;
		}
		filters->family = key == '4' ? AF_INET : AF_INET6;
		return 0;
	case TT_OPT_CGROUP:
		filters->cgroup_dir = arg;
		filters->cgroup_fd = -1; /* opened once every option is read */
		return 0;
	case TT_OPT_CGROUPMAP:
	case TT_OPT_MNTNSMAP:
		why = path_problem(arg);
		if (why)
			return tt_bad_value("map path", arg, why);
		*(key == TT_OPT_CGROUPMAP ? &filters->cgroupmap : &filters->mntnsmap) = arg;
		return 0;
	default:
		return 1;
	}
}

/*
 * Whether the directory of path exists but is no bpf filesystem: then a
 * missing map is missing because no bpffs is mounted there (in this mount
 * namespace), which is worth saying.
 */
static bool dir_lacks_bpffs(const char *path, char *dir, size_t dir_size)
{
	const char *slash = strrchr(path, '/');
	size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if (len >= dir_size)
		return false;
	memcpy(dir, slash ? path : ".", len);
	dir[len] = '\0';
	struct statfs fs;
	return statfs(dir, &fs) == 0 && fs.f_type != BPF_FS_MAGIC;
}

/* BCC's maps: a hash with 8-byte keys and value_size-byte values. */
static int check_pinned_map(const char *option, const char *path, unsigned value_size)
{
	struct statfs fs;
	char shown[TT_SHOWN_ARG_MAX];
	tt_shown_arg(path, shown);
	if (statfs(path, &fs) != 0) {
		int err = errno;
		char dir[PATH_MAX];
		if (err == ENOENT && dir_lacks_bpffs(path, dir, sizeof(dir))) {
			char shown_dir[TT_SHOWN_ARG_MAX];
			tt_error("%s: %s: %s (no bpf filesystem is mounted at %s)", option, shown,
			         strerror(err), tt_shown_arg(dir, shown_dir));
		} else {
			tt_error("%s: %s: %s", option, shown, strerror(err));
		}
		return -1;
	}
	if (fs.f_type != BPF_FS_MAGIC) {
		tt_error("%s: %s is not a pinned BPF map (not on a bpf filesystem)", option, shown);
		return -1;
	}
	int fd = bpf_obj_get(path);
	if (fd < 0) {
		tt_error("%s: cannot open pinned BPF map %s: %s", option, shown, strerror(errno));
		return -1;
	}
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (rc != 0 || info.type != BPF_MAP_TYPE_HASH || info.key_size != 8 ||
	    info.value_size != value_size) {
		tt_error("%s: %s must be a hash map with 8-byte keys and %u-byte values", option,
		         shown, value_size);
		return -1;
	}
	return 0;
}

static int check_filters(struct tt_filters *filters)
{
	if (filters->cgroup_dir) {
		struct statfs fs;
		char shown[TT_SHOWN_ARG_MAX];
		tt_shown_arg(filters->cgroup_dir, shown);
		filters->cgroup_fd = open(filters->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (filters->cgroup_fd < 0) {
			tt_error("--cgroup: cannot open %s: %s", shown, strerror(errno));
			return -1;
		}
		if (fstatfs(filters->cgroup_fd, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
			tt_error("--cgroup: %s is not a cgroup v2 directory", shown);
			return -1;
		}
	}
	if (filters->cgroupmap && check_pinned_map("--cgroupmap", filters->cgroupmap, 8) != 0)
		return -1;
	if (filters->mntnsmap && check_pinned_map("--mntnsmap", filters->mntnsmap, 4) != 0)
		return -1;
	return 0;
}

static void filters_defines(const struct tt_filters *filters, struct tt_plan *plan)
{
	/* The values of -p -u --comm -N -P and the prefixes go into maps after loading. */
	if (filters->pid)
		tt_plan_define(plan, TT_DEFINE(TT_PID_FILTER), "1");
	if (filters->has_uid)
		tt_plan_define(plan, TT_DEFINE(TT_UID_FILTER), "1");
	if (filters->family)
		tt_plan_define(plan, TT_DEFINE(TT_TARGET_FAMILY), "%d",
		               filters->family == AF_INET ? 2 : 10);
	if (filters->ports.count)
		tt_plan_define(plan, TT_DEFINE(TT_PORT_FILTER), "1");
	if (filters->comm[0])
		tt_plan_define(plan, TT_DEFINE(TT_COMM_FILTER), "1");
	if (filters->netns)
		tt_plan_define(plan, TT_DEFINE(TT_NETNS_FILTER), "1");
	if (filters->peers.count)
		tt_plan_define(plan, TT_DEFINE(TT_PEER_FILTER), "1");
	if (filters->peers.count && filters->peers.count <= TT_PEER_INLINE_MAX)
		tt_plan_define(plan, TT_DEFINE(TT_PEER_INLINE), "1");
	if (filters->cgroup_dir)
		tt_plan_define(plan, TT_DEFINE(TT_CGROUP_FILTER), "1");
	if (filters->cgroupmap)
		tt_plan_define(plan, TT_DEFINE(TT_CGROUPMAP_PATH), "\"%s\"", filters->cgroupmap);
	if (filters->mntnsmap)
		tt_plan_define(plan, TT_DEFINE(TT_MNTNSMAP_PATH), "\"%s\"", filters->mntnsmap);
	if (filters->cgroupmap || filters->mntnsmap)
		plan->shared_maps = true;
}

static const char *const task_members[] = {"nsproxy", NULL};
static const char *const nsproxy_members[] = {"mnt_ns", NULL};
static const char *const mnt_namespace_members[] = {"ns", NULL};
static const char *const ns_common_members[] = {"inum", NULL};
static const struct tt_kernel_struct mntns_structs[] = {
    {"task_struct", task_members},
    {"nsproxy", nsproxy_members},
    {"ns_common", ns_common_members},
    {"mnt_namespace", mnt_namespace_members},
};

static int filters_option(void *state, int key, const char *arg)
{
	return tt_filters_option(state, key, arg);
}

static int filters_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                        struct tt_module_offer *offer)
{
	(void)input;
	(void)offer;
	struct tt_filters *filters = state;
	if (check_filters(filters) != 0)
		return -1;
	filters_defines(filters, plan);
	if (filters->mntnsmap)
		tt_plan_add_structs(plan, mntns_structs, TT_ARRAY_SIZE(mntns_structs), NULL);
	if (filters->netns)
		tt_plan_add_structs(plan, tt_netns_structs, TT_NETNS_STRUCT_COUNT, NULL);
	return 0;
}

static int set_values_failed(const char *what)
{
	tt_error("cannot set up the %s filter: %s", what, strerror(errno));
	return -1;
}

/* -p, -u, --comm and -N: their values, where the BPF text reads them. */
static int set_task_filter(const struct tt_filters *filters, struct tt_tracer *tracer)
{
	struct tt_task_filter wanted = {
	    .pid = filters->pid, .uid = filters->uid, .netns = filters->netns};
	memcpy(wanted.comm, filters->comm, sizeof(wanted.comm));
	int fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_task_filter));
	int index = 0;
	if (fd < 0 || bpf_update_elem(fd, &index, &wanted, 0) != 0)
		return set_values_failed(filters->pid       ? "PID"
		                         : filters->has_uid ? "UID"
		                         : filters->comm[0] ? "command name"
		                                            : "network namespace");
	return 0;
}

/* One prefix as tt_peer_trie keys it: IPv4 as ::ffff:a.b.c.d (tt_filter.h); tt_peer_list too. */
static struct tt_peer_key peer_key(const struct tt_cidr *cidr)
{
	struct tt_peer_key key = {.prefixlen = cidr->bits};
	if (cidr->ipv6) {
		memcpy(key.addr, cidr->addr, 16);
	} else {
		key.prefixlen += 96;
		key.addr[10] = key.addr[11] = 0xff;
		memcpy(key.addr + 12, cidr->addr, 4);
	}
	return key;
}

int tt_peer_list_fill(const struct tt_cidr_list *peers, struct tt_peer_list *list)
{
	if (peers->count > TT_PEER_INLINE_MAX)
		return -1;
	memset(list, 0, sizeof(*list));
	unsigned lengths[TT_PEER_INLINE_MAX];
	bool any_wanted = false;
	for (size_t i = 0; i < peers->count; i++) {
		const struct tt_cidr *cidr = &peers->items[i];
		struct tt_peer_key key = peer_key(cidr);
		struct tt_peer_prefix prefix = {.verdict = cidr->excluded ? TT_PEER_EXCLUDED
		                                                          : TT_PEER_WANTED};
		uint8_t mask[16] = {0};
		for (unsigned bit = 0; bit < key.prefixlen; bit++)
			mask[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		for (size_t byte = 0; byte < sizeof(mask); byte++)
			key.addr[byte] &= mask[byte];
		memcpy(prefix.addr, key.addr, sizeof(prefix.addr));
		memcpy(prefix.mask, mask, sizeof(prefix.mask));
		any_wanted = any_wanted || !cidr->excluded;
		/* After every prefix as long or longer: the longest holding the peer comes first.
		 */
		size_t at = list->count;
		for (; at > 0 && lengths[at - 1] < key.prefixlen; at--) {
			list->prefixes[at] = list->prefixes[at - 1];
			lengths[at] = lengths[at - 1];
		}
		list->prefixes[at] = prefix;
		lengths[at] = key.prefixlen;
		list->count++;
	}
	list->otherwise = any_wanted ? TT_PEER_EXCLUDED : TT_PEER_WANTED;
	return 0;
}

/* --daddr/--raddr, a few prefixes: tt_peer_list's one entry. */
static int set_peer_list(const struct tt_filters *filters, struct tt_tracer *tracer)
{
	struct tt_peer_list list;
	int fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_peer_list));
	int index = 0;
	if (fd < 0 || tt_peer_list_fill(&filters->peers, &list) != 0 ||
	    bpf_update_elem(fd, &index, &list, 0) != 0)
		return set_values_failed("address");
	return 0;
}

/*
 * --daddr/--raddr, more prefixes: each with its verdict in tt_peer_trie,
 * and ::/0 (unless given) for a peer in none of them: wanted when every
 * prefix given excludes.
 */
static int set_peer_trie(const struct tt_filters *filters, struct tt_tracer *tracer)
{
	int fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_peer_trie));
	if (fd < 0)
		return set_values_failed("address");
	bool any_wanted = false, has_default = false;
	for (size_t i = 0; i < filters->peers.count; i++) {
		const struct tt_cidr *cidr = &filters->peers.items[i];
		struct tt_peer_key key = peer_key(cidr);
		__u32 verdict = cidr->excluded ? TT_PEER_EXCLUDED : TT_PEER_WANTED;
		any_wanted = any_wanted || !cidr->excluded;
		has_default = has_default || key.prefixlen == 0;
		if (bpf_update_elem(fd, &key, &verdict, 0) != 0)
			return set_values_failed("address");
	}
	struct tt_peer_key everything = {.prefixlen = 0};
	__u32 verdict = any_wanted ? TT_PEER_EXCLUDED : TT_PEER_WANTED;
	if (!has_default && bpf_update_elem(fd, &everything, &verdict, 0) != 0)
		return set_values_failed("address");
	return 0;
}

/* -P: a bit for each port wanted; words without one stay zero. */
static int set_port_filter(const struct tt_filters *filters, struct tt_tracer *tracer)
{
	uint64_t words[TT_PORT_WORDS] = {0};
	for (size_t i = 0; i < filters->ports.count; i++)
		words[filters->ports.ports[i] >> 6] |= 1ull << (filters->ports.ports[i] & 63);
	int fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_port_bits));
	if (fd < 0)
		return set_values_failed("port");
	for (int word = 0; word < TT_PORT_WORDS; word++)
		if (words[word] && bpf_update_elem(fd, &word, &words[word], 0) != 0)
			return set_values_failed("port");
	return 0;
}

/*
 * Before attaching: the values of -p, -u, --comm, -N, -P and the peer's
 * prefixes, and --cgroup's directory fd
 * into the program's cgroup array.
 */
static int filters_after_load(void *state, struct tt_tracer *tracer)
{
	const struct tt_filters *filters = state;
	if ((filters->pid || filters->has_uid || filters->comm[0] || filters->netns) &&
	    set_task_filter(filters, tracer) != 0)
		return -1;
	if (filters->ports.count && set_port_filter(filters, tracer) != 0)
		return -1;
	if (filters->peers.count &&
	    (filters->peers.count <= TT_PEER_INLINE_MAX ? set_peer_list(filters, tracer)
	                                                : set_peer_trie(filters, tracer)) != 0)
		return -1;
	if (!filters->cgroup_dir)
		return 0;
	int cgroup_array_fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_cgroup));
	int index = 0;
	if (cgroup_array_fd < 0 ||
	    bpf_update_elem(cgroup_array_fd, &index, (void *)&filters->cgroup_fd, 0) != 0) {
		tt_error("--cgroup: cannot set up the cgroup filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void filters_close(void *state)
{
	struct tt_filters *filters = state;
	if (filters->cgroup_dir && filters->cgroup_fd >= 0)
		close(filters->cgroup_fd);
}

static const struct tt_option filter_options[] = {
    {'p', "pid", "PID", "trace this process only", TT_HELP_FILTERS},
    {'u', "uid", "UID", "trace this user only", TT_HELP_FILTERS},
    {TT_OPT_COMM, "comm", "NAME",
     "trace tasks with this command name only (exact; its first 15 bytes)", TT_HELP_FILTERS},
    {TT_OPT_NETNS, "netns", "INODE", "trace sockets in this network namespace only",
     TT_HELP_FILTERS},
    {'4', "ipv4", NULL, "trace IPv4 only", TT_HELP_FILTERS},
    {'6', "ipv6", NULL, "trace IPv6 only", TT_HELP_FILTERS},
    {TT_OPT_CGROUP, "cgroup", "DIR", "trace processes in this cgroup v2 directory (and below)",
     TT_HELP_FILTERS},
    {TT_OPT_CGROUPMAP, "cgroupmap", "PATH", "trace cgroups in this pinned BPF map (BCC's)",
     TT_HELP_FILTERS},
    {TT_OPT_MNTNSMAP, "mntnsmap", "PATH", "trace mount namespaces in this pinned BPF map (BCC's)",
     TT_HELP_FILTERS},
};

const struct tt_module tt_filters_module = {
    .options = filter_options,
    .option_count = TT_ARRAY_SIZE(filter_options),
    .state_size = sizeof(struct tt_filters),
    .option = filters_option,
    .plan = filters_plan,
    .after_load = filters_after_load,
    .close = filters_close,
};
