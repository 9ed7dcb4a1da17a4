"""The command line's conventions, on the real binaries: usage errors exit 2
with one exact line, runtime failures 1, every echoed argument escaped; --help
under headings within 80 columns; -D ends a run by itself, as Ctrl-C would."""
import json
import re

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]

# (arguments, the line after "tool: "), for both tools: found while parsing.
USAGE_ERRORS = [
    (["--json=1"], "option '--json' takes no value (see --help)"),
    (["--print-uid=yes"], "option '--print-uid' takes no value (see --help)"),
    (["--ebpf="], "option '--ebpf' takes no value (see --help)"),
    (["-p", "\x1b[2Jx"], "invalid PID '?[2Jx': not a decimal number"),
    (["-p", "abc"], "invalid PID 'abc': not a decimal number"),
    (["-p", "-5"], "invalid PID '-5': not a decimal number"),
    (["-p", "0"], "invalid PID '0': out of range (1 to 4194304)"),
    (["-p", "4194305"], "invalid PID '4194305': out of range (1 to 4194304)"),
    (["-u", "4294967295"], "invalid UID '4294967295': out of range (0 to 4294967294)"),
    (["-P", "65536"], "invalid port list '65536': out of range (1 to 65535)"),
    (["-P", "70000"], "invalid port list '70000': out of range (1 to 65535)"),
    (["-P", "0"], "invalid port list '0': out of range (1 to 65535)"),
    (["-P", "80,,81"], "invalid port list '80,,81': empty item in list"),
    (["-P", "x,1"], "invalid port list 'x,1': not a decimal number"),
    (["--buffer-pages", "16384"], "invalid buffer pages '16384': out of range (1 to 8192)"),
    (["--buffer-pages", "0"], "invalid buffer pages '0': out of range (1 to 8192)"),
    (["--buffer-pages", "3"], "invalid buffer pages '3': not a power of 2"),
    (["--backend", "uprobe"], "invalid backend 'uprobe': expected auto, kprobe or tracepoint"),
    (["--kernel-types", "dwarf"], "invalid kernel types 'dwarf': expected auto, btf or headers"),
    (["--buffer", "mmap"], "invalid buffer 'mmap': expected auto, ring or perf"),
    (["-D", "0"], "invalid duration '0': out of range (1 to 2147483647)"),
    (["-D", "2s"], "invalid duration '2s': not a decimal number"),
    (["-c", "-i", "0"], "invalid interval '0': out of range (1 to 2147483647)"),
    (["-c", "-i", "1.5"], "invalid interval '1.5': not a decimal number"),
    (["-c", "--interval"], "option '--interval' needs an argument (see --help)"),
    (["--duration"], "option '--duration' needs an argument (see --help)"),
    (["-p"], "option '-p' needs an argument (see --help)"),
    (["--pi"], "option '--pid' needs an argument (see --help)"),
    (["-Z"], "unknown option '-Z' (see --help)"),
    (["--frobnicate"], "unknown option '--frobnicate' (see --help)"),
    (["-\x1b"], "unknown option '-?' (see --help)"),
    (["--no-such=\x1b[2J"], "unknown option '--no-such' (see --help)"),
    (["--\x1b]0;title\x07"], "unknown option '--?]0;title?' (see --help)"),
    (["\x1b[2J"], "unexpected argument '?[2J' (see --help)"),
    (["stray"], "unexpected argument 'stray' (see --help)"),
    (["--cgroupmap", ""], "invalid map path '': empty"),
    # U+009B (CSI) is C2 9B in UTF-8: a C1 control, both bytes shown as '?'.
    (["--backend", "\x9b2J"], "invalid backend '??2J': expected auto, kprobe or tracepoint"),
    (["-4", "-6"], "-4 and -6 exclude each other"),
    (["--comm", ""], "invalid command name '': empty"),
    (["--comm"], "option '--comm' needs an argument (see --help)"),
    (["-N", "0"], "invalid network namespace inode '0': out of range (1 to 4294967295)"),
    (["--netns", "4294967296"],
     "invalid network namespace inode '4294967296': out of range (1 to 4294967295)"),
    (["--netns", "net:[4026531840]"],
     "invalid network namespace inode 'net:[4026531840]': not a decimal number"),
    (["--print-netns=1"], "option '--print-netns' takes no value (see --help)"),
]

