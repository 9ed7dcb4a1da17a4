#!/usr/bin/env python3
"""Side-by-side cost of tracer variants under the connection storm.

    python3 bench/compare.py [-r ROUNDS] [-n CONNECTIONS] LABEL=COMMAND ...

For A/B questions run.py does not ask: two builds of a tool, a tool against
a one-line bpftrace probe, a BPF change. Each round runs an untraced storm,
then each COMMAND (a shell command that starts a tracer and writes something
to stdout, or the tools' "Tracing" line to stderr, once it is tracing) with a
storm under it, each followed by another untraced storm. Reported per case:
the storm's own CPU per connection (the BPF programs run in its context, so
this is the in-kernel cost) and its rate, as medians and as ratios to the
untraced median, and the ratio of the fastest runs (the least CPU per
connection; "min ratio"): on a shared VM the noise only ever adds, so a
case's fastest run is its cost with the least noise in it; the tracer's own
CPU per line of the storm's it printed, and the connections it printed no
line for.

"paired rate" is the statistic for small effects: every traced storm is
divided by the geometric mean of the two untraced storms beside it (so a
drifting machine does not favour a case), and the median of those ratios is
given with a 95% bootstrap interval; the order of the cases turns every
round. On the 2-CPU VM of bench/RESULTS.md one storm's rate differs from the
next by about 9% whatever its length (5,000 to 80,000 connections), so a 1%
question takes hundreds of short rounds: -r 400 -n 5000 with seven cases
took about 50 minutes. Two builds side by side: before=build-before/tcpconnect
after=build/tcpconnect. With --bpf-stats it also reports the BPF programs' own run time
per connection (kernel.bpf_stats_enabled), which the machine's load moves
less. Example:

    python3 bench/compare.py -r 5 old=/tmp/tcpconnect.old new=build/tcpconnect \\
        'exit=bpftrace -e "tracepoint:syscalls:sys_exit_connect /pid == 1/ { }"'
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile

import harness

HERE = os.path.dirname(os.path.abspath(__file__))


def storm(path, count):
    """One untraced storm run: its CPU microseconds per connection and connections/s."""
    result = harness.run_storm(path, count)
    return {"cpu": result["cpu"] / count * 1e6, "rate": result["rate"]}


def bpf_run_time_ns():
    """The run time of every loaded BPF program, by id (0 where stats are off)."""
    out = subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True,
                         check=True).stdout
    return {prog["id"]: prog.get("run_time_ns", 0) for prog in json.loads(out)}


def tracer_cpu_ns(pid):
    """Time on CPU of each of the command's processes (the shell, the tracer
    it runs, and while it lasts the tools' compile child), by pid."""
    return {p: harness.cpu_ns(p) for p in harness.process_tree(pid)}


def cpu_between(before, after):
    """What the processes running at both readings spent between them (the
    compile child, gone by the second, is start-up, not the tracing)."""
    return sum(ns - before[p] for p, ns in after.items() if p in before)


def is_live(stdout_lines, stderr_lines):
    """Something on stdout, or the tools' "Tracing; ..." on stderr (-j, -c, --metrics -q)."""
    return stdout_lines or any(line.startswith("Tracing") for line in stderr_lines)


