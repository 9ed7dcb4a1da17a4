"""--metrics and --metrics-file against a real Prometheus (Debian's 2.42) and
a real node_exporter: a client of the test's own, in network namespaces of the
test's own, makes connects whose outcomes it knows from its own errno, and a
server accepts; Prometheus' HTTP API must then show exactly those counts."""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

import ttlib
from ttlib import Tracer

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("init_off_our_cpu")]

DROPPED = "198.18.0.2"  # isolated_netns: a neighbour that never answers
SERVICE_PORT = 8080     # the listener's, below the ephemeral range
# Bounds on waiting for a scrape that happens every second, not retries.
SCRAPE_WAIT = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ns_run(ns, *cmd):
    subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True, capture_output=True)


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


class Prometheus:
    """A Prometheus of the test's own: its port, its data directory, scraping
    the given targets (job name -> host:port) every second."""

    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="tt-prometheus-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        jobs = "".join(
            "  - job_name: %s\n    static_configs:\n      - targets: ['%s']\n" % (job, target)
            for job, target in targets.items())
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n" + jobs)
        subprocess.run(["promtool", "check", "config", config], check=True,
                       capture_output=True)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_get(self.url("/-/ready"))[0] == 200:
                    break
            except OSError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, self.logs()
            time.sleep(0.2)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def logs(self):
        self.log.flush()
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()[-3000:]

    def query(self, expr):
        """An instant query: {labels as a sorted tuple of items: (time, value)}."""
        url = self.url("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        body = json.loads(http_get(url)[2])
        assert body["status"] == "success", body
        return {tuple(sorted(r["metric"].items())): (float(r["value"][0]), float(r["value"][1]))
                for r in body["data"]["result"]}

    def value(self, expr):
        """The one value of expr (absent: None)."""
        found = self.query(expr)
        assert len(found) <= 1, (expr, found)
        return next(iter(found.values()))[1] if found else None

    def scraped_after(self, job, moment):
        """Waits for a scrape of job that began after moment (time.time())."""
        deadline = time.monotonic() + SCRAPE_WAIT
        while time.monotonic() < deadline:
            found = self.query('timestamp(up{job="%s"})' % job)
            if found and next(iter(found.values()))[1] > moment + 0.01:
                return
            time.sleep(0.2)
        raise AssertionError("no scrape of %s after %s: %s" % (job, moment, self.logs()))

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def scraped_exporter(tool, *args):
    """The tool as an exporter on a free loopback port, and a Prometheus that
    has scraped it once: (Tracer, host:port, Prometheus)."""
    target = "127.0.0.1:%d" % free_port()
    with Tracer(tool, "--metrics", target, "-q", *args) as tracer:
        tracer.wait_stderr("Tracing")
        with Prometheus({"tcptools": target}) as prom:
            prom.scraped_after("tcptools", time.time())
            yield tracer, target, prom


def settled(tracer, prometheus, job, target):
    """Once the tool's own counts are final, a scrape that began later."""
    status, content_type, text = http_get("http://%s/metrics" % target)
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), content_type
    moment = time.time()
    prometheus.scraped_after(job, moment)
    return text


