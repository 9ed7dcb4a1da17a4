/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every name user space and the BPF text both spell, stated once: the
 * #defines user space puts before the text, the tables (maps) it opens by
 * name, and the programs modules attach by name (a tool's own programs are
 * listed in its tools/<tool>_tool.c). The BPF text spells them as C does
 * (`#ifdef TT_OUTCOME`, `BPF_HASH(counts, ...)`); user space spells them only
 * through TT_DEFINE(), TT_TABLE() and TT_PROGRAM(), which fail to compile on
 * a name missing here. tests/unit/test_contract.c fails when a name listed
 * here is missing from the embedded BPF texts, or when a text tests a
 * #define that is not listed (common/DESIGN.md, "The contract").
 *
 * Shared layouts live in the headers both sides include (tt_event.h,
 * tt_outcome.h, tt_filter.h, tt_pending.h, tt_dns.h, tt_metrics.h,
 * tt_count.h, tt_hist.h), checked by the same test where user space reads
 * them by hand.
 */
#ifndef TT_CONTRACT_H
#define TT_CONTRACT_H

/* #defines put before the text: switches ("1") and values. */
#define TT_CONTRACT_DEFINES(X)                                                                     \
	X(TT_PID_FILTER)           /* filters.c: -p, tt_task_filter's pid */                       \
	X(TT_UID_FILTER)           /* filters.c: -u, tt_task_filter's uid */                       \
	X(TT_TARGET_FAMILY)        /* filters.c: -4 or -6, the family's value */                   \
	X(TT_PORT_FILTER)          /* filters.c: -P, tt_port_bits */                               \
	X(TT_COMM_FILTER)          /* filters.c: --comm, tt_task_filter's comm */                  \
	X(TT_NETNS_FILTER)         /* filters.c: -N, tt_task_filter's netns */                     \
	X(TT_PEER_FILTER)          /* filters.c: --daddr/--raddr, tt_peer_trie */                  \
	X(TT_PEER_INLINE)          /* filters.c: with it, few prefixes: tt_peer_list instead */    \
	X(TT_CGROUP_FILTER)        /* filters.c: --cgroup, tt_cgroup */                            \
	X(TT_CGROUPMAP_PATH)       /* filters.c: --cgroupmap, the pinned map's path */             \
	X(TT_MNTNSMAP_PATH)        /* filters.c: --mntnsmap, the pinned map's path */              \
	X(TT_EVENT_CGROUP)         /* print_cgroup.c: -G, the head's cgroup id; metrics.c too */   \
	X(TT_EVENT_NETNS)          /* netns_column.c: --print-netns, the head's netns */           \
	X(TT_COUNT)                /* count.c: -c, counts instead of events */                     \
	X(TT_COUNT_CLIENT_PORT)    /* count.c: -s, the key keeps the client's port */              \
	X(TT_COUNT_LOCAL_LISTENS)  /* count.c: tcpaccept, the client's port is the remote one */   \
	X(TT_COUNT_INTERVAL)       /* count.c: -i, two tables counted in by turns */               \
	X(TT_OUTCOME)              /* outcome.c: -o */                                             \
	X(TT_HIST)                 /* hist.c: --hist, latency histograms instead of events */      \
	X(TT_HIST_INTERVAL)        /* hist.c: -i, two tables counted in by turns */                \
	X(TT_OUTCOME_FAILED)       /* outcome.c: --failed */                                       \
	X(TT_OUTCOME_PROBE)        /* outcome.c: -o on kprobes, tt_outcome_state_change */         \
	X(TT_DNS)                  /* dns.c: -d */                                                 \
	X(TT_METRICS)              /* metrics.c: --metrics, counted by labels (tt_metrics.h) */    \
	X(TT_METRICS_LABELS)       /* metrics.c: the labels counted by, TT_METRICS_LABEL_* */      \
	X(TT_METRICS_PORT_MEMBER)  /* metrics.c: the flow's port the port label shows */           \
	X(TT_METRICS_EPHEMERAL_LO) /* metrics.c: ports from here... */                             \
	X(TT_METRICS_EPHEMERAL_HI) /* metrics.c: ...to here count as "ephemeral" */                \
	X(TT_METRICS_HISTOGRAM)    /* metrics.c: the latency histogram (tcpconnect) */             \
	X(TT_METRICS_QUIET)        /* metrics.c: -q, nothing streamed */                           \
	X(TT_METRICS_ACCEPTED)     /* metrics.c: tcpaccept -o, no result label: accepted */        \
	X(TT_SYSCALL_REGS)         /* accept_syscalls.c: exits read the call's registers */        \
	X(TT_ACCEPT_ENTER)         /* accept_syscalls.c: the enter tracepoints */                  \
	X(TT_URING_ACCEPT)         /* uring_accept.c */                                            \
	X(TT_URING_SUBMIT_REQ)     /* uring_accept.c: io_uring_submit_req's name */                \
	X(TT_BPF_ATOMICS)          /* load/program_text.c: BPF atomics available */                \
	X(TT_RING_BUFFER_PAGES)    /* buffers/event_buffers.c: a ring buffer, its pages */         \
	X(TT_PAGE_SIZE)            /* buffers/event_buffers.c: with it */                          \
	X(TT_WAKEUP_EVENTS)        /* buffers/event_buffers.c: with it */                          \
	X(TT_KERNEL_TYPES_BTF)     /* kernel/kernel_types.c: types from BTF */                     \
	X(TT_KERNEL_TYPES_HEADERS) /* kernel/kernel_types.c: the kernel's headers */

