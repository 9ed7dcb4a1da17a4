/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's event, shared by its BPF text and its user-space printer. */
#ifndef TCPCONNECT_H
#define TCPCONNECT_H

#include "tt_event.h"

struct tcpconnect_event {
	struct tt_event base; /* the connecting task when the attempt was made; its flow */
};

#endif