def promtool_check(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_connects_counted_exactly(isolated_netns):
    """N connects that succeed, M refused, K timed out (tcp_syn_retries=1:
    about 3 s, so between the histogram's edges 2 and 4)."""
    n, m, k = 5, 3, 2
    ns = isolated_netns
    ns_run(ns, "sysctl", "-q", "net.ipv4.tcp_syn_retries=1")
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        listener = server.listen("127.0.0.1", port=SERVICE_PORT)
        with scraped_exporter("tcpconnect", "-p", str(client.pid)) as (tracer, target, prom):
            # -q: the programs have no buffer to user space at all.
            _, maps = ttlib.kernel_objects_of(tracer.proc.pid)
            types = {m["type"] for m in ttlib.bpf_json("map", "show") if m["id"] in maps}
            assert "hash" in types and not types & {"ringbuf", "perf_event_array"}, types
            before = prom.query("tcptools_connects_total")
            # Every result x family from the start, at 0: this client has made none.
            assert len(before) == 10 and all(v == 0 for _, v in before.values()), before
            errors = [client.connect("127.0.0.1", listener["lport"])["error"]
                      for _ in range(n)]
            errors += [client.connect("127.0.0.1", SERVICE_PORT + 1)["error"]
                       for _ in range(m)]
            errors += [client.connect(DROPPED, 80)["error"] for _ in range(k)]
            assert errors == [""] * n + ["ECONNREFUSED"] * m + ["ETIMEDOUT"] * k, errors
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)

            def connects(result):
                return prom.value('tcptools_connects_total{result="%s",family="ipv4"}' % result)

            assert (connects("connected"), connects("refused"), connects("timeout")) == (n, m, k)
            assert prom.value("sum(tcptools_connects_total)") == n + m + k
            bucket = ('tcptools_connect_duration_seconds_bucket'
                      '{result="timeout",family="ipv4",le="%s"}')
            assert prom.value(bucket % "2") == 0
            assert prom.value(bucket % "4") == k
            assert prom.value(
                'tcptools_connect_duration_seconds_count{result="connected",family="ipv4"}') == n
            # Connected on loopback: within the first bucket edges of a second.
            assert prom.value(
                'tcptools_connect_duration_seconds_bucket{result="connected",family="ipv4",'
                'le="1"}') == n
            assert prom.value('up{job="tcptools"}') == 1
            assert prom.value("tcptools_lost_events_total") == 0
            info = prom.query("tcptools_build_info")
            assert [dict(labels)["backend"] for labels in info] == [ttlib.backend_of(
                "tcpconnect")], info
            assert tracer.stop() == 0, tracer.stderr
    assert tracer.lines == [], tracer.lines  # -q: no line per event


def test_accepts_counted_exactly(isolated_netns):
    accepts = 4
    ns = isolated_netns
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        listener = server.listen("127.0.0.1", port=SERVICE_PORT)
        with scraped_exporter("tcpaccept", "-p", str(server.pid)) as (tracer, target, prom):
            for _ in range(accepts):
                assert client.connect("127.0.0.1", SERVICE_PORT)["errno"] == 0
                accepted = server.accept(listener)
                assert accepted["lport"] == SERVICE_PORT, accepted
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)
            series = [dict(labels) for labels in prom.query("tcptools_accepts_total")]
            assert [(s["family"], s["port"]) for s in series] == [("ipv4", str(SERVICE_PORT))]
            assert prom.value('tcptools_accepts_total{port="%d"}' % SERVICE_PORT) == accepts
            assert prom.value('up{job="tcptools"}') == 1
            assert prom.value("tcptools_lost_events_total") == 0
            assert tracer.stop() == 0, tracer.stderr
    assert tracer.lines == [], tracer.lines


def test_accept_labels_from_the_accepted_socket(isolated_netns):
    """tcpaccept --metrics -q builds of each accept only what its labels
    count by (the accepted socket; no listener, no queue): every label the
    kernel counts by still names what the server's accept() saw."""
    ns = isolated_netns
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        listener = server.listen("127.0.0.1", port=SERVICE_PORT)
        labels = ("--metrics-labels", "family,port,comm,peer")
        with scraped_exporter("tcpaccept", "-p", str(server.pid), *labels) as \
                (tracer, target, prom):
            for _ in range(3):
                assert client.connect("127.0.0.1", SERVICE_PORT, bind="127.0.0.2")["errno"] == 0
                accepted = server.accept(listener)
                assert accepted["raddr"] == "127.0.0.2", accepted
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)
            found = {tuple(sorted(labels)): value
                     for labels, (_, value) in prom.query("tcptools_accepts_total").items()}
            want = (("comm", "tt-server"), ("family", "ipv4"), ("peer", "127.0.0.2"),
                    ("port", str(SERVICE_PORT)))
            assert {tuple((k, v) for k, v in labels if not k.startswith("__") and
                          k not in ("job", "instance")): value
                    for labels, value in found.items()} == {want: 3}, found
            assert prom.value("tcptools_lost_events_total") == 0
            assert tracer.stop() == 0, tracer.stderr
    assert tracer.lines == [], tracer.lines


def test_bad_address_is_a_usage_error():
    for bad in ("localhost:9435", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:80",
                "[::1]", "[nope]:80", ""):
        r = ttlib.run_tool("tcpconnect", "--metrics", bad)
        assert r.returncode == 2, (bad, r.returncode, r.stderr)
        assert len(r.stderr.splitlines()) == 1 and "--metrics" in r.stderr, r.stderr
    r = ttlib.run_tool("tcpaccept", "--metrics", "127.0.0.1:9", "--metrics-labels", "result")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    r = ttlib.run_tool("tcpconnect", "-q")
    assert r.returncode == 2 and "--metrics" in r.stderr, r.stderr


