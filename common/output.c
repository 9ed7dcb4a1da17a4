// SPDX-License-Identifier: Apache-2.0
#include "output.h"

#include "json.h"

int tt_output_option(struct tt_output *o, int key)
{
	switch (key) {
	case 't':
		o->elapsed = true;
		return 0;
	case 'U':
		o->print_uid = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	default:
		return 1;
	}
}

void tt_output_init(struct tt_output *o, FILE *out)
{
	o->out = out;
	tt_clock_init(&o->clock);
}

void tt_output_header_start(const struct tt_output *o)
{
	fprintf(o->out, "%-8s ", o->elapsed ? "TIME(s)" : "TIME");
	if (o->print_uid)
		fprintf(o->out, "%-6s ", "UID");
	fprintf(o->out, "%-7s %-16s ", "PID", "COMM");
}

void tt_output_line_start(struct tt_output *o, uint64_t ktime_ns, uint32_t uid, uint32_t pid,
                          const char *comm, size_t comm_len)
{
	char safe_comm[TT_COMM_TEXT_LEN];
	tt_format_comm(comm, comm_len, safe_comm);
	if (o->elapsed)
		fprintf(o->out, "%-8.3f ", tt_clock_elapsed(&o->clock, ktime_ns));
	else
		fprintf(o->out, "%-8s ", tt_clock_hms(&o->clock, ktime_ns));
	if (o->print_uid)
		fprintf(o->out, "%-6u ", uid);
	fprintf(o->out, "%-7u %-16s ", pid, safe_comm);
}

void tt_output_json_start(struct tt_output *o, uint64_t ktime_ns, uint32_t uid, uint32_t pid,
                          const char *comm, size_t comm_len)
{
	char time[40];
	tt_clock_rfc3339(&o->clock, ktime_ns, time);
	fprintf(o->out, "{\"time\": \"%s\", \"pid\": %u, \"uid\": %u, \"comm\": ", time, pid, uid);
	tt_json_string(o->out, comm, comm_len);
	fputs(", ", o->out);
}
