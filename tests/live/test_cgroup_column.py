"""-G: the cgroup v2 path behind every line, checked against the kernel's own
answer for the process (/proc/PID/cgroup) and the directory's inode (its id)."""
import json
import os
import signal
import tempfile

import pytest

import harness
import mounts
import ttlib
from ttlib import Peer, Tracer
from ttlib import move_to_cgroup

pytestmark = pytest.mark.live

CGROUP_WIDTH = 32

_mount = []


@pytest.fixture(autouse=True)
def _cgroup2_mount(cgroup2_root):
    """conftest's own cgroup2 mount: the same hierarchy wherever (or whether)
    the machine mounts it, so paths relative to it are the tools' paths."""
    _mount[:] = [cgroup2_root]


def cgroup2_root():
    return _mount[0]


def cgroup_of(pid):
    """The process's cgroup v2 path, as the kernel says it (relative to the mount)."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    raise AssertionError("no cgroup v2 line for %d" % pid)


def relative(path):
    return "/" + os.path.relpath(path, cgroup2_root()) if path != cgroup2_root() else "/"


class Cgroups:
    """cgroup v2 directories made by a test, emptied and removed after it."""

    def __init__(self):
        self.made = []

    def make(self, *names):
        path = os.path.join(cgroup2_root(), *names)
        os.makedirs(path)
        for depth in range(len(names), 0, -1):
            d = os.path.join(cgroup2_root(), *names[:depth])
            if d not in self.made:
                self.made.append(d)
        return path

    def remove(self, path):
        with open(os.path.join(path, "cgroup.procs")) as procs:
            for pid in procs.read().split():
                move_to_cgroup(int(pid), cgroup2_root())
        os.rmdir(path)
        self.made.remove(path)

    def remove_all(self):
        # Deepest first: a child before its parent.
        for path in sorted(self.made, key=len, reverse=True):
            if os.path.isdir(path):
                self.remove(path)


@pytest.fixture
def cgroups():
    made = Cgroups()
    try:
        yield made
    finally:
        made.remove_all()


def json_events(tracer):
    return [json.loads(line) for line in tracer.lines]


def event_of(tracer, pid, sport_key, sport):
    return tracer.wait_for(lambda line: json.loads(line)["pid"] == pid
                           and json.loads(line)[sport_key] == sport)


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_nested_and_root_paths(tool, cgroups):
    """The traced task's cgroup: nested, and the root as "/"; id = the inode."""
    nested = cgroups.make("tt-g-%d" % os.getpid(), "svc.slice", "app.service")
    with Peer("tt-nested") as inside, Peer("tt-root") as outside, Peer("tt-other") as other:
        move_to_cgroup(inside.pid, nested)
        move_to_cgroup(outside.pid, cgroup2_root())
        truth = cgroup_of(inside.pid)
        assert truth == relative(nested)
        assert cgroup_of(outside.pid) == "/"
        with Tracer(tool, "-G", "-j") as t:
            t.wait_stderr("JSON lines")
            seen = []
            for traced in (inside, outside):
                if tool == "tcpconnect":
                    listener = other.listen("127.0.0.1")
                    conn = traced.connect("127.0.0.1", listener["lport"])
                    other.accept(listener)
                    line = event_of(t, traced.pid, "sport", conn["sport"])
                else:
                    listener = traced.listen("127.0.0.1")
                    conn = other.connect("127.0.0.1", listener["lport"])
                    traced.accept(listener)
                    line = event_of(t, traced.pid, "rport", conn["sport"])
                assert line, t.lines
                seen.append(json.loads(line))
            t.stop()
    assert seen[0]["cgroup"] == truth
    assert seen[0]["cgroup_id"] == os.stat(nested).st_ino
    assert seen[1]["cgroup"] == "/" and seen[1]["cgroup_id"] == os.stat(cgroup2_root()).st_ino
    assert list(seen[0])[-2:] == ["cgroup", "cgroup_id"], seen[0]


