"""Reports on PostgreSQL: the same hand-computed figures as on SQLite, and the kabupaten comparison."""

from __future__ import annotations

import pytest

from antrean.core import Antrean
from antrean.kernel.actors import SYSTEM
from antrean.kernel.errors import Forbidden
from tests.support.report_data import Clock, at, seed

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_cores(pg_migrated_url, settings_dict):
    from plugins import BUILTIN_SOP_MODULES

    made = []

    def make(code: str) -> Antrean:
        c = Antrean(
            settings_dict | {"database_url": pg_migrated_url, "office_code": code, "office_name": f"Kecamatan {code}"},
            builtins=tuple(BUILTIN_SOP_MODULES),
            entry_points=False,
        )
        c.migrate()
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_figures_match_sqlite_and_the_regency_has_one_row_per_kecamatan(pg_cores, make_user, monkeypatch):
    clock = Clock(monkeypatch)
    a = pg_cores("sukamaju")
    b = pg_cores("cibeber")
    admin = SYSTEM.__class__(None, "t", frozenset({"admin"}))
    counter = a.queue.save_counter(admin, name="Loket 1", number=1, services=list(a.sops))
    core, boss, _ = seed(a, counter, make_user, clock)
    # the other kecamatan: one ticket served in 7 minutes' wait
    cb = b.queue.save_counter(admin, name="Loket 1", number=1, services=list(b.sops))
    clerk_b = make_user(b, "loket_b", ["petugas_pelayanan"])
    clock(at(2, 0))
    b.tickets.issue("kk")
    clock(at(2, 7))
    b.queue.call_next(cb["id"], clerk_b, now=at(2, 7))
    b.queue.start(cb["id"], clerk_b)
    clock(at(2, 10))
    b.queue.finish(cb["id"], clerk_b)

    march = core.reports.period("2026-03-01", "2026-03-31")
    r = core.reports.summary(boss, march)
    [ktp] = [s for s in r["services"] if s["service"] == "ktp"]
    assert (ktp["wait_median_minutes"], ktp["wait_p90_minutes"], ktp["service_median_minutes"]) == (10.0, 21.6, 5.5)
    assert ktp["within_standard_pct"] == 50.0 and r["ikm"]["ikm"] == 87.5
    assert [(h["hour"], h["issued"]) for h in r["hours"]] == [(8, 4), (9, 1)]

    with pytest.raises(Forbidden):  # a Camat of one office is not a regency admin
        core.reports.regency(boss, march)
    regent = core.users.create(admin, "bupati", "rahasia123", ["admin"], "Admin Kabupaten", offices=["*"])
    rows = {row["office"]: row for row in core.reports.regency(core.users.get(regent["id"]), march)}
    assert set(rows) == {"sukamaju", "cibeber"}
    s, c = rows["sukamaju"], rows["cibeber"]
    assert (s["issued"], s["served"], s["no_show"], s["wait_median_minutes"], s["wait_p90_minutes"]) == (
        5,
        4,
        1,
        10.0,
        21.6,
    )  # percentile_cont on the server agrees with the Python percentiles
    assert (s["applications_done"], s["applications_returned"], s["within_standard_pct"]) == (2, 2, 50.0)
    assert (s["ikm"], s["ikm_respondents"]) == (87.5, 2)
    assert (c["issued"], c["served"], c["wait_median_minutes"], c["service_median_minutes"]) == (1, 1, 7.0, 3.0)
