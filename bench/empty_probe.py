#!/usr/bin/env python3
"""An empty BPF program on one kernel event: the floor a tracer of that event
cannot go below (bench/compare.py runs it beside the tools).

    python3 bench/empty_probe.py raw_tracepoint:inet_sock_set_state
    python3 bench/empty_probe.py tracepoint:syscalls:sys_exit_accept4

The program ("r0 = 0; exit") returns at once; what remains is the kernel's
dispatch to it (and, for a syscall tracepoint, every system call's trip
through the slow path that enabling one sends all tasks on). It is loaded
with bpf(2) directly, so that it is live in milliseconds where a compiler
would take seconds per round (bpftrace 0.17 has no raw tracepoints).
"Tracing" goes to stderr once it is attached; SIGINT or SIGTERM ends it
(python3 standard library; x86-64 and arm64).
"""
import ctypes
import os
import platform
import signal
import struct
import sys

import harness

SYSCALLS = {"x86_64": {"bpf": 321, "perf_event_open": 298},
            "aarch64": {"bpf": 280, "perf_event_open": 241}}
BPF_PROG_LOAD, BPF_RAW_TRACEPOINT_OPEN = 5, 17
BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT = 5, 17
EMPTY_PROGRAM = bytes([0xb7, 0, 0, 0, 0, 0, 0, 0,   # r0 = 0
                       0x95, 0, 0, 0, 0, 0, 0, 0])  # exit
PERF_TYPE_TRACEPOINT, PERF_FLAG_FD_CLOEXEC = 2, 8
PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_SET_BPF = 0x2400, 0x40042408
ATTR_SIZE = 128

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def fail(message):
    sys.stderr.write("empty_probe: %s\n" % message)
    sys.exit(1)


def syscall(name, *args):
    number = SYSCALLS.get(platform.machine(), {}).get(name)
    if number is None:
        fail("no %s number for %s" % (name, platform.machine()))
    result = libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        fail("%s: %s" % (name, os.strerror(ctypes.get_errno())))
    return result


def bpf(command, attr):
    buffer = ctypes.create_string_buffer(attr.ljust(ATTR_SIZE, b"\0"), ATTR_SIZE)
    return syscall("bpf", ctypes.c_int(command), buffer, ctypes.c_uint(ATTR_SIZE))


def load(prog_type, keep):
    insns = ctypes.create_string_buffer(EMPTY_PROGRAM, len(EMPTY_PROGRAM))
    license = ctypes.create_string_buffer(b"GPL")
    keep += [insns, license]
    # union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license.
    return bpf(BPF_PROG_LOAD, struct.pack("=IIQQ", prog_type, len(EMPTY_PROGRAM) // 8,
                                          ctypes.addressof(insns), ctypes.addressof(license)))


def tracepoint_id(category, name):
    """The tracepoint's id, from tracefs (mounted in a mount namespace of this
    process's own where it is not)."""
    tracing = harness.ensure_tracefs("empty_probe")
    try:
        with open("%s/events/%s/%s/id" % (tracing, category, name)) as f:
            return int(f.read())
    except OSError as e:
        fail("no tracepoint %s:%s: %s" % (category, name, e.strerror))


def attach(event, keep):
    """The file descriptors that hold the program on the event."""
    kind, _, name = event.partition(":")
    if kind == "raw_tracepoint" and name and ":" not in name:
        prog = load(BPF_PROG_TYPE_RAW_TRACEPOINT, keep)
        name_buffer = ctypes.create_string_buffer(name.encode())
        keep.append(name_buffer)
        return [prog, bpf(BPF_RAW_TRACEPOINT_OPEN,
                          struct.pack("=QI", ctypes.addressof(name_buffer), prog))]
    category, _, tracepoint = name.partition(":")
    if kind == "tracepoint" and category and tracepoint and ":" not in tracepoint:
        prog = load(BPF_PROG_TYPE_TRACEPOINT, keep)
        # struct perf_event_attr: type, size, config, sample_period.
        attr = struct.pack("=IIQQ", PERF_TYPE_TRACEPOINT, ATTR_SIZE,
                           tracepoint_id(category, tracepoint), 1)
        attr_buffer = ctypes.create_string_buffer(attr.ljust(ATTR_SIZE, b"\0"), ATTR_SIZE)
        perf = syscall("perf_event_open", attr_buffer, ctypes.c_int(-1), ctypes.c_int(0),
                       ctypes.c_int(-1), ctypes.c_ulong(PERF_FLAG_FD_CLOEXEC))
        for request, argument in ((PERF_EVENT_IOC_SET_BPF, prog), (PERF_EVENT_IOC_ENABLE, 0)):
            if libc.ioctl(ctypes.c_int(perf), ctypes.c_ulong(request), ctypes.c_int(argument)) < 0:
                fail("ioctl: " + os.strerror(ctypes.get_errno()))
        return [prog, perf]
    sys.stderr.write("usage: empty_probe.py raw_tracepoint:EVENT | "
                     "tracepoint:CATEGORY:EVENT (got %r)\n" % event)
    sys.exit(2)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: empty_probe.py raw_tracepoint:EVENT | tracepoint:CATEGORY:EVENT\n")
        sys.exit(2)
    # Set here, not inherited: a shell's background job starts with SIGINT ignored.
    stop = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.append(True))
    keep = []
    fds = attach(sys.argv[1], keep)
    sys.stderr.write("Tracing %s with an empty program; Ctrl-C to end.\n" % sys.argv[1])
    sys.stderr.flush()
    while not stop:
        signal.pause()
    for fd in fds:
        os.close(fd)


if __name__ == "__main__":
    main()
