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
  * the "filter that matches nothing" cases: -p <other pid> and
    -P <unused port>,
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
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
STORM_SRC = os.path.join(BENCH_DIR, "storm.c")
PEER_SCRIPT = os.path.join(BENCH_DIR, "tcpconnect_peer.bt")

# Column (0-based) that ties an output line to the storm.
COL_PID = 1  # tcpconnect, tcpaccept, peer: PID is column 2
COL_LPORT = 6  # tcpaccept: LPORT is column 7

LIVE = set()  # processes to clean up on the way out


class RunError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- helpers


def median(xs):
    return statistics.median(xs) if xs else None


def parse_kv(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


def read_line(fd, timeout, what):
    """Read one line from a raw fd, without reading past it (the writer
    writes nothing more until told to)."""
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise RunError(f"timed out after {timeout:.0f}s waiting for {what}")
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RunError(f"EOF while waiting for {what} (got {buf!r})")
        buf += chunk
    return buf.decode(errors="replace").strip()


def reap(proc, timeout):
    """wait4() the child with a timeout; returns (exitcode, rusage) or None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            return (proc.returncode, None)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return (proc.returncode, ru)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


def kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup():
    for p in list(LIVE):
        if p.poll() is None:
            kill_group(p, signal.SIGKILL)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        LIVE.discard(p)


def proc_status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


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
    mine = {p.pid for p in LIVE}
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


# ---------------------------------------------------------------- storm


def ensure_storm(path, rebuild):
    """Build storm with gcc if it is missing (or --rebuild-storm).  An existing
    one (e.g. CMake's target in build/) is used as it is, with a warning if it
    is older than its source."""
    if os.access(path, os.X_OK) and not rebuild:
        if os.path.getmtime(path) < os.path.getmtime(STORM_SRC):
            log(f"warning: {path} is older than {STORM_SRC}; rebuild it "
                "(cmake --build, or run.py --rebuild-storm)")
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    cc = os.environ.get("CC", "gcc")
    cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", path, STORM_SRC]
    log("building storm: " + " ".join(cmd))
    r = subprocess.run(cmd)
    if r.returncode != 0:
        raise RunError(f"building {path} failed")


class Storm:
    def __init__(self, args):
        argv = [args.storm, "-n", str(args.connections), "-t", str(args.threads), "--wait-start"]
        if args.ipv6:
            argv.append("-6")
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        LIVE.add(self.proc)
        try:
            line = read_line(self.proc.stdout.fileno(), 10, "storm's ready line")
        except RunError:
            self.abort()
            raise
        kv = parse_kv(line)
        if not line.startswith("ready") or "pid" not in kv or "port" not in kv:
            self.abort()
            raise RunError(f"unexpected storm ready line: {line!r}")
        self.pid = int(kv["pid"])
        self.port = int(kv["port"])

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()  # communicate() closes it later

    def finish(self, timeout):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.abort()
            raise RunError(f"storm did not finish within {timeout:.0f}s")
        LIVE.discard(self.proc)
        lines = [l for l in out.decode(errors="replace").splitlines() if l.startswith("connections=")]
        if not lines:
            raise RunError(f"storm printed no result line (exit {self.proc.returncode}): "
                           f"{err.decode(errors='replace').strip()}")
        kv = parse_kv(lines[-1])
        res = {
            "connections": int(kv["connections"]),
            "failed": int(kv.get("failed", 0)),
            "accept_failed": int(kv.get("accept_failed", 0)),
            "early_reset": int(kv.get("early_reset", 0)),
            "seconds": float(kv["seconds"]),
            "rate": float(kv["rate"]),
            "cpu": float(kv["cpu"]) if "cpu" in kv else None,
            "pid": self.pid,
            "port": self.port,
            "exit": self.proc.returncode,
            "stderr": err.decode(errors="replace").strip(),
        }
        return res

    def abort(self):
        if self.proc.poll() is None:
            kill_group(self.proc, signal.SIGKILL)
            self.proc.wait()
        LIVE.discard(self.proc)


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
    s = Storm(args)
    s.go()
    res = s.finish(storm_timeout(args))
    check_storm(res, args)
    return res


def check_storm(res, args):
    if res["exit"] != 0 or res["connections"] != args.connections:
        raise RunError(
            f"storm made {res['connections']}/{args.connections} connections, "
            f"failed={res['failed']} accept_failed={res['accept_failed']} exit={res['exit']}"
            + (f": {res['stderr']}" if res["stderr"] else "")
        )


# ---------------------------------------------------------------- tracer


class Tracer:
    def __init__(self, argv, out_path, err_path):
        self.argv = argv
        self.out_path = out_path
        self.err_path = err_path
        self.out = open(out_path, "wb")
        self.err = open(err_path, "wb")
        self.rusage = None
        self.exit = None
        self.hwm_kb = None
        self.killed = False
        self.t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err,
                start_new_session=True,
            )
        except OSError as e:
            self.out.close()
            self.err.close()
            raise RunError(f"cannot start {argv[0]}: {e}")
        LIVE.add(self.proc)

    def stderr_tail(self, n=300):
        try:
            with open(self.err_path, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        txt = data.decode(errors="replace").strip().replace("\n", " | ")
        return txt[-n:]

    def wait_header(self, timeout):
        """Seconds from exec to the header line appearing in the output file."""
        deadline = self.t0 + timeout
        while True:
            try:
                with open(self.out_path, "rb") as f:
                    head = f.read(65536)
            except OSError:
                head = b""
            for line in head.split(b"\n")[:-1]:  # complete lines only
                toks = line.split()
                if toks and toks[0] == b"TIME":
                    return time.monotonic() - self.t0
            if self.proc.poll() is not None:
                raise RunError(f"{self.argv[0]} exited ({self.proc.returncode}) before its header line: "
                               f"{self.stderr_tail()}")
            if time.monotonic() >= deadline:
                raise RunError(
                    f"no header line from {' '.join(self.argv)} within {timeout:.0f}s "
                    f"(is the header flushed when stdout is a file?) {self.stderr_tail()}")
            time.sleep(0.002)

    def drain(self, quiet, max_wait):
        """Wait until the output file has stopped growing for `quiet` s."""
        last = -1
        stable_since = time.monotonic()
        deadline = stable_since + max_wait
        while time.monotonic() < deadline:
            size = os.path.getsize(self.out_path)
            now = time.monotonic()
            if size != last:
                last = size
                stable_since = now
            elif now - stable_since >= quiet:
                return
            time.sleep(0.02)

    def stop(self, timeout):
        self.hwm_kb = proc_status_kb(self.proc.pid, "VmHWM")
        if self.proc.poll() is None:
            kill_group(self.proc, signal.SIGINT)
        r = reap(self.proc, timeout)
        if r is None:
            self.killed = True
            kill_group(self.proc, signal.SIGTERM)
            r = reap(self.proc, 5)
            if r is None:
                kill_group(self.proc, signal.SIGKILL)
                r = reap(self.proc, 5) or (None, None)
        self.exit, self.rusage = r
        LIVE.discard(self.proc)
        self.out.close()
        self.err.close()

    def peak_rss_kb(self):
        vals = [v for v in (self.hwm_kb, self.rusage.ru_maxrss if self.rusage else None) if v]
        return max(vals) if vals else None

    def cpu_s(self):
        return (self.rusage.ru_utime + self.rusage.ru_stime) if self.rusage else None

    def exited_ok(self):
        return not self.killed and self.exit in (0, -signal.SIGINT, 128 + signal.SIGINT)


LOST_RE = re.compile(rb"(?i)lost\s+(\d+)\s+events?|(\d+)\s+events?\s+lost")
# A tracer that prints a running total ("lost N events in total") is taken at
# its largest total; otherwise the reports (bpftrace: "Lost N events") add up.
LOST_TOTAL_RE = re.compile(rb"(?i)lost\s+(\d+)\s+events?\s+in\s+total")


def scan_output(out_path, err_path, col, value):
    """Count data lines after the header and those whose column `col` == value."""
    header = False
    data = matched = 0
    reported = None
    want = str(value).encode()
    with open(out_path, "rb") as f:
        for line in f:
            toks = line.split()
            if not header:
                header = bool(toks) and toks[0] == b"TIME"
                continue
            if not toks:
                continue
            m = LOST_RE.search(line) if len(toks) < 6 else None
            if m:  # e.g. bpftrace's "Lost N events" goes to stdout
                reported = (reported or 0) + int(m.group(1) or m.group(2))
                continue
            data += 1
            if len(toks) > col and toks[col] == want:
                matched += 1
    try:
        with open(err_path, "rb") as f:
            err = f.read()
    except OSError:
        err = b""
    totals = [int(m.group(1)) for m in LOST_TOTAL_RE.finditer(err)]
    if totals:
        reported = max(totals)
    else:
        for m in LOST_RE.finditer(err):
            reported = (reported or 0) + int(m.group(1) or m.group(2))
    return {"header": header, "lines": data, "matched": matched, "tool_reported_lost": reported}


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
                for filt, extra, label in (("pid", ["-p", str(other_pid)], "-p OTHER"),
                                           ("port", ["-P", str(unused_port)], f"-P {unused_port}")):
                    fc = Case(f"{tool}{bl} {label}", tool, be, base + extra, col, match, filt)
                    fc.base = f"{tool}{bl}"
                    cases.append(fc)
            if args.dns_case and tool == "tcpconnect":
                # -d: every ingress packet of the storm also meets the DNS program.
                dc = Case(f"{tool}{bl} -d", tool, be, base + ["-d"], col, match, None)
                dc.base = f"{tool}{bl}"
                cases.append(dc)
            if tool == "tcpconnect":
                # -o: each attempt held in the kernel until its outcome, then printed once.
                cases.append(Case(f"{tool}{bl} -o", tool, be, base + ["-o"], col, match, None))
            # -G: every line names its cgroup (looked up once per cgroup, then cached).
            cases.append(Case(f"{tool}{bl} -G", tool, be, base + ["-G"], col, match, None))
            if args.dns_case and tool == "tcpconnect":
                # The three questions at once: who, to which name, did it work.
                cases.append(Case(f"{tool}{bl} -d -o -G", tool, be, base + ["-d", "-o", "-G"],
                                  col, match, None))
    if args.bpftrace_path:
        cases.append(Case("bpftrace peer (tcpconnect_peer.bt)", "peer", "bpftrace",
                          with_tracefs([args.bpftrace_path, "-B", "line", PEER_SCRIPT]),
                          COL_PID, "pid", None))
    return cases


TRACEFS_DIRS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")


def with_tracefs(argv):
    """bpftrace finds tracepoints in tracefs only. Where tracefs is not
    mounted (a fresh machine), argv runs in a private mount namespace that has
    it, as the tools do for themselves; exec keeps the pid argv's own."""
    if any(os.path.isdir(os.path.join(d, "events")) for d in TRACEFS_DIRS):
        return argv
    mount = f'mount -t tracefs tracefs {TRACEFS_DIRS[0]} && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh", *argv]


def run_traced(case, args, workdir, tag):
    out_path = os.path.join(workdir, f"{tag}.out")
    err_path = os.path.join(workdir, f"{tag}.err")
    storm = Storm(args)
    tracer = None
    try:
        tracer = Tracer(case.argv, out_path, err_path)
        header_s = tracer.wait_header(args.header_timeout)
        storm.go()
        res = storm.finish(storm_timeout(args))
        tracer.drain(args.drain_quiet, args.drain_max)
    except BaseException:
        storm.abort()
        if tracer:
            tracer.stop(5)
        raise
    tracer.stop(args.stop_timeout)
    try:
        check_storm(res, args)
    except RunError:
        if not args.keep:
            for p in (out_path, err_path):
                try:
                    os.unlink(p)
                except OSError:
                    pass
        raise
    value = res["pid"] if case.match == "pid" else res["port"]
    scan = scan_output(out_path, err_path, case.col, value)
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
        "tracer_exit": tracer.exit,
        "tracer_exited_ok": tracer.exited_ok(),
        "tracer_stderr": tracer.stderr_tail(),
    }
    if not args.keep:
        for p in (out_path, err_path):
            try:
                os.unlink(p)
            except OSError:
                pass
    return r


def measure_startup(argv, args, workdir, tag):
    tracer = Tracer(argv, os.path.join(workdir, f"{tag}.out"), os.path.join(workdir, f"{tag}.err"))
    try:
        t = tracer.wait_header(args.header_timeout)
    finally:
        tracer.stop(args.stop_timeout)
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
    print("ratio = traced rate / mean of the untraced runs just before and after it; "
          "[min-max] over rounds", file=out)
    print("stormcpu = storm's own CPU time per connection (BPF programs run in its context), traced / "
          "the same neighbours (>1: overhead; less sensitive to other load than the rate)", file=out)
    print(f"lost = storm connections - lines of the storm (tcpconnect/peer: PID = storm pid; "
          f"tcpaccept: LPORT = storm port); -p OTHER = pid {os.getpid()}, -P {unused_port}: "
          f"expected 0", file=out)
    print("toolrep = max events the tracer itself reported lost ('Lost N events'), - if none; "
          "other = max lines not of the storm", file=out)
    print("start = exec to header line, ms (unfiltered rows: dedicated starts without load; filter rows: "
          "the rounds' starts); RSS = tracer peak RSS, MiB; cpu = tracer CPU s per round (median)",
          file=out)
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


def main(argv):
    args = parse_args(argv)
    if os.geteuid() != 0:
        log("warning: not root; the tracers need root and live BPF")
    tool_dir = args.tool_dir or args.build_dir
    args.storm = os.path.abspath(args.storm or os.path.join(args.build_dir, "storm"))
    ensure_storm(args.storm, args.rebuild_storm)

    problems = []  # smoke failures / run errors
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

    other_pid = os.getpid()  # the runner makes no connections while a storm runs
    unused_port = pick_unused_port(args.unused_port)
    cases = build_cases(args, tool_paths, other_pid, unused_port)
    if not cases:
        log("nothing to trace (no tools, no bpftrace)")
        return 1

    busy_before = cpu_busy()
    others_before = foreign_tracers()
    if others_before:
        log("warning: other tracers are running and will slow every run: " + " ".join(others_before))
    if busy_before is not None and busy_before > 0.10:
        log(f"warning: the machine is already {busy_before * 100:.0f}% busy before the benchmark; "
            "expect noisy numbers")

    workdir = args.out_dir or tempfile.mkdtemp(prefix="tcptools-bench-")
    os.makedirs(workdir, exist_ok=True)
    # The tools' compile cache: the run's own, so that the machine's does not
    # decide the start times (the first start of a command line fills it).
    if not os.environ.get("TCPTOOLS_CACHE_DIR"):
        os.environ["TCPTOOLS_CACHE_DIR"] = os.path.join(workdir, "compile-cache")
    untraced = []
    startup = {}
    try:
        # 1. exec-to-header time, dedicated starts (no load).
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
        live_cases = []
        for c in cases:
            st = startup.get(c.base)
            if c.errors:
                continue
            if st is None or not st["times"]:
                c.errors.append("skipped: its unfiltered variant failed to start")
                continue
            live_cases.append(c)

        # 2. interleaved rounds: A B1 A B2 A ... A, case order rotated per round.
        for rnd in range(args.rounds):
            if not live_cases:
                break
            k = rnd % len(live_cases)
            order = live_cases[k:] + live_cases[:k]
            try:
                prev = run_untraced(args)
                untraced.append(prev)
            except RunError as e:
                problems.append(f"untraced storm: {e}")
                log(f"round {rnd + 1}: untraced storm failed: {e}")
                break
            log(f"round {rnd + 1}/{args.rounds}: untraced {prev['rate']:.0f}/s")
            for c in order:
                tag = f"r{rnd}-{cases.index(c)}"
                try:
                    r = run_traced(c, args, workdir, tag)
                except RunError as e:
                    c.errors.append(str(e))
                    log(f"  {c.key}: ERROR {e}")
                    r = None
                try:
                    nxt = run_untraced(args)
                    untraced.append(nxt)
                except RunError as e:
                    problems.append(f"untraced storm: {e}")
                    log(f"  untraced storm failed: {e}")
                    nxt = None
                if r is not None:
                    base = [x["rate"] for x in (prev, nxt) if x]
                    r["untraced_rate"] = sum(base) / len(base)
                    r["ratio"] = r["storm"]["rate"] / r["untraced_rate"] if r["untraced_rate"] else None
                    r["round"] = rnd
                    r["cpu_ratio"] = cpu_ratio(r["storm"], [x for x in (prev, nxt) if x])
                    c.rounds.append(r)
                    log(f"  {c.key}: {r['storm']['rate']:.0f}/s ratio {r['ratio']:.2f} "
                        f"lines {r['lines']} matched {r['matched']} lost {r['lost']} "
                        f"header {r['header_s'] * 1000:.0f}ms rss {(r['peak_rss_kb'] or 0) / 1024:.1f}MiB")
                if nxt is None:
                    break
                prev = nxt
    except KeyboardInterrupt:
        log("interrupted")
        problems.append("interrupted")
    finally:
        cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.out_dir is None:
            log(f"tracer outputs kept in {workdir}")

    busy_after = cpu_busy()
    others_after = foreign_tracers()
    report(args, cases, untraced, startup, unused_port)
    print(f"machine CPU busy before/after the run (others' load): "
          f"{'?' if busy_before is None else f'{busy_before * 100:.0f}%'} / "
          f"{'?' if busy_after is None else f'{busy_after * 100:.0f}%'}")
    if others_before or others_after:
        print("other tracers seen running (before / after): "
              f"{' '.join(others_before) or '-'} / {' '.join(others_after) or '-'}")

    # Sanity checks (what --smoke judges; also reported in a full run).
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

    if args.json:
        data = {
            "params": {k: v for k, v in vars(args).items()},
            "kernel": os.uname().release,
            "cpu_busy_before": busy_before,
            "cpu_busy_after": busy_after,
            "foreign_tracers_before": others_before,
            "foreign_tracers_after": others_after,
            "untraced": untraced,
            "startup": startup,
            "cases": [{"key": c.key, "tool": c.tool, "backend": c.backend, "argv": c.argv,
                       "filter": c.filt, "rounds": c.rounds, "errors": c.errors} for c in cases],
            "problems": problems,
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1, default=str)

    if problems:
        print("problems:", file=sys.stdout)
        for pr in problems:
            print("  - " + pr, file=sys.stdout)
    if args.smoke:
        print("smoke: " + ("FAIL" if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RunError as e:
        cleanup()
        log(f"run.py: {e}")
        sys.exit(1)
