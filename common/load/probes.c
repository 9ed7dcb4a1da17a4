// SPDX-License-Identifier: Apache-2.0
#include "probes.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stderr_capture.h"

static const char *kind_name(enum tt_probe_kind kind)
{
	switch (kind) {
	case TT_KPROBE:
		return "kprobe";
	case TT_KRETPROBE:
		return "kretprobe";
	case TT_RAW_TRACEPOINT:
		return "raw tracepoint";
	default:
		return "tracepoint";
	}
}

static int attach_one(struct tt_attachment *a)
{
	const struct tt_probe *probe = a->probe;
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	if (probe->kind == TT_TRACEPOINT) {
		char category[64];
		const char *colon = strchr(probe->target, ':');
		size_t len = colon ? (size_t)(colon - probe->target) : 0;
		if (len >= sizeof(category))
			len = 0;
		memcpy(category, probe->target, len);
		category[len] = '\0';
		a->attach_fd = colon ? bpf_attach_tracepoint(a->prog_fd, category, colon + 1) : -1;
	} else if (probe->kind == TT_RAW_TRACEPOINT) {
		a->attach_fd = bpf_attach_raw_tracepoint(a->prog_fd, probe->target);
	} else {
		/* Unique per process, so two instances never share a kprobe event. */
		snprintf(a->event_name, sizeof(a->event_name), "tcptools_%d_%c_%s", (int)getpid(),
		         probe->kind == TT_KPROBE ? 'p' : 'r', probe->target);
		enum bpf_probe_attach_type type =
		    probe->kind == TT_KPROBE ? BPF_PROBE_ENTRY : BPF_PROBE_RETURN;
		a->attach_fd =
		    bpf_attach_kprobe(a->prog_fd, type, a->event_name, probe->target, 0, 0);
	}
	int saved = errno;
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (a->attach_fd < 0) {
		tt_error("cannot attach %s to %s: %s", kind_name(probe->kind), probe->target,
		         saved ? strerror(saved) : "refused by the kernel");
		return -1;
	}
	tt_info("attached %s %s to %s", kind_name(probe->kind), probe->function, probe->target);
	return 0;
}

static void detach_one(struct tt_attachment *a)
{
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	if (a->attach_fd >= 0 && a->probe->kind == TT_RAW_TRACEPOINT) {
		close(a->attach_fd);
	} else if (a->attach_fd >= 0) {
		bpf_close_perf_event_fd(a->attach_fd);
		if (a->probe->kind == TT_KPROBE || a->probe->kind == TT_KRETPROBE)
			bpf_detach_kprobe(a->event_name);
	}
	tt_stderr_capture_end(&cap, tt_log_verbose);
	a->attach_fd = -1;
}

int tt_attach_all(const int *prog_fds, const struct tt_probe *probes, size_t count,
                  struct tt_attachments *out)
{
	out->count = 0;
	out->items = calloc(count, sizeof(*out->items));
	if (!out->items) {
		tt_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		struct tt_attachment *a = &out->items[out->count++];
		a->probe = &probes[i];
		a->prog_fd = prog_fds[i];
		a->attach_fd = -1;
		if (attach_one(a) != 0) {
			tt_detach_all(out);
			return -1;
		}
	}
	return 0;
}

void tt_detach_all(struct tt_attachments *attachments)
{
	for (size_t i = attachments->count; i-- > 0;)
		detach_one(&attachments->items[i]);
	free(attachments->items);
	attachments->items = NULL;
	attachments->count = 0;
}
