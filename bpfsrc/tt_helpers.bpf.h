/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by every tool's BPF text. The text compiles against kernel
 * types generated from BTF (TT_KERNEL_TYPES_BTF) or against the kernel's own
 * headers (TT_KERNEL_TYPES_HEADERS); nothing here assumes which.
 */
#ifndef TT_HELPERS_BPF_H
#define TT_HELPERS_BPF_H

#include "tt_filter.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Stable kernel ABI values; headers mode defines some as enums, not macros. */
#define TT_AF_INET         2
#define TT_AF_INET6        10
#define TT_IPPROTO_TCP     6
#define TT_TCP_ESTABLISHED 1
#define TT_TCP_SYN_SENT    2
#define TT_TCP_SYN_RECV    3
#define TT_TCP_CLOSE       7
#define TT_TCP_CLOSE_WAIT  8
#define TT_TCP_LISTEN      10

/* BPF_RINGBUF_OUTPUT sizes a ring with it (tt_output.bpf.h, tt_dns.bpf.h). */
#if defined(TT_RING_BUFFER_PAGES) && !defined(PAGE_SIZE)
#define PAGE_SIZE TT_PAGE_SIZE
#endif

#define TT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TT_MAX(a, b) ((a) > (b) ? (a) : (b))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define tt_ntohs(x) __builtin_bswap16(x)
#define tt_htonl(x) __builtin_bswap32(x)
#else
#define tt_ntohs(x) (x)
#define tt_htonl(x) (x)
#endif

/* Copies a kernel field, whatever its type, into a local of the same type. */
#define TT_READ(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

#define TT_OFFSET_OF(type, member) __builtin_offsetof(type, member)
#define TT_END_OF(type, member)    (TT_OFFSET_OF(type, member) + sizeof(((type *)0)->member))

/*
 * The bytes of a kernel struct that hold two members and all between them,
 * in whatever order the kernel lays them out: read in one helper call where
 * a read per member would be several.
 */
#define TT_SPAN_START(type, a, b) TT_MIN(TT_OFFSET_OF(type, a), TT_OFFSET_OF(type, b))
#define TT_SPAN_SIZE(type, a, b)                                                                   \
	(TT_MAX(TT_END_OF(type, a), TT_END_OF(type, b)) - TT_SPAN_START(type, a, b))

/* Copies the span into the same place of *to, a local of the same (small) type. */
#define TT_READ_SPAN(to, from, type, a, b)                                                         \
	bpf_probe_read_kernel((char *)(to) + TT_SPAN_START(type, a, b), TT_SPAN_SIZE(type, a, b),  \
	                      (const char *)(from) + TT_SPAN_START(type, a, b))

/* The same for three members, whatever their order. */
#define TT_SPAN3_START(type, a, b, c) TT_MIN(TT_SPAN_START(type, a, b), TT_OFFSET_OF(type, c))
#define TT_SPAN3_SIZE(type, a, b, c)                                                               \
	(TT_MAX(TT_MAX(TT_END_OF(type, a), TT_END_OF(type, b)), TT_END_OF(type, c)) -              \
	 TT_SPAN3_START(type, a, b, c))
#define TT_READ_SPAN3(to, from, type, a, b, c)                                                     \
	bpf_probe_read_kernel((char *)(to) + TT_SPAN3_START(type, a, b, c),                        \
	                      TT_SPAN3_SIZE(type, a, b, c),                                        \
	                      (const char *)(from) + TT_SPAN3_START(type, a, b, c))

/* For a type too large for the stack: the span into a byte buffer, and a member out of it. */
#define TT_READ_SPAN_BYTES(buf, from, type, a, b)                                                  \
	bpf_probe_read_kernel(buf, TT_SPAN_SIZE(type, a, b),                                       \
	                      (const char *)(from) + TT_SPAN_START(type, a, b))
#define TT_SPAN_MEMBER(dst, buf, type, a, b, m)                                                    \
	__builtin_memcpy(&(dst), (buf) + TT_OFFSET_OF(type, m) - TT_SPAN_START(type, a, b),        \
	                 sizeof(dst))

