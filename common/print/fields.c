// SPDX-License-Identifier: Apache-2.0
#include "fields.h"

#include <ctype.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cells.h"
#include "json.h"

static void pid_text(void *state, struct tt_output *o, const struct tt_event *e, const void *part,
                     int width)
{
	(void)state;
	(void)part;
	tt_cell_uint(o->out, e->head.pid, width);
}

static void pid_json(void *state, struct tt_output *o, const struct tt_event *e, const void *part)
{
	(void)state;
	(void)part;
	tt_json_uint(o->out, "pid", e->head.pid);
}

static void uid_text(void *state, struct tt_output *o, const struct tt_event *e, const void *part,
                     int width)
{
	(void)state;
	(void)part;
	tt_cell_uint(o->out, e->head.uid, width);
}

static void uid_json(void *state, struct tt_output *o, const struct tt_event *e, const void *part)
{
	(void)state;
	(void)part;
	tt_json_uint(o->out, "uid", e->head.uid);
}

static void comm_text(void *state, struct tt_output *o, const struct tt_event *e, const void *part,
                      int width)
{
	(void)state;
	(void)part;
	char safe_comm[TT_COMM_TEXT_LEN];
	tt_format_comm(e->head.comm, sizeof(e->head.comm), safe_comm);
	tt_cell_text(o->out, safe_comm, width);
}

static void comm_json(void *state, struct tt_output *o, const struct tt_event *e, const void *part)
{
	(void)state;
	(void)part;
	tt_json_text(o->out, "comm", e->head.comm, sizeof(e->head.comm));
}

static unsigned ip_of(const struct tt_event *e)
{
	return e->flow.family == AF_INET6 ? 6 : 4;
}

static void ip_text(void *state, struct tt_output *o, const struct tt_event *e, const void *part,
                    int width)
{
	(void)state;
	(void)part;
	tt_cell_uint(o->out, ip_of(e), width);
}

static void ip_json(void *state, struct tt_output *o, const struct tt_event *e, const void *part)
{
	(void)state;
	(void)part;
	tt_json_uint(o->out, "ip", ip_of(e));
}

/* The flow's members: which end, and whether its address or its port. */
static void flow_cell(struct tt_output *o, const struct tt_event *e, bool local, bool addr,
                      int width)
{
	if (addr) {
		struct tt_flow_text text;
		tt_flow_format(&e->flow, &text);
		tt_cell_text(o->out, local ? text.laddr : text.raddr, width);
	} else {
		tt_cell_uint(o->out, local ? e->flow.lport : e->flow.rport, width);
	}
}

static void flow_member(struct tt_output *o, const struct tt_event *e, bool local, bool addr)
{
	const struct tt_flow_names *n = o->flow_names;
	if (addr) {
		struct tt_flow_text text;
		tt_flow_format(&e->flow, &text);
		tt_json_word(o->out, local ? n->laddr : n->raddr, local ? text.laddr : text.raddr);
	} else {
		tt_json_uint(o->out, local ? n->lport : n->rport,
		             local ? e->flow.lport : e->flow.rport);
	}
}

#define FLOW_FIELD(name, local, addr)                                                              \
	static void name##_text(void *state, struct tt_output *o, const struct tt_event *e,        \
	                        const void *part, int width)                                       \
	{                                                                                          \
		(void)state;                                                                       \
		(void)part;                                                                        \
		flow_cell(o, e, local, addr, width);                                               \
	}                                                                                          \
	static void name##_json(void *state, struct tt_output *o, const struct tt_event *e,        \
	                        const void *part)                                                  \
	{                                                                                          \
		(void)state;                                                                       \
		(void)part;                                                                        \
		flow_member(o, e, local, addr);                                                    \
	}
FLOW_FIELD(laddr, true, true)
FLOW_FIELD(lport, true, false)
FLOW_FIELD(raddr, false, true)
FLOW_FIELD(rport, false, false)

/* A flow member's header: its key in capitals (SADDR, LPORT). */
static const char *upper(const char *key, char header[8])
{
	size_t i = 0;
	for (; i < 7 && key[i]; i++)
		header[i] = (char)toupper((unsigned char)key[i]);
	header[i] = '\0';
	return header;
}

void tt_base_fields(const struct tt_flow_names *n, struct tt_field fields[TT_BASE_FIELDS],
                    char headers[4][8])
{
	const struct tt_field base[TT_BASE_FIELDS] = {
	    {"pid", "PID", 7, NULL, pid_text, pid_json},
	    {"uid", "UID", 6, NULL, uid_text, uid_json},
	    {"comm", "COMM", 16, NULL, comm_text, comm_json},
	    {"ip", "IP", 2, NULL, ip_text, ip_json},
	    {n->laddr, upper(n->laddr, headers[0]), 15, NULL, laddr_text, laddr_json},
	    {n->lport, upper(n->lport, headers[1]), 5, NULL, lport_text, lport_json},
	    {n->raddr, upper(n->raddr, headers[2]), 15, NULL, raddr_text, raddr_json},
	    {n->rport, upper(n->rport, headers[3]), 5, NULL, rport_text, rport_json},
	};
	for (size_t i = 0; i < TT_BASE_FIELDS; i++)
		fields[i] = base[i];
}
