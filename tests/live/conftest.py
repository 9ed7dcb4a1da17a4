import os
import subprocess
import tempfile

import pytest

import ttlib


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="live tests need root (BPF)")
        for item in items:
            if "live" in item.keywords:
                item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "live: runs a tool against the real kernel (root)")
    config.addinivalue_line("markers", "valgrind: runs a tool under valgrind (not with ASan)")
    config.addinivalue_line("markers", "soak: minutes of load (TT_SOAK_SECONDS)")


@pytest.fixture(scope="module")
def init_off_our_cpu():
    """For modules whose checks wait for what the kernel does in interrupt
    context (outcomes, drops, counts): ttlib.init_kept_off_our_cpu."""
    with ttlib.init_kept_off_our_cpu():
        yield


@pytest.fixture
def server():
    """A listening peer process on IPv4 and IPv6 loopback."""
    with ttlib.Peer(comm="tt-server") as peer:
        yield peer


@pytest.fixture
def client():
    with ttlib.Peer(comm="tt-client") as peer:
        yield peer


@pytest.fixture(scope="session")
def cgroup2_root():
    """The machine's cgroup v2 hierarchy, mounted at a directory of the
    tests' own, so where (or whether) the machine mounts it does not matter."""
    root = tempfile.mkdtemp(prefix="tt-cgroup2-")
    subprocess.run(["mount", "-t", "cgroup2", "cgroup2", root], check=True)
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", root], check=True)
        os.rmdir(root)


@pytest.fixture
def fresh_cgroup(cgroup2_root):
    """A new cgroup v2 directory with a child; peers are moved in by tests
    (ttlib.move_to_cgroup), and back to the root at the end."""
    path = os.path.join(cgroup2_root, "tt-test-%d" % os.getpid())
    child = os.path.join(path, "child")
    os.makedirs(child)
    try:
        yield path, child
    finally:
        for d in (child, path):
            with open(os.path.join(d, "cgroup.procs")) as procs:
                for pid in procs.read().split():
                    ttlib.move_to_cgroup(pid, cgroup2_root)
            os.rmdir(d)


@pytest.fixture
def isolated_netns():
    """A network namespace of the test's own, with lo up and a veth pair to a
    second namespace where nobody answers: a SYN to 198.18.0.2 (its neighbour
    entry is static) leaves, is dropped at the far end, and is retransmitted,
    so connect() stays in progress. No packet leaves the two namespaces."""
    ns = "tt-ns-%d" % os.getpid()
    far = ns + "-far"
    cmds = [
        ["ip", "netns", "add", ns],
        ["ip", "netns", "add", far],
        ["ip", "-n", ns, "link", "set", "lo", "up"],
        ["ip", "-n", ns, "link", "add", "tt-near", "type", "veth", "peer", "name", "tt-far",
         "netns", far],
        ["ip", "-n", ns, "addr", "add", "198.18.0.1/24", "dev", "tt-near"],
        ["ip", "-n", ns, "link", "set", "tt-near", "up"],
        ["ip", "-n", far, "link", "set", "tt-far", "up"],
        ["ip", "-n", ns, "neigh", "add", "198.18.0.2", "lladdr", "02:00:00:00:00:02",
         "dev", "tt-near", "nud", "permanent"],
    ]
    try:
        for cmd in cmds:
            subprocess.run(cmd, check=True, capture_output=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", far], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
