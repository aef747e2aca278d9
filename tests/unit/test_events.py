"""The event stream: published after commit, in order, never for a rollback or a rolled-back savepoint,
never with personal data, and nothing is audited without its event."""

from __future__ import annotations

import re
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy import select

from antrean.core import Antrean
from antrean.kernel.actors import SYSTEM
from antrean.kernel.batch import GroupCommitter
from antrean.kernel.events import AUDIT_EVENTS, AUDIT_ONLY, EVENT_TYPES, Event
from antrean.kernel.hookspecs import hookimpl
from antrean.kernel.models import Ticket
from plugins import BUILTIN_SOP_MODULES

ROOT = Path(__file__).resolve().parents[2]


class Sink:
    def __init__(self):
        self.events: list[Event] = []

    @hookimpl
    def event_published(self, core, event):
        # after commit: another connection sees the change already
        with core.db.read() as s:
            event.data.setdefault("_committed_tickets", len(s.execute(select(Ticket.id)).all()))
        self.events.append(event)


@pytest.fixture
def ecore(settings_dict, migrated_sqlite):
    sink = Sink()
    c = Antrean(settings_dict, plugins=(sink,), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.migrate()
    c.sink = sink
    yield c
    c.close()


def types(core):
    return [e.type for e in core.sink.events]


def test_events_are_published_after_commit_in_order(ecore, admin, make_user):
    clerk = make_user(ecore, "loket", ["petugas_pelayanan"])
    cid = ecore.queue.save_counter(admin, name="Loket 1", number=1, services=["ktp"])["id"]
    ecore.tickets.issue("ktp")
    ecore.queue.call_next(cid, clerk)
    ecore.queue.hold(cid, clerk)
    assert types(ecore)[-4:] == ["counter.changed", "ticket.issued", "ticket.called", "ticket.held"]
    issued = ecore.sink.events[-3]
    assert issued.data["_committed_tickets"] == 1  # dispatched after the commit
    assert issued.actor == "system" and issued.office_id == ecore.office_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", issued.at)
    called = ecore.sink.events[-2]
    assert called.actor == "loket" and called.data["counter"]["number"] == 1 and called.data["kind"] == "call"
    assert called.to_dict()["type"] == "ticket.called"


def test_nothing_is_published_for_a_rollback(ecore, admin):
    before = len(ecore.sink.events)
    with pytest.raises(RuntimeError):
        with ecore.db.write() as s:
            ecore.emit(s, "settings.changed", actor=admin, key="running_text")
            raise RuntimeError("boom")
    assert len(ecore.sink.events) == before
    with ecore.db.write() as s:  # the session pool gives a clean session: nothing left over
        ecore.emit(s, "settings.changed", actor=admin, key="display_volume")
    assert [e.data["key"] for e in ecore.sink.events[before:]] == ["display_volume"]


def test_a_rolled_back_savepoint_publishes_nothing_and_the_batch_publishes_after_commit(ecore):
    """Group commit: each request in its own savepoint of one transaction."""

    def ok(tag):
        def fn(s):
            ecore.emit(s, "settings.changed", key=tag)
            return tag

        return fn

    def fails(s):
        ecore.emit(s, "settings.changed", key="failed")
        with s.begin_nested():  # an inner savepoint that committed, inside one that rolls back
            ecore.emit(s, "settings.changed", key="failed-inner")
        raise ValueError("refused")

    committer = GroupCommitter(ecore.db)
    futs = [Future() for _ in range(3)]
    before = len(ecore.sink.events)
    committer._run_batch([(ok("first"), futs[0]), (fails, futs[1]), (ok("third"), futs[2])])
    assert [e.data["key"] for e in ecore.sink.events[before:]] == ["first", "third"]
    assert futs[0].result() == "first" and futs[2].result() == "third"
    with pytest.raises(ValueError):
        futs[1].result()


def test_a_refused_ticket_in_a_group_commit_is_not_announced(ecore, admin):
    ecore.update_service("kk", admin, daily_quota=1)
    ecore.tickets.issue("kk")
    before = len(ecore.sink.events)
    from antrean.kernel.errors import Conflict

    with pytest.raises(Conflict):
        ecore.tickets.issue("kk")
    assert types(ecore)[before:] == []


def test_personal_data_is_refused(ecore):
    with pytest.raises(ValueError, match="personal data"):
        with ecore.db.write() as s:
            ecore.emit(s, "application.opened", application_id=1, nik="3201234507890001")


def test_nothing_can_be_audited_without_an_event(ecore):
    with pytest.raises(ValueError, match="has no event"):
        with ecore.db.write() as s:
            ecore.audit(s, SYSTEM, "made.up", "x", 1)


def test_every_audit_action_in_the_code_publishes_a_known_event():
    """Every literal action passed to audit() anywhere is mapped, and maps to a documented type."""
    actions = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        actions |= set(re.findall(r"\.audit\(\s*\w+,\s*[\w()\" ,]+?,\s*f?\"([a-z_.{}]+)\"", text))
    assert "ticket.{action}" in actions and "setting.update" in actions and "user.create" in actions
    literal = {a for a in actions if "{" not in a}
    assert literal <= set(AUDIT_EVENTS) | AUDIT_ONLY, literal - set(AUDIT_EVENTS) - AUDIT_ONLY
    assert set(AUDIT_EVENTS.values()) <= set(EVENT_TYPES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for t in EVENT_TYPES:
        assert f"`{t}`" in readme, f"README's event table lacks {t}"


def test_every_state_change_publishes(ecore, admin, make_user):
    """Settings, office, services, lokets, users: each change publishes its event."""
    before = len(ecore.sink.events)
    ecore.set_setting("queue_policy", {"mode": "fifo"}, admin)
    ecore.update_office(admin, name="Kantor Baru")
    ecore.update_service("kk", admin, enabled=False)
    ecore.queue.save_counter(admin, name="Loket 9", number=9, services=["kk"])
    u = ecore.users.create(admin, "baru", "rahasia123", ["petugas_pelayanan"], "Nama Rahasia")
    ecore.users.update(admin, u["id"], full_name="Nama Lain")
    got = [(e.type, e.actor) for e in ecore.sink.events[before:]]
    assert got == [
        ("settings.changed", "test-admin"),
        ("office.changed", "test-admin"),
        ("service.changed", "test-admin"),
        ("counter.changed", "test-admin"),
        ("user.changed", "test-admin"),
        ("user.changed", "test-admin"),
    ]
    assert ecore.sink.events[before].data["key"] == "queue_policy"
    assert "Rahasia" not in repr([e.to_dict() for e in ecore.sink.events])


def test_a_missing_office_row_is_a_clear_503_not_a_crash(core):
    """The office row gone under a running core (the database replaced): a named 503, not AttributeError on None."""
    from antrean.kernel.errors import Unavailable

    core.office()  # the row exists
    core._office_id = 10**9  # as if the database had been swapped for one without this office's row
    with pytest.raises(Unavailable) as exc:
        core.office()
    assert "antrean init" in exc.value.message("id") and "missing" in exc.value.detail
    assert exc.value.message("en").startswith("The office's record is missing")
