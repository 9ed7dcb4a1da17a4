"""tcpconnect against the real kernel, checked against the client's own view
of each connection (getsockname) and the PID of the process that made it."""
import os
import signal
import subprocess
import tempfile

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

HEADER = ["TIME", "PID", "COMM", "SADDR", "SPORT", "DADDR", "DPORT"]


def matching(tracer, conn, pid):
    """Lines of tracer's output describing connection conn made by pid."""
    want = [str(pid), conn["saddr"], str(conn["sport"]), conn["daddr"], str(conn["dport"])]
    return [e for e in tracer.events() if [e[1]] + e[3:7] == want]


def wait_line(tracer, conn, pid):
    return tracer.wait_for(lambda line: line.split()[1:2] == [str(pid)]
                           and line.split()[4:5] == [str(conn["sport"])])


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
    with ttlib.Peer("tt-client", netns=isolated_netns) as client:
        with Tracer("tcpconnect") as t:
            t.wait_header()
            conn = client.connect("198.18.0.2", 80, nonblocking=True)
            assert conn["error"] == "EINPROGRESS"
            assert conn["saddr"] == "198.18.0.1" and conn["sport"] > 0
            assert wait_line(t, conn, client.pid), t.lines
            client.request("close")  # SYN_SENT -> CLOSE must not print it twice
            t.stop()
        assert len(matching(t, conn, client.pid)) == 1, t.lines


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


def test_port_filter_list(server, client):
    listeners = [server.listen("127.0.0.1") for _ in range(3)]
    ports = [l["lport"] for l in listeners]
    with Tracer("tcpconnect", "-P", "%d,%d" % (ports[0], ports[1])) as t:
        t.wait_header()
        skipped = client.connect("127.0.0.1", ports[2])
        first = client.connect("127.0.0.1", ports[0])
        second = client.connect("127.0.0.1", ports[1])
        assert wait_line(t, first, client.pid) and wait_line(t, second, client.pid), t.lines
        t.stop()
    assert len(matching(t, first, client.pid)) == 1
    assert len(matching(t, second, client.pid)) == 1
    assert not matching(t, skipped, client.pid), t.lines
    assert all(int(e[6]) in ports[:2] for e in t.events()), t.lines


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_end_cleanly_and_detach(sig, server, client):
    before = ttlib.bpf_program_ids()
    listener = server.listen("127.0.0.1")
    with Tracer("tcpconnect") as t:
        t.wait_header()
        during = ttlib.bpf_program_ids()
        assert len(during - before) >= 2
        conn = client.connect("127.0.0.1", listener["lport"])
        # Stop at once: the event must be drained from the buffer, not lost.
        assert t.stop(sig) == 0, t.stderr
    assert len(matching(t, conn, client.pid)) == 1, t.lines
    assert not (ttlib.bpf_program_ids() & (during - before))


def test_private_type_tree_removed():
    tmp = tempfile.mkdtemp(prefix="tt-tmpdir-")
    env = dict(os.environ, TMPDIR=tmp)
    with Tracer("tcpconnect", env=env) as t:
        t.wait_header()
        assert os.listdir(tmp) == []  # needed only while compiling
        t.stop()
    assert os.listdir(tmp) == []
    os.rmdir(tmp)


@pytest.mark.parametrize("args,message", [
    (["-p", "abc"], "invalid PID 'abc'"),
    (["-p", "-5"], "invalid PID '-5'"),
    (["-p", "0"], "invalid PID '0'"),
    (["-P", "70000"], "invalid port list '70000'"),
    (["-P", "0"], "invalid port list '0'"),
    (["-P", "80,,81"], "invalid port list '80,,81'"),
    (["-P", "x,1"], "invalid port list 'x,1'"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["-Z"], "unknown option '-Z'"),
    (["-p"], "needs an argument"),
    (["--backend", "uprobe"], "invalid backend 'uprobe'"),
    (["--buffer-pages", "3"], "not a power of 2"),
    (["stray"], "unexpected argument 'stray'"),
])
def test_bad_input(args, message):
    before = ttlib.bpf_program_ids()
    r = ttlib.run_tool("tcpconnect", *args)
    assert r.returncode != 0
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("tcpconnect: ") and message in lines[0], r.stderr
    assert ttlib.bpf_program_ids() == before


def test_not_root():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        ttlib.tool_path("tcpconnect")], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpconnect: must run as root: missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)"]


def test_no_btf_and_no_headers():
    if os.path.exists("/lib/modules/%s/build/include" % os.uname().release):
        pytest.skip("this machine has kernel headers")
    env = dict(os.environ, TCPTOOLS_BTF="/nonexistent/vmlinux")
    r = ttlib.run_tool("tcpconnect", env=env)
    assert r.returncode != 0
    assert len(r.stderr.splitlines()) == 1 and "no BTF" in r.stderr and "headers" in r.stderr
    r = ttlib.run_tool("tcpconnect", "--kernel-types", "headers")
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpconnect: no kernel headers: install linux-headers-$(uname -r), or set "
        "BCC_KERNEL_SOURCE"]


def test_kprobe_backend_without_kprobes():
    if os.path.exists("/sys/bus/event_source/devices/kprobe") or os.path.exists(
            "/sys/kernel/tracing/kprobe_events"):
        pytest.skip("this kernel has kprobes")
    r = ttlib.run_tool("tcpconnect", "--backend", "kprobe")
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        "tcpconnect: this kernel has no kprobes (CONFIG_KPROBES); use --backend tracepoint"]


def test_ebpf_prints_program_with_filters():
    r = ttlib.run_tool("tcpconnect", "--ebpf", "-p", "123", "-P", "80,443")
    assert r.returncode == 0, r.stderr
    assert "#define TT_TARGET_PID 123" in r.stdout
    assert "#define TT_PORT_MATCH(port) ((port) == 80 || (port) == 443)" in r.stdout
    assert "struct sock_common {" in r.stdout or "#include <net/sock.h>" in r.stdout
