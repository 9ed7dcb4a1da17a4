// SPDX-License-Identifier: Apache-2.0
#include "outcome.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <bcc/libbpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "cells.h"
#include "format.h"
#include "json.h"
#include "listen_diag.h"
#include "proc_tcp.h"
#include "log.h"
#include "tracer.h"
#include "tt_outcome.h"
#include "tt_pending.h"
#include "tt_contract.h"

/*
 * tcpaccept's: listeners a door line named only by their inode (older than the
 * trace, outside the tool's network namespace), each resolved through /proc
 * once; pid 0: no process held it (not asked again). The oldest is replaced
 * when full.
 */
#define NAMED_LISTENERS 64
struct named_listeners {
	struct tt_socket_owner items[NAMED_LISTENERS];
	size_t count, next;
};

struct outcome {
	struct tt_listeners listeners; /* tcpaccept's: their drops when tracing began */
	struct named_listeners named;  /* tcpaccept's: owners found for door lines */
	int owners_fd;                 /* tcpaccept's tt_listener_owners, or -1 */
	struct tt_listeners last;      /* with -i: as the last interval read them */
	bool listeners_read;           /* they could be read */
	bool intervals;                /* tcpaccept -o -i: the drops of each interval */
	bool accepts; /* tcpaccept's (tt_accept_outcome_module): WAIT(ms), wait_ms */
	bool wanted;  /* -o, or --failed */
	bool needed;  /* -o, or another module's need (input->outcomes): no columns then */
	bool failed;  /* --failed */
	bool pending; /* hand the attempts pending at the end over: -o, or another module's need */
	bool owners;  /* tcpaccept's on kprobes: name the listeners' owners (dropped, cookie) */
	size_t event_size, part_offset;
};

static int outcome_option(void *state, int key, const char *arg)
{
	(void)arg;
	struct outcome *o = state;
	if (key != 'o' && key != TT_OPT_FAILED)
		return 1;
	o->wanted = true;
	o->failed = o->failed || key == TT_OPT_FAILED;
	return 0;
}

/* sk_err; and the socket's inode (sk->sk_socket's, allocated with it): tt_sock_inode */
static const char *const sock_members[] = {"sk_err", "sk_socket", NULL};
static const char *const socket_alloc_members[] = {"socket", "vfs_inode", NULL};
static const char *const inode_members[] = {"i_ino", NULL};
static const struct tt_kernel_struct kernel_structs[] = {
    {"sock", sock_members}, {"inode", inode_members}, {"socket_alloc", socket_alloc_members}};

/* -o gives each event a result: a module counting events may count by it (--metrics). */
static void outcome_needs(void *state, struct tt_module_needs *needs)
{
	const struct outcome *o = state;
	if (o->wanted)
		needs->results = true;
}

/* Where the kprobe backend learns the outcome (the tracepoint backend has its own). */
static const struct tt_probe state_change_probe = {
    TT_RAW_TRACEPOINT, TT_PROGRAM(tt_outcome_state_change), "inet_sock_set_state"};

/* What both tools' outcomes add to the plan: 0, or TT_PLAN_USAGE after an error. */
static int plan_outcomes(struct outcome *o, const struct tt_plan_input *input, struct tt_plan *plan,
                         struct tt_module_offer *offer)
{
	if (input->part_offset == 0) {
		tt_error("-o: this tool's events have no outcome");
		return TT_PLAN_USAGE;
	}
	o->event_size = input->event_size;
	o->part_offset = input->part_offset;
	tt_plan_define(plan, TT_DEFINE(TT_OUTCOME), "1");
	if (o->failed)
		tt_plan_define(plan, TT_DEFINE(TT_OUTCOME_FAILED), "1");
	tt_plan_add_structs(plan, kernel_structs, TT_ARRAY_SIZE(kernel_structs),
	                    "#include <net/sock.h>\n#include <linux/fs.h>\n");
	tt_plan_add_loss_counter(plan, TT_TABLE(tt_pending_overflow));
	offer->columns = o->wanted; /* not when only another module needs the outcomes */
	return 0;
}

