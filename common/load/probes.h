/* SPDX-License-Identifier: Apache-2.0 */
/* Attaching a loaded program's functions to the kernel, and detaching them. */
#ifndef TT_PROBES_H
#define TT_PROBES_H

#include <stddef.h>

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

struct tt_attachment {
	const struct tt_probe *probe;
	int prog_fd;         /* the loaded function, owned by the caller */
	int attach_fd;       /* the perf event, or the raw tracepoint's or cgroup's link */
	char event_name[64]; /* kprobe event, for kernels that attach through kprobe_events */
};

struct tt_attachments {
	struct tt_attachment *items;
	size_t count;
};

/*
 * Attaches probes[i] with the loaded function prog_fds[i]. All or nothing:
 * on failure, detaches what it attached and returns -1 after printing why.
 */
int tt_attach_all(const int *prog_fds, const struct tt_probe *probes, size_t count,
                  struct tt_attachments *out);
void tt_detach_all(struct tt_attachments *attachments);
/*
 * Before detaching: warns of the runs the kernel skipped (a program that fired
 * again inside itself on one CPU) and of the returns each TT_KRETPROBE_MANY
 * missed, as lost events.
 */
void tt_report_missed(const struct tt_attachments *attachments);
/*
 * Checks this process's privileges for these probes, and makes tracefs
 * reachable if compiling or attaching them reads it: a tracepoint's format
 * and id live there, and so do kprobe events without the kprobe PMU; raw
 * tracepoints need none of it, nor its privileges. Returns 0, or -1 after
 * naming what is missing.
 */
int tt_probes_may_load(const struct tt_probe *probes, size_t count);

#endif
