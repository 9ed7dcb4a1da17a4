/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's event, shared by its BPF text and its user-space printer. */
#ifndef TCPCONNECT_H
#define TCPCONNECT_H

#define TT_COMM_LEN 16

struct tcpconnect_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() when the attempt was made */
	__u32 pid;
	__u32 uid;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 sport;  /* host byte order */
	__u16 dport;  /* host byte order */
	__u16 reserved;
	__u8 saddr[16]; /* IPv4 uses the first 4 bytes */
	__u8 daddr[16];
	char comm[TT_COMM_LEN];
};

/* A -c key: attempts are counted per source, destination and destination port. */
struct tcpconnect_flow {
	__u16 family;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

#endif
