/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main() of a tracing tool, from a description: its options, its programs,
 * the kernel types they read, and its printer. A new tool of this kind is its
 * BPF text, its event printer and one of these.
 */
#ifndef TT_TOOL_MAIN_H
#define TT_TOOL_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "filters.h"
#include "output.h"
#include "strbuf.h"
#include "tracer.h"

/*
 * Entries for a tool's option table, handled by common code: the filters on
 * the process (-p -u --cgroup --cgroupmap --mntnsmap), the address family
 * (-4 -6), and the output (-t -U -j). -P's meaning is the tool's to word.
 */
// clang-format off
#define TT_TIMESTAMP_OPTION \
	{'t', "timestamp", NULL, "TIME(s): seconds since tracing started, instead of TIME"}
#define TT_PID_OPTION {'p', "pid", "PID", "trace this process only"}
#define TT_FAMILY_OPTIONS \
	{'4', "ipv4", NULL, "trace IPv4 only"}, {'6', "ipv6", NULL, "trace IPv6 only"}
#define TT_UID_OPTIONS \
	{'U', "print-uid", NULL, "add a UID column"}, {'u', "uid", "UID", "trace this user only"}
#define TT_CONTAINER_OPTIONS \
	{TT_OPT_CGROUP, "cgroup", "DIR", "trace processes in this cgroup v2 directory (and below)"}, \
	{TT_OPT_CGROUPMAP, "cgroupmap", "PATH", "trace cgroups in this pinned BPF map (BCC's)"}, \
	{TT_OPT_MNTNSMAP, "mntnsmap", "PATH", "trace mount namespaces in this pinned BPF map (BCC's)"}
#define TT_JSON_OPTION {'j', "json", NULL, "one JSON object per line, no header"}
// clang-format on

struct tt_tool {
	const char *about;    /* one line for --help */
	const char *examples; /* lines for the end of --help */
	/*
	 * The tool's options. Filters (-p -u -4 -6 -P --cgroup --cgroupmap
	 * --mntnsmap) and output options (-t -U -j) listed here are handled by
	 * common code; anything else goes to handle_option.
	 */
	const struct tt_option *options;
	size_t option_count;
	/* Optional: the tool's own options; 0, -1 after an error, 1 if unknown. */
	int (*handle_option)(int key, const char *arg);
	const struct tt_program *kprobe;
	const struct tt_program *tracepoint;
	const struct tt_kernel_types_spec *kernel_types;
	size_t event_size; /* smaller samples are ignored */
	void (*print_header)(struct tt_output *out);
	void (*print_event)(struct tt_output *out, const void *event);
	/*
	 * Optional counting mode: when counting() is true, the BPF text gets
	 * TT_COUNT and counts in its "counts" map instead of streaming events,
	 * and print_counts prints that map once tracing stops.
	 */
	bool (*counting)(void);
	void (*print_counts)(struct tt_output *out, int counts_fd);
};

/* Parses the command line and traces until a signal; returns the exit status. */
int tt_tool_main(const struct tt_tool *tool, int argc, char **argv);

#endif