static int outcome_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                        struct tt_module_offer *offer)
{
	struct outcome *o = state;
	o->needed = o->wanted || input->outcomes;
	o->pending = o->wanted || input->pending;
	if (!o->needed)
		return 0;
	int rc = plan_outcomes(o, input, plan, offer);
	if (rc != 0)
		return rc;
	if (input->backend == TT_BACKEND_KPROBE) {
		tt_plan_define(plan, TT_DEFINE(TT_OUTCOME_PROBE), "1");
		tt_plan_add_probe(plan, &state_change_probe);
	}
	return 0;
}

/*
 * tcpaccept's: its BPF text has the programs (bpfsrc/tt_accept_outcome.bpf.h),
 * raw tracepoints on either backend. (The child's state it reads at accept
 * comes with its flow: common/kernel/socket_types.c.)
 */
static const char *const sk_buff_members[] = {"head", "network_header", "transport_header",
                                              "protocol", NULL};
static const struct tt_kernel_struct accept_structs[] = {{"sk_buff", sk_buff_members}};
static const struct tt_probe accept_probes[] = {
    {TT_RAW_TRACEPOINT, TT_PROGRAM(tt_accept_state_change), "inet_sock_set_state"},
    {TT_RAW_TRACEPOINT, TT_PROGRAM(tt_accept_reset), "tcp_receive_reset"},
    {TT_RAW_TRACEPOINT, TT_PROGRAM(tt_accept_destroy), "tcp_destroy_sock"},
};
/*
 * A RST sent with no socket (refused): on kprobes, the functions that send
 * it; on tracepoints, tcp:tcp_send_reset, which has it from Linux 6.10 on.
 * The kprobes see the rest of the listener's door too.
 */
static const struct tt_probe refused_kprobes[] = {
    {TT_KPROBE, TT_PROGRAM(tt_accept_send_reset_kprobe), "tcp_v4_send_reset"},
    {TT_KPROBE, TT_PROGRAM(tt_accept_send_reset_kprobe), "tcp_v6_send_reset"},
    /* dropped (a SYN, a final ACK) and cookie: no tracepoint sees them */
    {TT_KPROBE, TT_PROGRAM(tt_accept_conn_request), "tcp_conn_request"},
    {TT_KPROBE, TT_PROGRAM(tt_accept_syn_recv_sock), "tcp_v4_syn_recv_sock"},
    {TT_KPROBE, TT_PROGRAM(tt_accept_syn_recv_sock6), "tcp_v6_syn_recv_sock"},
    {TT_KPROBE, TT_PROGRAM(tt_accept_send_synack), "tcp_v4_send_synack"},
    {TT_KPROBE, TT_PROGRAM(tt_accept_send_synack), "tcp_v6_send_synack"},
};
static const struct tt_probe refused_tracepoint = {
    TT_RAW_TRACEPOINT, TT_PROGRAM(tt_accept_send_reset), "tcp_send_reset"};

static int accept_outcome_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                               struct tt_module_offer *offer)
{
	struct outcome *o = state;
	o->accepts = true;
	o->owners_fd = -1;     /* the state is zeroed: fd 0 would look valid until the load */
	o->needed = o->wanted; /* the exporter counts accepts without their outcome */
	o->pending = o->wanted;
	if (!o->needed)
		return 0;
	int rc = plan_outcomes(o, input, plan, offer);
	if (rc != 0)
		return rc;
	/* -i: each interval says which listeners dropped in it (accept_interval). */
	o->intervals = input->intervals;
	offer->intervals = input->intervals;
	tt_plan_add_structs(
	    plan, accept_structs, TT_ARRAY_SIZE(accept_structs),
	    "#include <net/sock.h>\n#include <linux/skbuff.h>\n#include <linux/fs.h>\n");
	for (size_t i = 0; i < TT_ARRAY_SIZE(accept_probes); i++)
		tt_plan_add_probe(plan, &accept_probes[i]);
	o->owners = input->backend == TT_BACKEND_KPROBE;
	if (o->owners) {
		for (size_t i = 0; i < TT_ARRAY_SIZE(refused_kprobes); i++)
			tt_plan_add_probe(plan, &refused_kprobes[i]);
	} else {
		tt_plan_add_probe(plan, &refused_tracepoint);
	}
	return 0;
}

