// SPDX-License-Identifier: Apache-2.0
#include "tracer.h"

#include <bcc/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile_child.h"
#include "cpus.h"
#include "log.h"
#include "program_text.h"
#include "signals.h"
#include "system_checks.h"
#include "tt_contract.h"

struct tt_tracer {
	struct tt_loaded loaded; /* the programs and maps, from the compile child */
	struct tt_attachments attachments;
	struct tt_event_buffers buffers[TT_MAX_OUTPUTS];
	size_t buffer_count;
	int lost_fd; /* the program's tt_lost per-CPU counter */
	int possible_cpus;
	const struct tt_plan *plan;
	uint64_t reported_lost;
	time_t last_lost_check;
};

int tt_tracer_print_text(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                         FILE *out)
{
	struct tt_program_text pt;
	int rc = tt_program_text_build(&pt, spec, opts, false);
	if (rc == 0)
		fputs(strbuf_text(&pt.text), out);
	tt_program_text_free(&pt);
	return rc;
}

int tt_tracer_verify(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts)
{
	if (tt_probes_may_load(spec->plan->probes, spec->plan->probe_count) != 0)
		return -1;
	struct tt_loaded loaded;
	/* Verifying means compiling: never from the cache. */
	int rc = tt_compile_child_load(spec, opts, false, &loaded);
	for (size_t i = 0; rc == 0 && i < spec->plan->probe_count; i++)
		tt_info("verified %s", spec->plan->probes[i].function);
	tt_loaded_close(&loaded);
	return rc == 0 ? 0 : -1;
}

static int open_outputs(struct tt_tracer *tracer, const struct tt_plan *plan,
                        const struct tt_tracer_options *opts)
{
	for (size_t i = 0; i < plan->output_count; i++) {
		const struct tt_plan_output *output = &plan->outputs[i];
		int fd = tt_loaded_table_fd(&tracer->loaded, output->table);
		if (fd < 0) {
			tt_error("the BPF program has no table %s", output->table);
			return -1;
		}
		struct tt_buffer_plan buffer =
		    tt_program_buffer_plan(plan, tracer->loaded.buffer_kind, opts, i);
		if (tt_event_buffers_open(&tracer->buffers[i], &buffer, fd, output->on_event,
		                          output->cookie) != 0)
			return -1;
		tracer->buffer_count = i + 1;
	}
	if (plan->output_count) {
		tracer->lost_fd = tt_loaded_table_fd(&tracer->loaded, TT_TABLE(tt_lost));
	}
	return 0;
}

struct tt_tracer *tt_tracer_start(const struct tt_tracer_spec *spec,
                                  const struct tt_tracer_options *opts)
{
	tt_catch_stop_signals();
	if (tt_probes_may_load(spec->plan->probes, spec->plan->probe_count) != 0)
		return NULL;

	struct tt_tracer *tracer = calloc(1, sizeof(*tracer));
	if (!tracer) {
		tt_error("out of memory");
		return NULL;
	}
	tracer->lost_fd = -1;
	const struct tt_plan *plan = spec->plan;
	tracer->plan = plan;
	if (tt_compile_child_load(spec, opts, true, &tracer->loaded) != 0 ||
	    tt_stop_requested() /* interrupted while compiling: attach nothing */ ||
	    (spec->after_load && spec->after_load(spec->cookie, tracer) != 0) ||
	    tt_attach_all(tracer->loaded.prog_fds, plan->probes, plan->probe_count,
	                  &tracer->attachments) != 0 ||
	    open_outputs(tracer, plan, opts) != 0) {
		tt_tracer_stop(tracer);
		return NULL;
	}
	return tracer;
}

int tt_tracer_table_fd(struct tt_tracer *tracer, const char *table)
{
	return tt_loaded_table_fd(&tracer->loaded, table);
}

size_t tt_tracer_loss_fds(struct tt_tracer *tracer, int *fds, size_t cap)
{
	size_t count = 0;
	int fd = tt_loaded_table_fd(&tracer->loaded, TT_TABLE(tt_lost));
	if (fd >= 0 && count < cap)
		fds[count++] = fd;
	for (size_t i = 0; i < tracer->plan->loss_counter_count && count < cap; i++) {
		fd = tt_loaded_table_fd(&tracer->loaded, tracer->plan->loss_counters[i]);
		if (fd >= 0)
			fds[count++] = fd;
	}
	return count;
}

/* A per-CPU u64 counter of the program, summed over the possible CPUs (read once). */
static uint64_t sum_counter(struct tt_tracer *tracer, int fd)
{
	if (tracer->possible_cpus == 0)
		tracer->possible_cpus = tt_possible_cpus();
	return tt_percpu_counter_sum(fd, tracer->possible_cpus);
}

uint64_t tt_tracer_counter(struct tt_tracer *tracer, const char *table)
{
	return sum_counter(tracer, tt_tracer_table_fd(tracer, table));
}

/* Events the BPF program could not submit, summed over CPUs. */
static uint64_t count_lost(struct tt_tracer *tracer)
{
	return sum_counter(tracer, tracer->lost_fd);
}

static void report_lost(struct tt_tracer *tracer, bool final)
{
	/*
	 * Runs after every read: look at the counter (a syscall) at most once a
	 * second, which also keeps a storm from flooding stderr.
	 */
	time_t now = time(NULL);
	if (!final && now == tracer->last_lost_check)
		return;
	tracer->last_lost_check = now;
	uint64_t lost = count_lost(tracer);
	const char *kind = tt_buffer_kind_name(tracer->loaded.buffer_kind);
	if (final) {
		if (lost)
			tt_warn("lost %llu events in total (%s full)", (unsigned long long)lost,
			        kind);
		return;
	}
	if (lost == tracer->reported_lost)
		return;
	tt_warn("lost %llu more events (%s full); consider a larger --buffer-pages",
	        (unsigned long long)(lost - tracer->reported_lost), kind);
	tracer->reported_lost = lost;
}

void tt_tracer_read(struct tt_tracer *tracer, int timeout_ms, bool drain)
{
	tt_loaded_reap(&tracer->loaded, false);
	if (!tracer->buffer_count) {
		if (!drain)
			nanosleep(&(struct timespec){.tv_nsec = timeout_ms * 1000000L}, NULL);
		return;
	}
	for (size_t i = 0; i < tracer->buffer_count; i++) {
		if (i == 0 && !drain)
			tt_event_buffers_poll(&tracer->buffers[i], timeout_ms);
		else
			tt_event_buffers_drain(&tracer->buffers[i]);
	}
	if (!drain)
		report_lost(tracer, false);
}

void tt_tracer_stop(struct tt_tracer *tracer)
{
	if (!tracer)
		return;
	tt_report_missed(&tracer->attachments);
	tt_detach_all(&tracer->attachments);
	if (tracer->buffer_count)
		report_lost(tracer,
		            true); /* detached: nothing more can be lost, the count is final */
	for (size_t i = 0; i < tracer->buffer_count; i++)
		tt_event_buffers_close(&tracer->buffers[i]);
	tt_loaded_close(&tracer->loaded);
	free(tracer);
}
