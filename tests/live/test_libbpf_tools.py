"""libbpf-tools' spellings (-C, -M, -s), checked against the long forms and
against ground truth from the other end of each connection."""
import json
import os

import pytest

import ttlib
from ttlib import Peer, Tracer
import mounts
from test_options import connect_line

pytestmark = pytest.mark.live


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("spelling", ["-C", "--cgroupmap"])
def test_cgroupmap_spellings(tool, spelling, server, fresh_cgroup):
    path, _ = fresh_cgroup
    pinned = mounts.BPFFS + "/tt_cgroupset"
    wrapper = mounts.private_mounts(mounts.bpffs_at(),
                                    mounts.pinned_hash(pinned, 8, 8, [os.stat(path).st_ino]))
    with Peer("tt-inside") as inside, Peer("tt-outside") as outside:
        ttlib.move_to_cgroup(inside.pid, path)
        with Tracer(tool, spelling, pinned, wrapper=wrapper) as t:
            t.wait_header()
            for peer in (outside, inside):
                if tool == "tcpconnect":
                    listener = server.listen("127.0.0.1")
                    conn = peer.connect("127.0.0.1", listener["lport"])
                    server.accept(listener)
                else:
                    listener = peer.listen("127.0.0.1")
                    conn = server.connect("127.0.0.1", listener["lport"])
                    peer.accept(listener)
            # Column 4: tcpconnect's SPORT, tcpaccept's RPORT; the client's port either way.
            assert connect_line(t, conn, inside.pid, 4), t.lines
            t.stop()
        assert {e[1] for e in t.events()} == {str(inside.pid)}, t.lines


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("short,long", [("-M", "--mntnsmap"), ("-C", "--cgroupmap")])
def test_short_spellings_fail_like_the_long_ones(tool, short, long):
    wrong_kind = mounts.BPFFS + "/tt_array"
    wrapper = mounts.private_mounts(
        mounts.bpffs_at(), f"bpftool map create {wrong_kind} type array key 4 value 8"
                           " entries 16 name tt_array")
    for value in [mounts.BPFFS + "/tt-no-such-map", "/tmp", wrong_kind, 'a"b']:
        by_long = ttlib.run_tool(tool, long, value, wrapper=wrapper)
        by_short = ttlib.run_tool(tool, short, value, wrapper=wrapper)
        assert by_long.returncode != 0 and len(by_long.stderr.splitlines()) == 1, by_long
        assert (by_short.returncode, by_short.stderr) == (by_long.returncode, by_long.stderr)
    missing = ttlib.run_tool(tool, short)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == ["%s: option '%s' needs an argument (see --help)"
                                           % (tool, short)]


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_help_names_both_spellings(tool):
    text = ttlib.run_tool(tool, "--help").stdout
    assert "-C, --cgroupmap PATH" in text and "-M, --mntnsmap PATH" in text, text


@pytest.mark.parametrize("json_output", [False, True])
def test_count_per_source_port(server, client, json_output):
    """-c -s: two connects from two source ports are two rows; -c alone, one."""
    listener = server.listen("127.0.0.1")
    rows = {}
    for args in (["-c", "-s"], ["-c"]):
        argv = [*args, "-P", str(listener["lport"])] + (["-j"] if json_output else [])
        with Tracer("tcpconnect", *argv) as t:
            t.wait_stderr("counting in the kernel")
            sports = [client.connect("127.0.0.1", listener["lport"])["sport"] for _ in range(2)]
            for _ in sports:
                server.accept(listener)
            assert t.stop() == 0, t.stderr
        rows[args[-1]] = t.lines
        if args[-1] == "-s":
            counted = sports
    sports = counted
    assert sports[0] != sports[1]
    dport = listener["lport"]
    if json_output:
        per_port = sorted([json.loads(l) for l in rows["-s"]], key=lambda r: r["sport"])
        assert per_port == [
            {"saddr": "127.0.0.1", "daddr": "127.0.0.1", "sport": port, "dport": dport,
             "connects": 1} for port in sorted(sports)]
        assert [json.loads(l) for l in rows["-c"]] == [
            {"saddr": "127.0.0.1", "daddr": "127.0.0.1", "dport": dport, "connects": 2}]
    else:
        # libbpf-tools' columns: LADDR RADDR LPORT RPORT CONNECTS.
        assert rows["-s"][0] == "LADDR           RADDR           LPORT RPORT CONNECTS"
        assert sorted(rows["-s"][1:]) == sorted(
            "127.0.0.1       127.0.0.1       %-5d %-5d 1" % (port, dport) for port in sports)
        assert rows["-c"] == ["LADDR           RADDR           RPORT CONNECTS",
                              "127.0.0.1       127.0.0.1       %-5d 2" % dport]


def test_source_port_alone_changes_nothing(server, client):
    """-s without -c: libbpf-tools adds SPORT, which every line here has."""
    with Tracer("tcpconnect", "-s") as t:
        header = t.wait_header()
        conn = ttlib.one_connection(server, client)
        line = connect_line(t, conn, client.pid, 4)
        t.stop()
    assert header.split()[-4:] == ["SADDR", "SPORT", "DADDR", "DPORT"], header
    assert line, t.lines
