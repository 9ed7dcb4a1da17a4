"""The options users bring from BCC and bpftrace, each run live and checked
against ground truth from the other end of the connection."""
import datetime
import json
import os
import time

import pytest

import mounts
import ttlib
from ttlib import Peer, Tracer

pytestmark = pytest.mark.live

NOBODY = 65534


def connect_line(tracer, conn, pid, sport_col):
    return tracer.wait_for(lambda line: str(pid) in line.split()
                           and line.split()[sport_col:sport_col + 1] == [str(conn["sport"])])


def rows(tracer, pid):
    return [e for e in tracer.events() if str(pid) in e]


# -t, -U, -L, -T -----------------------------------------------------------

def test_timestamp_and_uid_columns(server):
    listener = server.listen("127.0.0.1")
    with Peer("tt-nobody", user=NOBODY) as client:
        with Tracer("tcpconnect", "-t", "-U", "-L") as t:
            assert t.wait_header().split() == ["TIME(s)", "UID", "PID", "COMM", "SADDR",
                                               "SPORT", "DADDR", "DPORT"]
            started = time.monotonic()
            time.sleep(0.3)
            conn = client.connect("127.0.0.1", listener["lport"])
            assert connect_line(t, conn, client.pid, 5), t.lines
            elapsed = time.monotonic() - started
            t.stop()
        (line,) = [e for e in rows(t, client.pid) if e[5] == str(conn["sport"])]
    assert line[1:4] == [str(NOBODY), str(client.pid), "tt-nobody"]
    assert line[4:8] == ["127.0.0.1", str(conn["sport"]), "127.0.0.1", str(listener["lport"])]
    seconds = float(line[0])
    assert len(line[0].split(".")[1]) == 3
    assert 0.25 < seconds < elapsed + 5, (seconds, elapsed)