# Options that need or exclude each other, found once all are read: still usage errors.
PLAN_USAGE_ERRORS = [
    (["-q"], "-q: only with --metrics or --metrics-file"),
    (["--metrics-labels", "family"], "--metrics-labels: only with --metrics or --metrics-file"),
    (["--metrics-max-series", "5"], "--metrics-max-series: only with --metrics or --metrics-file"),
    (["--metrics", "127.0.0.1:9", "--metrics-labels", "peer_cidr"],
     "--metrics-cidrs and the peer_cidr label go together"),
    (["--metrics-file", "/nonexistent/x.prom", "--metrics-cidrs", "10.0.0.0/8"],
     "--metrics-cidrs and the peer_cidr label go together"),
]

# The peer's prefixes: tcpconnect's --daddr, tcpaccept's --raddr; (value, reason).
CIDR_ERRORS = [
    ("", "empty"),
    ("10.0.0.1/8", "bits set past the prefix length"),
    ("10.0.0.0/33", "prefix length out of range (0 to 32)"),
    ("fd00::/129", "prefix length out of range (0 to 128)"),
    ("10.0.0.0/x", "prefix length out of range (0 to 32)"),
    ("10.0.0", "not an IPv4 or IPv6 address"),
    ("fe80::1%eth0", "not an IPv4 or IPv6 address"),
    ("example.com", "not an IPv4 or IPv6 address"),
    ("!", "empty prefix after '!'"),
    ("10.0.0.0/8,", "empty item in list"),
    ("1.2.3.4,\x1b[2J", "'?[2J': not an IPv4 or IPv6 address"),
    ("10.0.0.0/8,!10.0.0.0/8", "'!10.0.0.0/8': the same prefix as an earlier one"),
    ("127.0.0.1,::ffff:127.0.0.1", "'::ffff:127.0.0.1': the same prefix as an earlier one"),
    (",".join("10.0.%d.0/24" % i for i in range(65)), "too many prefixes (at most 64)"),
]


@pytest.mark.parametrize("tool,option", [("tcpconnect", "--daddr"), ("tcpaccept", "--raddr")])
@pytest.mark.parametrize("value,why", CIDR_ERRORS)
def test_cidr_usage_error(tool, option, value, why):
    shown = value.replace("\x1b", "?")
    check_one_line(ttlib.run_tool(tool, option, value), tool, 2,
                   "invalid CIDR list '%s': %s" % (shown, why))


def check_one_line(r, tool, status, message):
    assert (r.returncode, r.stdout) == (status, ""), r
    assert r.stderr == "%s: %s\n" % (tool, message)
    assert "\x1b" not in r.stderr and "\x9b" not in r.stderr


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("args,message,parsing",
                         [(*e, True) for e in USAGE_ERRORS] +
                         [(*e, False) for e in PLAN_USAGE_ERRORS])
def test_usage_error(tool, args, message, parsing):
    r, bpf_calls = ttlib.bpf_syscalls([ttlib.tool_path(tool), *args])
    check_one_line(r, tool, 2, message)
    if parsing:
        assert bpf_calls == 0  # refused before anything was loaded


