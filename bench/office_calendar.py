"""What the working-day calendar costs where it is asked (in process, no HTTP):

    .venv/bin/python bench/office_calendar.py [--rounds 5] [--tickets 300]

1. Ticket issuance: ``core.tickets.issue`` with the calendar on (a Thursday 10:00 WIB, frozen; a year of
   holidays entered) against off (``calendar = false``), interleaved A/B rounds, one thread, SQLite.
   The calendar adds the ``office_hours`` setting and the coming calendar entries to each ticket's
   transaction.
2. Office minutes: ``Rules.office_minutes_between`` over spans of 1, 7 and 30 days (a worklist of 200
   files asks it twice per file).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from antrean.core import Antrean  # noqa: E402
from antrean.kernel.actors import Actor  # noqa: E402
from plugins import BUILTIN_SOP_MODULES  # noqa: E402

ADMIN = Actor(None, "bench", frozenset({"admin"}))
WIB = ZoneInfo("Asia/Jakarta")
THURSDAY = datetime(2026, 11, 26, 10, tzinfo=WIB).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
HOLIDAYS_2026 = """2026-01-01,Tahun Baru 2026 Masehi
2026-01-16,Isra Mikraj Nabi Muhammad SAW
2026-02-17,Tahun Baru Imlek 2577 Kongzili
2026-03-19,Hari Suci Nyepi
2026-03-20,Idul Fitri 1447 Hijriah
2026-03-21,Idul Fitri 1447 Hijriah
2026-04-03,Wafat Yesus Kristus
2026-05-01,Hari Buruh Internasional
2026-05-14,Kenaikan Yesus Kristus
2026-05-27,Idul Adha 1447 Hijriah
2026-05-31,Hari Raya Waisak
2026-06-01,Hari Lahir Pancasila
2026-06-16,Tahun Baru Islam 1448 Hijriah
2026-08-17,Hari Kemerdekaan RI
2026-08-25,Maulid Nabi Muhammad SAW
2026-12-25,Hari Raya Natal
2026-03-18,Cuti bersama Nyepi,cuti_bersama
2026-03-23,Cuti bersama Idul Fitri,cuti_bersama
2026-03-24,Cuti bersama Idul Fitri,cuti_bersama
2026-12-24,Cuti bersama Natal,cuti_bersama
"""


def make_core(tmp: str, on: bool) -> Antrean:
    core = Antrean(
        {"instance_path": tmp, "start_workers": False, "calendar": on, "printer_url": "none"},
        builtins=tuple(BUILTIN_SOP_MODULES),
        entry_points=False,
    )
    core.migrate()
    if on:
        core.calendar.import_csv(ADMIN, HOLIDAYS_2026)
    return core


def issue_round(core: Antrean, n: int) -> float:
    services = ["ktp", "kk", "sktm", "oss"]
    t0 = time.perf_counter()
    for i in range(n):
        core.tickets.issue(services[i % 4], now=THURSDAY)
    return (time.perf_counter() - t0) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tickets", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        cores = {"on": make_core(a, True), "off": make_core(b, False)}
        try:
            for core in cores.values():
                issue_round(core, 20)  # warm up
            ms: dict[str, list[float]] = {"on": [], "off": []}
            for r in range(args.rounds):
                for key in ("on", "off") if r % 2 == 0 else ("off", "on"):
                    ms[key].append(issue_round(cores[key], args.tickets))
            rules = cores["on"].calendar.rules()
        finally:
            for core in cores.values():
                core.close()
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    print(
        f"# {os.cpu_count()} cores · {cpu} · Python {platform.python_version()} · load {open('/proc/loadavg').read().split()[:3]}"
    )
    print("| calendar | ms per ticket (median of rounds) | rounds |")
    print("|---|---:|---|")
    for key in ("off", "on"):
        print(f"| {key} | {statistics.median(ms[key]):.3f} | {' '.join(f'{x:.3f}' for x in ms[key])} |")
    print()
    print("| office_minutes_between span | µs per call |")
    print("|---|---:|")
    start = datetime(2026, 12, 1, 2)
    for days in (1, 7, 30):
        end = start + timedelta(days=days)
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            rules.office_minutes_between(start, end)
        print(f"| {days} day(s) | {(time.perf_counter() - t0) / n * 1e6:.1f} |")


if __name__ == "__main__":
    main()
