// SPDX-License-Identifier: Apache-2.0
#include "filters.h"

#include "cli.h"

int tt_filters_option(struct tt_filters *filters, int key, const char *arg)
{
	const char *why;
	switch (key) {
	case 'p':
		why = tt_parse_pid(arg, &filters->pid);
		return why ? tt_bad_value("PID", arg, why) : 0;
	case 'P':
		why = tt_parse_port_list(arg, &filters->ports);
		return why ? tt_bad_value("port list", arg, why) : 0;
	default:
		return 1;
	}
}

void tt_filters_defines(const struct tt_filters *filters, struct strbuf *defines)
{
	if (filters->pid)
		strbuf_appendf(defines, "#define TT_TARGET_PID %u\n", filters->pid);
	if (filters->ports.count) {
		strbuf_append(defines, "#define TT_PORT_MATCH(port) (");
		for (size_t i = 0; i < filters->ports.count; i++)
			strbuf_appendf(defines, "%s(port) == %u", i ? " || " : "",
				       filters->ports.ports[i]);
		strbuf_append(defines, ")\n");
	}
}
