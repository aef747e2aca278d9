"""Reports over one year of one office (and a kabupaten of 30 offices on PostgreSQL).

Seeds with bulk inserts (executemany on SQLite, COPY on PostgreSQL), then times, interleaved:
the monthly report, the yearly report, the yearly XLSX export (query + workbook) and, on
PostgreSQL, the kabupaten comparison over 30 offices.

    .venv/bin/python bench/reports.py                                   # SQLite
    .venv/bin/python bench/reports.py --pg postgresql://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

YEAR = 2025
TICKETS, APPS, STEPS_PER_APP, RESPONSES = 60_000, 40_000, 7.5, 20_000


def _rows(
    office_id: int,
    counters: list[int],
    users: list[int],
    sops: dict,
    seed: int,
    scale: float = 1.0,
    months: tuple[int, int] = (1, 12),
):
    """Deterministic rows: tickets + one call each, applications + their step logs, survey responses."""
    rnd = random.Random(seed)
    codes = list(sops)
    weights = [30, 25, 15, 10] + [2] * (len(codes) - 4)
    first, last = date(YEAR, months[0], 1), date(YEAR + (months[1] == 12), months[1] % 12 + 1, 1)
    days = [first + timedelta(d) for d in range((last - first).days) if (first + timedelta(d)).weekday() < 5]
    n_t = int(TICKETS * scale * len(days) / 261)
    tickets, calls, apps, steps, resp, answers = [], [], [], [], [], []
    per_day: dict = {}
    for i in range(n_t):
        d = days[i * len(days) // n_t]
        code = rnd.choices(codes, weights)[0]
        per_day[(d, code)] = per_day.get((d, code), 0) + 1
        issued = datetime(d.year, d.month, d.day, 1, 0) + timedelta(minutes=rnd.uniform(0, 420))
        wait = rnd.expovariate(1 / 12)
        called = issued + timedelta(minutes=wait)
        no_show = rnd.random() < 0.06
        started = None if no_show else called + timedelta(minutes=rnd.uniform(0, 1))
        finished = (
            called + timedelta(minutes=2) if no_show else started + timedelta(minutes=rnd.lognormvariate(1.6, 0.5))
        )
        tid = len(tickets) + 1
        tickets.append(
            (
                tid,
                office_id,
                code,
                chr(65 + codes.index(code)),
                d,
                per_day[(d, code)],
                f"X{per_day[(d, code)]:03d}",
                None,
                "skipped" if no_show else "done",
                uuid.uuid4().hex,
                rnd.choice(counters),
                0,
                issued,
                called,
                started,
                finished,
            )
        )
        caller = rnd.choice(users)
        calls.append((office_id, tid, tickets[-1][10], "call", caller, called))
        if OUTCOME_COLUMNS:  # the records issue's ticket outcome columns: what the reports read
            tickets[-1] += (called, 0, "no_show" if no_show else "served", finished, caller, 0)
    n_a = int(APPS * scale * len(days) / 261)
    served = [t for t in tickets if t[8] == "done"]
    for i in range(n_a):
        t = served[i % len(served)]
        sop = sops[t[2]]
        start = t[14]
        aid = i + 1
        t_now = start
        returned = rnd.random() < 0.08
        status = "returned" if returned else "done"
        for st in sop.steps:
            mins = (
                0.0
                if st.no == 1
                else (rnd.lognormvariate(1, 0.6) * max(st.minutes, 1) / 2.5 if st.minutes else rnd.uniform(0, 600))
            )
            end = t_now + timedelta(minutes=mins)
            out = "TMS" if returned and st.tms else ("MS" if st.tms else "DONE")
            steps.append(
                (
                    aid,
                    st.no,
                    st.role,
                    rnd.choice(users),
                    t_now,
                    end,
                    round(mins, 2),
                    st.minutes,
                    out,
                    "",
                    [sop.documents[0]] if out == "TMS" and sop.documents else None,
                )
            )
            t_now = end
            if out == "TMS":
                break
        apps.append(
            (
                aid,
                office_id,
                None,
                t[2],
                "P",
                status,
                sop.steps[-1].no,
                t_now,
                [sop.documents[0]] if returned and sop.documents else None,
                start,
                t_now,
            )
        )
    for i, t in enumerate(served[: int(RESPONSES * scale * len(days) / 261)]):
        rid = i + 1
        resp.append((rid, office_id, t[0], t[2], t[4], t[15], "phone"))
        base = rnd.choice((3, 3, 4, 4, 2))
        for k in range(9):
            answers.append((rid, f"U{k + 1}", max(1, min(4, base + rnd.choice((-1, 0, 0, 1)))), office_id, t[4], t[2]))
    return tickets, calls, apps, steps, resp, answers


def _has_outcomes() -> bool:
    from antrean.kernel.models import Ticket

    return hasattr(Ticket, "outcome")


OUTCOME_COLUMNS = _has_outcomes()
COLS = {
    "ticket": "id, office_id, service_code, letter, day, seq, number, priority, status, token, counter_id, recalls, "
    "issued_at, called_at, started_at, finished_at"
    + (", first_called_at, recall_count, outcome, outcome_at, outcome_by, leg" if OUTCOME_COLUMNS else ""),
    "call": "office_id, ticket_id, counter_id, kind, actor_id, at",
    "application": "id, office_id, ticket_id, service_code, applicant_name, status, current_step, step_started_at, "
    "missing_documents, created_at, closed_at",
    "step_log": "application_id, step_no, role, actor_id, started_at, ended_at, minutes, standard_minutes, outcome, "
    "note, missing_documents",
    "survey_response": "id, office_id, ticket_id, service_code, day, submitted_at, channel",
    "survey_answer": "response_id, element, value, office_id, day, service_code",
}


def _load(core, tables: dict[str, list[tuple]], offsets: dict[str, int]) -> None:
    import json

    db = core.db
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if (
            db.dialect == "sqlite"
        ):  # the engine's connections run in autocommit (SQLAlchemy emits BEGIN): one transaction
            cur.execute("BEGIN IMMEDIATE")
        for table, rows in tables.items():
            cols = COLS[table]
            n_id = offsets.get(table, 0)
            fixed = []
            for r in rows:  # shift ids so several offices' rows don't collide
                r = list(r)
                if table in ("ticket", "application", "survey_response"):
                    r[0] += n_id
                if table == "call":
                    r[1] += offsets["ticket"]
                if table == "step_log":
                    r[0] += offsets["application"]
                if table == "application" and r[2] is not None:
                    r[2] += offsets["ticket"]
                if table == "survey_response":
                    r[2] += offsets["ticket"]
                if table == "survey_answer":
                    r[0] += offsets["survey_response"]
                fixed.append([json.dumps(v) if isinstance(v, list) else v for v in r])
            if db.dialect == "postgresql":
                with cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as cp:
                    for r in fixed:
                        cp.write_row(r)
            else:
                marks = ", ".join("?" * len(fixed[0])) if fixed else ""
                if fixed:
                    cur.executemany(
                        f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',
                        [
                            [
                                v.isoformat(sep=" ")
                                if isinstance(v, datetime)
                                else v.isoformat()
                                if isinstance(v, date)
                                else v
                                for v in r
                            ]
                            for r in fixed
                        ],
                    )
        raw.commit()
    finally:
        raw.close()


def seed(core, office_code: str, seed_no: int, scale=1.0, months=(1, 12)) -> dict:
    from sqlalchemy import func, select

    from antrean.kernel.actors import Actor
    from antrean.kernel.models import Application, Office, SurveyResponse, Ticket

    admin = Actor(None, "bench", frozenset({"admin"}))
    with core.db.write() as s:
        office = s.execute(select(Office).where(Office.code == office_code)).scalar_one_or_none()
        if office is None:
            office = Office(
                code=office_code, name=f"Kecamatan {office_code.title()}", address="", timezone="Asia/Jakarta"
            )
            s.add(office)
            s.flush()
        oid = office.id
        offsets = {
            "ticket": s.execute(select(func.coalesce(func.max(Ticket.id), 0))).scalar(),
            "application": s.execute(select(func.coalesce(func.max(Application.id), 0))).scalar(),
            "survey_response": s.execute(select(func.coalesce(func.max(SurveyResponse.id), 0))).scalar(),
        }
    if oid == core.office_id:
        counters = [
            core.queue.save_counter(admin, name=f"Loket {i}", number=i, services=list(core.sops))["id"]
            for i in range(1, 5)
        ]
        users = [
            core.users.create(admin, f"petugas{i}", "rahasia123", ["petugas_pelayanan"], f"Petugas {i}")["id"]
            for i in range(1, 7)
        ]
    else:
        from antrean.kernel.models import Counter

        with core.db.write() as s:
            cs = [Counter(office_id=oid, name=f"Loket {i}", number=i, active=True) for i in range(1, 5)]
            s.add_all(cs)
            s.flush()
            counters = [c.id for c in cs]
        users = [None]
    rows = _rows(oid, counters, users, core.sops, seed_no, scale, months)
    _load(
        core,
        dict(zip(("ticket", "call", "application", "step_log", "survey_response", "survey_answer"), rows)),
        offsets,
    )
    return {t: len(r) for t, r in zip(("tickets", "calls", "applications", "step_logs", "responses", "answers"), rows)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL admin URL; a fresh database is created and dropped")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--offices", type=int, default=30)
    ap.add_argument("--instance", help="an instance folder for the SQLite database: seeded when empty, reused after")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of one year's volume (1.0 = 60,000 tickets)")
    args = ap.parse_args()
    from antrean.core import Antrean
    from antrean.kernel.actors import Actor
    from antrean.services.exports import to_xlsx
    from plugins import BUILTIN_SOP_MODULES

    tmp = args.instance or tempfile.mkdtemp()
    settings = {
        "instance_path": tmp,
        "start_workers": False,
        "office_code": "sukamaju",
        "office_name": "Kecamatan Sukamaju",
    }
    admin_conn, dbname = None, None
    if args.pg:
        import psycopg

        dbname = "antrean_bench_" + uuid.uuid4().hex[:8]
        admin_conn = psycopg.connect(args.pg, autocommit=True)
        admin_conn.execute(f'CREATE DATABASE "{dbname}"')
        settings["database_url"] = args.pg.rsplit("/", 1)[0] + "/" + dbname
    core = Antrean(settings, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        core.migrate()
        t0 = time.perf_counter()
        from antrean.kernel.models import Ticket

        with core.db.read() as s:
            seeded = s.query(Ticket.id).limit(1).first() is not None
        if not seeded:
            counts = seed(core, "sukamaju", 1, scale=args.scale)
            print(f"seeded one office, one year: {counts} in {time.perf_counter() - t0:.1f} s", flush=True)
        if args.pg:
            t0 = time.perf_counter()
            for k in range(2, args.offices + 1):  # one month (June) each: the comparison's period
                seed(core, f"kec{k:02d}", k, scale=args.scale, months=(6, 6))
            core.db.engine.dispose()
            print(f"seeded {args.offices - 1} more offices (June each) in {time.perf_counter() - t0:.1f} s", flush=True)
            with core.db.engine.connect() as c:
                c.exec_driver_sql("ANALYZE")
                c.commit()
        camat = Actor(None, "camat", frozenset({"camat"}))
        from antrean.kernel.models import User

        with core.db.write() as s:
            s.query(User).filter(User.username == "bupati").delete()
            s.add(
                User(
                    username="bupati",
                    full_name="Admin Kabupaten",
                    password_hash="x",
                    roles=["admin"],
                    offices=["*"],
                    active=True,
                )
            )
        bupati = core.users.get(next(u["id"] for u in core.users.list() if u["username"] == "bupati"))
        rep = core.reports
        ops = {
            "monthly report": lambda: rep.summary(camat, rep.month(YEAR, 6)),
            "yearly report": lambda: rep.summary(camat, rep.year(YEAR)),
            "yearly XLSX export": lambda: to_xlsx(rep.summary(camat, rep.year(YEAR))),
            "monthly XLSX export": lambda: to_xlsx(rep.summary(camat, rep.month(YEAR, 6))),
        }
        if args.pg:
            ops["regency, 30 offices, month"] = lambda: rep.regency(bupati, rep.month(YEAR, 6))
            ops["regency, 30 offices, year (29 have June only)"] = lambda: rep.regency(bupati, rep.year(YEAR))
        times: dict[str, list[float]] = {k: [] for k in ops}
        cpu: dict[str, list[float]] = {k: [] for k in ops}
        for fn in ops.values():  # warm-up
            fn()
        for _ in range(args.rounds):  # interleaved rounds
            for name, fn in ops.items():
                t, c = time.perf_counter(), time.process_time()
                fn()
                cpu[name].append(time.process_time() - c)
                times[name].append(time.perf_counter() - t)
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        print(f"database: {core.db.dialect}, rounds: {args.rounds}, load average: {' '.join(load)}")
        print("| operation | wall p50 | wall p99 | this process's CPU p50 | CPU p99 |\n|---|---:|---:|---:|---:|")
        for name, ts in times.items():
            ts.sort()
            cs = sorted(cpu[name])
            at = min(len(ts) - 1, int(round(0.99 * (len(ts) - 1))))
            print(
                f"| {name} | {statistics.median(ts) * 1000:.0f} ms | {ts[at] * 1000:.0f} ms | "
                f"{statistics.median(cs) * 1000:.0f} ms | {cs[at] * 1000:.0f} ms |"
            )
    finally:
        core.close()
        if admin_conn is not None:
            admin_conn.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}'")
            admin_conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            admin_conn.close()


if __name__ == "__main__":
    main()
