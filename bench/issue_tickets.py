"""Ticket issuance over HTTP against a real ``antrean run`` server.

    .venv/bin/python bench/issue_tickets.py                      # SQLite, 1 and 16 clients
    .venv/bin/python bench/issue_tickets.py --pg postgresql://postgres@127.0.0.1/test
    .venv/bin/python bench/issue_tickets.py --seconds 10 --clients 1 16 32

The server runs in its own process (one process, as on an office PC); the
clients run in another process, each client a thread with its own keep-alive
connection, POSTing /api/v1/tickets and timing every request. Afterwards the
database is checked: no duplicate and no gap in any service's numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._server import Server, cpu_seconds, loadavg  # noqa: E402

SERVICES = ["ektp", "ktp", "kk", "akta_kelahiran", "sktm", "skck", "oss", "pengaduan"]


def start_server(instance: Path, db_url: str | None, server: str, workers: int, redis_url: str | None):
    env = {"ANTREAN_PRINTER_URL": "none"}
    if db_url:
        env["ANTREAN_DATABASE_URL"] = db_url
    if redis_url:
        env["ANTREAN_REDIS_URL"] = redis_url
    full = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    full.update({"ANTREAN_INSTANCE_PATH": str(instance), **env})
    subprocess.run(
        [sys.executable, "-m", "antrean", "init"],
        env=full,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Server(instance, env, server, workers)


def client_run(port: int, clients: int, seconds: float) -> dict:
    """Run in a separate process: ``clients`` threads hammering POST /api/v1/tickets."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    start_gate = threading.Barrier(clients)

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rnd = random.Random(i)
        mine = []
        start_gate.wait()
        while time.monotonic() < stop:
            body = json.dumps({"service": rnd.choice(SERVICES), "priority": None})
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/api/v1/tickets",
                    body,
                    {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
                )
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 201
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            dt = time.perf_counter() - t0
            if ok:
                mine.append(dt)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors[0],
        "seconds": round(elapsed, 2),
        "throughput": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q(0.50), 2),
        "p99_ms": round(q(0.99), 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
    }


def check_numbers(instance: Path, db_url: str | None) -> dict:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from antrean.core import Antrean
    from antrean.kernel.models import Ticket
    from plugins import BUILTIN_SOP_MODULES

    settings = {"instance_path": str(instance), "start_workers": False}
    if db_url:
        settings["database_url"] = db_url
    core = Antrean(settings, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        with core.db.read() as s:
            rows = s.execute(select(Ticket.letter, Ticket.day, Ticket.seq)).all()
    finally:
        core.close()
    by: dict = {}
    for letter, day, seq in rows:
        by.setdefault((letter, day), []).append(seq)
    dupes = sum(len(v) - len(set(v)) for v in by.values())
    gaps = sum(1 for v in by.values() if sorted(v) != list(range(1, len(v) + 1)))
    return {"tickets": len(rows), "duplicates": dupes, "series_with_gaps": gaps}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL (a scratch database: its tables are dropped first)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument(
        "--server",
        choices=("gevent", "dev"),
        default="gevent",
        help="gevent: antrean run (ships); dev: antrean run --dev (Werkzeug threads, before issue 9)",
    )
    ap.add_argument("--workers", type=int, default=1, help="processes (gunicorn; needs --pg and --redis)")
    ap.add_argument("--redis", help="Redis URL (with --workers)")
    ap.add_argument("--client-process", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client_process:
        port, clients, seconds = args.client_process
        print(json.dumps(client_run(int(port), int(clients), float(seconds))))
        return
    if args.pg:
        from sqlalchemy import create_engine, text

        eng = create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        eng.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        load_start = loadavg()
        srv = start_server(instance, args.pg, args.server, args.workers, args.redis)
        port = srv.port
        try:
            results = []
            for n in args.clients:
                cpu0 = cpu_seconds(srv.proc.pid)
                out = subprocess.run(
                    [sys.executable, __file__, "--client-process", str(port), str(n), str(args.seconds)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results.append(json.loads(out.stdout))
                used = cpu_seconds(srv.proc.pid) - cpu0
                results[-1]["cpu_ms"] = round(used * 1000 / max(1, results[-1]["requests"]), 2)
        finally:
            srv.stop()
        check = check_numbers(instance, args.pg)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(
        f"# {'PostgreSQL' if args.pg else 'SQLite'} · server {args.server} × {args.workers} · {os.cpu_count()} cores"
        f" · {cpu} · Python {platform.python_version()} · load {load_start} → {loadavg()}"
    )
    print("| clients | tickets/s | p50 ms | p99 ms | requests | errors | server CPU ms/ticket |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['clients']} | {r['throughput']} | {r['p50_ms']} | {r['p99_ms']} | {r['requests']} | {r['errors']} | {r['cpu_ms']} |"
        )
    print(
        f"numbers: {check['tickets']} tickets, {check['duplicates']} duplicates, "
        f"{check['series_with_gaps']} series with gaps"
    )


if __name__ == "__main__":
    main()
