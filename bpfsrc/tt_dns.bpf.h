/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -d's kernel side: a cgroup_skb ingress program, attached to the cgroup v2
 * root with a BPF link, that sees every packet delivered to a socket on this
 * host and copies UDP messages from port 53 (DNS answers, whoever asked:
 * glibc, Go, musl, dig) to the tt_dns_events table. Every other packet
 * leaves at the first check. It never changes a packet and always lets it
 * through (returns 1).
 */
#ifndef TT_DNS_BPF_H
#define TT_DNS_BPF_H

#include "tt_helpers.bpf.h"
#include "tt_dns.h"

#define TT_DNS_PORT        53
#define TT_IPPROTO_UDP     17
#define TT_ETH_P_IP        0x0800
#define TT_ETH_P_IPV6      0x86DD
#define TT_IPV6_HEADER_LEN 40
#define TT_UDP_HEADER_LEN  8
#define TT_DNS_HEADER_LEN  12

/* Messages the table had no room for (user space reports them). */
BPF_PERCPU_ARRAY(tt_dns_lost, u64, 1);
/* One message being copied, per CPU: too large for the BPF stack. */
BPF_PERCPU_ARRAY(tt_dns_scratch, struct tt_dns_event, 1);

/* The same kind of buffer as the tool's events (bpfsrc/tt_output.bpf.h). */
#ifdef TT_RING_BUFFER_PAGES
BPF_RINGBUF_OUTPUT(tt_dns_events, TT_RING_BUFFER_PAGES);
#else
BPF_PERF_OUTPUT(tt_dns_events);
#endif

static __always_inline int tt_dns_submit(struct __sk_buff *skb, struct tt_dns_event *event,
                                         u64 size)
{
#ifdef TT_RING_BUFFER_PAGES
	/* Answers are few: the ring's own wakeup policy is cheap enough. */
	return tt_dns_events.ringbuf_output(event, size, 0);
#else
	return tt_dns_events.perf_submit(skb, event, size);
#endif
}

/* The offset of the UDP header of a packet from port 53, or 0. */
static __always_inline u32 tt_dns_udp_offset(struct __sk_buff *skb)
{
	u8 ip[TT_IPV6_HEADER_LEN];
	u32 offset;
	if (skb->protocol == tt_ntohs(TT_ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 0, ip, 20) != 0 || ip[9] != TT_IPPROTO_UDP)
			return 0;
		offset = (ip[0] & 0x0f) * 4;
	} else if (skb->protocol == tt_ntohs(TT_ETH_P_IPV6)) {
		/* UDP right after the fixed header; extension headers are not followed. */
		if (bpf_skb_load_bytes(skb, 0, ip, TT_IPV6_HEADER_LEN) != 0 ||
		    ip[6] != TT_IPPROTO_UDP)
			return 0;
		offset = TT_IPV6_HEADER_LEN;
	} else {
		return 0;
	}
	u16 sport = 0;
	if (bpf_skb_load_bytes(skb, offset, &sport, sizeof(sport)) != 0 ||
	    sport != tt_ntohs(TT_DNS_PORT))
		return 0;
	return offset;
}

int tt_dns_ingress(struct __sk_buff *skb)
{
	u32 offset = tt_dns_udp_offset(skb);
	if (offset == 0)
		return 1;
	offset += TT_UDP_HEADER_LEN;
	if (skb->len < offset + TT_DNS_HEADER_LEN)
		return 1;
	int zero = 0;
	struct tt_dns_event *event = tt_dns_scratch.lookup(&zero);
	if (!event)
		return 1;
	u32 length = skb->len - offset;
	u64 captured = length < TT_DNS_PAYLOAD_MAX ? length : TT_DNS_PAYLOAD_MAX;
	/*
	 * The verifier wants the copy's bounds on the very register it is
	 * given: one check at a time, each after a barrier the compiler cannot
	 * see through, so that it neither fuses them into one range test on a
	 * scratch register (Linux 6.1's verifier cannot carry those bounds
	 * back) nor drops one as already known.
	 */
	asm volatile("" : "+r"(captured));
	if (captured < TT_DNS_HEADER_LEN)
		return 1;
	asm volatile("" : "+r"(captured));
	if (captured > TT_DNS_PAYLOAD_MAX)
		return 1;
	if (bpf_skb_load_bytes(skb, offset, event->payload, captured) != 0)
		return 1;
	event->ts_ns = bpf_ktime_get_ns();
	event->length = length;
	event->captured = captured;
	u64 size = TT_OFFSET_OF(struct tt_dns_event, payload) + captured;
	asm volatile("" : "+r"(size));
	if (size > sizeof(*event))
		return 1;
	if (tt_dns_submit(skb, event, size) != 0) {
		u64 *lost = tt_dns_lost.lookup(&zero);
		if (lost)
			(*lost)++;
	}
	return 1;
}

#endif
