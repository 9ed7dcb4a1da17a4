"""tcpaccept against the real kernel, checked against both ends: the client's
getsockname() and the server's accept(), listener and backlog."""
import json
import os
import subprocess

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

HEADER = ["TIME", "PID", "COMM", "RADDR", "RPORT", "LADDR", "LPORT", "BL"]


def columns(pid, comm, conn):
    """The columns after TIME for an accept by pid of conn (the client's view)."""
    return [str(pid), comm, conn["saddr"], str(conn["sport"]), conn["daddr"], str(conn["dport"])]


def expected(server, accepted, conn):
    """The columns after TIME for an accept, from both ends' own view."""
    assert (accepted["raddr"], accepted["rport"]) == (conn["saddr"], conn["sport"])
    assert (accepted["laddr"], accepted["lport"]) == (conn["daddr"], conn["dport"])
    return columns(server.pid, server.comm, conn)


def is_line_for(fields, conn):
    """By both ends' ports: other tests' connection storms reuse client ports."""
    return fields[3:7] == [conn["saddr"], str(conn["sport"]), conn["daddr"], str(conn["dport"])]


def lines_for(tracer, conn):
    return [e for e in tracer.events() if is_line_for(e, conn)]


def wait_line(tracer, conn):
    return tracer.wait_for(lambda line: is_line_for(line.split(), conn))


def test_backlog_sequence_ipv4(server, client):
    listener = server.listen("127.0.0.1", backlog=7)
    with Tracer("tcpaccept") as t:
        assert t.wait_header().split() == HEADER
        conns = [client.connect("127.0.0.1", listener["lport"]) for _ in range(3)]
        accepted = [server.accept(listener) for _ in range(3)]
        assert wait_line(t, conns[-1]), t.lines
        assert t.stop() == 0, t.stderr
    for conn, acc, backlog in zip(conns, accepted, ["2/7", "1/7", "0/7"]):
        lines = lines_for(t, conn)
        assert len(lines) == 1, t.lines
        assert lines[0][1:7] == expected(server, acc, conn)
        assert lines[0][7] == backlog, t.lines


def test_ipv6_and_accept_syscall(server, client):
    listener = server.listen("::1", ip=6, backlog=3)
    with Tracer("tcpaccept") as t:
        t.wait_header()
        conns = [client.connect("::1", listener["lport"], ip=6) for _ in range(2)]
        accepted = [server.accept(listener),  # accept4(2)
                    server.request("accept_syscall", id=listener["id"])]  # accept(2)
        assert wait_line(t, conns[-1]), t.lines
        t.stop()
    for conn, acc, backlog in zip(conns, accepted, ["1/3", "0/3"]):
        lines = lines_for(t, conn)
        assert len(lines) == 1, t.lines
        assert lines[0][1:7] == expected(server, acc, conn)
        assert lines[0][7] == backlog


def test_backlog_max_is_capped_by_kernel(server, client):
    with open("/proc/sys/net/core/somaxconn") as f:
        somaxconn = int(f.read())
    listener = server.listen("127.0.0.1", backlog=somaxconn + 1000)
    with Tracer("tcpaccept") as t:
        t.wait_header()
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        assert wait_line(t, conn), t.lines
        t.stop()
    assert lines_for(t, conn)[0][7] == "0/%d" % somaxconn


def test_refused_and_unaccepted_are_not_shown(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpaccept") as t:
        t.wait_header()
        waiting = client.connect("127.0.0.1", listener["lport"])  # never accepted
        with ttlib.Peer() as gone:
            port = gone.listen("127.0.0.1")["lport"]
        refused = client.connect("127.0.0.1", port)
        assert refused["error"] == "ECONNREFUSED"
        marker = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)  # takes the first in the queue: waiting
        assert wait_line(t, waiting), t.lines
        t.stop()
    # Other processes may accept meanwhile; this server accepted once.
    assert len([e for e in t.events() if e[1] == str(server.pid)]) == 1, t.lines
    assert not lines_for(t, marker) and not lines_for(t, refused)


def test_pid_filter(client):
    with ttlib.Peer("tt-wanted") as wanted, ttlib.Peer("tt-other") as other:
        l_wanted = wanted.listen("127.0.0.1")
        l_other = other.listen("127.0.0.1")
        with Tracer("tcpaccept", "-p", str(wanted.pid)) as t:
            t.wait_header()
            skipped = client.connect("127.0.0.1", l_other["lport"])
            other.accept(l_other)
            conn = client.connect("127.0.0.1", l_wanted["lport"])
            acc = wanted.accept(l_wanted)
            assert wait_line(t, conn), t.lines
            t.stop()
        assert lines_for(t, conn)[0][1:7] == expected(wanted, acc, conn)
        assert not lines_for(t, skipped)
        assert all(e[1] == str(wanted.pid) for e in t.events()), t.lines