static const char *result_name(uint32_t result, char buf[TT_RESULT_NAME_LEN])
{
	static const char *const words[] = {
	    [TT_RESULT_NONE] = "-",
	    [TT_RESULT_CONNECTED] = "connected",
	    [TT_RESULT_REFUSED] = "refused",
	    [TT_RESULT_TIMEOUT] = "timeout",
	    [TT_RESULT_UNREACHABLE] = "unreachable",
	    [TT_RESULT_ABORTED] = "aborted",
	    [TT_RESULT_PENDING] = "pending",
	    [TT_RESULT_ACCEPTED] = "accepted",
	    [TT_RESULT_RESET] = "reset",
	    [TT_RESULT_ORPHANED] = "orphaned",
	    [TT_RESULT_DROPPED] = "dropped",
	    [TT_RESULT_COOKIE] = "cookie",
	};
	if (result < TT_ARRAY_SIZE(words))
		return words[result];
	/* The kernel's errno values are glibc's; whatever the value, one token. */
	const char *name =
	    result > TT_RESULT_ERRNO ? strerrorname_np((int)(result - TT_RESULT_ERRNO)) : NULL;
	if (name)
		return name;
	snprintf(buf, TT_RESULT_NAME_LEN, "error%u", result);
	return buf;
}

const char *tt_outcome_result_name(__u32 result, char buf[TT_RESULT_NAME_LEN])
{
	return result_name(result, buf);
}

/* The event's outcome part (not necessarily aligned) as milliseconds and a word. */
struct shown_outcome {
	uint64_t latency_ns;
	const char *result;
	char buf[TT_RESULT_NAME_LEN];
};

static void show(const void *part, struct shown_outcome *shown)
{
	struct tt_outcome outcome;
	memcpy(&outcome, part, sizeof(outcome));
	shown->latency_ns = outcome.latency_ns;
	shown->result = result_name(outcome.result, shown->buf);
}

/*
 * tcpconnect's latency is LAT(ms), "latency_ms"; tcpaccept's is the wait in
 * the accept queue, WAIT(ms), "wait_ms": "-" or null when it was queued
 * before tracing began.
 */
static void outcome_header(void *state, struct tt_output *out)
{
	const struct outcome *o = state;
	fprintf(out->out, " %-9s %-11s", o->accepts ? "WAIT(ms)" : "LAT(ms)", "RESULT");
}

/* --fields: LAT(ms) and RESULT each alone. */
static void latency_field_text(void *state, struct tt_output *out, const struct tt_event *event,
                               const void *part, int width)
{
	(void)state;
	(void)event;
	struct shown_outcome shown;
	show(part, &shown);
	if (shown.latency_ns == TT_OUTCOME_LATENCY_UNKNOWN)
		tt_cell_text(out->out, "-", width);
	else
		tt_cell_millis(out->out, shown.latency_ns, width);
}

static void latency_field_json(void *state, struct tt_output *out, const struct tt_event *event,
                               const void *part)
{
	const struct outcome *o = state;
	(void)event;
	struct shown_outcome shown;
	show(part, &shown);
	tt_json_key(out->out, o->accepts ? "wait_ms" : "latency_ms");
	if (shown.latency_ns == TT_OUTCOME_LATENCY_UNKNOWN)
		tt_cell_raw(out->out, "null");
	else
		tt_cell_millis(out->out, shown.latency_ns, 0);
}

static void result_field_text(void *state, struct tt_output *out, const struct tt_event *event,
                              const void *part, int width)
{
	(void)state;
	(void)event;
	struct shown_outcome shown;
	show(part, &shown);
	tt_cell_text(out->out, shown.result, width);
}

static void result_field_json(void *state, struct tt_output *out, const struct tt_event *event,
                              const void *part)
{
	(void)state;
	(void)event;
	struct shown_outcome shown;
	show(part, &shown);
	tt_json_word(out->out, "result", shown.result);
}

static void outcome_text(void *state, struct tt_output *out, const struct tt_event *event,
                         const void *part)
{
	putc_unlocked(' ', out->out);
	latency_field_text(state, out, event, part, 9);
	putc_unlocked(' ', out->out);
	result_field_text(state, out, event, part, 11);
}

static void outcome_json(void *state, struct tt_output *out, const struct tt_event *event,
                         const void *part)
{
	latency_field_json(state, out, event, part);
	result_field_json(state, out, event, part);
}