/* Tables user space opens by name. */
#define TT_CONTRACT_TABLES(X)                                                                      \
	X(events)              /* tt_output.bpf.h: the tool's events */                            \
	X(tt_lost)             /* tt_output.bpf.h: events the buffer had no room for */            \
	X(counts)              /* tt_submit.bpf.h: -c */                                           \
	X(counts_other)        /* tt_submit.bpf.h: -c -i, counted in by turns with counts */       \
	X(count_epoch)         /* tt_epoch.bpf.h: -c -i, --hist -i: which of the two (0: first) */ \
	X(tt_hist)             /* tt_hist.bpf.h: --hist (tt_hist.h) */                             \
	X(tt_hist_other)       /* tt_hist.bpf.h: --hist -i, counted in by turns with tt_hist */    \
	X(pending)             /* tt_pending.bpf.h: claimed slots (tt_pending.h) */                \
	X(attempts)            /* tt_pending.bpf.h: attempts without a slot */                     \
	X(tt_pending_overflow) /* tt_pending.bpf.h: -o, attempts refused by both */                \
	X(tt_listener_owners)  /* tt_accept_outcome.bpf.h: -o, who holds each listener */          \
	X(tt_task_filter)      /* tt_helpers.bpf.h: -p -u (tt_filter.h) */                         \
	X(tt_port_bits)        /* tt_helpers.bpf.h: -P */                                          \
	X(tt_peer_trie)        /* tt_helpers.bpf.h: --daddr/--raddr (tt_filter.h) */               \
	X(tt_peer_list)        /* tt_helpers.bpf.h: --daddr/--raddr, few prefixes (tt_filter.h) */ \
	X(tt_cgroup)           /* tt_helpers.bpf.h: --cgroup */                                    \
	X(tt_dns_events)       /* tt_dns.bpf.h: -d's answers */                                    \
	X(tt_dns_lost)         /* tt_dns.bpf.h: answers the buffer had no room for */              \
	X(tt_metrics)          /* tt_metrics.bpf.h: --metrics' counts (tt_metrics.h) */

/* Programs a module attaches by name (function names, as BCC makes them). */
#define TT_CONTRACT_PROGRAMS(X)                                                                    \
	X(tt_outcome_state_change)                   /* tt_outcome.bpf.h */                        \
	X(tt_accept_state_change)                    /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_reset)                           /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_destroy)                         /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_send_reset)                      /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_send_reset_kprobe)               /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_conn_request)                    /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_send_synack)                     /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_syn_recv_sock)                   /* tt_accept_outcome.bpf.h */                 \
	X(tt_accept_syn_recv_sock6)                  /* tt_accept_outcome.bpf.h */                 \
	X(tt_dns_ingress)                            /* tt_dns.bpf.h */                            \
	X(tracepoint__syscalls__sys_enter_accept)    /* tt_accept_syscall.bpf.h */                 \
	X(tracepoint__syscalls__sys_enter_accept4)   /* tt_accept_syscall.bpf.h */                 \
	X(tracepoint__io_uring__io_uring_submit_req) /* tt_uring_accept.bpf.h */                   \
	X(tracepoint__io_uring__io_uring_submit_sqe) /* tt_uring_accept.bpf.h */                   \
	X(tracepoint__io_uring__io_uring_complete)   /* tt_uring_accept.bpf.h */

#ifndef __BPF__ /* user space's spelling */
#include <stddef.h>

#define TT_CONTRACT_ENUM(name) tt_contract_##name,
enum tt_contract_name {
	TT_CONTRACT_DEFINES(TT_CONTRACT_ENUM) TT_CONTRACT_TABLES(TT_CONTRACT_ENUM)
	    TT_CONTRACT_PROGRAMS(TT_CONTRACT_ENUM)
};
#undef TT_CONTRACT_ENUM

/*
 * The name as a string, a constant (for static initializers); a name not
 * listed above does not compile.
 */
#define TT_CONTRACT_NAME(name) (&#name[(size_t)tt_contract_##name * 0])
#define TT_DEFINE(name)        TT_CONTRACT_NAME(name)
#define TT_TABLE(name)         TT_CONTRACT_NAME(name)
#define TT_PROGRAM(name)       TT_CONTRACT_NAME(name)
#endif

#endif
