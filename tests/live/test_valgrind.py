"""Each tool under valgrind memcheck: a real event, then SIGINT, and no error
or leak in our code (tests/valgrind/libbpf.supp names the libbpf noise).
Both ways of finding tracefs run, whatever this machine has mounted: found
mounted, and mounted by the tool itself (tests/live/mounts.py)."""
import pytest

import mounts
import ttlib
from ttlib import Tracer

pytestmark = [pytest.mark.live, pytest.mark.valgrind]

@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
@pytest.mark.parametrize("tracefs", ["mounted", "not-mounted"])
def test_memcheck_clean(tool, tracefs, server, client):
    state = mounts.tracefs_at() if tracefs == "mounted" else mounts.no_tracefs()
    wrapper = mounts.private_mounts(state) + ttlib.VALGRIND
    with Tracer(tool, "-v", wrapper=wrapper) as t:
        t.wait_header(timeout=300)  # compiling under valgrind is slow
        listener = server.listen("127.0.0.1")
        conn = client.connect("127.0.0.1", listener["lport"])
        server.accept(listener)
        pid = client.pid if tool == "tcpconnect" else server.pid
        assert t.wait_for(lambda line: str(pid) in line and str(conn["sport"]) in line,
                          timeout=60), t.lines
        status = t.stop(timeout=120)
    ttlib.assert_memcheck_clean(t, status)
    assert mounts.says_it_mounted_tracefs(tool, t.stderr_lines) == (tracefs == "not-mounted"), \
        t.stderr[-3000:]
