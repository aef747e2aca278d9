"""Console render time with 5,000 applications in the database.

Measures server-side render of the worklist (/console/kerja) and the counter
view (/console/loket/<id>) through Flask's test client (no network), for a
verifier whose worklist holds a few hundred open files and a clerk at a
counter with a waiting queue. Prints p50/p99 in milliseconds.

    .venv/bin/python bench/console_render.py [--apps 5000] [--runs 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from antrean import create_app  # noqa: E402
from antrean.kernel.actors import SYSTEM, Actor  # noqa: E402
from antrean.kernel.models import Application, StepLog  # noqa: E402
from antrean.kernel.timeutil import utcnow  # noqa: E402


def seed(core, n_apps: int, clerk_id: int) -> None:
    """Bulk-insert applications spread over the SOPs and their steps (status mix: open/done/returned)."""
    rng = random.Random(5000)
    now = utcnow()
    codes = list(core.sops)
    apps, logs = [], []
    for i in range(n_apps):
        sop = core.sops[codes[i % len(codes)]]
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        status = rng.choices(["open", "done", "returned"], [0.2, 0.7, 0.1])[0]
        step = rng.randint(2, sop.last_step) if status == "open" else sop.last_step
        apps.append(
            {
                "id": i + 1,
                "office_id": core.office_id,
                "service_code": sop.code,
                "applicant_name": f"Pemohon {i}",
                "nik": None,
                "status": status,
                "current_step": step,
                "created_by": clerk_id,
                "step_started_at": created + timedelta(minutes=step),
                "created_at": created,
                "closed_at": None if status == "open" else created + timedelta(minutes=20),
            }
        )
        for no in range(1, step):
            logs.append(
                {
                    "application_id": i + 1,
                    "step_no": no,
                    "role": "petugas_pelayanan",
                    "actor_id": clerk_id,
                    "started_at": created,
                    "ended_at": created,
                    "minutes": 1.0,
                    "standard_minutes": sop.step(no).minutes,
                    "outcome": "DONE",
                    "note": "",
                }
            )
    with core.db.write() as s:
        s.execute(insert(Application), apps)
        s.execute(insert(StepLog), logs)


def timed(client, url: str, runs: int) -> list[float]:
    client.get(url)  # warm the template cache
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.status_code
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def login(client, username):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/console/masuk").text).group(1)
    assert (
        client.post(
            "/console/masuk", data={"csrf_token": token, "username": username, "password": "rahasia123"}
        ).status_code
        == 302
    )


def bench_office(database_url: str, prefix: str):
    """(app, core, counter): a fresh office in a temporary instance, one loket calling every service."""
    cfg = {"instance_path": tempfile.mkdtemp(prefix=prefix), "start_workers": False, "testing": True, "calendar": False}
    if database_url:
        cfg["database_url"] = database_url
    app = create_app(cfg)
    core = app.extensions["antrean"]
    admin = Actor(None, "bench", frozenset({"admin"}))
    return app, core, core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    app, core, counter = bench_office(args.database_url, "bench-console-")
    clerk = core.users.create(SYSTEM, "loket", "rahasia123", ["petugas_pelayanan"], "Loket")
    core.users.create(SYSTEM, "verif", "rahasia123", ["petugas_verifikasi", "kasi_pelayanan"], "Verifikasi")
    seed(core, args.apps, clerk["id"])
    for i in range(40):
        core.tickets.issue(list(core.sops)[i % 20])
    clerk_actor = core.users.get(clerk["id"])
    core.queue.call_next(counter["id"], clerk_actor)
    v, c = app.test_client(), app.test_client()
    login(v, "verif")
    login(c, "loket")
    from console.views import WORKLIST_PAGE

    n_items = sum(core.workflow.worklist_counts(core.users.get(2)).values())
    results = {
        "worklist (/console/kerja)": timed(v, "/console/kerja", args.runs),
        "counter view (/console/loket/1)": timed(c, f"/console/loket/{counter['id']}", args.runs),
        "counter panel refresh (/console/loket/1/panel)": timed(c, f"/console/loket/{counter['id']}/panel", args.runs),
    }
    print(
        f"{args.apps} applications ({core.db.dialect}), verifier worklist: {n_items} waiting, "
        f"{WORKLIST_PAGE} rows per page, "
        f"40 tickets today, {args.runs} runs each"
    )
    for name, xs in results.items():
        print(f"{name:50s} p50 {statistics.median(xs):6.1f} ms   p99 {pct(xs, 99):6.1f} ms")
    core.close()


if __name__ == "__main__":
    main()
