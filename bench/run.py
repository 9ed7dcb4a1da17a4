#!/usr/bin/env python3
"""tcptools benchmark runner (python3 standard library only; run as root).

For each tool (tcpconnect, tcpaccept) and backend (default, --backend
tracepoint) it measures, in one interleaved run (untraced, traced, untraced,
traced, ... so that machine noise shows up as spread):

  * the storm's connection rate untraced and traced (tracer streaming one
    line per event to a file: `TOOL > file`) and their ratio,
  * events lost: connections made minus the lines that belong to the storm
    (tcpconnect and the bpftrace peer: PID column == storm pid; tcpaccept:
    LPORT column == storm listen port); lines that do not belong to the storm
    are shown as "other",
  * time from exec to the header line (the tools print it once tracing is
    live), median of several starts,
  * peak RSS of the tracer (max of VmHWM sampled just before SIGINT and
    ru_maxrss from wait4()), and the tracer's CPU time,
  * the "filter that matches nothing" cases: -p <other pid>,
    -P <unused port>, --comm <a name no task has> and --daddr/--raddr
    192.0.2.0/24 (issue 36 wants their ratio >= 0.99),
  * tcpconnect -d, whose DNS program meets every packet the storm receives,
  * where bpftrace is installed, a bpftrace peer of tcpconnect
    (bench/tcpconnect_peer.bt) as an extra row.

The load is bench/storm.c (CMake target `storm`), built with gcc into
--build-dir when missing.  --smoke runs a tiny version (2,000 connections,
1 round) and exits 0/1 on whether the pipeline works and the numbers are
sane; it never judges timings.  Only loopback traffic is generated.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

import harness
from harness import (REPO_DIR, BENCH_DIR, RunError, Storm, Tracer, check_storm, cleanup,
                     column_is, ensure_storm, log, run_storm, running_pids, scan_output)

PEER_SCRIPT = os.path.join(BENCH_DIR, "tcpconnect_peer.bt")

# Column (0-based) that ties an output line to the storm.
COL_PID = 1  # tcpconnect, tcpaccept, peer: PID is column 2
COL_LPORT = 6  # tcpaccept: LPORT is column 7


# ---------------------------------------------------------------- the machine


def median(xs):
    return statistics.median(xs) if xs else None


def cpu_busy(interval=1.0):
    """Fraction of all CPUs busy over `interval` s, from /proc/stat (None if unreadable)."""
    def snap():
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals[:8]), idle
    try:
        t1, i1 = snap()
        time.sleep(interval)
        t2, i2 = snap()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (i2 - i1) / (t2 - t1) if t2 > t1 else None


def foreign_tracers():
    """Other tracer processes running now (they would slow the untraced runs too)."""
    found = []
    mine = running_pids()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in mine or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm in ("tcpconnect", "tcpaccept", "bpftrace") or comm.startswith(("tcpconnect", "tcpaccept")):
            found.append(f"{comm}[{d}]")
    return found


def listening_ports():
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 3 and parts[3] == "0A":  # TCP_LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def pick_unused_port(requested):
    lo, hi = 32768, 60999
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        pass
    busy = listening_ports()
    candidates = [requested] if requested else list(range(65001, 65535)) + list(range(1, 1024))
    for port in candidates:
        if port not in busy and not (lo <= port <= hi):
            return port
    if requested:
        return requested  # the user asked for it; trust them
    raise RunError("no unused port outside the ephemeral range found")


# ---------------------------------------------------------------- storms


def storm_timeout(args):
    # Generous: 1,000 connections/s worst case, plus slack.
    return 60 + args.connections / 1000.0


def cpu_per_conn(res):
    if res.get("cpu") is None or not res["connections"]:
        return None
    return res["cpu"] / res["connections"]


def cpu_ratio(traced, neighbours):
    """Storm CPU time per connection, traced / untraced (>1: overhead)."""
    t = cpu_per_conn(traced)
    base = [c for c in (cpu_per_conn(n) for n in neighbours) if c]
    if t is None or not base:
        return None
    return t / (sum(base) / len(base))


def run_untraced(args):
    return run_storm(args.storm, args.connections, timeout=storm_timeout(args),
                     threads=args.threads, ipv6=args.ipv6)


# ---------------------------------------------------------------- cases


class Case:
    def __init__(self, key, tool, backend, argv, col, match, filt):
        self.key = key  # label in the table
        self.tool = tool  # tcpconnect | tcpaccept | peer
        self.backend = backend
        self.argv = argv  # full argv
        self.col = col
        self.match = match  # "pid" | "port"
        self.filt = filt  # None | "pid" | "port"
        self.base = key  # key of the unfiltered case (startup is measured there)
        self.rounds = []  # per-round results
        self.errors = []


def backend_args(backend):
    return [] if backend == "default" else ["--backend", backend]


NO_SUCH_COMM = "tt-bench-nobody"  # no task is called that: --comm rejects every event
NO_STORM_PREFIX = "192.0.2.0/24"  # TEST-NET-1: --daddr/--raddr reject every storm event


def build_cases(args, tool_paths, other_pid, unused_port):
    cases = []
    for tool in args.tools:
        path = tool_paths.get(tool)
        if not path:
            continue
        col, match = (COL_PID, "pid") if tool == "tcpconnect" else (COL_LPORT, "port")
        for be in args.backends:
            base = [path] + backend_args(be)
            bl = "" if be == "default" else f" --backend {be}"
            cases.append(Case(f"{tool}{bl}", tool, be, base, col, match, None))
            if args.filter_cases:
                # Issue 36's: a name no task has, a prefix no storm address is in
                # (TEST-NET-1; the storm is on loopback), both rejected in the kernel.
                peer = "--daddr" if tool == "tcpconnect" else "--raddr"
                for filt, extra, label in (("pid", ["-p", str(other_pid)], "-p OTHER"),
                                           ("port", ["-P", str(unused_port)], f"-P {unused_port}"),
                                           ("comm", ["--comm", NO_SUCH_COMM], "--comm OTHER"),
                                           ("cidr", [peer, NO_STORM_PREFIX],
                                            f"{peer} {NO_STORM_PREFIX}")):
                    fc = Case(f"{tool}{bl} {label}", tool, be, base + extra, col, match, filt)
                    fc.base = f"{tool}{bl}"
                    cases.append(fc)
            if args.dns_case and tool == "tcpconnect":
                # -d: every ingress packet of the storm also meets the DNS program.
                dc = Case(f"{tool}{bl} -d", tool, be, base + ["-d"], col, match, None)
                dc.base = f"{tool}{bl}"
                cases.append(dc)
            # -o: tcpconnect holds each attempt in the kernel until its outcome;
            # tcpaccept each child from its SYN to its accept (issue 35). Printed once.
            cases.append(Case(f"{tool}{bl} -o", tool, be, base + ["-o"], col, match, None))
            # -G: every line names its cgroup (looked up once per cgroup, then cached).
            cases.append(Case(f"{tool}{bl} -G", tool, be, base + ["-G"], col, match, None))
            if args.dns_case and tool == "tcpconnect":
                # The three questions at once: who, to which name, did it work.
                cases.append(Case(f"{tool}{bl} -d -o -G", tool, be, base + ["-d", "-o", "-G"],
                                  col, match, None))
    if args.bpftrace_path:
        cases.append(Case("bpftrace peer (tcpconnect_peer.bt)", "peer", "bpftrace",
                          harness.with_tracefs([args.bpftrace_path, "-B", "line", PEER_SCRIPT]),
                          COL_PID, "pid", None))
    return cases


def remove(*paths):
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def run_traced(case, args, workdir, tag):
    """One storm under the case's tracer, streaming to a file: what it caught."""
    out_path = os.path.join(workdir, f"{tag}.out")
    err_path = os.path.join(workdir, f"{tag}.err")
    storm = Storm(args.storm, args.connections, ipv6=args.ipv6, threads=args.threads,
                  wait_start=True)
    tracer = None
    try:
        tracer = Tracer(case.argv, out_path=out_path, err_path=err_path)
        header_s = tracer.wait_live(args.header_timeout)
        storm.go()
        res = storm.finish(storm_timeout(args))
        tracer.drain(args.drain_quiet, args.drain_max)
    except BaseException:
        storm.abort()
        if tracer:
            tracer.stop(timeout=5)
        raise
    tracer.stop(timeout=args.stop_timeout)
    try:
        check_storm(res, args.connections)
    except RunError:
        if not args.keep:
            remove(out_path, err_path)
        raise
    value = res["pid"] if case.match == "pid" else res["port"]
    scan = scan_output(out_path, err_path, column_is(case.col, value))
    expected = res["connections"] + (res["failed"] if case.tool != "tcpaccept" else 0)
    expected_match = 0 if case.filt else expected
    r = {
        "storm": res,
        "header_s": header_s,
        "lines": scan["lines"],
        "matched": scan["matched"],
        "expected": expected_match,
        "lost": expected_match - scan["matched"],
        "other": scan["lines"] - scan["matched"],
        "tool_reported_lost": scan["tool_reported_lost"],
        "peak_rss_kb": tracer.peak_rss_kb(),
        "vmhwm_kb": tracer.hwm_kb,
        "cpu_s": tracer.cpu_s(),
        "tracer_exit": tracer.returncode,
        "tracer_exited_ok": tracer.exited_ok(),
        "tracer_stderr": tracer.stderr_tail(),
    }
    if not args.keep:
        remove(out_path, err_path)
    return r


