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

static __always_inline void tt_read_sock_tuple(struct sock *sk, struct tt_sock_tuple *t)
{
	u16 remote_port = 0;
	TT_READ(t->family, sk->__sk_common.skc_family);
	TT_READ(t->local_port, sk->__sk_common.skc_num);
	TT_READ(remote_port, sk->__sk_common.skc_dport);
	t->remote_port = tt_ntohs(remote_port);
	if (t->family == TT_AF_INET) {
		bpf_probe_read_kernel(t->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_probe_read_kernel(t->remote_addr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_probe_read_kernel(t->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(t->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

#endif