class NodeExporter:
    """prometheus-node-exporter with its textfile collector alone, on directory."""

    def __init__(self, directory):
        self.target = "127.0.0.1:%d" % free_port()
        self.proc = subprocess.Popen(
            ["prometheus-node-exporter", "--collector.disable-defaults",
             "--collector.textfile", "--collector.textfile.directory=" + directory,
             "--web.listen-address=" + self.target],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if http_get("http://%s/metrics" % self.target)[0] == 200:
                    break
            except OSError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def rewritten_after(path, moment):
    """Waits for path to be replaced after moment (the file is rewritten every second)."""
    deadline = time.monotonic() + SCRAPE_WAIT
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.stat(path).st_mtime > moment:
            return
        time.sleep(0.1)
    raise AssertionError("%s not rewritten" % path)


def test_textfile_through_node_exporter(isolated_netns):
    """--metrics-file: no socket of the tracer's; node_exporter's textfile
    collector serves the file, and Prometheus sees the same exact counts."""
    n, m = 3, 2
    ns = isolated_netns
    directory = tempfile.mkdtemp(prefix="tt-textfile-")
    path = os.path.join(directory, "tcptools.prom")
    try:
        with ttlib.Peer("tt-server", netns=ns) as server, \
             ttlib.Peer("tt-client", netns=ns) as client, \
             NodeExporter(directory) as node:
            listener = server.listen("127.0.0.1", port=SERVICE_PORT)
            with Tracer("tcpconnect", "--metrics-file", path, "--metrics-interval", "1", "-q",
                        "-p", str(client.pid)) as tracer, \
                 Prometheus({"node": node.target}) as prom:
                tracer.wait_stderr("Tracing")
                assert os.stat(path).st_mode & 0o777 == 0o644
                for _ in range(n):
                    assert client.connect("127.0.0.1", listener["lport"])["errno"] == 0
                for _ in range(m):
                    assert client.connect("127.0.0.1", SERVICE_PORT + 1)["errno"] != 0
                done = time.time()
                rewritten_after(path, done)
                with open(path) as f:
                    promtool_check(f.read())
                prom.scraped_after("node", time.time())
                value = prom.value
                assert value('tcptools_connects_total{result="connected",family="ipv4"}') == n
                assert value('tcptools_connects_total{result="refused",family="ipv4"}') == m
                assert value("sum(tcptools_connects_total)") == n + m
                assert value('up{job="node"}') == 1
                assert value("node_textfile_scrape_error") == 0
                assert value("tcptools_lost_events_total") == 0
                # The tracer listens nowhere.
                sockets = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True)
                assert "pid=%d," % tracer.proc.pid not in sockets.stdout, sockets.stdout
                assert tracer.stop() == 0, tracer.stderr
        # Only the file: its temporary copies are renamed over it or removed.
        assert os.listdir(directory) == ["tcptools.prom"]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_metrics_file_unwritable():
    r = ttlib.run_tool("tcpconnect", "--metrics-file", "/nonexistent-dir/x.prom", "-q")
    assert r.returncode == 1, r
    assert r.stderr.count("\n") == 1 and "/nonexistent-dir/x.prom" in r.stderr, r.stderr


def test_series_cap_folds_into_other(isolated_netns):
    """--metrics-labels port with a cap of 100: connects to 1,000 distinct
    ports show as at most 100 series and ~other, and sum to exactly 1,000;
    a port in the ephemeral range is no series of its own."""
    ns = isolated_netns
    cap, ports, ephemeral = 100, range(20000, 21000), 5
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        listener = server.listen("127.0.0.1")  # a port the kernel chose: ephemeral
        labels = ("--metrics-labels", "port", "--metrics-max-series", str(cap))
        with scraped_exporter("tcpconnect", "-p", str(client.pid), *labels) as \
                (tracer, target, prom):
            for _ in range(ephemeral):
                assert client.connect("127.0.0.1", listener["lport"])["errno"] == 0
            settled(tracer, prom, "tcptools", target)  # admitted before the flood
            for i, port in enumerate(ports):
                assert client.connect("127.0.0.1", port)["error"] == "ECONNREFUSED"
                if i % 200 == 199:
                    client.request("close")  # the peer keeps its sockets otherwise
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)
            series = {dict(labels)["port"]: value
                      for labels, (_, value) in prom.query("tcptools_connects_total").items()}
            assert series["ephemeral"] == ephemeral, series
            assert "~other" in series and len(series) == cap + 1, series
            assert set(series) - {"ephemeral", "~other"} <= {str(p) for p in ports}, series
            assert all(v == 1 for p, v in series.items() if p not in ("ephemeral", "~other"))
            assert prom.value("sum(tcptools_connects_total)") == len(ports) + ephemeral
            assert prom.value("tcptools_metrics_folded_series") == len(ports) - (cap - 1)
            assert prom.value('up{job="tcptools"}') == 1
            assert prom.value("tcptools_lost_events_total") == 0
            assert tracer.stop() == 0, tracer.stderr