def test_tcpaccept_time_flags(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpaccept", "-T", "-U") as t:
        assert t.wait_header().split()[:3] == ["TIME", "UID", "PID"]
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        assert connect_line(t, conn, server.pid, 5), t.lines
        t.stop()
    (line,) = [e for e in rows(t, server.pid) if e[5] == str(conn["sport"])]
    assert line[0].count(":") == 2 and line[1] == "0"


# -u, -4, -6 -----------------------------------------------------------------

@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_uid_filter(tool):
    with Peer("tt-root") as root_peer, Peer("tt-nobody", user=NOBODY) as nobody:
        # tcpconnect sees who connects; tcpaccept who accepts.
        actor_root, actor_nobody = root_peer, nobody
        with Tracer(tool, "-u", str(NOBODY), "-U") as t:
            t.wait_header()
            conns = {}
            for actor, other in ((actor_root, nobody), (actor_nobody, root_peer)):
                if tool == "tcpconnect":
                    listener = other.listen("127.0.0.1")
                    conns[actor.pid] = actor.connect("127.0.0.1", listener["lport"])
                    other.accept(listener)
                else:
                    listener = actor.listen("127.0.0.1")
                    conns[actor.pid] = other.connect("127.0.0.1", listener["lport"])
                    actor.accept(listener)
            # With -U, the remote (tcpaccept) or source (tcpconnect) port is column 5.
            assert connect_line(t, conns[nobody.pid], nobody.pid, 5), t.lines
            t.stop()
    assert rows(t, nobody.pid) and not rows(t, root_peer.pid), t.lines
    assert all(e[1] == str(NOBODY) for e in t.events()), t.lines


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("family", ["-4", "-6"])
def test_family_filter(tool, family, server, client):
    l4 = server.listen("127.0.0.1")
    l6 = server.listen("::1", ip=6)
    with Tracer(tool, family) as t:
        t.wait_header()
        c4 = client.connect("127.0.0.1", l4["lport"])
        server.accept(l4)
        c6 = client.connect("::1", l6["lport"], ip=6)
        server.accept(l6)
        wanted = c4 if family == "-4" else c6
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert connect_line(t, wanted, pid, 4), t.lines
        t.stop()
    mine = rows(t, client.pid if tool == "tcpconnect" else server.pid)
    assert len(mine) == 1, t.lines
    addresses = [e[3] for e in t.events()]
    if family == "-4":
        assert all(":" not in a for a in addresses), t.lines
    else:
        assert all(":" in a for a in addresses), t.lines


def test_ipv4_and_ipv6_exclude_each_other():
    r = ttlib.run_tool("tcpconnect", "-4", "-6")
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["tcpconnect: -4 and -6 exclude each other"]


# -P ---------------------------------------------------------------------------

@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_port_filter_list(tool, server, client):
    """-P with two ports: a connection to each shows once, one to a third
    port not (tcpconnect's DPORT, tcpaccept's LPORT: the server's port)."""
    listeners = [server.listen("127.0.0.1") for _ in range(3)]
    ports = [l["lport"] for l in listeners]
    traced = client if tool == "tcpconnect" else server

    def lines_for(conn):
        """Both tools' columns 4-7: the client's address and port, then the
        server's (by both ends' ports: other tests' storms reuse client ports)."""
        want = [str(traced.pid), conn["saddr"], str(conn["sport"]), conn["daddr"],
                str(conn["dport"])]
        return [e for e in t.events() if e[1:2] + e[3:7] == want]

    with Tracer(tool, "-P", "%d,%d" % (ports[0], ports[1])) as t:
        t.wait_header()
        skipped, first, second = (client.connect("127.0.0.1", ports[i]) for i in (2, 0, 1))
        for i in (2, 0, 1):
            server.accept(listeners[i])
        for conn in (first, second):
            assert t.wait_for(lambda line: lines_for(conn)), t.lines
        t.stop()
    assert len(lines_for(first)) == 1 and len(lines_for(second)) == 1, t.lines
    assert not lines_for(skipped), t.lines
    assert all(int(e[6]) in ports[:2] for e in t.events()), t.lines


# --cgroup, --cgroupmap, --mntnsmap ------------------------------------------

def test_cgroup_filter_with_descendants(server, fresh_cgroup):
    path, child = fresh_cgroup
    listener = server.listen("127.0.0.1")
    with Peer("tt-inside") as inside, Peer("tt-below") as below, Peer("tt-outside") as outside:
        ttlib.move_to_cgroup(inside.pid, path)
        ttlib.move_to_cgroup(below.pid, child)
        with Tracer("tcpconnect", "--cgroup", path) as t:
            t.wait_header()
            c_out = outside.connect("127.0.0.1", listener["lport"])
            c_in = inside.connect("127.0.0.1", listener["lport"])
            c_below = below.connect("127.0.0.1", listener["lport"])
            assert connect_line(t, c_below, below.pid, 4), t.lines
            assert connect_line(t, c_in, inside.pid, 4), t.lines
            t.stop()
        assert not rows(t, outside.pid), t.lines
        assert {e[1] for e in t.events()} == {str(inside.pid), str(below.pid)}, t.lines
        assert c_out["errno"] == 0


def test_cgroup_not_a_cgroup():
    r = ttlib.run_tool("tcpconnect", "--cgroup", "/tmp")
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["tcpconnect: --cgroup: /tmp is not a cgroup v2 directory"]


# Each pinned map lives in a bpffs of the tool's own namespace (tests/live/mounts.py).
PINNED = mounts.BPFFS + "/tt_set"


def test_cgroupmap_filter(server, fresh_cgroup):
    path, _ = fresh_cgroup
    cgroup_id = os.stat(path).st_ino  # a cgroup v2 directory's inode is its id
    listener = server.listen("127.0.0.1")
    with Peer("tt-inside") as inside, Peer("tt-outside") as outside:
        ttlib.move_to_cgroup(inside.pid, path)
        wrapper = mounts.private_mounts(mounts.bpffs_at(),
                                        mounts.pinned_hash(PINNED, 8, 8, [cgroup_id]))
        with Tracer("tcpconnect", "--cgroupmap", PINNED, wrapper=wrapper) as t:
            t.wait_header()
            outside.connect("127.0.0.1", listener["lport"])
            c_in = inside.connect("127.0.0.1", listener["lport"])
            assert connect_line(t, c_in, inside.pid, 4), t.lines
            t.stop()
        assert {e[1] for e in t.events()} == {str(inside.pid)}, t.lines


def test_mntnsmap_filter(server):
    listener = server.listen("127.0.0.1")
    with Peer("tt-inside", wrapper=["unshare", "-m"]) as inside, Peer("tt-outside") as outside:
        mntns = os.stat("/proc/%d/ns/mnt" % inside.pid).st_ino
        assert mntns != os.stat("/proc/self/ns/mnt").st_ino
        wrapper = mounts.private_mounts(mounts.bpffs_at(),
                                        mounts.pinned_hash(PINNED, 8, 4, [mntns]))
        with Tracer("tcpaccept", "--mntnsmap", PINNED, wrapper=wrapper) as t:
            t.wait_header()
            l_in = inside.listen("127.0.0.1")
            outside.connect("127.0.0.1", listener["lport"])
            server.accept(listener)
            c_in = outside.connect("127.0.0.1", l_in["lport"])
            inside.accept(l_in)
            assert connect_line(t, c_in, inside.pid, 4), t.lines
            t.stop()
        assert {e[1] for e in t.events()} == {str(inside.pid)}, t.lines


# -c ---------------------------------------------------------------------------

@pytest.mark.parametrize("json_output", [False, True])
def test_count(server, client, json_output):
    l_many, l_few = server.listen("127.0.0.1"), server.listen("127.0.0.1")
    args = ["-c", "-P", "%d,%d" % (l_many["lport"], l_few["lport"])]
    with Tracer("tcpconnect", *args, *(["-j"] if json_output else [])) as t:
        t.wait_stderr("counting in the kernel")
        for _ in range(7):
            client.connect("127.0.0.1", l_many["lport"])
        for _ in range(3):
            client.connect("127.0.0.1", l_few["lport"])
        client.request("close")
        assert t.stop() == 0, t.stderr
    if json_output:
        flows = [json.loads(line) for line in t.lines]
        assert flows == [
            {"saddr": "127.0.0.1", "daddr": "127.0.0.1", "dport": l_many["lport"],
             "connects": 7},
            {"saddr": "127.0.0.1", "daddr": "127.0.0.1", "dport": l_few["lport"],
             "connects": 3}]
    else:
        assert t.lines == [
            "LADDR           RADDR           RPORT CONNECTS",
            "127.0.0.1       127.0.0.1       %-5d 7" % l_many["lport"],
            "127.0.0.1       127.0.0.1       %-5d 3" % l_few["lport"]]


# -j and hostile names ----------------------------------------------------------

HOSTILE = b'a"b\\c\nd\x1b[2J\xff\t'


def check_json_time(value):
    parsed = datetime.datetime.fromisoformat(value)
    assert parsed.tzinfo is not None and len(value.split(".")[1]) == 3 + 6
    assert abs((datetime.datetime.now(datetime.timezone.utc) - parsed).total_seconds()) < 60


def test_json_tcpconnect(server):
    l4, l6 = server.listen("127.0.0.1"), server.listen("::1", ip=6)
    with Peer(HOSTILE) as client:
        with Tracer("tcpconnect", "-j", "-p", str(client.pid)) as t:
            t.wait_stderr("JSON lines on stdout")
            c4 = client.connect("127.0.0.1", l4["lport"])
            c6 = client.connect("::1", l6["lport"], ip=6)
            assert t.wait_for(lambda line: str(c6["sport"]) in line, timeout=30), t.lines
            t.stop()
    objects = [json.loads(line) for line in t.lines]  # every line parses on its own
    assert len(objects) == 2, t.lines
    objects.sort(key=lambda obj: obj["ip"])  # per-CPU buffers: no order promised
    for obj, conn, ip in zip(objects, (c4, c6), (4, 6)):
        check_json_time(obj.pop("time"))
        assert obj == {"pid": client.pid, "uid": 0, "comm": 'a"b\\c\nd\x1b[2J\ufffd\t',
                       "ip": ip, "saddr": conn["saddr"], "sport": conn["sport"],
                       "daddr": conn["daddr"], "dport": conn["dport"]}


def test_json_tcpaccept(client):
    with Peer(HOSTILE) as server:
        listener = server.listen("::1", ip=6, backlog=5)
        with Tracer("tcpaccept", "-j", "-p", str(server.pid)) as t:
            t.wait_stderr("JSON lines on stdout")
            conns = [client.connect("::1", listener["lport"], ip=6) for _ in range(2)]
            accepted = [server.accept(listener) for _ in range(2)]
            assert t.wait_for(lambda line: str(conns[1]["sport"]) in line, timeout=30), t.lines
            t.stop()
    by_port = {json.loads(line)["rport"]: json.loads(line) for line in t.lines}
    assert len(by_port) == 2 and len(t.lines) == 2, t.lines
    for conn, acc, backlog in zip(conns, accepted, (1, 0)):
        obj = by_port[acc["rport"]]
        check_json_time(obj.pop("time"))
        assert obj == {"pid": server.pid, "uid": 0, "comm": 'a"b\\c\nd\x1b[2J\ufffd\t',
                       "ip": 6, "raddr": acc["raddr"], "rport": acc["rport"],
                       "laddr": acc["laddr"], "lport": acc["lport"], "backlog": backlog,
                       "backlog_max": 5}
        assert (acc["raddr"], acc["rport"]) == (conn["saddr"], conn["sport"])


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_text_output_defuses_hostile_comm(tool, client):
    with Peer(HOSTILE) as hostile:
        listener = (hostile if tool == "tcpaccept" else client).listen("127.0.0.1")
        with Tracer(tool, "-p", str(hostile.pid)) as t:
            t.wait_header()
            actor_conn = (client if tool == "tcpaccept" else hostile).connect(
                "127.0.0.1", listener["lport"])
            (hostile if tool == "tcpaccept" else client).accept(listener)
            assert t.wait_for(lambda line: str(actor_conn["sport"]) in line), t.lines
            t.stop()
    raw = "\n".join(t.lines)
    assert "\x1b" not in raw and "\t" not in raw
    (line,) = t.lines[1:]
    # One line: the newline in the name did not break it; controls became '?'.
    assert line.split()[2] == 'a"b\\c?d?[2J??', line  # 0xff is not UTF-8


def test_pinned_map_of_the_wrong_kind():
    path = mounts.BPFFS + "/tt_array"
    wrapper = mounts.private_mounts(
        mounts.bpffs_at(),
        f"bpftool map create {path} type array key 4 value 8 entries 16 name tt_array")
    r = ttlib.run_tool("tcpconnect", "--cgroupmap", path, wrapper=wrapper)
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpconnect: --cgroupmap: %s must be a hash map with 8-byte keys and 8-byte values"
        % path]
    r = ttlib.run_tool("tcpaccept", "--mntnsmap", "/tmp")
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpaccept: --mntnsmap: /tmp is not a pinned BPF map (not on a bpf filesystem)"]