@pytest.mark.parametrize("tool,args,message", [
    ("tcpconnect", ["--c"],
     "option '--c' is ambiguous: --comm, --cgroup, --cgroupmap, --count (see --help)"),
    ("tcpaccept", ["--c"],
     "option '--c' is ambiguous: --comm, --cgroup, --cgroupmap, --count (see --help)"),
    ("tcpconnect", ["--raddr", "10.0.0.0/8"], "unknown option '--raddr' (see --help)"),
    ("tcpaccept", ["--daddr", "10.0.0.0/8"], "unknown option '--daddr' (see --help)"),
    ("tcpconnect", ["--cg=x"], "option '--cg' is ambiguous: --cgroup, --cgroupmap (see --help)"),
    # -i prints what a mode counts at each interval: alone there is nothing.
    ("tcpconnect", ["-i", "1"], "-i/--interval needs -c or --hist"),
    ("tcpconnect", ["-i", "1", "-D", "5", "-j", "-o"], "-i/--interval needs -c or --hist"),
    ("tcpaccept", ["-i", "1"], "-i/--interval needs -c or -o"),
    ("tcpaccept", ["--hist"], "unknown option '--hist' (see --help)"),
    ("tcpconnect", ["-c", "--hist"], "-c and --hist exclude each other: each counts in the kernel instead of printing"),
    ("tcpconnect", ["--hist", "-c", "-i", "2"], "-c and --hist exclude each other: each counts in the kernel instead of printing"),
    # --fields: the valid names are listed; a module's needs its option.
    ("tcpconnect", ["--fields", "pid,\x1b[2J"],
     "unknown field '?[2J' in --fields (valid: pid,uid,comm,ip,saddr,sport,daddr,dport,time,"
     "latency_ms,result,netns,cgroup,query)"),
    ("tcpaccept", ["--fields", "saddr"],
     "unknown field 'saddr' in --fields (valid: pid,uid,comm,ip,laddr,lport,raddr,rport,backlog,"
     "time,netns,cgroup,wait_ms,result)"),
    ("tcpconnect", ["--fields", "pid,result"], "field 'result' needs -o"),
    ("tcpconnect", ["--fields", "cgroup"], "field 'cgroup' needs -G"),
    ("tcpconnect", ["--fields", "query"], "field 'query' needs -d"),
    ("tcpaccept", ["--fields", "cgroup"], "field 'cgroup' needs -G"),
    ("tcpconnect", ["--fields", "pid,,comm"], "an empty field name in --fields"),
    ("tcpconnect", ["--fields", ""], "an empty field name in --fields"),
    ("tcpaccept", ["--fields", "pid,comm,pid"], "field 'pid' is named twice in --fields"),
    ("tcpconnect", ["-c", "--fields", "pid"], "--fields and -c exclude each other"),
    ("tcpconnect", ["--hist", "--fields", "pid"], "--fields and --hist exclude each other"),
    ("tcpaccept", ["-c", "--fields", "pid"], "--fields and -c exclude each other"),
    ("tcpconnect", ["-c", "--metrics", "127.0.0.1:9", "-q"],
     "--metrics -q and -c exclude each other: each counts in the kernel instead of printing"),
    ("tcpconnect", ["--metrics-file", "/nonexistent/x.prom", "-q", "-c"],
     "--metrics-file -q and -c exclude each other: each counts in the kernel instead of printing"),
    ("tcpaccept", ["--metrics", "127.0.0.1:9", "--metrics-labels", "result"],
     "--metrics-labels: result is only for tools with outcomes (tcpconnect, tcpaccept -o)"),
])
def test_usage_error_of_one_tool(tool, args, message):
    check_one_line(ttlib.run_tool(tool, *args), tool, 2, message)


# What fails once the command line is understood: status 1.
@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("args,message", [
    (["--cgroup", ""], "--cgroup: cannot open '': No such file or directory"),
    (["--cgroup", "/nonexistent/\x1b[2J"],
     "--cgroup: cannot open /nonexistent/?[2J: No such file or directory"),
    (["--cgroup", "/tmp"], "--cgroup: /tmp is not a cgroup v2 directory"),
    (["--mntnsmap", "/tmp"], "--mntnsmap: /tmp is not a pinned BPF map (not on a bpf filesystem)"),
])
def test_runtime_failure(tool, args, message):
    check_one_line(ttlib.run_tool(tool, *args), tool, 1, message)


