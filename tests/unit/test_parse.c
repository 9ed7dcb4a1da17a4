// SPDX-License-Identifier: Apache-2.0
#include <errno.h> /* program_invocation_short_name */
#include <stdlib.h>
#include <unistd.h>

#include "array.h"
#include "check.h"
#include "hist.h"
#include "outcome.h"
#include "parse.h"
#include "proc_tcp.h"
#include "tcpaccept_tool.h"
#include "tcpconnect_tool.h"

static void test_pid(void)
{
	uint32_t pid = 0;
	CHECK(tt_parse_pid("1", &pid) == NULL && pid == 1);
	CHECK(tt_parse_pid("4194304", &pid) == NULL && pid == 4194304);
	CHECK(tt_parse_pid("4194305", &pid) != NULL);
	CHECK(tt_parse_pid("0", &pid) != NULL);
	CHECK(tt_parse_pid("-5", &pid) != NULL);
	CHECK(tt_parse_pid("+5", &pid) != NULL);
	CHECK(tt_parse_pid("abc", &pid) != NULL);
	CHECK(tt_parse_pid("12abc", &pid) != NULL);
	CHECK(tt_parse_pid(" 12", &pid) != NULL);
	CHECK(tt_parse_pid("", &pid) != NULL);
	CHECK(tt_parse_pid("99999999999999999999999", &pid) != NULL);
	CHECK_STR(tt_parse_pid("0", &pid), "out of range (1 to 4194304)");
	CHECK_STR(tt_parse_pid("4194305", &pid), "out of range (1 to 4194304)");
	CHECK_STR(tt_parse_pid("-5", &pid), "not a decimal number");
	CHECK_STR(tt_parse_pid("", &pid), "empty");
}

static void test_uid(void)
{
	uint32_t uid = 1;
	CHECK(tt_parse_uid("0", &uid) == NULL && uid == 0);
	CHECK(tt_parse_uid("4294967294", &uid) == NULL && uid == 4294967294u);
	CHECK_STR(tt_parse_uid("4294967295", &uid), "out of range (0 to 4294967294)");
}

static void test_ports(void)
{
	struct tt_port_list list = {0};
	CHECK(tt_parse_port_list("80", &list) == NULL && list.count == 1 && list.ports[0] == 80);
	list.count = 0;
	CHECK(tt_parse_port_list("1,65535,443", &list) == NULL && list.count == 3);
	CHECK(list.ports[0] == 1 && list.ports[1] == 65535 && list.ports[2] == 443);
	const char *bad[] = {"0", "65536", "70000", "80,,81", ",80", "80,", "x,1", "80 ", "", "-1"};
	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++) {
		list.count = 0;
		const char *why = tt_parse_port_list(bad[i], &list);
		CHECK(why != NULL);
		if (!why)
			fprintf(stderr, "  accepted bad port list '%s'\n", bad[i]);
	}
	list.count = 0;
	char many[1024] = "1";
	for (int i = 2; i <= TT_MAX_PORTS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",%d", i);
	CHECK(tt_parse_port_list(many, &list) != NULL);
}

