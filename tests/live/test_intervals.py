"""-c counts in the kernel, per interval with -i, against the other end's
own count: the client's connects, the server's accepts (peer.py)."""
import collections
import json
import re

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

HMS = re.compile(r"^\d\d:\d\d:\d\d$")
CONNECT_HEADER = ["LADDR", "RADDR", "RPORT", "CONNECTS"]


def blocks(lines, header):
    """The table -i prints: each interval's rows (split into cells) after
    its time line and its header, blocks apart by a blank line."""
    found, expect = [], "time"
    for line in lines:
        if expect == "time":
            assert HMS.match(line), lines
            found.append([])
            expect = "header"
        elif expect == "header":
            assert line.split() == header, lines
            expect = "row"
        elif line == "":
            expect = "time"
        else:
            found[-1].append(line.split())
    assert expect == "row", lines  # the last block is whole
    return found


def time_lines(tracer):
    return sum(1 for line in list(tracer.lines) if HMS.match(line))


def wait_for_next_block(tracer):
    """Waits for the time line of an interval that ends after now: one whose
    counts were taken after every attempt made so far."""
    shown = time_lines(tracer)
    count = [0]

    def newer(line):
        count[0] += HMS.match(line) is not None
        return count[0] > shown
    assert tracer.wait_for(newer), (tracer.lines, tracer.stderr_lines)
    return shown  # the block's index


def test_intervals_sum_to_the_attempts(server, client):
    """Each interval shows its own counts (the kernel's reset at each), and
    nothing is lost or counted twice: attempts made before an interval's
    time line was printed are in that block or an earlier one, the others
    after it, and the blocks add up to the client's connects."""
    listener = server.listen("127.0.0.1")
    port = listener["lport"]
    with Tracer("tcpconnect", "-c", "-i", "1", "-P", str(port)) as t:
        t.wait_stderr("counting in the kernel")
        made, last_block_of = 0, []
        for burst in (3, 1, 4):
            conns = [client.connect("127.0.0.1", port) for _ in range(burst)]
            assert all(c["errno"] == 0 for c in conns), conns
            made += burst
            last_block_of.append((wait_for_next_block(t), made))
        assert t.stop() == 0, t.stderr
    found = blocks(t.lines, CONNECT_HEADER)
    for rows in found:
        assert all(r[:3] == ["127.0.0.1", "127.0.0.1", str(port)] for r in rows), t.lines
    per_block = [sum(int(r[3]) for r in rows) for rows in found]
    assert sum(per_block) == made, t.lines
    for block, made_by_then in last_block_of:
        assert sum(per_block[:block + 1]) == made_by_then, (last_block_of, t.lines)


def test_duration_ends_the_intervals(server, client):
    """-i 1 -D 3: three blocks, the last at -D's end, however late the
    machine let the tool print the others; the attempts in them."""
    listener = server.listen("127.0.0.1")
    port = listener["lport"]
    with Tracer("tcpconnect", "-c", "-i", "1", "-D", "3", "-P", str(port)) as t:
        t.wait_stderr("counting in the kernel")
        conns = [client.connect("127.0.0.1", port) for _ in range(2)]
        t.proc.wait(timeout=120)
        assert t.stop() == 0, t.stderr
    assert all(c["errno"] == 0 for c in conns), conns
    found = blocks(t.lines, CONNECT_HEADER)
    assert len(found) == 3, t.lines
    assert sum(int(r[3]) for rows in found for r in rows) == 2, t.lines
    assert t.stderr_lines == ["Tracing; counting in the kernel until Ctrl-C, at most 3 s."]


HIST_ROW = re.compile(r"^ *(\d+) -> (\d+) +: (\d+) +\|(\**) *\|$")


