"""tcpconnect against the real kernel, checked against the client's own view
of each connection (getsockname) and the PID of the process that made it."""
import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

HEADER = ["TIME", "PID", "COMM", "SADDR", "SPORT", "DADDR", "DPORT"]


def matching(tracer, conn, pid):
    """Lines of tracer's output describing connection conn made by pid."""
    want = [str(pid), conn["saddr"], str(conn["sport"]), conn["daddr"], str(conn["dport"])]
    return [e for e in tracer.events() if [e[1]] + e[3:7] == want]


def wait_line(tracer, conn, pid, timeout=15):
    return tracer.wait_for(lambda line: line.split()[1:2] == [str(pid)]
                           and line.split()[4:5] == [str(conn["sport"])], timeout)


def test_ipv4_connect(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpconnect") as t:
        assert t.wait_header().split() == HEADER
        conn = client.connect("127.0.0.1", listener["lport"])
        assert conn["errno"] == 0
        assert wait_line(t, conn, client.pid), t.lines
        assert t.stop() == 0, t.stderr
    lines = matching(t, conn, client.pid)
    assert len(lines) == 1, t.lines
    assert lines[0][2] == "tt-client"
    assert lines[0][0].count(":") == 2 and len(lines[0][0]) == 8  # HH:MM:SS


def test_ipv6_connect(server, client):
    listener = server.listen("::1", ip=6)
    with Tracer("tcpconnect") as t:
        t.wait_header()
        conn = client.connect("::1", listener["lport"], ip=6)
        assert conn["errno"] == 0 and conn["saddr"] == "::1"
        assert wait_line(t, conn, client.pid), t.lines
        t.stop()
    assert len(matching(t, conn, client.pid)) == 1, t.lines


def test_ipv4_mapped_connect(server, client):
    listener = server.listen("127.0.0.1")
    with Tracer("tcpconnect") as t:
        t.wait_header()
        conn = client.connect("::ffff:127.0.0.1", listener["lport"], ip=6)
        assert conn["errno"] == 0
        assert wait_line(t, conn, client.pid), t.lines
        t.stop()
    assert len(matching(t, conn, client.pid)) == 1, t.lines


def free_port():
    with ttlib.Peer() as p:
        return p.listen("127.0.0.1")["lport"]  # closed with the peer: nothing listens there


def test_refused_connect_is_traced(client):
    port = free_port()
    with Tracer("tcpconnect") as t:
        t.wait_header()
        conn = client.connect("127.0.0.1", port)
        assert conn["error"] == "ECONNREFUSED"
        bound = client.connect("127.0.0.1", port, bind="127.0.0.2")
        assert bound["error"] == "ECONNREFUSED"
        assert wait_line(t, bound, client.pid), t.lines
        t.stop()
    # After a refused connect getsockname() keeps the port but not the address.
    conn["saddr"] = "127.0.0.1"
    assert len(matching(t, conn, client.pid)) == 1, t.lines
    assert len(matching(t, bound, client.pid)) == 1, t.lines


def test_connect_in_progress(isolated_netns):
    """An unanswered attempt is printed without waiting for its timeout: at
    connect()'s return (kprobes) or at the SYN's first retransmission, about
    a second on (tracepoints)."""
    with ttlib.Peer("tt-client", netns=isolated_netns) as client:
        with Tracer("tcpconnect") as t:
            t.wait_header()
            conn = client.connect("198.18.0.2", 80, nonblocking=True)
            assert conn["error"] == "EINPROGRESS"
            assert conn["saddr"] == "198.18.0.1" and conn["sport"] > 0
            assert wait_line(t, conn, client.pid, timeout=5), t.lines
            client.request("close")  # SYN_SENT -> CLOSE must not print it twice
            t.stop()
        assert len(matching(t, conn, client.pid)) == 1, t.lines


def test_bpf_atomics_used_where_the_kernel_has_them():
    """The tracepoint backend keeps attempts in a compare-and-swap table where
    the verifier takes BPF atomics (5.12+), and in a hash map alone where it
    does not (Debian 11's 5.10): the tool's probe must agree with the kernel."""
    text = ttlib.run_tool("tcpconnect", "--backend", "tracepoint", "--ebpf").stdout
    assert "RAW_TRACEPOINT_PROBE" in text, text[-500:]
    assert ("#define TT_BPF_ATOMICS 1" in text) == ttlib.kernel_takes_bpf_cmpxchg()


def test_pid_filter(server):
    listener = server.listen("127.0.0.1")
    with ttlib.Peer("tt-wanted") as wanted, ttlib.Peer("tt-other") as other:
        with Tracer("tcpconnect", "-p", str(wanted.pid)) as t:
            t.wait_header()
            unwanted = other.connect("127.0.0.1", listener["lport"])
            conn = wanted.connect("127.0.0.1", listener["lport"])
            assert wait_line(t, conn, wanted.pid), t.lines
            t.stop()
        assert len(matching(t, conn, wanted.pid)) == 1, t.lines
        assert not matching(t, unwanted, other.pid), t.lines
        assert all(e[1] == str(wanted.pid) for e in t.events()), t.lines


def waiting_in_map(pid):
    """Attempts in the tool's fallback map (the table's slots were taken)."""
    _, maps = ttlib.kernel_objects_of(pid)
    for m in ttlib.bpf_json("map", "show"):
        if m["id"] in maps and m.get("name") == "attempts":
            return len(ttlib.bpf_json("map", "dump", "id", str(m["id"])))
    raise AssertionError("no attempts map")


def test_many_attempts_in_progress(isolated_netns):
    """More attempts waiting at once than the tracepoint backend's table has
    slots (4,096): the rest wait in its map. Each is printed exactly once,
    whichever way it waited."""
    count = 5000
    text = ttlib.run_tool("tcpconnect", "--ebpf", *ttlib.TOOL_ARGS).stdout
    has_table = "#define TT_BPF_ATOMICS" in text and "RAW_TRACEPOINT_PROBE" in text
    with ttlib.Peer("tt-client", netns=isolated_netns) as client:
        with Tracer("tcpconnect") as t:
            t.wait_header()
            made = client.request("connect_many", addr="198.18.0.2", port=80, count=count)
            assert len(set(made["sports"])) == count and 0 not in made["sports"]
            # Made well within the first SYN retransmission (1 s), all wait
            # at once: more than the table holds. (A slow guest may not.)
            if has_table and made["seconds"] < 0.5:
                assert waiting_in_map(t.proc.pid) >= count - 4096
            wanted = {str(port) for port in made["sports"]}

            def printed():
                return {e[4] for e in t.events() if e[1] == str(client.pid)}
            assert t.wait_for(lambda line: len(t.lines) > count and wanted <= printed(),
                              timeout=30), sorted(wanted - printed())[:10]
            client.request("close")
            t.stop()
        ports = [e[4] for e in t.events() if e[1] == str(client.pid)]
        assert sorted(ports) == sorted(wanted), "printed more than once"
