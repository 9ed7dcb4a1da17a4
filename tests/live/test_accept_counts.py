"""tcpaccept -o's counts against the real kernel and both ends: -c -o counts
per listening port and result in the kernel (at the end, and per -i
interval), -o -i says each interval's listener drops (sock_diag), and
--metrics with -o gives tcptools_accepts_total its result label, read
through a real Prometheus. Each case runs in a network namespace of its
own; the ground truth is the server's accept()s and reads, the clients'
errnos, the listeners' queues and drops as ss shows them."""
import collections
import contextlib
import ctypes
import json
import os
import re

import pytest

import ttlib
from test_accept_outcome import in_ns, listener_drops, ns_counter, queued, refused_seen
from test_accept_outcome import syn_sent_ports
from test_intervals import blocks, wait_for_next_block
from test_metrics import promtool_check, scraped_exporter, settled
from ttlib import Tracer, kernel_reaches

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("init_off_our_cpu")]

COUNT_HEADER = ["RADDR", "LADDR", "LPORT", "ACCEPTS", "RESULT"]


class Scene:
    """Peers in namespace ns that make connections of each result on
    request, each counted as the other end saw it: made[(lport, result)]."""

    def __init__(self, ns):
        self.ns = ns
        self.inside = ("ip", "netns", "exec", ns)
        self.made = collections.Counter()
        self.server = ttlib.Peer("tt-server", netns=ns)
        self.resetter = ttlib.Peer("tt-reset", netns=ns)  # accepts what clients reset
        self.closer = ttlib.Peer("tt-closer", netns=ns)   # closes a listener with a queue
        self.client = ttlib.Peer("tt-client", netns=ns)
        self.orphan_client = ttlib.Peer("tt-orphan", netns=ns)
        self.accepting = self.server.listen("127.0.0.1", backlog=8)
        self.resetting = self.resetter.listen("127.0.0.1", backlog=8)
        self.closing = self.closer.listen("127.0.0.1", backlog=8)
        closed = self.client.request("listen", addr="127.0.0.1")  # a free port, then closed
        self.client.request("close_listener", id=closed["id"])
        self.closed_port = closed["lport"]

    def ports(self):
        return ",".join(str(p) for p in (self.accepting["lport"], self.resetting["lport"],
                                         self.closing["lport"], self.closed_port))

    def accepted(self, times):
        port = self.accepting["lport"]
        for _ in range(times):
            conn = self.client.connect("127.0.0.1", port)
            got = self.server.accept(self.accepting)
            assert (got["rport"], got["lport"]) == (conn["sport"], port), (conn, got)
            self.made[(port, "accepted")] += 1

    def refused(self, times):
        for _ in range(times):
            conn = self.client.connect("127.0.0.1", self.closed_port)
            assert conn["error"] == "ECONNREFUSED", conn
            if refused_seen():  # else the documented absence (tracepoints before 6.10)
                self.made[(self.closed_port, "refused")] += 1

    def reset(self, times):
        """The client resets its queued connection (SO_LINGER {1, 0}), then
        the server accepts it: its read gives ECONNRESET."""
        port = self.resetting["lport"]
        for _ in range(times):
            self.client.connect("127.0.0.1", port)
            resets = ns_counter(self.ns, "TcpEstabResets")
            self.client.request("reset_last")
            kernel_reaches(lambda: ns_counter(self.ns, "TcpEstabResets") >= resets + 2,
                           lambda: "the queued child was not reset")
            self.resetter.accept(self.resetting)
        reads = self.resetter.request("recv_each")["results"][-times:]
        assert [r["error"] for r in reads] == ["ECONNRESET"] * times, reads
        self.made[(port, "reset")] += times

    def orphaned(self, times):
        """Connections still queued when the server closes its listener: the
        kernel resets them, as the client's reads say."""
        port = self.closing["lport"]
        for _ in range(times):
            self.orphan_client.connect("127.0.0.1", port)
        kernel_reaches(lambda: queued(self.ns, port) == times,
                       lambda: "the listener's queue: %d" % queued(self.ns, port))
        self.closer.request("close_listener", id=self.closing["id"])
        reads = self.orphan_client.request("recv_each")["results"]
        assert [r["error"] for r in reads] == ["ECONNRESET"] * times, reads
        self.made[(port, "orphaned")] += times

    def pending(self):
        """One connection left in the accept queue when tracing stops."""
        port = self.accepting["lport"]
        self.client.connect("127.0.0.1", port)
        kernel_reaches(lambda: queued(self.ns, port) == 1,
                       lambda: "the connection is not queued")
        self.made[(port, "pending")] += 1

    def close(self):
        for peer in (self.server, self.resetter, self.closer, self.client, self.orphan_client):
            peer.close()


