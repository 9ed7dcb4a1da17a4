"""What both tools promise alike: errors, signals, cleanup, --ebpf (usage errors:
test_cli.py)."""
import os
import signal
import tempfile

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

TOOLS = ["tcpconnect", "tcpaccept"]


def pid_of_event(tool, server, client):
    return client.pid if tool == "tcpconnect" else server.pid


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_drain(tool, sig, server, client):
    with Tracer(tool) as t:
        t.wait_header()
        conn = ttlib.one_connection(server, client)
        # Signal at once: the event must be drained from the buffer, not lost.
        assert t.stop(sig) == 0, t.stderr
    pid = str(pid_of_event(tool, server, client))
    assert [e for e in t.events() if e[1] == pid and str(conn["sport"]) in e], t.lines


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("kind", ["ring", "perf"])
def test_buffer_kinds(tool, kind, server, client):
    """Both ways of handing events over work, and -v says which is used."""
    with Tracer(tool, "--buffer", kind, "-v") as t:
        t.wait_header()
        conn = ttlib.one_connection(server, client)
        pid = str(pid_of_event(tool, server, client))
        assert t.wait_for(lambda line: line.split()[1:2] == [pid]
                          and str(conn["sport"]) in line.split()), t.lines
        assert t.stop() == 0, t.stderr
    assert len([e for e in t.events() if e[1] == pid and str(conn["sport"]) in e]) == 1
    name = "ring buffer" if kind == "ring" else "perf buffers"
    assert "events through " + name in t.stderr, t.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_kernel_headers_work_or_say_why(tool, server, client):
    """The kernel-headers fallback either traces, or the tool ends at once
    with one line saying why (no headers here; or headers newer than libbcc's
    own BPF headers, as Debian 13's 6.12 is for Debian 12's libbcc 0.26): never
    a tracer that prints nothing, or a screenful of compiler errors."""
    with Tracer(tool, "--kernel-types", "headers") as t:
        try:
            t.wait_header()
        except RuntimeError:  # stdout closed: the tool ended
            t.stop()
            said = [line for line in t.stderr_lines if line.strip()]
            assert t.returncode != 0 and t.lines == [], t.lines
            assert len(said) == 1 and said[0].startswith(tool + ": "), said
            return
        conn = ttlib.one_connection(server, client)
        pid = str(pid_of_event(tool, server, client))
        assert t.wait_for(lambda line: line.split()[1:2] == [pid]
                          and str(conn["sport"]) in line.split()), t.lines
        assert t.stop() == 0, t.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_private_type_tree_removed(tool):
    tmp = tempfile.mkdtemp(prefix="tt-tmpdir-")
    try:
        with Tracer(tool, env=dict(os.environ, TMPDIR=tmp)) as t:
            t.wait_header()
            assert os.listdir(tmp) == []  # needed only while compiling
            t.stop()
        assert os.listdir(tmp) == []
    finally:
        os.rmdir(tmp)


@pytest.mark.parametrize("tool", TOOLS)
def test_no_btf_and_no_headers(tool):
    if os.path.exists("/lib/modules/%s/build/include" % os.uname().release):
        pytest.skip("this machine has kernel headers")
    r = ttlib.run_tool(tool, env=dict(os.environ, TCPTOOLS_BTF="/nonexistent/vmlinux"))
    assert r.returncode != 0
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "no BTF at /nonexistent/vmlinux and no kernel headers" in r.stderr
    r = ttlib.run_tool(tool, "--kernel-types", "headers")
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        tool + ": no kernel headers: install linux-headers-$(uname -r), or set "
        "BCC_KERNEL_SOURCE"]


@pytest.mark.parametrize("tool", TOOLS)
def test_kprobe_backend_without_kprobes(tool):
    if os.path.exists("/sys/bus/event_source/devices/kprobe"):
        pytest.skip("this kernel has kprobes")
    r = ttlib.run_tool(tool, "--backend", "kprobe")
    assert r.returncode != 0
    assert r.stderr.splitlines() == [
        tool + ": this kernel has no kprobes (CONFIG_KPROBES); use --backend tracepoint"]


@pytest.mark.parametrize("tool", TOOLS)
def test_ebpf_prints_program_with_filters(tool):
    r = ttlib.run_tool(tool, "--ebpf", "-p", "123", "-P", "80,443")
    assert r.returncode == 0, r.stderr
    # The values go into maps at run time: the text names the filters only.
    assert r.stdout.startswith("#define TT_PID_FILTER 1\n#define TT_PORT_FILTER 1\n")
    assert "123" not in r.stdout.split("#include")[0]
    assert "BPF_PERF_OUTPUT(events);" in r.stdout


@pytest.mark.parametrize("tool", TOOLS)
def test_help_and_version(tool):
    r = ttlib.run_tool(tool, "--help")
    assert r.returncode == 0 and r.stderr == ""
    for flag in ["--pid", "--port", "--backend", "--kernel-types", "--ebpf", "--verbose"]:
        assert flag in r.stdout
    r = ttlib.run_tool(tool, "-V")
    assert r.returncode == 0 and r.stdout.startswith(tool + " ")
