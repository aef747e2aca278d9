"""Ticket lifecycle: every ticket ends in exactly one outcome with time and actor; never served without a start."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from antrean.kernel.errors import Conflict, Invalid
from antrean.kernel.models import AuditLog, Ticket
from antrean.kernel.timeutil import utcnow

DAY1 = datetime(2026, 11, 26, 2, 0)  # 09:00 WIB, naive UTC as the models store it


@pytest.fixture
def clerk(core, make_user):
    return make_user(core, "clerk", ["petugas_pelayanan"])


def row(core, ticket_id) -> Ticket:
    with core.db.read() as s:
        return s.get(Ticket, ticket_id)


def issue(core, n, service="ktp", at=None):
    at = at or utcnow() - timedelta(minutes=30)
    return [core.tickets.issue(service, now=at + timedelta(seconds=i))[0] for i in range(n)]


def test_call_next_closes_a_called_but_never_started_ticket_as_no_show(core, counter, clerk):
    a, b = issue(core, 2)
    core.queue.call_next(counter["id"], clerk)
    core.queue.call_next(counter["id"], clerk)  # A was never started
    t = row(core, a["id"])
    assert (t.status, t.outcome, t.outcome_by) == ("done", "no_show", clerk.id)
    assert t.started_at is None and t.finished_at is None and t.outcome_at is not None
    core.queue.start(counter["id"], clerk)
    core.queue.call_next(counter["id"], clerk)  # B was started: served, its service ends now
    t = row(core, b["id"])
    assert (t.outcome, t.outcome_by) == ("served", clerk.id)
    assert t.started_at <= t.finished_at == t.outcome_at


def test_finish_needs_a_start(core, counter, clerk):
    (a,) = issue(core, 1)
    core.queue.call_next(counter["id"], clerk)
    with pytest.raises(Conflict) as exc:
        core.queue.finish(counter["id"], clerk)
    assert exc.value.code == "not_started" and row(core, a["id"]).outcome is None
    core.queue.start(counter["id"], clerk)
    view = core.queue.finish(counter["id"], clerk)
    assert (view["status"], view["outcome"]) == ("done", "served")
    assert view["started_at"] and view["finished_at"] and view["first_called_at"]


def test_timestamps_and_recalls_are_kept(core, counter, clerk):
    (a,) = issue(core, 1)
    t0 = utcnow()
    core.queue.call_next(counter["id"], clerk, now=t0)
    core.queue.recall(counter["id"], clerk, now=t0 + timedelta(minutes=1))
    core.queue.recall(counter["id"], clerk, now=t0 + timedelta(minutes=2))
    core.queue.hold(counter["id"], clerk)
    core.queue.call_ticket(counter["id"], a["id"], clerk, now=t0 + timedelta(minutes=5))
    core.queue.recall(counter["id"], clerk, now=t0 + timedelta(minutes=6))
    t = row(core, a["id"])
    assert t.first_called_at == t0 and t.called_at == t0 + timedelta(minutes=6)  # the latest call
    assert t.recall_count == 3 and t.recalls == 1  # all recalls of the visit; recalls of the current call


def test_cancel_needs_a_reason_and_closes_once(core, counter, clerk):
    a, b = issue(core, 2)
    with pytest.raises(Invalid):
        core.queue.cancel(a["id"], "  ", clerk)
    view = core.queue.cancel(a["id"], "Tiket ganda (pemohon mengambil dua kali)", clerk)
    assert view["outcome"] == "cancelled" and view["cancel_reason"].startswith("Tiket ganda")
    with pytest.raises(Conflict):
        core.queue.cancel(a["id"], "lagi", clerk)
    assert core.queue.call_next(counter["id"], clerk)["number"] == b["number"]  # a cancelled ticket is not called


def test_skipped_ticket_can_come_back_and_be_served(core, counter, clerk):
    (a,) = issue(core, 1)
    core.queue.call_next(counter["id"], clerk)
    core.queue.skip(counter["id"], clerk)
    assert row(core, a["id"]).outcome is None  # still may come back today
    core.queue.call_ticket(counter["id"], a["id"], clerk)
    core.queue.start(counter["id"], clerk)
    assert core.queue.finish(counter["id"], clerk)["outcome"] == "served"


def test_the_next_day_closes_yesterdays_open_tickets(core, admin, make_user):
    """Frozen clock: day 1 leaves tickets in every open state; the first action of day 2 closes them."""
    clerk = make_user(core, "clerk", ["petugas_pelayanan"])
    lokets = [core.queue.save_counter(admin, name=f"Loket {i}", number=i, services=["ktp"])["id"] for i in (1, 2, 3, 4)]
    waiting, called, skipped, held, serving = issue(core, 5, at=DAY1)
    at = DAY1 + timedelta(hours=1)
    core.queue.call_ticket(lokets[0], called["id"], clerk, now=at)
    core.queue.call_ticket(lokets[1], skipped["id"], clerk, now=at)
    core.queue.skip(lokets[1], clerk, now=at)
    core.queue.call_ticket(lokets[2], held["id"], clerk, now=at)
    core.queue.hold(lokets[2], clerk, now=at)
    core.queue.call_ticket(lokets[3], serving["id"], clerk, now=at)
    core.queue.start(lokets[3], clerk, now=at)

    day2 = DAY1 + timedelta(days=1)
    today = core.tickets.issue("ktp", now=day2)[0]  # the first action of the next day
    got = {
        name: row(core, t["id"])
        for name, t in {
            "waiting": waiting,
            "called": called,
            "skipped": skipped,
            "held": held,
            "serving": serving,
        }.items()
    }
    assert {k: t.outcome for k, t in got.items()} == {
        "waiting": "expired",
        "called": "no_show",
        "skipped": "no_show",
        "held": "expired",
        "serving": "served",
    }
    assert all(t.outcome_by is None and t.outcome_at == day2 and t.status == "done" for t in got.values())
    assert got["serving"].finished_at is None  # nobody recorded the end: not invented
    assert row(core, today["id"]).outcome is None
    assert core.queue.close_past_days(day2) == 0  # once per day


def test_close_day_command(core, settings_dict):
    from click.testing import CliRunner

    from antrean.cli import main

    issue(core, 2, at=DAY1)
    r = CliRunner().invoke(main, ["close-day"], env={"ANTREAN_INSTANCE_PATH": settings_dict["instance_path"]})
    assert r.exit_code == 0, r.output
    assert "2 ticket(s) of past days closed" in r.output
    with core.db.read() as s:
        assert s.execute(select(Ticket.outcome)).scalars().all() == ["expired", "expired"]


def test_transfer_closes_the_visit_and_links_its_continuation(core, admin, counter, clerk):
    kk = core.queue.save_counter(admin, name="Loket KK", number=2, services=["kk"])
    (a,) = issue(core, 1)
    core.queue.call_next(counter["id"], clerk)
    core.queue.start(counter["id"], clerk)
    moved = core.queue.transfer(counter["id"], "kk", clerk)
    old = row(core, a["id"])
    assert (old.outcome, old.outcome_by, old.service_code) == ("transferred", clerk.id, "ktp")
    assert old.finished_at is not None  # the KTP desk's part was served and ended
    assert (moved["number"], moved["service"], moved["status"], moved["transferred_from"]) == (
        a["number"],
        "kk",
        "waiting",
        a["id"],
    )
    assert moved["issued_at"] == a["issued_at"]  # keeps its place by arrival
    # the citizen's paper (the old token) follows the visit
    assert core.tickets.by_token(a["token"])["service"] == "kk"
    call = core.queue.call_next(kk["id"], clerk)
    assert call["ticket_id"] == moved["id"] and call["number"] == a["number"]
    core.queue.start(kk["id"], clerk)
    assert core.queue.finish(kk["id"], clerk)["outcome"] == "served"


def test_ticket_closed_events_carry_the_outcome(core, counter, clerk):
    from antrean.kernel.hookspecs import hookimpl

    seen = []

    class Sink:
        @hookimpl
        def event_published(self, core, event):
            if event.type == "ticket.closed":
                seen.append((event.data["number"], event.data["outcome"], event.actor))

    core.plugins.pm.register(Sink())
    a, b = issue(core, 2)
    core.queue.call_next(counter["id"], clerk)
    core.queue.call_next(counter["id"], clerk)
    core.queue.cancel(b["id"], "Salah layanan", clerk)
    assert seen == [(a["number"], "no_show", "clerk"), (b["number"], "cancelled", "clerk")]
    with core.db.read() as s:
        closes = s.execute(select(AuditLog.detail).where(AuditLog.action == "ticket.close")).scalars().all()
    assert [d["outcome"] for d in closes] == ["no_show", "cancelled"]


def test_application_starts_the_ticket_and_its_last_step_serves_it(core, counter, make_user):
    from antrean.kernel.sop import STAFF_ROLES

    clerk = make_user(core, "loket", [r for r in STAFF_ROLES if r != "admin"])
    (a,) = issue(core, 1, service="sktm")
    core.queue.call_next(counter["id"], clerk)
    app = core.workflow.open(clerk, ticket_id=a["id"], applicant_name="Ani")
    t = row(core, a["id"])
    assert t.status == "serving" and t.started_at is not None
    sop = core.sops["sktm"]
    for st in sop.steps[1:]:
        app = core.workflow.complete_step(app["id"], st.no, clerk, outcome="MS" if st.tms else "DONE")
    assert app["status"] == "done" and row(core, a["id"]).outcome == "served"


# -- two clerks, one loket -----------------------------------------------------------------------
def race(core, cid, clerk, expected):
    """Two threads press "call next" on the same loket at the same moment."""
    barrier = threading.Barrier(2)
    results = []

    def press():
        barrier.wait()
        try:
            kw = {} if expected == "absent" else {"expected_current": expected}
            results.append(core.queue.call_next(cid, clerk, **kw))
        except Conflict as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def assert_true_states(core):
    with core.db.read() as s:
        for t in s.execute(select(Ticket)).scalars():
            assert not (t.outcome == "served" and t.started_at is None), t.number
            assert (t.outcome is None) == (t.status != "done"), t.number


def run_two_clerks(core, counter_id, clerk):
    a, b, c = issue(core, 3)
    # both screens show "nothing current": one call wins, the other is told the loket moved on
    results = race(core, counter_id, clerk, None)
    assert sorted(r if isinstance(r, str) else "call" for r in results) == ["call", "stale"]
    assert [row(core, x["id"]).status for x in (a, b)] == ["called", "waiting"]
    # both screens show A: again exactly one closes A (no_show: never started) and calls B
    results = race(core, counter_id, clerk, a["id"])
    assert sorted(r if isinstance(r, str) else "call" for r in results) == ["call", "stale"]
    assert (row(core, a["id"]).outcome, row(core, b["id"]).status) == ("no_show", "called")
    # an API client without "current": serialised on the loket; B closes as no_show, never served
    results = race(core, counter_id, clerk, "absent")
    assert len([r for r in results if isinstance(r, dict)]) == 2 or None in results
    assert row(core, b["id"]).outcome == "no_show"
    assert_true_states(core)


def test_two_clerks_on_one_loket(settings_dict, database_url, admin, make_user):
    """The one two-clerks race, on SQLite and on PostgreSQL (the backends differ only in the URL)."""
    from antrean.core import Antrean
    from plugins import BUILTIN_SOP_MODULES

    c = Antrean(settings_dict | {"database_url": database_url}, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        c.migrate()
        clerk = make_user(c, "clerk", ["petugas_pelayanan"])
        cid = c.queue.save_counter(admin, name="Loket 1", number=1, services=["ktp"])["id"]
        run_two_clerks(c, cid, clerk)
    finally:
        c.close()


# -- migration 0003 ------------------------------------------------------------------------------
def test_migration_gives_old_rows_their_true_outcome(tmp_path):
    """``done`` without a start was a called-and-abandoned ticket: no_show, never served."""
    from sqlalchemy import text

    from antrean.kernel.db import Database
    from antrean.kernel.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(db, "0002")
        with db.engine.begin() as c:
            c.execute(
                text("INSERT INTO office (id, code, name, address, timezone) VALUES (1, 'x', 'X', '', 'Asia/Jakarta')")
            )
            c.execute(text("INSERT INTO counter (id, office_id, name, number, active) VALUES (1, 1, 'L1', 1, 1)"))
            for tid, status, started, finished in (
                (1, "done", None, "2026-11-20 03:10:00"),
                (2, "done", "2026-11-20 03:05:00", "2026-11-20 03:20:00"),
                (3, "waiting", None, None),
            ):
                c.execute(
                    text(
                        "INSERT INTO ticket (id, office_id, service_code, letter, day, seq, number, status, token, "
                        "recalls, issued_at, called_at, started_at, finished_at, counter_id) VALUES (:id, 1, 'ktp', 'B', "
                        "'2026-11-20', :id, :num, :st, :tok, 0, '2026-11-20 02:00:00', '2026-11-20 03:00:00', :sa, :fa, 1)"
                    ),
                    {
                        "id": tid,
                        "num": f"B00{tid}",
                        "st": status,
                        "tok": f"token-{tid}-abcdef",
                        "sa": started,
                        "fa": finished,
                    },
                )
            for seq, tid, kind, at in (
                (1, 1, "call", "2026-11-20 02:50:00"),
                (2, 1, "recall", "2026-11-20 02:55:00"),
                (3, 2, "call", "2026-11-20 03:00:00"),
            ):
                c.execute(
                    text(
                        "INSERT INTO call (seq, office_id, ticket_id, counter_id, kind, at) "
                        "VALUES (:s, 1, :t, 1, :k, :a)"
                    ),
                    {"s": seq, "t": tid, "k": kind, "a": at},
                )
        upgrade(db)
        with db.read() as s:
            rows = {t.id: t for t in s.execute(select(Ticket)).scalars()}
        assert [(rows[i].outcome, rows[i].outcome_by) for i in (1, 2, 3)] == [
            ("no_show", None),
            ("served", None),
            (None, None),
        ]
        assert rows[1].outcome_at == datetime(2026, 11, 20, 3, 10) and rows[2].outcome_at == rows[2].finished_at
        assert rows[1].first_called_at == datetime(2026, 11, 20, 2, 50) and rows[1].recall_count == 1
        assert rows[3].leg == 0 and rows[3].recall_count == 0 and rows[3].first_called_at is None
        with db.engine.connect() as c:  # the foreign keys still hold after the table copy
            assert c.execute(text("PRAGMA foreign_key_check")).all() == []
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()
