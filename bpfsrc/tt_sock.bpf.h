/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a TCP socket's addresses and ports from struct sock. */
#ifndef TT_SOCK_BPF_H
#define TT_SOCK_BPF_H

#include "tt_event.h"
#include "tt_helpers.bpf.h"

#define TT_SKC_OFFSET(m) TT_OFFSET_OF(struct sock_common, m)
#define TT_SKC_END(m)    TT_END_OF(struct sock_common, m)

static __always_inline void tt_read_sock_flow(struct sock *sk, struct tt_flow *f)
{
	/*
	 * The IPv4 addresses, the ports and the family sit within 20 bytes of
	 * each other (the v6 addresses within 32): one read each, not one per
	 * member. The span comes from the members' offsets, whatever their order.
	 */
	struct sock_common common = {};
	u32 start = TT_MIN(TT_MIN(TT_SKC_OFFSET(skc_daddr), TT_SKC_OFFSET(skc_rcv_saddr)),
	                   TT_MIN(TT_MIN(TT_SKC_OFFSET(skc_dport), TT_SKC_OFFSET(skc_num)),
	                          TT_SKC_OFFSET(skc_family)));
	u32 end = TT_MAX(
	    TT_MAX(TT_SKC_END(skc_daddr), TT_SKC_END(skc_rcv_saddr)),
	    TT_MAX(TT_MAX(TT_SKC_END(skc_dport), TT_SKC_END(skc_num)), TT_SKC_END(skc_family)));
	bpf_probe_read_kernel((char *)&common + start, end - start,
	                      (const char *)&sk->__sk_common + start);
	f->family = common.skc_family;
	f->lport = common.skc_num;
	f->rport = tt_ntohs(common.skc_dport);
	if (f->family == TT_AF_INET) {
		__builtin_memcpy(f->laddr, &common.skc_rcv_saddr, 4);
		__builtin_memcpy(f->raddr, &common.skc_daddr, 4);
	} else {
		TT_READ_SPAN(&common, &sk->__sk_common, struct sock_common, skc_v6_daddr,
		             skc_v6_rcv_saddr);
		__builtin_memcpy(f->laddr, &common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(f->raddr, &common.skc_v6_daddr, 16);
	}
}

#endif
