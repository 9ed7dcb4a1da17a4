"""Each system state the tools adapt to, set up by the test itself in a
private mount namespace (tests/live/mounts.py), both ways, whatever this
machine has mounted: tracefs, cgroup2, bpffs."""
import os
import tempfile

import pytest

import mounts
import ttlib
from ttlib import Peer, Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]


def traced(tracer, pid, sport):
    """The tracer's line of the connection from sport, made or accepted by pid
    (PID is column 2 of both tools; SPORT and RPORT column 5)."""
    return tracer.wait_for(lambda line: line.split()[1:2] == [str(pid)]
                           and line.split()[4:5] == [str(sport)])


def trace_one_connection(tool, server, client, *args, wrapper=()):
    """Runs tool with -v under wrapper, makes one connection; returns the
    stopped Tracer, after checking the tool's line of it."""
    with Tracer(tool, "-v", *args, wrapper=wrapper) as t:
        t.wait_header()
        conn = ttlib.one_connection(server, client)
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert traced(t, pid, conn["sport"]), (t.lines, t.stderr_lines)
        assert t.stop() == 0, t.stderr
    return t


# tracefs ---------------------------------------------------------------------

TRACEFS_STATES = {
    "none": mounts.no_tracefs(),
    "tracing": mounts.tracefs_at(mounts.TRACEFS),
    "debugfs": mounts.tracefs_at(mounts.DEBUGFS + "/tracing"),
}


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("state", TRACEFS_STATES)
def test_tracefs(tool, state, server, client):
    """Without tracefs a tool that reads it mounts it for itself (and says
    so), and one that does not leaves it alone; with it, at either place, it
    is used as it is. It traces either way."""
    t = trace_one_connection(tool, server, client,
                             wrapper=mounts.private_mounts(TRACEFS_STATES[state]))
    assert mounts.says_it_mounted_tracefs(tool, t.stderr_lines) == \
        (state == "none" and mounts.reads_tracefs(tool)), t.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_tracefs_cannot_be_mounted(tool, server, client):
    """With CAP_BPF and CAP_PERFMON but not CAP_SYS_ADMIN, there is no
    mounting tracefs: one clear line, before anything is loaded, from a tool
    that needs it; a tool that does not traces as it is."""
    wrapper = mounts.private_mounts(mounts.no_tracefs()) + [
        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        "--inh-caps=+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon"]
    if not mounts.reads_tracefs(tool):
        path = ttlib.reachable_copy(tool, tempfile.mkdtemp(prefix="tt-states-"))
        with Tracer(tool, wrapper=wrapper, path=path) as t:
            t.wait_header()
            conn = ttlib.one_connection(server, client)
            assert traced(t, client.pid, conn["sport"]), t.lines
            assert t.stop() == 0, t.stderr
        return
    r = ttlib.run_tool(tool, wrapper=wrapper)
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        tool + ": tracefs is not mounted, and mounting it needs CAP_SYS_ADMIN "
        "(see CAPABILITIES in the man page)"]


# cgroup2 ---------------------------------------------------------------------

@pytest.mark.parametrize("where", ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"],
                         ids=["hybrid", "pure-v2"])
def test_cgroup_filter_where_cgroup2_is(where, server, fresh_cgroup, cgroup2_root):
    """--cgroup takes the directory wherever cgroup2 is mounted: at the hybrid
    path, or at the pure-v2 path with no cgroup v1 at all."""
    path, _ = fresh_cgroup
    in_namespace = os.path.join(where, os.path.relpath(path, cgroup2_root))
    listener = server.listen("127.0.0.1")
    with Peer("tt-inside") as inside, Peer("tt-outside") as outside:
        ttlib.move_to_cgroup(inside.pid, path)
        wrapper = mounts.private_mounts(mounts.cgroup2_at(where))
        with Tracer("tcpconnect", "--cgroup", in_namespace, wrapper=wrapper) as t:
            t.wait_header()
            c_out = outside.connect("127.0.0.1", listener["lport"])
            c_in = inside.connect("127.0.0.1", listener["lport"])
            assert traced(t, inside.pid, c_in["sport"]), (t.lines, t.stderr_lines)
            assert t.stop() == 0, t.stderr
    assert c_out["errno"] == 0
    assert {e[1] for e in t.events()} == {str(inside.pid)}, t.lines


def test_cgroup_without_cgroup2():
    """Where no cgroup2 is mounted, the hybrid path is an empty directory."""
    wrapper = mounts.private_mounts(mounts.cgroup2_at("/sys/fs/cgroup/unified"),
                                    mounts.no_cgroup2())
    r = ttlib.run_tool("tcpconnect", "--cgroup", "/sys/fs/cgroup/unified", wrapper=wrapper)
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpconnect: --cgroup: /sys/fs/cgroup/unified is not a cgroup v2 directory"]


# bpffs -----------------------------------------------------------------------
# The filter itself, with a map pinned in a bpffs of the tool's own, is
# test_options.py's test_cgroupmap_filter and test_mntnsmap_filter.

MISSING = mounts.BPFFS + "/tt-no-such-map"


@pytest.mark.parametrize("option", ["--cgroupmap", "--mntnsmap"])
def test_pinned_map_without_bpffs(option):
    r = ttlib.run_tool("tcpaccept", option, MISSING,
                       wrapper=mounts.private_mounts(mounts.no_bpffs()))
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpaccept: %s: %s: No such file or directory (no bpf filesystem is mounted at %s)"
        % (option, MISSING, mounts.BPFFS)]


def test_pinned_map_missing_from_bpffs():
    r = ttlib.run_tool("tcpconnect", "--cgroupmap", MISSING,
                       wrapper=mounts.private_mounts(mounts.bpffs_at()))
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpconnect: --cgroupmap: %s: No such file or directory" % MISSING]