HOSTILE_COMM = b'ev"l\\\n\xff{x="1"}'


def test_hostile_comm_and_peer_labels(isolated_netns):
    """A process name with quotes, backslashes, a newline and a byte that is
    no UTF-8 is one label value: the scrape stays valid and Prometheus reads
    the value the exposition format's escaping gives."""
    ns = isolated_netns
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer(HOSTILE_COMM, netns=ns) as client:
        listener = server.listen("127.0.0.1", port=SERVICE_PORT)
        labels = ("--metrics-labels", "result,comm,peer")
        with scraped_exporter("tcpconnect", "-p", str(client.pid), *labels) as \
                (tracer, target, prom):
            assert client.connect("127.0.0.1", listener["lport"])["errno"] == 0
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)
            found = [dict(labels) for labels in prom.query("tcptools_connects_total")]
            assert len(found) == 1, found
            # The kernel keeps 15 bytes; \xff is shown as text, the rest is itself.
            shown = HOSTILE_COMM[:15].replace(b"\xff", b"\\xff").decode()
            assert (found[0]["comm"], found[0]["peer"], found[0]["result"]) == (
                shown, "127.0.0.1", "connected"), found
            assert prom.value('up{job="tcptools"}') == 1
            assert tracer.stop() == 0, tracer.stderr


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])


def raw_request(target, payload, timeout=20):
    """Sends payload (bytes) on a connection of its own; the first line of
    the answer, or "" when the server closed it without one."""
    host, port = target.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-request: what it answered, if anything, is below
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n")[0].decode("latin-1")


