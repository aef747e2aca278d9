"""A busy office: a kiosk flood, two clerks calling, boards watching; does a clerk's call stay fast?

    .venv/bin/python bench/mixed_load.py                      # 200 tickets/s, 2 clerks, 100 boards, 60 s
    .venv/bin/python bench/mixed_load.py --server dev --seconds 20

One ``antrean run`` (SQLite, printer ``none``). In separate processes: the kiosk load (``--rate``
tickets/s, open loop: each request is sent at its scheduled time by one of 16 threads with keep-alive
connections) and ``--boards`` lean websocket boards (bench/display_latency.py's client). In this
process: two clerks, each calling ``call-next`` on their own counter once a second. Measured per
call: the clerk's HTTP answer, and call → ``called`` on every board. Bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._server import Server, loadavg, machine  # noqa: E402
from bench.display_latency import client_process, percentile, post  # noqa: E402

SERVICES = ["ektp", "ktp", "kk", "akta_kelahiran", "sktm", "skck", "oss", "pengaduan"]


def kiosk_flood(port: int, rate: float, seconds: float) -> dict:
    """Open-loop load: request i is due at start + i/rate; 16 threads take the next due request."""
    lock = threading.Lock()
    nxt = [0]
    lat: list[float] = []
    errors = [0]
    start = time.monotonic() + 0.2
    total = int(rate * seconds)

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rnd = random.Random(i)
        while True:
            with lock:
                k = nxt[0]
                nxt[0] += 1
            if k >= total or time.monotonic() > start + seconds:  # bounded in time too: a slow server
                break  # gets fewer tickets, not a longer run
            due = start + k / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            t0 = time.monotonic()
            try:
                conn.request(
                    "POST",
                    "/api/v1/tickets",
                    json.dumps({"service": rnd.choice(SERVICES)}),
                    {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
                )
                r = conn.getresponse()
                r.read()
                ok = r.status == 201
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            # latency from when it was due (open loop: a late send counts as waiting)
            with lock:
                if ok:
                    lat.append((time.monotonic() - min(due, t0)) * 1000)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {
        "issued": len(lat),
        "errors": errors[0],
        "rate": round(len(lat) / elapsed, 1),
        "p50_ms": round(percentile(lat, 50), 1) if lat else None,
        "p99_ms": round(percentile(lat, 99), 1) if lat else None,
    }


def prepare(settings: dict) -> list[int]:
    from antrean.core import Antrean
    from antrean.kernel.actors import SYSTEM, Actor

    core = Antrean(settings)
    core.migrate()
    admin = Actor(None, "bench", frozenset({"admin"}))
    cids = [core.queue.save_counter(admin, name=f"Loket {i}", number=i, services=SERVICES)["id"] for i in (1, 2)]
    for i in (1, 2):
        core.users.create(SYSTEM, f"clerk{i}", "rahasia123", ["petugas_pelayanan"], f"Clerk {i}")
    for k in range(int(settings.get("_seed", 40))):
        core.tickets.issue(SERVICES[k % len(SERVICES)])
    core.close()
    return cids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--boards", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--server", choices=("gevent", "dev"), default="gevent")
    ap.add_argument("--flood-process", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.flood_process:
        port, rate, seconds = args.flood_process
        print(json.dumps(kiosk_flood(int(port), float(rate), float(seconds))))
        return
    load0 = loadavg()
    with tempfile.TemporaryDirectory() as tmp:
        inst = Path(tmp)
        cids = prepare(
            {"instance_path": str(inst), "start_workers": False, "calendar": False, "_seed": args.seconds * 2 + 20}
        )
        server = Server(inst, {"ANTREAN_PRINTER_URL": "none", "ANTREAN_START_WORKERS": "false"}, args.server)
        try:
            tokens = [
                post(server.url, "/api/v1/auth/token", {"username": f"clerk{i}", "password": "rahasia123"})["token"]
                for i in (1, 2)
            ]
            ctx = mp.get_context("spawn")
            parent, child = ctx.Pipe()
            boards = ctx.Process(target=client_process, args=(server.url, args.boards, child), daemon=True)
            boards.start()
            assert parent.recv() == ("ready", args.boards)
            done_lock = threading.Lock()
            receipts: dict = {}

            flood = subprocess.Popen(
                [sys.executable, __file__, "--flood-process", str(server.port), str(args.rate), str(args.seconds)],
                stdout=subprocess.PIPE,
                text=True,
            )
            sent: dict[int, float] = {}
            call_ms: list[float] = []
            stop_at = time.monotonic() + args.seconds

            def clerk(cid, token, offset):
                time.sleep(offset)
                while time.monotonic() < stop_at:
                    t_wall = time.time_ns()
                    t0 = time.monotonic()
                    call = post(server.url, f"/api/v1/counters/{cid}/call-next", token=token)["call"]
                    dt = (time.monotonic() - t0) * 1000
                    with done_lock:
                        call_ms.append(dt)
                        if call is not None:
                            sent[call["seq"]] = t_wall
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))

            clerks = [threading.Thread(target=clerk, args=(cids[i], tokens[i], 0.5 * i)) for i in (0, 1)]
            for t in clerks:
                t.start()
            stop_drain = threading.Event()

            def drain():  # the board process reports each fully delivered call; keep its pipe empty
                while not stop_drain.is_set():
                    if parent.poll(0.1):
                        parent.recv()

            drainer = threading.Thread(target=drain, daemon=True)
            drainer.start()
            for t in clerks:
                t.join()
            flood_out = json.loads(flood.communicate(timeout=args.seconds + 120)[0])
            time.sleep(2)  # the last call's receipts
            stop_drain.set()
            drainer.join()
            parent.send("stop")
            while True:
                kind, payload = parent.recv()
                if kind == "receipts":
                    receipts = payload
                    break
            boards.join(30)
            rss = server.rss_kb
        finally:
            server.stop()
    lat = [(t - sent[seq]) / 1e6 for seq, ts in receipts.items() if seq in sent for t in ts]
    complete = sum(1 for seq in sent if len(receipts.get(seq, [])) == args.boards)
    print(f"# {machine()} · server {args.server} · load {load0} → {loadavg()}")
    print(f"# {' '.join([Path(sys.executable).name] + sys.argv)}")
    print(
        "| server | tickets/s (asked) | ticket p50/p99 ms | errors | calls | call HTTP p50/p99 ms "
        "| call → board p50/p99/max ms | calls on every board | RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.server} | {flood_out['rate']} ({args.rate:g}) | {flood_out['p50_ms']}/{flood_out['p99_ms']} "
        f"| {flood_out['errors']} | {len(sent)} | {percentile(call_ms, 50):.1f}/{percentile(call_ms, 99):.1f} "
        f"| {percentile(lat, 50):.1f}/{percentile(lat, 99):.1f}/{max(lat):.1f} | {complete}/{len(sent)} "
        f"| {rss / 1024:.0f} MB |"
    )


if __name__ == "__main__":
    main()