/* Reads a bitfield described by TT_BITFIELD_<struct>__<member> ("bit offset, bit size"). */
#define TT_READ_BITFIELD(ptr, field) tt_read_bits((const void *)(ptr), field)

static __always_inline u64 tt_read_bits(const void *base, u32 bit_offset, u32 bit_size)
{
	u64 value = 0;
	/* Little-endian: the field starts bit_offset % 8 bits into its first byte. */
	bpf_probe_read_kernel(&value, (bit_offset % 8 + bit_size + 7) / 8,
	                      (const char *)base + bit_offset / 8);
	return (value >> (bit_offset % 8)) & ((1ULL << bit_size) - 1);
}

/*
 * Which filters were chosen on the command line arrives as #defines before
 * this text (common/features/filters.c), so a filter not given compiles to
 * nothing. Their values (the PID, the UID, the ports) arrive in maps, written
 * before attaching: the text, and so the compile cache's entry, is the same
 * for `-p 41` and `-p 42`.
 */
#if defined(TT_PID_FILTER) || defined(TT_UID_FILTER) || defined(TT_COMM_FILTER) ||                 \
    defined(TT_NETNS_FILTER)
BPF_ARRAY(tt_task_filter, struct tt_task_filter, 1);
#endif

#ifdef TT_PORT_FILTER
/* -P: one bit per port; an array lookup the verifier inlines. */
BPF_ARRAY(tt_port_bits, u64, TT_PORT_WORDS);

static __always_inline bool tt_port_wanted(u16 port)
{
	u32 word = port >> 6;
	u64 *bits = tt_port_bits.lookup(&word);
	return bits && ((*bits >> (port & 63)) & 1);
}
#define TT_PORT_MATCH(port) tt_port_wanted(port)
#else
#define TT_PORT_MATCH(port) 1
#endif

#ifdef TT_CGROUP_FILTER
/* --cgroup: the directory's fd, set by user space before attaching. */
BPF_CGROUP_ARRAY(tt_cgroup, 1);
#endif
#ifdef TT_CGROUPMAP_PATH
/* --cgroupmap: BCC's pinned set of cgroup ids. */
BPF_TABLE_PINNED("hash", u64, u64, tt_cgroupset, 1024, TT_CGROUPMAP_PATH);
#endif
#ifdef TT_MNTNSMAP_PATH
/* --mntnsmap: BCC's pinned set of mount namespace ids. */
BPF_TABLE_PINNED("hash", u64, u32, tt_mntnsset, 1024, TT_MNTNSMAP_PATH);
#if defined(TT_KERNEL_TYPES_HEADERS)
/* Not in the public headers (fs/mount.h); its start has been stable. */
struct mnt_namespace {
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
	atomic_t count;
#endif
	struct ns_common ns;
};
#endif

static __always_inline u64 tt_current_mntns_id(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct nsproxy *nsproxy = NULL;
	struct mnt_namespace *mnt_ns = NULL;
	unsigned int inum = 0;
	TT_READ(nsproxy, task->nsproxy);
	if (!nsproxy)
		return 0;
	TT_READ(mnt_ns, nsproxy->mnt_ns);
	if (!mnt_ns)
		return 0;
	TT_READ(inum, mnt_ns->ns.inum);
	return inum;
}
#endif

