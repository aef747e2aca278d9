"""Booking page and slot availability with 30 days × 20 services of bookings (issue 11: p99 ≤ 100 ms).

Fills an SQLite office (calendar on, default hours) with every bookable place of 30 working days × 20 services
taken (Booking rows and their booking_count buckets, inserted directly), then times, interleaved request by
request, through Flask's test client in this process:

A: ``GET /api/v1/booking/slots?service=…&date=…`` (a random service and day of the 30)
B: ``GET /booking?service=…&date=…`` (the phone page with its slot list)

Wall-clock latency per request (the machine is shared: the load average is printed before and after).

    .venv/bin/python bench/booking.py --requests 600
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NOW = datetime(2026, 11, 30, 0, 0)  # Monday 07:00 WIB


def fill(core, days: list[date], services: list[str]) -> int:
    from antrean.kernel.models import Booking, BookingCount

    cfg = core.booking.config()
    n = 0
    with core.db.write() as s:
        for d in days:
            for code in services:
                svc = core.booking._service(s, code)
                slots, closed = core.booking._day_slots(s, svc, d, NOW, cfg)
                taken: dict[str, int] = {}
                rules = core.calendar.rules(s)
                for sl in slots:
                    for _ in range(min(sl["cap"], sl["hour_cap"] - taken.get(sl["hour"], 0))):
                        n += 1
                        start = rules._at(d, sl["_m"])
                        s.add(
                            Booking(
                                office_id=core.office_id,
                                code=f"{n:08d}",
                                service_code=code,
                                day=d,
                                start=sl["start"],
                                end=sl["end"],
                                starts_at=start,
                                ends_at=start + timedelta(minutes=30),
                                name=f"Warga {n}",
                                phone="081234567890",
                                nik=f"3201010101{90:02d}{n % 10000:04d}",
                                status="booked",
                                active=True,
                                cancel_token=secrets.token_urlsafe(24),
                                created_at=NOW,
                            )
                        )
                        taken[sl["start"]] = taken.get(sl["start"], 0) + 1
                        taken[sl["hour"]] = taken.get(sl["hour"], 0) + 1
                for bucket, count in taken.items():
                    s.add(BookingCount(office_id=core.office_id, service_code=code, day=d, bucket=bucket, taken=count))
    return n


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=600)
    args = ap.parse_args()

    import antrean.services.booking
    import antrean.services.tickets
    import publik.booking
    from antrean import create_app
    from antrean.kernel.actors import Actor

    for mod in (antrean.services.booking, antrean.services.tickets, publik.booking):
        mod.utcnow = lambda: NOW
    print("load average before:", open("/proc/loadavg").read().strip())
    tmp = Path(tempfile.mkdtemp(prefix="antrean-bench-booking-"))
    app = create_app(
        {
            "instance_path": str(tmp / "instance"),
            "start_workers": False,
            "testing": True,
            "calendar": True,
            "rate_exempt": "127.0.0.1,::1",
        }
    )
    core = app.extensions["antrean"]
    core.booking.set_config(Actor(None, "bench", frozenset({"admin"})), {"days_ahead": 45})  # 30 working days
    services = list(core.sops)[:20]
    rules = core.calendar.rules()
    days, d = [], NOW.date()
    while len(days) < 30:
        if rules.is_working_day(d):
            days.append(d)
        d += timedelta(days=1)
    t0 = time.perf_counter()
    n = fill(core, days, services)
    print(
        f"{len(services)} services × {len(days)} working days: {n} bookings in {time.perf_counter() - t0:.1f} s "
        f"(database {os.path.getsize(tmp / 'instance' / 'antrean.db') / 1e6:.1f} MB)"
    )
    client = app.test_client()
    rnd = random.Random(11)
    for _ in range(30):  # warm-up
        client.get(f"/api/v1/booking/slots?service={services[0]}&date={days[0]}")
        client.get(f"/booking?service={services[0]}&date={days[0]}")
    times: dict[str, list[float]] = {"A slots API": [], "B /booking page": []}
    for _ in range(args.requests):
        svc, day = rnd.choice(services), rnd.choice(days)
        for name, url in (
            ("A slots API", f"/api/v1/booking/slots?service={svc}&date={day}"),
            ("B /booking page", f"/booking?service={svc}&date={day}"),
        ):
            t = time.perf_counter()
            r = client.get(url)
            times[name].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (url, r.status_code)
    print("load average after:", open("/proc/loadavg").read().strip())
    print("| request | n | median ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, v in times.items():
        print(
            f"| {name} | {len(v)} | {statistics.median(v):.1f} | {pct(v, 95):.1f} | {pct(v, 99):.1f} | {max(v):.1f} |"
        )
    core.close()


if __name__ == "__main__":
    main()
