"""Running the real tools and the test peers for live tests (the tracer
handle and the storm are bench/harness.py's, shared with bench/)."""
import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time

import harness

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TT_BUILD_DIR", os.path.join(REPO, "build"))
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")
# Extra arguments for every tool run, e.g. "--backend tracepoint" (set by tests/run.sh).
TOOL_ARGS = os.environ.get("TT_TOOL_ARGS", "").split()
START_TIMEOUT = harness.START_TIMEOUT
# The tools keep compiled programs in a cache (common/load/compile_cache.h):
# the tests' starts use one of this run's own, not the machine's, so most
# starts are warm and exercise loading from it (test_compile_cache.py tests
# the cache itself; the compile child's tests turn it off).
if "TCPTOOLS_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile
    _cache = tempfile.mkdtemp(prefix="tt-compile-cache-")
    os.environ["TCPTOOLS_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
NO_CACHE_ENV = dict(os.environ, TCPTOOLS_CACHE_DIR="")


def tool_path(name):
    return os.path.join(BUILD, name)


def run_tool(name, *args, env=None, timeout=60, wrapper=()):
    """Runs a tool to completion (for bad input, --ebpf, --help), under wrapper
    (a command prefix)."""
    return subprocess.run([*wrapper, tool_path(name), *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def backend_of(name):
    """The backend a tool runs with here, with this run's TT_TOOL_ARGS."""
    text = run_tool(name, "--ebpf", *TOOL_ARGS).stdout
    return "kprobe" if "struct pt_regs *ctx" in text else "tracepoint"


class Tracer(harness.Tracer):
    """A tool running in the background, its stdout collected line by line
    (bench/harness.py's tracer handle, started by the tool's name)."""

    def __init__(self, name, *args, env=None, wrapper=(), path=None):
        """Runs tool name (the build's, or the one at path) with TOOL_ARGS and
        args, under wrapper (a command prefix)."""
        super().__init__([*wrapper, path or tool_path(name), *TOOL_ARGS, *args], env=env)


def json_request(proc, op, **args):
    """One request to a helper process speaking JSON lines (peer.py, dnslab.py)."""
    proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    if "exception" in answer:
        raise OSError(answer.get("errno"), answer["exception"])
    return answer


class Peer:
    """A separate process (peer.py) that connects, listens and accepts on request."""

    def __init__(self, comm="tt-peer", preexec_fn=None, user=None, netns=None, wrapper=()):
        """comm may be bytes: any process name, hostile ones included."""
        name = comm if isinstance(comm, str) else "hex:" + comm.hex()
        # The source travels in argv and the peer runs in /: a peer running as
        # another user may not be able to read this checkout (a 0700 CI clone).
        with open(PEER) as f:
            argv = [*wrapper, sys.executable, "-c", f.read(), name]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, preexec_fn=preexec_fn, user=user, cwd="/")
        self.pid = json.loads(self.proc.stdout.readline())["pid"]
        self.comm = comm

    def request(self, op, **args):
        return json_request(self.proc, op, **args)

    def connect(self, addr, port, ip=4, **args):
        return self.request("connect", addr=addr, port=port, ip=ip, **args)

    def listen(self, addr, ip=4, backlog=128, port=0):
        return self.request("listen", addr=addr, ip=ip, backlog=backlog, port=port)

    def accept(self, listener):
        return self.request("accept", id=listener["id"])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def kernel_reaches(state, why_not, bound=120):
    """Polls until state() holds: a state of the kernel's that it reaches
    later on a loaded machine. The bound only ends a test whose kernel never
    gets there; why_not() says what is missing then."""
    deadline = time.monotonic() + bound
    while not state():
        assert time.monotonic() < deadline, why_not()
        time.sleep(0.1)


def move_to_cgroup(pid, path):
    with open(os.path.join(path, "cgroup.procs"), "w") as procs:
        procs.write(str(pid))


def bpf_json(*args):
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip() or "[]")  # some commands print a bare newline for none


def attached_by(pid):
    """What bpftool perf list shows the process attached: (kind, function or tracepoint)."""
    return {(e["fd_type"], e.get("func") or e.get("tracepoint"))
            for e in bpf_json("perf", "list") if e["pid"] == pid}


def kernel_objects_of(pid):
    """The BPF programs a process holds (attached through perf events, or open
    as program and raw tracepoint link fds), with their maps."""
    progs = {e["prog_id"] for e in bpf_json("perf", "list") if e["pid"] == pid}
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                progs.update(int(line.split()[1]) for line in f if line.startswith("prog_id:"))
        except OSError:
            pass  # closed meanwhile
    assert progs, "process %d holds no BPF program" % pid
    maps = set()
    for prog in bpf_json("prog", "show"):
        if prog["id"] in progs:
            maps.update(prog.get("map_ids", []))
    return progs, maps


def assert_nothing_left(progs, maps, pid):
    """None of a finished tool's programs, maps, perf events or kprobes remain.
    The kernel frees them in deferred work after the last fd closes: allow it
    a few seconds."""
    deadline = time.monotonic() + 5
    while True:
        left_progs = progs & {p["id"] for p in bpf_json("prog", "show")}
        left_maps = maps & {m["id"] for m in bpf_json("map", "show")}
        if not (left_progs or left_maps) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not left_progs, "programs left: %s" % left_progs
    assert not left_maps, "maps left: %s" % left_maps
    assert not [l for l in bpf_json("link", "show") if l.get("prog_id") in progs], "links left"
    assert not [e for e in bpf_json("perf", "list") if e["pid"] == pid], "perf events left"
    for events in ("/sys/kernel/tracing/kprobe_events", "/sys/kernel/debug/tracing/kprobe_events"):
        if os.path.exists(events):
            with open(events) as f:
                assert "tcptools_%d_" % pid not in f.read(), "kprobe events left"


def storm(count, port=None, ipv6=False, build=None):
    """Runs bench/storm (connect+accept+close loop); returns its result
    fields, as text."""
    result = harness.run_storm(os.path.join(build or BUILD, "storm"), count, port=port,
                               ipv6=ipv6)
    return harness.storm_fields(result["line"])


# LeakSanitizer cannot run under ptrace: in the ASan build, tools run under
# strace do without it (the other tests check leaks).
UNDER_STRACE_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")


def bpf_syscalls(argv):
    """Runs argv under strace; returns (CompletedProcess, number of bpf() calls)."""
    import tempfile
    with tempfile.NamedTemporaryFile(mode="r") as trace:
        r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", trace.name, *argv],
                           capture_output=True, text=True, env=UNDER_STRACE_ENV, timeout=120)
        calls = sum(1 for line in trace if "bpf(" in line)
    return r, calls


