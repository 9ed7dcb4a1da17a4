"""--fields: the columns a user names, in that order, in the table and as
JSON keys, parsed back and checked against the other end (the client's
getsockname, the server's accept)."""
import json
import os

import pytest

from ttlib import Tracer

pytestmark = pytest.mark.live

BCC_LAYOUT = "pid,comm,ip,saddr,daddr,dport"


def test_bcc_layout(server, client):
    """A script written against BCC's PID COMM IP SADDR DADDR DPORT gets
    exactly that, for IPv4 and IPv6."""
    v4, v6 = server.listen("127.0.0.1"), server.listen("::1", ip=6)
    ports = "%d,%d" % (v4["lport"], v6["lport"])
    with Tracer("tcpconnect", "--fields", BCC_LAYOUT, "-P", ports) as t:
        assert t.wait_header().split() == ["PID", "COMM", "IP", "SADDR", "DADDR", "DPORT"]
        conns = [client.connect("127.0.0.1", v4["lport"]),
                 client.connect("::1", v6["lport"], ip=6)]
        server.accept(v4)
        server.accept(v6)
        assert t.wait_for(lambda line: line.split()[-1] == str(v6["lport"])), t.lines
        assert t.stop() == 0, t.stderr
    assert t.events() == [[str(client.pid), "tt-client", ip, c["saddr"], c["daddr"],
                           str(c["dport"])] for ip, c in zip(("4", "6"), conns)], t.lines


def test_json_keys_follow_the_choice(server, client):
    """-j: the keys named, in their order, and no other; the module's too."""
    listener = server.listen("127.0.0.1")
    with Tracer("tcpconnect", "-j", "-o", "--fields", "result,dport,ip,sport,pid,latency_ms",
                "-P", str(listener["lport"])) as t:
        t.wait_stderr("Tracing")
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        assert t.wait_for(lambda line: True), t.stderr
        assert t.stop() == 0, t.stderr
    records = [json.loads(line) for line in t.lines]
    assert len(records) == 1, t.lines
    assert list(records[0]) == ["result", "dport", "ip", "sport", "pid", "latency_ms"]
    assert records[0]["latency_ms"] >= 0
    del records[0]["latency_ms"]
    assert records[0] == {"result": "connected", "dport": listener["lport"], "ip": 4,
                          "sport": conn["sport"], "pid": client.pid}


def test_tcpaccept_fields(server, client):
    """tcpaccept's own names, its BL column among them, in any order."""
    listener = server.listen("127.0.0.1")
    with Tracer("tcpaccept", "--fields", "lport,raddr,rport,comm,uid,backlog",
                "-P", str(listener["lport"])) as t:
        assert t.wait_header().split() == ["LPORT", "RADDR", "RPORT", "COMM", "UID", "BL"]
        conn = client.connect("127.0.0.1", listener["lport"])
        accepted = server.accept(listener)
        assert t.wait_for(lambda line: line.startswith(str(listener["lport"]))), t.lines
        assert t.stop() == 0, t.stderr
    rows = t.events()
    assert len(rows) == 1, t.lines
    assert rows[0][:5] == [str(accepted["lport"]), accepted["raddr"], str(accepted["rport"]),
                           "tt-server", "0"], t.lines
    assert accepted["rport"] == conn["sport"]
    assert rows[0][5].split("/")[1] == "128", t.lines  # the peer's listen(128)


def test_netns_field(server, client):
    """The NETNS column (--print-netns) is a field like the others: the
    namespace the connection was made in, as /proc names it."""
    listener = server.listen("127.0.0.1")
    netns = os.stat("/proc/%d/ns/net" % client.pid).st_ino
    with Tracer("tcpconnect", "--print-netns", "--fields", "netns,dport,pid",
                "-P", str(listener["lport"])) as t:
        assert t.wait_header().split() == ["NETNS", "DPORT", "PID"]
        client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        assert t.wait_for(lambda line: line.split()[-1] == str(client.pid)), t.lines
        assert t.stop() == 0, t.stderr
    assert t.events() == [[str(netns), str(listener["lport"]), str(client.pid)]], t.lines
