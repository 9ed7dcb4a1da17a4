/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's event, shared by its BPF text and its user-space printer. */
#ifndef TCPCONNECT_H
#define TCPCONNECT_H

#include "tt_event.h"
#include "tt_outcome.h"

struct tcpconnect_event {
	struct tt_event base;      /* the connecting task when the attempt was made; its flow */
	struct tt_outcome outcome; /* with -o */
};

#endif
