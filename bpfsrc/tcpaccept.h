/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's event, shared by its BPF text and its user-space printer. */
#ifndef TCPACCEPT_H
#define TCPACCEPT_H

#include "tt_event.h"
#include "tt_outcome.h"

/* The listener was found: backlog and backlog_max hold its queue. */
#define TCPACCEPT_BACKLOG_KNOWN 1

struct tcpaccept_event {
	struct tt_event base; /* the accepting task when accept() returned; the new socket */
	__u32 backlog;     /* the listener's accept queue after this accept (-o: at the outcome) */
	__u32 backlog_max; /* the listener's maximum (listen()'s backlog, as capped) */
	__u16 flags;       /* TCPACCEPT_BACKLOG_KNOWN */
	__u16 reserved[3];
	struct tt_outcome outcome; /* with -o (bpfsrc/tt_accept_outcome.bpf.h) */
};

#endif
