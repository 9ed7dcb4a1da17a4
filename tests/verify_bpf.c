// SPDX-License-Identifier: Apache-2.0
/*
 * Every BPF program of every tool, on both backends and with every option
 * that changes the BPF text, alone and all together, compiled and loaded
 * into this kernel's verifier through the same plan the tool builds from its
 * command line. This is how the kprobe programs are checked on a kernel that
 * cannot attach kprobes.
 */
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "array.h"
#include "check.h"
#include "tcpaccept_tool.h"
#include "tcpconnect_tool.h"

/* The cgroup v2 mount: pure v2 hosts have it at /sys/fs/cgroup, hybrid ones below. */
static const char *cgroup2_dir(void)
{
	static const char *const dirs[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (size_t i = 0; i < 2; i++) {
		struct statfs fs;
		if (statfs(dirs[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
			return dirs[i];
	}
	return NULL;
}

static void verify(const struct tt_tool *tool, const char *backend, const char *options)
{
	char *argv[32] = {(char *)tool->name, "--backend", (char *)backend}, copy[256];
	int argc = 3;
	snprintf(copy, sizeof(copy), "%s", options);
	for (char *word = strtok(copy, " "); word && argc < 31; word = strtok(NULL, " "))
		argv[argc++] = word;
	int rc = tt_tool_verify(tool, argc, argv);
	printf("%s --backend %s %s: %s\n", tool->name, backend, options, rc == 0 ? "ok" : "FAILED");
	CHECK(rc == 0);
}

int main(void)
{
	char cgroup[128] = "";
	if (cgroup2_dir())
		snprintf(cgroup, sizeof(cgroup), "--cgroup %s", cgroup2_dir());
	else
		printf("no cgroup v2 mount: --cgroup not verified\n");
	char all[256];
	snprintf(all, sizeof(all),
	         "-p 4242 -u 1000 -6 -P 80,443,8080 -G --comm curl -N 4026531840 --print-netns %s",
	         cgroup);
	char all_counted[300];
	snprintf(all_counted, sizeof(all_counted), "%s -c -d", all);
	char all_outcome[300];
	snprintf(all_outcome, sizeof(all_outcome), "%s --failed --daddr 10.0.0.0/8,!10.1.0.0/16",
	         all);
	char all_accept_outcome[300];
	snprintf(all_accept_outcome, sizeof(all_accept_outcome),
	         "%s --failed --raddr 10.0.0.0/8,!10.1.0.0/16", all);
	const struct tt_tool *const tools[] = {&tcpconnect_tool, &tcpaccept_tool};
	/*
	 * For both tools: each option alone, then all at once (-4 and -6 exclude
	 * each other: -6 there); --metrics with the default labels, quiet, with
	 * every label, and to a file.
	 */
	const char *const shared[] = {
	    "",
	    "-p 4242",
	    "-u 1000",
	    "-4",
	    "-P 80,443,8080",
	    "-G",
	    cgroup,
	    all,
	    "--metrics 127.0.0.1:1 -q",
	    "--metrics 127.0.0.1:1 --metrics-labels family,port,comm,cgroup,peer",
	    "--metrics-file /x.prom -q --metrics-ephemeral-ports none --metrics-labels port",
	};
	/* For one tool: its options, and its modules beside each other. */
	const struct {
		const struct tt_tool *tool;
		const char *options;
	} own[] = {
	    {&tcpconnect_tool, "--daddr 10.0.0.0/8,!::1,fd00::/8"},
	    {&tcpaccept_tool, "--raddr 10.0.0.0/8,!::1,fd00::/8"},
	    /* More prefixes than tt_peer_list holds: tt_peer_trie. */
	    {&tcpconnect_tool, "--daddr 10.0.0.0/8,!10.1.0.0/16,1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,"
	                       "5.5.5.5,6.6.6.6,fd00::/8"},
	    {&tcpaccept_tool, "--raddr 10.0.0.0/8,!10.1.0.0/16,1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,"
	                      "5.5.5.5,6.6.6.6,fd00::/8"},
	    {&tcpconnect_tool, "-c"},
	    {&tcpconnect_tool, "-d"},
	    {&tcpconnect_tool, "-c -s -G"},
	    {&tcpconnect_tool, all_counted},
	    {&tcpconnect_tool, "-o"},
	    {&tcpconnect_tool, "--failed -c"},
	    {&tcpconnect_tool, all_outcome},
	    /* -i's tables by turns; --hist alone, by turns, beside --failed and --metrics. */
	    {&tcpconnect_tool, "-c -i 1 -o -s"},
	    {&tcpconnect_tool, "--hist"},
	    {&tcpconnect_tool, "--hist -i 1 --failed"},
	    {&tcpconnect_tool, "--hist -i 1 --metrics 127.0.0.1:1 --metrics-labels result,comm"},
	    {&tcpaccept_tool, "-c -s -G"},
	    {&tcpaccept_tool, "-c -i 1 --metrics 127.0.0.1:1"},
	    {&tcpaccept_tool, "-o"},
	    {&tcpaccept_tool, all_accept_outcome},
	    {&tcpaccept_tool, "-o --metrics 127.0.0.1:1 -G"},
	    /* -c -o per result, by turns with -i; --metrics -o without the result label. */
	    {&tcpaccept_tool, "-c -o -i 1 -s"},
	    {&tcpaccept_tool, "-o --metrics 127.0.0.1:1 --metrics-labels family,port -q"},
	    {&tcpconnect_tool,
	     "--metrics 127.0.0.1:1 --metrics-labels result,comm,peer --failed -c -G"},
	};
	const char *const backends[] = {"kprobe", "tracepoint"};
	for (size_t b = 0; b < TT_ARRAY_SIZE(backends); b++) {
		for (size_t i = 0; i < TT_ARRAY_SIZE(shared); i++) {
			if (i > 0 && !shared[i][0])
				continue; /* no cgroup v2 here */
			for (size_t t = 0; t < TT_ARRAY_SIZE(tools); t++)
				verify(tools[t], backends[b], shared[i]);
		}
		for (size_t i = 0; i < TT_ARRAY_SIZE(own); i++)
			verify(own[i].tool, backends[b], own[i].options);
	}
	return check_done("verify_bpf");
}
