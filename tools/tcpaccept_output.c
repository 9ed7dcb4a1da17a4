// SPDX-License-Identifier: Apache-2.0
#include "tcpaccept_output.h"

#include <stdbool.h>
#include <stdio.h>

#include "cells.h"
#include "json.h"
#include "tcpaccept.h"

/* BL when other cells follow: room for "4096/4096" (somaxconn's default). */
#define BL_WIDTH 9

const struct tt_flow_names tcpaccept_flow_names = {"laddr", "lport", "raddr", "rport", true, true};

/* Unknown when the accept() began before tracing did: "-", or null in JSON. */
static bool backlog_known(const struct tcpaccept_event *e)
{
	return e->flags & TCPACCEPT_BACKLOG_KNOWN;
}

static int decimal_digits(unsigned v)
{
	int n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* A JSON number, or null when unknown. */
static void json_count(FILE *out, const char *key, bool known, unsigned v)
{
	if (known) {
		tt_json_uint(out, key, v);
	} else {
		tt_json_key(out, key);
		tt_cell_raw(out, "null");
	}
}

/* BL: "backlog/max", or "-". */
static void backlog_cell(FILE *out, const struct tcpaccept_event *e, int width)
{
	if (backlog_known(e)) {
		tt_cell_uint(out, e->backlog, 0);
		putc_unlocked('/', out);
		tt_cell_uint(out, e->backlog_max, width - decimal_digits(e->backlog) - 1);
	} else {
		tt_cell_text(out, "-", width);
	}
}

static void backlog_members(FILE *out, const struct tcpaccept_event *e)
{
	json_count(out, "backlog", backlog_known(e), e->backlog);
	json_count(out, "backlog_max", backlog_known(e), e->backlog_max);
}

static void backlog_field_text(void *state, struct tt_output *o, const struct tt_event *event,
                               const void *part, int width)
{
	(void)state;
	(void)part;
	backlog_cell(o->out, (const struct tcpaccept_event *)(const void *)event, width);
}

static void backlog_field_json(void *state, struct tt_output *o, const struct tt_event *event,
                               const void *part)
{
	(void)state;
	(void)part;
	backlog_members(o->out, (const struct tcpaccept_event *)(const void *)event);
}

/* --fields: BL; in JSON backlog and backlog_max, as lines have them. */
const struct tt_field tcpaccept_fields[TCPACCEPT_FIELDS] = {
    {"backlog", "BL", BL_WIDTH, NULL, backlog_field_text, backlog_field_json},
};

void tcpaccept_print_header(struct tt_output *o)
{
	fprintf(o->out, "%-15s %-5s %-15s %-5s %-*s", "RADDR", "RPORT", "LADDR", "LPORT",
	        o->cells_follow ? BL_WIDTH : 0, "BL");
}

void tcpaccept_print_text(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	struct tt_flow_text text;
	tt_flow_format(&e->base.flow, &text);
	FILE *out = o->out;
	tt_flow_print_text(out, &tcpaccept_flow_names, &text, &e->base.flow, 5);
	putc_unlocked(' ', out);
	backlog_cell(out, e, o->cells_follow ? BL_WIDTH : 0);
}

void tcpaccept_print_json(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	struct tt_flow_text text;
	tt_flow_format(&e->base.flow, &text);
	FILE *out = o->out;
	tt_flow_print_json(out, &tcpaccept_flow_names, &text, &e->base.flow);
	backlog_members(out, e);
}
