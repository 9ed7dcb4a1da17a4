"""Soak: a steady storm of connections for a while (TT_SOAK_SECONDS per tool,
default 90) with the tool attached and streaming to a file. Memory must stay
flat and no event may be lost: every connection has its line. Both for the
tools' defaults and for the always-on units' own command lines."""
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

import ttlib

pytestmark = [pytest.mark.live, pytest.mark.soak]

SECONDS = int(os.environ.get("TT_SOAK_SECONDS", "90"))
RATE = int(os.environ.get("TT_SOAK_RATE", "10000"))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def soak(argv, port, is_storms):
    """Runs argv under a storm to port; asserts flat memory and a line (as
    is_storms(line, storm_pid) tells) for every connection made."""
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + ttlib.START_TIMEOUT
        if "-j" in argv:  # JSON says it is live on stderr, not with a header
            line = proc.stderr.readline()
            assert line.startswith("Tracing"), line + proc.stderr.read()
        while "-j" not in argv and os.fstat(out.fileno()).st_size == 0:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        storm = subprocess.Popen([os.path.join(ttlib.BUILD, "storm"), "-n",
                                  str(SECONDS * RATE), "-r", str(RATE), "-p", str(port)],
                                 stdout=subprocess.PIPE, text=True)
        samples = []
        while storm.poll() is None:
            samples.append(rss_kib(proc.pid))
            time.sleep(2)
        result = dict(f.split("=", 1) for f in storm.stdout.read().split())
        assert storm.returncode == 0, result
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        stderr = proc.communicate(timeout=120)[1]
        assert proc.returncode == 0, stderr
        out.seek(0)
        lines = sum(1 for line in out if is_storms(line, result["pid"]))
    made = int(result["connections"])
    assert "lost" not in stderr, stderr
    assert lines == made, (lines, made)
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
         lambda line, pid: line.split()[1:2] == [pid])


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
    soak(argv, free_port(), lambda line, pid: line.startswith("{")
         and json.loads(line)["pid"] == int(pid))
