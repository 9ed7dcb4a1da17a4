"""The Debian package (CPack, `cmake --build build --target package`): clean
for lintian, Depends taken from the libraries the tools really link, the same
files as `cmake --install`, and installed into this very system with dpkg: the
tools run from /usr/sbin with the build tree out of sight, the units verify,
and dpkg -r leaves nothing behind."""
import glob
import gzip
import os
import re
import subprocess
import tempfile

import pytest

import ttlib
from ttlib import Tracer

pytestmark = pytest.mark.live

PACKAGE = "tcptools"
UNIT_DIR = "/usr/lib/systemd/system"
# Each unit and the command line it runs.
UNITS = {"tcpconnect": "tcpconnect -j",
         "tcpaccept": "tcpaccept -j --backend tracepoint",
         "tcpconnect-exporter": "tcpconnect --metrics 127.0.0.1:9438 -q",
         "tcpaccept-exporter": "tcpaccept --metrics 127.0.0.1:9439 -q --backend tracepoint"}


def run(*argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, **kw)


def installed():
    r = run("dpkg-query", "-W", "-f=${Status}", PACKAGE)
    return r.returncode == 0 and "ok installed" in r.stdout


@pytest.fixture(scope="module")
def deb():
    r = run("cmake", "--build", ttlib.BUILD, "--target", "package")
    assert r.returncode == 0, r.stdout + r.stderr
    debs = glob.glob(os.path.join(ttlib.BUILD, PACKAGE + "_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


def deb_files(deb):
    listing = run("dpkg-deb", "-c", deb).stdout.splitlines()
    return sorted(line.split()[-1].lstrip(".") for line in listing if not line.startswith("d"))


def test_lintian_finds_no_error_or_warning(deb):
    r = run("lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", deb)
    tags = [line for line in r.stdout.splitlines() if re.match(r"[EW]: ", line)]
    assert r.returncode == 0 and not tags, r.stdout + r.stderr


def test_depends_names_the_package_of_every_linked_library(deb):
    with tempfile.TemporaryDirectory() as root:
        run("dpkg-deb", "-x", deb, root)
        needed = set()
        for tool in ("tcpconnect", "tcpaccept"):
            dynamic = run("readelf", "-d", os.path.join(root, "usr/sbin", tool)).stdout
            needed |= set(re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic))
    assert needed
    needed.add("libbcc.so.0")  # not linked: the compile child loads it with dlopen
    depends = run("dpkg-deb", "-f", deb, "Depends").stdout
    named = {d.split()[0] for d in depends.split(",")}
    for lib in needed:
        path = run("ldconfig", "-p").stdout
        found = re.search(r"^\s*%s \(.*x86-64.*\) => (\S+)" % re.escape(lib), path, re.M)
        assert found, lib
        owner = run("dpkg", "-S", os.path.realpath(found.group(1)))
        if owner.returncode != 0:  # a merged-/usr path dpkg knows by its /lib name
            owner = run("dpkg", "-S", os.path.realpath(found.group(1)).replace("/usr/lib", "/lib"))
        assert owner.returncode == 0, (lib, owner.stderr)
        package = owner.stdout.split(":")[0]
        assert package in named, (lib, package, depends)


def test_contents_match_cmake_install(deb):
    files = deb_files(deb)
    for path in ("/usr/sbin/tcpconnect", "/usr/sbin/tcpaccept",
                 "/usr/share/man/man8/tcpconnect.8.gz", "/usr/share/man/man8/tcpaccept.8.gz",
                 "/usr/share/doc/tcptools/tcpconnect_example.txt",
                 "/usr/share/doc/tcptools/tcpaccept_example.txt",
                 "/usr/share/doc/tcptools/copyright", "/usr/share/doc/tcptools/changelog.gz",
                 "/usr/share/doc/tcptools/prometheus.yml",
                 "/usr/share/doc/tcptools/tcptools.rules.yml",
                 *(UNIT_DIR + "/%s.service" % unit for unit in UNITS)):
        assert path in files, (path, files)
    with tempfile.TemporaryDirectory() as dest:
        r = run("cmake", "--install", ttlib.BUILD, "--prefix", "/usr",
                env=dict(os.environ, DESTDIR=dest))
        assert r.returncode == 0, r.stderr
        installed_files = sorted("/" + os.path.relpath(os.path.join(d, f), dest)
                                 for d, _, names in os.walk(dest) for f in names)
        assert installed_files == files
        for tool in ("tcpconnect", "tcpaccept"):
            with gzip.open(os.path.join(dest, "usr/share/man/man8/%s.8.gz" % tool), "rt") as f:
                with open(os.path.join(ttlib.REPO, "man", tool + ".8")) as page:
                    assert f.read() == page.read()
        for unit, command in UNITS.items():
            with open(os.path.join(dest, UNIT_DIR.lstrip("/"), unit + ".service")) as f:
                assert "\nExecStart=/usr/sbin/%s\n" % command in f.read()


def hide_build_tree():
    """A command prefix: a mount namespace where the checkout and the build
    tree are empty directories, as on a machine that only has the package."""
    build = os.path.realpath(ttlib.BUILD)
    hidden = [ttlib.REPO] + ([] if build.startswith(ttlib.REPO + "/") else [build])
    covers = "".join("mount -t tmpfs tt-hidden %s && " % d for d in hidden)
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            covers + 'cd / && exec "$@"', "sh"]


