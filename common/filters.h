/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line filters, parsed here and turned into #define lines for the BPF
 * text (see bpfsrc/tt_helpers.bpf.h), so they run in the kernel and a filter
 * not given compiles to nothing. What a port means (destination or local) is
 * the tool's BPF text's business.
 */
#ifndef TT_FILTERS_H
#define TT_FILTERS_H

#include <stdint.h>

#include "parse.h"
#include "strbuf.h"

struct tt_filters {
	uint32_t pid; /* 0: any */
	struct tt_port_list ports;
};

/* Handles -p PID and -P PORT[,PORT...]: 0, -1 after a one-line error, 1 if not a filter. */
int tt_filters_option(struct tt_filters *filters, int key, const char *arg);
/* Appends TT_TARGET_PID and TT_PORT_MATCH(port) as the filters ask. */
void tt_filters_defines(const struct tt_filters *filters, struct strbuf *defines);

#endif
