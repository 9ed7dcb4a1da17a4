"""Each tool under valgrind memcheck: a real event, then SIGINT, and no error
or leak in our code (tests/valgrind/libbpf.supp names the libbpf noise).
Both ways of finding tracefs run, whatever this machine has mounted: found
mounted, and mounted by the tool itself (tests/live/mounts.py)."""
import os

import pytest

import mounts
import ttlib
from ttlib import Tracer

pytestmark = [pytest.mark.live, pytest.mark.valgrind]

SUPPRESSIONS = os.path.join(ttlib.REPO, "tests", "valgrind", "libbpf.supp")


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("tracefs", ["mounted", "not-mounted"])
def test_memcheck_clean(tool, tracefs, server, client):
    state = mounts.tracefs_at() if tracefs == "mounted" else mounts.no_tracefs()
    wrapper = mounts.private_mounts(state) + [
        "valgrind", "--suppressions=" + SUPPRESSIONS, "--error-exitcode=99", "--leak-check=full",
        "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"]
    with Tracer(tool, "-v", wrapper=wrapper) as t:
        t.wait_header(timeout=300)  # compiling under valgrind is slow
        listener = server.listen("127.0.0.1")
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert t.wait_for(lambda line: str(pid) in line and str(conn["sport"]) in line,
                          timeout=60), t.lines
        status = t.stop(timeout=120)
    assert "ERROR SUMMARY: 0 errors" in t.stderr, t.stderr[-3000:]
    assert "definitely lost: 0 bytes" in t.stderr or "no leaks are possible" in t.stderr
    assert status == 0, t.stderr[-3000:]
    assert mounts.says_it_mounted_tracefs(tool, t.stderr_lines) == (tracefs == "not-mounted"), \
        t.stderr[-3000:]
