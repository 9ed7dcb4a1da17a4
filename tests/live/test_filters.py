"""The in-kernel filters of issue 36 (--comm, --daddr/--raddr, -N/--netns)
and the NETNS column, live: for each, connections that must pass and ones
that must not, made by peers in network namespaces of the test's own and
told apart by what the other end saw (getsockname, accept)."""
import json
import os
import subprocess

import pytest

import ttlib
from ttlib import Peer, Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]
PEER_OPTION = {"tcpconnect": "--daddr", "tcpaccept": "--raddr"}


def ip_netns(*cmds):
    for cmd in cmds:
        subprocess.run(["ip", *cmd], check=True, capture_output=True)


@pytest.fixture
def make_netns():
    """Makes network namespaces with lo up (and what more is asked); deleted at the end."""
    made = []

    def make(*extra):
        ns = "tt-filters-%d-%d" % (os.getpid(), len(made))
        ip_netns(["netns", "add", ns])
        made.append(ns)
        ip_netns(["-n", ns, "link", "set", "lo", "up"], *[["-n", ns, *cmd] for cmd in extra])
        return ns
    yield make
    for ns in made:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def netns_inode(pid):
    return os.stat("/proc/%d/ns/net" % pid).st_ino


def records(tracer):
    """The JSON lines printed (-j), as dicts."""
    return [json.loads(line) for line in tracer.lines if line.startswith("{")]


def connection(tool, conn, accepted):
    """What a tool's line says of a connection the client (conn) and the
    server (accepted) both saw: (local address, local port, peer address)."""
    if tool == "tcpconnect":
        return (conn["saddr"], conn["sport"], conn["daddr"])
    return (accepted["laddr"], accepted["lport"], accepted["raddr"])


def seen(tool, record):
    if tool == "tcpconnect":
        return (record["saddr"], record["sport"], record["daddr"])
    return (record["laddr"], record["lport"], record["raddr"])


def wait_for_record(tracer, tool, key):
    return tracer.wait_for(lambda line: line.startswith("{") and
                           seen(tool, json.loads(line)) == key)


# --comm ----------------------------------------------------------------------

@pytest.mark.parametrize("tool", TOOLS)
def test_comm_filter(tool, server, client):
    """Exact match: a name sharing all but its last byte does not pass; a
    name longer than the kernel keeps (15 bytes) matches by those bytes."""
    long_name = "tt-filter-wanted-long"  # the kernel keeps "tt-filter-wante"
    with Peer(long_name) as wanted, Peer("tt-filter-want") as other:
        with Tracer(tool, "-j", "--comm", long_name) as t:
            t.wait_live()
            keys = {}
            for actor in (other, wanted):  # the unwanted first: it would be seen before
                if tool == "tcpconnect":
                    listener = server.listen("127.0.0.1")
                    conn = actor.connect("127.0.0.1", listener["lport"])
                    accepted = server.accept(listener)
                else:
                    listener = actor.listen("127.0.0.1")
                    conn = client.connect("127.0.0.1", listener["lport"])
                    accepted = actor.accept(listener)
                keys[actor.pid] = connection(tool, conn, accepted)
            assert wait_for_record(t, tool, keys[wanted.pid]), t.lines
            t.stop()
    mine = [r for r in records(t) if seen(tool, r) in keys.values()]
    assert [(r["pid"], r["comm"]) for r in mine] == [(wanted.pid, long_name[:15])], t.lines


# --daddr / --raddr -------------------------------------------------------------

# Connections (name, client's family, client's bind, destination, which listener):
# v4 to the v4 listener, v6 to the v6 one, and two IPv4-mapped: a v4 client of
# the dual-stack v6 listener (tcpaccept sees ::ffff:127.0.0.2) and a v6
# client connecting to ::ffff:127.0.0.2 (tcpconnect's peer).
CONNECTIONS = [
    ("A", 4, "127.0.0.1", "127.0.0.1", 4),
    ("B", 4, "127.0.0.2", "127.0.0.2", 4),
    ("C", 6, "::1", "::1", 6),
    ("D", 6, "fd00::2", "fd00::2", 6),
    ("E", 4, "127.0.0.2", "127.0.0.1", 6),
    ("F", 6, "::ffff:127.0.0.1", "::ffff:127.0.0.2", 6),
]

# (prefixes, the connections each tool reports).
PEER_FILTERS = [
    ("127.0.0.2,fd00::2", {"tcpconnect": "BDF", "tcpaccept": "BDE"}),
    ("127.0.0.0/8,!127.0.0.2", {"tcpconnect": "AE", "tcpaccept": "AF"}),
    ("!127.0.0.0/8", {"tcpconnect": "CD", "tcpaccept": "CD"}),
    ("fd00::/16,!::ffff:127.0.0.1/128", {"tcpconnect": "D", "tcpaccept": "D"}),
    # The longest prefix decides, however deep: an exclusion inside a wanted
    # prefix, and a wanted one inside that exclusion, both families.
    ("!127.0.0.0/8,127.0.0.0/30,!127.0.0.1,fd00::/16,!fd00::/120,fd00::2",
     {"tcpconnect": "BDF", "tcpaccept": "BDE"}),
    ("127.0.0.0/8,!127.0.0.0/30,127.0.0.1,fd00::/16,!fd00::/120",
     {"tcpconnect": "AE", "tcpaccept": "AF"}),
]
PEER_FILTER_IDS = ["include", "exclude-within", "exclude-only", "v6-and-mapped",
                   "nested-wanted", "nested-excluded"]

