"""Queue policy and counter actions (core, no Flask)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from antrean.kernel.errors import Conflict, Forbidden, NotFound
from antrean.kernel.models import AuditLog, Call
from antrean.kernel.timeutil import utcnow


@pytest.fixture
def clerk(core, make_user):
    return make_user(core, "clerk", ["petugas_pelayanan"])


def issue(core, n, priority=None, service="ktp", start=None, step=1):
    start = start or utcnow() - timedelta(minutes=30)
    return [
        core.tickets.issue(service, priority, now=start + timedelta(seconds=i * step))[0]["number"] for i in range(n)
    ]


def test_priority_first_calls_priority_then_arrival(core, counter, clerk):
    normal = issue(core, 2, start=utcnow() - timedelta(minutes=10))
    prio = issue(core, 1, "lansia", start=utcnow() - timedelta(minutes=5))
    order = [core.queue.call_next(counter["id"], clerk)["number"] for _ in range(3)]
    assert order == prio + normal
    assert core.queue.call_next(counter["id"], clerk) is None


def test_ratio_two_normal_then_one_priority(core, counter, clerk):
    core.set_setting("queue_policy", {"mode": "ratio", "ratio_normal": 2, "ratio_priority": 1}, core_admin(core))
    start = utcnow() - timedelta(minutes=20)
    issue(core, 4, start=start)  # B001..B004
    issue(core, 2, "disabilitas", start=start + timedelta(minutes=1))  # B005, B006
    order = [core.queue.call_next(counter["id"], clerk)["number"] for _ in range(6)]
    assert order == ["B001", "B002", "B005", "B003", "B004", "B006"]


def test_max_wait_sends_the_oldest_first(core, counter, clerk):
    core.set_setting("queue_policy", {"mode": "priority_first", "max_wait_minutes": 15}, core_admin(core))
    old = issue(core, 1, start=utcnow() - timedelta(minutes=40))
    prio = issue(core, 1, "ibu_hamil", start=utcnow() - timedelta(minutes=1))
    assert core.queue.call_next(counter["id"], clerk)["number"] == old[0]
    assert core.queue.call_next(counter["id"], clerk)["number"] == prio[0]


def test_counter_calls_only_its_services(core, admin, clerk):
    c = core.queue.save_counter(admin, name="Loket KK", number=5, services=["kk"])
    issue(core, 1, service="ktp")
    kk = issue(core, 1, service="kk")
    assert core.queue.call_next(c["id"], clerk)["number"] == kk[0]
    assert core.queue.call_next(c["id"], clerk) is None


def test_calls_have_increasing_seq_and_finish_the_previous(core, counter, clerk):
    issue(core, 2)
    a = core.queue.call_next(counter["id"], clerk)
    b = core.queue.call_next(counter["id"], clerk)
    assert b["seq"] > a["seq"]
    assert core.tickets.get(a["ticket_id"])["status"] == "done"
    assert core.queue.current(counter["id"])["number"] == b["number"]


def test_recall_limit_skip_hold_and_call_back(core, counter, clerk):
    core.set_setting("queue_policy", {"max_recalls": 2}, core_admin(core))
    issue(core, 2)
    first = core.queue.call_next(counter["id"], clerk)
    assert core.queue.recall(counter["id"], clerk)["kind"] == "recall"
    core.queue.recall(counter["id"], clerk)
    with pytest.raises(Conflict) as exc:
        core.queue.recall(counter["id"], clerk)
    assert exc.value.code == "recall_limit"
    skipped = core.queue.skip(counter["id"], clerk)
    assert skipped["status"] == "skipped"
    second = core.queue.call_next(counter["id"], clerk)
    assert core.queue.hold(counter["id"], clerk)["status"] == "held"
    # both come back when called by number
    assert core.queue.call_ticket(counter["id"], first["ticket_id"], clerk)["number"] == first["number"]
    assert core.queue.call_ticket(counter["id"], second["ticket_id"], clerk)["number"] == second["number"]
    with pytest.raises(Conflict):
        core.queue.call_ticket(counter["id"], second["ticket_id"], clerk)  # already called


def test_transfer_keeps_number_and_arrival(core, admin, counter, clerk):
    kk_counter = core.queue.save_counter(admin, name="Loket KK", number=2, services=["kk"])
    issue(core, 1)
    call = core.queue.call_next(counter["id"], clerk)
    moved = core.queue.transfer(counter["id"], "kk", clerk)
    assert (moved["number"], moved["service"], moved["status"]) == (call["number"], "kk", "waiting")
    assert core.queue.call_next(kk_counter["id"], clerk)["number"] == call["number"]


def test_start_and_finish(core, counter, clerk):
    issue(core, 1)
    core.queue.call_next(counter["id"], clerk)
    assert core.queue.start(counter["id"], clerk)["status"] == "serving"
    with pytest.raises(Conflict):
        core.queue.start(counter["id"], clerk)
    assert core.queue.finish(counter["id"], clerk)["status"] == "done"
    with pytest.raises(Conflict) as exc:
        core.queue.finish(counter["id"], clerk)
    assert exc.value.code == "no_current"


def test_every_action_is_a_logged_row(core, counter, clerk):
    issue(core, 2)
    core.queue.call_next(counter["id"], clerk)
    core.queue.recall(counter["id"], clerk)
    core.queue.hold(counter["id"], clerk)
    core.queue.call_next(counter["id"], clerk)
    core.queue.skip(counter["id"], clerk)
    with core.db.read() as s:
        actions = [
            a
            for a in s.execute(select(AuditLog.action).where(AuditLog.actor == "clerk").order_by(AuditLog.id)).scalars()
        ]
        calls = s.execute(select(Call.kind).order_by(Call.seq)).scalars().all()
    assert actions == ["ticket.call", "ticket.recall", "ticket.hold", "ticket.call", "ticket.skip"]
    assert calls == ["call", "recall", "call"]


def test_roles_are_enforced_in_the_core(core, counter, make_user):
    nobody = make_user(core, "admin2", ["admin"])
    issue(core, 1)
    with pytest.raises(Forbidden):
        core.queue.call_next(counter["id"], nobody)
    with pytest.raises(NotFound):
        core.queue.call_next(9999, make_user(core, "clerk2", ["petugas_pelayanan"]))


def test_estimated_wait_uses_recent_service_times(core, counter, clerk):
    start = utcnow() - timedelta(minutes=60)
    issue(core, 3, start=start)
    # serve two tickets taking 10 minutes each
    for i in range(2):
        core.queue.call_next(counter["id"], clerk, now=start + timedelta(minutes=10 * i + 1))
        core.queue.start(counter["id"], clerk, now=start + timedelta(minutes=10 * i + 1))  # only served ones count
    core.queue.call_next(counter["id"], clerk, now=start + timedelta(minutes=21))  # finishes #2 after 10 min
    new = core.tickets.issue("ktp")[0]
    assert new["waiting_ahead"] == 0 and new["estimated_wait_minutes"] == 0
    newer = core.tickets.issue("ktp")[0]
    assert newer["waiting_ahead"] == 1
    assert newer["estimated_wait_minutes"] == 10  # one ahead × 10 min ÷ 1 counter


def test_snapshot_rebuilds_board_state(core, counter, clerk):
    issue(core, 3)
    first = core.queue.call_next(counter["id"], clerk)
    core.workflow.open(
        clerk,
        ticket_id=first["ticket_id"],
        applicant_name="Siti Rahmawati",
        nik="3201014506900002",
        phone="081234567890",
    )
    core.queue.call_next(counter["id"], clerk)
    snap = core.queue.snapshot()
    assert snap["seq"] == 2
    assert [c["number"] for c in snap["calls"]] == ["B002", "B001"]
    assert snap["counters"][0]["number"] == "B002"
    assert {w["service"]: w["waiting"] for w in snap["waiting"]}["ktp"] == 1
    for private in ("Siti Rahmawati", "3201014506900002", "081234567890"):
        assert private not in repr(snap)


def core_admin(core):
    from antrean.kernel.actors import Actor

    return Actor(None, "test-admin", frozenset({"admin"}))
