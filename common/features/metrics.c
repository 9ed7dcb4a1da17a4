// SPDX-License-Identifier: Apache-2.0
#include "metrics.h"

#include <arpa/inet.h>
#include <bcc/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "backend.h"
#include "cgroup_paths.h"
#include "cpus.h"
#include "dns_names.h"
#include "exposition.h"
#include "format.h"
#include "listen_diag.h"
#include "log.h"
#include "metrics_http.h"
#include "outcome.h"
#include "parse.h"
#include "tracer.h"
#include "tt_contract.h"
#include "tt_metrics.h"
#include "tt_outcome.h"

#define DEFAULT_INTERVAL   15   /* seconds between rewrites of --metrics-file */
#define DEFAULT_MAX_SERIES 1000 /* per metric: Prometheus' advice is to look hard past 100 */
#define OTHER              "~other"
#define CGROUP_LABEL_MAX   512 /* bytes of a cgroup path kept as a label value */
#define MAX_CIDRS          64
#define NO_CIDR            "other"    /* peer_cidr of a peer in none of them */
#define NAMING_INTERVAL_S  1          /* with the query label: the table is read this often */
#define NOT_YET_NAMED      UINT32_MAX /* a query name not yet numbered: no series has it */
/*
 * With the query label, counts are named this long after they are first read:
 * the DNS answer before a connect is read off its own buffer by the main
 * thread, which may not have come to it when a scrape reads the connect.
 */
#define NAMING_DELAY_NS 1000000000ULL

/* One of --metrics-cidrs: a prefix of an address of its family. */
struct cidr {
	int family;
	unsigned bits;
	unsigned char addr[16];
	char text[64];
};

static const char *const label_names[] = {"result", "family", "port",      "comm",
                                          "cgroup", "peer",   "peer_cidr", "query"};
#define LABEL_COUNT TT_ARRAY_SIZE(label_names)

/* One label set as user space shows it, and what the kernel counted for it. */
struct series {
	struct tt_metrics_key key;
	struct tt_metrics_value value;
	/* With the query label, of a kernel key (struct metrics' seen): */
	struct tt_metrics_value held; /* counted since, not yet shown */
	uint64_t held_since_ns;       /* when the first of them was read */
	bool folded;                  /* some of its counts went to ~other */
};

/* The query label's values, numbered from 1 in the order first shown (key.query). */
struct query_names {
	char **names;
	size_t count, cap;
};

/* The series shown: once admitted, a label set stays (its counter never goes back). */
struct series_table {
	struct series *items; /* sorted by key */
	size_t count, cap;
	struct tt_metrics_value other; /* what the cap folded into ~other */
	size_t other_sets;             /* label sets folded, at the last reading */
	bool other_seen;
};

struct metrics {
	/* Options. */
	bool serve, quiet;
	bool labels_given; /* --metrics-labels was given */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[64];
	const char *file;
	const char *other_option; /* the last --metrics-* given (needs --metrics[-file]) */
	unsigned interval;
	unsigned labels; /* TT_METRICS_LABEL_*; 0: the tool's default */
	uint64_t max_series;
	bool ephemeral_given, ephemeral_off;
	unsigned ephemeral_lo, ephemeral_hi;
	struct cidr cidrs[MAX_CIDRS];
	size_t cidr_count;

	/* The plan. */
	bool connects;       /* the tool's events carry an outcome: connects, else accepts */
	bool accept_results; /* accepts with -o's results (input->results): tcpaccept -o */
	enum tt_backend backend;

	/* The run. */
	int table_fd;
	int cpus;
	int loss_fds[TT_MAX_LOSS_COUNTERS + 1]; /* the buffer's and the plan's (tracer.h) */
	unsigned loss_fd_count;
	struct tt_cgroup_paths *cgroup_paths;
	pthread_mutex_t lock; /* the series and the cgroup paths: scrapes and rewrites */
	bool lock_ready;
	struct series_table series;
	/*
	 * With the query label: each kernel key with what of its counts was
	 * shown already; each reading shows what came since under the name its
	 * peer has then (the kernel counts by peer, and a peer's name may change).
	 */
	struct series_table seen;
	struct query_names query_names;
	struct tt_dns_names *dns_names; /* the run's (tt_plan_input), filled by -d's module */
	struct tt_metrics_http *http;
	pthread_t writer;
	bool writer_running, writer_stop, writer_failing;
	bool stopped; /* serving and writing stopped: the final reading shows all it holds */
	pthread_cond_t writer_wake;
};

/* ------------------------------------------------------------------------- options */

/* The text of arg before at (a separator in it), into out; false when there is none or it does not
 * fit. */
static bool text_before(const char *arg, const char *at, char *out, size_t size)
{
	if (!at || (size_t)(at - arg) >= size)
		return false;
	memcpy(out, arg, (size_t)(at - arg));
	out[at - arg] = '\0';
	return true;
}

static int parse_address(struct metrics *m, const char *arg)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	if (!text_before(arg, colon, host, sizeof(host)))
		return tt_bad_value("--metrics ADDR:PORT", arg, "expected ADDR:PORT");
	uint64_t port;
	const char *why = tt_parse_uint(colon + 1, 1, 65535, &port);
	if (why)
		return tt_bad_value("--metrics port", arg, why);
	memset(&m->addr, 0, sizeof(m->addr));
	size_t len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = '\0';
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&m->addr;
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return tt_bad_value("--metrics address", arg, "not an IPv6 address");
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		m->addr_len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&m->addr;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return tt_bad_value("--metrics address", arg,
			                    "not an IPv4 address or a [bracketed] IPv6 one");
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		m->addr_len = sizeof(*a4);
	}
	snprintf(m->addr_text, sizeof(m->addr_text), "%s", arg);
	m->serve = true;
	return 0;
}

