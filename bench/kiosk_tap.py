"""Tap -> number on screen, over HTTP: POST /api/v1/tickets against a real `antrean run` server.

What a kiosk waits for between "Ambil Tiket" and the number: one HTTP request (new keep-alive
connection per tap, as a kiosk idle between citizens would have), the ticket committed
(SQLite, `BEGIN IMMEDIATE`, `synchronous=FULL`), the hooks run (the hardware plugin queues a
print job in the same transaction), the JSON answer parsed. Also the idempotent retry
(same key again: the first ticket comes back) and GET /kiosk/state.json (the kiosk's refresh).

    .venv/bin/python bench/kiosk_tap.py --n 300
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["ektp", "ktp", "kk", "akta_kelahiran", "sktm", "skck"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(instance: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    env.update(ANTREAN_INSTANCE_PATH=instance, PYTHONUNBUFFERED="1", ANTREAN_CALENDAR="false")
    subprocess.run(
        [sys.executable, "-m", "antrean.cli", "init", "--demo"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "antrean.cli", "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start")


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as inst:
        proc = start(inst, port)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(10):  # warm up
                post(base + "/api/v1/tickets", {"service": "ktp", "device_id": "kiosk-1"})
            issue, retry, state = [], [], []
            for i in range(args.n):
                body = {
                    "service": SERVICES[i % len(SERVICES)],
                    "idempotency_key": "kiosk:" + secrets.token_hex(16),
                    "device_id": "kiosk-1",
                    "priority": None,
                }
                issue.append(timed(lambda body=body: post(base + "/api/v1/tickets", body)))
                retry.append(timed(lambda body=body: post(base + "/api/v1/tickets", body)))
                state.append(timed(lambda: urllib.request.urlopen(base + "/kiosk/state.json", timeout=10).read()))
        finally:
            proc.terminate()
            proc.wait(10)
    print("| request | n | p50 | p99 | max |\n| --- | --- | --- | --- | --- |")
    for name, v in (
        ("tap → number (`POST /api/v1/tickets`, new ticket)", issue),
        ("retry with the same key (same ticket back)", retry),
        ("`GET /kiosk/state.json` (refresh)", state),
    ):
        print(f"| {name} | {len(v)} | {statistics.median(v):.2f} ms | {pct(v, 99):.2f} ms | {max(v):.2f} ms |")


if __name__ == "__main__":
    main()
