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
import struct
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


def protocol_of(req):
    """0 (TCP), or IPPROTO_MPTCP for {"mptcp": true}."""
    IPPROTO_MPTCP = 262
    return IPPROTO_MPTCP if req.get("mptcp") else 0


def in_accept(pid):
    """Whether the process sleeps in accept(2) or accept4(2) (x86-64 numbers)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[0] in ("43", "288")
    except (OSError, IndexError):
        return False


def read_once(s):
    """What a read of s gives: its errno name, or the bytes' count (0: EOF)."""
    s.settimeout(10)
    try:
        return {"error": "", "length": len(s.recv(64))}
    except OSError as e:
        return {"error": errno.errorcode.get(e.errno, str(e)), "length": -1}


class Peer:
    def __init__(self):
        self.listeners = {}
        self.sockets = []

    def op_connect(self, req):
        s = socket.socket(family_of(req.get("ip", 4)), socket.SOCK_STREAM, protocol_of(req))
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
        at = time.monotonic()
        seconds = at - start
        local = s.getsockname()
        return {"saddr": local[0], "sport": local[1], "daddr": req["addr"],
                "dport": req["port"], "errno": err, "seconds": seconds, "at": at,
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
        s = socket.socket(family_of(req.get("ip", 4)), socket.SOCK_STREAM, protocol_of(req))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((req["addr"], req.get("port", 0)))
        if req.get("defer_accept"):  # seconds a connection waits for data before it is queued
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, req["defer_accept"])
        s.listen(req.get("backlog", 128))
        key = len(self.listeners) + 1
        self.listeners[key] = s
        local = s.getsockname()
        return {"id": key, "laddr": local[0], "lport": local[1]}

    def op_accept(self, req):
        """accept(), after sleeping delay seconds if asked; at: when it returned."""
        if req.get("delay"):
            time.sleep(req["delay"])
        conn, remote = self.listeners[req["id"]].accept()
        at = time.monotonic()
        self.sockets.append(conn)
        local = conn.getsockname()
        return {"raddr": remote[0], "rport": remote[1], "laddr": local[0],
                "lport": local[1], "at": at,
                "protocol": conn.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)}

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

    def op_reset_last(self, req):
        """Closes the socket of the last connect with a RST (SO_LINGER {1, 0})."""
        s = self.sockets.pop()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        return {}

    def op_close_listener(self, req):
        self.listeners.pop(req["id"]).close()
        return {}

    def op_recv_each(self, req):
        """What a read of each socket gives: its errno name, or the bytes' count (0: EOF)."""
        return {"results": [read_once(s) for s in self.sockets]}

    def by_port(self, port):
        """The socket of a connect whose local port is port."""
        return next(s for s in self.sockets if s.getsockname()[1] == port)

    def op_send(self, req):
        """One byte on the connection from local port sport."""
        return {"sent": self.by_port(req["sport"]).send(b"x")}

    def op_recv(self, req):
        """What a read of the connection from local port sport gives, as recv_each."""
        return read_once(self.by_port(req["sport"]))

    def op_close_last(self, req):
        """Closes the socket of the last connect (and only it)."""
        self.sockets.pop().close()
        return {}

    def op_accept_pool(self, req):
        """A prefork pool: count children, each blocked in accept() on the
        listener until it accepts once. Answers once all of them sleep there."""
        import os
        import time
        listener = self.listeners[req["id"]]
        reader, writer = os.pipe()
        pids = []
        for _ in range(req["count"]):
            pid = os.fork()
            if pid == 0:
                os.close(reader)
                conn, remote = listener.accept()
                local = conn.getsockname()
                line = json.dumps({"pid": os.getpid(), "raddr": remote[0], "rport": remote[1],
                                   "laddr": local[0], "lport": local[1]}) + "\n"
                os.write(writer, line.encode())
                os._exit(0)
            pids.append(pid)
        os.close(writer)
        self.pool = (os.fdopen(reader), pids)
        deadline = time.monotonic() + 30
        while not all(in_accept(pid) for pid in pids):
            if time.monotonic() > deadline:
                raise OSError(errno.ETIMEDOUT, "the pool did not block in accept()")
            time.sleep(0.05)
        return {"pids": pids}

    def op_pool_results(self, req):
        """What each worker's accept() returned, once all have exited."""
        import os
        reader, pids = self.pool
        accepted = [json.loads(line) for line in reader]
        for pid in pids:
            os.waitpid(pid, 0)
        return {"accepted": accepted}

    def op_listener_inbox(self, req):
        """An abstract unix socket, name, that another peer of the namespace
        can pass a listener to (pass_listener, then take_listener)."""
        self.inbox = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.inbox.bind("\0" + req["name"])
        self.inbox.listen(1)
        return {}

    def op_pass_listener(self, req):
        """Sends listener id to the inbox name (SCM_RIGHTS), keeping it too."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect("\0" + req["name"])
            socket.send_fds(s, [b"l"], [self.listeners[req["id"]].fileno()])
        return {}

    def op_take_listener(self, req):
        """The listener passed to the inbox, as one of this peer's own."""
        conn, _ = self.inbox.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1, 1)
        s = socket.socket(fileno=fds[0])
        key = len(self.listeners) + 1
        self.listeners[key] = s
        return {"id": key, "lport": s.getsockname()[1]}

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