/* Whether the current task passes -p, -u, --comm, --cgroup, --cgroupmap and --mntnsmap. */
static __always_inline bool tt_task_wanted(u64 pid_tgid)
{
#if defined(TT_PID_FILTER) || defined(TT_UID_FILTER) || defined(TT_COMM_FILTER)
	u32 zero = 0;
	struct tt_task_filter *wanted = tt_task_filter.lookup(&zero);
	if (!wanted)
		return false;
#ifdef TT_PID_FILTER
	if ((pid_tgid >> 32) != wanted->pid)
		return false;
#endif
#ifdef TT_UID_FILTER
	if ((u32)bpf_get_current_uid_gid() != wanted->uid)
		return false;
#endif
#ifdef TT_COMM_FILTER
	/* Both NUL-padded to 16 bytes: two words compared, no loop. */
	u64 comm[TT_COMM_LEN / 8] = {};
	u64 wanted_comm[TT_COMM_LEN / 8] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	__builtin_memcpy(wanted_comm, wanted->comm, sizeof(wanted_comm));
	if (comm[0] != wanted_comm[0] || comm[1] != wanted_comm[1])
		return false;
#endif
#endif
#ifdef TT_CGROUP_FILTER
	if (tt_cgroup.check_current_task(0) != 1)
		return false;
#endif
#ifdef TT_CGROUPMAP_PATH
	u64 cgroup_id = bpf_get_current_cgroup_id();
	if (!tt_cgroupset.lookup(&cgroup_id))
		return false;
#endif
#ifdef TT_MNTNSMAP_PATH
	u64 mntns_id = tt_current_mntns_id();
	if (!tt_mntnsset.lookup(&mntns_id))
		return false;
#endif
	return true;
}

#ifdef TT_NETNS_FILTER
/* --netns: the socket's network namespace, its inode number. */
static __always_inline bool tt_netns_wanted(u32 netns)
{
	u32 zero = 0;
	struct tt_task_filter *wanted = tt_task_filter.lookup(&zero);
	return wanted && netns == wanted->netns;
}
#define TT_NETNS_MATCH(netns) tt_netns_wanted(netns)
#else
#define TT_NETNS_MATCH(netns) 1
#endif

#ifdef TT_PEER_FILTER
/*
 * --daddr/--raddr: prefixes of the peer's address (tt_filter.h). raddr: 4
 * bytes (AF_INET) or 16, in network byte order. Which of the two ways is
 * compiled depends on how many prefixes were given, not on their values.
 */
#ifdef TT_PEER_INLINE
/* A few prefixes: compared here, longest first; the lookup is inlined. */
BPF_ARRAY(tt_peer_list, struct tt_peer_list, 1);

static __always_inline bool tt_peer_wanted(u16 family, const void *raddr)
{
	u32 peer[TT_PEER_WORDS] = {};
	if (family == TT_AF_INET) {
		peer[2] = tt_htonl(0xffff); /* ::ffff:a.b.c.d */
		__builtin_memcpy(&peer[3], raddr, 4);
	} else {
		__builtin_memcpy(peer, raddr, 16);
	}
	u32 zero = 0;
	struct tt_peer_list *list = tt_peer_list.lookup(&zero);
	if (!list)
		return false;
#pragma unroll
	for (u32 i = 0; i < TT_PEER_INLINE_MAX; i++) {
		if (i >= list->count)
			break;
		u32 differ = 0;
#pragma unroll
		for (u32 w = 0; w < TT_PEER_WORDS; w++)
			differ |= (peer[w] & list->prefixes[i].mask[w]) ^ list->prefixes[i].addr[w];
		if (!differ)
			return list->prefixes[i].verdict == TT_PEER_WANTED;
	}
	return list->otherwise == TT_PEER_WANTED;
}
#else
/* More: an LPM trie, which also holds ::/0 for a peer in none. */
BPF_LPM_TRIE(tt_peer_trie, struct tt_peer_key, u32, TT_PEER_ENTRIES);

static __always_inline bool tt_peer_wanted(u16 family, const void *raddr)
{
	struct tt_peer_key key = {.prefixlen = 128};
	if (family == TT_AF_INET) {
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		__builtin_memcpy(&key.addr[12], raddr, 4);
	} else {
		__builtin_memcpy(key.addr, raddr, 16);
	}
	u32 *verdict = tt_peer_trie.lookup(&key);
	return verdict && *verdict == TT_PEER_WANTED;
}
#endif
#define TT_PEER_MATCH(family, raddr) tt_peer_wanted(family, raddr)
#else
#define TT_PEER_MATCH(family, raddr) 1
#endif

/* -4 or -6. */
static __always_inline bool tt_family_wanted(u16 family)
{
#ifdef TT_TARGET_FAMILY
	return family == TT_TARGET_FAMILY;
#else
	return true;
#endif
}

#endif
