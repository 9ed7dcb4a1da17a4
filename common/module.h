/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A capability of a tool (a filter, a column, counting, DNS names, ...) as one
 * module: its options, what it adds to the plan of a run (BPF #defines, kernel
 * structures, probes, outputs), what it offers the run (columns, counting),
 * its columns and JSON keys, and hooks around the run. A tool lists the
 * modules it wants (struct tt_tool); tool_main.c builds the plan from them
 * and runs it, naming no particular module. A module gets what it needs
 * through its hooks' arguments and keeps nothing of the run's but its state.
 */
#ifndef TT_MODULE_H
#define TT_MODULE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "flow.h"
#include "output.h"
#include "plan.h"
#include "tt_count.h"
#include "tt_event.h"

struct tt_tracer;
struct tt_dns_names;  /* the name asked for each peer address (features/dns_names.h) */
struct tt_columns;    /* the columns of one run's modules, kept by tool_main.c */
struct tt_event_sink; /* where a module hands events of the tool's kind, kept by tool_main.c */

/* Where a module's text columns stand in a line. */
enum tt_column_place {
	TT_COLUMNS_NONE,
	TT_COLUMNS_LEAD,  /* before PID and COMM (TIME, UID) */
	TT_COLUMNS_TRAIL, /* after the tool's own columns (results, names) */
};

/* What a module's plan hook is given: the run as the options and this kernel make it. */
struct tt_plan_input {
	enum tt_backend backend; /* kprobe or tracepoint, as resolved for this kernel */
	const struct tt_flow_names *flow_names;
	size_t event_size;  /* of the tool's events */
	size_t part_offset; /* of this module's part in them (tt_module_use); 0: none */
	/*
	 * Some module's needs hook asked for each attempt's outcome decided in
	 * the kernel (outcome.c's kernel side), with or without -o's columns.
	 */
	bool outcomes;
	/* Some module's needs hook asked for the attempts still pending at the end, -o or not. */
	bool pending;
	/*
	 * Some module's needs hook said its kernel side gives each event a
	 * result (-o's words, tt_outcome.h), which a module counting events may
	 * count them by (tcpaccept -o: --metrics' result label).
	 */
	bool results;
	bool intervals; /* -i: what is gathered is printed at each interval */
	/*
	 * Where some module's needs hook asked for DNS names: the run's cache of
	 * them (kept by tool_main.c), which one module fills (offer->learns_names)
	 * and others read; else NULL.
	 */
	struct tt_dns_names *dns_names;
};

/* What a module needs of the others' kernel sides: asked before any plan hook runs. */
struct tt_module_needs {
	bool outcomes; /* each attempt's outcome and latency (tt_outcome.h), from the kernel */
	bool pending; /* and the attempts still pending at the end, handed to the counting module */
	/*
	 * Not a need but a notice, given at the same time: its kernel side gives
	 * each event a result (-o), whatever the others ask (input->results).
	 */
	bool results;
	/*
	 * The name asked for each peer address, learnt from DNS answers: the
	 * option that needs them (for an error where no module learns them), or NULL.
	 */
	const char *dns_names;
};

/* What a module's plan hook offers the run, beyond what it adds to the plan. */
struct tt_module_offer {
	bool columns; /* its columns are shown */
	/*
	 * It counts the tool's events in the kernel (at most one module): they
	 * are not streamed, and events handed to a sink go to its count_event.
	 */
	bool counts;
	/* It prints what it gathered at each -i interval (its interval hook), not only at the end.
	 */
	bool intervals;
	const char *counts_option; /* the option that asked to count, for a conflict's error */
	bool learns_names;     /* it fills input->dns_names from DNS answers (at most one module) */
	const char *live_note; /* "Tracing; <note>." on stderr once live, instead of the header */
};

/* A plan hook's return after a usage error: the tool exits TT_EXIT_USAGE (2). */
#define TT_PLAN_USAGE (-2)

/*
 * Every hook is optional. state is the module's own, zeroed, state_size bytes
 * for one run; each hook runs for the modules in the order the tool lists
 * them. Where order matters it is the hooks': every module's needs runs
 * before any module's plan, every module's drain before any module's
 * after_run.
 */
struct tt_module {
	const struct tt_option *options; /* shown in --help after the tool's own */
	size_t option_count;
	/*
	 * The option that makes it count the tool's events (offer->counts) and
	 * print them at each -i interval, as errors name it: "-c", "--hist".
	 */
	const char *mode_option;
	/* Its columns by name, for --fields (output.h), shown where offer->columns. */
	const struct tt_field *fields;
	size_t field_count;
	size_t state_size;

