"""Abuse at the door, measured (docs/security.md):

1. login answer time for a known name with a wrong password vs an unknown name (interleaved rounds);
2. 40 parallel guesses at one name from one address: how many passwords were evaluated (SQLite, and
   PostgreSQL with --pg URL);
3. the cost of the rate limiter per ticket request (Flask test client, anonymous limited vs exempt loopback,
   interleaved).

    .venv/bin/python bench/abuse.py [--rounds 7] [--pg postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_core(url: str | None = None, *, throttle: bool = True):
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    settings = {"instance_path": tempfile.mkdtemp(), "testing": True, "start_workers": False}
    if not throttle:
        settings.update(login_max_failures=10**6, login_max_failures_address=10**6)
    if url:
        settings["database_url"] = url
    c = Antrean(settings, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.migrate()
    return c


def login_timing(rounds: int) -> None:
    from antrean.kernel.actors import SYSTEM
    from antrean.kernel.errors import AntreanError

    core = make_core(throttle=False)
    core.users.create(SYSTEM, "camat", "rahasia123", ["camat"], "Camat")
    times = {"known name": [], "unknown name": []}
    for r in range(rounds):
        for label, name in (("known name", "camat"), ("unknown name", f"nobody{r}")):
            for i in range(5):
                t0 = time.perf_counter()
                try:
                    core.users.authenticate(name, "salah-salah", source=f"10.1.{r}.{i}")
                except AntreanError:
                    pass
                times[label].append((time.perf_counter() - t0) * 1000)
    for label, ms in times.items():
        print(
            f"login, {label}, wrong password: median {statistics.median(ms):.1f} ms, "
            f"p90 {statistics.quantiles(ms, n=10)[-1]:.1f} ms ({len(ms)} tries)"
        )
    core.close()


def parallel_guesses(url: str | None) -> None:
    from antrean.kernel.actors import SYSTEM
    from antrean.kernel.errors import AntreanError
    from antrean.services import users as users_mod

    core = make_core(url)
    core.users.create(SYSTEM, "camat", "rahasia123", ["camat"], "Camat")
    evaluated = []
    real = users_mod.password_matches
    users_mod.password_matches = lambda h, p: evaluated.append(1) or real(h, p)
    barrier = threading.Barrier(40)

    def guess(i):
        barrier.wait()
        try:
            core.users.authenticate("camat", f"tebakan{i:03d}", source="10.9.9.9")
        except AntreanError:
            pass

    with ThreadPoolExecutor(40) as pool:
        list(pool.map(guess, range(40)))
    users_mod.password_matches = real
    print(
        f"40 parallel guesses on {core.db.dialect}: {len(evaluated)} evaluated "
        f"(limit {core.settings.login_max_failures})"
    )
    core.close()


def limiter_cost(rounds: int, n: int = 150) -> None:
    from antrean import create_app

    app = create_app(
        {
            "instance_path": tempfile.mkdtemp(),
            "testing": True,
            "start_workers": False,
            "rate_ticket": "1000000/minute",
            "rate_ticket_service_day": "1000000/day",
        }
    )
    client = app.test_client()
    per = {"exempt (loopback)": [], "limited (anonymous)": []}
    for _ in range(rounds):
        for label, addr in (("exempt (loopback)", "127.0.0.1"), ("limited (anonymous)", "192.168.5.5")):
            t0 = time.perf_counter()
            for _ in range(n):
                resp = client.post("/api/v1/tickets", json={"service": "ktp"}, environ_base={"REMOTE_ADDR": addr})
                assert resp.status_code == 201, resp.json
            per[label].append((time.perf_counter() - t0) * 1000 / n)
    for label, ms in per.items():
        print(f"ticket request, {label}: median {statistics.median(ms):.2f} ms per request ({rounds} rounds of {n})")
    app.extensions["antrean"].close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--pg")
    a = ap.parse_args()
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    login_timing(a.rounds)
    parallel_guesses(None)
    if a.pg:
        import uuid

        import psycopg

        name = "antrean_bench_" + uuid.uuid4().hex[:8]
        with psycopg.connect(a.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            parallel_guesses(a.pg.rsplit("/", 1)[0] + "/" + name)
        finally:
            with psycopg.connect(a.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    limiter_cost(a.rounds)
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
