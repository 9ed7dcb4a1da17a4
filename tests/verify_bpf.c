// SPDX-License-Identifier: Apache-2.0
/*
 * Every BPF program of every tool, on both backends and with every filter
 * shape, compiled and loaded into this kernel's verifier. This is how the
 * kprobe programs are checked on a kernel that cannot attach kprobes.
 */
#include <stdio.h>
#include <sys/socket.h>

#include "filters.h"
#include "check.h"
#include "tcpaccept_programs.h"
#include "tcpconnect_programs.h"
#include "tracer.h"

struct tool {
	const char *name;
	struct tt_tracer_spec spec;
};

static void verify(const struct tool *tool, enum tt_backend backend, const char *defines)
{
	struct tt_tracer_options opts = {.backend = backend, .defines = defines};
	int rc = tt_tracer_verify(&tool->spec, &opts);
	printf("%s %s %s: %s\n", tool->name, backend == TT_BACKEND_KPROBE ? "kprobe" : "tracepoint",
	       defines[0] ? "with filters" : "without filters", rc == 0 ? "ok" : "FAILED");
	CHECK(rc == 0);
}

int main(void)
{
	const struct tool tools[] = {
	    {"tcpconnect",
	     {.kprobe = &tcpconnect_kprobe_program,
	      .tracepoint = &tcpconnect_tracepoint_program,
	      .kernel_types = tcpconnect_kernel_types}},
	    {"tcpaccept",
	     {.kprobe = &tcpaccept_kprobe_program,
	      .tracepoint = &tcpaccept_tracepoint_program,
	      .kernel_types = tcpaccept_kernel_types}},
	};
	struct strbuf filters;
	strbuf_init(&filters);
	const struct tt_filters all = {.pid = 4242,
	                               .has_uid = true,
	                               .uid = 1000,
	                               .family = AF_INET6,
	                               .ports = {{80, 443, 8080}, 3},
	                               .cgroup_dir = "/sys/fs/cgroup"};
	tt_filters_defines(&all, &filters);
	strbuf_append(&filters, "#define TT_COUNT 1\n"); /* tcpconnect -c */

	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		verify(&tools[i], TT_BACKEND_KPROBE, "");
		verify(&tools[i], TT_BACKEND_TRACEPOINT, "");
		verify(&tools[i], TT_BACKEND_KPROBE, strbuf_text(&filters));
		verify(&tools[i], TT_BACKEND_TRACEPOINT, strbuf_text(&filters));
	}
	strbuf_free(&filters);
	return check_done("verify_bpf");
}
