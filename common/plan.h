/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan of one run, built from the options by the tool's modules
 * (module.h) before anything is compiled: the #defines and kernel structures
 * of the BPF text, the probes beyond the tool's own, and the event tables
 * user space reads. The tracer compiles, attaches and reads what it says.
 */
#ifndef TT_PLAN_H
#define TT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "btf_types.h"
#include "event_callback.h"
#include "probe.h"
#include "strbuf.h"

enum tt_backend { TT_BACKEND_AUTO, TT_BACKEND_KPROBE, TT_BACKEND_TRACEPOINT };

#define TT_MAX_OUTPUTS       4
#define TT_MAX_LOSS_COUNTERS 4

/* One events table of the BPF text, and who handles its events. */
struct tt_plan_output {
	const char *table;
	size_t event_size; /* the largest event written to it; smaller ones are dropped */
	tt_event_fn on_event;
	void *cookie;
};

struct tt_plan {
	enum tt_backend backend; /* kprobe or tracepoint, as resolved for this kernel */
	/* Filled by the tool and its modules: */
	struct strbuf defines;            /* #define lines put before the BPF text */
	struct tt_kernel_struct *structs; /* kernel structures the added code reads */
	size_t struct_count, struct_cap;
	struct strbuf headers;   /* #include lines for them, for kernel headers */
	struct tt_probe *probes; /* beyond the tool's own, for this backend */
	size_t probe_count, probe_cap;
	/*
	 * The event tables: the tool's own first (unless counting), then the
	 * modules'; the first is waited on, the others read after it.
	 */
	struct tt_plan_output outputs[TT_MAX_OUTPUTS];
	size_t output_count;
	/*
	 * Per-CPU counters (tables) of events the program lost beyond a full
	 * buffer's (tt_lost): attempts a module's table had no room for.
	 */
	const char *loss_counters[TT_MAX_LOSS_COUNTERS];
	size_t loss_counter_count;
	/*
	 * The text opens maps pinned by others (BCC's --cgroupmap): its loaded
	 * form holds their fds, so it is compiled every time (compile_cache.h).
	 */
	bool shared_maps;
	bool out_of_memory;
};

void tt_plan_init(struct tt_plan *plan);
void tt_plan_free(struct tt_plan *plan);

/* #define name value, before the text; name is TT_DEFINE(...) (bpfsrc/tt_contract.h). */
void tt_plan_define(struct tt_plan *plan, const char *name, const char *value_fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tt_plan_add_structs(struct tt_plan *plan, const struct tt_kernel_struct *structs, size_t count,
                         const char *headers);
/* A probe on the plan's backend; probe must outlive the run (a static). */
void tt_plan_add_probe(struct tt_plan *plan, const struct tt_probe *probe);
/*
 * A per-CPU u64 counter of lost events (table: TT_TABLE(...)), for whoever
 * reports them (tt_tracer_loss_fds); more than TT_MAX_LOSS_COUNTERS is a bug.
 */
void tt_plan_add_loss_counter(struct tt_plan *plan, const char *table);
/* Adds an event table, last, or first (the one waited on). 0, or -1 after an error: at most
 * TT_MAX_OUTPUTS. */
int tt_plan_add_output(struct tt_plan *plan, const struct tt_plan_output *output);
int tt_plan_add_first_output(struct tt_plan *plan, const struct tt_plan_output *output);

#endif