static int parse_labels(struct metrics *m, const char *arg)
{
	char list[256];
	if (snprintf(list, sizeof(list), "%s", arg) >= (int)sizeof(list) || !*arg)
		return tt_bad_value("--metrics-labels", arg,
		                    "expected a list such as result,family");
	unsigned labels = 0;
	char *save = NULL;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int i = tt_parse_choice(name, label_names, (int)LABEL_COUNT);
		if (i < 0)
			return tt_bad_value("--metrics-labels", arg,
			                    "labels are result, family, port, comm, cgroup, peer, "
			                    "peer_cidr, query");
		labels |= 1u << i; /* TT_METRICS_LABEL_* in label_names' order */
	}
	if (labels == 0 || strchr(",", arg[0]) || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		return tt_bad_value("--metrics-labels", arg, "an empty label name");
	m->labels = labels;
	m->labels_given = true;
	return 0;
}

static int parse_ephemeral(struct metrics *m, const char *arg)
{
	m->ephemeral_given = true;
	if (strcmp(arg, "none") == 0) {
		m->ephemeral_off = true;
		return 0;
	}
	char lo[8];
	const char *dash = strchr(arg, '-');
	if (!text_before(arg, dash, lo, sizeof(lo)))
		return tt_bad_value("--metrics-ephemeral-ports", arg, "expected LO-HI or none");
	uint64_t low, high;
	const char *why = tt_parse_uint(lo, 1, 65535, &low);
	if (!why)
		why = tt_parse_uint(dash + 1, 1, 65535, &high);
	if (!why && low > high)
		why = "LO is above HI";
	if (why)
		return tt_bad_value("--metrics-ephemeral-ports", arg, why);
	m->ephemeral_lo = (unsigned)low;
	m->ephemeral_hi = (unsigned)high;
	return 0;
}

static int parse_cidr(struct cidr *c, const char *text)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	if (!text_before(text, slash ? slash : text + strlen(text), addr, sizeof(addr)) ||
	    strlen(text) >= sizeof(c->text))
		return -1;
	memset(c, 0, sizeof(*c));
	c->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, addr, c->addr) != 1)
		return -1;
	unsigned max = c->family == AF_INET ? 32 : 128;
	uint64_t bits = max;
	if (slash && tt_parse_uint(slash + 1, 0, max, &bits))
		return -1;
	c->bits = (unsigned)bits;
	snprintf(c->text, sizeof(c->text), "%s", text);
	return 0;
}

static int parse_cidrs(struct metrics *m, const char *arg)
{
	char list[4096];
	if (snprintf(list, sizeof(list), "%s", arg) >= (int)sizeof(list) || !*arg)
		return tt_bad_value("--metrics-cidrs", arg, "expected CIDR[,CIDR...]");
	char *save = NULL;
	for (char *one = strtok_r(list, ",", &save); one; one = strtok_r(NULL, ",", &save)) {
		if (m->cidr_count == MAX_CIDRS)
			return tt_bad_value("--metrics-cidrs", arg, "at most 64");
		if (parse_cidr(&m->cidrs[m->cidr_count++], one) != 0)
			return tt_bad_value("--metrics-cidrs", one,
			                    "expected ADDR/BITS (10.0.0.0/8, fd00::/8)");
	}
	return 0;
}

static int metrics_option(void *state, int key, const char *arg)
{
	struct metrics *m = state;
	uint64_t value;
	const char *why;
	switch (key) {
	case TT_OPT_METRICS:
		return parse_address(m, arg);
	case TT_OPT_METRICS_FILE:
		if (!*arg)
			return tt_bad_value("--metrics-file", arg, "an empty path");
		m->file = arg;
		return 0;
	case TT_OPT_METRICS_INTERVAL:
		why = tt_parse_uint(arg, 1, 86400, &value);
		if (why)
			return tt_bad_value("--metrics-interval", arg, why);
		m->interval = (unsigned)value;
		m->other_option = "--metrics-interval";
		return 0;
	case TT_OPT_METRICS_LABELS:
		m->other_option = "--metrics-labels";
		return parse_labels(m, arg);
	case TT_OPT_METRICS_MAX_SERIES:
		why = tt_parse_uint(arg, 1, TT_METRICS_MAX_KEYS, &value);
		if (why)
			return tt_bad_value("--metrics-max-series", arg, why);
		m->max_series = value;
		m->other_option = "--metrics-max-series";
		return 0;
	case TT_OPT_METRICS_EPHEMERAL:
		m->other_option = "--metrics-ephemeral-ports";
		return parse_ephemeral(m, arg);
	case TT_OPT_METRICS_CIDRS:
		m->other_option = "--metrics-cidrs";
		return parse_cidrs(m, arg);
	case 'q':
		m->quiet = true;
		return 0;
	default:
		return 1;
	}
}

/* ------------------------------------------------------------------------- the plan */

/* The kernel's ephemeral range (ip_local_port_range), else Linux' default. */
static void default_ephemeral(struct metrics *m)
{
	m->ephemeral_lo = 32768;
	m->ephemeral_hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	char line[64] = "";
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	char *end;
	unsigned long lo = strtoul(line, &end, 10);
	unsigned long hi = end != line ? strtoul(end, &end, 10) : 0; /* "32768\t60999\n" */
	if (lo >= 1 && lo <= hi && hi <= 65535) {
		m->ephemeral_lo = (unsigned)lo;
		m->ephemeral_hi = (unsigned)hi;
	}
}

/* The counts are kept by each attempt's outcome, decided in the kernel (outcome.c's side). */
static void metrics_needs(void *state, struct tt_module_needs *needs)
{
	const struct metrics *m = state;
	if (m->serve || m->file)
		needs->outcomes = true;
	if ((m->serve || m->file) && (m->labels & TT_METRICS_LABEL_QUERY))
		needs->dns_names = "--metrics-labels query";
}

