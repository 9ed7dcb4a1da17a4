// SPDX-License-Identifier: Apache-2.0
#include "tracer.h"

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpus.h"
#include "log.h"
#include "signals.h"
#include "stderr_capture.h"
#include "system_checks.h"

struct tt_tracer {
	void *module;
	struct tt_attachments attachments;
	enum tt_buffer_kind buffer_kind; /* RING or PERF, when the plan has outputs */
	struct tt_event_buffers buffers[TT_MAX_OUTPUTS];
	size_t buffer_count;
	int lost_fd; /* the program's tt_lost per-CPU counter */
	int possible_cpus;
	uint64_t *lost_values; /* one per possible CPU */
	uint64_t reported_lost;
	time_t last_lost_check;
};

/* The buffer of output i (0: the tool's events), sized for its largest event. */
static struct tt_buffer_plan buffer_plan(const struct tt_plan *plan, enum tt_buffer_kind kind,
                                         const struct tt_tracer_options *opts, size_t i)
{
	return (struct tt_buffer_plan){kind, opts->buffer_pages, plan->outputs[i].event_size};
}

/* The whole text to compile: the options' #defines, the kernel types, the program. */
static int build_text(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                      bool make_tree, struct tt_kernel_types *types, struct strbuf *text,
                      enum tt_buffer_kind *buffer_kind)
{
	const struct tt_plan *plan = spec->plan;
	*buffer_kind = TT_BUFFER_PERF;
	if (plan->output_count && tt_buffer_kind_resolve(opts->buffer_kind, buffer_kind) != 0)
		return -1;
	const struct tt_kernel_types_spec types_spec = {plan->structs, plan->struct_count,
	                                                strbuf_text(&plan->headers)};
	if (tt_kernel_types_prepare(types, &types_spec, opts->types, make_tree) != 0)
		return -1;
	strbuf_init(text);
	strbuf_append(text, strbuf_text(&plan->defines));
	if (plan->output_count) {
		struct tt_buffer_plan first = buffer_plan(plan, *buffer_kind, opts, 0);
		tt_event_buffers_defines(&first, text);
	}
	if (tt_bpf_atomics_available())
		strbuf_append(text, "#define TT_BPF_ATOMICS 1\n");
	strbuf_append(text, strbuf_text(&types->preamble));
	strbuf_append(text, "\n");
	strbuf_append(text, spec->text);
	if (!strbuf_text(text) || plan->out_of_memory) {
		tt_error("out of memory");
		strbuf_free(text);
		return -1;
	}
	return 0;
}

int tt_tracer_print_text(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                         FILE *out)
{
	struct tt_kernel_types types;
	struct strbuf text;
	enum tt_buffer_kind kind;
	int rc = build_text(spec, opts, false, &types, &text, &kind);
	tt_kernel_types_free(&types);
	if (rc == 0) {
		fputs(strbuf_text(&text), out);
		strbuf_free(&text);
	}
	return rc;
}

static void *compile(const char *text)
{
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	/* allow_rlimit false: raising RLIMIT_MEMLOCK fails on some kernels and is not needed. */
	void *module = bpf_module_create_c_from_string(text, 0, NULL, 0, false, NULL);
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (!module)
		tt_error("cannot compile the BPF program%s",
		         tt_log_verbose ? "" : " (run with -v for the compiler's messages)");
	return module;
}

static int prepare_module(struct tt_tracer *tracer, const struct tt_tracer_spec *spec,
                          const struct tt_tracer_options *opts)
{
	struct tt_kernel_types types;
	struct strbuf text;
	int rc = build_text(spec, opts, true, &types, &text, &tracer->buffer_kind);
	if (rc == 0) {
		tt_info("backend: %s; kernel types: %s (%s); events through %s",
		        spec->plan->backend == TT_BACKEND_KPROBE ? "kprobe" : "tracepoint",
		        types.from_btf ? "BTF" : "kernel headers", types.source,
		        spec->plan->output_count ? tt_buffer_kind_name(tracer->buffer_kind)
		                                 : "no buffer");
		tracer->module = compile(strbuf_text(&text));
		strbuf_free(&text);
		rc = tracer->module ? 0 : -1;
	}
	/* The private header tree is needed only while compiling. */
	tt_kernel_types_free(&types);
	/* Compiling left the heap large and mostly free: give it back. */
	malloc_trim(0);
	return rc;
}

int tt_tracer_verify(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts)
{
	if (tt_probes_may_load(spec->plan->probes, spec->plan->probe_count) != 0)
		return -1;
	struct tt_tracer tracer = {0};
	int rc = prepare_module(&tracer, spec, opts);
	if (rc == 0)
		rc = tt_load_only(tracer.module, spec->plan->probes, spec->plan->probe_count);
	if (tracer.module)
		bpf_module_destroy(tracer.module);
	return rc;
}

static int open_outputs(struct tt_tracer *tracer, const struct tt_plan *plan,
                        const struct tt_tracer_options *opts)
{
	for (size_t i = 0; i < plan->output_count; i++) {
		const struct tt_plan_output *output = &plan->outputs[i];
		int fd = bpf_table_fd(tracer->module, output->table);
		if (fd < 0) {
			tt_error("the BPF program has no table %s", output->table);
			return -1;
		}
		struct tt_buffer_plan buffer = buffer_plan(plan, tracer->buffer_kind, opts, i);
		if (tt_event_buffers_open(&tracer->buffers[i], &buffer, fd, output->on_event,
		                          output->cookie) != 0)
			return -1;
		tracer->buffer_count = i + 1;
	}
	if (plan->output_count) {
		tracer->lost_fd = bpf_table_fd(tracer->module, "tt_lost");
		tracer->possible_cpus = tt_possible_cpus();
		if (tracer->possible_cpus > 0)
			tracer->lost_values =
			    calloc((size_t)tracer->possible_cpus, sizeof(*tracer->lost_values));
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
	if (prepare_module(tracer, spec, opts) != 0 ||
	    tt_stop_requested() /* interrupted while compiling: attach nothing */ ||
	    (spec->after_load && spec->after_load(spec->cookie, tracer) != 0) ||
	    tt_attach_all(tracer->module, plan->probes, plan->probe_count, &tracer->attachments) !=
	        0 ||
	    open_outputs(tracer, plan, opts) != 0) {
		tt_tracer_stop(tracer);
		return NULL;
	}
	return tracer;
}

int tt_tracer_table_fd(struct tt_tracer *tracer, const char *table)
{
	return bpf_table_fd(tracer->module, table);
}

/* Events the BPF program could not submit, summed over CPUs. */
static uint64_t count_lost(const struct tt_tracer *tracer)
{
	uint64_t total = 0;
	int zero = 0;
	if (tracer->lost_fd < 0 || !tracer->lost_values ||
	    bpf_lookup_elem(tracer->lost_fd, &zero, tracer->lost_values) != 0)
		return 0;
	for (int cpu = 0; cpu < tracer->possible_cpus; cpu++)
		total += tracer->lost_values[cpu];
	return total;
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
	const char *kind = tt_buffer_kind_name(tracer->buffer_kind);
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
	if (tracer->module)
		bpf_module_destroy(tracer->module);
	free(tracer->lost_values);
	free(tracer);
}