def hist_blocks(lines):
    """--hist -i's table: per interval (after its time line), per result
    ("result = NAME" and BCC's usecs header), the slots' counts."""
    found, result = [], None
    for line in lines:
        if HMS.match(line):
            found.append(collections.Counter())
        elif line.startswith("result = "):
            result = line[len("result = "):]
        elif HIST_ROW.match(line):
            low, high, count, stars = HIST_ROW.match(line).groups()
            assert (int(low), int(high)) == (0, 1) or int(high) == 2 * int(low) - 1, line
            assert len(stars) <= 40, line
            found[-1][result] += int(count)
        else:
            assert line in ("", "     usecs               : count     distribution"), lines
    return found


def test_hist_intervals_sum_to_the_attempts(isolated_netns):
    """--hist -i 1: each interval's histograms hold the attempts made in it,
    none lost or counted twice (as -c's intervals, above). In a namespace of
    the test's own, where the port next to the listener's is closed."""
    with ttlib.Peer("tt-server", netns=isolated_netns) as server, \
         ttlib.Peer("tt-client", netns=isolated_netns) as client:
        hist_intervals(server, client)


def hist_intervals(server, client):
    listener = server.listen("127.0.0.1")
    port = listener["lport"]
    with Tracer("tcpconnect", "--hist", "-i", "1", "-p", str(client.pid)) as t:
        t.wait_stderr("counting latencies in the kernel")
        made, last_block_of = collections.Counter(), []
        for connected, refused in ((2, 1), (0, 2), (3, 0)):
            for _ in range(connected):
                assert client.connect("127.0.0.1", port)["error"] == ""
            for _ in range(refused):
                assert client.connect("127.0.0.1", port + 1)["error"] == "ECONNREFUSED"
            made.update(connected=connected, refused=refused)
            last_block_of.append((wait_for_next_block(t), +made))
        assert t.stop() == 0, t.stderr
    found = hist_blocks(t.lines)
    assert sum(found, collections.Counter()) == made, t.lines
    for block, made_by_then in last_block_of:
        assert sum(found[:block + 1], collections.Counter()) == made_by_then, t.lines


def test_tcpaccept_counts_per_client_and_port(server, client):
    """tcpaccept -c: a row per client address and listening port, with the
    server's own count of its accepts; -j -i: numbered intervals."""
    listeners = [server.listen("127.0.0.1"), server.listen("127.0.0.1"),
                 server.listen("::1", ip=6)]
    ports = ",".join(str(listener["lport"]) for listener in listeners)
    accepted = collections.Counter()
    with Tracer("tcpaccept", "-c", "-j", "-i", "1", "-P", ports) as t:
        t.wait_stderr("counting in the kernel")
        for listener, times in zip(listeners, (3, 1, 2)):
            for _ in range(times):
                client.connect(listener["laddr"], listener["lport"],
                               ip=6 if ":" in listener["laddr"] else 4)
                a = server.accept(listener)
                accepted[(a["raddr"], a["laddr"], a["lport"])] += 1
        assert t.stop() == 0, t.stderr
    rows = [json.loads(line) for line in t.lines]
    counted = collections.Counter()
    for r in rows:
        assert list(r) == ["time", "interval", "raddr", "laddr", "lport", "accepts"], r
        assert r["interval"] >= 1
        counted[(r["raddr"], r["laddr"], r["lport"])] += r["accepts"]
    assert counted == accepted, t.lines


def test_tcpaccept_counts_per_client_port(server, client):
    """tcpaccept -c -s: a row per client's port too (the connect's own
    source port), at the end, with no interval members."""
    listener = server.listen("127.0.0.1")
    with Tracer("tcpaccept", "-c", "-s", "-j", "-P", str(listener["lport"])) as t:
        t.wait_stderr("counting in the kernel")
        conns = [client.connect("127.0.0.1", listener["lport"]) for _ in range(2)]
        for _ in conns:
            server.accept(listener)
        assert t.stop() == 0, t.stderr
    rows = sorted(map(json.loads, t.lines), key=lambda r: r["rport"])
    assert rows == [{"raddr": "127.0.0.1", "laddr": "127.0.0.1", "rport": c["sport"],
                     "lport": listener["lport"], "accepts": 1}
                    for c in sorted(conns, key=lambda c: c["sport"])], t.lines