def line_from_cgroup(tool, path, traced, server, client):
    """tool -G's header, and its line for a connection made with traced (the
    server or the client) moved to cgroup path."""
    move_to_cgroup(traced.pid, path)
    with Tracer(tool, "-G") as t:
        header = t.wait_header()
        conn = ttlib.one_connection(server, client)
        line = t.wait_for(lambda l: str(traced.pid) in l.split() and str(conn["sport"]) in l)
        t.stop()
    assert line, t.lines
    return header, line


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_text_column_keeps_the_last_component(tool, cgroups, server, client):
    """The table's CGROUP: short paths whole, long ones "..." and their tail."""
    long_leaf = "cri-containerd-%s.scope" % ("0123456789abcdef" * 4)  # as Kubernetes names them
    nested = cgroups.make("tt-g-%d" % os.getpid(), "kubepods.slice", long_leaf)
    traced = client if tool == "tcpconnect" else server
    header, line = line_from_cgroup(tool, nested, traced, server, client)
    assert header.split()[-1] == "CGROUP", header
    cell = line.split()[-1]
    want = relative(nested)
    assert len(want) > CGROUP_WIDTH
    # Cut to the width, but never into the last component.
    assert cell == ".../" + long_leaf, (header, line)
    middle = cgroups.make("tt-g-%d" % os.getpid(), "kubepods-burstable.slice", "pod42.slice")
    header, line = line_from_cgroup(tool, middle, traced, server, client)
    want = relative(middle)
    assert len(want) > CGROUP_WIDTH
    assert line.split()[-1] == "..." + want[-(CGROUP_WIDTH - 3):], line
    assert len(line) - line.index("...") == CGROUP_WIDTH
    assert line.index("...") == header.index("CGROUP"), (header, line)  # lined up


def test_hostile_cgroup_names(cgroups, server, client):
    """A cgroup named with escapes, quotes and bytes that are not UTF-8."""
    name = b'tt-\x1b[2J"q\\b\t\xff'
    root = os.fsencode(cgroup2_root())
    path = os.path.join(root, b"tt-g-%d" % os.getpid(), name)
    cgroups.make(os.fsdecode(os.path.basename(os.path.dirname(path))), os.fsdecode(name))
    move_to_cgroup(client.pid, os.fsdecode(path))
    conns = []
    with Tracer("tcpconnect", "-G") as text, Tracer("tcpconnect", "-G", "-j") as js:
        text.wait_header()
        js.wait_stderr("JSON lines")
        conns.append(ttlib.one_connection(server, client))
        for t in (text, js):
            assert t.wait_for(lambda l: str(conns[0]["sport"]) in l), t.lines
            t.stop()
    raw = "\n".join(text.lines)
    assert "\x1b" not in raw and "\t" not in raw, raw
    (line,) = [l for l in text.lines if str(conns[0]["sport"]) in l]
    assert line.split()[-1] == ("/tt-g-%d/tt-?[2J\"q\\b??" % os.getpid()), line
    (event,) = [e for e in json_events(js) if e["sport"] == conns[0]["sport"]]
    assert event["cgroup"] == "/tt-g-%d/tt-\x1b[2J\"q\\b\t\ufffd" % os.getpid()


def test_removed_cgroup_shows_its_id(cgroups, server, client):
    """Counts are named when tracing stops: by then this cgroup is gone."""
    listener = server.listen("127.0.0.1")
    for json_output in (False, True):
        gone = cgroups.make("tt-g-%d" % os.getpid(), "short-lived")
        gone_id = os.stat(gone).st_ino
        with Peer("tt-brief") as brief:
            move_to_cgroup(brief.pid, gone)
            args = ["-c", "-G", "-P", str(listener["lport"])] + (["-j"] if json_output else [])
            with Tracer("tcpconnect", *args) as t:
                t.wait_stderr("counting in the kernel")
                brief.connect("127.0.0.1", listener["lport"])
                client.connect("127.0.0.1", listener["lport"])
                cgroups.remove(gone)
                assert t.stop() == 0, t.stderr
        if json_output:
            rows = {r["cgroup_id"]: r for r in json_events(t)}
            assert rows[gone_id]["cgroup"] is None and rows[gone_id]["connects"] == 1, rows
            assert rows[os.stat(cgroup2_root()).st_ino]["cgroup"] == cgroup_of(client.pid)
        else:
            assert t.lines[0].split() == ["LADDR", "RADDR", "RPORT", "CONNECTS", "CGROUP"]
            cells = sorted(l.split()[-1] for l in t.lines[1:])
            assert cells == sorted([str(gone_id), cgroup_of(client.pid)]), t.lines


