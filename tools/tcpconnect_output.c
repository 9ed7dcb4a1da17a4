// SPDX-License-Identifier: Apache-2.0
#include "tcpconnect_output.h"

#include <bcc/libbpf.h>
#include <stdlib.h>
#include <sys/socket.h>

void tcpconnect_print_header(struct tt_output *o)
{
	if (o->json)
		return;
	tt_output_header_start(o);
	fprintf(o->out, "%-15s %-5s %-15s %s\n", "SADDR", "SPORT", "DADDR", "DPORT");
}

void tcpconnect_print_event(struct tt_output *o, const void *event)
{
	const struct tcpconnect_event *e = event;
	char saddr[TT_ADDR_STRLEN], daddr[TT_ADDR_STRLEN];
	int family = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(family, e->saddr, saddr);
	tt_format_addr(family, e->daddr, daddr);
	if (o->json) {
		tt_output_json_start(o, e->ts_ns, e->uid, e->pid, e->comm, sizeof(e->comm));
		fprintf(o->out,
		        "\"ip\": %d, \"saddr\": \"%s\", \"sport\": %u, \"daddr\": \"%s\", "
		        "\"dport\": %u}\n",
		        family == AF_INET6 ? 6 : 4, saddr, e->sport, daddr, e->dport);
		return;
	}
	tt_output_line_start(o, e->ts_ns, e->uid, e->pid, e->comm, sizeof(e->comm));
	fprintf(o->out, "%-15s %-5u %-15s %u\n", saddr, e->sport, daddr, e->dport);
}

struct flow_count {
	struct tcpconnect_flow flow;
	__u64 connects;
};

static int most_first(const void *a, const void *b)
{
	const struct flow_count *x = a, *y = b;
	return x->connects < y->connects ? 1 : x->connects > y->connects ? -1 : 0;
}

void tcpconnect_print_counts(struct tt_output *o, int counts_fd)
{
	size_t count = 0, cap = 256;
	struct flow_count *flows = malloc(cap * sizeof(*flows));
	struct tcpconnect_flow key, next;
	void *prev = NULL;
	while (flows && bpf_get_next_key(counts_fd, prev, &next) == 0) {
		if (count == cap) {
			struct flow_count *more = realloc(flows, 2 * cap * sizeof(*flows));
			if (!more)
				break;
			flows = more;
			cap *= 2;
		}
		if (bpf_lookup_elem(counts_fd, &next, &flows[count].connects) == 0)
			flows[count++].flow = next;
		key = next;
		prev = &key;
	}
	if (flows)
		qsort(flows, count, sizeof(*flows), most_first);
	if (!o->json)
		fprintf(o->out, "%-15s %-15s %-5s %s\n", "LADDR", "RADDR", "RPORT", "CONNECTS");
	for (size_t i = 0; i < count; i++) {
		const struct tcpconnect_flow *f = &flows[i].flow;
		char saddr[TT_ADDR_STRLEN], daddr[TT_ADDR_STRLEN];
		int family = f->family == AF_INET6 ? AF_INET6 : AF_INET;
		tt_format_addr(family, f->saddr, saddr);
		tt_format_addr(family, f->daddr, daddr);
		if (o->json)
			fprintf(o->out,
			        "{\"saddr\": \"%s\", \"daddr\": \"%s\", \"dport\": %u, "
			        "\"connects\": %llu}\n",
			        saddr, daddr, f->dport, (unsigned long long)flows[i].connects);
		else
			fprintf(o->out, "%-15s %-15s %-5u %llu\n", saddr, daddr, f->dport,
			        (unsigned long long)flows[i].connects);
	}
	free(flows);
}