	/*
	 * An option: 0, -1 after a one-line error, or 1 when not the module's.
	 * It is offered the keys of its own table and those of the tool's table
	 * that the tool does not handle (-P is worded by each tool).
	 */
	int (*option)(void *state, int key, const char *arg);
	/*
	 * Every option is parsed, no plan hook has run: sets what the module
	 * needs of the others (every plan hook then sees it in its input).
	 */
	void (*needs)(void *state, struct tt_module_needs *needs);
	/*
	 * Every option is parsed: checks what they name, adds to the plan what
	 * the module needs and fills offer (nothing when its options were not
	 * given). 0; TT_PLAN_USAGE after a one-line error about the command line
	 * itself (options that need or exclude each other: the tool exits 2);
	 * -1 after another one-line error (a path that cannot be opened: 1).
	 */
	int (*plan)(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
	            struct tt_module_offer *offer);
	/* Loaded, not yet attached: fills the program's maps. 0, or -1 after an error. */
	int (*after_load)(void *state, struct tt_tracer *tracer);
	/*
	 * One of the tool's events, as read from the kernel, before it is
	 * printed: completes what the kernel could not know (tcpaccept -o: the
	 * process holding a listener older than the trace, from /proc). part is
	 * the module's part of it (struct tt_module_use), or NULL.
	 */
	void (*arrived)(void *state, struct tt_event *event, void *part);
	/*
	 * Tracing stopped, the program still loaded: hands the events the
	 * kernel still holds (attempts still pending) to sink, which prints
	 * them, or counts them where a module counts. 0, or -1 after an error.
	 */
	int (*drain)(void *state, struct tt_tracer *tracer, struct tt_event_sink *sink);
	/*
	 * The counting module's (offer->counts): counts one more event, as its
	 * kernel side counts them; result is the event's outcome (-o), or 0.
	 * 0, or -1 after an error.
	 */
	int (*count_event)(void *state, struct tt_tracer *tracer, const struct tt_event *event,
	                   __u32 result);
	/*
	 * With -i, where offer->intervals: prints what was gathered since the
	 * last interval and starts the next, losing nothing the kernel counts
	 * meanwhile; out->interval numbers it and the run has printed its time
	 * line. The last interval is after_run's, after every drain. 0, or -1.
	 */
	int (*interval)(void *state, struct tt_tracer *tracer, struct tt_output *out,
	                const struct tt_columns *columns);
	/*
	 * After every drain: prints what was gathered (with -i, the last
	 * interval's); columns gives the other modules' cells for -c's rows.
	 * 0, or -1.
	 */
	int (*after_run)(void *state, struct tt_tracer *tracer, struct tt_output *out,
	                 const struct tt_columns *columns);
	void (*close)(void *state);

	/*
	 * Columns, where the plan hook offered them (offer->columns). Text
	 * cells are written with their own leading separator (" %-6s"), so
	 * that a line without them is what it always was; JSON members each
	 * start with ", ". part is the module's part of the event
	 * (struct tt_module_use), or NULL.
	 */
	enum tt_column_place column_place;
	void (*header)(void *state, struct tt_output *out);
	void (*text)(void *state, struct tt_output *out, const struct tt_event *event,
	             const void *part);
	void (*json)(void *state, struct tt_output *out, const struct tt_event *event,
	             const void *part);
	/* The same for -c's rows, from a count key (trailing cells only). */
	void (*count_header)(void *state, struct tt_output *out);
	void (*count_text)(void *state, struct tt_output *out, const struct tt_count_key *key);
	void (*count_json)(void *state, struct tt_output *out, const struct tt_count_key *key);
};

/* A module as a tool lists it, with where its part of the tool's event lies. */
struct tt_module_use {
	const struct tt_module *module;
	size_t part_offset; /* offset of the module's part in the event; 0: none */
};

/*
 * For a module's drain: an event of the tool's own kind (one the kernel still
 * held when tracing stopped), printed as events read from the kernel are, or
 * counted under result where a module counts. 0, or -1 after an error.
 */
int tt_event_sink_put(struct tt_event_sink *sink, const void *event, __u32 result);

/* For a module's -c rows: whether any shown module has count cells; then those cells. */
bool tt_columns_count_cells(const struct tt_columns *columns);
void tt_columns_count_header(const struct tt_columns *columns, struct tt_output *out);
void tt_columns_count_text(const struct tt_columns *columns, struct tt_output *out,
                           const struct tt_count_key *key);
void tt_columns_count_json(const struct tt_columns *columns, struct tt_output *out,
                           const struct tt_count_key *key);

#endif
