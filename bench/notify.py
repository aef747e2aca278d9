"""The notifier: 1,000 queued messages to a local gateway, and ticket issuance meanwhile.

A real HTTP gateway stand-in on 127.0.0.1 in its own process (tests/support/fake_gateway.py, answers
200 at once, Python's ThreadingHTTPServer: a new connection per message);
the core on SQLite (WAL, group commit as shipped) with the notifier's worker threads running.
Rounds interleave A (worker idle, nothing queued) and B (1,000 messages being sent) and measure
the latency of ``core.tickets.issue`` (what a kiosk tap costs, without HTTP) in both; B also
records how long the 1,000 messages took from the worker's wake-up to the last ``sent``.

    .venv/bin/python bench/notify.py --rounds 3 --messages 1000 --tickets 200
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from antrean import create_app  # noqa: E402
from antrean.kernel.models import NotifyMessage  # noqa: E402
from tests.support.fake_gateway import closed_port  # noqa: E402

SERVICES = ["ektp", "ktp", "kk", "akta_kelahiran", "sktm", "skck"]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def issue_latencies(core, n: int, stop: threading.Event | None = None) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        core.tickets.issue(SERVICES[i % len(SERVICES)])
        out.append((time.perf_counter() - t0) * 1000)
    return out


def sent(core) -> int:
    with core.db.read() as s:
        return s.execute(
            select(func.count()).select_from(NotifyMessage).where(NotifyMessage.status == "sent")
        ).scalar_one()


def round_(gw, n_msgs: int, n_tickets: int, with_messages: bool, tag: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        # benches run at any hour: the office calendar is off (as bench/_server.py does)
        app = create_app(
            {"instance_path": d, "start_workers": True, "notify_url": gw.url, "calendar": False, "office_name": "Bench"}
        )
        core = app.extensions["antrean"]
        try:
            worker = core.extensions["notify.worker"]
            result = {}
            if with_messages:
                # queue while the sender is held back (the enqueue's own cost is not what is measured)
                worker.idle_poll = 3600
                with core.db.write() as s:
                    for i in range(n_msgs):
                        core.notify._enqueue(
                            s,
                            "booking_reminder",
                            f"62812{tag:02d}{i:06d}",
                            {"service": "KTP-el", "date": "1 Des", "start": "08:00", "code": f"K{i}"},
                            f"bench:{tag}:{i}",
                        )
                t0 = time.perf_counter()
                worker.wake()
            lat = issue_latencies(core, n_tickets)
            if with_messages:
                while sent(core) < n_msgs:
                    time.sleep(0.02)
                result["send_s"] = time.perf_counter() - t0
                result["sent_during_issue"] = True
            result["lat"] = lat
            return result
        finally:
            core.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--tickets", type=int, default=200)
    a = ap.parse_args()
    port = closed_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.fake_gateway", str(port)], cwd=ROOT)
    gw = type("Gateway", (), {"url": f"http://127.0.0.1:{port}/send"})()
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=1).read()
            break
        except OSError:
            time.sleep(0.05)
    try:
        A, B, sends = [], [], []
        for r in range(a.rounds):
            A += round_(gw, a.messages, a.tickets, False, r)["lat"]
            res = round_(gw, a.messages, a.tickets, True, r)
            B += res["lat"]
            sends.append(res["send_s"])
            print(f"round {r + 1}: {a.messages} messages sent in {res['send_s']:.2f} s", flush=True)
        stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5).read())
        dup = sum(1 for v in stats["delivered"].values() if v > 1)
        print(f"gateway received {sum(stats['delivered'].values())} messages, {dup} more than once")
        for name, xs in (("A issue, notifier idle", A), ("B issue, 1,000 messages sending", B)):
            print(
                f"{name}: n={len(xs)} p50={statistics.median(xs):.1f} ms p95={pct(xs, 95):.1f} ms "
                f"p99={pct(xs, 99):.1f} ms"
            )
        print(
            f"send time per 1,000: best {min(sends):.2f} s, median {statistics.median(sends):.2f} s, "
            f"worst {max(sends):.2f} s"
        )
        print("loadavg", Path("/proc/loadavg").read_text().strip())
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    main()
