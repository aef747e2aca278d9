"""Stand-ins for message gateways on 127.0.0.1: an HTTP webhook and a tiny SMTP server.

``FakeGateway`` records every request it *accepted* (``delivered``, by the ``id`` of the JSON body);
its ``mode`` decides the answer: "ok" (200), "error" (500, not delivered), "slow" (the request is
accepted, then no answer until ``release()``: the client times out). ``stop()`` closes the port
(the gateway is "down"); ``start()`` opens it again on the same port.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self, port: int):
        self.port, self.url = port, f"http://127.0.0.1:{port}/send"
        self.mode = "ok"
        self.slow_ids: set[str] = set()
        self.delivered: Counter = Counter()
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.requests = 0
        self._release = threading.Event()
        self._server = None
        self._lock = threading.Lock()

    def start(self) -> FakeGateway:
        gw = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with gw._lock:
                    gw.requests += 1
                    slow = gw.mode == "slow" or body.get("id") in gw.slow_ids
                    if gw.mode == "error" and not slow:
                        self.send_response(500)
                        self.end_headers()
                        self.wfile.write(b'{"status": false}')
                        return
                    gw.delivered[body.get("id")] += 1
                    gw.bodies.append(body)
                    gw.headers.append(dict(self.headers))
                if slow:
                    gw._release.wait(30)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": true}')

            def do_GET(self):  # noqa: N802 - /stats: what was delivered (for a gateway in another process)
                with gw._lock:
                    data = json.dumps({"requests": gw.requests, "delivered": dict(gw.delivered)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._release = threading.Event()

    def release(self) -> None:
        self._release.set()


class FakeSmtp:
    """Enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. ``messages``: (rcpt, data)."""

    def __init__(self, port: int, refuse: str = ""):
        self.port, self.refuse = port, refuse
        self.messages: list[tuple[list[str], str]] = []
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                out = self.wfile
                out.write(b"220 fake ESMTP\r\n")
                rcpt: list[str] = []
                while True:
                    line = self.rfile.readline().decode()
                    if not line:
                        return
                    cmd = line[:4].upper()
                    if cmd in ("EHLO", "HELO"):
                        out.write(b"250 fake\r\n")
                    elif cmd == "MAIL":
                        rcpt = []
                        out.write(b"250 ok\r\n")
                    elif cmd == "RCPT":
                        addr = line.split(":", 1)[1].strip().strip("<>")
                        if smtp.refuse and smtp.refuse in addr:
                            out.write(b"550 no such user\r\n")
                        else:
                            rcpt.append(addr)
                            out.write(b"250 ok\r\n")
                    elif cmd == "DATA":
                        out.write(b"354 go\r\n")
                        data = []
                        while (data_line := self.rfile.readline().decode()) not in (".\r\n", ""):
                            data.append(data_line)
                        smtp.messages.append((rcpt, "".join(data)))
                        out.write(b"250 queued\r\n")
                    elif cmd == "QUIT":
                        out.write(b"221 bye\r\n")
                        return
                    else:
                        out.write(b"250 ok\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":  # a gateway in its own process (bench/notify.py): python -m tests.support.fake_gateway PORT
    import sys
    import time

    FakeGateway(int(sys.argv[1])).start()
    while True:
        time.sleep(3600)
