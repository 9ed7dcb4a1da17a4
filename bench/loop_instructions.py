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
import sys
import tempfile
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))


def line_count(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


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
    tracer = harness.Tracer(command, out_path=lines_path, err_path=errors_path)
    try:
        tracer.wait_live(300)  # a compile under valgrind takes a while
        before = line_count(lines_path)
        harness.run_storm(storm_path, connections, rate=4000, port=port)
        time.sleep(3)  # the last batch
    finally:
        tracer.stop(timeout=300)
    printed = line_count(lines_path) - before
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
    harness.exit_with(main, "loop_instructions")