def measure_startup(argv, args, workdir, tag):
    tracer = Tracer(argv, out_path=os.path.join(workdir, f"{tag}.out"),
                    err_path=os.path.join(workdir, f"{tag}.err"))
    try:
        t = tracer.wait_live(args.header_timeout)
    finally:
        tracer.stop(timeout=args.stop_timeout)
    return t, tracer.peak_rss_kb(), tracer.exited_ok()


# ---------------------------------------------------------------- report


def fmt_spread(xs, fmt):
    if not xs:
        return "-"
    return f"{fmt(median(xs))} [{fmt(min(xs))}-{fmt(max(xs))}]"


def report(args, cases, untraced, startup, unused_port, out=sys.stdout):
    ok_untraced = [u["rate"] for u in untraced]
    print("", file=out)
    print(f"tcptools benchmark: {args.connections} connections/round, {args.rounds} round(s), "
          f"{args.threads} storm thread(s), {'IPv6 ::1' if args.ipv6 else 'IPv4 127.0.0.1'}, "
          f"kernel {os.uname().release}", file=out)
    legend = [
        "ratio = traced rate / mean of the untraced runs just before and after it; "
        "[min-max] over rounds",
        "stormcpu = storm's own CPU time per connection (BPF programs run in its context), traced / "
        "the same neighbours (>1: overhead; less sensitive to other load than the rate)",
        f"lost = storm connections - lines of the storm (tcpconnect/peer: PID = storm pid; "
        f"tcpaccept: LPORT = storm port); -p OTHER = pid {os.getpid()}, -P {unused_port}: "
        f"expected 0",
        "toolrep = max events the tracer itself reported lost ('Lost N events'), - if none; "
        "other = max lines not of the storm",
        "start = exec to header line, ms (unfiltered rows: dedicated starts without load; filter rows: "
        "the rounds' starts); RSS = tracer peak RSS, MiB; cpu = tracer CPU s per round (median)",
    ]
    for line in legend:
        print(line, file=out)
    print("", file=out)
    hdr = (f"{'case':<40} {'conn/s':>8} {'ratio med [min-max]':>20} {'stormcpu med [min-max]':>22} "
           f"{'lost med [min-max]':>20} {'toolrep':>7} {'other':>6} {'start ms med [min-max]':>24} {'RSS':>6} "
           f"{'cpu':>6}")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    if ok_untraced:
        med = median(ok_untraced)
        noise = [x / med for x in ok_untraced]
        cpc = [c for c in (cpu_per_conn(u) for u in untraced) if c]
        cnoise = [c / median(cpc) for c in cpc] if cpc else []
        print(f"{'untraced (ratio: run / median)':<40} {med:>8.0f} "
              f"{fmt_spread(noise, lambda v: f'{v:.2f}'):>20} {fmt_spread(cnoise, lambda v: f'{v:.2f}'):>22} "
              f"{'':>20} {'':>7} {'':>6} {'':>24} {'':>6} {'':>6}", file=out)
        if cpc:
            print(f"{'':<40} untraced storm CPU: {median(cpc) * 1e6:.1f} us/connection (median)", file=out)
    for c in cases:
        rs = c.rounds
        if not rs:
            print(f"{c.key:<40} {'FAILED: ' + (c.errors[0] if c.errors else 'no rounds')}"[:160], file=out)
            continue
        rates = [r["storm"]["rate"] for r in rs]
        ratios = [r["ratio"] for r in rs if r.get("ratio")]
        cratios = [r["cpu_ratio"] for r in rs if r.get("cpu_ratio")]
        lost = [r["lost"] for r in rs]
        other = max(r["other"] for r in rs)
        rep = [r["tool_reported_lost"] for r in rs if r["tool_reported_lost"] is not None]
        rep_s = str(max(rep)) if rep else "-"
        st = startup.get(c.key)
        st_ms = [t * 1000 for t in st["times"]] if st else [r["header_s"] * 1000 for r in rs]
        rss = [r["peak_rss_kb"] for r in rs if r["peak_rss_kb"]]
        cpu = [r["cpu_s"] for r in rs if r["cpu_s"] is not None]
        print(f"{c.key:<40} {median(rates):>8.0f} {fmt_spread(ratios, lambda v: f'{v:.2f}'):>20} "
              f"{fmt_spread(cratios, lambda v: f'{v:.2f}'):>22} "
              f"{fmt_spread(lost, lambda v: f'{v:.0f}'):>20} {rep_s:>7} {other:>6} "
              f"{fmt_spread(st_ms, lambda v: f'{v:.0f}'):>24} "
              f"{(max(rss) / 1024 if rss else 0):>6.1f} {(median(cpu) if cpu else 0):>6.2f}", file=out)
        if c.errors:
            print(f"{'':<40} ({len(c.errors)} failed round(s): {c.errors[0]})"[:200], file=out)
    print("", file=out)


