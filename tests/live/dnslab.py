#!/usr/bin/env python3
"""A DNS laboratory in a private network and mount namespace, for -d's tests.

Run as `unshare --net --mount --propagation private python3 dnslab.py`: it
brings lo up, bind-mounts its own /etc/resolv.conf (in this namespace only),
answers DNS on 127.0.0.1:53 and [::1]:53 from a zone given in each request,
listens for TCP on the addresses its answers give, and runs clients on
request, driven over stdin/stdout with JSON lines like peer.py. Each client
answers with the ground truth of its connection: the name it asked, the
address the resolver's answer gave it, and getsockname() (or curl's own
report).

Clients: a resolver of its own (a raw UDP query, as Go's and musl's
resolvers send), glibc's getaddrinfo, and curl.
"""
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading

TYPES = {"A": 1, "CNAME": 5, "AAAA": 28}
CLASS_IN = 1


def wire_name(name):
    """name: str, or a list of labels as hex strings (any bytes at all)."""
    labels = ([bytes.fromhex(l) for l in name] if isinstance(name, list)
              else [l.encode() for l in name.strip(".").split(".") if l])
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"


def read_name(msg, offset):
    """The wire name at offset (uncompressed, as ours are): (bytes, next offset)."""
    labels = []
    while msg[offset]:
        n = msg[offset]
        labels.append(msg[offset + 1:offset + 1 + n])
        offset += 1 + n
    return b".".join(labels), offset + 1


def rdata(record):
    if record["type"] == "A":
        return socket.inet_pton(socket.AF_INET, record["addr"])
    if record["type"] == "AAAA":
        return socket.inet_pton(socket.AF_INET6, record["addr"])
    return wire_name(record["target"])


class Zone:
    """name (wire) -> records [{"type", "addr" | "target", "ttl"}], shared with the server."""

    def __init__(self):
        self.records = {}
        self.lock = threading.Lock()

    def set(self, zone):
        with self.lock:
            self.records = {wire_name(n["name"]).lower(): n["records"] for n in zone}

    def answer(self, query):
        """The answer to query (bytes), following CNAMEs within the zone, or None."""
        if len(query) < 12:
            return None
        qid, flags, qdcount = struct.unpack("!HHH", query[:6])
        if flags & 0x8000 or qdcount != 1:
            return None
        end = 12
        while query[end]:
            end += 1 + query[end]
        qname, (qtype, qclass) = query[12:end + 1], struct.unpack("!HH", query[end + 1:end + 5])
        answers = []
        name = qname
        with self.lock:
            for _ in range(8):
                records = self.records.get(name.lower(), [])
                cname = [r for r in records if r["type"] == "CNAME"]
                for r in cname or [r for r in records if TYPES[r["type"]] == qtype]:
                    data = rdata(r)
                    answers.append(name + struct.pack("!HHIH", TYPES[r["type"]], CLASS_IN,
                                                      r.get("ttl", 30), len(data)) + data)
                if not cname:
                    break
                name = wire_name(cname[0]["target"])
        rcode = 0 if answers or qname.lower() in self.records else 3  # NXDOMAIN
        header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
        return header + query[12:end + 5] + b"".join(answers)


def serve(sock, zone):
    while True:
        query, peer = sock.recvfrom(4096)
        try:
            reply = zone.answer(query)
        except (IndexError, struct.error, KeyError):
            reply = None
        if reply:
            sock.sendto(reply, peer)


