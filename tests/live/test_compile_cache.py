"""The compile cache (common/load/compile_cache.h): a second start with the
same text loads what the first compiled, the same programs reach the kernel
and trace the same connections; anything unusable (a damaged or foreign
entry, a directory others may write, an option whose program holds others'
maps) means compiling, never a wrong or failed start."""
import os
import tempfile

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]
STORED = "compile cache: stored "
LOADED = "compile cache: loaded "


def cache_env(path):
    return dict(os.environ, TCPTOOLS_CACHE_DIR=path)


def entries(path):
    return sorted(f for f in os.listdir(path) if f.endswith(".bpfc"))


def programs_of(pid):
    """(name, type, bytes_xlated) of each program the tracer holds."""
    progs, _ = ttlib.kernel_objects_of(pid)
    return sorted((p["name"], p["type"], p["bytes_xlated"])
                  for p in ttlib.bpf_json("prog", "show") if p["id"] in progs)


def trace_once(tool, server, client, env, *args):
    """Starts tool -v, checks that it traces one connection (ground truth:
    the client's own source port), and returns its programs and stderr."""
    with Tracer(tool, "-v", *args, env=env) as t:
        t.wait_header()
        programs = programs_of(t.proc.pid)
        conn = ttlib.one_connection(server, client)
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert t.wait_for(lambda line: str(pid) in line.split()
                          and str(conn["sport"]) in line.split()), (t.lines, t.stderr)
        assert t.stop() == 0, t.stderr
    return programs, t.stderr


@pytest.fixture
def cache_dir():
    with tempfile.TemporaryDirectory(prefix="tt-cache-test-") as path:
        os.chmod(path, 0o700)
        yield path


@pytest.mark.parametrize("tool, options", [
    (tool, options) for tool in TOOLS for options in [(), ("-t", "-U"), ("-G",)]
] + [("tcpconnect", ("-d", "-o", "-G"))])
def test_cold_then_warm_start(tool, options, cache_dir, server, client):
    """First start compiles and stores; the second loads the very programs."""
    env = cache_env(cache_dir)
    cold, said = trace_once(tool, server, client, env, *options)
    assert STORED in said and LOADED not in said, said
    assert len(entries(cache_dir)) == 1
    warm, said = trace_once(tool, server, client, env, *options)
    assert LOADED in said and STORED not in said, said
    assert warm == cold
    assert len(entries(cache_dir)) == 1


def test_different_text_is_another_entry(cache_dir, server, client):
    env = cache_env(cache_dir)
    trace_once("tcpconnect", server, client, env)
    _, said = trace_once("tcpconnect", server, client, env, "-4")
    assert STORED in said, said
    assert len(entries(cache_dir)) == 2


@pytest.mark.parametrize("tool", TOOLS)
def test_filter_values_share_an_entry(tool, cache_dir, server, client):
    """-p and -P values live in maps, not in the text: a start with other
    values loads the same entry, and filters by its own values, not by the
    ones of the start that compiled it."""
    env = cache_env(cache_dir)
    with ttlib.Peer(comm="tt-server2") as server2, ttlib.Peer(comm="tt-client2") as client2:
        sides = {}
        for name, srv, cli in [("a", server, client), ("b", server2, client2)]:
            sides[name] = (srv, cli, srv.listen("127.0.0.1"))

        def connect(name):
            srv, cli, listener = sides[name]
            conn = cli.connect("127.0.0.1", listener["lport"])
            srv.accept(listener)
            pid = cli.pid if tool == "tcpconnect" else srv.pid
            return lambda line: str(pid) in line.split() and str(conn["sport"]) in line.split()

        for wanted, other, said_first in [("b", "a", STORED), ("a", "b", LOADED)]:
            srv, cli, listener = sides[wanted]
            pid = cli.pid if tool == "tcpconnect" else srv.pid
            with Tracer(tool, "-v", "-p", str(pid), "-P", str(listener["lport"]),
                        env=env) as t:
                t.wait_header()
                unwanted = connect(other)  # first, so it would print first
                assert t.wait_for(connect(wanted)), (t.lines, t.stderr)
                assert not any(unwanted(line) for line in t.lines), t.lines
                assert t.stop() == 0, t.stderr
            assert said_first in t.stderr, t.stderr
            assert len(entries(cache_dir)) == 1


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign owner", "group-writable"])
def test_unusable_entry_means_compiling(damage, cache_dir, server, client):
    env = cache_env(cache_dir)
    trace_once("tcpconnect", server, client, env)
    [entry] = entries(cache_dir)
    path = os.path.join(cache_dir, entry)
    with open(path, "r+b") as f:
        data = f.read()
        if damage == "truncated":
            f.truncate(len(data) // 2)
        elif damage == "flipped":
            f.seek(len(data) // 2)
            f.write(bytes([data[len(data) // 2] ^ 0x01]))
    if damage == "foreign owner":
        os.chown(path, 65534, 65534)
    elif damage == "group-writable":
        os.chmod(path, 0o620)
    _, said = trace_once("tcpconnect", server, client, env)
    assert "is not a usable entry; compiling" in said and LOADED not in said, said
    assert STORED in said, said  # replaced by a good one
    _, said = trace_once("tcpconnect", server, client, env)
    assert LOADED in said, said


@pytest.mark.parametrize("unsafe", ["world-writable", "foreign owner"])
def test_directory_others_may_write_is_not_used(unsafe, cache_dir, server, client):
    if unsafe == "world-writable":
        os.chmod(cache_dir, 0o777)
    else:
        os.chown(cache_dir, 65534, 65534)
    _, said = trace_once("tcpconnect", server, client, cache_env(cache_dir))
    assert "compile cache: not used: %s is not owned by uid 0 alone" % cache_dir in said, said
    assert os.listdir(cache_dir) == []


def test_empty_variable_turns_it_off(cache_dir, server, client):
    _, said = trace_once("tcpconnect", server, client, cache_env(""))
    assert "compile cache" not in said, said


def test_directory_is_created_private(cache_dir, server, client):
    path = os.path.join(cache_dir, "new")
    trace_once("tcpconnect", server, client, cache_env(path))
    st = os.stat(path)
    assert st.st_mode & 0o777 == 0o700 and st.st_uid == 0
    assert len(entries(path)) == 1


def test_entries_are_bounded(cache_dir, server, client):
    """Beyond 64 entries the least recently used go; the new one stays."""
    for i in range(70):
        old = os.path.join(cache_dir, "%016x.bpfc" % i)
        with open(old, "wb") as f:
            f.write(b"old")
        os.utime(old, (1000000 + i, 1000000 + i))
    trace_once("tcpconnect", server, client, cache_env(cache_dir))
    left = entries(cache_dir)
    assert len(left) == 64, left
    # The 7 oldest went: the 70 old ones and the new one, less 7.
    assert "%016x.bpfc" % 6 not in left and "%016x.bpfc" % 7 in left