# ---------------------------------------------------------------- main


def parse_args(argv):
    def at_least(convert, minimum, what):
        """An argparse type: convert(s), refused below minimum."""
        def parse(s):
            try:
                v = convert(s)
            except ValueError:
                raise argparse.ArgumentTypeError(f"invalid {what} {s!r}")
            if v < minimum:
                raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {v}")
            return v
        return parse

    positive = at_least(lambda s: int(s, 10), 1, "integer")
    nonneg_float = at_least(float, 0, "number")

    def csv(s):
        return [x for x in s.split(",") if x]

    p = argparse.ArgumentParser(
        description="tcptools benchmark runner: storm rate untraced vs traced by tcpconnect/tcpaccept "
                    "(and a bpftrace peer), interleaved rounds, medians and spread.")
    p.add_argument("--build-dir", default=os.path.join(REPO_DIR, "build"),
                   help="where tcpconnect/tcpaccept are and storm is built (default: %(default)s)")
    p.add_argument("--tool-dir", help="directory holding tcpconnect and tcpaccept (default: --build-dir)")
    p.add_argument("--tcpconnect", help="path of tcpconnect (default: TOOL_DIR/tcpconnect)")
    p.add_argument("--tcpaccept", help="path of tcpaccept (default: TOOL_DIR/tcpaccept)")
    p.add_argument("--storm", help="storm binary (default: BUILD_DIR/storm, built with gcc if missing)")
    p.add_argument("--rebuild-storm", action="store_true", help="build storm with gcc even if it exists")
    p.add_argument("-n", "--connections", type=positive, default=None,
                   help="connections per storm run (default 200000; smoke 2000)")
    p.add_argument("-r", "--rounds", type=positive, default=None, help="rounds (default 3; smoke 1)")
    p.add_argument("-t", "--threads", type=positive, default=1, help="storm threads (default 1)")
    p.add_argument("-6", "--ipv6", action="store_true", help="storm over ::1 instead of 127.0.0.1")
    p.add_argument("--tools", type=csv, default=["tcpconnect", "tcpaccept"],
                   help="comma list (default: tcpconnect,tcpaccept)")
    p.add_argument("--backends", type=csv, default=["default", "tracepoint"],
                   help="comma list; 'default' passes no --backend (default: default,tracepoint)")
    p.add_argument("--no-dns-case", dest="dns_case", action="store_false",
                   help="skip the tcpconnect -d case")
    p.add_argument("--no-filter-cases", dest="filter_cases", action="store_false",
                   help="skip the -p OTHER / -P UNUSED cases")
    p.add_argument("--unused-port", type=positive, default=None,
                   help="port for the -P case (default: a free one outside the ephemeral range)")
    p.add_argument("--no-bpftrace", action="store_true", help="skip the bpftrace peer")
    p.add_argument("--bpftrace", default=None, help="bpftrace binary (default: from PATH)")
    p.add_argument("--starts", type=positive, default=None,
                   help="dedicated starts per tool/backend for the exec-to-header time (default 5; smoke 1)")
    p.add_argument("--header-timeout", type=nonneg_float, default=30.0, help="seconds (default 30)")
    p.add_argument("--stop-timeout", type=nonneg_float, default=15.0,
                   help="seconds a tracer gets to exit after SIGINT (default 15)")
    p.add_argument("--drain-quiet", type=nonneg_float, default=0.2,
                   help="after the storm, wait until the output has not grown for this long (default 0.2 s)")
    p.add_argument("--drain-max", type=nonneg_float, default=10.0, help="...but at most this long (default 10 s)")
    p.add_argument("--out-dir", help="keep tracer outputs here (default: a temporary dir, removed)")
    p.add_argument("--keep", action="store_true", help="keep tracer output files (implied by --out-dir)")
    p.add_argument("--json", help="write all raw results to this file")
    p.add_argument("--smoke", action="store_true",
                   help="tiny run (2000 connections, 1 round, 1 start); exit 0/1 on pipeline sanity, "
                        "never on timings")
    p.add_argument("--skip-missing", action="store_true",
                   help="a missing tool or bpftrace is skipped, not a failure (in --smoke)")
    args = p.parse_args(argv)
    for b in args.backends:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", b):
            p.error(f"invalid backend {b!r}")
    for t in args.tools:
        if t not in ("tcpconnect", "tcpaccept"):
            p.error(f"unknown tool {t!r} (tcpconnect, tcpaccept)")
    if args.connections is None:
        args.connections = 2000 if args.smoke else 200000
    if args.rounds is None:
        args.rounds = 1 if args.smoke else 3
    if args.starts is None:
        args.starts = 1 if args.smoke else 5
    if args.out_dir:
        args.keep = True
    return args


