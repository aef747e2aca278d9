"""The numbering and locking invariants on PostgreSQL (skips without it; fails in CI)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.unit.test_numbering import _numbers

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_core(pg_migrated_url, settings_dict):
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    c = Antrean(
        settings_dict | {"database_url": pg_migrated_url}, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False
    )
    c.migrate()  # also creates the office and service rows
    yield c
    c.close()


def test_dialect_is_postgresql(pg_core):
    assert pg_core.db.dialect == "postgresql"


# The numbering races (threads, two processes) run on both databases in tests/unit/test_numbering.py (any_core).


def test_idempotency_race_gives_one_ticket(pg_core):
    with ThreadPoolExecutor(8) as pool:
        tickets = list(
            pool.map(lambda _: pg_core.tickets.issue("ktp", idempotency_key="same-tap-123")[0]["number"], range(16))
        )
    assert set(tickets) == {"B001"}
    assert _numbers(pg_core) == [1]


def test_two_clerks_never_get_the_same_ticket(pg_core, admin, make_user):
    counters = [
        pg_core.queue.save_counter(admin, name=f"Loket {i}", number=i, services=["ktp"])["id"] for i in (1, 2, 3, 4)
    ]
    clerk = make_user(pg_core, "clerk", ["petugas_pelayanan"])
    for _ in range(40):
        pg_core.tickets.issue("ktp")

    def work(cid):
        got = []
        while (call := pg_core.queue.call_next(cid, clerk)) is not None:
            got.append(call["number"])
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, counters))
    called = [n for r in results for n in r]
    assert len(called) == 40 and len(set(called)) == 40


def test_agenda_numbers_unique_under_concurrency(pg_core, make_user):
    from tests.unit.test_workflow import _agenda_race

    _agenda_race(pg_core, make_user)
