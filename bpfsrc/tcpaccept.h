/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's event, shared by its BPF text and its user-space printer. */
#ifndef TCPACCEPT_H
#define TCPACCEPT_H

#define TT_COMM_LEN 16

/* The listener was found: backlog and backlog_max hold its queue. */
#define TCPACCEPT_BACKLOG_KNOWN 1

struct tcpaccept_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() when accept() returned */
	__u32 pid;
	__u32 uid;
	__u16 family;   /* AF_INET or AF_INET6 */
	__u16 lport;    /* host byte order */
	__u16 rport;    /* host byte order */
	__u16 flags;    /* TCPACCEPT_BACKLOG_KNOWN */
	__u8 laddr[16]; /* IPv4 uses the first 4 bytes */
	__u8 raddr[16];
	__u32 backlog;     /* the listener's accept queue after this accept */
	__u32 backlog_max; /* the listener's maximum (listen()'s backlog, as capped) */
	char comm[TT_COMM_LEN];
};

#endif
