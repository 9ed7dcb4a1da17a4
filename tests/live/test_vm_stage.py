"""The qemu stage (tests/vm/) names single test cases by their pytest ids; an
id renamed on the host would fail the stage only in the guests, an hour into
CI. Each id it names must be one pytest collects here (a function's name
alone, all of its parameters)."""
import glob
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def named_ids():
    ids = set()
    for script in glob.glob(os.path.join(REPO, "tests", "vm", "*.sh")):
        with open(script) as f:
            ids.update(re.findall(r"\$live/([a-z_]+\.py::[^ '\"]+)", f.read()))
    return sorted(ids)


def test_stage_names_tests_that_exist():
    ids = named_ids()
    assert ids, "tests/vm names no single case: the pattern above is out of date"
    paths = [os.path.join("tests", "live", i) for i in ids]
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                        "--collect-only", "-q", *paths], cwd=REPO, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    collected = [line.strip() for line in r.stdout.splitlines()]
    # A function's name stands for all of its parameters.
    missing = [p for p in paths
               if not any(c == p or ("[" not in p and c.startswith(p + "[")) for c in collected)]
    assert not missing, missing
