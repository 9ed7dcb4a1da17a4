#!/usr/bin/env python3
"""Where a tool's start-up goes (issue 16): exec to the header, in phases
read off the system calls of the tool and its compile child (strace -f -ttt;
python3 standard library only; run as root).

  before fork  exec, options, privileges, tracefs: until the compile child starts
  libbcc       the child's dlopen of libbcc.so.0 (LLVM, clang): until it opens the BTF
  BTF, types   reading BTF and writing the kernel structures' C: until the header tree
  clang, LLVM  compiling the text: until libbcc creates the program's first map
  maps, load   the maps and the verifier: until the child hands the fds over
  hand-over    until the tracer has them
  attach       attaching and opening the buffers: until the header is written

strace slows every system call, so the phases add up to more than a plain
start (bench/cost.py's `start ms`); their shares are what this shows. Median
of --runs runs. The compile cache is the tool's own: TCPTOOLS_CACHE_DIR=
(empty) shows a start that compiles, a directory one filled shows a warm
start. Options for the tool follow `--`:

  TCPTOOLS_CACHE_DIR= python3 bench/startup.py --runs 5 -- tcpconnect -d -o -G
"""
import argparse
import os
import re
import signal
import statistics
import sys
import tempfile

import harness

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
PHASES = ["before fork", "libbcc", "BTF, types", "clang, LLVM", "maps, load", "hand-over",
          "attach"]


def marks_of(trace, tool_pid):
    """The time of each phase's end, from the strace -f -ttt lines."""
    child = None
    t = {}
    for line in trace.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        pid, ts, call = int(m.group(1)), float(m.group(2)), m.group(3)
        if "execve(" in call and "start" not in t:
            t["start"] = ts
        elif pid == tool_pid and call.startswith(("clone(", "clone3(", "fork(")) and child is None:
            num = re.search(r"= (\d+)", call)
            if num:
                child = int(num.group(1))
                t["fork"] = ts
        elif pid == child:
            if "btf/vmlinux" in call and "libbcc" not in t:
                t["libbcc"] = ts
            elif "mkdir(" in call and "tcptools-types-" in call and "types" not in t:
                t["types"] = ts
            elif "BPF_MAP_CREATE" in call and "types" in t and "compiled" not in t:
                t["compiled"] = ts
            elif call.startswith("sendmsg(") and "loaded" not in t:
                t["loaded"] = ts
        elif pid == tool_pid and call.startswith("recvmsg(") and "loaded" in t and "received" not in t:
            t["received"] = ts
        elif pid == tool_pid and call.startswith("write(1,") and "TIME" in call:
            t["header"] = ts
    order = ["start", "fork", "libbcc", "types", "compiled", "loaded", "received", "header"]
    if any(k not in t for k in order):
        raise RuntimeError("missing marks: %s" % [k for k in order if k not in t])
    return [(t[b] - t[a]) * 1000 for a, b in zip(order, order[1:])]


def one_run(argv):
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as trace:
        tracer = harness.Tracer(["strace", "-f", "-ttt", "-s", "48", "-o", trace.name, *argv])
        try:
            tracer.wait_live(60)
            if not harness.is_header(tracer.lines[0] if tracer.lines else ""):
                raise RuntimeError("no header: %s" % tracer.stderr_tail())
            # Live: stop the tool (strace follows it out).
            tool_pid = None
            for line in open(trace.name):
                m = LINE.match(line)
                if m and "execve(" in m.group(3):
                    tool_pid = int(m.group(1))
                    break
            if tool_pid:
                os.kill(tool_pid, signal.SIGINT)
            tracer.proc.wait(timeout=60)
        finally:
            tracer.stop()
        return marks_of(open(trace.name).read(), tool_pid)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO_DIR, "build"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("tool_args", nargs="*", help="tool and options (default: tcpconnect)")
    args = p.parse_args(argv)
    words = args.tool_args or ["tcpconnect"]
    argv = [os.path.join(args.build_dir, words[0]), *words[1:]]
    runs = [one_run(argv) for _ in range(args.runs)]
    print("start-up of %s under strace -f, ms, median [min-max] of %d runs" %
          (" ".join(words), len(runs)))
    for i, name in enumerate(PHASES):
        xs = [r[i] for r in runs]
        print("  %-12s %7.1f [%.1f-%.1f]" % (name, statistics.median(xs), min(xs), max(xs)))
    totals = [sum(r) for r in runs]
    print("  %-12s %7.1f [%.1f-%.1f]" % ("total", statistics.median(totals), min(totals),
                                         max(totals)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