def query_message(name, qtype):
    return (struct.pack("!HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
            + wire_name(name) + struct.pack("!HH", TYPES[qtype], CLASS_IN))


def parse_addresses(reply):
    """The A/AAAA addresses of an answer: the resolver's own view."""
    ancount = struct.unpack("!H", reply[6:8])[0]
    _, offset = read_name(reply, 12)
    offset += 4
    addresses = []
    for _ in range(ancount):
        _, offset = read_name(reply, offset)
        rtype, _, _, length = struct.unpack("!HHIH", reply[offset:offset + 10])
        offset += 10
        if rtype in (1, 28):
            family = socket.AF_INET if rtype == 1 else socket.AF_INET6
            addresses.append(socket.inet_ntop(family, reply[offset:offset + length]))
        offset += length
    return addresses


class Lab:
    def __init__(self):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        self.zone = Zone()
        for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.bind((addr, 53))
            threading.Thread(target=serve, args=(s, self.zone), daemon=True).start()
        # The bind mount holds the file; its name goes at once, so that a lab
        # killed by its test leaves nothing behind in /tmp.
        with tempfile.NamedTemporaryFile("w", suffix=".resolv.conf") as resolv:
            resolv.write("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
            resolv.flush()
            subprocess.run(["mount", "--bind", resolv.name, "/etc/resolv.conf"], check=True)
        self.listeners = {}
        self.sockets = []

    def listener(self, addr):
        """A TCP listener on addr, port 80, accepting in the background."""
        if addr not in self.listeners:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, 80))
            s.listen(64)
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()
            self.listeners[addr] = s
        return 80

    def _accept(self, s):
        while True:
            conn, _ = s.accept()
            self.sockets.append(conn)
            threading.Thread(target=self._http, args=(conn,), daemon=True).start()

    @staticmethod
    def _http(conn):
        """Enough HTTP for curl: any request gets an empty 200."""
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass

    def connect(self, addr, name):
        port = self.listener(addr)
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        self.sockets.append(s)
        s.connect((addr, port))
        local = s.getsockname()
        return {"name": name, "saddr": local[0], "sport": local[1], "daddr": addr,
                "dport": port, "pid": os.getpid()}

    def op_zone(self, req):
        self.zone.set(req["zone"])
        for entry in req["zone"]:
            for r in entry["records"]:
                if r["type"] != "CNAME":
                    self.listener(r["addr"])
        return {}

    def op_raw(self, req):
        """A resolver of our own: one UDP query to the server, then a connect to its answer."""
        server = req.get("server", "127.0.0.1")
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(query_message(req["name"], req.get("type", "A")), (server, 53))
            reply, _ = s.recvfrom(4096)
        addresses = parse_addresses(reply)
        return self.connect(addresses[0], req["name"])

    def op_getaddrinfo(self, req):
        family = socket.AF_INET6 if req.get("ip") == 6 else socket.AF_INET
        infos = socket.getaddrinfo(req["name"], 80, family, socket.SOCK_STREAM)
        return self.connect(infos[0][4][0], req["name"])

    def op_curl(self, req):
        url = "http://%s/" % req["name"]
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "--noproxy", "*",
                            "-w", "%{local_ip} %{local_port} %{remote_ip} %{remote_port}", url],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise OSError("curl failed: %d %s" % (r.returncode, r.stderr))
        saddr, sport, daddr, dport = r.stdout.split()
        return {"name": req["name"], "saddr": saddr, "sport": int(sport), "daddr": daddr,
                "dport": int(dport), "comm": "curl"}

    def op_connect(self, req):
        """A connect to an address no answer named."""
        return self.connect(req["addr"], None)

    def op_garbage(self, req):
        """Messages from port 53 to a UDP socket of ours, then the socket closes."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as source:
            target.bind(("127.0.0.1", 0))
            source.bind(("127.0.0.2", 53))
            for message in req["messages"]:
                source.sendto(bytes.fromhex(message), target.getsockname())
            for _ in req["messages"]:
                target.settimeout(5)
                target.recvfrom(65536)
        return {"sent": len(req["messages"])}


def main():
    lab = Lab()
    print(json.dumps({"pid": os.getpid()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            answer = getattr(lab, "op_" + req["op"])(req)
        except Exception as e:  # the test sees it, with its errno
            answer = {"exception": repr(e), "errno": getattr(e, "errno", None)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
