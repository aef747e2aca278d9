"""Issue 8's benchmark: worklist, counter view and application page with 50,000 applications and
500,000 step logs, with the authorization filter (antrean.kernel.policy) applied in the database.

Seeds by bulk insert, then asks each page through Flask's test client (server-side time, rendering
included; no network), round-robin across the pages so a busy machine slows them alike:

- worklist ``/console/kerja`` of a front-desk clerk (the longest list: steps 2, 6, 7 of most SOPs), of the
  verifier and of the Camat (who may read every file);
- counter view ``/console/loket/<id>`` of the clerk, with 40 tickets waiting today;
- application page ``/console/permohonan/<id>`` of a random file the verifier may read (policy check included).

An application holds at most one log per SOP step (UNIQUE(application_id, step_no); SOPs have 5–8 steps), so
500,000 logs need more than 50,000 applications: the measured office gets exactly ``--apps`` applications and
the remaining logs belong to a second office's applications in the same database (which every query of the
first office must filter out — the office wall). Prints p50/p99 in milliseconds: wall time, and this
process's CPU time (on a machine shared with other work, what the request itself cost; with PostgreSQL the
database server's CPU is not in it).

    .venv/bin/python bench/records_scale.py [--apps 50000] [--logs 500000] [--runs 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from console_render import bench_office, login, pct  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from antrean.kernel.actors import SYSTEM  # noqa: E402
from antrean.kernel.models import Application, Office, StepLog  # noqa: E402
from antrean.kernel.timeutil import utcnow  # noqa: E402

BATCH = 20_000


def _rows(core, office_id: int, first_id: int, n_apps: int, clerk_id: int, rng, full: bool):
    """(applications, logs) for ``n_apps`` applications; ``full``: every one closed with all its steps."""
    now = utcnow()
    codes = list(core.sops)
    apps, logs = [], []
    for i in range(n_apps):
        app_id = first_id + i
        sop = core.sops[codes[i % len(codes)]]
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
        status = "done" if full else rng.choices(["open", "done", "returned"], [0.2, 0.7, 0.1])[0]
        step = {"open": rng.randint(2, sop.last_step), "returned": 3}.get(status, sop.last_step)
        apps.append(
            {
                "id": app_id,
                "office_id": office_id,
                "service_code": sop.code,
                "applicant_name": f"Pemohon {app_id}",
                "nik": "3201234507890001",
                "phone": "081234567890",
                "status": status,
                "current_step": step,
                "created_by": clerk_id,
                "step_started_at": created + timedelta(minutes=step),
                "created_at": created,
                "closed_at": None if status == "open" else created + timedelta(minutes=30),
            }
        )
        last = step if status == "returned" else (sop.last_step if status == "done" else step - 1)
        for no in range(1, last + 1):
            logs.append(
                {
                    "application_id": app_id,
                    "step_no": no,
                    "role": sop.step(no).role,
                    "actor_id": clerk_id,
                    "started_at": created,
                    "ended_at": created + timedelta(minutes=no),
                    "minutes": 1.0,
                    "standard_minutes": sop.step(no).minutes,
                    "outcome": "TMS" if status == "returned" and no == 3 else "DONE",
                    "note": "",
                }
            )
    return apps, logs


def _insert(core, model, rows) -> None:
    for i in range(0, len(rows), BATCH):
        with core.db.write() as s:
            s.execute(insert(model), rows[i : i + BATCH])


def seed(core, n_apps: int, n_logs: int, clerk_id: int) -> dict:
    rng = random.Random(8)
    t = time.perf_counter()
    apps, logs = _rows(core, core.office_id, 1, n_apps, clerk_id, rng, full=False)
    _insert(core, Application, apps)
    _insert(core, StepLog, logs)
    here = len(logs)
    rest = max(0, n_logs - here)
    other_apps = 0
    if rest:
        with core.db.write() as s:
            other = Office(code="tetangga", name="Kecamatan Tetangga", address="", timezone="Asia/Jakarta")
            s.add(other)
            s.flush()
            other_id = other.id
        while rest > 0:  # full histories (5-8 logs each) until the table holds n_logs
            chunk = max(1, min(10_000, rest // 5))
            apps, logs = _rows(core, other_id, n_apps + other_apps + 1, chunk, clerk_id, rng, full=True)
            logs = logs[:rest]
            keep = {row["application_id"] for row in logs}
            _insert(core, Application, [a for a in apps if a["id"] in keep])
            _insert(core, StepLog, logs)
            other_apps += len(keep)
            rest -= len(logs)
    with core.db.read() as s:
        counts = {
            "applications": s.execute(
                select(func.count()).select_from(Application).where(Application.office_id == core.office_id)
            ).scalar_one(),
            "other_office_applications": other_apps,
            "step_logs": s.execute(select(func.count()).select_from(StepLog)).scalar_one(),
            "step_logs_of_this_office": here,
            "seconds": round(time.perf_counter() - t, 1),
        }
    if core.db.dialect == "postgresql":  # what autovacuum does on a live server: statistics, visibility map
        from sqlalchemy import text

        with core.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=50_000)
    ap.add_argument("--logs", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    app, core, counter = bench_office(args.database_url, "bench-records-")
    clerk = core.users.create(SYSTEM, "loket", "rahasia123", ["petugas_pelayanan"], "Loket")
    verif = core.users.create(SYSTEM, "verif", "rahasia123", ["petugas_verifikasi"], "Verifikasi")
    core.users.create(SYSTEM, "camat", "rahasia123", ["camat"], "Camat")
    counts = seed(core, args.apps, args.logs, clerk["id"])
    for i in range(41):
        core.tickets.issue(list(core.sops)[i % 20])
    core.queue.call_next(counter["id"], core.users.get(clerk["id"]))
    clients = {}
    for name in ("loket", "verif", "camat"):
        clients[name] = app.test_client()
        login(clients[name], name)
    verifier = core.users.get(verif["id"])
    from antrean.kernel import policy

    with core.db.read() as s:
        readable = s.execute(select(Application.id).where(policy.application_filter(core, verifier, s))).scalars().all()
    rng = random.Random(1)
    pages = {
        "worklist, clerk (/console/kerja)": (clients["loket"], lambda: "/console/kerja"),
        "worklist, verifier (/console/kerja)": (clients["verif"], lambda: "/console/kerja"),
        "worklist, camat (/console/kerja)": (clients["camat"], lambda: "/console/kerja"),
        "counter view (/console/loket/<id>)": (clients["loket"], lambda: f"/console/loket/{counter['id']}"),
        "application page (/console/permohonan/<id>)": (
            clients["verif"],
            lambda: f"/console/permohonan/{rng.choice(readable)}",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    for client, url in pages.values():  # warm the template cache
        assert client.get(url()).status_code == 200
    for _ in range(args.runs):
        for name, (client, url) in pages.items():
            u = url()
            t, c = time.perf_counter(), time.thread_time()
            r = client.get(u)
            times[name].append((time.perf_counter() - t) * 1000)
            cpu[name].append((time.thread_time() - c) * 1000)  # this process's CPU: not the time spent waiting
            assert r.status_code == 200, (u, r.status_code)
    waiting = {
        who: sum(core.workflow.worklist_counts(core.users.get(uid)).values())
        for who, uid in (("clerk", clerk["id"]), ("verifier", verif["id"]))
    }
    print(
        f"{core.db.dialect}: {counts}; worklists waiting: {waiting}; verifier may read {len(readable)} files; "
        f"{args.runs} runs each, round-robin"
    )
    print(f"{'':48s} {'wall p50':>9s} {'wall p99':>9s} {'cpu p50':>8s} {'cpu p99':>8s}  (ms)")
    for name, xs in times.items():
        ys = cpu[name]
        print(
            f"{name:48s} {statistics.median(xs):9.1f} {pct(xs, 99):9.1f} {statistics.median(ys):8.1f} "
            f"{pct(ys, 99):8.1f}"
        )
    core.close()


if __name__ == "__main__":
    main()
