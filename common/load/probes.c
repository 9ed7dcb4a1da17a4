// SPDX-License-Identifier: Apache-2.0
#include "probes.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_link.h"
#include "log.h"
#include "stderr_capture.h"
#include "system_checks.h"

static const char *kind_name(enum tt_probe_kind kind)
{
	switch (kind) {
	case TT_KPROBE:
		return "kprobe";
	case TT_KRETPROBE:
	case TT_KRETPROBE_MANY:
		return "kretprobe";
	case TT_RAW_TRACEPOINT:
		return "raw tracepoint";
	case TT_CGROUP_SKB_INGRESS:
		return "cgroup ingress program";
	default:
		return "tracepoint";
	}
}

/* The link to the cgroup v2 root; the link, once closed, detaches it. */
static int attach_cgroup_ingress(struct tt_attachment *a)
{
	int root = tt_cgroup_root_open();
	a->attach_fd = root < 0 ? -1 : tt_cgroup_link_ingress(a->prog_fd, root);
	if (root >= 0)
		close(root);
	if (a->attach_fd < 0)
		return -1; /* said why */
	tt_info("linked %s to the cgroup root's ingress", a->probe->function);
	return 0;
}

/*
 * A kretprobe with many instances is a kprobe event of tracefs, which
 * outlives a tracer killed with SIGKILL (its BPF program is detached with the
 * process; the event, idle, stays listed). Such events of tracers that are
 * gone are removed before a new one is made, so none pile up.
 */
static void remove_dead_tracers_events(void)
{
	FILE *events = tt_tracefs_open("kprobe_events", "r");
	if (!events)
		return;
	char line[512], dead[16][160];
	size_t count = 0;
	while (count < 16 && fgets(line, sizeof(line), events)) {
		/* "r4096:kprobes/tcptools_PID_r_FUNCTION FUNCTION" */
		char *name = strchr(line, ':');
		char *ours = name ? strstr(name, "/tcptools_") : NULL;
		if (!ours)
			continue;
		char *end = NULL;
		long pid = strtol(ours + strlen("/tcptools_"), &end, 10);
		if (pid <= 0 || pid > INT_MAX || *end != '_' || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		name[1 + strcspn(name + 1, " \n")] = '\0';
		snprintf(dead[count++], sizeof(dead[0]), "-:%s", name + 1);
	}
	fclose(events);
	for (size_t i = 0; i < count; i++) {
		FILE *out = tt_tracefs_open("kprobe_events", "a");
		if (!out)
			return;
		fputs(dead[i], out);
		if (fclose(out) == 0)
			tt_info("removed the kprobe event of a tracer that is gone: %s",
			        dead[i] + 2);
	}
}

static int attach_one(struct tt_attachment *a)
{
	const struct tt_probe *probe = a->probe;
	if (probe->kind == TT_CGROUP_SKB_INGRESS)
		return attach_cgroup_ingress(a);
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
		int maxactive = probe->kind == TT_KRETPROBE_MANY ? TT_KRETPROBE_MANY_ACTIVE : 0;
		if (maxactive)
			remove_dead_tracers_events();
		a->attach_fd =
		    bpf_attach_kprobe(a->prog_fd, type, a->event_name, probe->target, 0, maxactive);
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
	if (a->attach_fd >= 0 &&
	    (a->probe->kind == TT_RAW_TRACEPOINT || a->probe->kind == TT_CGROUP_SKB_INGRESS)) {
		close(a->attach_fd);
	} else if (a->attach_fd >= 0) {
		bpf_close_perf_event_fd(a->attach_fd);
		if (a->probe->kind == TT_KPROBE || a->probe->kind == TT_KRETPROBE ||
		    a->probe->kind == TT_KRETPROBE_MANY)
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

/* The misses kprobe_profile counts for an event named prefix...; 0 when not listed. */
static unsigned long long kprobe_misses(const char *prefix)
{
	FILE *profile = tt_tracefs_open("kprobe_profile", "r");
	if (!profile)
		return 0;
	unsigned long long misses = 0;
	char line[512];
	while (fgets(line, sizeof(line), profile)) {
		/* "  EVENT   HITS   MISSES"; libbcc may add a suffix to our name. */
		char *event = line + strspn(line, " \t");
		if (strncmp(event, prefix, strlen(prefix)) != 0)
			continue;
		char *end = event + strcspn(event, " \t");
		(void)strtoull(end, &end, 10); /* the hits */
		misses = strtoull(end, NULL, 10);
		break;
	}
	fclose(profile);
	return misses;
}

/*
 * Runs of the program the kernel skipped: a tracepoint or kprobe that fires
 * on a CPU where the same program is already running (an interrupt came
 * inside it) does not run it again (raw tracepoints since Linux 6.2), and
 * bpf_prog_info counts each such miss (5.12+; a kernel without the field
 * leaves it 0).
 */
static unsigned long long recursion_misses(int prog_fd)
{
	struct bpf_prog_info info;
	memset(&info, 0, sizeof(info));
	uint32_t length = sizeof(info);
	if (prog_fd < 0 || bpf_obj_get_info(prog_fd, &info, &length) != 0)
		return 0;
	return info.recursion_misses;
}

void tt_report_missed(const struct tt_attachments *attachments)
{
	for (size_t i = 0; i < attachments->count; i++) {
		const struct tt_attachment *a = &attachments->items[i];
		unsigned long long skipped = a->attach_fd >= 0 ? recursion_misses(a->prog_fd) : 0;
		if (skipped)
			/* Runs for any socket or task: not all of them were events of this run. */
			tt_warn(
			    "lost up to %llu events (the kernel skipped %s on %s %llu times: it "
			    "fired on a CPU where it was already running)",
			    skipped, a->probe->function, a->probe->target, skipped);
		if (a->attach_fd < 0 || a->probe->kind != TT_KRETPROBE_MANY)
			continue;
		unsigned long long missed = kprobe_misses(a->event_name);
		if (missed)
			tt_warn("lost %llu events (the kretprobe on %s missed %llu returns: more "
			        "than %d calls at once)",
			        missed, a->probe->target, missed, TT_KRETPROBE_MANY_ACTIVE);
	}
}

int tt_probes_may_load(const struct tt_probe *probes, size_t count)
{
	if (tt_check_privileges() != 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		enum tt_probe_kind kind = probes[i].kind;
		/* A kretprobe with many instances is made in kprobe_events, PMU or not. */
		if (kind == TT_TRACEPOINT || kind == TT_KRETPROBE_MANY ||
		    ((kind == TT_KPROBE || kind == TT_KRETPROBE) && !tt_kprobe_pmu_available()))
			return tt_ensure_tracefs();
	}
	return 0;
}
