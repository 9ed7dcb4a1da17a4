"""The connection storm, the tracer handle and the measures, for bench/ and
tests/live (python3 standard library only).

bench/'s scripts import it as a neighbour; the live tests find it through
pytest.ini's pythonpath (tests/live/ttlib.py builds on it).

  * the storm: bench/storm.c, run to completion (run_storm) or held at its
    start (Storm with wait_start) while a tracer attaches; its key=value
    lines are read in one place (storm_fields, storm_result);
  * the tracer: Tracer, a tool (or a peer) in the background, its output
    read line by line from pipes, or streamed to files as a user runs it
    (`TOOL > file`); live once it prints its header or says "Tracing";
  * the measures: the tracer's CPU and peak memory, smaps, the storm's
    lines in an output and what a tracer said it lost.
"""

import ctypes
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time


BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
STORM_SRC = os.path.join(BENCH_DIR, "storm.c")
# How long a tool may take to go live (it compiles at start when its cache is
# cold; longer under emulation or valgrind): TT_START_TIMEOUT.
START_TIMEOUT = float(os.environ.get("TT_START_TIMEOUT", "60"))


TRACEFS = "/sys/kernel/tracing"
TRACEFS_DIRS = (TRACEFS, "/sys/kernel/debug/tracing")


def tracefs_mounted():
    return any(os.path.isdir(os.path.join(d, "events")) for d in TRACEFS_DIRS)


def ensure_tracefs(who):
    """For a script that reads tracefs itself (BCC's Python, a tracepoint's
    id): where tracefs is not mounted (a fresh machine), this process moves
    to a mount namespace of its own that has it, as the tools do for
    themselves; the host's mounts stay as they were. Returns the directory
    that has it; exits, naming who, if it cannot."""
    for directory in TRACEFS_DIRS:
        if os.path.isdir(os.path.join(directory, "events")):
            return directory
    libc = ctypes.CDLL(None, use_errno=True)
    ms_rec, ms_private, clone_newns = 0x4000, 0x40000, 0x20000
    if (libc.unshare(clone_newns) != 0
            or libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0
            or libc.mount(b"tracefs", TRACEFS.encode(), b"tracefs", 0, None) != 0):
        sys.exit("%s: cannot mount tracefs: %s" % (who, os.strerror(ctypes.get_errno())))
    return TRACEFS


def with_tracefs(argv):
    """The same for a command (bpftrace finds tracepoints in tracefs only):
    where tracefs is not mounted, argv runs in a private mount namespace that
    has it; exec keeps the pid argv's own."""
    if tracefs_mounted():
        return argv
    mount = f'mount -t tracefs tracefs {TRACEFS} && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh", *argv]


