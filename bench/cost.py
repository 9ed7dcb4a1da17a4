#!/usr/bin/env python3
"""What an always-on tracer costs (issue 16): memory, its own CPU per event,
start-up, for every option, side by side with the bpftrace and BCC-python
peers (python3 standard library only; run as root).

For each case (a tracer command line) it runs, one after another:

  * start-up: exec to live (the header line on stdout, or a "Tracing" line
    on stderr where there is no header: -j, -c), median of --starts runs;
    for the tools both warm (from the compile cache, which one start before
    them fills: common/load/compile_cache.h; the -p case's warm starts each
    give another PID) and cold (the cache off, so every start compiles); the
    run's cache is a directory of its own;
  * one storm of --connections connections while the tracer streams to a
    file; around the storm it reads the tracer's own CPU time from
    /proc/PID/task/*/schedstat (nanoseconds on CPU, user and system), so start-up is
    not counted; CPU per event = that time / the storm's lines it printed;
  * memory while tracing, after the storm: Rss, Pss, Pss_Anon, Pss_File from
    /proc/PID/smaps_rollup, summed over the tracer and any process it still
    runs (a peer's helpers);
  * lost = storm connections - storm lines, and what the tracer reported lost;
  * ratio: the storm's rate under the tracer over the mean of the untraced
    storms just before and after it (one between each two cases).

The exporter cases (each tool with --metrics ADDR -q, nothing per event
leaving the kernel) have no lines: their events are what the scraped
counters gained over the storm (tcptools_connects_total or
tcptools_accepts_total, summed), lost is the connections less those, rep is
tcptools_lost_events_total, CPU per event is per counted event, and
"scrape ms" is the median time of --scrapes GETs of /metrics (the default
series) after the storm.

--smoke: a tiny run that fails (exit 1) when a case does not go live, prints
no storm line, or a number is missing; it never judges a measure. Only
loopback traffic. The machine may be shared: the measures are what they are
on that machine at that time; RESULTS.md says under which conditions.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import harness
from harness import RunError, log

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
BT_PEER = os.path.join(BENCH_DIR, "tcpconnect_peer.bt")
BCC_PEER = os.path.join(BENCH_DIR, "tcpconnect_peer_bcc.py")


class Case:
    def __init__(self, label, argv, streams=True, json_lines=False, ours=False, fresh_pid=False,
                 metrics=None):
        self.label, self.argv = label, argv
        self.metrics = metrics  # the exporter's host:port (--metrics ADDR -q), or None
        # -p: each warm start with another PID, as a user starts it for each
        # process; the value is no part of the compile cache's key.
        self.fresh_pid = fresh_pid
        self.ours = ours  # one of the tools (which have a compile cache), not a peer
        self.streams = streams  # one line per storm connection (not -c, not tcpaccept -P)
        self.json_lines = json_lines
        self.result = {}


def build_cases(args):
    tools = {t: os.path.join(args.build_dir, t) for t in ("tcpconnect", "tcpaccept")}
    other_pid = os.getpid()
    cases = []
    options = [("", True), ("-t", True), ("-U", True), ("-j", True), ("-t -U -j", True),
               ("-c", False), (f"-p {other_pid}", False), ("--buffer perf", True),
               ("-o", True)]  # each connection at its outcome: the storm's are all lines
    options += [(o, True) for o in args.extra_options]
    for tool in args.tools:
        helped = subprocess.run([tools[tool], "--help"], capture_output=True, text=True).stdout
        for opt, streams in options:
            words = opt.split()
            # An option the tool does not have (-c and -d are tcpconnect's): no case.
            if any(w.startswith("-") and not re.search(r"(^|[\s,])%s\b" % re.escape(w), helped)
                   for w in words):
                continue
            cases.append(Case(f"{tool} {opt}".strip(), [tools[tool], *words], streams,
                              "-j" in words, ours=True, fresh_pid="-p" in words))
        if "--metrics" in helped:
            target = f"127.0.0.1:{free_port()}"
            cases.append(Case(f"{tool} --metrics ADDR -q",
                              [tools[tool], "--metrics", target, "-q"], streams=False,
                              ours=True, metrics=target))
    if not args.no_peers:
        bpftrace = shutil.which("bpftrace")
        if bpftrace:
            argv = harness.with_tracefs([bpftrace, "-B", "line", BT_PEER])
            cases.append(Case("bpftrace peer", argv))
        python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
        cases.append(Case("bcc-python peer", [python, BCC_PEER]))
    return cases


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COUNTERS = ("tcptools_connects_total", "tcptools_accepts_total")


def scrape(target):
    """(the exporter's events counted, its lost events, the seconds the GET took)."""
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://{target}/metrics", timeout=10) as r:
        text = r.read().decode()
    took = time.monotonic() - t0
    counted = lost = 0
    for line in text.splitlines():
        name = line.split("{")[0].split(" ")[0]
        if name in COUNTERS:
            counted += int(float(line.rsplit(" ", 1)[1]))
        elif name == "tcptools_lost_events_total":
            lost += int(float(line.rsplit(" ", 1)[1]))
    return counted, lost, took


def counted_after(target, before, connections, max_wait=20):
    """Scrapes until the counters gained the storm's connections, or stopped
    gaining for half a second (a tracer that lost some): the last scrape."""
    deadline = time.monotonic() + max_wait
    last, since = None, time.monotonic()
    while True:
        now = scrape(target)
        if now[0] - before >= connections or time.monotonic() > deadline:
            return now
        if last is None or now[0] != last[0]:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 0.5:
            return now
        time.sleep(0.05)


def measure(case, args, workdir, index):
    out = os.path.join(workdir, f"{index}.out")
    err = os.path.join(workdir, f"{index}.err")

    def start_times(count, fresh_pid=False):
        times = []
        for n in range(count):
            argv = case.argv
            if fresh_pid:  # another PID each time (whose process it is does not matter here)
                at = argv.index("-p") + 1
                argv = argv[:at] + [str(int(argv[at]) + 1 + n)] + argv[at + 1:]
            t = harness.Tracer(argv, out_path=out, err_path=err)
            try:
                times.append(t.wait_live(args.header_timeout))
            finally:
                t.stop(timeout=args.stop_timeout)
        return times

    cold = []
    if case.ours:
        saved = os.environ["TCPTOOLS_CACHE_DIR"]
        os.environ["TCPTOOLS_CACHE_DIR"] = ""  # off: every start compiles
        try:
            cold = start_times(args.starts)
        finally:
            os.environ["TCPTOOLS_CACHE_DIR"] = saved
        start_times(1)  # fills the cache for this command line
    starts = start_times(args.starts, case.fresh_pid)
    storm = harness.Storm(args.storm, args.connections, threads=args.threads, wait_start=True)
    t = harness.Tracer(case.argv, out_path=out, err_path=err)
    try:
        t.wait_live(args.header_timeout)
        idle = harness.smaps_kb(t.proc.pid)
        before = scrape(case.metrics)[0] if case.metrics else None
        cpu0 = harness.cpu_ns(t.proc.pid)
        storm.go()
        res = storm.finish(60 + args.connections / 1000.0)
        if case.metrics:
            counted, reported, _ = counted_after(case.metrics, before, res["connections"])
        else:
            t.drain(0.3, 20)
        cpu1 = harness.cpu_ns(t.proc.pid)
        busy = harness.smaps_kb(t.proc.pid)
        scrapes = [scrape(case.metrics)[2] * 1000 for _ in range(args.scrapes)] \
            if case.metrics else []
    except BaseException:
        storm.abort()
        t.stop(timeout=args.stop_timeout)
        raise
    t.stop(timeout=args.stop_timeout)
    scan = harness.scan_output(out, err, harness.pid_is(res["pid"], case.json_lines))
    lines = scan["matched"]
    events = counted - before if case.metrics else lines
    case.result = {
        "start_ms": [s * 1000 for s in starts],
        "cold_start_ms": [s * 1000 for s in cold],
        "idle_kb": idle,
        "tracing_kb": busy,
        "connections": res["connections"],
        "rate": res["rate"],
        "lines": lines,
        "events": events,
        "lost": res["connections"] - events if case.streams or case.metrics else None,
        "tool_reported_lost": reported if case.metrics else scan["tool_reported_lost"],
        "cpu_ns": cpu1 - cpu0,
        "cpu_us_per_event": (cpu1 - cpu0) / 1000 / events if events else None,
        "scrape_ms": scrapes,
        "exit_ok": t.exited_ok(),
        "exit": "killed" if t.killed else t.returncode,
    }


def mib(kb):
    return f"{kb / 1024:.1f}"


def report(cases, args, out=sys.stdout):
    print(f"\ncost: {args.connections} connections per storm, {args.threads} thread(s), "
          f"kernel {os.uname().release}, {os.cpu_count()} CPUs", file=out)
    print("MiB while tracing (after the storm): Rss Pss Pss_Anon Pss_File; idle Rss = live, "
          "before the storm; ratio = storm rate / the untraced storms' around it; "
          "cpu us/ev = the tracer's CPU during the storm / its storm lines (exporters: "
          "the events its counters gained); scrape ms = median time of a GET of /metrics; "
          "start = exec to live, ms, median [min-max]: warm (compile cache), and cold "
          "(cache off, compiling)", file=out)
    hdr = (f"{'case':<34} {'Rss':>6} {'Pss':>6} {'Anon':>6} {'File':>6} {'idleRss':>7} "
           f"{'conn/s':>7} {'ratio':>6} {'lines':>7} {'lost':>6} {'rep':>5} {'cpu us/ev':>9} "
           f"{'scrape ms':>9} {'start ms':>18} {'cold start ms':>18}")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for c in cases:
        r = c.result
        if not r:
            print(f"{c.label:<34} FAILED: {getattr(c, 'error', '?')}"[:200], file=out)
            continue
        kb = r["tracing_kb"]
        def spread(st):
            return f"{statistics.median(st):.0f} [{min(st):.0f}-{max(st):.0f}]" if st else "-"
        start, cold = spread(r["start_ms"]), spread(r["cold_start_ms"])
        cpu = f"{r['cpu_us_per_event']:.2f}" if r["cpu_us_per_event"] else "-"
        lost = "-" if r["lost"] is None else str(r["lost"])
        rep = "-" if r["tool_reported_lost"] is None else str(r["tool_reported_lost"])
        ratio = f"{r['ratio']:.3f}" if r.get("ratio") else "-"
        scrape_ms = f"{statistics.median(r['scrape_ms']):.2f}" if r["scrape_ms"] else "-"
        print(f"{c.label:<34} {mib(kb['Rss']):>6} {mib(kb['Pss']):>6} {mib(kb['Pss_Anon']):>6} "
              f"{mib(kb['Pss_File']):>6} {mib(r['idle_kb']['Rss']):>7} {r['rate']:>7.0f} "
              f"{ratio:>6} {r['lines']:>7} {lost:>6} {rep:>5} {cpu:>9} {scrape_ms:>9} "
              f"{start:>18} {cold:>18}", file=out)


def smoke_problems(cases):
    problems = []
    for c in cases:
        r = c.result
        if not r:
            problems.append(f"{c.label}: {getattr(c, 'error', 'no result')}")
            continue
        if not r["exit_ok"] and c.ours:
            problems.append(f"{c.label}: did not exit cleanly on SIGINT ({r['exit']})")
        elif not r["exit_ok"]:
            # A peer is another project's tool, measured beside ours, not
            # checked: its exit is said, and fails the smoke for ours only.
            log(f"smoke: note: {c.label} did not exit cleanly on SIGINT ({r['exit']})")
        if c.streams and r["lines"] == 0:
            problems.append(f"{c.label}: no line of the storm")
        if c.metrics and (r["events"] <= 0 or not r["scrape_ms"]):
            problems.append(f"{c.label}: its counters did not count the storm")
        if r["tracing_kb"]["Rss"] == 0:
            problems.append(f"{c.label}: no memory figure")
    return problems


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(harness.REPO_DIR, "build"))
    p.add_argument("--storm", help="storm binary (default: BUILD_DIR/storm)")
    p.add_argument("-n", "--connections", type=int, default=None, help="per storm (100000; smoke 500)")
    p.add_argument("-t", "--threads", type=int, default=1, help="storm threads (default 1)")
    p.add_argument("--starts", type=int, default=None, help="start-up samples per case (7; smoke 1)")
    p.add_argument("--tools", type=lambda s: [t for t in s.split(",") if t],
                   default=["tcpconnect", "tcpaccept"])
    p.add_argument("--extra-options", type=lambda s: [o for o in s.split(",") if o], default=[],
                   help="more option sets, comma-separated (e.g. '-d,-o')")
    p.add_argument("--no-peers", action="store_true", help="skip the bpftrace and BCC-python peers")
    p.add_argument("--header-timeout", type=float, default=60.0)
    p.add_argument("--stop-timeout", type=float, default=15.0)
    p.add_argument("--scrapes", type=int, default=None,
                   help="timed GETs of /metrics per exporter case (11; smoke 3)")
    p.add_argument("--json", help="write the raw results here")
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args(argv)
    args.connections = args.connections or (500 if args.smoke else 100000)
    args.starts = args.starts or (1 if args.smoke else 7)
    args.scrapes = args.scrapes or (3 if args.smoke else 11)
    args.ipv6 = False
    args.storm = os.path.abspath(args.storm or os.path.join(args.build_dir, "storm"))
    return args


