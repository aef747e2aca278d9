"""Idle connections must not starve a kiosk: N idle TCP connections from one client, then kiosk tickets.

    .venv/bin/python bench/idle_connections.py                  # 5,000 idle, 200 tickets, shipped server
    .venv/bin/python bench/idle_connections.py --server dev     # the same against Werkzeug's threads

One process opens ``--idle`` TCP connections to ``antrean run`` and sends nothing on them (half of
them send a partial request line, as a slow client would); meanwhile a kiosk takes ``--tickets``
tickets, each ``POST /api/v1/tickets`` on a new connection (as an idle kiosk opens one), one after
another, with a 10 s timeout. Reported: connections the server held open, ticket p50/p99/max,
failures, server RSS. Bounded: loopback only, at most ``--idle`` sockets, at most 10 s per ticket.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._server import Server, loadavg, machine  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def open_idle(port: int, n: int) -> list[socket.socket]:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for i in range(n):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            if i % 2:
                s.send(b"GET /kiosk HTTP/1.1\r\nHost: x\r\n")  # a slow client: the headers never end
        except OSError:
            s.close()
            break
        socks.append(s)
    return socks


def ticket(port: int) -> float:
    body = json.dumps({"service": "ktp"}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tickets",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": "kiosk:" + uuid.uuid4().hex},
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()
        assert r.status == 201, r.status
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--tickets", type=int, default=200)
    ap.add_argument("--server", choices=("gevent", "dev"), default="gevent")
    args = ap.parse_args()
    load0 = loadavg()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), {"ANTREAN_PRINTER_URL": "none"}, args.server)
        try:
            baseline = [ticket(server.port) for _ in range(20)]
            rss0 = server.rss_kb
            t0 = time.monotonic()
            socks = open_idle(server.port, args.idle)
            opened = time.monotonic() - t0
            time.sleep(2)  # let the server accept the backlog before the kiosk starts
            rss1 = server.rss_kb
            lat, failed = [], 0
            for _ in range(args.tickets):
                try:
                    lat.append(ticket(server.port))
                except Exception:  # noqa: BLE001 - a refused or timed-out ticket is the failure measured
                    failed += 1
            alive = 0
            for s in socks:  # still open from the server's side? (a closed one reads EOF at once)
                s.setblocking(False)
                try:
                    alive += s.recv(1) != b""
                except BlockingIOError:
                    alive += 1
                except OSError:
                    pass
            for s in socks:
                s.close()
        finally:
            server.stop()
    print(f"# {machine()} · server {args.server} · load {load0} → {loadavg()}")
    print(f"# {' '.join([Path(sys.executable).name] + sys.argv)}")
    print(
        "| server | idle opened | idle still open | tickets ok | failed | p50 ms | p99 ms | max ms "
        "| quiet p50 ms | RSS before → with idle |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    q = (lambda p: f"{percentile(lat, p):.1f}") if lat else (lambda p: "—")
    print(
        f"| {args.server} | {len(socks)} ({opened:.1f} s) | {alive} | {len(lat)} | {failed} | {q(50)} | {q(99)} "
        f"| {max(lat) if lat else 0:.1f} | {percentile(baseline, 50):.1f} | {rss0 / 1024:.0f} → {rss1 / 1024:.0f} MB |"
    )


if __name__ == "__main__":
    main()