def test_hostile_http_clients(isolated_netns):
    """Slow clients holding connections, megabytes of headers, garbage,
    other methods and paths, hundreds of connections at once: each is refused
    cleanly or closed, the scrapes go on, the counts stay exact and the
    tracer's memory stays bounded."""
    ns = isolated_netns
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        listener = server.listen("127.0.0.1", port=SERVICE_PORT)
        connects = 0
        with scraped_exporter("tcpconnect", "-p", str(client.pid)) as (tracer, target, prom):
            host, port = target.rsplit(":", 1)
            rss_before = rss_kib(tracer.proc.pid)

            # Slow clients: half a request each, then nothing. The endpoint
            # keeps serving meanwhile, and closes them once idle.
            slow = [socket.create_connection((host, int(port))) for _ in range(8)]
            for s in slow:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            assert http_get("http://%s/metrics" % target)[0] == 200
            prom.scraped_after("tcptools", time.time())
            for s in slow:
                s.settimeout(SCRAPE_WAIT)
                answer = b""
                while True:  # until the server closes it (a timeout here fails)
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                assert not answer.startswith(b"HTTP/1.1 200"), answer
                s.close()

            # Megabytes of headers: refused with a status, never served.
            huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * (4 << 20)
            first = raw_request(target, huge + b"\r\n\r\n")
            assert not first.startswith("HTTP/1.1 200"), first
            assert first == "" or first.split()[1][0] == "4", first
            many = b"GET /metrics HTTP/1.1\r\n" + b"X-A: b\r\n" * 100000 + b"\r\n"
            first = raw_request(target, many)
            assert first == "" or first.split()[1][0] == "4", first

            # Garbage bytes.
            first = raw_request(target, os.urandom(65536))
            assert first == "" or first.split()[1][0] == "4", first
            first = raw_request(target, b"\x00\xff\r\n\r\n")
            assert first == "" or first.split()[1][0] == "4", first

            # Other methods and paths; HEAD has no body.
            for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW"):
                first = raw_request(target, ("%s /metrics HTTP/1.1\r\nHost: x\r\n"
                                             "Content-Length: 0\r\n\r\n" % method).encode())
                assert first.split()[1] in ("405", "400", "501"), (method, first)
            for path in ("/", "/metrics/", "/metricsx", "/../../etc/passwd", "/%00",
                         "/metrics%20", "*"):
                first = raw_request(target, ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                                             % path).encode())
                assert first.split()[1] in ("404", "400"), (path, first)
            head = raw_request(target, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            assert head.split()[1] == "200", head

            # Hundreds of connections at once, each asking: served or closed.
            crowd = []
            for _ in range(300):
                s = socket.create_connection((host, int(port)))
                s.settimeout(SCRAPE_WAIT)
                crowd.append(s)
            for s in crowd:
                try:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
            answers = []
            for s in crowd:
                try:
                    answers.append(s.recv(12))
                except ConnectionResetError:
                    answers.append(b"")
                s.close()
            assert set(answers) <= {b"", b"HTTP/1.1 200"}, set(answers)
            assert b"HTTP/1.1 200" in answers

            # Tracing went on meanwhile, and lost nothing; so did the scrapes.
            for _ in range(5):
                assert client.connect("127.0.0.1", listener["lport"])["errno"] == 0
                connects += 1
            settled(tracer, prom, "tcptools", target)
            assert prom.value('tcptools_connects_total{result="connected",family="ipv4"}') \
                == connects
            assert prom.value('up{job="tcptools"}') == 1
            assert prom.value("tcptools_lost_events_total") == 0
            # Bounded: the connections' memory is the library's fixed pools.
            assert rss_kib(tracer.proc.pid) - rss_before < 16 * 1024
            assert tracer.stop() == 0, tracer.stderr


def test_examples_pass_promtool():
    """examples/: the scrape configuration and the rules file are valid, and
    the rules do what they say on series of the tools' shape."""
    examples = os.path.join(ttlib.REPO, "examples")
    for args in (["check", "config", os.path.join(examples, "prometheus.yml")],
                 ["check", "rules", os.path.join(examples, "tcptools.rules.yml")],
                 ["test", "rules", os.path.join(ttlib.REPO, "tests", "live",
                                                "metrics_rules_test.yml")]):
        r = subprocess.run(["promtool", *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def test_peer_cidr_label(isolated_netns):
    """--metrics-labels peer_cidr: each peer as the first of --metrics-cidrs
    holding it (an IPv4 peer of an IPv6 socket too), else "other"."""
    ns = isolated_netns
    with ttlib.Peer("tt-client", netns=ns) as client:
        labels = ("--metrics-labels", "result,peer_cidr",
                  "--metrics-cidrs", "127.0.0.0/8,198.18.0.0/16")
        with scraped_exporter("tcpconnect", "-p", str(client.pid), *labels) as \
                (tracer, target, prom):
            for addr, ip, times in (("127.0.0.1", 4, 2), ("::ffff:127.0.0.1", 6, 1),
                                    ("198.18.0.1", 4, 3), ("::1", 6, 1)):
                for _ in range(times):
                    assert client.connect(addr, 9, ip=ip)["error"] == "ECONNREFUSED"
            text = settled(tracer, prom, "tcptools", target)
            promtool_check(text)
            found = {(dict(labels)["result"], dict(labels)["peer_cidr"]): value
                     for labels, (_, value) in prom.query("tcptools_connects_total").items()}
            assert found == {("refused", "127.0.0.0/8"): 3, ("refused", "198.18.0.0/16"): 3,
                             ("refused", "other"): 1}, found
            assert tracer.stop() == 0, tracer.stderr
    for bad in (["--metrics-labels", "peer_cidr"],
                ["--metrics-cidrs", "10.0.0.0/8"],
                ["--metrics-labels", "peer_cidr", "--metrics-cidrs", "10.0.0.0/33"]):
        r = ttlib.run_tool("tcpconnect", "--metrics", "127.0.0.1:9", *bad)
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, (bad, r.stderr)


def shown_by(prom, expr, label, expected):
    """expr's values by label as Prometheus shows them, once they are
    expected or after SCRAPE_WAIT: a count shows a scrape or two after it
    was made (it is named a second after the tool reads it)."""
    deadline = time.monotonic() + SCRAPE_WAIT
    while True:
        found = {dict(labels).get(label, ""): value
                 for labels, (_, value) in prom.query(expr).items()}
        if found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_query_label():
    """--metrics-labels query: each connect under the name the DNS answer
    before it asked (dnslab: a server and a client of the test's own), an
    address no answer named under "", a hostile name escaped; a name that
    changes does not move what was counted; past the cap ~other, and the
    sum is every connect."""
    from test_dns import DnsLab, HOSTILE, ZONE
    lab = DnsLab()
    try:
        again = {"name": "again.tt.test", "records": [{"type": "A", "addr": "127.0.0.21"}]}
        lab.request("zone", zone=ZONE + [again])
        labels = ("--metrics-labels", "result,query", "--metrics-max-series", "4")
        with scraped_exporter("tcpconnect", "-p", str(lab.pid), *labels) as \
                (tracer, target, prom):
            expected = {}
            for op, times, shown, request in (
                    ("raw", 3, "web.tt.test", {"name": "web.tt.test"}),
                    # The same address by another name: the three above stay where they are.
                    ("raw", 1, "again.tt.test", {"name": "again.tt.test"}),
                    ("connect", 1, "", {"addr": "127.0.0.99"}),
                    # ESC [31m . BEL 0xff LF . tt . test: controls and a byte that is no
                    # UTF-8 as the text \xNN, the newline as the format escapes it.
                    ("raw", 2, "\\x1b[31m.\\x07\\xff\n.tt.test", {"name": HOSTILE}),
                    ("raw", 1, "~other", {"name": "alias.tt.test"})):  # past the cap of 4
                for _ in range(times):
                    lab.request(op, **request)
                expected[shown] = expected.get(shown, 0) + times
                assert shown_by(prom, "tcptools_connects_total", "query", expected) == \
                    expected, tracer.stderr
            promtool_check(http_get("http://%s/metrics" % target)[2])
            assert prom.value("sum(tcptools_connects_total)") == 8
            assert prom.value("sum(tcptools_connect_duration_seconds_count)") == 8
            assert prom.value("tcptools_metrics_folded_series") == 1
            assert prom.value('up{job="tcptools"}') == 1
            assert prom.value("tcptools_lost_events_total") == 0
            assert tracer.stop() == 0, tracer.stderr
    finally:
        lab.close()


@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_exporter_unit_command_line(tool, isolated_netns, tmp_path):
    """The exporter unit's own ExecStart, as an unprivileged user holding just
    its AmbientCapabilities (tracefs mounted, as systemd does at boot), on a
    free port and filtered to the test's peers: Prometheus counts exactly."""
    unit = tool + "-exporter"
    command = ttlib.unit_setting(unit, "ExecStart").split()
    assert command[0] == "@TT_SBINDIR@/" + tool and "--metrics" in command, command
    command[command.index("--metrics") + 1] = target = "127.0.0.1:%d" % free_port()
    caps = [c.lower().removeprefix("cap_")
            for c in ttlib.unit_setting(unit, "AmbientCapabilities").split()]
    unprivileged = ttlib.as_user_with(caps, tracefs=True)
    copy = ttlib.reachable_copy(tool, str(tmp_path))
    ns = isolated_netns
    with ttlib.Peer("tt-server", netns=ns) as server, \
         ttlib.Peer("tt-client", netns=ns) as client:
        listener = server.listen("127.0.0.1", port=SERVICE_PORT)
        watched = client if tool == "tcpconnect" else server
        with Tracer(tool, *command[1:], "-p", str(watched.pid), path=copy,
                    wrapper=unprivileged) as tracer, \
             Prometheus({"tcptools": target}) as prom:
            tracer.wait_stderr("Tracing")
            for _ in range(3):
                assert client.connect("127.0.0.1", SERVICE_PORT)["errno"] == 0
                server.accept(listener)
            settled(tracer, prom, "tcptools", target)
            name = {"tcpconnect": 'tcptools_connects_total{result="connected",family="ipv4"}',
                    "tcpaccept": 'tcptools_accepts_total{port="%d"}' % SERVICE_PORT}[tool]
            assert prom.value(name) == 3
            assert prom.value('up{job="tcptools"}') == 1
            assert tracer.stop() == 0, tracer.stderr
