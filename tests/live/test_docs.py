"""The man pages render without warnings and document every option --help lists."""
import re
import subprocess

import pytest

import ttlib


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_man_page(tool):
    page = "%s/man/%s.8" % (ttlib.REPO, tool)
    r = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    with open(page) as f:
        text = f.read().replace("\\-", "-")
    helptext = ttlib.run_tool(tool, "--help").stdout
    options = set(re.findall(r"--[a-z][a-z-]+", helptext))
    assert options, helptext
    missing = [o for o in options if o not in text]
    assert not missing, missing
