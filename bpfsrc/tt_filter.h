/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filters' values as the BPF text reads them from its maps
 * (bpfsrc/tt_helpers.bpf.h) and user space writes them there before
 * attaching (common/features/filters.c).
 */
#ifndef TT_FILTER_H
#define TT_FILTER_H

#ifndef __BPF__ /* user space; the BPF text has the kernel's own */
#include <linux/types.h>
#endif

#include "tt_event.h" /* TT_COMM_LEN */

/*
 * -p, -u, --comm and --netns: the one entry of tt_task_filter. netns is the
 * socket's network namespace (its inode number), not the task's.
 */
struct tt_task_filter {
	__u32 pid;
	__u32 uid;
	__u32 netns;
	__u32 reserved;
	char comm[TT_COMM_LEN]; /* NUL-padded, as bpf_get_current_comm() writes it */
};

/* -P: tt_port_bits has a bit per port, 64 to a word. */
#define TT_PORT_WORDS 1024

/*
 * --daddr/--raddr: prefixes of the peer's address. IPv4 is matched as its
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, prefix 96 + bits), so an IPv4
 * prefix also matches an IPv6 socket talking to a mapped address. Each
 * prefix is TT_PEER_WANTED or TT_PEER_EXCLUDED ('!'): the longest prefix
 * holding the peer decides; a peer in none is wanted when every prefix
 * given excludes.
 *
 * Up to TT_PEER_INLINE_MAX prefixes (TT_PEER_INLINE): the one entry of
 * tt_peer_list, compared word by word in the text (an array lookup the
 * verifier inlines: no helper call, no trie walk). More: tt_peer_trie, an
 * LPM trie, to which user space always adds ::/0 (unless given) for a peer
 * in none.
 */
#define TT_PEER_EXCLUDED 0
#define TT_PEER_WANTED   1

#define TT_PEER_INLINE_MAX 8
#define TT_PEER_WORDS      4 /* 32-bit words of an address */

/* One prefix: the peer holds it when (peer & mask) == addr, word by word. */
struct tt_peer_prefix {
	__u32 addr[TT_PEER_WORDS]; /* network byte order; bits past the prefix zero */
	__u32 mask[TT_PEER_WORDS]; /* network byte order */
	__u32 verdict;             /* TT_PEER_WANTED or TT_PEER_EXCLUDED */
};

/* The prefixes, longest first: the first holding the peer decides. */
struct tt_peer_list {
	__u32 count;     /* 1 to TT_PEER_INLINE_MAX */
	__u32 otherwise; /* the verdict for a peer in none of them */
	struct tt_peer_prefix prefixes[TT_PEER_INLINE_MAX];
};

struct tt_peer_key {
	__u32 prefixlen;
	__u8 addr[16];
};
#define TT_PEER_ENTRIES 65 /* 64 prefixes (parse.h's TT_MAX_CIDRS) and ::/0 */

#endif
