/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line filters, parsed and checked here and turned into #define
 * lines for the BPF text (see bpfsrc/tt_helpers.bpf.h), so they run in the
 * kernel and a filter not given compiles to nothing; the values of -p, -u
 * and -P go into maps before attaching, so that they do not change the text
 * (nor the compile cache's entry). What a port means
 * (destination or local) is the tool's BPF text's business.
 */
#ifndef TT_FILTERS_H
#define TT_FILTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "module.h"
#include "parse.h"

/*
 * Keys of the container filter options, for the tools' option tables. -C and
 * -M are libbpf-tools' spellings of BCC's --cgroupmap and --mntnsmap.
 */
enum {
	TT_OPT_CGROUP = 300,
	TT_OPT_CGROUPMAP = 'C',
	TT_OPT_MNTNSMAP = 'M',
	TT_OPT_NETNS = 'N', /* BCC tcptracer's -N */
	TT_OPT_COMM = 380,
	TT_OPT_PEER = 381, /* in each tool's table: tcpconnect's --daddr, tcpaccept's --raddr */
};

struct tt_filters {
	uint32_t pid; /* 0: any */
	bool has_uid;
	uint32_t uid;
	int family; /* 0: any; AF_INET or AF_INET6 */
	struct tt_port_list ports;
	char comm[TT_COMM_LEN];    /* --comm: its first 15 bytes, NUL-padded; "": any */
	uint32_t netns;            /* --netns: a network namespace's inode number; 0: any */
	struct tt_cidr_list peers; /* --daddr/--raddr: prefixes of the peer's address */
	const char *cgroup_dir;    /* --cgroup: a cgroup v2 directory, descendants included */
	const char *cgroupmap;     /* --cgroupmap: pinned hash of cgroup ids (BCC's) */
	const char *mntnsmap;      /* --mntnsmap: pinned hash of mount namespace ids (BCC's) */
	int cgroup_fd;             /* --cgroup's directory, open from the plan on; else -1 */
};

/*
 * The filters as a module: -p, -u, --comm, -N, -4, -6, --cgroup, --cgroupmap
 * and --mntnsmap from its table, and -P and the peer's prefixes
 * (TT_OPT_PEER) from the tool's (whose port it is, and what the peer is
 * called, is the tool's business). Its state is a struct tt_filters.
 */
extern const struct tt_module tt_filters_module;

struct tt_peer_list; /* tt_filter.h */

/*
 * --daddr/--raddr with at most TT_PEER_INLINE_MAX prefixes: list as the BPF
 * text compares it (tt_filter.h), longest prefix first. -1 for more.
 */
int tt_peer_list_fill(const struct tt_cidr_list *peers, struct tt_peer_list *list);

/* Handles one filter option: 0, -1 after a one-line error, or 1 if key is not a filter. */
int tt_filters_option(struct tt_filters *filters, int key, const char *arg);

#endif
