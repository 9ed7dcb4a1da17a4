"""Each tool under valgrind memcheck: a real event, then SIGINT, and no error
or leak in our code (tests/valgrind/libbpf.supp names the libbpf noise).
Both ways of finding tracefs run, whatever this machine has mounted: found
mounted, and mounted by the tool itself (tests/live/mounts.py)."""
import subprocess

import pytest

import mounts
import ttlib
from ttlib import Tracer

pytestmark = [pytest.mark.live, pytest.mark.valgrind]

@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("tracefs", ["mounted", "not-mounted"])
def test_memcheck_clean(tool, tracefs, server, client):
    state = mounts.tracefs_at() if tracefs == "mounted" else mounts.no_tracefs()
    wrapper = mounts.private_mounts(state) + ttlib.VALGRIND
    with Tracer(tool, "-v", wrapper=wrapper) as t:
        t.wait_header(timeout=300)  # compiling under valgrind is slow
        listener = server.listen("127.0.0.1")
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert t.wait_for(lambda line: str(pid) in line and str(conn["sport"]) in line,
                          timeout=60), t.lines
        status = t.stop(timeout=120)
    ttlib.assert_memcheck_clean(t, status)
    # Mounted by the tool only where none was and its probes read tracefs.
    mounts_it = tracefs == "not-mounted" and mounts.reads_tracefs(tool)
    assert mounts.says_it_mounted_tracefs(tool, t.stderr_lines) == mounts_it, t.stderr[-3000:]


def test_memcheck_clean_outcome(isolated_netns):
    """tcpconnect -o: an attempt printed at its outcome, and one still
    pending when stopped, read from the kernel's table at the end."""
    with ttlib.Peer("tt-server", netns=isolated_netns) as server, \
         ttlib.Peer("tt-client", netns=isolated_netns) as client:
        with Tracer("tcpconnect", "-o", "-p", str(client.pid), wrapper=ttlib.VALGRIND) as t:
            t.wait_header(timeout=300)  # compiling under valgrind is slow
            listener = server.listen("127.0.0.1")
            conn = client.connect("127.0.0.1", listener["lport"])
            assert t.wait_for(lambda line: str(conn["sport"]) in line, timeout=60), t.lines
            waiting = client.connect("198.18.0.2", 80, nonblocking=True)
            assert waiting["error"] == "EINPROGRESS"
            status = t.stop(timeout=120)
    assert [e[-1] for e in t.events()] == ["connected", "pending"], t.lines
    assert t.events()[0][4] == str(conn["sport"]), t.lines
    # The tracepoint backend learns a pending attempt's port at its first retransmission.
    ports = {str(waiting["sport"])} | ({"0"} if ttlib.backend_of("tcpconnect") == "tracepoint"
                                      else set())
    assert t.events()[1][4] in ports, t.lines
    ttlib.assert_memcheck_clean(t, status)


def test_memcheck_clean_accept_outcome(isolated_netns):
    """tcpaccept -o in the namespace: an accept at its outcome, a connection
    still queued when stopped (read from the kernel's table), and the drops
    of the listener it reads through sock_diag at the start and the end."""
    subprocess.run(["ip", "netns", "exec", isolated_netns, "sysctl", "-q",
                    "net.ipv4.tcp_syncookies=0"], check=True)
    with ttlib.Peer("tt-server", netns=isolated_netns) as server, \
         ttlib.Peer("tt-client", netns=isolated_netns) as client:
        listener = server.listen("127.0.0.1", backlog=1)
        with Tracer("tcpaccept", "-o", "-P", str(listener["lport"]),
                    wrapper=("ip", "netns", "exec", isolated_netns, *ttlib.VALGRIND)) as t:
            t.wait_header(timeout=300)  # compiling under valgrind is slow
            conns = [client.connect("127.0.0.1", listener["lport"], nonblocking=True)
                     for _ in range(3)]
            server.accept(listener)
            assert t.wait_for(lambda line: "accepted" in line, timeout=60), t.lines
            status = t.stop(timeout=120)
    assert [e[-1] for e in t.events()][:2] == ["accepted", "pending"], t.lines
    assert any("SYNs or ACKs dropped" in line for line in t.stderr_lines), t.stderr[-3000:]
    assert len(conns) == 3
    ttlib.assert_memcheck_clean(t, status)