static const struct tt_field outcome_fields[] = {
    {"latency_ms", "LAT(ms)", 9, "-o", latency_field_text, latency_field_json},
    {"result", "RESULT", 11, "-o", result_field_text, result_field_json},
};
static const struct tt_field accept_outcome_fields[] = {
    {"wait_ms", "WAIT(ms)", 9, "-o", latency_field_text, latency_field_json},
    {"result", "RESULT", 11, "-o", result_field_text, result_field_json},
};

static void outcome_count_header(void *state, struct tt_output *out)
{
	(void)state;
	fprintf(out->out, " %-11s", "RESULT");
}

static void outcome_count_text(void *state, struct tt_output *out, const struct tt_count_key *key)
{
	(void)state;
	char buf[TT_RESULT_NAME_LEN];
	fprintf(out->out, " %-11s", result_name(key->result, buf));
}

static void outcome_count_json(void *state, struct tt_output *out, const struct tt_count_key *key)
{
	(void)state;
	char buf[TT_RESULT_NAME_LEN];
	tt_json_word(out->out, "result", result_name(key->result, buf));
}

/* ------------------------------------------------------- attempts pending at the end */

struct pending_list {
	unsigned char *events;
	size_t count, cap, event_size;
};

static int keep(struct pending_list *list, const void *event)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 64;
		unsigned char *more = realloc(list->events, cap * list->event_size);
		if (!more)
			return -1;
		list->events = more;
		list->cap = cap;
	}
	memcpy(list->events + list->count++ * list->event_size, event, list->event_size);
	return 0;
}

/* The table's claimed slots (bpfsrc/tt_pending.h), then its map. */
static int read_pending(struct tt_tracer *tracer, struct pending_list *list)
{
	unsigned char *scratch = calloc(1, TT_PENDING_SLOT_SIZE(list->event_size));
	if (!scratch)
		return -1;
	int slots_fd = tt_tracer_table_fd(tracer, TT_TABLE(pending)); /* -1 without BPF atomics */
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && slots_fd >= 0 && i < TT_PENDING_SLOTS; i++) {
		__u64 sk;
		if (bpf_lookup_elem(slots_fd, &i, scratch) != 0)
			break;
		memcpy(&sk, scratch, sizeof(sk)); /* the slot's first member */
		if (sk != 0)
			rc = keep(list, scratch + TT_PENDING_SLOT_EVENT_OFFSET);
	}
	int map_fd = tt_tracer_table_fd(tracer, TT_TABLE(attempts));
	/*
	 * From key 0, which no socket has: a hash map answers a missing key with
	 * its first one (valgrind takes a NULL key for a bad pointer).
	 */
	uint64_t key = 0, next;
	while (rc == 0 && map_fd >= 0 && bpf_get_next_key(map_fd, &key, &next) == 0) {
		if (bpf_lookup_elem(map_fd, &next, scratch) == 0)
			rc = keep(list, scratch);
		key = next;
	}
	free(scratch);
	return rc;
}