static int metrics_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                        struct tt_module_offer *offer)
{
	struct metrics *m = state;
	if (!m->serve && !m->file) {
		if (m->quiet || m->other_option) {
			tt_error("%s: only with --metrics or --metrics-file",
			         m->quiet ? "-q" : m->other_option);
			return TT_PLAN_USAGE;
		}
		return 0;
	}
	m->connects = input->part_offset != 0;
	m->accept_results = !m->connects && input->results;
	m->backend = input->backend;
	if (!m->labels)
		m->labels = m->connects ? TT_METRICS_LABEL_RESULT | TT_METRICS_LABEL_FAMILY
		                        : TT_METRICS_LABEL_FAMILY | TT_METRICS_LABEL_PORT;
	if (!m->connects && m->accept_results && !m->labels_given)
		m->labels |= TT_METRICS_LABEL_RESULT; /* tcpaccept -o: family,port,result */
	if (!m->connects && !m->accept_results && (m->labels & TT_METRICS_LABEL_RESULT)) {
		tt_error("--metrics-labels: result is only for tools with outcomes (tcpconnect, "
		         "tcpaccept -o)");
		return TT_PLAN_USAGE;
	}
	if (!(m->labels & TT_METRICS_LABEL_PEER_CIDR) != !m->cidr_count) {
		tt_error("--metrics-cidrs and the peer_cidr label go together");
		return TT_PLAN_USAGE;
	}
	if (!m->interval)
		m->interval = DEFAULT_INTERVAL;
	if (!m->max_series)
		m->max_series = DEFAULT_MAX_SERIES;
	if (!m->ephemeral_given)
		default_ephemeral(m);
	tt_plan_define(plan, TT_DEFINE(TT_METRICS), "1");
	/* What the kernel counts by: peer_cidr and query are made of the peer in user space. */
	const unsigned of_peer = TT_METRICS_LABEL_PEER_CIDR | TT_METRICS_LABEL_QUERY;
	unsigned kernel_labels = m->labels & ~of_peer;
	if (m->labels & of_peer)
		kernel_labels |= TT_METRICS_LABEL_PEER;
	m->dns_names = input->dns_names;
	tt_plan_define(plan, TT_DEFINE(TT_METRICS_LABELS), "0x%x", kernel_labels);
	tt_plan_define(plan, TT_DEFINE(TT_METRICS_PORT_MEMBER), "%s",
	               m->connects ? "rport" : "lport");
	if (m->ephemeral_off)
		tt_plan_define(plan, TT_DEFINE(TT_METRICS_EPHEMERAL_LO),
		               "65536"); /* above every port */
	else
		tt_plan_define(plan, TT_DEFINE(TT_METRICS_EPHEMERAL_LO), "%u", m->ephemeral_lo);
	tt_plan_define(plan, TT_DEFINE(TT_METRICS_EPHEMERAL_HI), "%u",
	               m->ephemeral_off ? 0 : m->ephemeral_hi);
	if (m->labels & TT_METRICS_LABEL_CGROUP) {
		tt_plan_define(plan, TT_DEFINE(TT_EVENT_CGROUP), "1"); /* the head's cgroup id */
		m->cgroup_paths = tt_cgroup_paths_open();
		if (!m->cgroup_paths)
			return -1;
	}
	if (m->connects) {
		/* Of each attempt's latency, which outcome.c's side decides (metrics_needs). */
		tt_plan_define(plan, TT_DEFINE(TT_METRICS_HISTOGRAM), "1");
	}
	if (m->accept_results && !(m->labels & TT_METRICS_LABEL_RESULT)) {
		/* tcpaccept -o without the result label: accepts_total is the accepted ones. */
		tt_plan_define(plan, TT_DEFINE(TT_METRICS_ACCEPTED), "1");
	}
	if (m->quiet) {
		tt_plan_define(plan, TT_DEFINE(TT_METRICS_QUIET), "1");
		/* Nothing streamed: counted in the kernel (no count_event: a pending attempt is
		 * not). */
		offer->counts = true;
		offer->counts_option = m->serve ? "--metrics -q" : "--metrics-file -q";
		offer->live_note = m->serve ? "serving /metrics until Ctrl-C"
		                            : "writing --metrics-file until Ctrl-C";
	}
	return 0;
}

/* --------------------------------------------------------------------- the series */

static int key_order(const void *a, const void *b)
{
	return memcmp(&((const struct series *)a)->key, &((const struct series *)b)->key,
	              sizeof(struct tt_metrics_key));
}

static void add_value(struct tt_metrics_value *to, const struct tt_metrics_value *from)
{
	to->count += from->count;
	to->sum_ns += from->sum_ns;
	for (size_t i = 0; i < TT_METRICS_BUCKET_COUNT; i++)
		to->buckets[i] += from->buckets[i];
}

/* Admits key (the table has room: count < cap); the new series, zeroed, or NULL. */
static struct series *admit(struct series_table *t, const struct tt_metrics_key *key)
{
	if (t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct series *more = realloc(t->items, cap * sizeof(*more));
		if (!more)
			return NULL;
		t->items = more;
		t->cap = cap;
	}
	size_t at = 0;
	while (at < t->count && memcmp(&t->items[at].key, key, sizeof(*key)) < 0)
		at++;
	memmove(t->items + at + 1, t->items + at, (t->count - at) * sizeof(*t->items));
	memset(&t->items[at], 0, sizeof(t->items[at]));
	t->items[at].key = *key;
	t->count++;
	return &t->items[at];
}

/* The results a series may have: tcpconnect's, or tcpaccept -o's (every one it counts). */
static const uint32_t connect_results[] = {TT_RESULT_CONNECTED, TT_RESULT_REFUSED,
                                           TT_RESULT_TIMEOUT, TT_RESULT_UNREACHABLE,
                                           TT_RESULT_ABORTED};
