/* SPDX-License-Identifier: Apache-2.0 */
/* Attaching a loaded program's functions to the kernel, and detaching them. */
#ifndef TT_PROBES_H
#define TT_PROBES_H

#include <stddef.h>

/*
 * A raw tracepoint (Linux 4.17+) hands the program the tracepoint's own
 * arguments: no perf record is built for each hit, which a frequent
 * tracepoint like sock:inet_sock_set_state makes worth having.
 */
enum tt_probe_kind { TT_KPROBE, TT_KRETPROBE, TT_TRACEPOINT, TT_RAW_TRACEPOINT };

struct tt_probe {
	enum tt_probe_kind kind;
	const char *function; /* the BPF function in the program text */
	const char *target;   /* kernel function, "category:event", or a raw tracepoint's event */
};

struct tt_attachment {
	const struct tt_probe *probe;
	int prog_fd;         /* the loaded function, owned by the caller */
	int attach_fd;       /* the perf event, or the raw tracepoint's link */
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

#endif