CACHE_DIR = "/var/cache/tcptools"


def test_install_run_and_purge_leaves_nothing(deb, server, client):
    if installed():
        pytest.skip("a tcptools package is installed here already; left alone")
    assert "tcptools" not in run("getent", "passwd").stdout
    try:
        r = run("dpkg", "-i", deb)
        assert r.returncode == 0, r.stdout + r.stderr
        owned = run("dpkg", "-L", PACKAGE).stdout.splitlines()
        files = [p for p in owned if os.path.isfile(p)]
        assert "/usr/sbin/tcpconnect" in files and "/usr/sbin/tcpaccept" in files
        # Shipped, not enabled.
        assert not glob.glob("/etc/systemd/system/*/tcp*.service")
        units = [UNIT_DIR + "/%s.service" % unit for unit in UNITS]
        r = run("systemd-analyze", "verify", *units)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert run("man", "-w", "tcpconnect").stdout.strip() == \
            "/usr/share/man/man8/tcpconnect.8.gz"

        # The machine's compile cache, as a user's start fills it; the purge takes it.
        env = {k: v for k, v in os.environ.items() if k != "TCPTOOLS_CACHE_DIR"}
        with Tracer("tcpconnect", "-j", wrapper=hide_build_tree(),
                    path="/usr/sbin/tcpconnect", env=env) as t:
            t.wait_stderr("Tracing")
            conn = ttlib.one_connection(server, client)  # the client's getsockname
            line = t.wait_for(lambda s: '"pid": %d,' % client.pid in s
                              and '"sport": %d,' % conn["sport"] in s)
            assert line, (t.lines, t.stderr_lines)
            assert t.stop() == 0, t.stderr
        assert glob.glob(CACHE_DIR + "/*.bpfc"), os.listdir(CACHE_DIR)
        remove = run("dpkg", "-r", PACKAGE)
        assert remove.returncode == 0, remove.stdout + remove.stderr
        assert not installed()
        # Nothing is a conffile: removing takes every file the package shipped.
        left = [p for p in files if os.path.lexists(p)]
        assert not left, left
        assert not os.path.exists("/usr/share/doc/tcptools")
        # What is left to purge is the cache (postrm), as Debian's packages do.
        status = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE).stdout.strip()
        assert status == "rc", status
        assert os.path.isdir(CACHE_DIR)
    finally:
        purge = run("dpkg", "--purge", PACKAGE)  # whatever happened above
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert not os.path.lexists(CACHE_DIR)
    status = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE).stdout.strip()
    assert status in ("", "un"), status
    # The units' user is DynamicUser=: allocated while a unit runs, never in passwd.
    assert "tcptools" not in run("getent", "passwd").stdout


def test_units_exposure_stays_low(deb):
    """systemd-analyze's own score of the units' sandbox (README quotes it):
    below 3.0 on its 0-10 scale, lower is tighter; the exporters, which keep
    the host's network for their loopback endpoint, at most 3.1."""
    with tempfile.TemporaryDirectory() as root:
        run("dpkg-deb", "-x", deb, root)
        for name in UNITS:
            unit = os.path.join(root, UNIT_DIR.lstrip("/"), name + ".service")
            threshold = "31" if name.endswith("-exporter") else "29"
            r = run("systemd-analyze", "security", "--offline=yes", "--threshold=" + threshold,
                    unit)
            assert r.returncode == 0, r.stdout[-400:] + r.stderr