static const uint32_t accept_results[] = {TT_RESULT_ACCEPTED, TT_RESULT_RESET,   TT_RESULT_ORPHANED,
                                          TT_RESULT_REFUSED,  TT_RESULT_DROPPED, TT_RESULT_COOKIE};

static const uint32_t *results_of(const struct metrics *m, size_t *count)
{
	*count = m->accept_results ? TT_ARRAY_SIZE(accept_results) : TT_ARRAY_SIZE(connect_results);
	return m->accept_results ? accept_results : connect_results;
}

/* Every result x family (those labelled) from the start, at 0: the series a user knows exist. */
static int seed(struct metrics *m)
{
	const unsigned seeded = TT_METRICS_LABEL_RESULT | TT_METRICS_LABEL_FAMILY;
	if (m->labels & ~seeded)
		return 0;
	size_t result_count;
	const uint32_t *results = results_of(m, &result_count);
	static const uint16_t families[] = {AF_INET, AF_INET6};
	if (!(m->labels & TT_METRICS_LABEL_RESULT))
		result_count = 1;
	size_t family_count = m->labels & TT_METRICS_LABEL_FAMILY ? 2 : 1;
	for (size_t r = 0; r < result_count; r++)
		for (size_t f = 0; f < family_count; f++) {
			struct tt_metrics_key key = {0};
			if (m->labels & TT_METRICS_LABEL_RESULT)
				key.result = results[r];
			if (m->labels & TT_METRICS_LABEL_FAMILY)
				key.family = families[f];
			if (!admit(&m->series, &key))
				return -1;
		}
	return 0;
}

static bool in_prefix(const unsigned char *addr, const unsigned char *prefix, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(addr, prefix, whole) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return rest == 0 || ((addr[whole] ^ prefix[whole]) & mask) == 0;
}

/* The number (from 1) of the first CIDR holding the peer; count + 1 for none. */
static uint32_t cidr_of(const struct metrics *m, const struct tt_metrics_key *key)
{
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	for (size_t i = 0; i < m->cidr_count; i++) {
		const struct cidr *c = &m->cidrs[i];
		const unsigned char *addr = key->peer;
		if (c->family == AF_INET && key->family == AF_INET6 &&
		    memcmp(key->peer, v4_mapped, sizeof(v4_mapped)) == 0)
			addr = key->peer + 12; /* an IPv4 peer of an IPv6 socket */
		else if (c->family != key->family)
			continue;
		if (in_prefix(addr, c->addr, c->bits))
			return (uint32_t)i + 1;
	}
	return (uint32_t)m->cidr_count + 1;
}

/* The number of a query name (key.query), or NOT_YET_NAMED. */
static uint32_t query_number(const struct query_names *q, const char *name)
{
	for (size_t i = 0; i < q->count; i++)
		if (strcmp(q->names[i], name) == 0)
			return (uint32_t)i + 1;
	return NOT_YET_NAMED;
}