def test_counts_per_flow_and_cgroup(cgroups, server):
    """-c -G: the same flow from two cgroups is two rows."""
    a = cgroups.make("tt-g-%d" % os.getpid(), "a")
    b = cgroups.make("tt-g-%d" % os.getpid(), "b")
    listener = server.listen("127.0.0.1")
    with Peer("tt-a") as in_a, Peer("tt-b") as in_b:
        move_to_cgroup(in_a.pid, a)
        move_to_cgroup(in_b.pid, b)
        with Tracer("tcpconnect", "-c", "-G", "-j", "-P", str(listener["lport"])) as t:
            t.wait_stderr("counting in the kernel")
            for _ in range(3):
                in_a.connect("127.0.0.1", listener["lport"])
            for _ in range(2):
                in_b.connect("127.0.0.1", listener["lport"])
            assert t.stop() == 0, t.stderr
    rows = json_events(t)
    assert [(r["cgroup"], r["cgroup_id"], r["connects"]) for r in rows] == [
        (relative(a), os.stat(a).st_ino, 3), (relative(b), os.stat(b).st_ino, 2)], rows
    assert {(r["saddr"], r["daddr"], r["dport"]) for r in rows} == {
        ("127.0.0.1", "127.0.0.1", listener["lport"])}


def test_with_the_cgroup_filter(cgroups, server, client):
    """--cgroup DIR -G: only DIR and below, each line with its own path."""
    top = cgroups.make("tt-g-%d" % os.getpid())
    below = cgroups.make("tt-g-%d" % os.getpid(), "below")
    with Peer("tt-top") as in_top, Peer("tt-below") as in_below:
        move_to_cgroup(in_top.pid, top)
        move_to_cgroup(in_below.pid, below)
        with Tracer("tcpconnect", "--cgroup", top, "-G", "-j") as t:
            t.wait_stderr("JSON lines")
            listener = server.listen("127.0.0.1")
            outside = client.connect("127.0.0.1", listener["lport"])
            c_top = in_top.connect("127.0.0.1", listener["lport"])
            c_below = in_below.connect("127.0.0.1", listener["lport"])
            assert event_of(t, in_below.pid, "sport", c_below["sport"]), t.lines
            assert event_of(t, in_top.pid, "sport", c_top["sport"]), t.lines
            t.stop()
    got = {e["sport"]: e["cgroup"] for e in json_events(t)}
    assert got == {c_top["sport"]: relative(top), c_below["sport"]: relative(below)}, got
    assert outside["sport"] not in got


def client_event_in(wrapper, server, client):
    """tcpconnect -G -j run under wrapper (a mount namespace's): its line
    for a connection of the client's."""
    with Tracer("tcpconnect", "-G", "-j", wrapper=wrapper) as t:
        t.wait_stderr("JSON lines")
        conn = ttlib.one_connection(server, client)
        line = event_of(t, client.pid, "sport", conn["sport"])
        t.stop()
    assert line, (t.lines, t.stderr)
    return line


def test_no_cgroup2_mounted(cgroups, server, client):
    """Where the tool sees no cgroup2 mount, it uses a private one."""
    nested = cgroups.make("tt-g-%d" % os.getpid(), "unmounted")
    move_to_cgroup(client.pid, nested)
    line = client_event_in(mounts.private_mounts(mounts.no_cgroup2()), server, client)
    assert json.loads(line)["cgroup"] == relative(nested) == cgroup_of(client.pid)


@pytest.mark.parametrize("where", ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"],
                         ids=["hybrid", "pure-v2"])
def test_paths_wherever_cgroup2_is(where, cgroups, server, client):
    """The same relative path whether the cgroup2 mount is at the hybrid
    path or is /sys/fs/cgroup itself (no cgroup v1 at all)."""
    nested = cgroups.make("tt-g-%d" % os.getpid(), "where.slice", "app.service")
    move_to_cgroup(client.pid, nested)
    line = client_event_in(mounts.private_mounts(mounts.cgroup2_at(where)), server, client)
    event = json.loads(line)
    assert event["cgroup"] == relative(nested) == cgroup_of(client.pid), line
    assert event["cgroup_id"] == os.stat(nested).st_ino, line


def test_one_lookup_per_cgroup(cgroups, server):
    """Many events, two cgroups: two lookups (strace counts them)."""
    a = cgroups.make("tt-g-%d" % os.getpid(), "a")
    b = cgroups.make("tt-g-%d" % os.getpid(), "b")
    listener = server.listen("127.0.0.1")
    with tempfile.NamedTemporaryFile(mode="r") as trace, \
            Peer("tt-a") as in_a, Peer("tt-b") as in_b:
        move_to_cgroup(in_a.pid, a)
        move_to_cgroup(in_b.pid, b)
        wrapper = ["strace", "-f", "-qq", "-e", "trace=open_by_handle_at", "-o", trace.name]
        with Tracer("tcpconnect", "-G", "-P", str(listener["lport"]), wrapper=wrapper,
                    env=ttlib.UNDER_STRACE_ENV) as t:
            t.wait_header()
            last = None
            for i in range(40):
                last = (in_a if i % 2 else in_b).connect("127.0.0.1", listener["lport"])
            assert t.wait_for(lambda l: str(last["sport"]) in l), t.lines
            # strace detaches on SIGINT: the tool itself is told to stop.
            with open("/proc/%d/task/%d/children" % (t.proc.pid, t.proc.pid)) as f:
                (tool_pid,) = [int(p) for p in f.read().split()]
            os.kill(tool_pid, signal.SIGINT)
            assert t.proc.wait(timeout=30) == 0, t.stop()
        calls = [l for l in trace if "open_by_handle_at(" in l]
    assert len(t.events()) == 40, t.lines
    assert {e[-1] for e in t.events()} == {relative(a), relative(b)}
    # One per cgroup, after the start's check that cgroups open by handle at
    # all (the root's, f_handle 1: a missing CAP_DAC_READ_SEARCH is named then).
    assert len(calls) == 3, calls
    assert 'f_handle="\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00"' in calls[0], calls