HEADINGS = ["Filters (run in the kernel):", "Columns:", "Modes:", "Output:", "Tuning:",
            "Other:", "Examples:"]


@pytest.mark.parametrize("tool", TOOLS)
def test_help_grouped(tool):
    r = ttlib.run_tool(tool, "--help")
    assert (r.returncode, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, r.stdout
    assert [line for line in lines if line and not line.startswith(" ")][2:] == \
        HEADINGS + ["Every option, column and JSON key: man 8 %s" % tool], r.stdout
    # Each option once, under one heading; the common ones where they belong.
    section, seen = None, {}
    for line in lines:
        if line in HEADINGS:
            section = line
        for option in re.findall(r"^  (?:-., )?\s*(--[a-z0-9-]+)", line):
            assert option not in seen, option
            seen[option] = section
    assert seen["--pid"] == seen["--port"] == seen["--cgroup"] == HEADINGS[0]
    assert seen["--comm"] == seen["--netns"] == HEADINGS[0]
    assert seen["--daddr" if tool == "tcpconnect" else "--raddr"] == HEADINGS[0]
    assert seen["--timestamp"] == seen["--print-uid"] == seen["--print-cgroup"] == HEADINGS[1]
    assert seen["--print-netns"] == HEADINGS[1]
    assert seen["--duration"] == seen["--interval"] == seen["--count"] == HEADINGS[2]
    assert seen["--json"] == seen["--verbose"] == HEADINGS[3]
    assert seen["--backend"] == seen["--buffer-pages"] == HEADINGS[4]
    assert seen["--help"] == seen["--version"] == HEADINGS[5]


@pytest.mark.parametrize("tool", TOOLS)
def test_examples_end_with_the_usage(tool):
    """The examples file ends, as BCC's do, with what -h prints now."""
    with open("%s/examples/%s_example.txt" % (ttlib.REPO, tool)) as f:
        text = f.read()
    usage = ttlib.run_tool(tool, "-h").stdout
    assert text.endswith("\nUSAGE message:\n\n# %s -h\n%s" % (tool, usage))


# -D --------------------------------------------------------------------------

def wait_for_own_end(t, timeout=120):
    """The tool ends without a signal; its exit status."""
    t.proc.wait(timeout=timeout)  # raises if -D did not end it
    return t.stop()  # nothing left to signal: collects what it printed


def test_duration_ends_a_trace(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpconnect", "-D", "4", "-P", str(listener["lport"])) as t:
        t.wait_header()
        conns = [client.connect("127.0.0.1", listener["lport"]) for _ in range(3)]
        assert wait_for_own_end(t) == 0, t.stderr
    assert all(c["errno"] == 0 for c in conns)
    sports = sorted(int(e[4]) for e in t.events())
    assert sports == sorted(c["sport"] for c in conns), t.lines
    assert t.stderr == ""


def test_duration_ends_a_count(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpconnect", "-c", "-j", "--duration", "4", "-P",
                str(listener["lport"])) as t:
        t.wait_stderr("counting in the kernel")
        conns = [client.connect("127.0.0.1", listener["lport"]) for _ in range(5)]
        assert wait_for_own_end(t) == 0, t.stderr
    assert t.stderr_lines == ["Tracing; counting in the kernel until Ctrl-C, at most 4 s."]
    assert all(c["errno"] == 0 for c in conns)
    assert [json.loads(line) for line in t.lines] == [
        {"saddr": "127.0.0.1", "daddr": "127.0.0.1", "dport": listener["lport"],
         "connects": len(conns)}]


def test_duration_ends_tcpaccept(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpaccept", "-D", "4", "-P", str(listener["lport"])) as t:
        t.wait_header()
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        assert wait_for_own_end(t) == 0, t.stderr
    assert [(e[1], e[3], int(e[4]), int(e[6])) for e in t.events()] == [
        (str(server.pid), conn["saddr"], conn["sport"], listener["lport"])], t.lines