/* Numbers a name about to be shown; 0 when out of memory. */
static uint32_t number_query(struct query_names *q, const char *name)
{
	if (q->count == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		char **more = realloc(q->names, cap * sizeof(*more));
		if (!more)
			return 0;
		q->names = more;
		q->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return 0;
	q->names[q->count++] = copy;
	return (uint32_t)q->count;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The label set a kernel key is shown under: peer_cidr and query made of its
 * peer, the peer itself dropped where it is not a label. name: the peer's
 * DNS name with the query label, "" for none.
 */
static struct tt_metrics_key shown_key(struct metrics *m, const struct tt_metrics_key *counted,
                                       char name[TT_DNS_NAME_MAX + 1])
{
	struct tt_metrics_key shown = *counted;
	const unsigned of_peer = TT_METRICS_LABEL_PEER_CIDR | TT_METRICS_LABEL_QUERY;
	if (!(m->labels & of_peer) || counted->flags & TT_METRICS_KEY_OTHER)
		return shown;
	if (m->labels & TT_METRICS_LABEL_PEER_CIDR)
		shown.cidr = cidr_of(m, counted);
	if (m->labels & TT_METRICS_LABEL_QUERY) {
		name[0] = '\0';
		if (m->dns_names)
			tt_dns_names_copy(m->dns_names, counted->family, counted->peer, now_ns(),
			                  name);
		shown.query = name[0] ? query_number(&m->query_names, name) : 0;
	}
	if (!(m->labels & TT_METRICS_LABEL_PEER)) {
		memset(shown.peer, 0, sizeof(shown.peer));
		if (!(m->labels & TT_METRICS_LABEL_FAMILY))
			shown.family = 0;
	}
	return shown;
}

/*
 * tcpaccept -o, with the result label and others the start could not seed
 * (port): once a label set is shown, its series of every other result too,
 * at 0, as far as the cap allows; so a result's first count is a rise
 * Prometheus sees (rate(), increase()), not a series that appears at 1.
 */
static int admit_other_results(struct metrics *m, const struct tt_metrics_key *shown)
{
	struct series_table *t = &m->series;
	if (!m->accept_results || !(m->labels & TT_METRICS_LABEL_RESULT))
		return 0;
	size_t count;
	const uint32_t *results = results_of(m, &count);
	struct series probe = {.key = *shown};
	for (size_t i = 0; i < count && t->count < m->max_series; i++) {
		probe.key.result = results[i];
		if (!bsearch(&probe, t->items, t->count, sizeof(*t->items), key_order) &&
		    !admit(t, &probe.key))
			return -1;
	}
	return 0;
}

/*
 * Counts of one kernel key into the series it is shown under, or ~other
 * past the cap. seen: with the query label, the kernel key's own record.
 */
static int fold(struct metrics *m, const struct tt_metrics_key *counted,
                const struct tt_metrics_value *value, struct series *seen)
{
	struct series_table *t = &m->series;
	char name[TT_DNS_NAME_MAX + 1] = "";
	struct series probe = {.key = shown_key(m, counted, name)};
	bool other = probe.key.flags & TT_METRICS_KEY_OTHER;
	/* Not bsearch on no items: their pointer is NULL then. */
	struct series *found = other || t->count == 0 ? NULL
	                                              : bsearch(&probe, t->items, t->count,
	                                                        sizeof(*t->items), key_order);
	bool admitted = false;
	if (!found && !other && t->count < m->max_series) {
		if (probe.key.query == NOT_YET_NAMED &&
		    !(probe.key.query = number_query(&m->query_names, name)))
			return -1;
		found = admit(t, &probe.key);
		if (!found)
			return -1;
		admitted = true;
	}
	if (found) {
		add_value(&found->value, value);
		return admitted ? admit_other_results(m, &probe.key) : 0;
	}
	add_value(&t->other, value);
	t->other_seen = true;
	if (!other && (!seen || !seen->folded))
		t->other_sets++;
	if (seen)
		seen->folded = true;
	return 0;
}

static void add_difference(struct tt_metrics_value *to, const struct tt_metrics_value *now,
                           const struct tt_metrics_value *was)
{
	to->count += now->count - was->count;
	to->sum_ns += now->sum_ns - was->sum_ns;
	for (size_t i = 0; i < TT_METRICS_BUCKET_COUNT; i++)
		to->buckets[i] += now->buckets[i] - was->buckets[i];
}

/*
 * With the query label: what a kernel key counted since its last reading
 * is held in its record (m->seen), and shown under its peer's name once
 * NAMING_DELAY_NS old, or at once with flush (the run's end).
 */
static int read_named(struct metrics *m, const struct tt_metrics_key *key,
                      const struct tt_metrics_value *value, uint64_t now, bool flush)
{
	static const struct tt_metrics_value none;
	struct series probe = {.key = *key};
	struct series *seen = m->seen.count ? bsearch(&probe, m->seen.items, m->seen.count,
	                                              sizeof(*m->seen.items), key_order)
	                                    : NULL;
	if (!seen && !(seen = admit(&m->seen, key)))
		return -1;
	if (memcmp(value, &seen->value, sizeof(*value)) != 0) {
		if (memcmp(&seen->held, &none, sizeof(none)) == 0)
			seen->held_since_ns = now;
		add_difference(&seen->held, value, &seen->value);
		seen->value = *value;
	}
	if (memcmp(&seen->held, &none, sizeof(none)) == 0 ||
	    (!flush && now - seen->held_since_ns < NAMING_DELAY_NS))
		return 0;
	int rc = fold(m, key, &seen->held, seen);
	memset(&seen->held, 0, sizeof(seen->held));
	return rc;
}

/*
 * Reads the kernel's table into the series. The kernel's counts are the
 * truth: without the query label each reading starts from zero; with it,
 * what a kernel key counted since goes where its peer's name is then
 * (read_named), so a series only grows and the sum of all is the kernel's.
 */
static int read_table(struct metrics *m, bool flush)
{
	struct series_table *t = &m->series;
	bool named = m->labels & TT_METRICS_LABEL_QUERY;
	if (!named) {
		for (size_t i = 0; i < t->count; i++)
			memset(&t->items[i].value, 0, sizeof(t->items[i].value));
		memset(&t->other, 0, sizeof(t->other));
		t->other_sets = 0;
	}
	uint64_t now = now_ns();
	struct tt_metrics_key key, next;
	struct tt_metrics_value value;
	void *prev = NULL;
	while (bpf_get_next_key(m->table_fd, prev, &next) == 0) {
		if (bpf_lookup_elem(m->table_fd, &next, &value) == 0 &&
		    (named ? read_named(m, &next, &value, now, flush)
		           : fold(m, &next, &value, NULL)) != 0)
			return -1;
		key = next;
		prev = &key;
	}
	return 0;
}

/* Events lost: every loss counter the tracer names (a full buffer, a full pending table). */
static uint64_t lost_events(const struct metrics *m)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < m->loss_fd_count; i++)
		total += tt_percpu_counter_sum(m->loss_fds[i], m->cpus);
	return total;
}

/* ----------------------------------------------------------------- the exposition */

/* A series' label values, as text, in label_names' order. */
struct label_text {
	struct tt_expo_label labels[LABEL_COUNT];
	size_t count;
	char result[TT_RESULT_NAME_LEN], port[16], peer[TT_ADDR_STRLEN], cgroup[CGROUP_LABEL_MAX];
};

static void put(struct label_text *l, unsigned bit, const char *value, size_t len)
{
	for (size_t i = 0; i < LABEL_COUNT; i++)
		if (bit == 1u << i)
			l->labels[l->count++] = (struct tt_expo_label){label_names[i], value, len};
}

