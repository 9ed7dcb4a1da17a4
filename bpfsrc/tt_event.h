/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every event starts with, shared by the BPF text and user space: who
 * (the head: time, task, cgroup) and the connection (the flow). A tool's
 * event is struct tt_event followed by its own members; user space orders
 * each batch by head.ts_ns and modules read their columns from here.
 */
#ifndef TT_EVENT_H
#define TT_EVENT_H

#ifndef __BPF__ /* user space; the BPF text has the kernel's own */
#include <linux/types.h>
#endif

#define TT_COMM_LEN 16

struct tt_event_head {
	__u64 ts_ns;     /* bpf_ktime_get_ns() when the event happened */
	__u64 cgroup_id; /* the task's cgroup v2 id, with -G (TT_EVENT_CGROUP); else 0 */
	__u32 pid;       /* the task's process (thread group) id */
	__u32 uid;
	char comm[TT_COMM_LEN];
	__u32 netns; /* the socket's network namespace inode, with --print-netns (TT_EVENT_NETNS) */
	__u32 reserved;
};

/* A TCP connection from this host's point of view. */
struct tt_flow {
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 lport;  /* host byte order */
	__u16 rport;  /* host byte order */
	__u16 reserved;
	__u8 laddr[16]; /* IPv4 uses the first 4 bytes */
	__u8 raddr[16];
};

struct tt_event {
	struct tt_event_head head;
	struct tt_flow flow;
};

#endif
