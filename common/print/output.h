/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where and how lines are printed: a table, or JSON lines with -j. Every line
 * starts with the task of its event's head (PID, COMM; in JSON time, pid, uid,
 * comm); the tool's printer and the modules' columns follow (module.h).
 */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "tt_event.h"

struct tt_flow_names;

struct tt_output {
	FILE *out;
	struct tt_clock clock; /* kernel timestamps to wall-clock time */
	bool json;             /* -j: one JSON object per line, no header */
	/*
	 * Modules' cells follow the tool's in the table: the tool pads its
	 * last column to its header's width, so theirs line up.
	 */
	bool cells_follow;
	/* -i: the interval being printed, from 1 (0 without -i), and when it ended. */
	unsigned interval;
	__u64 interval_end_ns;                  /* the kernel's clock, as event heads' ts_ns */
	const struct tt_flow_names *flow_names; /* the tool's, for the flow's fields */
};

/*
 * A column named by its JSON key, for --fields: the task's and the flow's
 * (print/fields.c), a tool's own (struct tt_tool), a module's (struct
 * tt_module: shown where its option is given).
 */
struct tt_field {
	const char *key;    /* its JSON key (its first), and its name in --fields */
	const char *header; /* its column's header */
	int width;          /* its cell's, unless it is the last of a line */
	const char *option; /* a module's: the option that shows it ("-o"), for errors */
	/* Its cell padded to width (0: as long as it is), without separators. */
	void (*text)(void *state, struct tt_output *out, const struct tt_event *event,
	             const void *part, int width);
	/* Its JSON member or members, each led by ", " (tt_json_*). */
	void (*json)(void *state, struct tt_output *out, const struct tt_event *event,
	             const void *part);
};

void tt_output_init(struct tt_output *o, FILE *out, bool json);

/* "PID COMM " in the header, and the same cells of a line. */
void tt_output_task_header(const struct tt_output *o);
void tt_output_task_text(const struct tt_output *o, const struct tt_event_head *head);
/* The JSON object's first members: {"time": ..., "pid": ..., "uid": ..., "comm": ... */
void tt_output_json_head(struct tt_output *o, const struct tt_event_head *head);

/*
 * With -i: the line before each interval's block ("HH:MM:SS"); and the
 * members a JSON row of it starts with ({"time": ..., "interval": N), then
 * its first own member. Without -i, the row opens with its own member.
 */
void tt_output_interval_line(struct tt_output *o);
void tt_output_json_row_open(struct tt_output *o, const char *key, const char *word);

/*
 * A large stdout buffer, so that the flush after each batch of events is one
 * write, not one per line.
 */
void tt_output_buffer_stdout(void);
/* Flushes: 0 while stdout works; 1 after a closed pipe (a quiet end); -1 after another error. */
int tt_output_flush(struct tt_output *o);

#endif