def traced_storm(command, storm_path, count, out_dir, bpf_ns=None):
    """Starts command, waits until it is live, storms, waits for its output
    to settle, stops it with SIGINT: the storm's (CPU us per connection,
    rate), and the tracer's own CPU per storm line (us; None without such a
    line) and the storm's connections it printed no line for.

    With bpf_ns (a list), appends the BPF run time per connection of the
    programs that ran during the storm."""
    out, err = os.path.join(out_dir, "out"), os.path.join(out_dir, "err")
    tracer = harness.Tracer(["sh", "-c", command], out_path=out, err_path=err)
    try:
        tracer.wait_live(30, sign=is_live)
        before = bpf_run_time_ns() if bpf_ns is not None else None
        cpu0 = tracer_cpu_ns(tracer.proc.pid)
        result = harness.run_storm(storm_path, count)
        if bpf_ns is not None:
            after = bpf_run_time_ns()
            bpf_ns.append(sum(ns - before.get(prog, 0) for prog, ns in after.items()) / count)
        tracer.drain(0.3, 20)
        cpu1 = tracer_cpu_ns(tracer.proc.pid)
    finally:
        tracer.stop()
    lines = harness.scan_output(out, err, harness.pid_is(result["pid"]))["matched"]
    return {"cpu": result["cpu"] / count * 1e6, "rate": result["rate"],
            "tracer_us": cpu_between(cpu0, cpu1) / 1000 / lines if lines else None,
            "lost": count - lines if lines else None}  # None: it prints no line (-c, -q)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--rounds", type=int, default=5)
    parser.add_argument("-n", "--connections", type=int, default=60000)
    parser.add_argument("--storm", default=os.path.join(HERE, "..", "build", "storm"))
    parser.add_argument("--bpf-stats", action="store_true",
                        help="also report BPF run time per connection (kernel.bpf_stats_enabled)")
    parser.add_argument("--json", metavar="FILE",
                        help="also write every run's numbers, in order, to FILE")
    parser.add_argument("cases", nargs="+", metavar="LABEL=COMMAND")
    args = parser.parse_args()
    cases = []
    for case in args.cases:
        label, sep, command = case.partition("=")
        if not sep or not label or not command:
            parser.error("expected LABEL=COMMAND, got %r" % case)
        cases.append((label, command))

    runs = {"untraced": []}
    runs.update((label, []) for label, _ in cases)
    # Per case, the untraced storms just before and just after each of its runs.
    neighbours = {label: [] for label, _ in cases}
    bpf = {label: [] for label, _ in cases} if args.bpf_stats else {}
    if args.bpf_stats:
        subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], check=True)
    try:
        with tempfile.TemporaryDirectory() as out_dir:
            runs["untraced"].append(storm(args.storm, args.connections))
            for round_number in range(args.rounds):
                turn = round_number % len(cases)
                for label, command in cases[turn:] + cases[:turn]:
                    runs[label].append(traced_storm(command, args.storm, args.connections,
                                                    out_dir, bpf.get(label)))
                    runs["untraced"].append(storm(args.storm, args.connections))
                    neighbours[label].append((runs["untraced"][-2], runs["untraced"][-1]))
                print("round %d/%d done" % (round_number + 1, args.rounds), file=sys.stderr)
    finally:
        if args.bpf_stats:
            subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=0"], check=False)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "bpf_ns": bpf, "paired_rate": {
                label: paired_rate_ratios(runs[label], pairs)
                for label, pairs in neighbours.items()}}, f, indent=1)
    report(runs, bpf, neighbours)


def paired_rate_ratios(results, neighbours):
    """Each traced run's rate over the geometric mean of its neighbours'."""
    return [r["rate"] / math.sqrt(before["rate"] * after["rate"])
            for r, (before, after) in zip(results, neighbours)]


def median_interval(values, resamples=4000, level=0.95):
    """The median and a percentile-bootstrap interval for it (fixed seed:
    the same numbers give the same interval)."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values)))
                     for _ in range(resamples))
    tail = (1 - level) / 2
    return (statistics.median(values), medians[int(tail * resamples)],
            medians[min(resamples - 1, int((1 - tail) * resamples))])


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def report(runs, bpf, neighbours):
    base_cpu = statistics.median(r["cpu"] for r in runs["untraced"])
    base_rate = statistics.median(r["rate"] for r in runs["untraced"])
    base_fastest = min(r["cpu"] for r in runs["untraced"])
    print("%-24s %11s %7s %10s %6s %16s %9s %10s %6s%s" % (
        "case", "cpu us/conn", "ratio", "conn/s", "ratio", "cpu min-max", "min ratio",
        "tracer us/ev", "lost", "  bpf ns/conn" if bpf else ""))
    for label, results in runs.items():
        cpu = statistics.median(r["cpu"] for r in results)
        rate = statistics.median(r["rate"] for r in results)
        fastest = min(r["cpu"] for r in results)
        tracer = median_or_none(r.get("tracer_us") for r in results)
        lost = median_or_none(r.get("lost") for r in results)
        line = "%-24s %11.2f %7.3f %10.0f %6.3f %8.2f-%.2f %9.3f %10s %6s" % (
            label, cpu, cpu / base_cpu, rate, rate / base_rate, fastest,
            max(r["cpu"] for r in results), fastest / base_fastest,
            "-" if tracer is None else "%.2f" % tracer, "-" if lost is None else "%d" % lost)
        if bpf.get(label):
            line += "  %11.0f" % statistics.median(bpf[label])
        print(line)
    print()
    print("%-24s %6s %12s %22s" % ("case", "runs", "paired rate", "95% interval of median"))
    for label, pairs in neighbours.items():
        median, low, high = median_interval(paired_rate_ratios(runs[label], pairs))
        print("%-24s %6d %12.4f %11.4f-%.4f" % (label, len(pairs), median, low, high))

if __name__ == "__main__":
    harness.exit_with(main, "compare")