class RunError(RuntimeError):
    """A storm or a tracer did not do what a run needs."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def exit_with(main, name):
    """Runs a script's main and exits with its status (None: 0); a RunError
    ends it with one line (status 1), nothing of its left running."""
    try:
        status = main()
    except RunError as e:
        cleanup()
        log(f"{name}: {e}")
        status = 1
    sys.exit(status)


# ---------------------------------------------------------------- processes

_running = set()  # processes of this module's, killed by cleanup()


def kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup():
    """Kills whatever storm or tracer is still running (on the way out)."""
    for p in list(_running):
        if p.poll() is None:
            kill_group(p, signal.SIGKILL)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        _running.discard(p)


def running_pids():
    return {p.pid for p in _running}


def reap(proc, timeout):
    """wait4() the child with a timeout; returns (exit status, rusage) or None."""
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


def read_line(fd, timeout, what):
    """Reads one line from a raw fd, without reading past it (the writer
    writes nothing more until told to)."""
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise RunError(f"timed out after {timeout:.0f}s waiting for {what}")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RunError(f"EOF while waiting for {what} (got {buf!r})")
        buf += chunk
    return buf.decode(errors="replace").strip()


# ---------------------------------------------------------------- the storm

STORM_INTS = ("connections", "failed", "accept_failed", "early_reset", "pid", "port", "threads",
              "interrupted")
STORM_FLOATS = ("seconds", "rate", "cpu")


def storm_fields(line):
    """One of storm's lines ("ready pid=N port=P ..." or the result line
    "connections=N seconds=S ..."): its key=value fields, as text."""
    return dict(word.split("=", 1) for word in line.split() if "=" in word)


def storm_result(stdout):
    """The result line in storm's stdout: its fields, numbers as numbers,
    and the line itself."""
    lines = [line for line in stdout.splitlines() if line.startswith("connections=")]
    if not lines:
        return None
    fields = storm_fields(lines[-1])
    result = {key: int(fields.get(key, 0)) for key in STORM_INTS}
    result.update((key, float(fields[key])) for key in STORM_FLOATS if key in fields)
    result.update(family=fields.get("family"), line=lines[-1])
    return result


def ensure_storm(path, rebuild=False):
    """Builds storm with gcc if it is missing (or rebuild). An existing one
    (CMake's target in build/) is used as it is, with a warning if it is
    older than its source."""
    if os.access(path, os.X_OK) and not rebuild:
        if os.path.getmtime(path) < os.path.getmtime(STORM_SRC):
            log(f"warning: {path} is older than {STORM_SRC}; rebuild it "
                "(cmake --build, or run.py --rebuild-storm)")
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    cc = os.environ.get("CC", "gcc")
    cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", path, STORM_SRC]
    log("building storm: " + " ".join(cmd))
    if subprocess.run(cmd).returncode != 0:
        raise RunError(f"building {path} failed")


class Storm:
    """bench/storm.c running: count connections over loopback (to port,
    with -r rate connections/s). With wait_start it listens, says so (pid,
    port) and starts on go(), so that a tracer attaches before the first
    connection."""

    def __init__(self, path, count, port=None, ipv6=False, threads=None, rate=None,
                 wait_start=False):
        argv = [path, "-n", str(count)]
        for flag, value in (("-t", threads), ("-r", rate), ("-p", port)):
            if value:
                argv += [flag, str(value)]
        if ipv6:
            argv.append("-6")
        if wait_start:
            argv.append("--wait-start")
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        _running.add(self.proc)
        self.pid, self.port = self.proc.pid, port
        if wait_start:
            try:
                line = read_line(self.proc.stdout.fileno(), 10, "storm's ready line")
            except RunError:
                self.abort()
                raise
            ready = storm_fields(line)
            if not line.startswith("ready") or "pid" not in ready or "port" not in ready:
                self.abort()
                raise RunError(f"unexpected storm ready line: {line!r}")
            self.pid, self.port = int(ready["pid"]), int(ready["port"])

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()  # communicate() closes it later

    def finish(self, timeout=600):
        """Waits for the end; the result line's fields (storm_result) with
        the exit status and stderr."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.abort()
            raise RunError(f"storm did not finish within {timeout:.0f}s")
        _running.discard(self.proc)
        err = err.decode(errors="replace").strip()
        result = storm_result(out.decode(errors="replace"))
        if result is None:
            raise RunError(f"storm printed no result line (exit {self.proc.returncode}): {err}")
        result.update(exit=self.proc.returncode, stderr=err)
        return result

    def abort(self):
        if self.proc.poll() is None:
            kill_group(self.proc, signal.SIGKILL)
            self.proc.wait()
        _running.discard(self.proc)


def check_storm(result, count):
    """A clean storm: every one of count connections made."""
    if result["exit"] != 0 or result["connections"] != count:
        raise RunError(f"storm made {result['connections']}/{count} connections, "
                       f"failed={result['failed']} accept_failed={result['accept_failed']} "
                       f"exit={result['exit']}" + (f": {result['stderr']}" if result["stderr"] else ""))


def run_storm(path, count, timeout=600, **options):
    """One clean storm run to completion (options as Storm's); its result."""
    result = Storm(path, count, **options).finish(timeout)
    check_storm(result, count)
    return result


# ---------------------------------------------------------------- the tracer


def is_header(line):
    """The tools' header (and the peers'): its first column is TIME or TIME(s)."""
    return line.split()[:1] in (["TIME"], ["TIME(s)"])


def says_live(stdout_lines, stderr_lines):
    """The tools' sign that tracing is live: the header on stdout (a peer's
    after what bpftrace says first), or (where there is none: -j, -c)
    "Tracing; ..." on stderr."""
    return any(is_header(line) for line in stdout_lines) or \
        any(line.startswith("Tracing") for line in stderr_lines)


class _PipeLines:
    """The lines of a pipe, taken by a thread as they come."""

    def __init__(self, pipe):
        self.lines = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe):
        for line in pipe:
            self.lines.append(line.rstrip("\n"))

    def refresh(self):
        """True while more may come (EOF not reached)."""
        return self._thread.is_alive()

    def finish(self):
        self._thread.join(timeout=10)


