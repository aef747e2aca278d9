"""What one access-log line per request costs (antrean.kernel.logs): A/B rounds, interleaved.

A: the access line written (level INFO, text format, to a file as the journal would get it).
B: the access line off (level WARNING: the logger checks isEnabledFor and returns).
C: JSON format to the same file.
Each round runs ``--requests`` GETs of /api/v1/counters (no database write: the request is cheap,
so the logging share shows) through Flask's test client in this process, and the three modes
take turns round by round so that the machine's load falls on all of them alike; CPU time of
the process is measured (the machine is shared), so the figures are CPU µs per request.

    .venv/bin/python bench/request_logging.py --rounds 7 --requests 2000
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()

    from antrean import create_app
    from antrean.kernel import logs

    tmp = Path(tempfile.mkdtemp(prefix="antrean-bench-log-"))
    app = create_app(
        {"instance_path": str(tmp / "instance"), "start_workers": False, "testing": True, "calendar": False}
    )
    client = app.test_client()
    sink = open(tmp / "log.txt", "w", encoding="utf-8")
    modes = {"A text INFO": ("INFO", "text"), "B off (WARNING)": ("WARNING", "text"), "C json INFO": ("INFO", "json")}
    per_request: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.requests // 10):  # warm-up
        client.get("/api/v1/counters")
    for _ in range(args.rounds):
        for mode, (level, fmt) in modes.items():
            logs.setup(level, fmt, stream=sink)
            t0 = time.process_time()  # CPU time of this process: less sensitive to the busy machine
            for _ in range(args.requests):
                client.get("/api/v1/counters", headers={"X-Request-Id": "bench-1"})
            per_request[mode].append((time.process_time() - t0) / args.requests * 1e6)
    # the line alone: the access logger called directly, as app.py calls it, without Flask around it
    direct: dict[str, list[float]] = {"text": [], "json": []}
    access = logging.getLogger("antrean.request")
    for _ in range(args.rounds):
        for fmt in direct:
            logs.setup("INFO", fmt, stream=sink)
            t0 = time.process_time()
            for _ in range(args.requests):
                access.info(
                    "%s %s %s %.1fms",
                    "GET",
                    "/api/v1/counters",
                    200,
                    1.2,
                    extra={
                        "method": "GET",
                        "path": "/api/v1/counters",
                        "status": 200,
                        "ms": 1.2,
                        "remote": "127.0.0.1",
                    },
                )
            direct[fmt].append((time.process_time() - t0) / args.requests * 1e6)
    logging.getLogger().handlers.clear()
    app.extensions["antrean"].close()
    lines = sum(1 for _ in open(tmp / "log.txt", encoding="utf-8"))
    print(f"{args.rounds} rounds × {args.requests} requests per mode; {lines} log lines written")
    base = statistics.median(per_request["B off (WARNING)"])
    for mode, values in per_request.items():
        med = statistics.median(values)
        print(
            f"{mode:<18} median {med:7.1f} µs/request  (min {min(values):.1f}, max {max(values):.1f})  "
            f"{med - base:+6.1f} µs vs off"
        )
    for fmt, values in direct.items():
        print(f"one {fmt} line alone: median {statistics.median(values):.1f} µs CPU")


if __name__ == "__main__":
    main()
