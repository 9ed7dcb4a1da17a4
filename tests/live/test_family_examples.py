"""Every example command line of both tcpconnect families, run unchanged (as
far as this kernel allows), each against a real connection.

The lines are retyped from, not copied out of, the bcc repository:
- BCC's Python tool: the examples of tools/tcpconnect.py's --help, which
  tools/tcpconnect_example.txt and man/man8/tcpconnect.8 repeat;
- libbpf-tools: the EXAMPLES of libbpf-tools/tcpconnect.c's --help.
"mappath" in them names a pinned map; here it is one made for the test.
"""
import shlex

import pytest

import ttlib
from ttlib import Tracer
import mounts

pytestmark = pytest.mark.live

BCC = [
    "tcpconnect",
    "tcpconnect -t",
    "tcpconnect -d",
    "tcpconnect -p 181",
    "tcpconnect -P 80",
    "tcpconnect -P 80,81",
    "tcpconnect -4",
    "tcpconnect -6",
    "tcpconnect -U",
    "tcpconnect -u 1000",
    "tcpconnect -c",
    "tcpconnect -L",
    "tcpconnect --cgroupmap mappath",
    "tcpconnect --mntnsmap mappath",
]

LIBBPF_TOOLS = [
    "tcpconnect",
    "tcpconnect -t",
    "tcpconnect -p 181",
    "tcpconnect -P 80",
    "tcpconnect -P 80,81",
    "tcpconnect -U",
    "tcpconnect -u 1000",
    "tcpconnect -c",
    # Printed as "--C mappath" and "--M mappath", which libbpf-tools' own
    # parser refuses (no long option is named C or M): the options meant are -C, -M.
    "tcpconnect -C mappath",
    "tcpconnect -M mappath",
]


def connect_from(client, server, dport=None, ip=4):
    """A connection from client: to dport if given (nobody listens there; the
    attempt is traced all the same), else to a listener of server's."""
    addr = "::1" if ip == 6 else "127.0.0.1"
    if dport:
        return client.connect(addr, dport, ip=ip)
    listener = server.listen(addr, ip=ip)
    conn = client.connect(addr, listener["lport"], ip=ip)
    server.accept(listener)
    return conn


def expected_to_show(argv, client_pid):
    """Whether the line's filters let this test's connection through."""
    if "-p" in argv:
        return client_pid == 181
    if "-u" in argv:
        return False  # the client runs as root
    return not ({"--cgroupmap", "--mntnsmap", "-C", "-M"} & set(argv))


EXAMPLES = [("bcc", l) for l in BCC] + [("libbpf-tools", l) for l in LIBBPF_TOOLS]


@pytest.mark.parametrize("line", EXAMPLES, ids=lambda l: "%s: %s" % l)
def test_example_line_runs(line, server, client):
    family, text = line
    argv = shlex.split(text)[1:]
    value_sizes = {"--cgroupmap": 8, "-C": 8, "--mntnsmap": 4, "-M": 4}
    wrapper = ()
    for i, word in enumerate(argv):
        if word == "mappath":
            # A map of the tool's own bpffs, holding an id no task has.
            argv[i] = mounts.BPFFS + "/tt_set"
            wrapper = mounts.private_mounts(
                mounts.bpffs_at(), mounts.pinned_hash(argv[i], 8, value_sizes[argv[i - 1]], [0]))
    dport = 80 if "-P" in argv else None
    ip = 6 if "-6" in argv else 4
    with Tracer("tcpconnect", *argv, wrapper=wrapper) as t:
        if "-c" in argv:
            t.wait_stderr("counting in the kernel")
        else:
            header = t.wait_header()
            assert "DPORT" in header.split(), header
        conn = connect_from(client, server, dport, ip)
        shown = expected_to_show(argv, client.pid)
        if shown and "-c" not in argv:
            sport = 5 if "-U" in argv else 4
            assert t.wait_for(lambda l: l.split()[sport:sport + 1] == [str(conn["sport"])]), \
                t.lines
        assert t.stop() == 0, t.stderr
    mine = [l for l in t.lines[1:] if str(client.pid) in l.split()]
    if "-c" in argv:
        assert t.lines[0].split() == ["LADDR", "RADDR", "RPORT", "CONNECTS"], t.lines
        assert any(l.split()[:3] == ["127.0.0.1", "127.0.0.1", str(conn["dport"])]
                   for l in t.lines[1:]), t.lines
    elif not shown:
        assert not mine, t.lines