def one_connection(server, client):
    """A connect() by client and the accept() of it by server; the client's view."""
    listener = server.listen("127.0.0.1")
    conn = client.connect("127.0.0.1", listener["lport"])
    server.accept(listener)
    return conn


def _bpf_insn(code, dst=0, src=0, off=0, imm=0):
    import struct
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def _verifier_loads(prog_type, insns):
    """The verifier's own answer, asked through bpf(2) here: does it load
    this program (insns: packed instructions) of this type?"""
    import ctypes
    import resource
    import struct
    # Before Linux 5.11 a program is charged to RLIMIT_MEMLOCK against all
    # that root has locked, the tools' maps included: lift it, as they do
    # (to the hard limit, where this process may not raise that).
    try:
        resource.setrlimit(resource.RLIMIT_MEMLOCK,
                           (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)[1]
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (hard, hard))
    prog = b"".join(insns)
    code = ctypes.create_string_buffer(prog, len(prog))
    license = ctypes.create_string_buffer(b"GPL")
    bpf_prog_load = 5
    attr = struct.pack("<IIQQIIQ", prog_type, len(prog) // 8, ctypes.addressof(code),
                       ctypes.addressof(license), 0, 0, 0)
    attr_buf = ctypes.create_string_buffer(attr, 128)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    sys_bpf = 321  # x86-64
    fd = libc.syscall(ctypes.c_long(sys_bpf), ctypes.c_long(bpf_prog_load), attr_buf,
                      ctypes.c_uint(128))
    if fd < 0:
        err = ctypes.get_errno()
        assert err in (22, 13, 524), "bpf(BPF_PROG_LOAD): %s" % os.strerror(err)
        return False
    os.close(fd)
    return True


