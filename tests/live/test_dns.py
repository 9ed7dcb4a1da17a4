"""tcpconnect -d against the real kernel: DNS answers from a real server in a
private network and mount namespace (dnslab.py), asked by three kinds of
client (a resolver of our own, glibc's getaddrinfo, curl); every QUERY is
checked against the name the client asked and the connection it made
(getsockname, or curl's own report)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dnslab.py")
HEADER = ["TIME", "PID", "COMM", "SADDR", "SPORT", "DADDR", "DPORT", "QUERY"]


class DnsLab:
    """dnslab.py in its own network and mount namespace, driven over JSON lines."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["unshare", "--net", "--mount", "--propagation", "private",
             sys.executable, LAB], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = json.loads(self.proc.stdout.readline())["pid"]

    def request(self, op, **args):
        return ttlib.json_request(self.proc, op, **args)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


@pytest.fixture
def lab():
    lab = DnsLab()
    try:
        lab.request("zone", zone=ZONE)
        yield lab
    finally:
        lab.close()


# Names and the addresses they give, all on the lab's loopback.
HOSTILE = ["1b5b33316d", "07ff0a", "7474", "74657374"]  # ESC [31m . BEL 0xff LF . tt . test
ZONE = [
    {"name": "web.tt.test", "records": [{"type": "A", "addr": "127.0.0.21"}]},
    {"name": "curl.tt.test", "records": [{"type": "A", "addr": "127.0.0.22"}]},
    {"name": "alias.tt.test", "records": [{"type": "CNAME", "target": "mid.tt.test"}]},
    {"name": "mid.tt.test", "records": [{"type": "CNAME", "target": "real.tt.test"}]},
    {"name": "real.tt.test", "records": [{"type": "A", "addr": "127.0.0.23"}]},
    {"name": "six.tt.test", "records": [{"type": "AAAA", "addr": "::1"}]},
    {"name": "gai.tt.test", "records": [{"type": "A", "addr": "127.0.0.24"}]},
    {"name": HOSTILE, "records": [{"type": "A", "addr": "127.0.0.25"}]},
]


def hostile_bytes():
    return b".".join(bytes.fromhex(label) for label in HOSTILE)


def query_of(line):
    """The QUERY cell: everything after DPORT (the last column)."""
    return line.split(None, 7)[7]


def line_of(tracer, conn, timeout=15):
    """The text line of connection conn (by source port and destination)."""
    def match(line):
        f = line.split()
        return len(f) >= 8 and f[4] == str(conn["sport"]) and f[5] == conn["daddr"]
    return tracer.wait_for(match, timeout)


def json_of(tracer, conn, timeout=15):
    def match(line):
        try:
            e = json.loads(line)
        except ValueError:
            return False
        return e.get("sport") == conn["sport"] and e.get("daddr") == conn["daddr"]
    line = tracer.wait_for(match, timeout)
    return json.loads(line) if line else None


def traced(*args):
    return Tracer("tcpconnect", "-d", *args)


def traced_lines(lab, *requests):
    """Runs tcpconnect -d, makes each (op, request) of the lab; their (answer, line)s."""
    results = []
    with traced() as t:
        assert t.wait_header().split() == HEADER
        for op, req in requests:
            conn = lab.request(op, **req)
            line = line_of(t, conn)
            assert line, t.lines
            results.append((conn, line))
        assert t.stop() == 0, t.stderr
    return results


def test_own_resolver_a_record(lab):
    [(conn, line)] = traced_lines(lab, ("raw", {"name": "web.tt.test"}))
    f = line.split()
    assert f[1] == str(lab.pid) and f[3] == conn["saddr"] and f[6] == str(conn["dport"])
    assert query_of(line) == conn["name"]


def test_aaaa_answer_over_ipv6(lab):
    [(conn, line)] = traced_lines(lab, ("raw", {"name": "six.tt.test", "type": "AAAA",
                                                "server": "::1"}))
    assert conn["daddr"] == "::1"
    assert query_of(line) == "six.tt.test"


def test_cname_chain_shows_the_question(lab):
    """The question's name, not the chain's end; the end asked directly names it anew."""
    (chain, chain_line), (direct, direct_line) = traced_lines(
        lab, ("raw", {"name": "alias.tt.test"}), ("raw", {"name": "real.tt.test"}))
    assert direct["daddr"] == chain["daddr"]
    assert query_of(chain_line) == "alias.tt.test"
    assert query_of(direct_line) == "real.tt.test"


def test_glibc_getaddrinfo(lab):
    (_, line), (_, chain_line) = traced_lines(
        lab, ("getaddrinfo", {"name": "gai.tt.test"}), ("getaddrinfo", {"name": "alias.tt.test"}))
    assert query_of(line) == "gai.tt.test"
    assert query_of(chain_line) == "alias.tt.test"


