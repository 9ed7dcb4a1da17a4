#!/usr/bin/env python3
"""A test peer in its own process, driven over stdin/stdout with JSON lines.

Live tests need connections made by a process other than pytest, with a
known PID and COMM, and with ground truth from the socket's own end:
getsockname() on the client, accept() on the server. Each request is one
JSON object per line; each answer is one JSON object per line.
"""
import ctypes
import errno
import json
import socket
import sys
import time


def set_comm(name):
    """name, or hex:BYTES for a name that is not text."""
    raw = bytes.fromhex(name[4:]) if name.startswith("hex:") else name.encode()
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NAME = 15
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(raw), 0, 0, 0)


def family_of(version):
    return socket.AF_INET6 if int(version) == 6 else socket.AF_INET


class Peer:
    def __init__(self):
        self.listeners = {}
        self.sockets = []

    def op_connect(self, req):
        s = socket.socket(family_of(req.get("ip", 4)), socket.SOCK_STREAM)
        self.sockets.append(s)
        if req.get("bind"):
            s.bind((req["bind"], 0))
        err = 0
        if req.get("nonblocking"):
            s.setblocking(False)
        # The client's own measure of its wait: the SYN and its outcome both
        # happen within connect(), so a tracer's latency can only be shorter.
        start = time.monotonic()
        try:
            s.connect((req["addr"], req["port"]))
        except OSError as e:
            err = e.errno
        seconds = time.monotonic() - start
        local = s.getsockname()
        return {"saddr": local[0], "sport": local[1], "daddr": req["addr"],
                "dport": req["port"], "errno": err, "seconds": seconds,
                "error": errno.errorcode.get(err, "") if err else ""}

    def op_connect_many(self, req):
        """count non-blocking connects in a tight loop: (source ports, seconds taken)."""
        import resource
        import time
        limit = max(resource.getrlimit(resource.RLIMIT_NOFILE)[1], req["count"] + 64)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))  # root may raise it
        start = time.monotonic()
        ports = []
        for _ in range(req["count"]):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sockets.append(s)
            s.setblocking(False)
            try:
                s.connect((req["addr"], req["port"]))
            except BlockingIOError:
                pass
            ports.append(s.getsockname()[1])
        return {"sports": ports, "seconds": time.monotonic() - start}

    def op_listen(self, req):
        s = socket.socket(family_of(req.get("ip", 4)), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((req["addr"], req.get("port", 0)))
        s.listen(req.get("backlog", 128))
        key = len(self.listeners) + 1
        self.listeners[key] = s
        local = s.getsockname()
        return {"id": key, "laddr": local[0], "lport": local[1]}

    def op_accept(self, req):
        conn, remote = self.listeners[req["id"]].accept()
        self.sockets.append(conn)
        local = conn.getsockname()
        return {"raddr": remote[0], "rport": remote[1], "laddr": local[0],
                "lport": local[1]}

    def op_accept_syscall(self, req):
        """accept(2) itself, where Python's accept() makes accept4(2)."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.accept(self.listeners[req["id"]].fileno(), None, None)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "accept")
        conn = socket.socket(fileno=fd)
        self.sockets.append(conn)
        local, remote = conn.getsockname(), conn.getpeername()
        return {"raddr": remote[0], "rport": remote[1], "laddr": local[0],
                "lport": local[1]}

    def op_close_last(self, req):
        """Closes the socket of the last connect (and only it)."""
        self.sockets.pop().close()
        return {}

    def op_close(self, req):
        for s in self.sockets:
            s.close()
        self.sockets = []
        return {}


def main():
    if len(sys.argv) > 1:
        set_comm(sys.argv[1])
    peer = Peer()
    print(json.dumps({"pid": __import__("os").getpid()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            answer = getattr(peer, "op_" + req["op"])(req)
        except OSError as e:
            answer = {"exception": str(e), "errno": e.errno}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