static void label_text_of(struct metrics *m, const struct tt_metrics_key *key, bool other,
                          struct label_text *l)
{
	l->count = 0;
	for (unsigned i = 0; i < LABEL_COUNT; i++) {
		unsigned bit = 1u << i;
		if (!(m->labels & bit))
			continue;
		if (other) {
			put(l, bit, OTHER, sizeof(OTHER));
			continue;
		}
		switch (bit) {
		case TT_METRICS_LABEL_RESULT:
			put(l, bit, tt_outcome_result_name(key->result, l->result),
			    sizeof(l->result));
			break;
		case TT_METRICS_LABEL_FAMILY:
			put(l, bit, key->family == AF_INET6 ? "ipv6" : "ipv4", 5);
			break;
		case TT_METRICS_LABEL_PORT:
			if (key->flags & TT_METRICS_KEY_EPHEMERAL)
				snprintf(l->port, sizeof(l->port), "ephemeral");
			else
				snprintf(l->port, sizeof(l->port), "%u", key->port);
			put(l, bit, l->port, sizeof(l->port));
			break;
		case TT_METRICS_LABEL_COMM:
			put(l, bit, key->comm, sizeof(key->comm));
			break;
		case TT_METRICS_LABEL_CGROUP: {
			const char *path = m->cgroup_paths ? tt_cgroup_paths_lookup(m->cgroup_paths,
			                                                            key->cgroup_id)
			                                   : NULL;
			if (path)
				snprintf(l->cgroup, sizeof(l->cgroup), "%s", path);
			else
				snprintf(l->cgroup, sizeof(l->cgroup), "id:%llu",
				         (unsigned long long)key->cgroup_id);
			put(l, bit, l->cgroup, sizeof(l->cgroup));
			break;
		}
		case TT_METRICS_LABEL_PEER_CIDR: {
			const char *text = key->cidr >= 1 && key->cidr <= m->cidr_count
			                       ? m->cidrs[key->cidr - 1].text
			                       : NO_CIDR;
			put(l, bit, text, strlen(text));
			break;
		}
		case TT_METRICS_LABEL_QUERY: {
			const char *name = key->query >= 1 && key->query <= m->query_names.count
			                       ? m->query_names.names[key->query - 1]
			                       : ""; /* no name known for the peer */
			put(l, bit, name, strlen(name));
			break;
		}
		case TT_METRICS_LABEL_PEER:
			tt_format_addr(key->family == AF_INET6 ? AF_INET6 : AF_INET, key->peer,
			               l->peer);
			put(l, bit, l->peer, sizeof(l->peer));
			break;
		default:
			break;
		}
	}
}

/* The series, then ~other when anything was folded, as (labels, value) to emit. */
typedef void (*series_fn)(struct strbuf *out, const struct label_text *labels,
                          const struct tt_metrics_value *value);

static void each_series(struct metrics *m, struct strbuf *out, series_fn emit)
{
	struct label_text l;
	for (size_t i = 0; i < m->series.count; i++) {
		label_text_of(m, &m->series.items[i].key, false, &l);
		emit(out, &l, &m->series.items[i].value);
	}
	if (m->series.other_seen) {
		label_text_of(m, NULL, true, &l);
		emit(out, &l, &m->series.other);
	}
}

static void emit_connects(struct strbuf *out, const struct label_text *l,
                          const struct tt_metrics_value *v)
{
	char n[TT_EXPO_NUMBER_LEN];
	tt_expo_sample(out, "tcptools_connects", "_total", l->labels, l->count, NULL,
	               tt_expo_u64(v->count, n));
}

static void emit_accepts(struct strbuf *out, const struct label_text *l,
                         const struct tt_metrics_value *v)
{
	char n[TT_EXPO_NUMBER_LEN];
	tt_expo_sample(out, "tcptools_accepts", "_total", l->labels, l->count, NULL,
	               tt_expo_u64(v->count, n));
}

static void emit_histogram(struct strbuf *out, const struct label_text *l,
                           const struct tt_metrics_value *v)
{
	static const char *const edges[] = {
#define TT_METRICS_LE(ns, le) le,
	    TT_METRICS_EDGES(TT_METRICS_LE)
#undef TT_METRICS_LE
	};
	const char *name = "tcptools_connect_duration_seconds";
	char n[TT_EXPO_NUMBER_LEN];
	uint64_t cumulative = 0;
	for (size_t i = 0; i < TT_METRICS_EDGE_COUNT; i++) {
		cumulative += v->buckets[i];
		tt_expo_sample(out, name, "_bucket", l->labels, l->count, edges[i],
		               tt_expo_u64(cumulative, n));
	}
	/*
	 * +Inf and the count from the buckets themselves, not the kernel's count:
	 * a copy read while an event is being counted may hold its bucket but
	 * not yet its count, and a histogram must never decrease along le.
	 */
	cumulative += v->buckets[TT_METRICS_EDGE_COUNT];
	tt_expo_sample(out, name, "_bucket", l->labels, l->count, "+Inf",
	               tt_expo_u64(cumulative, n));
	tt_expo_sample(out, name, "_sum", l->labels, l->count, NULL, tt_expo_seconds(v->sum_ns, n));
	tt_expo_sample(out, name, "_count", l->labels, l->count, NULL, tt_expo_u64(cumulative, n));
}