def test_curl(lab):
    [(_, line)] = traced_lines(lab, ("curl", {"name": "curl.tt.test"}))
    assert line.split()[2] == "curl"
    assert query_of(line) == "curl.tt.test"


def test_address_no_answer_named(lab):
    [(_, line)] = traced_lines(lab, ("connect", {"addr": "127.0.0.99"}))
    assert query_of(line) == "-"


@pytest.mark.valgrind
def test_memcheck_clean_with_answers(lab):
    """Answers learnt, garbage ignored, names printed: no error or leak under valgrind."""
    with Tracer("tcpconnect", "-d", wrapper=ttlib.VALGRIND) as t:
        t.wait_header(timeout=300)  # compiling under valgrind is slow
        lab.request("garbage", messages=[os.urandom(200).hex(), "00" * 40])
        conn = lab.request("raw", name="web.tt.test")
        line = line_of(t, conn, timeout=60)
        assert line, t.lines
        status = t.stop(timeout=120)
    assert query_of(line) == "web.tt.test"
    ttlib.assert_memcheck_clean(t, status)


def test_json_query_key(lab):
    with traced("-j") as t:
        t.wait_stderr("JSON lines")
        named = lab.request("raw", name="web.tt.test")
        unnamed = lab.request("connect", addr="127.0.0.98")
        e = json_of(t, named)
        u = json_of(t, unnamed)
        t.stop()
    assert e and u, t.lines
    assert e["query"] == "web.tt.test"
    assert u["query"] is None
    assert list(e)[-1] == "query" and list(u)[-1] == "query"


def test_hostile_name_escaped(lab):
    name = hostile_bytes()
    with traced() as t:
        t.wait_header()
        conn = lab.request("raw", name=HOSTILE)
        line = line_of(t, conn)
        assert line, t.lines
        t.stop()
    raw = line.encode("utf-8", "surrogateescape")
    assert not [c for c in raw if c < 0x20 or c == 0x7f], raw
    # Controls and bytes that are not UTF-8 (the name's only non-ASCII byte is 0xff).
    expected = bytes(b if 0x20 <= b < 0x7f else ord("?") for b in name)
    assert query_of(line).encode("utf-8", "surrogateescape") == expected

    with traced("-j") as t:
        t.wait_stderr("JSON lines")
        conn = lab.request("raw", name=HOSTILE)
        e = json_of(t, conn)
        t.stop()
    assert e, t.lines
    assert e["query"] == name.decode("utf-8", "replace")


def test_garbage_from_port_53(lab):
    import struct
    import dnslab
    answer = (struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0) + dnslab.wire_name("bad.tt.test")
              + struct.pack("!HH", 1, 1) + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4)
              + bytes([127, 0, 0, 77]))
    garbage = [
        os.urandom(300),
        answer[:-2],                                   # truncated in the address
        answer[:12] + b"\xc0\x0c" + answer[-20:],      # a name pointing at itself
        struct.pack("!HHHHHH", 8, 0x8180, 1, 65535, 0, 0) + answer[12:],  # absurd counts
        b"\x00" * 11,                                  # shorter than a header
        answer + os.urandom(2000),                     # longer than the kernel copies
    ]
    with traced() as t:
        t.wait_header()
        sent = lab.request("garbage", messages=[g.hex() for g in garbage])["sent"]
        assert sent == len(garbage)
        unnamed = lab.request("connect", addr="127.0.0.77")
        line = line_of(t, unnamed)
        assert line, t.lines
        conn = lab.request("raw", name="web.tt.test")  # and it still works
        good_line = line_of(t, conn)
        assert good_line, t.lines
        assert t.stop() == 0, t.stderr
    assert query_of(line) == "-"
    assert query_of(good_line) == "web.tt.test"


def test_with_other_options(lab):
    """-d beside -U -t -p -P -4: QUERY stays the last column."""
    with traced("-U", "-t", "-p", str(lab.pid), "-P", "80", "-4") as t:
        assert t.wait_header().split() == ["TIME(s)", "UID", *HEADER[1:]]
        six = lab.request("raw", name="six.tt.test", type="AAAA", server="::1")
        conn = lab.request("raw", name="web.tt.test")

        def match(line):
            return line.split()[5:6] == [str(conn["sport"])]
        line = t.wait_for(match)
        assert line, t.lines
        t.stop()
    assert line.split(None, 8)[8] == "web.tt.test"
    assert not [l for l in t.lines if l.split()[5:6] == [str(six["sport"])]], t.lines  # -4