static int earlier(const void *a, const void *b)
{
	const struct tt_event_head *x = a, *y = b;
	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* bpf_ktime_get_ns()'s clock */
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* The TCP sockets of one process's network namespace, read once for all its attempts. */
struct socket_tables {
	struct {
		int pid, family, read_rc;
		struct tt_proc_sockets sockets;
	} items[8];
	size_t count;
};

static void free_socket_tables(struct socket_tables *tables)
{
	for (size_t i = 0; i < tables->count; i++)
		if (tables->items[i].read_rc == 0)
			tt_proc_sockets_free(&tables->items[i].sockets);
	tables->count = 0;
}

/* Socket inode in pid's table of family, or NULL; *table_read: whether that table could be read. */
static const struct tt_proc_socket *find_socket(struct socket_tables *tables, int pid, int family,
                                                uint64_t inode, bool *table_read)
{
	size_t i = 0;
	while (i < tables->count &&
	       !(tables->items[i].pid == pid && tables->items[i].family == family))
		i++;
	if (i == tables->count) {
		if (i == TT_ARRAY_SIZE(tables->items)) {
			free_socket_tables(tables); /* many processes: keep the latest few */
			i = 0;
		}
		tables->items[i].pid = pid;
		tables->items[i].family = family;
		tables->items[i].read_rc =
		    tt_proc_sockets_read(pid, family, &tables->items[i].sockets);
		tables->count++;
	}
	*table_read = tables->items[i].read_rc == 0;
	return *table_read ? tt_proc_sockets_find(&tables->items[i].sockets, inode) : NULL;
}

/*
 * An attempt still pending, checked against the kernel's own table of its
 * process's network namespace, by the socket's inode: the source port, if
 * no event brought it (the BPF text reads it at the first retransmission; a
 * kernel may run no program there, or the stop came first). Returns false
 * when the socket is no longer in SYN_SENT there (or no longer there): its
 * outcome came, and no program saw it (or it came as tracing stopped).
 */
static bool still_pending(struct socket_tables *tables, struct tt_event *base,
                          const struct tt_outcome *part)
{
	if (part->sock_inode == 0)
		return true; /* tcpaccept's, or the kprobe backend's: nothing to check */
	int pid = (int)base->head.pid;
	bool table_read;
	const struct tt_proc_socket *socket =
	    find_socket(tables, pid, base->flow.family, part->sock_inode, &table_read);
	if (!socket)
		return !table_read; /* a process gone tells nothing */
	if (base->flow.lport == 0)
		base->flow.lport = socket->local_port;
	return socket->state == TCP_SYN_SENT;
}

/* The attempts still pending, oldest first, to the sink; then how many were not followed. */
static int outcome_drain(void *state, struct tt_tracer *tracer, struct tt_event_sink *sink)
{
	const struct outcome *o = state;
	if (!o->pending)
		return 0;
	/* Events are 8-byte aligned in the kernel, and so in this copy. */
	struct pending_list list = {.event_size = TT_PENDING_EVENT_SIZE(o->event_size)};
	if (read_pending(tracer, &list) != 0) {
		free(list.events);
		tt_error("out of memory");
		return -1;
	}
	if (list.count > 0)
		qsort(list.events, list.count, list.event_size, earlier);
	uint64_t now = monotonic_ns();
	struct socket_tables tables = {.count = 0};
	unsigned long long unseen = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < list.count; i++) {
		unsigned char *event = list.events + i * list.event_size;
		struct tt_event *base = (struct tt_event *)event;
		struct tt_outcome pending = {.result = TT_RESULT_PENDING};
		memcpy(&pending.sock_inode,
		       event + o->part_offset + offsetof(struct tt_outcome, sock_inode),
		       sizeof(pending.sock_inode));
		if (!still_pending(&tables, base, &pending))
			unseen++;
		if (now > base->head.ts_ns)
			pending.latency_ns = now - base->head.ts_ns;
		memcpy(event + o->part_offset, &pending, sizeof(pending));
		rc = tt_event_sink_put(sink, event, pending.result);
	}
	free_socket_tables(&tables);
	free(list.events);
	if (unseen)
		tt_warn("%llu attempts printed pending had left SYN_SENT: their outcome came as "
		        "tracing stopped, or when the kernel ran no BPF program (see OUTCOMES)",
		        unseen);
	/* Attempts the pending table had no room for. */
	uint64_t overflow = tt_tracer_counter(tracer, TT_TABLE(tt_pending_overflow));
	if (overflow)
		tt_warn("%llu attempts not followed: the pending table was full",
		        (unsigned long long)overflow);
	return rc;
}

/* ------------------------------------ tcpaccept: what the listeners dropped */

/* Owner as the BPF text's table holds it (struct tt_listener_owner). */
static struct tt_listener_owner table_owner(const struct tt_socket_owner *owner)
{
	struct tt_listener_owner shown = {.pid = (__u32)owner->pid, .uid = owner->uid};
	memcpy(shown.comm, owner->comm, sizeof(shown.comm));
	return shown;
}

/*
 * The processes holding the listeners opened before tracing (one pass over
 * /proc for them all), into the BPF text's table of listeners' owners, which
 * names the server on the lines of the connections lost at its door; the
 * text adds the listeners opened while it traces, and makes each one's last
 * acceptor its owner.
 */
static void name_listeners(const struct tt_listeners *listeners, int fd)
{
	struct tt_socket_owner *owners = calloc(listeners->count, sizeof(*owners));
	if (fd < 0 || !owners) {
		free(owners);
		return;
	}
	for (size_t i = 0; i < listeners->count; i++)
		owners[i].inode = listeners->items[i].inode;
	tt_socket_owners(owners, listeners->count);
	for (size_t i = 0; i < listeners->count; i++) {
		struct tt_listener_owner owner = table_owner(&owners[i]);
		__u64 inode = owners[i].inode;
		/* Not over an owner the text has set since (a listen(), an accept). */
		if (owners[i].pid > 0)
			bpf_update_elem(fd, &inode, &owner, BPF_NOEXIST);
	}
	free(owners);
}

