"""Gap-free, unique ticket numbers per (office, letter, office day): the races on SQLite and PostgreSQL
(``any_core``), the rest on SQLite; more PostgreSQL locking in tests/services."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from antrean.kernel.errors import Conflict, Invalid, NotFound
from antrean.services.tickets import format_number


def test_first_ticket_is_001_and_numbers_follow(core):
    a, created = core.tickets.issue("ktp")
    b, _ = core.tickets.issue("ktp")
    c, _ = core.tickets.issue("kk")
    assert created
    assert (a["number"], b["number"], c["number"]) == ("B001", "B002", "C001")
    assert b["waiting_ahead"] == 1 and a["waiting_ahead"] == 0


def test_format_number_widens_past_999():
    assert format_number("A", 7) == "A007"
    assert format_number("A", 1000) == "A1000"


def test_numbers_restart_each_office_day_in_office_time_zone(core):
    # 23:30 WIB on the 24th is 16:30 UTC; 00:30 WIB on the 25th is 17:30 UTC the same UTC day
    before = datetime(2026, 11, 24, 16, 30)
    after = datetime(2026, 11, 24, 17, 30)
    t1, _ = core.tickets.issue("ktp", now=before)
    t2, _ = core.tickets.issue("ktp", now=after)
    assert (t1["day"], t1["number"]) == ("2026-11-24", "B001")
    assert (t2["day"], t2["number"]) == ("2026-11-25", "B001")


def test_letter_is_configurable(core, admin):
    core.update_service("ktp", admin, letter="X")
    with pytest.raises(Invalid):
        core.update_service("kk", admin, letter="X")  # taken
    assert core.tickets.issue("ktp")[0]["number"] == "X001"


def test_idempotency_key_returns_the_same_ticket(core):
    first, created1 = core.tickets.issue("ktp", idempotency_key="tap-0001-abcdef")
    again, created2 = core.tickets.issue("ktp", idempotency_key="tap-0001-abcdef")
    assert created1 and not created2
    assert again["number"] == first["number"] == "B001"
    assert core.tickets.issue("ktp")[0]["number"] == "B002"  # no number was spent on the retry


def test_rolled_back_issue_leaves_no_hole(core):
    """A hook that fails inside the issuing transaction rolls the counter back too."""

    class Boom:
        from antrean.kernel.hookspecs import hookimpl

        @hookimpl
        def ticket_issuing(self, core, conn, ticket):
            raise RuntimeError("printer spool table unavailable")

    core.tickets.issue("ktp")
    boom = Boom()
    core.plugins.pm.register(boom)
    with pytest.raises(RuntimeError):
        core.tickets.issue("ktp")
    core.plugins.pm.unregister(boom)
    assert core.tickets.issue("ktp")[0]["number"] == "B002"


def test_quota_reached_refuses_without_spending_a_number(core, admin):
    core.update_service("ktp", admin, daily_quota=2)
    core.tickets.issue("ktp")
    core.tickets.issue("ktp")
    with pytest.raises(Conflict) as exc:
        core.tickets.issue("ktp")
    assert exc.value.code == "quota_reached" and "kuota" in exc.value.message("id").lower()
    core.update_service("ktp", admin, daily_quota=3)
    assert core.tickets.issue("ktp")[0]["number"] == "B003"


def test_service_hours_and_disabled(core, admin):
    core.update_service("ktp", admin, open_time="08:00", close_time="15:00")
    # 07:00 WIB = 00:00 UTC
    with pytest.raises(Conflict) as exc:
        core.tickets.issue("ktp", now=datetime(2026, 11, 25, 0, 0))
    assert exc.value.code == "service_closed" and "08:00" in exc.value.message("id")
    assert core.tickets.issue("ktp", now=datetime(2026, 11, 25, 2, 0))[0]["number"] == "B001"  # 09:00 WIB
    core.update_service("kk", admin, enabled=False)
    with pytest.raises(Conflict) as exc:
        core.tickets.issue("kk")
    assert exc.value.code == "service_disabled"


@pytest.mark.parametrize(
    "service,priority,key",
    [
        ("nope", None, None),
        (5, None, None),
        ("ktp", "vip", None),
        ("ktp", None, "short"),
        ("ktp", None, "bad key!!"),
    ],
)
def test_bad_input_is_refused(core, service, priority, key):
    with pytest.raises((Invalid, NotFound)):
        core.tickets.issue(service, priority, idempotency_key=key)


def _numbers(core, service="ktp"):
    from sqlalchemy import select

    from antrean.kernel.models import Ticket

    with core.db.read() as s:
        return sorted(s.execute(select(Ticket.seq).where(Ticket.service_code == service)).scalars())


@pytest.fixture
def any_core(settings_dict, database_url):
    """The core on SQLite and on PostgreSQL: one race test for both (the backends differ only in the URL)."""
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    c = Antrean(settings_dict | {"database_url": database_url}, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.migrate()
    yield c
    c.close()


def test_eight_threads_fifty_tickets_each_no_duplicate_no_gap(any_core):
    core = any_core
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: core.tickets.issue("ktp")[0]["number"], range(400)))
    assert len(set(results)) == 400
    assert _numbers(core) == list(range(1, 401))


ISSUER = r"""
import sys
from antrean.core import Antrean
from plugins import BUILTIN_SOP_MODULES
core = Antrean({"instance_path": sys.argv[1], "database_url": sys.argv[2], "testing": True},
               builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
sys.stdin.readline()  # start together
for _ in range(int(sys.argv[3])):
    core.tickets.issue("ktp")
core.close()
"""


def run_processes(instance, url, processes=2, each=100):
    import subprocess

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ISSUER, str(instance), url, str(each)], stdin=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(processes)
    ]
    for p in procs:
        p.stdin.write(b"go\n")
        p.stdin.flush()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]


def test_two_processes_hundred_tickets_each_no_duplicate_no_gap(any_core, instance):
    core = any_core
    core.ensure_office()  # office and services exist before the race
    run_processes(instance, core.settings.database_url)
    assert _numbers(core) == list(range(1, 201))


def test_a_failing_request_in_a_group_commit_leaves_no_hole(core):
    """Concurrent issues share one SQLite transaction; the refused ones roll back only their own savepoint."""
    from antrean.kernel.hookspecs import hookimpl

    class RefuseDisabilitas:
        @hookimpl
        def ticket_issuing(self, core, conn, ticket):
            if ticket["priority"] == "disabilitas":
                raise RuntimeError("refused")

    core.plugins.pm.register(RefuseDisabilitas())

    def one(i):
        try:
            return core.tickets.issue("ktp", "disabilitas" if i % 4 == 0 else None)[0]["number"]
        except RuntimeError:
            return None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(200)))
    issued = [r for r in results if r]
    assert results.count(None) == 50 and len(set(issued)) == 150
    assert _numbers(core) == list(range(1, 151))