static int by_family_and_port(const void *a, const void *b)
{
	const struct tt_listener *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

/*
 * tcpaccept -o: the drops the kernel counted on each listening port's
 * listeners (sock_diag's SK_MEMINFO_DROPS, ss -tlm's d), read at each
 * scrape and summed per family and port, at most --metrics-max-series of
 * them, the rest in ~other. A listener's count is its whole life's: when
 * one closes, its port's counter goes down, which Prometheus takes for a
 * reset. No samples when the listeners cannot be read.
 */
static void emit_listen_drops(const struct metrics *m, enum tt_expo_format format,
                              struct strbuf *out)
{
	const char *name = "tcptools_listen_drops";
	tt_expo_family(out, format, name, "counter",
	               "SYNs and final ACKs dropped by the listeners of a port, their accept or "
	               "SYN queue full (sock_diag).");
	struct tt_listeners now = {0};
	if (tt_listeners_read(&now) != 0) {
		tt_listeners_free(&now);
		return;
	}
	if (now.count > 1)
		qsort(now.items, now.count, sizeof(*now.items), by_family_and_port);
	char n[TT_EXPO_NUMBER_LEN], port[8];
	uint64_t other = 0;
	bool other_seen = false;
	size_t shown = 0;
	for (size_t i = 0; i < now.count;) {
		const struct tt_listener *first = &now.items[i];
		uint64_t drops = 0;
		for (; i < now.count && by_family_and_port(first, &now.items[i]) == 0; i++)
			drops += now.items[i].drops;
		if (shown == m->max_series) {
			other += drops;
			other_seen = true;
			continue;
		}
		shown++;
		snprintf(port, sizeof(port), "%u", first->port);
		const struct tt_expo_label labels[] = {
		    {"family", first->family == AF_INET6 ? "ipv6" : "ipv4", 4},
		    {"port", port, sizeof(port)},
		};
		tt_expo_sample(out, name, "_total", labels, 2, NULL, tt_expo_u64(drops, n));
	}
	if (other_seen) {
		const struct tt_expo_label labels[] = {{"family", OTHER, sizeof(OTHER)},
		                                       {"port", OTHER, sizeof(OTHER)}};
		tt_expo_sample(out, name, "_total", labels, 2, NULL, tt_expo_u64(other, n));
	}
	tt_listeners_free(&now);
}

static int render(void *ctx, enum tt_expo_format format, struct strbuf *out)
{
	struct metrics *m = ctx;
	char n[TT_EXPO_NUMBER_LEN];
	pthread_mutex_lock(&m->lock);
	int rc = read_table(m, m->stopped);
	if (rc == 0 && m->connects) {
		tt_expo_family(
		    out, format, "tcptools_connects", "counter",
		    "TCP connection attempts by outcome (tcpconnect -o's RESULT words).");
		each_series(m, out, emit_connects);
		tt_expo_family(out, format, "tcptools_connect_duration_seconds", "histogram",
		               "Time from the first SYN to the outcome of a connection attempt.");
		each_series(m, out, emit_histogram);
	} else if (rc == 0) {
		tt_expo_family(
		    out, format, "tcptools_accepts", "counter",
		    m->labels & TT_METRICS_LABEL_RESULT
			? "TCP connections to a listener by outcome (tcpaccept -o's RESULT "
			  "words; port: the listening port)."
			: "TCP connections accepted (port: the listening port).");
		each_series(m, out, emit_accepts);
	}
	size_t folded = m->series.other_sets;
	pthread_mutex_unlock(&m->lock);
	if (rc != 0)
		return -1;
	if (m->accept_results)
		emit_listen_drops(m, format, out);
	tt_expo_family(out, format, "tcptools_metrics_folded_series", "gauge",
	               "Label sets beyond --metrics-max-series, counted in the ~other series.");
	tt_expo_sample(out, "tcptools_metrics_folded_series", "", NULL, 0, NULL,
	               tt_expo_u64(folded, n));
	tt_expo_family(out, format, "tcptools_lost_events", "counter",
	               "Events lost: buffers full, or attempts the pending table had no room for.");
	tt_expo_sample(out, "tcptools_lost_events", "_total", NULL, 0, NULL,
	               tt_expo_u64(lost_events(m), n));
	tt_expo_family(out, format, "tcptools_build_info", "gauge",
	               "The tool's version and BPF backend; always 1.");
	const struct tt_expo_label info[] = {
	    {"version", TT_VERSION, sizeof(TT_VERSION)},
	    {"backend", tt_backend_names[m->backend], strlen(tt_backend_names[m->backend])},
	};
	tt_expo_sample(out, "tcptools_build_info", "", info, 2, NULL, "1");
	tt_expo_end(out, format);
	return out->failed ? -1 : 0;
}

/* ------------------------------------------------------------------ --metrics-file */

/* The text into a temporary file beside the path, then renamed over it: readers see all or none. */
static int write_file(struct metrics *m)
{
	struct strbuf text;
	strbuf_init(&text);
	char tmp[4096];
	const char *slash = strrchr(m->file, '/');
	int dir_len = slash ? (int)(slash - m->file + 1) : 0;
	/* Hidden and not *.prom: node_exporter's textfile collector skips it. */
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.%d.tmp", dir_len, m->file, m->file + dir_len,
	             (int)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (render(m, TT_EXPO_TEXT, &text) != 0) {
		strbuf_free(&text);
		errno = ENOMEM;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int rc = fd < 0 ? -1 : 0;
	for (size_t done = 0; rc == 0 && done < text.len;) {
		ssize_t n = write(fd, text.data + done, text.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
		else
			done += (size_t)n;
	}
	int saved = errno;
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -1, saved = errno;
	if (rc == 0 && rename(tmp, m->file) != 0)
		rc = -1, saved = errno;
	if (rc != 0 && fd >= 0)
		unlink(tmp);
	strbuf_free(&text);
	errno = saved;
	return rc;
}

static void add_seconds(struct timespec *t, unsigned seconds)
{
	t->tv_sec += seconds;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * The thread that rewrites --metrics-file every --metrics-interval and, with
 * the query label, reads the table every NAMING_INTERVAL_S: each count is
 * then named by what its peer was called within about a second of it, not
 * at the next scrape, which may come after the name expired.
 */
static void *writer_main(void *arg)
{
	struct metrics *m = arg;
	bool naming = m->labels & TT_METRICS_LABEL_QUERY;
	struct timespec next_write;
	clock_gettime(CLOCK_MONOTONIC, &next_write);
	add_seconds(&next_write, m->interval);
	pthread_mutex_lock(&m->lock);
	while (!m->writer_stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		add_seconds(&until, NAMING_INTERVAL_S);
		if (!naming || (m->file && before(&next_write, &until)))
			until = next_write;
		while (!m->writer_stop &&
		       pthread_cond_timedwait(&m->writer_wake, &m->lock, &until) != ETIMEDOUT)
			;
		if (m->writer_stop)
			break;
		if (naming && read_table(m, false) != 0 && !m->writer_failing)
			tt_warn("--metrics: out of memory");
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!m->file || before(&now, &next_write))
			continue;
		next_write = now;
		add_seconds(&next_write, m->interval);
		pthread_mutex_unlock(&m->lock);
		int rc = write_file(m);
		int saved = errno;
		pthread_mutex_lock(&m->lock);
		if (rc != 0 && !m->writer_failing)
			tt_warn("--metrics-file %s: %s", m->file, strerror(saved));
		m->writer_failing = rc != 0;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* ------------------------------------------------------------------------- the run */

/* The table the text declared, with the layout this build was compiled with. */
static int open_table(struct metrics *m, struct tt_tracer *tracer)
{
	m->table_fd = tt_tracer_table_fd(tracer, TT_TABLE(tt_metrics));
	struct bpf_map_info info;
	memset(&info, 0, sizeof(info));
	uint32_t len = sizeof(info);
	if (m->table_fd < 0 || bpf_obj_get_info_by_fd(m->table_fd, &info, &len) != 0 ||
	    info.key_size != sizeof(struct tt_metrics_key) ||
	    info.value_size != sizeof(struct tt_metrics_value)) {
		tt_error("--metrics: the program's %s table is not this build's",
		         TT_TABLE(tt_metrics));
		return -1;
	}
	return 0;
}

static int metrics_after_load(void *state, struct tt_tracer *tracer)
{
	struct metrics *m = state;
	if (!m->serve && !m->file)
		return 0;
	if (open_table(m, tracer) != 0)
		return -1;
	m->loss_fd_count =
	    (unsigned)tt_tracer_loss_fds(tracer, m->loss_fds, TT_ARRAY_SIZE(m->loss_fds));
	m->cpus = tt_possible_cpus();
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&m->lock, NULL) != 0 ||
	    pthread_cond_init(&m->writer_wake, &attr) != 0) {
		tt_error("--metrics: cannot make a lock");
		return -1;
	}
	m->lock_ready = true;
	if (seed(m) != 0) {
		tt_error("out of memory");
		return -1;
	}
	/* Once now: a path that cannot be written is an error before tracing begins. */
	if (m->file && write_file(m) != 0) {
		tt_error("--metrics-file %s: %s", m->file, strerror(errno));
		return -1;
	}
	if (m->file || (m->labels & TT_METRICS_LABEL_QUERY)) {
		sigset_t all, saved;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &saved);
		int rc = pthread_create(&m->writer, NULL, writer_main, m);
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
		if (rc != 0) {
			tt_error("--metrics: cannot start its thread");
			return -1;
		}
		m->writer_running = true;
	}
	if (m->serve) {
		m->http = tt_metrics_http_start((const struct sockaddr *)&m->addr, m->addr_len,
		                                render, m);
		if (!m->http)
			return -1;
		tt_info("serving http://%s/metrics", m->addr_text);
	}
	return 0;
}

/* Stops serving and writing; the file gets the final counts. */
static void stop(struct metrics *m, bool final_write)
{
	tt_metrics_http_stop(m->http);
	m->http = NULL;
	if (m->writer_running) {
		pthread_mutex_lock(&m->lock);
		m->writer_stop = true;
		pthread_cond_signal(&m->writer_wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->writer, NULL);
		m->writer_running = false;
		m->stopped = true;
		if (final_write && m->file && write_file(m) != 0)
			tt_warn("--metrics-file %s: %s", m->file, strerror(errno));
	}
}

static int metrics_after_run(void *state, struct tt_tracer *tracer, struct tt_output *out,
                             const struct tt_columns *columns)
{
	(void)tracer;
	(void)out;
	(void)columns;
	stop(state, true);
	return 0;
}

static void metrics_close(void *state)
{
	struct metrics *m = state;
	stop(m, false);
	if (m->lock_ready) {
		pthread_mutex_destroy(&m->lock);
		pthread_cond_destroy(&m->writer_wake);
	}
	free(m->series.items);
	free(m->seen.items);
	for (size_t i = 0; i < m->query_names.count; i++)
		free(m->query_names.names[i]);
	free(m->query_names.names);
	tt_cgroup_paths_close(m->cgroup_paths);
}

static const struct tt_option metrics_options[] = {
    {TT_OPT_METRICS, "metrics", "ADDR:PORT", "serve Prometheus metrics at http://ADDR:PORT/metrics",
     TT_HELP_MODES},
    {TT_OPT_METRICS_FILE, "metrics-file", "PATH",
     "write them to PATH (atomically) for node_exporter's textfile collector", TT_HELP_MODES},
    {TT_OPT_METRICS_INTERVAL, "metrics-interval", "SECONDS",
     "rewrite --metrics-file this often (default 15)", TT_HELP_MODES},
    {TT_OPT_METRICS_LABELS, "metrics-labels", "LIST",
     "of result, family, port, comm, cgroup, peer, peer_cidr, query (default "
     "result,family; tcpaccept family,port, with -o family,port,result)",
     TT_HELP_MODES},
    {TT_OPT_METRICS_MAX_SERIES, "metrics-max-series", "N",
     "series per metric at most, the rest counted as ~other (default 1000)", TT_HELP_MODES},
    {TT_OPT_METRICS_CIDRS, "metrics-cidrs", "CIDR[,CIDR...]",
     "with the peer_cidr label: the peer's first CIDR of these, else \"other\"", TT_HELP_MODES},
    {TT_OPT_METRICS_EPHEMERAL, "metrics-ephemeral-ports", "LO-HI",
     "ports shown as port=\"ephemeral\" (default ip_local_port_range; none)", TT_HELP_MODES},
    {'q', "quiet", NULL, "with --metrics or --metrics-file: no line per event", TT_HELP_MODES},
};

const struct tt_module tt_metrics_module = {
    .options = metrics_options,
    .option_count = TT_ARRAY_SIZE(metrics_options),
    .state_size = sizeof(struct metrics),
    .option = metrics_option,
    .needs = metrics_needs,
    .plan = metrics_plan,
    .after_load = metrics_after_load,
    .after_run = metrics_after_run,
    .close = metrics_close,
};
