"""libbpf-tools' spellings (-C, -M, -s), checked against the long forms and
against ground truth from the other end of each connection."""
import os

import pytest

import ttlib
from ttlib import Peer, Tracer
from test_options import (bpffs, connect_line, fresh_cgroup, move_to_cgroup,  # noqa: F401
                          pinned_set)

pytestmark = pytest.mark.live


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("spelling", ["-C", "--cgroupmap"])
def test_cgroupmap_spellings(tool, spelling, server, fresh_cgroup, bpffs):
    path, _ = fresh_cgroup
    pinned = pinned_set(bpffs, "cgroupset", 8, os.stat(path).st_ino)
    with Peer("tt-inside") as inside, Peer("tt-outside") as outside:
        move_to_cgroup(inside.pid, path)
        with Tracer(tool, spelling, pinned) as t:
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
def test_short_spellings_fail_like_the_long_ones(tool, short, long, bpffs):
    wrong_kind = "/sys/fs/bpf/tt_array_%d" % os.getpid()
    bpffs.append(wrong_kind)
    ttlib.subprocess.run(["bpftool", "map", "create", wrong_kind, "type", "array", "key", "4",
                          "value", "8", "entries", "16", "name", "tt_array"], check=True)
    for value in ["/sys/fs/bpf/tt-no-such-map", "/tmp", wrong_kind, 'a"b']:
        by_long, by_short = ttlib.run_tool(tool, long, value), ttlib.run_tool(tool, short, value)
        assert by_long.returncode != 0 and len(by_long.stderr.splitlines()) == 1, by_long
        assert (by_short.returncode, by_short.stderr) == (by_long.returncode, by_long.stderr)
    missing = ttlib.run_tool(tool, short)
    assert missing.returncode != 0
    assert missing.stderr.splitlines() == ["%s: option '%s' needs an argument (see --help)"
                                           % (tool, short)]


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_help_names_both_spellings(tool):
    text = ttlib.run_tool(tool, "--help").stdout
    assert "-C, --cgroupmap PATH" in text and "-M, --mntnsmap PATH" in text, text
