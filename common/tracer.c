// SPDX-License-Identifier: Apache-2.0
#include "tracer.h"

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parse.h"
#include "stderr_capture.h"
#include "system_checks.h"

#define POLL_TIMEOUT_MS 100

struct tt_tracer {
	const struct tt_tracer_spec *spec;
	void *module;
	struct tt_attachments attachments;
	struct tt_buffer_plan buffer; /* when the program has an output table */
	struct tt_event_buffers buffers;
	bool has_buffers;
	int lost_fd; /* the program's tt_lost per-CPU counter */
	int possible_cpus;
	uint64_t *lost_values; /* one per possible CPU */
	uint64_t reported_lost;
	time_t last_lost_check;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

bool tt_stop_requested(void)
{
	return stop_signal != 0;
}

static void install_signal_handlers(void)
{
	/*
	 * SA_RESTART keeps a write to a slow stdout going; poll() and nanosleep()
	 * are never restarted, so a signal still ends the wait at once.
	 */
	struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout shows as EPIPE from write, and ends the tool quietly. */
	signal(SIGPIPE, SIG_IGN);
}

int tt_parse_backend(const char *text, enum tt_backend *backend)
{
	static const char *const names[] = {"auto", "kprobe", "tracepoint"}; /* enum order */
	int i = tt_parse_choice(text, names, 3);
	if (i >= 0)
		*backend = (enum tt_backend)i;
	return i >= 0 ? 0 : -1;
}

static const struct tt_program *choose_program(const struct tt_tracer_spec *spec,
                                               enum tt_backend backend, bool must_attach,
                                               const char **name)
{
	bool kprobes = tt_kprobes_available();
	if (backend == TT_BACKEND_AUTO)
		backend = kprobes && spec->kprobe ? TT_BACKEND_KPROBE : TT_BACKEND_TRACEPOINT;
	if (backend == TT_BACKEND_KPROBE && !kprobes && must_attach) {
		tt_error("this kernel has no kprobes (CONFIG_KPROBES); use --backend tracepoint");
		return NULL;
	}
	*name = backend == TT_BACKEND_KPROBE ? "kprobe" : "tracepoint";
	return backend == TT_BACKEND_KPROBE ? spec->kprobe : spec->tracepoint;
}

/* The kind and size of the events buffer, for a program that has one. */
static int plan_buffer(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                       struct tt_buffer_plan *plan)
{
	*plan = (struct tt_buffer_plan){TT_BUFFER_PERF, opts->buffer_pages, spec->event_size};
	return spec->output_table ? tt_buffer_kind_resolve(opts->buffer_kind, &plan->kind) : 0;
}

static int build_text(const struct tt_program *program, const struct tt_tracer_options *opts,
                      const struct tt_buffer_plan *buffer, const struct tt_kernel_types *types,
                      struct strbuf *text)
{
	strbuf_init(text);
	if (opts->defines)
		strbuf_append(text, opts->defines);
	if (buffer)
		tt_event_buffers_defines(buffer, text);
	if (tt_bpf_atomics_available())
		strbuf_append(text, "#define TT_BPF_ATOMICS 1\n");
	strbuf_append(text, strbuf_text(&types->preamble) ? strbuf_text(&types->preamble) : "");
	strbuf_append(text, "\n");
	strbuf_append(text, program->text);
	if (!strbuf_text(text)) {
		tt_error("out of memory");
		strbuf_free(text);
		return -1;
	}
	return 0;
}

int tt_tracer_print_text(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                         FILE *out)
{
	const char *backend;
	const struct tt_program *program = choose_program(spec, opts->backend, false, &backend);
	struct tt_buffer_plan buffer;
	struct tt_kernel_types types;
	struct strbuf text;
	if (!program || plan_buffer(spec, opts, &buffer) != 0)
		return -1;
	if (tt_kernel_types_prepare(&types, &spec->kernel_types, opts->types, false) != 0) {
		tt_kernel_types_free(&types);
		return -1;
	}
	int rc = build_text(program, opts, spec->output_table ? &buffer : NULL, &types, &text);
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
                          const struct tt_tracer_options *opts, bool must_attach,
                          const struct tt_program **program)
{
	const char *backend;
	*program = choose_program(spec, opts->backend, must_attach, &backend);
	if (!*program || plan_buffer(spec, opts, &tracer->buffer) != 0)
		return -1;
	struct tt_kernel_types types;
	struct strbuf text;
	int rc = tt_kernel_types_prepare(&types, &spec->kernel_types, opts->types, true);
	if (rc == 0)
		rc = build_text(*program, opts, spec->output_table ? &tracer->buffer : NULL, &types,
		                &text);
	if (rc == 0) {
		tt_info("backend: %s; kernel types: %s (%s); events through %s", backend,
		        types.from_btf ? "BTF" : "kernel headers", types.source,
		        spec->output_table ? tt_buffer_kind_name(tracer->buffer.kind)
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
	if (tt_check_privileges() != 0 || tt_ensure_tracefs() != 0)
		return -1;
	struct tt_tracer tracer = {0};
	const struct tt_program *program;
	/* The backend need not be attachable here to be compiled and loaded. */
	int rc = prepare_module(&tracer, spec, opts, false, &program);
	if (rc == 0)
		rc = tt_load_only(tracer.module, program->probes, program->probe_count);
	if (tracer.module)
		bpf_module_destroy(tracer.module);
	return rc;
}

struct tt_tracer *tt_tracer_start(const struct tt_tracer_spec *spec,
                                  const struct tt_tracer_options *opts)
{
	install_signal_handlers();
	if (tt_check_privileges() != 0 || tt_ensure_tracefs() != 0)
		return NULL;

	struct tt_tracer *tracer = calloc(1, sizeof(*tracer));
	if (!tracer) {
		tt_error("out of memory");
		return NULL;
	}
	tracer->lost_fd = -1;
	tracer->spec = spec;
	const struct tt_program *program;
	if (prepare_module(tracer, spec, opts, true, &program) != 0 ||
	    stop_signal /* interrupted while compiling: attach nothing */ ||
	    (spec->before_attach && spec->before_attach(spec->cookie, tracer) != 0) ||
	    tt_attach_all(tracer->module, program->probes, program->probe_count,
	                  &tracer->attachments) != 0) {
		tt_tracer_stop(tracer);
		return NULL;
	}
	if (spec->output_table) {
		int fd = bpf_table_fd(tracer->module, spec->output_table);
		if (fd < 0) {
			tt_error("the BPF program has no table %s", spec->output_table);
			tt_tracer_stop(tracer);
			return NULL;
		}
		if (tt_event_buffers_open(&tracer->buffers, &tracer->buffer, fd, spec->on_event,
		                          spec->cookie) != 0) {
			tt_tracer_stop(tracer);
			return NULL;
		}
		tracer->has_buffers = true;
		tracer->lost_fd = bpf_table_fd(tracer->module, "tt_lost");
		tracer->possible_cpus = tt_possible_cpus();
		if (tracer->possible_cpus > 0)
			tracer->lost_values =
			    calloc((size_t)tracer->possible_cpus, sizeof(*tracer->lost_values));
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
	 * Runs after every batch: read the counter (a syscall) at most once a
	 * second, which also keeps a storm from flooding stderr.
	 */
	time_t now = time(NULL);
	if (!final && now == tracer->last_lost_check)
		return;
	tracer->last_lost_check = now;
	uint64_t lost = count_lost(tracer);
	if (final) {
		if (lost)
			tt_warn("lost %llu events in total (%s full)", (unsigned long long)lost,
			        tt_buffer_kind_name(tracer->buffer.kind));
		return;
	}
	if (lost == tracer->reported_lost)
		return;
	tt_warn("lost %llu more events (%s full); consider a larger --buffer-pages",
	        (unsigned long long)(lost - tracer->reported_lost),
	        tt_buffer_kind_name(tracer->buffer.kind));
	tracer->reported_lost = lost;
}

/* 0 while stdout works; 1 after a closed pipe (a quiet end); -1 after another error. */
static int flush_output(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return 1;
	tt_error("cannot write output: %s", strerror(errno));
	return -1;
}

static void end_batch(struct tt_tracer *tracer)
{
	if (tracer->spec->after_batch)
		tracer->spec->after_batch(tracer->spec->cookie);
}

int tt_tracer_run(struct tt_tracer *tracer)
{
	int output = 0;
	while (!stop_signal && output == 0) {
		if (tracer->has_buffers) {
			tt_event_buffers_poll(&tracer->buffers, POLL_TIMEOUT_MS);
			end_batch(tracer);
		} else {
			nanosleep(&(struct timespec){.tv_nsec = POLL_TIMEOUT_MS * 1000000L}, NULL);
		}
		output = flush_output();
		report_lost(tracer, false);
	}
	if (output == 0 && tracer->has_buffers) {
		tt_event_buffers_drain(&tracer->buffers);
		end_batch(tracer);
		output = flush_output();
	}
	return output < 0 ? 1 : 0;
}

void tt_tracer_stop(struct tt_tracer *tracer)
{
	if (!tracer)
		return;
	tt_detach_all(&tracer->attachments);
	if (tracer->has_buffers) {
		/* Detached: nothing more can be lost, so this count is final. */
		report_lost(tracer, true);
		tt_event_buffers_close(&tracer->buffers);
	}
	if (tracer->module)
		bpf_module_destroy(tracer->module);
	free(tracer->lost_values);
	free(tracer);
}
