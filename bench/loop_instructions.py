#!/usr/bin/env python3
"""Instructions a tracer spends per printed line, counted by callgrind.

    python3 bench/loop_instructions.py [-n CONNECTIONS] [-o OPTIONS] \\
        LABEL=FUNCTIONS=TOOL ...

Timings on a shared VM move by tens of percent from one run to the next;
instruction counts do not. For each case the tracer runs under
`valgrind --tool=callgrind` with counting only inside FUNCTIONS (a
comma-separated list: the read-and-print loop, whose names change between
builds), traces a storm of CONNECTIONS connections to a port of its own
(-P, so nothing else on the machine is printed), and the instructions
counted are divided by the lines it printed. Example, two builds:

    python3 bench/loop_instructions.py -o '-j' \\
        before=tt_tracer_run=/tmp/old/tcpconnect \\
        now=tt_tracer_read,tt_columns_print_event,tt_batch_sort,tt_output_flush=build/tcpconnect

The functions must not call one another: callgrind's toggle turns counting
off again inside a nested one.
"""
import argparse
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def count(tool, functions, options, connections, storm_path, work_dir):
    """(instructions counted, lines printed) for one run of tool."""
    port = random.randint(30000, 49999)
    out_path = os.path.join(work_dir, "callgrind.out")
    lines_path = os.path.join(work_dir, "lines")
    errors_path = os.path.join(work_dir, "errors")
    command = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
               "--callgrind-out-file=" + out_path]
    command += ["--toggle-collect=" + f for f in functions]
    command += [tool, "-P", str(port)] + options
    with open(lines_path, "w") as lines, open(errors_path, "w") as errors:
        proc = subprocess.Popen(command, stdout=lines, stderr=errors, start_new_session=True)
    deadline = time.monotonic() + 300  # a compile under valgrind takes a while
    # Live: the table's header on stdout, or "Tracing" on stderr for -j.
    while os.path.getsize(lines_path) == 0 and "Tracing" not in open(errors_path).read():
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            sys.exit("loop_instructions: %s did not start tracing" % tool)
        time.sleep(0.2)
    before = sum(1 for _ in open(lines_path))
    subprocess.run([storm_path, "-n", str(connections), "-r", "4000", "-p", str(port)],
                   check=True, stdout=subprocess.DEVNULL)
    time.sleep(3)  # the last batch
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait()
    printed = sum(1 for _ in open(lines_path)) - before
    with open(out_path) as out:
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read(), re.M)
    if not totals:
        sys.exit("loop_instructions: no totals in callgrind's output for %s" % tool)
    return int(totals.group(1)), printed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--connections", type=int, default=10000)
    parser.add_argument("-o", "--options", default="", help="tool options, e.g. '-j'")
    parser.add_argument("--storm", default=os.path.join(HERE, "..", "build", "storm"))
    parser.add_argument("cases", nargs="+", metavar="LABEL=FUNCTIONS=TOOL")
    args = parser.parse_args()
    cases = []
    for case in args.cases:
        parts = case.split("=", 2)
        if len(parts) != 3 or not all(parts):
            parser.error("expected LABEL=FUNCTIONS=TOOL, got %r" % case)
        cases.append((parts[0], parts[1].split(","), parts[2]))
    options = shlex.split(args.options)
    print("%-12s %8s %14s %10s" % ("case", "lines", "instructions", "per line"))
    for label, functions, tool in cases:
        with tempfile.TemporaryDirectory() as work_dir:
            instructions, printed = count(tool, functions, options, args.connections,
                                          args.storm, work_dir)
        if instructions == 0:
            sys.exit("loop_instructions: %s: no instruction counted; does the build have %s?"
                     % (label, ", ".join(functions)))
        if printed != args.connections:
            sys.exit("loop_instructions: %s printed %d lines for %d connections"
                     % (label, printed, args.connections))
        print("%-12s %8d %14d %10.0f" % (label, printed, instructions, instructions / printed))


if __name__ == "__main__":
    main()