static void test_cidrs(void)
{
	struct tt_cidr_list list = {0};
	CHECK(tt_parse_cidr_list("10.0.0.0/8", &list) == NULL && list.count == 1);
	CHECK(!list.items[0].ipv6 && list.items[0].bits == 8 && !list.items[0].excluded);
	CHECK(list.items[0].addr[0] == 10 && list.items[0].addr[1] == 0);
	list.count = 0;
	CHECK(tt_parse_cidr_list("192.0.2.7,!fd00::/8,::/0,0.0.0.0/0,2001:db8::1", &list) == NULL);
	CHECK(list.count == 5 && list.items[0].bits == 32 && !list.items[0].ipv6);
	CHECK(list.items[1].ipv6 && list.items[1].excluded && list.items[1].bits == 8 &&
	      list.items[1].addr[0] == 0xfd);
	CHECK(list.items[2].ipv6 && list.items[2].bits == 0);
	CHECK(!list.items[3].ipv6 && list.items[3].bits == 0);
	CHECK(list.items[4].ipv6 && list.items[4].bits == 128 && list.items[4].addr[15] == 1);
	list.count = 0;
	CHECK(tt_parse_cidr_list("::ffff:10.0.0.0/104", &list) == NULL && list.items[0].ipv6);

	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"", "empty"},
	    {"10.0.0.0/8,", "empty item in list"},
	    {",10.0.0.0/8", "empty item in list"},
	    {"1.1.1.1,,2.2.2.2", "empty item in list"},
	    {"!", "empty prefix after '!'"},
	    {"!!1.2.3.4", "not an IPv4 or IPv6 address"},
	    {"10.0.0.1/8", "bits set past the prefix length"},
	    {"fd00::1/8", "bits set past the prefix length"},
	    {"10.0.0.0/33", "prefix length out of range (0 to 32)"},
	    {"::/129", "prefix length out of range (0 to 128)"},
	    {"10.0.0.0/", "prefix length out of range (0 to 32)"},
	    {"10.0.0.0/-1", "prefix length out of range (0 to 32)"},
	    {"10.0.0.0/8/8", "prefix length out of range (0 to 32)"},
	    {"10.0.0", "not an IPv4 or IPv6 address"},
	    {"010.0.0.1", "not an IPv4 or IPv6 address"},
	    {"10.0.0.0 ", "not an IPv4 or IPv6 address"},
	    {"fe80::1%eth0", "not an IPv4 or IPv6 address"},
	    {"example.com", "not an IPv4 or IPv6 address"},
	    {"1.2.3.4,x", "'x': not an IPv4 or IPv6 address"},
	    {"1.2.3.4,\x1b[2J", "'?[2J': not an IPv4 or IPv6 address"},
	    {"1.2.3.4,1.2.3.4/32", "'1.2.3.4/32': the same prefix as an earlier one"},
	    {"10.0.0.0/8,!10.0.0.0/8", "'!10.0.0.0/8': the same prefix as an earlier one"},
	    {"10.0.0.0/8,::ffff:10.0.0.0/104",
	     "'::ffff:10.0.0.0/104': the same prefix as an earlier one"},
	};
	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++) {
		list.count = 0;
		const char *why = tt_parse_cidr_list(bad[i].text, &list);
		CHECK_STR(why, bad[i].why);
		if (!why || strcmp(why, bad[i].why) != 0)
			fprintf(stderr, "  for '%s'\n", bad[i].text);
	}
	list.count = 0;
	char many[2048] = "10.0.0.0";
	for (int i = 1; i <= TT_MAX_CIDRS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",10.0.%d.0", i);
	CHECK_STR(tt_parse_cidr_list(many, &list), "too many prefixes (at most 64)");
}

static void test_cpus(void)
{
	unsigned char online[16] = {0};
	CHECK(tt_parse_cpu_list("0-1,3,5-6\n", online, 16) == NULL);
	CHECK(online[0] && online[1] && !online[2] && online[3] && !online[4] && online[5] &&
	      online[6] && !online[7]);
	CHECK(tt_parse_cpu_list("0-99", online, 16) != NULL);
	CHECK(tt_parse_cpu_list("3-1", online, 16) != NULL);
	CHECK(tt_parse_cpu_list("a", online, 16) != NULL);
}

/* What a tool's main() did with a command line: its exit status, stdout and stderr. */
struct ran {
	int status;
	char out[16384];
	char err[4096];
};

static void read_back(FILE *file, char *text, size_t size)
{
	rewind(file);
	size_t n = fread(text, 1, size - 1, file);
	text[n] = '\0';
	fclose(file);
}

