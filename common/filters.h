/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line filters, parsed and checked here and turned into #define
 * lines for the BPF text (see bpfsrc/tt_helpers.bpf.h), so they run in the
 * kernel and a filter not given compiles to nothing. What a port means
 * (destination or local) is the tool's BPF text's business.
 */
#ifndef TT_FILTERS_H
#define TT_FILTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "btf_types.h"
#include "parse.h"
#include "strbuf.h"

/* Keys of the long-only filter options, for the tools' option tables. */
enum {
	TT_OPT_CGROUP = 300,
	TT_OPT_CGROUPMAP,
	TT_OPT_MNTNSMAP,
};

struct tt_filters {
	uint32_t pid; /* 0: any */
	bool has_uid;
	uint32_t uid;
	int family; /* 0: any; AF_INET or AF_INET6 */
	struct tt_port_list ports;
	const char *cgroup_dir; /* --cgroup: a cgroup v2 directory, descendants included */
	const char *cgroupmap;  /* --cgroupmap: pinned hash of cgroup ids (BCC's) */
	const char *mntnsmap;   /* --mntnsmap: pinned hash of mount namespace ids (BCC's) */
	int cgroup_fd;
};

/*
 * Handles -p, -u, -4, -6, -P, --cgroup, --cgroupmap and --mntnsmap: returns 0,
 * -1 after a one-line error, or 1 if key is not a filter.
 */
int tt_filters_option(struct tt_filters *filters, int key, const char *arg);
/* Checks what the filters name (directories, pinned maps) before anything loads. */
int tt_filters_check(struct tt_filters *filters);
void tt_filters_defines(const struct tt_filters *filters, struct strbuf *defines);
/* Kernel structures the filters' BPF code reads (the mount namespace's): count set. */
const struct tt_kernel_struct *tt_filters_kernel_structs(const struct tt_filters *filters,
                                                         size_t *count);
/* Fills the filters' BPF maps of a compiled program, before it is attached. */
int tt_filters_fill_maps(const struct tt_filters *filters, int cgroup_array_fd);
void tt_filters_close(struct tt_filters *filters);

#endif