def test_accept_begun_before_tracing(server, client):
    """A blocking accept() entered before the probes were attached is still
    reported when it returns. On both backends (a kretprobe would see only
    calls made after it was attached, iovisor/bcc#2165). Its listener, and so
    its backlog, is known where the exit reads the call's registers (5.15+);
    elsewhere it is unknown ("-")."""
    import threading
    regs = ttlib.kernel_gives_task_regs()  # asked before any tracer holds memory
    listener = server.listen("127.0.0.1", backlog=5)
    result = {}
    waiter = threading.Thread(target=lambda: result.update(server.accept(listener)))
    waiter.start()  # the server now sleeps in accept4(2)
    try:
        with Tracer("tcpaccept") as t:
            t.wait_header()
            conn = client.connect("127.0.0.1", listener["lport"])
            waiter.join(10)
            assert result, "the server's accept() did not return"
            assert wait_line(t, conn), t.lines
            t.stop()
    finally:
        waiter.join(10)
    lines = lines_for(t, conn)
    assert len(lines) == 1, t.lines
    assert lines[0][1:7] == expected(server, result, conn)
    assert lines[0][7] == ("0/5" if regs else "-"), t.lines


def test_accept_syscall_probes_follow_the_kernel():
    """The tracepoint backend attaches accept()'s exits alone where they can
    read the listening descriptor from the call's registers, and the enters
    too where they cannot: as the verifier itself answers, and as bpftool
    sees the attachments."""
    regs = ttlib.kernel_gives_task_regs()
    text = ttlib.run_tool("tcpaccept", "--backend", "tracepoint", "--ebpf").stdout
    assert ("#define TT_SYSCALL_REGS 1" in text) == regs
    with Tracer("tcpaccept", "--backend", "tracepoint") as t:
        t.wait_header()
        attached = {e.get("tracepoint") for e in ttlib.bpf_json("perf", "list")
                    if e["pid"] == t.proc.pid}
        t.stop()
    exits = {"sys_exit_accept", "sys_exit_accept4"}
    enters = {"sys_enter_accept", "sys_enter_accept4"}
    assert attached & (exits | enters) == (exits if regs else exits | enters), attached


@pytest.mark.parametrize("blocked", ["before_tracing", "while_tracing"])
def test_prefork_pool(server, client, blocked):
    """40 workers asleep in accept() on one listener, each accepting once: one
    line per accepted connection, each with the PID of the worker whose
    accept() returned it (a kretprobe would miss all but maxactive of them,
    iovisor/bcc#1072)."""
    workers = 40
    listener = server.listen("127.0.0.1", backlog=workers)
    if blocked == "before_tracing":
        pool = server.request("accept_pool", id=listener["id"], count=workers)
    with Tracer("tcpaccept") as t:
        t.wait_header()
        if blocked == "while_tracing":
            pool = server.request("accept_pool", id=listener["id"], count=workers)
        conns = [client.connect("127.0.0.1", listener["lport"]) for _ in range(workers)]
        accepted = server.request("pool_results")["accepted"]
        assert len(accepted) == workers
        for conn in conns:
            assert wait_line(t, conn), t.lines
        assert t.stop() == 0, t.stderr
    by_client = {(a["raddr"], a["rport"]): a for a in accepted}
    pids = set()
    for conn in conns:
        lines = lines_for(t, conn)
        assert len(lines) == 1, t.lines
        acc = by_client[(conn["saddr"], conn["sport"])]
        assert (acc["laddr"], acc["lport"]) == (conn["daddr"], conn["dport"])
        assert lines[0][1:7] == columns(acc["pid"], server.comm, conn)
        pids.add(acc["pid"])
    assert pids == set(pool["pids"]), t.lines


