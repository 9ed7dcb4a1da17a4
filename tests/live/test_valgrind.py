"""Each tool under valgrind memcheck: a real event, then SIGINT, and no error
or leak in our code (tests/valgrind/libbpf.supp names the libbpf noise)."""
import os

import pytest

import ttlib
from ttlib import Tracer

pytestmark = [pytest.mark.live, pytest.mark.valgrind]

SUPPRESSIONS = os.path.join(ttlib.REPO, "tests", "valgrind", "libbpf.supp")


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_memcheck_clean(tool, server, client):
    wrapper = ["valgrind", "--suppressions=" + SUPPRESSIONS, "--error-exitcode=99",
               "--leak-check=full", "--errors-for-leak-kinds=definite",
               "--show-leak-kinds=definite"]
    with Tracer(tool, wrapper=wrapper) as t:
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