def test_count_per_flow_with_query(lab):
    with traced("-c") as t:
        t.wait_stderr("counting")
        conns = [lab.request("raw", name="web.tt.test") for _ in range(3)]
        other = lab.request("raw", name="gai.tt.test")
        time.sleep(0.5)
        assert t.stop() == 0, t.stderr
    assert t.lines[0].split() == ["LADDR", "RADDR", "RPORT", "CONNECTS", "QUERY"], t.lines
    rows = {tuple(l.split()[1:3]): l.split() for l in t.lines[1:]}
    web = rows[(conns[0]["daddr"], "80")]
    assert web[3] == "3" and web[4] == "web.tt.test"
    assert rows[(other["daddr"], "80")][3:5] == ["1", "gai.tt.test"]


def test_two_tracers_share_the_root(lab):
    """Links multi-attach: a second -d tracer does not displace the first."""
    with traced() as first, traced() as second:
        first.wait_header()
        second.wait_header()
        conn = lab.request("raw", name="web.tt.test")
        a, b = line_of(first, conn), line_of(second, conn)
        first.stop()
        second.stop()
    assert a and b
    assert query_of(a) == query_of(b) == "web.tt.test"


def cgroup_progs():
    """The program ids attached to the cgroup v2 root, and their types."""
    root = cgroup2_mounts()[0]
    return {(p["id"], p["attach_type"]) for p in
            ttlib.bpf_json("cgroup", "show", root, "effective")}


def cgroup2_mounts():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if " - cgroup2 " in line]


def test_nothing_attached_without_d():
    with Tracer("tcpconnect") as t:
        t.wait_header()
        progs, _ = ttlib.kernel_objects_of(t.proc.pid)
        types = {p["type"] for p in ttlib.bpf_json("prog", "show") if p["id"] in progs}
        t.stop()
    assert "cgroup_skb" not in types, types
    assert not {p for p, _ in cgroup_progs()} & progs
    # The program's text is there, compiled out: -d defines TT_DNS.
    assert "#define TT_DNS 1" not in ttlib.run_tool("tcpconnect", "--ebpf").stdout
    assert "#define TT_DNS 1" in ttlib.run_tool("tcpconnect", "-d", "--ebpf").stdout


def our_cgroup_links(progs):
    """Our programs among those attached to the cgroup root's ingress."""
    return {p for p, kind in cgroup_progs() if kind == "cgroup_inet_ingress"} & progs


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_nothing_left_attached(lab, sig):
    before = cgroup_progs()
    with traced() as t:
        t.wait_header()
        progs, maps = ttlib.kernel_objects_of(t.proc.pid)
        during = cgroup_progs()
        assert our_cgroup_links(progs), during
        assert before <= during  # others' programs keep running beside ours
        status = t.stop(sig)
    assert status == (-signal.SIGKILL if sig == signal.SIGKILL else 0), t.stderr
    ttlib.assert_nothing_left(progs, maps, t.proc.pid)
    assert not our_cgroup_links(progs)


def test_closed_stdout_leaves_nothing(lab):
    """tcpconnect -d | head -1: it ends quietly at its next write, link gone."""
    # -p: no one else's connection ends it before its programs are looked at.
    proc = subprocess.Popen(["bash", "-c", '"$@" | head -1; exit ${PIPESTATUS[0]}', "bash",
                             ttlib.tool_path("tcpconnect"), *ttlib.TOOL_ARGS, "-d",
                             "-p", str(lab.pid)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().split() == HEADER
    tool_pid = int(subprocess.run(["pgrep", "-P", str(proc.pid), "-x", "tcpconnect"],
                                  capture_output=True, text=True).stdout.split()[0])
    progs, maps = ttlib.kernel_objects_of(tool_pid)
    assert our_cgroup_links(progs)
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        lab.request("raw", name="web.tt.test")  # the tool notices at its next write
        time.sleep(0.2)
    proc.wait(timeout=10)
    assert proc.returncode == 0
    stderr = proc.stderr.read()
    assert all(" lost " in line for line in stderr.splitlines()), stderr
    proc.stdout.close()
    proc.stderr.close()
    ttlib.assert_nothing_left(progs, maps, tool_pid)
    assert not our_cgroup_links(progs)


def test_cgroup2_not_mounted(lab):
    """Where cgroup2 is not mounted, the tool mounts it privately for itself."""
    umounts = " && ".join("umount -l %s" % m for m in cgroup2_mounts())
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            umounts + ' && ! grep -q " - cgroup2 " /proc/self/mountinfo && exec "$@"', "sh"]
    with Tracer("tcpconnect", "-d", wrapper=argv) as t:
        t.wait_header()
        conn = lab.request("raw", name="web.tt.test")
        line = line_of(t, conn)
        assert line, t.lines + t.stderr_lines
        t.stop()
    assert query_of(line) == "web.tt.test"
    assert cgroup2_mounts(), "the host's cgroup2 mount is untouched"