def short_lived_cgroups(cgroups, peer, server, listener, count):
    """count cgroups, each made, entered, connected from, left and removed:
    {source port: (path, id)}."""
    made = {}
    parent = "tt-g-%d" % os.getpid()
    for i in range(count):
        path = cgroups.make(parent, "storm-%d" % i)
        cgroup_id = os.stat(path).st_ino
        move_to_cgroup(peer.pid, path)
        conn = peer.connect("127.0.0.1", listener["lport"])
        server.accept(listener)  # the accept queue holds no more than its backlog
        if i % 50 == 49:
            peer.request("close")
            server.request("close")
        move_to_cgroup(peer.pid, cgroup2_root())
        cgroups.remove(path)
        made[conn["sport"]] = (relative(path), cgroup_id)
    return made


def check_storm_lines(events, made):
    """events: (source port, CGROUP cell or "cgroup", "cgroup_id") of the peer's lines."""
    assert {sport for sport, _, _ in events} == set(made)
    for sport, cell, cgroup_id in events:
        path, made_id = made[sport]
        assert cgroup_id in (made_id, None), (sport, cell, cgroup_id)
        # The id instead: the cgroup was gone before it was named.
        assert cell in (path, None if cgroup_id else str(made_id)), (sport, cell, cgroup_id)


def test_short_lived_cgroups_storm(cgroups, server):
    """Cgroups made and removed as fast as they come, under a connection storm."""
    listener = server.listen("127.0.0.1")
    with Peer("tt-storm") as peer:
        with Tracer("tcpconnect", "-G", "-j") as t:
            t.wait_stderr("JSON lines")
            load = harness.Storm(ttlib.tool_path("storm"), 20000)
            made = short_lived_cgroups(cgroups, peer, server, listener, 300)
            storm_pid = load.finish()["pid"]
            last = max(made)
            assert t.wait_for(lambda l: json.loads(l)["sport"] == last), t.lines[-3:]
            assert t.stop() == 0, t.stderr
    events = json_events(t)
    check_storm_lines([(e["sport"], e["cgroup"], e["cgroup_id"]) for e in events
                       if e["pid"] == peer.pid], made)
    assert {e["cgroup"] for e in events if e["pid"] == storm_pid} == {"/"}
    assert "lost" not in t.stderr, t.stderr


@pytest.mark.valgrind
def test_short_lived_cgroups_under_valgrind(cgroups, server):
    """The churn again, past what the cache holds of a slot, under memcheck."""
    suppressions = os.path.join(ttlib.REPO, "tests", "valgrind", "libbpf.supp")
    wrapper = ["valgrind", "--suppressions=" + suppressions, "--error-exitcode=99",
               "--leak-check=full", "--errors-for-leak-kinds=definite",
               "--show-leak-kinds=definite"]
    listener = server.listen("127.0.0.1")
    with Peer("tt-churn") as peer:
        with Tracer("tcpconnect", "-G", "-P", str(listener["lport"]), wrapper=wrapper) as t:
            t.wait_header(timeout=300)  # compiling under valgrind is slow
            made = short_lived_cgroups(cgroups, peer, server, listener, 200)
            last = str(max(made))
            assert t.wait_for(lambda l: l.split()[4:5] == [last], timeout=120), t.lines[-3:]
            status = t.stop(timeout=120)
    assert "ERROR SUMMARY: 0 errors" in t.stderr, t.stderr[-3000:]
    assert "definitely lost: 0 bytes" in t.stderr or "no leaks are possible" in t.stderr
    assert status == 0, t.stderr[-3000:]
    check_storm_lines([(int(e[4]), e[-1], None) for e in t.events()], made)