def kernel_takes_bpf_cmpxchg():
    """Does the verifier load a program with an atomic compare-and-swap
    (BPF_ATOMIC, Linux 5.12+)?"""
    insn = _bpf_insn
    r10, stack = 10, -8
    raw_tracepoint = 17
    return _verifier_loads(raw_tracepoint, [
        insn(0x7a, dst=r10, off=stack),                        # *(u64 *)(r10 - 8) = 0
        insn(0xb7, dst=0), insn(0xb7, dst=1, imm=1),           # r0 = 0 (expected), r1 = 1
        insn(0xdb, dst=r10, src=1, off=stack, imm=0xf1),       # cmpxchg(r10 - 8, r0, r1)
        insn(0xb7, dst=0), insn(0x95),                         # return 0
    ])


def kernel_gives_task_regs():
    """Does the verifier load a tracepoint program that reads the current
    task's saved registers through BTF (bpf_get_current_task_btf and
    bpf_task_pt_regs, Linux 5.15+)? Where it does, tcpaccept reads the
    listening descriptor at accept()'s exit."""
    insn = _bpf_insn
    tracepoint, get_current_task_btf, task_pt_regs = 5, 158, 175
    return _verifier_loads(tracepoint, [
        insn(0x85, imm=get_current_task_btf),                  # r0 = current (BTF)
        insn(0xbf, dst=1, src=0),                              # r1 = r0
        insn(0x85, imm=task_pt_regs),                          # r0 = its saved registers
        insn(0xb7, dst=0), insn(0x95),                         # return 0
    ])


# valgrind memcheck for a tool: errors and definite leaks in our code fail it
# (tests/valgrind/libbpf.supp names the libbpf noise).
VALGRIND = ["valgrind", "--suppressions=" + os.path.join(REPO, "tests", "valgrind", "libbpf.supp"),
            "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite"]


def assert_memcheck_clean(tracer, status):
    """A tool run under VALGRIND and stopped with status: no error, no leak."""
    assert "ERROR SUMMARY: 0 errors" in tracer.stderr, tracer.stderr[-3000:]
    assert ("definitely lost: 0 bytes" in tracer.stderr
            or "no leaks are possible" in tracer.stderr), tracer.stderr[-3000:]
    assert status == 0, tracer.stderr[-3000:]


UNPRIVILEGED = 65534  # nobody: a user with no rights of its own


def as_user_with(caps, tracefs=None):
    """A command prefix: run as UNPRIVILEGED holding exactly caps (names like
    "bpf"), in a mount namespace of its own where tracefs is mounted
    (tracefs=True), unmounted (False), or as this machine has it (None)."""
    listed = "".join(",+" + c for c in caps)
    drop = ["setpriv", "--reuid=%d" % UNPRIVILEGED, "--regid=%d" % UNPRIVILEGED,
            "--clear-groups", "--inh-caps=-all" + listed, "--ambient-caps=-all" + listed]
    if tracefs is None:
        return drop
    if tracefs:
        script = ("mountpoint -q /sys/kernel/tracing || "
                  "mount -t tracefs tracefs /sys/kernel/tracing || exit 99; ")
    else:
        script = ("umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing "
                  "2>/dev/null; test ! -e /sys/kernel/tracing/events || exit 99; ")
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            script + 'exec "$@"', "sh", *drop]


def unit_setting(unit, key):
    """The one value of key= in packaging/<unit>.service.in."""
    with open(os.path.join(REPO, "packaging", unit + ".service.in")) as f:
        values = [line.split("=", 1)[1].strip() for line in f if line.startswith(key + "=")]
    assert len(values) == 1, (key, values)
    return values[0]