/* The process holding the listener inode, from the cache or /proc (pid 0: none). */
static const struct tt_socket_owner *named_listener(struct outcome *o, uint64_t inode)
{
	struct named_listeners *named = &o->named;
	for (size_t i = 0; i < named->count; i++)
		if (named->items[i].inode == inode)
			return &named->items[i];
	size_t i = named->count < NAMED_LISTENERS ? named->count++ : named->next;
	named->next = (i + 1) % NAMED_LISTENERS;
	struct tt_socket_owner *owner = &named->items[i];
	*owner = (struct tt_socket_owner){.inode = inode};
	tt_socket_owners(owner, 1);
	if (owner->pid > 0) {
		/* The next of its door events is named in the kernel. */
		struct tt_listener_owner shown = table_owner(owner);
		__u64 key = inode;
		bpf_update_elem(o->owners_fd, &key, &shown, BPF_NOEXIST);
	}
	return owner;
}

/*
 * A door line whose listener had no owner in the kernel's table (opened
 * before tracing, in another network namespace than the tool's, and not
 * accepted on since): named by the process /proc finds holding it.
 */
static void accept_arrived(void *state, struct tt_event *event, void *part)
{
	struct outcome *o = state;
	struct tt_outcome outcome;
	if (o->owners_fd < 0 || !part)
		return;
	memcpy(&outcome, part, sizeof(outcome));
	if (outcome.sock_inode == 0 || event->head.pid != 0)
		return;
	const struct tt_socket_owner *owner = named_listener(o, outcome.sock_inode);
	if (owner->pid <= 0)
		return;
	event->head.pid = (__u32)owner->pid;
	event->head.uid = owner->uid;
	memcpy(event->head.comm, owner->comm, sizeof(event->head.comm));
}

/*
 * A SYN or final ACK the kernel drops because a listener's accept queue (or
 * SYN queue) is full leaves no trace of its own for a tracepoint (on any
 * kernel) and is not followed per event by the kprobes yet; the kernel counts
 * it on the listener (sk_drops, sock_diag's SK_MEMINFO_DROPS, ss -tlm's d).
 * So -o reads every listener (of every network namespace it can enter, else
 * of its own) when tracing begins and when it stops, and says on stderr
 * which ones dropped, how many, their queue then, and the process holding
 * each.
 */
static int accept_after_load(void *state, struct tt_tracer *tracer)
{
	struct outcome *o = state;
	if (!o->accepts || !o->wanted)
		return 0;
	o->owners_fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_listener_owners));
	o->listeners_read = tt_listeners_read_all(&o->listeners) == 0;
	if (!o->listeners_read)
		tt_warn("-o: cannot read the listeners (sock_diag): their drops are not reported");
	else if (o->owners && o->owners_fd >= 0 && o->listeners.count > 0)
		name_listeners(&o->listeners, o->owners_fd);
	if (o->listeners_read && o->intervals && o->listeners.count > 0) {
		/* The first interval's drops are counted from those at the start. */
		size_t size = o->listeners.count * sizeof(*o->listeners.items);
		o->last.items = malloc(size);
		if (!o->last.items) {
			tt_error("out of memory");
			return -1;
		}
		memcpy(o->last.items, o->listeners.items, size);
		o->last.count = o->last.cap = o->listeners.count;
	}
	return 0;
}

/* One listener whose drops grew, as the drops summary names it. */
struct listener_text {
	char plain[INET6_ADDRSTRLEN];    /* its address */
	char addr[INET6_ADDRSTRLEN + 2]; /* the same, an IPv6 one bracketed */
	char comm[TT_COMM_LEN + 1];      /* the owner's, raw (shown[] is made safe) */
	char shown[TT_COMM_TEXT_LEN];
	int pid; /* 0: no owner found */
};

/*
 * The listener's owner as the door lines name it: the kernel's table (its
 * last acceptor, else its listen() caller), else the first holder in /proc.
 */
