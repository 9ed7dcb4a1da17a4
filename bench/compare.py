#!/usr/bin/env python3
"""Side-by-side cost of tracer variants under the connection storm.

    python3 bench/compare.py [-r ROUNDS] [-n CONNECTIONS] LABEL=COMMAND ...

For A/B questions run.py does not ask: two builds of a tool, a tool against
a one-line bpftrace probe, a BPF change. Each round runs an untraced storm,
then each COMMAND (a shell command that starts a tracer and writes something
to stdout once it is tracing) with a storm under it, each followed by another
untraced storm. Reported per case: the storm's own CPU per connection (the
BPF programs run in its context, so this is the in-kernel cost) and its
rate, as medians and as ratios to the untraced median. Example:

    python3 bench/compare.py -r 5 old=/tmp/tcpconnect.old new=build/tcpconnect \\
        'exit=bpftrace -e "tracepoint:syscalls:sys_exit_connect /pid == 1/ { }"'
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def storm(path, count):
    """One storm run: (CPU microseconds per connection, connections/s)."""
    out = subprocess.run([path, "-n", str(count)], capture_output=True, text=True,
                         check=True).stdout
    fields = dict(kv.split("=", 1) for kv in out.split())
    return float(fields["cpu"]) / count * 1e6, float(fields["rate"])


def traced_storm(command, storm_path, count, out_dir):
    """Starts command, waits for its first output, storms, stops it with SIGINT."""
    with tempfile.NamedTemporaryFile(dir=out_dir, delete=False) as out:
        proc = subprocess.Popen(command, shell=True, stdout=out, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + 30
    while os.path.getsize(out.name) == 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            sys.exit("compare: %r did not start tracing" % command)
        time.sleep(0.05)
    try:
        return storm(storm_path, count)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait()
        os.unlink(out.name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--rounds", type=int, default=5)
    parser.add_argument("-n", "--connections", type=int, default=60000)
    parser.add_argument("--storm", default=os.path.join(HERE, "..", "build", "storm"))
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
    with tempfile.TemporaryDirectory() as out_dir:
        runs["untraced"].append(storm(args.storm, args.connections))
        for round_number in range(args.rounds):
            for label, command in cases:
                runs[label].append(traced_storm(command, args.storm, args.connections, out_dir))
                runs["untraced"].append(storm(args.storm, args.connections))
            print("round %d/%d done" % (round_number + 1, args.rounds), file=sys.stderr)

    base_cpu = statistics.median(cpu for cpu, _ in runs["untraced"])
    base_rate = statistics.median(rate for _, rate in runs["untraced"])
    print("%-24s %14s %7s %10s %6s %16s" % ("case", "cpu us/conn", "ratio", "conn/s", "ratio",
                                            "cpu min-max"))
    for label, results in runs.items():
        cpu = statistics.median(c for c, _ in results)
        rate = statistics.median(r for _, r in results)
        print("%-24s %14.2f %7.3f %10.0f %6.3f %8.2f-%.2f" % (
            label, cpu, cpu / base_cpu, rate, rate / base_rate,
            min(c for c, _ in results), max(c for c, _ in results)))


if __name__ == "__main__":
    main()
