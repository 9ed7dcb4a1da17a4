// SPDX-License-Identifier: Apache-2.0
#include "output.h"

#include <errno.h>
#include <string.h>

#include "cells.h"
#include "json.h"
#include "log.h"

void tt_output_init(struct tt_output *o, FILE *out, bool json)
{
	o->out = out;
	o->json = json;
	tt_clock_init(&o->clock);
}

void tt_output_task_header(const struct tt_output *o)
{
	fprintf(o->out, "%-7s %-16s ", "PID", "COMM");
}

/*
 * PID 0 is no task's: an event no process can be named for (tcpaccept -o: a
 * connection still queued when tracing stopped) shows "-" for PID and COMM.
 */
void tt_output_task_text(const struct tt_output *o, const struct tt_event_head *head)
{
	if (head->pid == 0) {
		fprintf(o->out, "%-7s %-16s ", "-", "-");
		return;
	}
	char safe_comm[TT_COMM_TEXT_LEN];
	tt_format_comm(head->comm, sizeof(head->comm), safe_comm);
	tt_cell_uint(o->out, head->pid, 7);
	putc_unlocked(' ', o->out);
	tt_cell_text(o->out, safe_comm, 16);
	putc_unlocked(' ', o->out);
}

void tt_output_json_head(struct tt_output *o, const struct tt_event_head *head)
{
	char time[40];
	tt_clock_rfc3339(&o->clock, head->ts_ns, time);
	FILE *out = o->out;
	tt_json_open_word(out, "time", time);
	if (head->pid == 0) { /* no task's (tt_output_task_text) */
		tt_json_key(out, "pid");
		tt_cell_raw(out, "null");
		tt_json_key(out, "uid");
		tt_cell_raw(out, "null");
		tt_json_key(out, "comm");
		tt_cell_raw(out, "null");
		return;
	}
	tt_json_uint(out, "pid", head->pid);
	tt_json_uint(out, "uid", head->uid);
	tt_json_text(out, "comm", head->comm, sizeof(head->comm));
}

void tt_output_interval_line(struct tt_output *o)
{
	/* BCC's periodic tools: a blank line between blocks, then the time. */
	fprintf(o->out, "%s%s\n", o->interval > 1 ? "\n" : "",
	        tt_clock_hms(&o->clock, o->interval_end_ns));
}

void tt_output_json_row_open(struct tt_output *o, const char *key, const char *word)
{
	if (!o->interval) {
		tt_json_open_word(o->out, key, word);
		return;
	}
	char time[40];
	tt_clock_rfc3339(&o->clock, o->interval_end_ns, time);
	tt_json_open_word(o->out, "time", time);
	tt_json_uint(o->out, "interval", o->interval);
	tt_json_word(o->out, key, word);
}

void tt_output_buffer_stdout(void)
{
	static char stdout_buffer[1 << 16];
	setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
}

int tt_output_flush(struct tt_output *o)
{
	if (fflush(o->out) == 0 && !ferror(o->out))
		return 0;
	if (errno == EPIPE)
		return 1;
	tt_error("cannot write output: %s", strerror(errno));
	return -1;
}
