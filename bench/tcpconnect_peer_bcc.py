#!/usr/bin/python3
"""BCC-python peer of tcpconnect for the benchmark (bench/cost.py runs it as
the "bcc-python peer" row; Debian's python3-bpfcc 0.26).

One line per active TCP connection attempt, on tracepoint
sock:inet_sock_set_state for the TCP_CLOSE -> TCP_SYN_SENT transition (as
bench/tcpconnect_peer.bt), through a BPF ring buffer, with tcpconnect's
columns. As in the bpftrace peer, SPORT is 0: the kernel picks the port
after this transition. The header is printed once the probe is attached.

BCC insists on a kernel source tree. Where the running kernel has no
headers, the peer gives it what tcptools gives libbcc (common/kernel/
kernel_tree.c): a few stub files; the tracepoint's record layout comes from
tracefs, so the program needs no kernel structure.
"""
import ctypes
import os
import shutil
import socket
import sys
import tempfile
import time

from bcc import BPF

import harness

STUBS = {
    "include/linux/kconfig.h": "#define CONFIG_BPF_SYSCALL 1\n",
    "include/linux/types.h": "".join(
        "typedef %s __%s; typedef __%s %s;\n" % (c, t, t, t) for c, t in (
            ("signed char", "s8"), ("unsigned char", "u8"), ("short", "s16"),
            ("unsigned short", "u16"), ("int", "s32"), ("unsigned int", "u32"),
            ("long long", "s64"), ("unsigned long long", "u64")))
    + "typedef __u16 __be16; typedef __u32 __be32; typedef __u64 __be64;\n"
    + "typedef __u16 __sum16; typedef __u32 __wsum; typedef _Bool bool;\n"
    + "#define __aligned_u64 __u64 __attribute__((aligned(8)))\n"
    + "typedef unsigned long size_t; typedef long ssize_t; typedef unsigned long uintptr_t;\n"
    + "#define true 1\n#define false 0\n#define NULL ((void *)0)\n",
    "include/linux/version.h": "#define LINUX_VERSION_CODE %d\n"
    "#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))\n",
    "arch/x86/include/asm/page.h": "#define PAGE_SIZE %d\n" % os.sysconf("SC_PAGE_SIZE"),
    "include/linux/bpf_common.h": "",
    "include/uapi/linux/bpf.h": "",
    "include/uapi/linux/if_packet.h": "",
    "include/linux/log2.h": "",
}


def stub_kernel_tree():
    """A directory for BCC_KERNEL_SOURCE, or None where headers are installed."""
    if os.path.isdir("/lib/modules/%s/build" % os.uname().release):
        return None
    nums = (os.uname().release.split("-")[0].split(".") + ["0", "0"])[:3]
    version = (int(nums[0]) << 16) + (int(nums[1]) << 8) + min(int(nums[2]), 255)
    root = tempfile.mkdtemp(prefix="tt-bcc-peer-")
    for path, text in STUBS.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text % version if path.endswith("version.h") else text)
    os.environ["BCC_KERNEL_SOURCE"] = root
    return root

TEXT = r"""
struct event {
    u32 pid;
    u16 family, sport, dport;
    u8 saddr[16], daddr[16];
    char comm[16];
};
BPF_RINGBUF_OUTPUT(events, 64);

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != 6 /* IPPROTO_TCP */ || args->oldstate != 7 || args->newstate != 2)
        return 0;
    struct event *e = events.ringbuf_reserve(sizeof(*e));
    if (!e)
        return 0;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->family = args->family;
    e->sport = args->sport;
    e->dport = args->dport;
    if (args->family == 2 /* AF_INET */) {
        __builtin_memcpy(e->saddr, args->saddr, 4);
        __builtin_memcpy(e->daddr, args->daddr, 4);
    } else {
        __builtin_memcpy(e->saddr, args->saddr_v6, 16);
        __builtin_memcpy(e->daddr, args->daddr_v6, 16);
    }
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    events.ringbuf_submit(e, 0);
    return 0;
}
"""


class Event(ctypes.Structure):
    _fields_ = [("pid", ctypes.c_uint32), ("family", ctypes.c_uint16),
                ("sport", ctypes.c_uint16), ("dport", ctypes.c_uint16),
                ("saddr", ctypes.c_uint8 * 16), ("daddr", ctypes.c_uint8 * 16),
                ("comm", ctypes.c_char * 16)]


def main():
    # BCC reads the tracepoint's format from tracefs.
    harness.ensure_tracefs("tcpconnect_peer_bcc")
    tree = stub_kernel_tree()
    try:
        b = BPF(text=TEXT)
    finally:
        if tree:
            shutil.rmtree(tree)
    out = sys.stdout

    def on_event(ctx, data, size):
        e = ctypes.cast(data, ctypes.POINTER(Event)).contents
        fam = socket.AF_INET if e.family == socket.AF_INET else socket.AF_INET6
        n = 4 if fam == socket.AF_INET else 16
        out.write("%-8s %-7d %-16s %-15s %-5d %-15s %-5d\n" % (
            time.strftime("%H:%M:%S"), e.pid, e.comm.decode(errors="replace"),
            socket.inet_ntop(fam, bytes(e.saddr[:n])), e.sport,
            socket.inet_ntop(fam, bytes(e.daddr[:n])), e.dport))

    b["events"].open_ring_buffer(on_event)
    # The header says the peer is live (the harness stops it with SIGINT any
    # time after): printed once it reads, and inside the try that takes the
    # signal.
    try:
        print("%-8s %-7s %-16s %-15s %-5s %-15s %-5s" %
              ("TIME", "PID", "COMM", "SADDR", "SPORT", "DADDR", "DPORT"), flush=True)
        while True:
            b.ring_buffer_poll(100)
            out.flush()
    except KeyboardInterrupt:
        b.ring_buffer_consume()
        out.flush()


if __name__ == "__main__":
    main()