static void listener_text(const struct outcome *o, const struct tt_listener *l,
                          struct listener_text *t)
{
	if (!inet_ntop(l->family, l->addr, t->plain, sizeof(t->plain)))
		snprintf(t->plain, sizeof(t->plain), "?");
	bool v6 = l->family == AF_INET6;
	snprintf(t->addr, sizeof(t->addr), "%s%s%s", v6 ? "[" : "", t->plain, v6 ? "]" : "");
	struct tt_listener_owner owner;
	__u64 inode = l->inode;
	if (o->owners_fd >= 0 && bpf_lookup_elem(o->owners_fd, &inode, &owner) == 0 && owner.pid) {
		t->pid = (int)owner.pid;
		memcpy(t->comm, owner.comm, sizeof(owner.comm));
		t->comm[sizeof(owner.comm)] = '\0';
	} else {
		t->comm[0] = '\0';
		t->pid = tt_socket_owner(l->inode, t->comm, sizeof(t->comm));
	}
	tt_format_comm(t->comm, strnlen(t->comm, TT_COMM_LEN), t->shown);
}

/*
 * The summary's sentence for one listener: "listener ADDR:PORT of PID N
 * (COMM): D SYNs or ACKs dropped <when> (accept or SYN queue full), queue
 * Q/MAX", when being "while tracing" or "in this interval".
 */
static void drops_sentence(const struct outcome *o, const struct tt_listener *l, uint32_t drops,
                           const char *when, char *buf, size_t size)
{
	struct listener_text t;
	listener_text(o, l, &t);
	char owner[64] = "";
	if (t.pid)
		snprintf(owner, sizeof(owner), " of PID %d (%s)", t.pid, t.shown);
	char netns[40] = "";
	if (l->netns != o->listeners.own_netns)
		snprintf(netns, sizeof(netns), " in netns %llu", (unsigned long long)l->netns);
	snprintf(buf, size,
	         "listener %s:%u%s%s: %u SYNs or ACKs dropped %s (accept or SYN queue full), "
	         "queue %u/%u",
	         t.addr, l->port, netns, owner, drops, when, l->queue, l->max);
}

static void say_drops(const struct outcome *o, const struct tt_listener *l, uint32_t drops)
{
	char sentence[256];
	drops_sentence(o, l, drops, "while tracing", sentence, sizeof(sentence));
	tt_warn("%s", sentence);
}

/* With -j, an interval's drops on one listener: an object of the interval's rows. */
static void json_drops(const struct outcome *o, struct tt_output *out, const struct tt_listener *l,
                       uint32_t drops)
{
	struct listener_text t;
	listener_text(o, l, &t);
	tt_output_json_row_open(out, "laddr", t.plain);
	tt_json_uint(out->out, "lport", l->port);
	tt_json_key(out->out, "pid");
	if (t.pid)
		fprintf(out->out, "%d", t.pid);
	else
		tt_cell_raw(out->out, "null");
	tt_json_text(out->out, "comm", t.pid ? t.comm : NULL, TT_COMM_LEN);
	tt_json_uint(out->out, "drops", drops);
	tt_json_uint(out->out, "backlog", l->queue);
	tt_json_uint(out->out, "backlog_max", l->max);
	tt_json_uint(out->out, "netns", l->netns);
	tt_json_close(out->out);
}

/* The drops of each listener in now since before (a listener not in before: all its own). */
typedef void (*drops_fn)(const struct outcome *o, struct tt_output *out,
                         const struct tt_listener *l, uint32_t drops);

static void each_grown(const struct outcome *o, const struct tt_listeners *now,
                       const struct tt_listeners *before, struct tt_output *out, drops_fn said)
{
	for (size_t i = 0; i < now->count; i++) {
		const struct tt_listener *l = &now->items[i];
		const struct tt_listener *was = tt_listeners_find(before, l->inode);
		uint32_t drops = l->drops - (was ? was->drops : 0);
		if (drops)
			said(o, out, l, drops);
	}
}

static void said_at_the_end(const struct outcome *o, struct tt_output *out,
                            const struct tt_listener *l, uint32_t drops)
{
	(void)out;
	say_drops(o, l, drops);
}

static void said_in_the_interval(const struct outcome *o, struct tt_output *out,
                                 const struct tt_listener *l, uint32_t drops)
{
	if (out->json) {
		json_drops(o, out, l, drops);
		return;
	}
	char sentence[256];
	drops_sentence(o, l, drops, "in this interval", sentence, sizeof(sentence));
	fprintf(out->out, "%s\n", sentence);
}

