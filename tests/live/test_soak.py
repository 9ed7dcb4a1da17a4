"""Soak: a steady storm of connections for a while (TT_SOAK_SECONDS per tool,
default 90) with the tool attached and streaming to a file. Memory must stay
flat and no event may be lost: every connection has its line."""
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


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_soak_flat_memory_no_loss(tool):
    with ttlib.Peer() as p:
        port = p.listen("127.0.0.1")["lport"]  # free once the peer is gone
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen([ttlib.tool_path(tool), *ttlib.TOOL_ARGS, "-P", str(port)],
                                stdout=out, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + ttlib.START_TIMEOUT
        while out.tell() == 0 and os.fstat(out.fileno()).st_size == 0:
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
        lines = sum(1 for line in out if line.split()[1:2] == [result["pid"]])
    made = int(result["connections"])
    assert "lost" not in stderr, stderr
    assert lines == made, (lines, made)
    # Flat: the last third's peak is within 1 MiB of the first third's.
    third = max(len(samples) // 3, 1)
    growth = max(samples[-third:]) - max(samples[:third])
    assert growth < 1024, (growth, samples)
