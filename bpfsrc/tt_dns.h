/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A DNS message seen arriving at a UDP socket from port 53, as the BPF side
 * of -d (bpfsrc/tt_dns.bpf.h) hands it to user space
 * (common/features/dns.c), which parses it.
 */
#ifndef TT_DNS_H
#define TT_DNS_H

/*
 * At most this much of a message is copied: the EDNS payload size resolvers
 * advertise by default (DNS flag day 2020), so that an answer a resolver
 * accepts over UDP fits whole. A longer one is ignored by user space.
 */
#define TT_DNS_PAYLOAD_MAX 1232

struct tt_dns_event {
	__u64 ts_ns;    /* bpf_ktime_get_ns() when the message arrived */
	__u32 length;   /* bytes of the message, as it arrived */
	__u32 captured; /* bytes of it in payload: min(length, TT_DNS_PAYLOAD_MAX) */
	__u8 payload[TT_DNS_PAYLOAD_MAX];
};

#endif