/* The listeners now, into *now (freed by the caller); false, said, when they cannot be read. */
static bool read_listeners(const struct outcome *o, struct tt_listeners *now, const char *when)
{
	if (!o->listeners_read)
		return false;
	if (tt_listeners_read_all(now) == 0)
		return true;
	tt_warn("-o: cannot read the listeners (sock_diag) %s: their drops are not reported", when);
	return false;
}

/*
 * The listeners' drops. At an interval (-i): those whose drops grew since
 * the last one, in its block (a line each, or an object each with -j); now
 * becomes the last reading. A reading that fails leaves the last one: the
 * next interval says both. At the end: with -i the last interval's first,
 * then the whole run's on stderr.
 */
static void report_drops(struct outcome *o, struct tt_output *out, bool at_end)
{
	struct tt_listeners now = {0};
	if (read_listeners(o, &now, at_end ? "at the end" : "in this interval")) {
		if (!at_end || o->intervals)
			each_grown(o, &now, &o->last, out, said_in_the_interval);
		if (at_end) {
			each_grown(o, &now, &o->listeners, out, said_at_the_end);
		} else {
			tt_listeners_free(&o->last);
			o->last = now;
			return;
		}
	}
	tt_listeners_free(&now);
}

static int accept_interval(void *state, struct tt_tracer *tracer, struct tt_output *out,
                           const struct tt_columns *columns)
{
	(void)tracer;
	(void)columns;
	report_drops(state, out, false);
	return 0;
}

static int accept_after_run(void *state, struct tt_tracer *tracer, struct tt_output *out,
                            const struct tt_columns *columns)
{
	(void)tracer;
	(void)columns;
	report_drops(state, out, true);
	return 0;
}

static void accept_close(void *state)
{
	struct outcome *o = state;
	tt_listeners_free(&o->listeners);
	tt_listeners_free(&o->last);
}

static const struct tt_option outcome_options[] = {
    {'o', "outcome", NULL, "print each attempt at its outcome, with LAT(ms) and RESULT",
     TT_HELP_MODES},
    {TT_OPT_FAILED, "failed", NULL, "only the attempts that did not connect (implies -o)",
     TT_HELP_MODES},
};

static const struct tt_option accept_outcome_options[] = {
    {'o', "outcome", NULL, "print each connection at its outcome, with WAIT(ms) and RESULT",
     TT_HELP_MODES},
    {TT_OPT_FAILED, "failed", NULL, "only the connections not accepted (implies -o)",
     TT_HELP_MODES},
};

/*
 * The two tools' modules differ in their options' words, their plan and
 * tcpaccept's drops, which it says at each -i interval too (so -o is a mode
 * -i goes with).
 */
#define OUTCOME_MODULE(option_table, field_table, plan_hook, load_hook, arrived_hook, run_hook,    \
                       close_hook, interval_hook, interval_option)                                 \
	{                                                                                          \
		.options = (option_table), .option_count = TT_ARRAY_SIZE(option_table),            \
		.mode_option = (interval_option), .state_size = sizeof(struct outcome),            \
		.option = outcome_option, .needs = outcome_needs, .plan = (plan_hook),             \
		.after_load = (load_hook), .arrived = (arrived_hook), .interval = (interval_hook), \
		.after_run = (run_hook), .close = (close_hook), .drain = outcome_drain,            \
		.column_place = TT_COLUMNS_TRAIL, .header = outcome_header, .text = outcome_text,  \
		.json = outcome_json, .count_header = outcome_count_header,                        \
		.count_text = outcome_count_text, .count_json = outcome_count_json,                \
		.fields = (field_table), .field_count = TT_ARRAY_SIZE(field_table),                \
	}

const struct tt_module tt_outcome_module = OUTCOME_MODULE(
    outcome_options, outcome_fields, outcome_plan, NULL, NULL, NULL, NULL, NULL, NULL);
const struct tt_module tt_accept_outcome_module = OUTCOME_MODULE(
    accept_outcome_options, accept_outcome_fields, accept_outcome_plan, accept_after_load,
    accept_arrived, accept_after_run, accept_close, accept_interval, "-o");