@pytest.mark.parametrize("client_mptcp", [True, False], ids=["mptcp_client", "tcp_client"])
def test_mptcp_listener(server, client, client_mptcp):
    """An MPTCP listener (Go 1.24's default): accept() returns an MPTCP
    socket when both ends speak MPTCP, a TCP one when the client does not;
    both are shown with the addresses the server's accept() returned, and
    the backlog as unknown (an MPTCP socket's own counts are not its queue)."""
    if not os.path.exists("/proc/sys/net/mptcp/enabled"):
        pytest.skip("this kernel has no MPTCP (Debian 11's 5.10 is built without it)")
    with open("/proc/sys/net/mptcp/enabled") as f:
        assert f.read().strip() == "1", "net.mptcp.enabled is 0 here"
    listener = server.request("listen", addr="127.0.0.1", ip=4, backlog=8, port=0, mptcp=True)
    with Tracer("tcpaccept") as t:
        t.wait_header()
        conn = client.connect("127.0.0.1", listener["lport"], mptcp=client_mptcp)
        acc = server.accept(listener)
        assert wait_line(t, conn), t.lines
        assert t.stop() == 0, t.stderr
    assert acc["protocol"] == (262 if client_mptcp else 6)  # IPPROTO_MPTCP, IPPROTO_TCP
    lines = lines_for(t, conn)
    assert len(lines) == 1, t.lines
    assert lines[0][1:7] == expected(server, acc, conn)
    assert lines[0][7] == "-", t.lines  # the queue is the first subflow's, not known


def uring_accepts(client, mode, count):
    """count connections accepted by tests/uring_accept.c, through io_uring
    only, never accept(2): (the server, the client's connections, what the
    server printed for each)."""
    path = os.path.join(ttlib.BUILD, "tests", "uring_accept")
    assert os.access(path, os.X_OK), "%s is not built (liburing-dev)" % path
    proc = subprocess.Popen([path, mode, str(count)], stdout=subprocess.PIPE, text=True)
    try:
        server = json.loads(proc.stdout.readline())
        conns = [client.connect("127.0.0.1", server["lport"]) for _ in range(count)]
        accepted = [json.loads(proc.stdout.readline()) for _ in range(count)]
        assert proc.wait(10) == 0
    finally:
        proc.kill()
    return server, conns, accepted


@pytest.mark.parametrize("mode", ["single", "multishot"])
def test_io_uring_accept(client, mode):
    """IORING_OP_ACCEPT, one request per connection or one multishot request
    for all: each accept shown once, with the ring owner's PID and COMM and
    the addresses the completion's descriptor has."""
    if mode == "multishot":
        ttlib.require_kernel(5, 19, "a multishot accept")
    count = 3
    with Tracer("tcpaccept") as t:
        t.wait_header()
        server, conns, accepted = uring_accepts(client, mode, count)
        for conn in conns:
            assert wait_line(t, conn), t.lines
        assert t.stop() == 0, t.stderr
    by_client = {(a["raddr"], a["rport"]): a for a in accepted}
    for conn in conns:
        lines = lines_for(t, conn)
        assert len(lines) == 1, t.lines
        acc = by_client[(conn["saddr"], conn["sport"])]
        assert (acc["laddr"], acc["lport"]) == (conn["daddr"], conn["dport"])
        assert lines[0][1:7] == columns(server["pid"], "uring_accept", conn)


def test_io_uring_accept_direct(client):
    """An accept into a direct descriptor (a fixed-file slot, no descriptor of
    the process): shown on the kprobe backend, which sees the socket in
    inet_csk_accept; not on tracepoints, which only have the slot (a
    documented limit, man/tcpaccept.8)."""
    # uring_accept registers a sparse file table (IORING_RSRC_REGISTER_SPARSE).
    ttlib.require_kernel(5, 19, "an accept into a sparse direct-descriptor table")
    count = 2
    with Tracer("tcpaccept") as t:
        t.wait_header()
        server, conns, direct = uring_accepts(client, "direct", count)
        assert [d["res"] for d in direct] == [0] * count  # a slot, no descriptor
        # A plain accept after them: once it shows, theirs would have.
        listener = client.listen("127.0.0.1")
        with ttlib.Peer() as other:
            marker = other.connect("127.0.0.1", listener["lport"])
        client.accept(listener)
        assert wait_line(t, marker), t.lines
        if ttlib.backend_of("tcpaccept") == "kprobe":
            for conn in conns:
                assert wait_line(t, conn), t.lines
        assert t.stop() == 0, t.stderr
    for conn in conns:
        lines = lines_for(t, conn)
        if ttlib.backend_of("tcpaccept") == "kprobe":
            assert len(lines) == 1, t.lines
            assert lines[0][1:7] == columns(server["pid"], "uring_accept", conn)
        else:
            assert not lines, t.lines
