/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where and how a tool prints its events, with the output options every tool
 * shares: -t (seconds since start), -U (a UID column), -j (JSON lines). Each
 * tool's printer takes one.
 */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"

struct tt_output {
	FILE *out;
	struct tt_clock clock; /* kernel timestamps to wall-clock time */
	bool elapsed;          /* -t: TIME(s), seconds since tracing started */
	bool print_uid;        /* -U */
	bool json;             /* -j: one JSON object per line, no header */
};

/* Handles -t, -U and -j: 0, or 1 if key is not an output option. */
int tt_output_option(struct tt_output *o, int key);
void tt_output_init(struct tt_output *o, FILE *out);

/* The text columns every tool starts with: TIME or TIME(s), [UID,] PID, COMM. */
void tt_output_header_start(const struct tt_output *o);
void tt_output_line_start(struct tt_output *o, uint64_t ktime_ns, uint32_t uid, uint32_t pid,
                          const char *comm, size_t comm_len);
/* The JSON keys every tool starts with: time, pid, uid, comm; then ", ". */
void tt_output_json_start(struct tt_output *o, uint64_t ktime_ns, uint32_t uid, uint32_t pid,
                          const char *comm, size_t comm_len);

#endif