class _FileLines:
    """The complete lines written to a file, read when refreshed."""

    def __init__(self, path, proc):
        self.lines = []
        self._file = open(path, "rb")
        self._partial = b""
        self._proc = proc

    def refresh(self):
        """Takes what was written; True while the writer runs."""
        alive = self._proc.poll() is None
        if self._file.closed:
            return alive
        *complete, self._partial = (self._partial + self._file.read()).split(b"\n")
        self.lines.extend(line.decode(errors="surrogateescape") for line in complete)
        return alive

    def finish(self):
        self._file.close()


class Tracer:
    """A tracer running in the background. Its output is read from pipes
    line by line (lines, stderr_lines), or, with out_path and err_path, it
    writes to those files as a user's `TOOL > file` does (what is measured),
    in a session of its own."""

    def __init__(self, argv, env=None, out_path=None, err_path=None):
        self.argv = argv
        self.out_path, self.err_path = out_path, err_path
        self.t0 = time.monotonic()
        self.rusage = None
        self.hwm_kb = None
        self.killed = False
        self.stderr = ""
        self.returncode = None
        self._stopped = False
        if out_path:
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                try:
                    self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                                 stderr=err, env=env, start_new_session=True)
                except OSError as e:
                    raise RunError(f"cannot start {argv[0]}: {e}")
            self._out = _FileLines(out_path, self.proc)
            self._err = _FileLines(err_path, self.proc)
        else:
            # surrogateescape: a process name need not be UTF-8, and the
            # tools pass such bytes through in text mode.
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True, errors="surrogateescape", env=env)
            self._out = _PipeLines(self.proc.stdout)
            self._err = _PipeLines(self.proc.stderr)
        _running.add(self.proc)
        self.lines = self._out.lines
        self.stderr_lines = self._err.lines

    # -- waiting

    def _wait_until(self, found, timeout):
        """Polls found() until it returns something true (returned), or the
        deadline (None). Raises RunError when the tracer ends first."""
        deadline = time.monotonic() + timeout
        while True:
            running = self._out.refresh() | self._err.refresh()
            what = found()
            if what:
                return what
            if self._stopped:
                return None  # the output is complete
            if not running:
                raise RunError("tool exited early: " + self._finish())
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)

    def wait_live(self, timeout=START_TIMEOUT, sign=says_live):
        """Seconds from exec until the tracer is live (sign(stdout lines,
        stderr lines), by default says_live)."""
        if not self._wait_until(lambda: sign(self.lines, self.stderr_lines), timeout):
            raise RunError(f"{' '.join(self.argv)} not live within {timeout:.0f}s "
                           f"{self.stderr_tail()}")
        return time.monotonic() - self.t0

    def wait_header(self, timeout=START_TIMEOUT):
        """Waits for the first line, the header: the tool's sign that tracing
        is live. RuntimeError if the tool ends first."""
        if not self._wait_until(lambda: self.lines, timeout):
            self.stop()
            raise AssertionError("no header within %ss" % timeout)
        return self.lines[0]

    def wait_stderr(self, text, timeout=START_TIMEOUT):
        """Waits for a stderr line containing text (-j and -c say they are
        live there)."""
        try:
            if self._wait_until(lambda: any(text in line for line in self.stderr_lines), timeout):
                return
        except RunError:
            pass
        raise AssertionError("no %r on stderr: %s" % (text, self.stderr_lines))

    def wait_for(self, predicate, timeout=15):
        """Waits until an output line satisfies predicate; returns it or None."""
        seen = 0

        def match():
            nonlocal seen
            lines = self.lines[seen:]
            seen += len(lines)
            return next((line for line in lines if predicate(line)), None)
        return self._wait_until(match, timeout)

    def drain(self, quiet, max_wait):
        """(streaming to a file) Waits until the output file has stopped
        growing for quiet seconds, max_wait at the most."""
        last = -1
        stable_since = time.monotonic()
        deadline = stable_since + max_wait
        while time.monotonic() < deadline:
            size = os.path.getsize(self.out_path)
            now = time.monotonic()
            if size != last:
                last, stable_since = size, now
            elif now - stable_since >= quiet:
                return
            time.sleep(0.02)

    # -- stopping

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Signals the tracer (SIGKILL after timeout), collects what it
        wrote and its resources; returns its exit status."""
        if self.proc.poll() is None:
            self.hwm_kb = proc_status_kb(self.proc.pid, "VmHWM")
            self._signal(sig)
        reaped = reap(self.proc, timeout)
        if reaped is None:
            self.killed = True
            self._signal(signal.SIGKILL)
            reaped = reap(self.proc, 5) or (None, None)
        self.returncode, self.rusage = reaped
        self._finish()
        self._stopped = True
        return self.returncode

    def _signal(self, sig):
        """To the tracer, and to its session where it has one of its own
        (a wrapper's processes too)."""
        if self.out_path:
            kill_group(self.proc, sig)
        else:
            self.proc.send_signal(sig)

    def _finish(self):
        """Collects the stderr of an ended tracer; says how it ended."""
        self.proc.wait(timeout=30)
        _running.discard(self.proc)
        self._out.finish()
        self._err.refresh()
        self._err.finish()
        self.stderr = "\n".join(self.stderr_lines)
        self.returncode = self.proc.returncode
        return f"status {self.returncode}, stderr: {self.stderr.strip()}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()
        else:
            self._finish()  # ended by itself: its readers are done before the pipes close
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()

    # -- what it showed

    def events(self):
        """Output lines after the header, split into columns."""
        return [line.split() for line in self.lines[1:]]

    def stderr_tail(self, n=300):
        self._err.refresh()
        return "\n".join(self.stderr_lines).strip().replace("\n", " | ")[-n:]

    def exited_ok(self):
        return not self.killed and self.returncode in (0, -signal.SIGINT, 128 + signal.SIGINT)

    def peak_rss_kb(self):
        """VmHWM just before the stop, or the kernel's ru_maxrss at the end."""
        vals = [v for v in (self.hwm_kb, self.rusage.ru_maxrss if self.rusage else None) if v]
        return max(vals) if vals else None

    def cpu_s(self):
        """Its CPU time, user and system, over its whole run (after stop)."""
        return (self.rusage.ru_utime + self.rusage.ru_stime) if self.rusage else None


# ---------------------------------------------------------------- measures


def proc_status_kb(pid, field):
    """A kB field of /proc/PID/status (VmHWM, VmRSS), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def process_tree(pid):
    """pid and its descendants."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


SMAPS_FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File")


def smaps_kb(pid):
    """Rss, Pss, Pss_Anon, Pss_File in KiB, summed over pid's process tree."""
    total = dict.fromkeys(SMAPS_FIELDS, 0)
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    key = line.split(":")[0]
                    if key in total:
                        total[key] += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def cpu_ns(pid):
    """Time on CPU of pid's threads, ns (the first field of schedstat). Not its
    children: the compile child, exited, counts until it is reaped."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return total


LOST_RE = re.compile(rb"(?i)lost\s+(\d+)\s+events?|(\d+)\s+events?\s+lost")
# A tracer that prints a running total ("lost N events in total") is taken at
# its largest total; otherwise the reports (bpftrace: "Lost N events") add up.
LOST_TOTAL_RE = re.compile(rb"(?i)lost\s+(\d+)\s+events?\s+in\s+total")


def column_is(col, value):
    """A line of the storm's: column col (0-based) is value (the storm's pid
    in PID, its port in tcpaccept's LPORT)."""
    want = str(value).encode()
    return lambda toks, line: len(toks) > col and toks[col] == want


def pid_is(pid, json_lines=False):
    """A line of the storm's in any column layout: the pid among the first
    three columns (PID is the 2nd, the 3rd with -t -U), or the "pid" member."""
    if json_lines:
        def member(toks, line):
            try:
                return json.loads(line).get("pid") == pid
            except ValueError:
                return False
        return member
    want = str(pid).encode()
    return lambda toks, line: want in toks[1:3]


def scan_output(out_path, err_path, belongs):
    """A tracer's output file: its data lines (after the header, where there
    is one), those of them that belong(tokens, line) to the storm, and the
    events it reported lost (None if it said nothing of it)."""
    data = matched = 0
    reported = None
    header = False
    with open(out_path, "rb") as f:
        for line in f:
            toks = line.split()
            if not toks:
                continue
            if not header and is_header(line.decode(errors="replace")):
                # What came before the header is no event (bpftrace's
                # "Attaching N probes...").
                header = True
                data = matched = 0
                continue
            m = LOST_RE.search(line) if len(toks) < 6 else None
            if m:  # e.g. bpftrace's "Lost N events" goes to stdout
                reported = (reported or 0) + int(m.group(1) or m.group(2))
                continue
            data += 1
            matched += bool(belongs(toks, line))
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
    return {"lines": data, "matched": matched, "tool_reported_lost": reported}