def find_tracers(args, problems):
    """The tools' paths (tool -> path) and args.bpftrace_path; what is missing
    goes to problems in --smoke (unless --skip-missing)."""
    tool_dir = args.tool_dir or args.build_dir
    tool_paths = {}
    for tool in args.tools:
        path = getattr(args, tool) or os.path.join(tool_dir, tool)
        if os.access(path, os.X_OK) and os.path.isfile(path):
            tool_paths[tool] = os.path.abspath(path)
        else:
            msg = f"{tool}: not found at {path}"
            log(msg + ", skipped")
            if args.smoke and not args.skip_missing:
                problems.append(msg)
    args.bpftrace_path = None
    if not args.no_bpftrace:
        args.bpftrace_path = args.bpftrace or shutil.which("bpftrace")
        if not args.bpftrace_path:
            log("bpftrace not found, no peer row")
            if args.smoke and not args.skip_missing:
                problems.append("bpftrace: not found (--no-bpftrace runs without the peer row)")
    return tool_paths


def machine_state(warn):
    """How busy the machine is and which other tracers run (others' load
    slows every run); with warn, says so when it matters."""
    busy, others = cpu_busy(), foreign_tracers()
    if warn and others:
        log("warning: other tracers are running and will slow every run: " + " ".join(others))
    if warn and busy is not None and busy > 0.10:
        log(f"warning: the machine is already {busy * 100:.0f}% busy before the benchmark; "
            "expect noisy numbers")
    return {"busy": busy, "tracers": others}


