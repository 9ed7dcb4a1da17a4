/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line filters turned into #define lines for the BPF text (see
 * bpfsrc/tt_helpers.bpf.h), so they run in the kernel and an unused filter
 * costs nothing.
 */
#ifndef TT_BPF_DEFINES_H
#define TT_BPF_DEFINES_H

#include <stdint.h>

#include "parse.h"
#include "strbuf.h"

void tt_define_target_pid(struct strbuf *defines, uint32_t pid);
/* TT_PORT_MATCH(port): true for the listed ports (host byte order). */
void tt_define_port_match(struct strbuf *defines, const struct tt_port_list *ports);

#endif
