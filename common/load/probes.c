// SPDX-License-Identifier: Apache-2.0
#include "probes.h"

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stderr_capture.h"
#include "system_checks.h"

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

static int load_function(void *module, const struct tt_probe *probe)
{
	const char *fn = probe->function;
	void *insns = bpf_function_start(module, fn);
	if (!insns) {
		tt_error("BPF function %s is missing from the program", fn);
		return -1;
	}
	int type = probe->kind == TT_TRACEPOINT       ? BPF_PROG_TYPE_TRACEPOINT
	           : probe->kind == TT_RAW_TRACEPOINT ? BPF_PROG_TYPE_RAW_TRACEPOINT
	                                              : BPF_PROG_TYPE_KPROBE;
	static char log[65536];
	log[0] = '\0';
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	int fd = bcc_func_load(module, type, fn, insns, (int)bpf_function_size(module, fn),
	                       bpf_module_license(module), bpf_module_kern_version(module), 0, log,
	                       sizeof(log), NULL, 0);
	int saved = errno;
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (fd < 0)
		tt_error("the kernel refused BPF function %s: %s%s%s", fn, strerror(saved),
		         log[0] ? ": " : "", tt_last_line(log));
	return fd;
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
	if (a->owns_prog && a->prog_fd >= 0)
		close(a->prog_fd);
	a->attach_fd = a->prog_fd = -1;
}

int tt_attach_all(void *module, const struct tt_probe *probes, size_t count,
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
		a->attach_fd = a->prog_fd = -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(probes[j].function, probes[i].function) == 0)
				a->prog_fd = out->items[j].prog_fd;
		if (a->prog_fd < 0) {
			a->prog_fd = load_function(module, a->probe);
			a->owns_prog = 1;
		}
		if (a->prog_fd < 0 || attach_one(a) != 0) {
			tt_detach_all(out);
			return -1;
		}
	}
	return 0;
}

void tt_detach_all(struct tt_attachments *attachments)
{
	/* Probes first, programs after: a program is shared by later probes. */
	for (size_t i = attachments->count; i-- > 0;)
		detach_one(&attachments->items[i]);
	free(attachments->items);
	attachments->items = NULL;
	attachments->count = 0;
}

int tt_load_only(void *module, const struct tt_probe *probes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int fd = load_function(module, &probes[i]);
		if (fd < 0)
			return -1;
		tt_info("verified %s", probes[i].function);
		close(fd);
	}
	return 0;
}

int tt_probes_may_load(const struct tt_probe *probes, size_t count)
{
	if (tt_check_privileges() != 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (probes[i].kind == TT_TRACEPOINT ||
		    (probes[i].kind != TT_RAW_TRACEPOINT && !tt_kprobe_pmu_available()))
			return tt_ensure_tracefs();
	return 0;
}