@pytest.fixture
def scene(isolated_netns):
    s = Scene(isolated_netns)
    try:
        yield s
    finally:
        s.close()


@pytest.mark.parametrize("per_client_port", [False, True])
def test_count_per_port_and_result(scene, per_client_port):
    """-c -o -j: a row per listening port (and addresses) and result, counted
    in the kernel at each outcome, the connection still queued at the end
    counted as pending; each count is what the ends saw. With -s, a row per
    client port too, the same counts in all."""
    args = ["-s"] if per_client_port else []
    with Tracer("tcpaccept", "-c", "-o", "-j", "-P", scene.ports(), *args,
                wrapper=scene.inside) as t:
        t.wait_stderr("counting in the kernel")
        scene.accepted(3)
        scene.refused(2)
        scene.reset(2)
        scene.orphaned(2)
        scene.pending()
        assert t.stop() == 0, t.stderr
    rows = [json.loads(line) for line in t.lines]
    counted = collections.Counter()
    keys = ["raddr", "laddr"] + (["rport"] if per_client_port else []) + \
        ["lport", "accepts", "result"]
    for r in rows:
        assert list(r) == keys, r
        assert (r["raddr"], r["laddr"]) == ("127.0.0.1", "127.0.0.1"), r
        counted[(r["lport"], r["result"])] += r["accepts"]
    assert counted == scene.made, (rows, scene.made)
    # One row per key: per port and result, or per connection with -s.
    assert len(rows) == (sum(scene.made.values()) if per_client_port else len(scene.made)), rows


def test_count_intervals_add_up(scene):
    """-c -o -i 1: each interval's rows carry RESULT; what was made before a
    block's time line is in it or an earlier one, and the blocks add up to
    what the ends saw (the pending connection in the last, at the stop)."""
    # In the namespace: the listener drops -i says are its own (none).
    with Tracer("tcpaccept", "-c", "-o", "-i", "1", "-P", scene.ports(),
                wrapper=scene.inside) as t:
        t.wait_stderr("counting in the kernel")
        last_block_of = []
        for step in (lambda: (scene.accepted(2), scene.refused(1)),
                     lambda: scene.reset(1),
                     lambda: (scene.orphaned(2), scene.accepted(1))):
            step()
            last_block_of.append((wait_for_next_block(t), +scene.made))
        scene.pending()
        assert t.stop() == 0, t.stderr
    found = []
    for rows in blocks(t.lines, COUNT_HEADER):
        block = collections.Counter()
        for r in rows:
            assert r[:2] == ["127.0.0.1", "127.0.0.1"], t.lines
            block[(int(r[2]), r[4])] += int(r[3])
        found.append(block)
    assert sum(found, collections.Counter()) == scene.made, t.lines
    for block, made_by_then in last_block_of:
        assert sum(found[:block + 1], collections.Counter()) == made_by_then, t.lines


@pytest.fixture
def full_queue(isolated_netns):
    """A listener that never accepts, listen(fd, 1), and a client, in the
    namespace without SYN cookies: (ns, server, client, its port)."""
    ns = isolated_netns
    in_ns(ns, "sysctl", "-q", "net.ipv4.tcp_syncookies=0")
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        yield ns, server, client, server.listen("127.0.0.1", backlog=1)["lport"]


DROPS_LINE = re.compile(r"^listener 127\.0\.0\.1:(\d+) of PID (\d+) \(tt-server\): (\d+) SYNs "
                        r"or ACKs dropped in this interval \(accept or SYN queue full\), "
                        r"queue 2/1$")
DROPS_AT_END = re.compile(r"^tcpaccept: listener 127\.0\.0\.1:(\d+) of PID (\d+) \(tt-server\): "
                          r"(\d+) SYNs or ACKs dropped while tracing ")


