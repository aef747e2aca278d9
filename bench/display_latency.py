"""Call -> `called` received on the boards, with 1/100/500 connected clients.

    .venv/bin/python bench/display_latency.py                      # both modes, 1/100/500 clients
    .venv/bin/python bench/display_latency.py --mode single --clients 1,100 --calls 20

What is measured
----------------
* ``single``: one ``antrean run`` process (SQLite). The boards (python-socketio clients, websocket
  transport) run in a separate client process; the clerk's call is a real HTTP request
  ``POST /api/v1/counters/<id>/call-next`` made by this script.
* ``redis``: two ``antrean run`` processes on one PostgreSQL database joined by Redis
  (``ANTREAN_REDIS_URL``). The boards connect to process A, the calls go to process B.

Latency of one receipt = wall clock when a board's ``called`` handler runs minus the wall clock just
before the call request was sent (same machine, ``time.time_ns``): the whole path request -> commit
-> hook -> (Redis) -> websocket -> client. Each call waits until every board got it before the next.
Server memory: VmRSS of the process the boards are connected to, before and after they connect.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = "gevent"
PG_ADMIN = os.environ.get("ANTREAN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("ANTREAN_TEST_REDIS", "redis://127.0.0.1:6379/15")


# ------------------------------------------------------------------------------------- client process
def client_process(url: str, n: int, conn) -> None:
    """Connect ``n`` boards; report ("ready", n), then ("done", seq) once all boards got a call.

    A lean Socket.IO client (Engine.IO v4 over websocket, one thread, epoll over every socket), so the
    figures show the server and not the cost of 500 python-socketio clients (each spawns a thread
    per received message) fighting the server for the same two cores.
    """
    import selectors

    import websocket  # websocket-client

    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    prefix = "42/display,"
    sel = selectors.DefaultSelector()
    receipts: dict[int, list[int]] = {}
    sockets = []

    def handshake(ws):
        opened = ws.recv()
        assert opened.startswith("0{"), opened
        ws.send("40/display,")
        while True:  # until the namespace is connected and the snapshot arrived
            msg = ws.recv()
            if msg == "2":
                ws.send("3")
            elif msg.startswith(prefix + '["state"'):
                return

    for i in range(n):
        ws = websocket.create_connection(ws_url, timeout=30, enable_multithread=False)
        handshake(ws)
        ws.sock.setblocking(True)
        sockets.append(ws)
        sel.register(ws.sock, selectors.EVENT_READ, ws)
        if i % 50 == 49:  # connecting thousands takes longer than Engine.IO's ping timeout: answer pings
            for key, _ in sel.select(timeout=0):
                if key.data.recv() == "2":
                    key.data.send("3")
    conn.send(("ready", n))
    while True:
        if conn.poll(0):
            conn.recv()  # "stop"
            break
        for key, _ in sel.select(timeout=0.05):
            ws = key.data
            msg = ws.recv()
            t = time.time_ns()
            if msg == "2":
                ws.send("3")
            elif msg.startswith(prefix + '["called"'):
                seq = json.loads(msg[len(prefix) :])[1]["seq"]
                got = receipts.setdefault(seq, [])
                got.append(t)
                if len(got) == n:
                    conn.send(("done", seq))
    conn.send(("receipts", receipts))
    for ws in sockets:
        ws.close()


# ------------------------------------------------------------------------------------- servers
from bench._server import Server, cpu_seconds, rss_kb  # noqa: E402


def post(url: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url + path, data=json.dumps(body or {}).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def prepare(settings: dict, tickets: int) -> int:
    from antrean.core import Antrean
    from antrean.kernel.actors import SYSTEM, Actor

    core = Antrean(settings)
    core.migrate()
    admin = Actor(None, "bench", frozenset({"admin"}))
    cid = core.queue.save_counter(admin, name="Loket 1", number=1, services=["kk"])["id"]
    core.users.create(SYSTEM, "bench_clerk", "rahasia123", ["petugas_pelayanan"], "Bench")
    for _ in range(tickets):
        core.tickets.issue("kk")
    core.close()
    return cid


# ------------------------------------------------------------------------------------- one run
def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def measure(
    board_url: str, call_url: str, server_pid: int, cid: int, token: str, n: int, calls: int, warmup: int = 2
) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    rss_before = rss_kb(server_pid)
    proc = ctx.Process(target=client_process, args=(board_url, n, child), daemon=True)
    proc.start()
    msg = parent.recv()
    assert msg == ("ready", n), msg
    time.sleep(1.0)  # let the connect snapshots finish before reading memory
    rss_after = rss_kb(server_pid)
    sent: dict[int, int] = {}
    cpu0 = None
    at: dict[int, int] = {}  # the call's own timestamp, taken in the server before its transaction
    for i in range(warmup + calls):
        t0 = time.time_ns()
        call = post(call_url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
        if call is None:
            raise RuntimeError("ran out of tickets")
        sent[call["seq"]] = t0
        at[call["seq"]] = int(datetime.fromisoformat(call["at"].replace("Z", "+00:00")).timestamp() * 1e9)
        if not parent.poll(30):
            raise RuntimeError(f"call seq={call['seq']} did not reach all {n} boards in 30 s")
        kind, seq = parent.recv()
        assert (kind, seq) == ("done", call["seq"]), (kind, seq)
        if i < warmup:
            sent.pop(call["seq"])
        if i == warmup - 1:
            cpu0 = cpu_seconds(server_pid)
    cpu_per_call = (cpu_seconds(server_pid) - cpu0) * 1000 / calls if cpu0 is not None else float("nan")
    parent.send("stop")
    kind, receipts = parent.recv()
    proc.join(30)
    lat = [(t - sent[seq]) / 1e6 for seq, ts in receipts.items() if seq in sent for t in ts]
    from_call = [(t - at[seq]) / 1e6 for seq, ts in receipts.items() if seq in sent for t in ts]
    spread = [(max(ts) - min(ts)) / 1e6 for seq, ts in receipts.items() if seq in sent]
    if os.environ.get("BENCH_DEBUG"):
        for seq, ts in sorted(receipts.items()):
            if seq in sent:
                print(
                    f"  seq {seq}: first {(min(ts) - sent[seq]) / 1e6:.1f} ms, last {(max(ts) - sent[seq]) / 1e6:.1f} ms",
                    file=sys.stderr,
                )
    return {
        "clients": n,
        "calls": calls,
        "receipts": len(lat),
        "p50_ms": round(percentile(lat, 50), 1),
        "p99_ms": round(percentile(lat, 99), 1),
        "max_ms": round(max(lat), 1),
        "mean_ms": round(statistics.mean(lat), 1),
        "from_call_p50_ms": round(percentile(from_call, 50), 1),
        "from_call_p99_ms": round(percentile(from_call, 99), 1),
        "fanout_p50_ms": round(percentile(spread, 50), 1),
        "fanout_max_ms": round(max(spread), 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_after_mb": round(rss_after / 1024, 1),
        "rss_per_client_kb": round((rss_after - rss_before) / n, 1),
        "cpu_ms_per_call": round(cpu_per_call, 1),  # the boards' server process, per call (all boards)
    }


def run_single(counts: list[int], calls: int) -> list[dict]:
    inst = Path(tempfile.mkdtemp(prefix="bench-display-"))
    try:
        cid = prepare(
            {"instance_path": str(inst), "start_workers": False, "calendar": False}, tickets=(calls + 3) * len(counts)
        )
        server = Server(inst, {"ANTREAN_START_WORKERS": "false"}, SERVER)
        try:
            token = post(server.url, "/api/v1/auth/token", {"username": "bench_clerk", "password": "rahasia123"})[
                "token"
            ]
            return [measure(server.url, server.url, server.proc.pid, cid, token, n, calls) for n in counts]
        finally:
            server.stop()
    finally:
        shutil.rmtree(inst, ignore_errors=True)


def run_redis(counts: list[int], calls: int) -> list[dict]:
    import psycopg
    import redis

    redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    name = "antrean_bench_" + uuid.uuid4().hex[:8]
    admin.execute(f'CREATE DATABASE "{name}"')
    db = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    insts = [Path(tempfile.mkdtemp(prefix="bench-display-")) for _ in range(3)]
    servers = []
    try:
        env = {"ANTREAN_DATABASE_URL": db, "ANTREAN_REDIS_URL": REDIS, "ANTREAN_START_WORKERS": "false"}
        servers.append(Server(insts[0], env, SERVER))  # A: the boards
        servers.append(Server(insts[1], env, SERVER))  # B: the clerk
        cid = prepare(
            {"instance_path": str(insts[2]), "database_url": db, "start_workers": False, "calendar": False},
            tickets=(calls + 3) * len(counts),
        )
        a, b = servers
        token = post(b.url, "/api/v1/auth/token", {"username": "bench_clerk", "password": "rahasia123"})["token"]
        return [measure(a.url, b.url, a.proc.pid, cid, token, n, calls) for n in counts]
    finally:
        for s in servers:
            s.stop()
        admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
        for i in insts:
            shutil.rmtree(i, ignore_errors=True)


def machine() -> str:
    model = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPU ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("single", "redis", "both"), default="both")
    ap.add_argument("--clients", default="1,100,500")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument(
        "--server",
        choices=("gevent", "dev"),
        default="gevent",
        help="gevent: antrean run (ships); dev: antrean run --dev (Werkzeug threads, before issue 9)",
    )
    args = ap.parse_args()
    global SERVER
    SERVER = args.server
    counts = [int(x) for x in args.clients.split(",")]
    results = {
        "machine": machine(),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "server": args.server,
    }
    if args.mode in ("single", "both"):
        results["single"] = run_single(counts, args.calls)
    if args.mode in ("redis", "both"):
        results["redis"] = run_redis(counts, args.calls)
    results["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"# {results['machine']}\n# {results['date']}\n# {results['command']}\n"
        f"# load average (1/5/15 min) at start {' '.join(results['loadavg_start'])}, "
        f"at end {' '.join(results['loadavg_end'])}"
    )
    print(
        f"{'mode':7} {'clients':>7} {'receipts':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'call p50':>8} {'call p99':>8} {'fan-out p50':>11} {'RSS MB before':>13} {'after':>7} {'KB/client':>9}"
        f" {'CPU ms/call':>11}"
    )
    for mode in ("single", "redis"):
        for r in results.get(mode, []):
            print(
                f"{mode:7} {r['clients']:7d} {r['receipts']:8d} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
                f"{r['max_ms']:7.1f} {r['from_call_p50_ms']:8.1f} {r['from_call_p99_ms']:8.1f} {r['fanout_p50_ms']:11.1f} "
                f"{r['rss_before_mb']:13.1f} {r['rss_after_mb']:7.1f} {r['rss_per_client_kb']:9.1f} {r['cpu_ms_per_call']:11.1f}"
            )


if __name__ == "__main__":
    main()
