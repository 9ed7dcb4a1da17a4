"""Least privilege: as a user other than root, each tool runs with exactly the
capabilities its man page lists under CAPABILITIES for its path (backend,
tracefs mounted or not, buffer kind), and without any one of them it stops
with one line naming the capability missing."""
import os
import subprocess
import tempfile

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]


def kprobe_pmu():
    return os.path.exists("/sys/bus/event_source/devices/kprobe/type")


# What an option adds to its tool's set (tcpconnect's; cgroup2 mounted, as here).
OPTION_CAPS = {"-G": ["dac_read_search"],  # opening cgroups by their ids
               "-d": ["net_admin"]}        # linking the DNS program to the cgroup root


def needed(tool, tracefs_mounted, option=None):
    """What CAPABILITIES in the man page says this path needs; None for root."""
    caps = ["bpf", "perfmon"]
    backend = ttlib.backend_of(tool)
    if backend == "kprobe" and (not kprobe_pmu() or tool == "tcpaccept"):
        # kprobes made in tracefs's kprobe_events: without the kprobe PMU, and
        # tcpaccept's kretprobe with many instances on inet_csk_accept.
        return None
    if tool == "tcpaccept":
        caps.append("dac_read_search")  # the accept syscall tracepoints, read in tracefs
        if not tracefs_mounted:
            caps.append("sys_admin")
    for cap in OPTION_CAPS.get(option, []):
        if cap not in caps:
            caps.append(cap)
    return caps


@pytest.fixture
def reachable_dir():
    with tempfile.TemporaryDirectory(prefix="tt-priv-") as d:
        yield d


def run_as_user(tool, caps, tracefs, directory, *args):
    return subprocess.run([*ttlib.as_user_with(caps, tracefs),
                           ttlib.reachable_copy(tool, directory), *ttlib.TOOL_ARGS, *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("tracefs", [True, False], ids=["tracefs-mounted", "tracefs-unmounted"])
@pytest.mark.parametrize("args", [[], ["--buffer", "perf"], ["-j"]], ids=["", "perf", "json"])
def test_needed_set_traces(tool, tracefs, args, server, client, reachable_dir):
    caps = needed(tool, tracefs)
    if caps is None:
        pytest.skip("kprobes without the kprobe PMU need root")
    t = Tracer(tool, *args, wrapper=ttlib.as_user_with(caps, tracefs),
               path=ttlib.reachable_copy(tool, reachable_dir))
    with t:
        if args != ["-j"]:
            t.wait_header()
        else:
            t.wait_stderr("Tracing")
        conn = ttlib.one_connection(server, client)  # the client's getsockname
        pid = str(client.pid if tool == "tcpconnect" else server.pid)
        sport = str(conn["sport"])
        assert t.wait_for(lambda line: pid in line.replace(",", " ").split()
                          and sport in line.replace(",", " ").split()), (caps, t.lines)
        assert t.stop() == 0, t.stderr


def removals():
    """(tool, tracefs, capability removed) for every capability of every set,
    but CAP_BPF and CAP_PERFMON where CAP_SYS_ADMIN is in the set: the kernel
    takes CAP_SYS_ADMIN for both (test_sys_admin_stands_for_bpf_and_perfmon)."""
    for tool in TOOLS:
        for tracefs in (True, False):
            caps = needed(tool, tracefs) or []
            for cap in caps:
                if cap in ("bpf", "perfmon") and "sys_admin" in caps:
                    continue
                yield pytest.param(tool, tracefs, cap, id="%s-%s-no-%s" % (
                    tool, "mounted" if tracefs else "unmounted", cap))


@pytest.mark.parametrize("tool,tracefs,removed", removals())
def test_each_missing_capability_is_named(tool, tracefs, removed, reachable_dir):
    held = [c for c in needed(tool, tracefs) if c != removed]
    r = run_as_user(tool, held, tracefs, reachable_dir)
    assert r.returncode != 0, (held, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(tool + ": "), r.stderr
    assert "CAP_" + removed.upper() in lines[0], r.stderr
    assert "(see CAPABILITIES in the man page)" in lines[0], r.stderr


def test_sys_admin_stands_for_bpf_and_perfmon(server, client, reachable_dir):
    t = Tracer("tcpconnect", wrapper=ttlib.as_user_with(["sys_admin"]),
               path=ttlib.reachable_copy("tcpconnect", reachable_dir))
    with t:
        t.wait_header()
        conn = ttlib.one_connection(server, client)
        assert t.wait_for(lambda line: line.split()[1:2] == [str(client.pid)]
                          and str(conn["sport"]) in line.split()), t.lines
        assert t.stop() == 0, t.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_no_capabilities_names_both(tool, reachable_dir):
    r = run_as_user(tool, [], None, reachable_dir)
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        tool + ": missing CAP_BPF and CAP_PERFMON: run as root, or with CAP_BPF and "
        "CAP_PERFMON (see CAPABILITIES in the man page)"]


@pytest.mark.parametrize("option", sorted(OPTION_CAPS))
def test_option_sets_trace(option, server, client, reachable_dir):
    """tcpconnect -G and -d with their tool's set plus the option's."""
    caps = needed("tcpconnect", True, option)
    if caps is None:
        pytest.skip("kprobes without the kprobe PMU need root")
    t = Tracer("tcpconnect", option, wrapper=ttlib.as_user_with(caps, True),
               path=ttlib.reachable_copy("tcpconnect", reachable_dir))
    with t:
        header = t.wait_header()
        assert ("CGROUP" if option == "-G" else "QUERY") in header.split(), header
        conn = ttlib.one_connection(server, client)
        line = t.wait_for(lambda l: l.split()[1:2] == [str(client.pid)]
                          and str(conn["sport"]) in l.split())
        assert line, (caps, t.lines)
        assert t.stop() == 0, t.stderr
    if option == "-G":  # a path, not the id shown when a cgroup cannot be opened
        assert line.split()[-1].startswith(("/", "...")), line


@pytest.mark.parametrize("option", sorted(OPTION_CAPS))
def test_option_capability_missing_is_named(option, reachable_dir):
    caps = needed("tcpconnect", True, option)
    if caps is None:
        pytest.skip("kprobes without the kprobe PMU need root")
    for removed in OPTION_CAPS[option]:
        held = [c for c in caps if c != removed]
        r = run_as_user("tcpconnect", held, True, reachable_dir, option)
        assert r.returncode != 0, (held, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and "CAP_" + removed.upper() in lines[0], r.stderr
        assert "(see CAPABILITIES in the man page)" in lines[0], r.stderr
