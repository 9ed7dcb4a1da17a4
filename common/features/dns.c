// SPDX-License-Identifier: Apache-2.0
#include "dns.h"

#include <bcc/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "array.h"
#include "cells.h"
#include "dns_names.h"
#include "json.h"
#include "log.h"
#include "tracer.h"
#include "tt_dns.h"
#include "tt_contract.h"

struct dns {
	bool wanted;                /* -d */
	struct tt_dns_names *names; /* the run's (tt_plan_input), which this module fills */
};

static int dns_option(void *state, int key, const char *arg)
{
	(void)arg;
	if (key != 'd')
		return 1;
	((struct dns *)state)->wanted = true;
	return 0;
}

/* One message from the kernel: learnt only when it came whole. */
static void on_dns_event(void *cookie, const void *data, int size)
{
	struct dns *d = cookie;
	struct tt_dns_event head;
	size_t payload = offsetof(struct tt_dns_event, payload);
	if (size < 0 || (size_t)size < payload)
		return;
	memcpy(&head, data, payload); /* perf samples are not 8-byte aligned */
	if (head.captured != head.length || head.captured > (size_t)size - payload)
		return;
	tt_dns_names_learn(d->names, (const uint8_t *)data + payload, head.captured, head.ts_ns);
}

static const struct tt_probe dns_probe = {TT_CGROUP_SKB_INGRESS, TT_PROGRAM(tt_dns_ingress),
                                          "the cgroup v2 root"};

/* -d's column needs the names, as another module may (--metrics' query label). */
static void dns_needs(void *state, struct tt_module_needs *needs)
{
	if (((struct dns *)state)->wanted)
		needs->dns_names = "-d";
}

static int dns_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                    struct tt_module_offer *offer)
{
	struct dns *d = state;
	d->names = input->dns_names;
	if (!d->names)
		return 0;
	tt_plan_define(plan, TT_DEFINE(TT_DNS), "1");
	tt_plan_add_probe(plan, &dns_probe);
	const struct tt_plan_output output = {TT_TABLE(tt_dns_events), sizeof(struct tt_dns_event),
	                                      on_dns_event, d};
	if (tt_plan_add_output(plan, &output) != 0)
		return -1;
	offer->learns_names = true;
	offer->columns = d->wanted;
	return 0;
}

/* Messages the kernel side found no room for, summed over CPUs. */
static int dns_after_run(void *state, struct tt_tracer *tracer, struct tt_output *out,
                         const struct tt_columns *columns)
{
	(void)out;
	(void)columns;
	const struct dns *d = state;
	uint64_t lost = d->names ? tt_tracer_counter(tracer, TT_TABLE(tt_dns_lost)) : 0;
	if (lost)
		tt_warn("lost %llu DNS messages (buffer full): some names may be missing",
		        (unsigned long long)lost);
	return 0;
}

static const char *name_of(const struct dns *d, const struct tt_flow *flow, uint64_t now_ns)
{
	return tt_dns_names_lookup(d->names, flow->family == AF_INET6 ? AF_INET6 : AF_INET,
	                           flow->raddr, now_ns);
}

static void print_text(struct tt_output *out, const char *name, int width)
{
	char safe[TT_DNS_NAME_MAX + 1];
	if (name)
		tt_format_safe(name, TT_DNS_NAME_MAX, safe, sizeof(safe));
	tt_cell_text(out->out, name ? safe : "-", width);
}

static void print_json(struct tt_output *out, const char *name)
{
	tt_json_text(out->out, "query", name, TT_DNS_NAME_MAX);
}

static void dns_header(void *state, struct tt_output *out)
{
	(void)state;
	fputs(" QUERY", out->out);
}

static void dns_text(void *state, struct tt_output *out, const struct tt_event *event,
                     const void *part)
{
	(void)part;
	putc_unlocked(' ', out->out);
	print_text(out, name_of(state, &event->flow, event->head.ts_ns), 0);
}

static void dns_json(void *state, struct tt_output *out, const struct tt_event *event,
                     const void *part)
{
	(void)part;
	print_json(out, name_of(state, &event->flow, event->head.ts_ns));
}

static void query_field_text(void *state, struct tt_output *out, const struct tt_event *event,
                             const void *part, int width)
{
	(void)part;
	print_text(out, name_of(state, &event->flow, event->head.ts_ns), width);
}

/* --fields: QUERY ("query" in JSON). */
static const struct tt_field dns_fields[] = {
    {"query", "QUERY", 24, "-d", query_field_text, dns_json},
};

/* -c's rows are printed once tracing stops: the names known then. */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void dns_count_text(void *state, struct tt_output *out, const struct tt_count_key *key)
{
	putc_unlocked(' ', out->out);
	print_text(out, name_of(state, &key->flow, now_ns()), 0);
}

static void dns_count_json(void *state, struct tt_output *out, const struct tt_count_key *key)
{
	print_json(out, name_of(state, &key->flow, now_ns()));
}

static const struct tt_option dns_options[] = {
    {'d', "dns", NULL, "add a QUERY column: the DNS name last answered with DADDR",
     TT_HELP_COLUMNS},
};

const struct tt_module tt_dns_module = {
    .options = dns_options,
    .option_count = TT_ARRAY_SIZE(dns_options),
    .state_size = sizeof(struct dns),
    .option = dns_option,
    .needs = dns_needs,
    .plan = dns_plan,
    .after_run = dns_after_run,
    .column_place = TT_COLUMNS_TRAIL,
    .header = dns_header,
    .text = dns_text,
    .json = dns_json,
    .count_header = dns_header,
    .count_text = dns_count_text,
    .count_json = dns_count_json,
    .fields = dns_fields,
    .field_count = TT_ARRAY_SIZE(dns_fields),
};
