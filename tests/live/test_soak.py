"""Soak: a steady storm of connections for a while (TT_SOAK_SECONDS per tool,
default 90) with the tool attached and streaming to a file. Memory must stay
flat and no event may be lost: every connection has its line. Both for the
tools' defaults and for the always-on units' own command lines."""
import os
import tempfile
import time

import pytest

import harness
import ttlib

pytestmark = [pytest.mark.live, pytest.mark.soak]

SECONDS = int(os.environ.get("TT_SOAK_SECONDS", "90"))
RATE = int(os.environ.get("TT_SOAK_RATE", "10000"))


def soak(argv, port, storms_line):
    """Runs argv under a storm to port; asserts flat memory and a line (one
    that storms_line(storm_pid) says is the storm's: a harness.scan_output
    test) for every connection made."""
    with tempfile.TemporaryDirectory() as out_dir:
        out, err = os.path.join(out_dir, "out"), os.path.join(out_dir, "err")
        tracer = harness.Tracer(argv, out_path=out, err_path=err)
        try:
            tracer.wait_live(ttlib.START_TIMEOUT)
            storm = harness.Storm(ttlib.tool_path("storm"), SECONDS * RATE, rate=RATE, port=port)
            samples = []
            while storm.proc.poll() is None:
                samples.append(harness.proc_status_kb(tracer.proc.pid, "VmRSS") or 0)
                time.sleep(2)
            result = storm.finish()
            assert result["exit"] == 0, result
            time.sleep(1)
        finally:
            status = tracer.stop(timeout=120)
        assert status == 0, tracer.stderr
        scan = harness.scan_output(out, err, storms_line(result["pid"]))
    made = result["connections"]
    # A full buffer is a loss. The kernel's skipped runs of a program may
    # concern any socket of the machine: the lines below are the judge.
    assert not [line for line in tracer.stderr.splitlines()
                if "lost" in line and "kernel skipped" not in line], tracer.stderr
    assert scan["matched"] == made, (scan, made, tracer.stderr)
    # Flat: the last third's peak is within 1 MiB of the first third's.
    third = max(len(samples) // 3, 1)
    growth = max(samples[-third:]) - max(samples[:third])
    assert growth < 1024, (growth, samples)


def free_port():
    with ttlib.Peer() as p:
        return p.listen("127.0.0.1")["lport"]  # free once the peer is gone


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_soak_flat_memory_no_loss(tool):
    port = free_port()
    soak([ttlib.tool_path(tool), *ttlib.TOOL_ARGS, "-P", str(port)], port,
         lambda pid: harness.column_is(1, pid))


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_soak_service_command_line(tool, tmp_path):
    """The always-on unit's own ExecStart, as its unprivileged user with just
    its AmbientCapabilities, read from the unit file; tracefs mounted, as
    systemd mounts it at boot (sys-kernel-tracing.mount)."""
    command = ttlib.unit_setting(tool, "ExecStart").split()
    assert command[0] == "@TT_SBINDIR@/" + tool, command
    caps = [c.lower().removeprefix("cap_")
            for c in ttlib.unit_setting(tool, "AmbientCapabilities").split()]
    argv = [*ttlib.as_user_with(caps, tracefs=True),
            ttlib.reachable_copy(tool, str(tmp_path)), *command[1:]]
    soak(argv, free_port(), lambda pid: harness.pid_is(pid, json_lines=True))
