/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --metrics: what the BPF text (bpfsrc/tt_metrics.bpf.h) counts and user
 * space (common/features/metrics.c) reads at scrape time, stated once for
 * both: the table's key and value, the labels a key carries, and the
 * histogram's bucket edges. tests/unit/test_metrics.c fails when the
 * BPF text and this header drift apart.
 */
#ifndef TT_METRICS_H
#define TT_METRICS_H

#ifndef __BPF__ /* user space; the BPF text has the kernel's own */
#include <linux/types.h>
#endif

#include "tt_event.h" /* TT_COMM_LEN */

/*
 * The counting table (tt_metrics, named in tt_contract.h) holds one entry
 * per label set, the kernel's own count of it, and at most this many; once
 * full, events count in one key flagged TT_METRICS_KEY_OTHER.
 */
#define TT_METRICS_MAX_KEYS 16384

/* The labels a key is counted by (the text's TT_METRICS_LABELS, a sum of these). */
#define TT_METRICS_LABEL_RESULT 0x01
#define TT_METRICS_LABEL_FAMILY 0x02
#define TT_METRICS_LABEL_PORT   0x04
#define TT_METRICS_LABEL_COMM   0x08
#define TT_METRICS_LABEL_CGROUP 0x10
#define TT_METRICS_LABEL_PEER   0x20
/* User space's own: the kernel counts by peer, user space folds peers into CIDRs. */
#define TT_METRICS_LABEL_PEER_CIDR 0x40
/* User space's own: the kernel counts by peer, user space names each peer by DNS (-d's name). */
#define TT_METRICS_LABEL_QUERY 0x80

/* key.flags */
#define TT_METRICS_KEY_OTHER     0x1 /* the table was full: every label folded */
#define TT_METRICS_KEY_EPHEMERAL 0x2 /* the port lay in the ephemeral range (port is 0) */

/* Members of labels not counted by are 0. */
struct tt_metrics_key {
	__u8 peer[16];   /* the remote address (IPv4: the first 4 bytes) */
	__u64 cgroup_id; /* the task's cgroup v2 id */
	char comm[TT_COMM_LEN];
	__u32 result; /* TT_RESULT_* (tt_outcome.h) */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 port;   /* tcpconnect: the remote port; tcpaccept: the listening port */
	__u32 flags;  /* TT_METRICS_KEY_* */
	__u32 cidr;   /* 0 from the kernel; user space's number of the peer's CIDR */
	__u32 query;  /* 0 from the kernel; user space's number of the peer's DNS name */
	__u32 unused; /* 0: a member, so that no byte of a key is padding */
};

/*
 * The histogram's upper edges (le), as nanoseconds for the kernel and as the
 * exposition's text: sub-millisecond to sub-second ones, then powers of two
 * seconds, so that each SYN retransmission (1 s, then doubling) lands in a
 * bucket of its own. X(ns, le) once per edge, ascending; +Inf follows.
 */
#define TT_METRICS_EDGES(X)                                                                        \
	X(100000ULL, "0.0001")                                                                     \
	X(250000ULL, "0.00025")                                                                    \
	X(500000ULL, "0.0005")                                                                     \
	X(1000000ULL, "0.001")                                                                     \
	X(2500000ULL, "0.0025")                                                                    \
	X(5000000ULL, "0.005")                                                                     \
	X(10000000ULL, "0.01")                                                                     \
	X(25000000ULL, "0.025")                                                                    \
	X(50000000ULL, "0.05")                                                                     \
	X(100000000ULL, "0.1")                                                                     \
	X(250000000ULL, "0.25")                                                                    \
	X(500000000ULL, "0.5")                                                                     \
	X(1000000000ULL, "1")                                                                      \
	X(2000000000ULL, "2")                                                                      \
	X(4000000000ULL, "4")                                                                      \
	X(8000000000ULL, "8")                                                                      \
	X(16000000000ULL, "16")                                                                    \
	X(32000000000ULL, "32")                                                                    \
	X(64000000000ULL, "64")                                                                    \
	X(128000000000ULL, "128")
#define TT_METRICS_EDGE_COUNT   20
#define TT_METRICS_BUCKET_COUNT (TT_METRICS_EDGE_COUNT + 1) /* and +Inf */

struct tt_metrics_value {
	__u64 count;
	__u64 sum_ns;                           /* with the histogram: of the latencies */
	__u64 buckets[TT_METRICS_BUCKET_COUNT]; /* per bucket, not cumulative */
};

#endif