@pytest.mark.parametrize("json_lines", [False, True])
def test_interval_drops_add_up(full_queue, json_lines):
    """-o -i 1 on a full accept queue (listen(fd, 1), never accept()): each
    interval says the listener's drops in it, as a line or (-j) an object,
    one before the end; once the clients stop sending, the intervals add up
    to what ss -tlm shows grew, as the summary at the end does."""
    ns, server, client, port = full_queue
    before = listener_drops(ns, port)
    args = ["-o", "-i", "1", "-P", str(port)] + (["-j"] if json_lines else [])
    with Tracer("tcpaccept", *args, wrapper=("ip", "netns", "exec", ns)) as t:
        if json_lines:
            t.wait_stderr("Tracing")
        else:
            t.wait_header()
        for _ in range(3):
            client.connect("127.0.0.1", port, nonblocking=True)
        kernel_reaches(lambda: syn_sent_ports(ns, port) and listener_drops(ns, port) > before,
                       lambda: "no SYN dropped on the full queue")
        # An interval that ends while the client still retransmits says it.
        said = (lambda line: '"drops"' in line) if json_lines else DROPS_LINE.match
        assert t.wait_for(said), (t.lines, t.stderr)
        client.request("close")  # no more SYNs: the drops stop growing
        after = listener_drops(ns, port)
        assert t.stop() == 0, t.stderr
    assert listener_drops(ns, port) == after
    if json_lines:
        objects = [json.loads(line) for line in t.lines]
        rows = [o for o in objects if "drops" in o]
        for r in rows:
            assert list(r) == ["time", "interval", "laddr", "lport", "pid", "comm", "drops",
                               "backlog", "backlog_max", "netns"], r
        # The tool's (and the test's) namespace: the host's listeners are read too.
        rows = [r for r in rows if r["netns"] == os.stat("/run/netns/" + ns).st_ino]
        for r in rows:
            assert (r["laddr"], r["lport"], r["pid"], r["comm"], r["backlog"],
                    r["backlog_max"]) == ("127.0.0.1", port, server.pid, "tt-server", 2, 1), r
        per_interval = [(r["interval"], r["drops"]) for r in rows]
    else:
        per_interval = []
        interval = 0
        for line in t.lines:
            interval += re.match(r"^\d\d:\d\d:\d\d$", line) is not None
            found = DROPS_LINE.match(line)
            if found:
                assert (int(found.group(1)), int(found.group(2))) == (port, server.pid), line
                per_interval.append((interval, int(found.group(3))))
    intervals = [i for i, _ in per_interval]
    assert len(set(intervals)) == len(intervals), per_interval  # a listener once an interval
    assert sum(d for _, d in per_interval) == after - before, (per_interval, before, after)
    at_end = [DROPS_AT_END.match(line) for line in t.stderr_lines]
    at_end = [m for m in at_end if m]
    assert [int(m.group(3)) for m in at_end] == [after - before], t.stderr


# The scene's listeners have ports of the ephemeral range: each its own series.
EVERY_PORT = ("--metrics-ephemeral-ports", "none")
ACCEPT_RESULTS = ("accepted", "reset", "orphaned", "refused", "dropped", "cookie")


def test_metrics_result_label(scene):
    """tcpaccept -o --metrics: tcptools_accepts_total{family,port,result} by
    default, each of a port's results there at 0 once the port is, and the
    exact count of each result as the ends saw them, through Prometheus."""
    with scraped_exporter("tcpaccept", "-o", "-P", scene.ports(), *EVERY_PORT) as \
            (tracer, target, prom):
        assert prom.query("tcptools_accepts_total") == {}
        scene.accepted(1)
        settled(tracer, prom, "tcptools", target)
        port = str(scene.accepting["lport"])
        series = prom.query("tcptools_accepts_total")
        assert sorted((dict(s)["result"], v) for s, (_, v) in series.items()) == sorted(
            (r, 1.0 if r == "accepted" else 0.0) for r in ACCEPT_RESULTS), series
        assert {(dict(s)["family"], dict(s)["port"]) for s in series} == {("ipv4", port)}
        scene.accepted(2)
        scene.refused(2)
        scene.reset(3)
        scene.orphaned(2)
        text = settled(tracer, prom, "tcptools", target)
        promtool_check(text)
        assert "# HELP tcptools_accepts_total TCP connections to a listener by outcome" in text
        for (lport, result), made in scene.made.items():
            assert prom.value('tcptools_accepts_total{family="ipv4",port="%d",result="%s"}'
                              % (lport, result)) == made, (lport, result, text)
        assert prom.value("sum(tcptools_accepts_total)") == sum(scene.made.values())
        assert prom.value('up{job="tcptools"}') == 1
        assert prom.value("tcptools_lost_events_total") == 0
        assert tracer.stop() == 0, tracer.stderr