def measure_starts(cases, args, workdir):
    """Step 1: exec-to-header time of each unfiltered case, dedicated starts
    (no load). Returns case key -> {times, rss_kb, errors}."""
    startup = {}
    for c in cases:
        if c.filt:
            continue
        st = {"times": [], "rss_kb": [], "errors": []}
        for i in range(args.starts):
            try:
                t, rss, ok = measure_startup(c.argv, args, workdir, f"start-{len(startup)}-{i}")
                st["times"].append(t)
                st["rss_kb"].append(rss)
                if not ok:
                    st["errors"].append("did not exit cleanly on SIGINT")
            except RunError as e:
                st["errors"].append(str(e))
                break
        startup[c.key] = st
        log(f"start {c.key}: " + (", ".join(f"{t * 1000:.0f}ms" for t in st["times"]) or "-")
            + (f"  ERROR {st['errors'][0]}" if st["errors"] else ""))
        if st["errors"] and not st["times"]:
            c.errors.append("startup: " + st["errors"][0])
    return startup


def cases_that_started(cases, startup):
    """The cases whose unfiltered variant started (the others are marked)."""
    started = []
    for c in cases:
        st = startup.get(c.base)
        if c.errors:
            continue
        if st is None or not st["times"]:
            c.errors.append("skipped: its unfiltered variant failed to start")
            continue
        started.append(c)
    return started