def untraced_rate(args):
    """The rate of a storm with no tracer, or None (said) when it fails."""
    try:
        return harness.run_storm(args.storm, args.connections, threads=args.threads)["rate"]
    except RunError as e:
        log(f"  untraced storm failed: {e}")
        return None


def main(argv):
    args = parse_args(argv)
    harness.ensure_storm(args.storm)
    cases = build_cases(args)
    with tempfile.TemporaryDirectory(prefix="tt-cost-") as workdir:
        cache = os.path.join(workdir, "compile-cache")  # the run's own, not the machine's
        os.environ["TCPTOOLS_CACHE_DIR"] = os.environ.get("TCPTOOLS_CACHE_DIR") or cache
        untraced = untraced_rate(args)
        for i, c in enumerate(cases):
            log(f"cost: {c.label}")
            try:
                measure(c, args, workdir, i)
            except RunError as e:
                c.error = str(e)
                log(f"  failed: {e}")
            after = untraced_rate(args)  # this case's neighbour after, the next one's before
            if c.result and untraced and after:
                c.result["ratio"] = c.result["rate"] / ((untraced + after) / 2)
            untraced = after
    report(cases, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"case": c.label, "argv": c.argv, **c.result} for c in cases], f, indent=1)
    if args.smoke:
        problems = smoke_problems(cases)
        for msg in problems:
            log("smoke: " + msg)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    harness.exit_with(lambda: main(sys.argv[1:]), "cost.py")
