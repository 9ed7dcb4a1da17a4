/* SPDX-License-Identifier: Apache-2.0 */
/* What tcpconnect's texts have alike, for either backend: its event and where it goes. */
#ifndef TT_CONNECT_BPF_H
#define TT_CONNECT_BPF_H

#include "tt_event.bpf.h"
#include "tt_helpers.bpf.h"
#include "tt_sock.bpf.h"
#include "tcpconnect.h"
#ifdef TT_DNS
#include "tt_dns.bpf.h" /* -d: DNS answers, from a cgroup_skb program */
#endif
#include "tt_submit.bpf.h"

#endif