def with_neighbours(r, prev, nxt, rnd):
    """A traced round's ratios to the untraced storms just before and after it."""
    neighbours = [x for x in (prev, nxt) if x]
    r["untraced_rate"] = sum(x["rate"] for x in neighbours) / len(neighbours)
    r["ratio"] = r["storm"]["rate"] / r["untraced_rate"] if r["untraced_rate"] else None
    r["round"] = rnd
    r["cpu_ratio"] = cpu_ratio(r["storm"], neighbours)
    return r


def run_rounds(cases, args, workdir, problems):
    """Step 2: interleaved rounds, A B1 A B2 A ... A (A untraced, Bi traced),
    the case order rotated per round; each traced round goes to its case.
    Returns the untraced storms."""
    untraced = []

    def untraced_storm(where):
        """An untraced storm (kept in untraced), or None if it failed."""
        try:
            untraced.append(run_untraced(args))
            return untraced[-1]
        except RunError as e:
            problems.append(f"untraced storm: {e}")
            log(f"{where}untraced storm failed: {e}")
            return None

    for rnd in range(args.rounds):
        if not cases:
            break
        k = rnd % len(cases)
        order = cases[k:] + cases[:k]
        prev = untraced_storm(f"round {rnd + 1}: ")
        if prev is None:
            break
        log(f"round {rnd + 1}/{args.rounds}: untraced {prev['rate']:.0f}/s")
        for c in order:
            try:
                r = run_traced(c, args, workdir, f"r{rnd}-{cases.index(c)}")
            except RunError as e:
                c.errors.append(str(e))
                log(f"  {c.key}: ERROR {e}")
                r = None
            nxt = untraced_storm("  ")
            if r is not None:
                c.rounds.append(with_neighbours(r, prev, nxt, rnd))
                log(f"  {c.key}: {r['storm']['rate']:.0f}/s ratio {r['ratio']:.2f} "
                    f"lines {r['lines']} matched {r['matched']} lost {r['lost']} "
                    f"header {r['header_s'] * 1000:.0f}ms rss {(r['peak_rss_kb'] or 0) / 1024:.1f}MiB")
            if nxt is None:
                break
            prev = nxt
    return untraced