def reachable_copy(name, directory):
    """The tool copied into directory (made 0755): a user other than root may
    not reach the build tree (a 0700 CI clone). The tools need no other file."""
    os.chmod(directory, 0o755)
    path = os.path.join(directory, name)
    with open(tool_path(name), "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    os.chmod(path, 0o755)
    return path


def our_program_names(tool):
    """The names the kernel gives a tool's programs (15 characters of each function)."""
    text = run_tool(tool, "--ebpf").stdout
    names = set()
    for line in text.splitlines():
        if line.startswith("RAW_TRACEPOINT_PROBE("):
            names.add(("raw_tracepoint__" + line[len("RAW_TRACEPOINT_PROBE("):].rstrip(")"))[:15])
        elif line.startswith("TRACEPOINT_PROBE("):
            cat, event = line[len("TRACEPOINT_PROBE("):].rstrip(")").split(", ")
            names.add(("tracepoint__%s__%s" % (cat, event))[:15])
        elif line.startswith("int ") and "(struct pt_regs *ctx" in line:
            names.add(line.split()[1].split("(")[0][:15])
    return names


def require_kernel(major, minor, what):
    """Skips the test, saying why, on a kernel older than major.minor: for
    what the test's own workload needs from the kernel (not the tool)."""
    import pytest
    import re
    release = os.uname().release
    have = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", release).groups())
    if have < (major, minor):
        pytest.skip("%s needs Linux %d.%d+; this is %s" % (what, major, minor, release))


def kernel_skips_bpf_for_init():
    """Whether this kernel runs no BPF program while a thread of process 1
    is the current task: a check some sandboxes' kernels add to
    bpf_trace_run*, gated by a member init_owned of struct bpf_prog_aux that
    upstream Linux does not have (README, Tests). Read from the kernel's BTF."""
    raw = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux",
                          "format", "raw"], capture_output=True, text=True, check=True).stdout
    in_aux = False
    for line in raw.splitlines():
        if not line.startswith("\t"):
            in_aux = " STRUCT 'bpf_prog_aux' " in line
        elif in_aux and line.lstrip().startswith("'init_owned' "):
            return True
    return False


def _threads_of(pid):
    return [int(tid) for tid in os.listdir("/proc/%d/task" % pid)]


def _set_affinity_of_init(cpus):
    # Twice: a thread started during the first pass inherits its creator's
    # old mask.
    for _ in range(2):
        for tid in _threads_of(1):
            try:
                os.sched_setaffinity(tid, cpus)
            except ProcessLookupError:
                pass


def _process_identity(pid):
    """(pid, start time) of a live process: a pid reused by another process
    is not the same one, and a zombie is not alive."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return None if fields[0] == "Z" else [pid, int(fields[19])]


@contextlib.contextmanager
def _shared_state(path):
    """A JSON object in path, read and written under an exclusive lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        state = json.loads(f.read() or "{}")
        yield state
        f.seek(0)
        f.truncate()
        f.write(json.dumps(state))


# Who keeps process 1 off a CPU, and what to restore when the last one ends:
# shared by every test run on the machine (two at once must not restore
# each other's pinned state as the original), and kept across a crash (the
# next run restores what the crashed one saved).
INIT_OFF_STATE = "/run/tcptools-tests-init-off.json"
TIMER_MIGRATION = "/proc/sys/kernel/timer_migration"


@contextlib.contextmanager
def init_kept_off_our_cpu():
    """On a kernel that skips BPF programs for process 1 (above), what the
    kernel does for a test's sockets in interrupt context (a SYN's
    retransmission timer, the answer to a SYN) is seen by no tracer when a
    thread of process 1 happens to be on that CPU. For the block's duration:
    this process and what it starts run on the last CPU, process 1's threads
    on the others, and timers stay on the CPU that armed them (an idle CPU's
    timers are otherwise run by another one); restored when the last test
    run using it ends. Elsewhere (upstream kernels, the qemu stage's guests)
    nothing changes."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or not kernel_skips_bpf_for_init():
        yield
        return
    me = _process_identity(os.getpid())
    saved_ours = os.sched_getaffinity(0)
    with _shared_state(INIT_OFF_STATE) as state:
        holders = [h for h in state.get("holders", []) if _process_identity(h[0]) == h]
        if not holders and "init_mask" not in state:
            state["init_mask"] = sorted(os.sched_getaffinity(1))
            with open(TIMER_MIGRATION) as f:
                state["timer_migration"] = f.read().strip()
        _set_affinity_of_init(set(cpus[:-1]))
        with open(TIMER_MIGRATION, "w") as f:
            f.write("0")
        state["holders"] = holders + [me]
    try:
        os.sched_setaffinity(0, {cpus[-1]})
        yield
    finally:
        os.sched_setaffinity(0, saved_ours)
        with _shared_state(INIT_OFF_STATE) as state:
            state["holders"] = [h for h in state["holders"]
                                if h != me and _process_identity(h[0]) == h]
            if not state["holders"]:
                with open(TIMER_MIGRATION, "w") as f:
                    f.write(state.pop("timer_migration"))
                _set_affinity_of_init(set(state.pop("init_mask")))