# Excluded prefixes holding none of the connections (excluded, so that a
# peer in no prefix keeps its verdict): with them, each list is longer than
# tt_peer_list holds (8, bpfsrc/tt_filter.h), so the same verdicts come from
# tt_peer_trie.
TRIE_PADDING = ("!192.0.2.0/24,!198.51.100.0/24,!203.0.113.7,!2001:db8::/32,!2001:db8:1::/48,"
                "!2001:db8:2::1,!192.0.2.128/25,!10.0.0.0/8,!fe80::/10")
PEER_WAYS = {"inline": lambda prefixes: prefixes,
             "trie": lambda prefixes: prefixes + "," + TRIE_PADDING}


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("way", sorted(PEER_WAYS))
def test_peer_filter_way(tool, way):
    """Up to 8 prefixes are compared inline (TT_PEER_INLINE), more in a trie."""
    prefixes = PEER_WAYS[way]("127.0.0.1,!::1")
    text = ttlib.run_tool(tool, "--ebpf", PEER_OPTION[tool], prefixes).stdout
    assert "#define TT_PEER_FILTER 1" in text
    assert ("#define TT_PEER_INLINE 1" in text) == (way == "inline")
    eight = ",".join("192.0.2.%d" % i for i in range(8))
    text = ttlib.run_tool(tool, "--ebpf", PEER_OPTION[tool], eight).stdout
    assert "#define TT_PEER_INLINE 1" in text


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("way", sorted(PEER_WAYS))
@pytest.mark.parametrize("prefixes,expected", PEER_FILTERS, ids=PEER_FILTER_IDS)
def test_peer_filter(tool, way, prefixes, expected, make_netns):
    ns = make_netns(["addr", "add", "fd00::2/128", "dev", "lo", "nodad"])
    with Peer("tt-server", netns=ns) as server, Peer("tt-client", netns=ns) as client:
        listeners = {4: server.listen("0.0.0.0"), 6: server.listen("::", ip=6)}
        with Tracer(tool, "-j", PEER_OPTION[tool], PEER_WAYS[way](prefixes)) as t:
            t.wait_live()
            keys = {}
            for name, ip, bind, dest, listener in CONNECTIONS:
                conn = client.connect(dest, listeners[listener]["lport"], ip=ip, bind=bind)
                assert conn["errno"] == 0, conn
                accepted = server.accept(listeners[listener])
                keys[name] = connection(tool, conn, accepted)
            # The last wanted one, once printed: every earlier event was too.
            last = [name for name, *_ in CONNECTIONS if name in expected[tool]][-1]
            assert wait_for_record(t, tool, keys[last]), t.lines
            t.stop()
    names = {key: name for name, key in keys.items()}
    got = "".join(sorted(names[seen(tool, r)] for r in records(t) if seen(tool, r) in names))
    assert got == expected[tool], (keys, t.lines)


# -N / --netns and --print-netns ---------------------------------------------------

@pytest.mark.parametrize("tool", TOOLS)
def test_netns_filter_and_column(tool, make_netns):
    """Two namespaces, the same addresses in each: only the one named
    passes, and its NETNS is the inode the peers' /proc/PID/ns/net has."""
    namespaces = [make_netns(), make_netns()]
    peers = [(Peer("tt-server", netns=ns), Peer("tt-client", netns=ns)) for ns in namespaces]
    try:
        inodes = [netns_inode(server.pid) for server, _ in peers]
        assert inodes[0] != inodes[1] and inodes[0] == netns_inode(peers[0][1].pid)
        for as_json in (True, False):
            args = ["-j"] if as_json else []
            with Tracer(tool, *args, "--netns", str(inodes[1]), "--print-netns") as t:
                t.wait_live()
                keys = []
                for server, client in peers:  # the unwanted namespace first
                    listener = server.listen("127.0.0.1")
                    conn = client.connect("127.0.0.1", listener["lport"])
                    keys.append(connection(tool, conn, server.accept(listener)))
                if as_json:
                    assert wait_for_record(t, tool, keys[1]), t.lines
                else:
                    port = str(keys[1][1])
                    assert t.wait_for(lambda line: port in line.split()), t.lines
                t.stop()
            if as_json:
                mine = [r for r in records(t) if seen(tool, r) in keys]
                assert [(seen(tool, r), r["netns"]) for r in mine] == \
                    [(keys[1], inodes[1])], t.lines
            else:
                header = t.lines[0].split()
                assert header[-1] == "NETNS", t.lines
                rows = [line.split() for line in t.lines[1:]]
                assert rows and all(row[-1] == str(inodes[1]) for row in rows), t.lines
    finally:
        for server, client in peers:
            server.close()
            client.close()


def test_netns_member_only_on_request(server, client):
    with Tracer("tcpconnect", "-j") as t:
        t.wait_live()
        listener = server.listen("127.0.0.1")
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        line = wait_for_record(t, "tcpconnect", (conn["saddr"], conn["sport"], conn["daddr"]))
        assert line, t.lines
        t.stop()
    assert "netns" not in json.loads(line)
