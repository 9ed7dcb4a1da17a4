/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A probe as tools and modules name it and the plan lists it: which BPF
 * function goes where. load/probes.h attaches them.
 */
#ifndef TT_PROBE_H
#define TT_PROBE_H

/*
 * TT_RAW_TRACEPOINT (Linux 4.17+) hands the program the tracepoint's own
 * arguments: no perf record is built for each hit, which a frequent
 * tracepoint like sock:inet_sock_set_state makes worth having.
 *
 * TT_CGROUP_SKB_INGRESS sees every packet delivered to a socket of this
 * host; it is linked to the cgroup v2 root (load/cgroup_link.h), and its
 * target is unused.
 *
 * TT_KRETPROBE_MANY: a kretprobe on a function many tasks may be inside at
 * once (one that sleeps). A kretprobe follows only as many calls at once as
 * it has instances, max(10, 2 x CPUs) by default (iovisor/bcc#1072); this one
 * has the kernel's most, and attaches through tracefs' kprobe_events, whose
 * kprobe_profile counts the calls it still misses.
 */
enum tt_probe_kind {
	TT_KPROBE,
	TT_KRETPROBE,
	TT_TRACEPOINT,
	TT_RAW_TRACEPOINT,
	TT_CGROUP_SKB_INGRESS,
	TT_KRETPROBE_MANY
};
#define TT_KRETPROBE_MANY_ACTIVE 4096

struct tt_probe {
	enum tt_probe_kind kind;
	const char *function; /* the BPF function in the program text */
	const char *target;   /* kernel function, "category:event", or a raw tracepoint's event */
};

#endif