/* Runs tt_tool_main on "tool" args (a command line it refuses, or --help) and takes its output. */
static void run_main(const struct tt_tool *tool, const char *const *args, struct ran *r)
{
	char *argv[16];
	int argc = 0;
	argv[argc++] = strdup(tool->name);
	for (; *args && argc < 15; args++)
		argv[argc++] = strdup(*args);
	argv[argc] = NULL;
	FILE *out = tmpfile(), *err = tmpfile();
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	r->status = tt_tool_main(tool, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	read_back(out, r->out, sizeof(r->out));
	read_back(err, r->err, sizeof(r->err));
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}

/* One usage error: status 2, nothing on stdout, exactly this line on stderr. */
static void check_usage_error(const struct tt_tool *tool, const char *const *args,
                              const char *message)
{
	struct ran r;
	char expected[512];
	run_main(tool, args, &r);
	snprintf(expected, sizeof(expected), "%s: %s\n", program_invocation_short_name, message);
	CHECK(r.status == 2);
	CHECK_STR(r.out, "");
	CHECK_STR(r.err, expected);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Usage errors: (arguments, the line after "tool: "), for both tools. */
struct usage_error {
	const char *const *args;
	const char *message;
};

static const struct usage_error both_tools[] = {
    {ARGS("--json=1"), "option '--json' takes no value (see --help)"},
    {ARGS("--ebpf=yes"), "option '--ebpf' takes no value (see --help)"},
    {ARGS("-p", "\x1b[2Jx"), "invalid PID '?[2Jx': not a decimal number"},
    {ARGS("-p", "0"), "invalid PID '0': out of range (1 to 4194304)"},
    {ARGS("--pid=4194305"), "invalid PID '4194305': out of range (1 to 4194304)"},
    {ARGS("-u", "4294967295"), "invalid UID '4294967295': out of range (0 to 4294967294)"},
    {ARGS("-P", "80,65536"), "invalid port list '80,65536': out of range (1 to 65535)"},
    {ARGS("--buffer-pages", "16384"), "invalid buffer pages '16384': out of range (1 to 8192)"},
    {ARGS("--buffer-pages", "0"), "invalid buffer pages '0': out of range (1 to 8192)"},
    {ARGS("--buffer-pages", "3"), "invalid buffer pages '3': not a power of 2"},
    {ARGS("-D", "0"), "invalid duration '0': out of range (1 to 2147483647)"},
    {ARGS("--duration", "1.5"), "invalid duration '1.5': not a decimal number"},
    {ARGS("-D"), "option '-D' needs an argument (see --help)"},
    {ARGS("--pid"), "option '--pid' needs an argument (see --help)"},
    {ARGS("--pi"), "option '--pid' needs an argument (see --help)"},
    {ARGS("-Z"), "unknown option '-Z' (see --help)"},
    {ARGS("-\x1b"), "unknown option '-?' (see --help)"},
    {ARGS("--frob=\x1b"), "unknown option '--frob' (see --help)"},
    {ARGS("--=x"), "unknown option '--' (see --help)"},
    {ARGS("--\x1b]0;x\x07"), "unknown option '--?]0;x?' (see --help)"},
    {ARGS("\x1b[2J"), "unexpected argument '?[2J' (see --help)"},
    {ARGS("--cgroupmap", ""), "invalid map path '': empty"},
    {ARGS("-4", "-6"), "-4 and -6 exclude each other"},
    {ARGS("--comm", ""), "invalid command name '': empty"},
    {ARGS("-N", "0"), "invalid network namespace inode '0': out of range (1 to 4294967295)"},
    {ARGS("--netns", "4294967296"),
     "invalid network namespace inode '4294967296': out of range (1 to 4294967295)"},
    {ARGS("--netns", "net:[4026531840]"),
     "invalid network namespace inode 'net:[4026531840]': not a decimal number"},
    {ARGS("--print-netns=1"), "option '--print-netns' takes no value (see --help)"},
    {ARGS("--backend", "\xff"), "invalid backend '?': expected auto, kprobe or tracepoint"},
    {ARGS("--c"), "option '--c' is ambiguous: --comm, --cgroup, --cgroupmap, --count (see --help)"},
};

/* And those of one tool. */
static const struct {
	const struct tt_tool *tool;
	struct usage_error error;
} one_tool[] = {
    {&tcpconnect_tool,
     {ARGS("--daddr", "10.0.0.1/8"),
      "invalid CIDR list '10.0.0.1/8': bits set past the prefix length"}},
    {&tcpaccept_tool,
     {ARGS("--raddr", "1.2.3.4,\x1b[2J"),
      "invalid CIDR list '1.2.3.4,?[2J': '?[2J': not an IPv4 or IPv6 address"}},
    {&tcpaccept_tool, {ARGS("--daddr", "1.2.3.4"), "unknown option '--daddr' (see --help)"}},
    {&tcpconnect_tool, {ARGS("--raddr", "1.2.3.4"), "unknown option '--raddr' (see --help)"}},
    {&tcpconnect_tool,
     {ARGS("--cgroupm", "a\"b"),
      "invalid map path 'a\"b': has a quote, backslash or control character"}},
};

static void test_usage_errors(void)
{
	const struct tt_tool *tools[] = {&tcpconnect_tool, &tcpaccept_tool};
	for (size_t i = 0; i < TT_ARRAY_SIZE(tools); i++)
		for (size_t e = 0; e < TT_ARRAY_SIZE(both_tools); e++)
			check_usage_error(tools[i], both_tools[e].args, both_tools[e].message);
	for (size_t e = 0; e < TT_ARRAY_SIZE(one_tool); e++)
		check_usage_error(one_tool[e].tool, one_tool[e].error.args,
		                  one_tool[e].error.message);
}

/*
 * A module's own usage errors, found by its plan hook: --hist and -o on a
 * tool whose events carry no outcome (no part of the event for them), as a
 * new tool that lists these modules without one would have it.
 */
static void test_module_usage_errors(void)
{
	static const struct tt_module_use hist[] = {{&tt_hist_module, 0}};
	static const struct tt_module_use outcome[] = {{&tt_outcome_module, 0}};
	struct tt_tool tool = tcpconnect_tool;
	tool.modules = hist;
	tool.module_count = TT_ARRAY_SIZE(hist);
	check_usage_error(&tool, ARGS("--hist"), "--hist: this tool's events have no latency");
	tool.modules = outcome;
	tool.module_count = TT_ARRAY_SIZE(outcome);
	check_usage_error(&tool, ARGS("-o"), "-o: this tool's events have no outcome");
}

/* --help: every line within 80 columns, the headings in order, the man page named last. */
static void test_help(const struct tt_tool *tool)
{
	static const char *const headings[] = {"Filters (run in the kernel):\n",
	                                       "Columns:\n",
	                                       "Modes:\n",
	                                       "Output:\n",
	                                       "Tuning:\n",
	                                       "Other:\n",
	                                       "Examples:\n"};
	struct ran r;
	run_main(tool, ARGS("--help"), &r);
	CHECK(r.status == 0);
	CHECK_STR(r.err, "");
	size_t longest = 0;
	for (const char *line = r.out; *line;) {
		size_t len = strcspn(line, "\n");
		longest = len > longest ? len : longest;
		line += len + (line[len] == '\n');
	}
	CHECK(longest > 40 && longest <= 80);
	const char *at = r.out;
	for (size_t i = 0; i < TT_ARRAY_SIZE(headings); i++) {
		const char *found = strstr(r.out, headings[i]);
		CHECK(found && found > at && found[-1] == '\n' && found[-2] == '\n');
		at = found ? found : at;
	}
	char man[64];
	snprintf(man, sizeof(man), "\nEvery option, column and JSON key: man 8 %s\n", tool->name);
	size_t len = strlen(r.out), man_len = strlen(man);
	CHECK(len > man_len && strcmp(r.out + len - man_len, man) == 0);
	/* Each option once: -D among the modes, before -j's output. */
	const char *duration = strstr(r.out, "-D, --duration SECONDS");
	CHECK(duration && duration > strstr(r.out, "Modes:") &&
	      duration < strstr(r.out, "Output:"));
	CHECK(duration && !strstr(duration + 14, "--duration"));
}

/* Lines as Linux prints them in /proc/net/tcp and tcp6 (tcp4_seq_show, tcp6_seq_show). */
static void test_proc_tcp_lines(void)
{
	struct tt_proc_socket s;
	CHECK(
	    tt_proc_tcp_parse_line("   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 "
	                           "00:00000000 00000000     0        0 67 1 000000007a7df213 100 "
	                           "0 0 10 0\n",
	                           &s) == 0 &&
	    s.local_port == 0x07E8 && s.state == 0x0A && s.inode == 67);
	/* SYN_SENT, its timer on; the expiry of a timer already due prints as 16 digits */
	CHECK(tt_proc_tcp_parse_line(" 123: 010012C6:B63C 020012C6:0050 02 00000001:00000000 "
	                             "01:FFFFFFFFFFFFFF9C 00000001     0        0 4294967301 1 "
	                             "0000000000000000 1000 0 0 1 7\n",
	                             &s) == 0 &&
	      s.local_port == 0xB63C && s.state == 2 && s.inode == 4294967301ULL);
	CHECK(tt_proc_tcp_parse_line("   0: 0000000000000000FFFF00000100007F:9C40 "
	                             "0000000000000000FFFF00000200007F:0050 02 00000000:00000000 "
	                             "01:00000177 00000000     0        0 48123 1 0000000000000000 "
	                             "200 0 0 1 7\n",
	                             &s) == 0 &&
	      s.local_port == 0x9C40 && s.state == 2 && s.inode == 48123);
	CHECK(tt_proc_tcp_parse_line("  sl  local_address rem_address   st tx_queue rx_queue tr "
	                             "tm->when retrnsmt   uid  timeout inode\n",
	                             &s) == -1);
	CHECK(tt_proc_tcp_parse_line("", &s) == -1);
	CHECK(tt_proc_tcp_parse_line("   0: 00000000:07E8 00000000:0000 0A\n", &s) == -1);
}

int main(void)
{
	test_proc_tcp_lines();
	test_pid();
	test_uid();
	test_ports();
	test_cidrs();
	test_cpus();
	test_usage_errors();
	test_module_usage_errors();
	test_help(&tcpconnect_tool);
	test_help(&tcpaccept_tool);
	return check_done("test_parse");
}
