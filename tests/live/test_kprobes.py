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
    "tcpaccept": {("kprobe", "inet_csk_accept"), ("kretprobe", "inet_csk_accept")},
}


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_default_backend_attaches_kprobes(tool):
    if "--backend" in ttlib.TOOL_ARGS:
        pytest.skip("this run chose its backend (TT_TOOL_ARGS)")
    with Tracer(tool, "-v") as t:
        t.wait_header()
        attached = {(e["fd_type"], e.get("func")) for e in ttlib.bpf_json("perf", "list")
                    if e["pid"] == t.proc.pid}
        t.stop()
    assert attached == EXPECTED[tool], attached
    assert "backend: kprobe" in t.stderr, t.stderr


TRACEPOINTS = {
    "tcpconnect": {("raw_tracepoint", "inet_sock_set_state"),
                   ("raw_tracepoint", "tcp_retransmit_skb")},
    "tcpaccept": {("tracepoint", "sys_enter_accept"), ("tracepoint", "sys_enter_accept4"),
                  ("tracepoint", "sys_exit_accept"), ("tracepoint", "sys_exit_accept4")},
}


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_tracepoint_backend_on_a_kprobe_kernel(tool):
    with Tracer(tool, "--backend", "tracepoint") as t:
        t.wait_header()
        attached = {(e["fd_type"], e.get("tracepoint")) for e in ttlib.bpf_json("perf", "list")
                    if e["pid"] == t.proc.pid}
        t.stop()
    assert attached == TRACEPOINTS[tool], attached


def test_outcome_adds_the_state_change_tracepoint():
    """-o on kprobes: the attempt still comes from the kprobes, its outcome
    from the state-change raw tracepoint, attached beside them."""
    if "--backend" in ttlib.TOOL_ARGS:
        pytest.skip("this run chose its backend (TT_TOOL_ARGS)")
    with Tracer("tcpconnect", "-o") as t:
        t.wait_header()
        attached = {(e["fd_type"], e.get("func") or e.get("tracepoint"))
                    for e in ttlib.bpf_json("perf", "list") if e["pid"] == t.proc.pid}
        t.stop()
    assert attached == EXPECTED["tcpconnect"] | {("raw_tracepoint", "inet_sock_set_state")}, \
        attached
