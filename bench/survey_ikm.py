"""IKM over a year of SKM responses (issue 10): one office, ~20,000 responses (9 answers each) spread over a year
and over the services; times core.survey.ikm for a month and a year, per service and per month.

    .venv/bin/python bench/survey_ikm.py [--responses 20000] [--rounds 30] [--pg postgresql://postgres@127.0.0.1/test]

With --pg a fresh database is created next to the given one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from antrean.core import Antrean  # noqa: E402
from antrean.kernel.models import SurveyAnswer, SurveyResponse, Ticket  # noqa: E402
from plugins import BUILTIN_SOP_MODULES  # noqa: E402

YEAR = 2026


def seed(core: Antrean, n: int) -> None:
    rnd = random.Random(7)
    codes = list(core.sops)
    office = core.office_id
    days = [date(YEAR, 1, 1) + timedelta(days=i) for i in range(365)]
    elements = [e["code"] for e in core.survey.config()["elements"]]
    chunk = 2000
    for start in range(0, n, chunk):
        tickets, responses, answers = [], [], []
        for i in range(start, min(n, start + chunk)):
            day = days[i * 365 // n]
            code = rnd.choice(codes)
            at = datetime.combine(day, datetime.min.time()) + timedelta(hours=2, seconds=i % 20000)
            tickets.append(
                {
                    "id": i + 1,
                    "office_id": office,
                    "service_code": code,
                    "letter": "Z",
                    "day": day,
                    "seq": i + 1,
                    "number": f"Z{i:05d}",
                    "status": "done",
                    "token": secrets.token_urlsafe(16),
                    "recalls": 0,
                    "issued_at": at,
                    "started_at": at,
                    "finished_at": at,
                }
            )
            responses.append(
                {
                    "id": i + 1,
                    "office_id": office,
                    "ticket_id": i + 1,
                    "service_code": code,
                    "day": day,
                    "submitted_at": at,
                    "channel": "phone",
                    "sex": rnd.choice("LP"),
                }
            )
            for e in elements:
                answers.append(
                    {
                        "response_id": i + 1,
                        "element": e,
                        "value": rnd.choice((2, 3, 3, 3, 4, 4)),
                        "office_id": office,
                        "day": day,
                        "service_code": code,
                    }
                )
        with core.db.write() as s:
            s.execute(insert(Ticket), tickets)
            s.execute(insert(SurveyResponse), responses)
            s.execute(insert(SurveyAnswer), answers)
    if core.db.dialect == "postgresql":
        with core.db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()


def timed(fn, rounds: int) -> tuple[float, float]:
    fn()  # warm
    xs = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t0) * 1000)
    xs.sort()
    return statistics.median(xs), xs[min(len(xs) - 1, int(len(xs) * 0.99))]


def run(url: str, label: str, n: int, rounds: int) -> None:
    inst = tempfile.mkdtemp()
    core = Antrean(
        {"instance_path": inst, "database_url": url, "start_workers": False},
        builtins=tuple(BUILTIN_SOP_MODULES),
        entry_points=False,
    )
    core.migrate()
    t0 = time.perf_counter()
    seed(core, n)
    print(f"{label}: seeded {n} responses ({n * 9} answers) in {time.perf_counter() - t0:.1f} s")
    year = core.survey.ikm(date(YEAR, 1, 1), date(YEAR, 12, 31))
    print(f"  year: IKM {year['ikm']} {year['grade']} respondents {year['respondents']}")
    cases = {
        "ikm month": lambda: core.survey.ikm(date(YEAR, 6, 1), date(YEAR, 6, 30)),
        "ikm year": lambda: core.survey.ikm(date(YEAR, 1, 1), date(YEAR, 12, 31)),
        "ikm year, one service": lambda: core.survey.ikm(date(YEAR, 1, 1), date(YEAR, 12, 31), service="ktp"),
        "ikm_by_service year": lambda: core.survey.ikm_by_service(date(YEAR, 1, 1), date(YEAR, 12, 31)),
        "ikm_by_month year": lambda: core.survey.ikm_by_month(YEAR),
    }
    print("  | query | p50 | p99 |")
    for name, fn in cases.items():
        p50, p99 = timed(fn, rounds)
        print(f"  | {label} {name} | {p50:.1f} ms | {p99:.1f} ms |")
    core.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--pg", default=None)
    a = ap.parse_args()
    print("loadavg", Path("/proc/loadavg").read_text().strip())
    run(f"sqlite:///{tempfile.mkdtemp()}/bench.db", "SQLite", a.responses, a.rounds)
    if a.pg:
        import psycopg

        name = "antrean_bench_" + uuid.uuid4().hex[:8]
        with psycopg.connect(a.pg, autocommit=True) as adm:
            adm.execute(f'CREATE DATABASE "{name}"')
        try:
            run(a.pg.rsplit("/", 1)[0] + "/" + name, "PostgreSQL", a.responses, a.rounds)
        finally:
            with psycopg.connect(a.pg, autocommit=True) as adm:
                adm.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
                adm.execute(f'DROP DATABASE "{name}"')
    print("loadavg", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
