/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a TCP socket's addresses and ports from struct sock. */
#ifndef TT_SOCK_BPF_H
#define TT_SOCK_BPF_H

#include "tt_helpers.bpf.h"

struct tt_sock_tuple {
	u16 family;
	u16 local_port;  /* host byte order */
	u16 remote_port; /* host byte order */
	u8 local_addr[16];
	u8 remote_addr[16];
};

#define TT_SKC_OFFSET(m) TT_OFFSET_OF(struct sock_common, m)
#define TT_SKC_END(m)    TT_END_OF(struct sock_common, m)

static __always_inline void tt_read_sock_tuple(struct sock *sk, struct tt_sock_tuple *t)
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
	t->family = common.skc_family;
	t->local_port = common.skc_num;
	t->remote_port = tt_ntohs(common.skc_dport);
	if (t->family == TT_AF_INET) {
		__builtin_memcpy(t->local_addr, &common.skc_rcv_saddr, 4);
		__builtin_memcpy(t->remote_addr, &common.skc_daddr, 4);
	} else {
		TT_READ_SPAN(&common, &sk->__sk_common, struct sock_common, skc_v6_daddr,
		             skc_v6_rcv_saddr);
		__builtin_memcpy(t->local_addr, &common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(t->remote_addr, &common.skc_v6_daddr, 16);
	}
}

#endif
