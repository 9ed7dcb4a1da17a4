"""Where the kernel has kprobes (the qemu stage, tests/vm/): the default
backend must be kprobe, and the kprobes must really be attached, as seen from
outside the tool (bpftool perf list)."""
import os

import pytest

import ttlib
from ttlib import Tracer

pytestmark = [pytest.mark.live,
              pytest.mark.skipif(not os.path.exists("/sys/bus/event_source/devices/kprobe"),
                                 reason="this kernel has no kprobes (run tests/vm/stage.sh)")]

EXPECTED = {
    "tcpconnect": {("kprobe", "tcp_v4_connect"), ("kprobe", "tcp_v6_connect"),
                   ("kretprobe", "tcp_v4_connect"), ("kretprobe", "tcp_v6_connect")},
    # accept(2) from the syscall tracepoints; the kprobes for the accepts without them.
    "tcpaccept": {("tracepoint", "sys_enter_accept"), ("tracepoint", "sys_enter_accept4"),
                  ("tracepoint", "sys_exit_accept"), ("tracepoint", "sys_exit_accept4"),
                  ("kprobe", "inet_csk_accept"), ("kretprobe", "inet_csk_accept")},
}


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_default_backend_attaches_kprobes(tool):
    if "--backend" in ttlib.TOOL_ARGS:
        pytest.skip("this run chose its backend (TT_TOOL_ARGS)")
    with Tracer(tool, "-v") as t:
        t.wait_header()
        attached = ttlib.attached_by(t.proc.pid)
        t.stop()
    assert attached == EXPECTED[tool], attached
    assert "backend: kprobe" in t.stderr, t.stderr


TRACEPOINTS = {
    "tcpconnect": {("raw_tracepoint", "inet_sock_set_state"),
                   ("raw_tracepoint", "tcp_retransmit_skb")},
    "tcpaccept": {("tracepoint", "sys_enter_accept"), ("tracepoint", "sys_enter_accept4"),
                  ("tracepoint", "sys_exit_accept"), ("tracepoint", "sys_exit_accept4"),
                  ("tracepoint", "io_uring_complete")},
}


def uring_completion_names_its_request():
    """Whether io_uring:io_uring_complete has its req field (Linux 6.0+)."""
    try:
        with open("/sys/kernel/tracing/events/io_uring/io_uring_complete/format") as f:
            return any(l.startswith("\tfield:") and l.split(";")[0].endswith(("req", "*req"))
                       for l in f)
    except OSError:
        return False


def io_uring_submit_tracepoint():
    """Renamed from io_uring_submit_sqe in Linux 6.3."""
    renamed = os.path.exists("/sys/kernel/tracing/events/io_uring/io_uring_submit_req")
    return ("tracepoint", "io_uring_submit_req" if renamed else "io_uring_submit_sqe")


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_tracepoint_backend_on_a_kprobe_kernel(tool):
    regs = ttlib.kernel_gives_task_regs()  # asked before the tracer holds memory
    with Tracer(tool, "--backend", "tracepoint") as t:
        t.wait_header()
        attached = ttlib.attached_by(t.proc.pid)
        t.stop()
    expected = set(TRACEPOINTS[tool])
    if tool == "tcpaccept":
        if regs:  # the exits read the listener from the registers
            expected -= {("tracepoint", "sys_enter_accept"), ("tracepoint", "sys_enter_accept4")}
        if uring_completion_names_its_request():
            expected.add(io_uring_submit_tracepoint())
        else:  # before Linux 6.0: io_uring accepts are not traced there (man page NOTES)
            expected.discard(("tracepoint", "io_uring_complete"))
            # and the tool says so without -v
            assert "io_uring accepts are not traced" in t.stderr, t.stderr
    assert attached == expected, attached


def test_outcome_adds_the_state_change_tracepoint():
    """-o on kprobes: the attempt still comes from the kprobes, its outcome
    from the state-change raw tracepoint, attached beside them."""
    if "--backend" in ttlib.TOOL_ARGS:
        pytest.skip("this run chose its backend (TT_TOOL_ARGS)")
    with Tracer("tcpconnect", "-o") as t:
        t.wait_header()
        attached = ttlib.attached_by(t.proc.pid)
        t.stop()
    assert attached == EXPECTED["tcpconnect"] | {("raw_tracepoint", "inet_sock_set_state")}, \
        attached


def test_accept_kretprobe_misses_are_counted(server, client):
    """The kretprobe on inet_csk_accept has the kernel's most instances and a
    miss counter the tool reads at exit (tracefs' kprobe_profile): both seen
    from outside while it runs."""
    if "--backend" in ttlib.TOOL_ARGS:
        pytest.skip("this run chose its backend (TT_TOOL_ARGS)")
    with Tracer("tcpaccept") as t:
        t.wait_header()
        name = "tcptools_%d_r_inet_csk_accept" % t.proc.pid
        with open("/sys/kernel/tracing/kprobe_events") as f:
            events = [line for line in f if name in line]
        ttlib.one_connection(server, client)
        with open("/sys/kernel/tracing/kprobe_profile") as f:
            profile = [line.split() for line in f if name in line]
        assert t.stop() == 0, t.stderr
    assert len(events) == 1 and events[0].startswith("r4096:"), events
    assert len(profile) == 1 and len(profile[0]) == 3, profile
    hits, misses = int(profile[0][1]), int(profile[0][2])
    assert hits >= 1 and misses == 0, profile  # the accept(2) entered inet_csk_accept
    assert " lost " not in t.stderr, t.stderr
