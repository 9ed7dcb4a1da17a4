// SPDX-License-Identifier: Apache-2.0
#include "bpf_defines.h"

void tt_define_target_pid(struct strbuf *defines, uint32_t pid)
{
	if (pid)
		strbuf_appendf(defines, "#define TT_TARGET_PID %u\n", pid);
}

void tt_define_port_match(struct strbuf *defines, const struct tt_port_list *ports)
{
	if (!ports->count)
		return;
	strbuf_append(defines, "#define TT_PORT_MATCH(port) (");
	for (size_t i = 0; i < ports->count; i++)
		strbuf_appendf(defines, "%s(port) == %u", i ? " || " : "", ports->ports[i]);
	strbuf_append(defines, ")\n");
}