def test_metrics_without_the_result_label(scene):
    """-o with --metrics-labels family,port: accepts_total counts what it
    counts without -o, the connections accepted, not the refused ones; with
    result,family every result x family is there from the start."""
    with scraped_exporter("tcpaccept", "-o", "-P", scene.ports(), *EVERY_PORT,
                          "--metrics-labels", "family,port") as (tracer, target, prom):
        scene.accepted(2)
        scene.refused(1)
        text = settled(tracer, prom, "tcptools", target)
        promtool_check(text)
        assert prom.value('tcptools_accepts_total{port="%d"}' % scene.accepting["lport"]) == 2
        assert prom.value("sum(tcptools_accepts_total)") == 2
        assert tracer.stop() == 0, tracer.stderr
    with scraped_exporter("tcpaccept", "-o", "-P", scene.ports(),
                          "--metrics-labels", "result,family") as (tracer, target, prom):
        series = prom.query("tcptools_accepts_total")
        assert sorted((dict(s)["result"], dict(s)["family"]) for s in series) == sorted(
            (r, f) for r in ACCEPT_RESULTS for f in ("ipv4", "ipv6")), series
        assert all(v == 0 for _, v in series.values()), series
        assert tracer.stop() == 0, tracer.stderr


@contextlib.contextmanager
def in_netns(ns):
    """This process (its one thread) in network namespace ns, and what it
    starts: a tool, Prometheus and the test's own HTTP requests alike."""
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        assert libc.setns(target, clone_newnet) == 0, os.strerror(ctypes.get_errno())
        yield
    finally:
        assert libc.setns(own, clone_newnet) == 0, os.strerror(ctypes.get_errno())
        os.close(own)
        os.close(target)


def test_metrics_listen_drops(isolated_netns):
    """tcpaccept -o --metrics: tcptools_listen_drops_total of a listener
    whose queue is full (listen(fd, 1), never accept()) is what ss -tlm
    shows, read by Prometheus; all of it in the test's namespace, whose
    listeners the tool reads."""
    ns = isolated_netns
    in_ns(ns, "sysctl", "-q", "net.ipv4.tcp_syncookies=0")
    with in_netns(ns), ttlib.Peer("tt-server") as server, ttlib.Peer("tt-client") as client:
        listener = server.listen("127.0.0.1", backlog=1)
        port = listener["lport"]
        with scraped_exporter("tcpaccept", "-o", "-P", str(port)) as (tracer, target, prom):
            drops = 'tcptools_listen_drops_total{family="ipv4",port="%d"}' % port
            assert prom.value(drops) == 0
            for _ in range(3):
                client.connect("127.0.0.1", port, nonblocking=True)
            kernel_reaches(lambda: syn_sent_ports(ns, port) and listener_drops(ns, port) > 0,
                           lambda: "no SYN dropped on the full queue")
            client.request("close")  # no more SYNs: the drops stop growing
            after = listener_drops(ns, port)
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)
            assert prom.value(drops) == after, text
            assert listener_drops(ns, port) == after
            assert tracer.stop() == 0, tracer.stderr


@pytest.mark.valgrind
def test_memcheck_clean_interval_drops(full_queue):
    """-c -o -i 1 under valgrind memcheck, in the namespace, on a full
    queue: the listeners read at each interval (each reading kept for the
    next) and at the end, the count tables walked and emptied at each;
    no error or leak."""
    ns, _, client, port = full_queue
    with Tracer("tcpaccept", "-c", "-o", "-i", "1", "-P", str(port),
                wrapper=("ip", "netns", "exec", ns, *ttlib.VALGRIND)) as t:
        # compiling under valgrind is slow
        t.wait_stderr("counting in the kernel", timeout=300)
        for _ in range(3):
            client.connect("127.0.0.1", port, nonblocking=True)
        assert t.wait_for(DROPS_LINE.match, timeout=60), (t.lines, t.stderr)
        status = t.stop(timeout=120)
    # The two the queue holds, counted at the end as pending.
    assert [line.split() for line in t.lines if line.split()[-1:] == ["pending"]] == \
        [["127.0.0.1", "127.0.0.1", str(port), "2", "pending"]], t.lines
    ttlib.assert_memcheck_clean(t, status)