def sanity_problems(cases, startup):
    """What --smoke judges (also reported in a full run): never a timing."""
    problems = []
    for c in cases:
        for e in c.errors:
            problems.append(f"{c.key}: {e}")
        st = startup.get(c.key)
        if st and st["errors"]:
            problems.append(f"{c.key}: start: {st['errors'][0]}")
        for r in c.rounds:
            where = f"{c.key} round {r['round'] + 1}"
            if not r["tracer_exited_ok"]:
                problems.append(f"{where}: tracer exit {r['tracer_exit']} after SIGINT "
                                f"(not a clean exit) {r['tracer_stderr']}")
            if c.filt is None:
                if r["matched"] <= 0:
                    problems.append(f"{where}: no lines of the storm captured "
                                    f"({r['lines']} lines in all)")
                elif r["matched"] > r["expected"]:
                    problems.append(f"{where}: {r['matched']} storm lines for {r['expected']} connections")
            elif r["matched"] != 0:
                problems.append(f"{where}: filter that matches nothing let {r['matched']} storm lines through")
            if not r["storm"]["rate"] > 0 or not r.get("ratio"):
                problems.append(f"{where}: rate {r['storm']['rate']} ratio {r.get('ratio')}")
            if not r["peak_rss_kb"]:
                problems.append(f"{where}: no RSS reading")
        if not c.rounds and not c.errors:
            problems.append(f"{c.key}: no completed round")
    return problems


def report_machine(before, after):
    def pct(busy):
        return "?" if busy is None else f"{busy * 100:.0f}%"
    print(f"machine CPU busy before/after the run (others' load): "
          f"{pct(before['busy'])} / {pct(after['busy'])}")
    if before["tracers"] or after["tracers"]:
        print("other tracers seen running (before / after): "
              f"{' '.join(before['tracers']) or '-'} / {' '.join(after['tracers']) or '-'}")


def write_json(path, args, machine, untraced, startup, cases, problems):
    data = {
        "params": dict(vars(args)),
        "kernel": os.uname().release,
        "cpu_busy_before": machine[0]["busy"],
        "cpu_busy_after": machine[1]["busy"],
        "foreign_tracers_before": machine[0]["tracers"],
        "foreign_tracers_after": machine[1]["tracers"],
        "untraced": untraced,
        "startup": startup,
        "cases": [{"key": c.key, "tool": c.tool, "backend": c.backend, "argv": c.argv,
                   "filter": c.filt, "rounds": c.rounds, "errors": c.errors} for c in cases],
        "problems": problems,
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=1, default=str)


def main(argv):
    args = parse_args(argv)
    if os.geteuid() != 0:
        log("warning: not root; the tracers need root and live BPF")
    args.storm = os.path.abspath(args.storm or os.path.join(args.build_dir, "storm"))
    ensure_storm(args.storm, args.rebuild_storm)
    problems = []  # smoke failures / run errors
    tool_paths = find_tracers(args, problems)
    unused_port = pick_unused_port(args.unused_port)
    # The runner's own pid for -p: it makes no connections while a storm runs.
    cases = build_cases(args, tool_paths, os.getpid(), unused_port)
    if not cases:
        log("nothing to trace (no tools, no bpftrace)")
        return 1
    before = machine_state(warn=True)

    workdir = args.out_dir or tempfile.mkdtemp(prefix="tcptools-bench-")
    os.makedirs(workdir, exist_ok=True)
    # The tools' compile cache: the run's own, so that the machine's does not
    # decide the start times (the first start of a command line fills it).
    if not os.environ.get("TCPTOOLS_CACHE_DIR"):
        os.environ["TCPTOOLS_CACHE_DIR"] = os.path.join(workdir, "compile-cache")
    untraced, startup = [], {}
    try:
        startup = measure_starts(cases, args, workdir)
        untraced = run_rounds(cases_that_started(cases, startup), args, workdir, problems)
    except KeyboardInterrupt:
        log("interrupted")
        problems.append("interrupted")
    finally:
        cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.out_dir is None:
            log(f"tracer outputs kept in {workdir}")

    after = machine_state(warn=False)
    report(args, cases, untraced, startup, unused_port)
    report_machine(before, after)
    problems += sanity_problems(cases, startup)
    if args.json:
        write_json(args.json, args, (before, after), untraced, startup, cases, problems)
    if problems:
        print("problems:")
        for pr in problems:
            print("  - " + pr)
    if args.smoke:
        print("smoke: " + ("FAIL" if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    harness.exit_with(lambda: main(sys.argv[1:]), "run.py")
