"""The compile happens in a short-lived child (common/load/compile_child.h):
the tracer never maps LLVM, the child is gone once tracing is live, a stop
or a kill while compiling leaves nothing behind, and the child's errors
reach the user as one line."""
import os
import signal
import subprocess
import tempfile
import time

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]
COMPILER_LIBRARIES = ("libLLVM", "libclang", "libbcc.so")


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[5] for line in f if len(line.split()) > 5}


def children_of(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def highest_prog_id():
    return max([p["id"] for p in ttlib.bpf_json("prog", "show")] or [0])


def programs_left(tool, before):
    """The tool's programs loaded since id `before` that still exist; others'
    tools load programs meanwhile, so only our names count."""
    names = ttlib.our_program_names(tool)
    return [p for p in ttlib.bpf_json("prog", "show")
            if p["id"] > before and p.get("name") in names]


@pytest.mark.parametrize("tool", TOOLS)
def test_tracer_maps_no_compiler(tool, server, client):
    with Tracer(tool) as t:
        t.wait_header()
        files = mapped_files(t.proc.pid)
        assert not [f for f in files if any(lib in f for lib in COMPILER_LIBRARIES)], files
        deadline = time.monotonic() + 10  # the compile child exits, and is reaped
        while children_of(t.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert children_of(t.proc.pid) == []
        conn = ttlib.one_connection(server, client)
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert t.wait_for(lambda line: str(pid) in line and str(conn["sport"]) in line), t.lines
        assert t.stop() == 0, t.stderr


def start_and_catch_child(tool):
    """Starts the tool and returns it with its compile child's pid, or None if
    the child came and went before it could be seen."""
    proc = subprocess.Popen([ttlib.tool_path(tool), *ttlib.TOOL_ARGS],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ttlib.NO_CACHE_ENV)  # compiling, not loading a cached program
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        kids = children_of(proc.pid)
        if kids:
            return proc, kids[0]
        time.sleep(0.002)
    return proc, None


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_signal_while_compiling_leaves_nothing(tool, sig):
    """Ctrl-C while compiling: exit 0, nothing printed, nothing attached.
    SIGKILL: the child dies with the tracer. Either way no program remains."""
    before = highest_prog_id()
    proc, child = start_and_catch_child(tool)
    assert child is not None, "no compile child seen"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "compile child %d outlived the tracer" % child
    if sig == signal.SIGINT:
        assert proc.returncode == 0 and out == "" and err == "", (proc.returncode, out, err)
    else:
        assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5  # the kernel frees them in deferred work
    while programs_left(tool, before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not programs_left(tool, before)


@pytest.mark.parametrize("tool", TOOLS)
def test_sigkill_while_tracing_leaves_nothing(tool, server, client):
    with Tracer(tool) as t:
        t.wait_header()
        progs, maps = ttlib.kernel_objects_of(t.proc.pid)
        ttlib.one_connection(server, client)
        assert t.stop(signal.SIGKILL) == -signal.SIGKILL
    ttlib.assert_nothing_left(progs, maps, t.proc.pid)


@pytest.mark.parametrize("tool", TOOLS)
def test_child_error_is_one_line(tool):
    """A libbcc that cannot be loaded: the child's one line, a non-zero exit."""
    with tempfile.TemporaryDirectory() as libdir:
        open(os.path.join(libdir, "libbcc.so.0"), "w").close()
        env = dict(ttlib.NO_CACHE_ENV, LD_LIBRARY_PATH=libdir)  # a cached program needs no libbcc
        r = ttlib.run_tool(tool, *ttlib.TOOL_ARGS, env=env)
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(tool + ": cannot load libbcc: "), r.stderr
