"""Booking (issue 11 §2): slots from the office calendar, capacity shared with walk-ins, one active booking
per NIK, cancel/reschedule, check-in issuing a booked ticket, no-shows, the queue's booked precedence, events.
The clock is frozen (``now=``): Monday 30 November 2026 is a working day, Saturday 5 December a weekend,
Friday 4 December has the prayer break, 25 December is a holiday."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import select

from antrean.core import Antrean
from antrean.kernel.actors import Actor
from antrean.kernel.errors import Conflict, Forbidden, Invalid
from antrean.kernel.models import AuditLog, Booking, Ticket
from plugins import BUILTIN_SOP_MODULES
from tests.unit.test_calendar import Sink

pytestmark = pytest.mark.usefixtures("migrated_sqlite")  # cores built here start from the migrated template

ADMIN = Actor(None, "admin", frozenset({"admin"}))
CLERK = Actor(None, "loket", frozenset({"petugas_pelayanan"}))
VERIFIER = Actor(None, "verif", frozenset({"petugas_verifikasi"}))
MON = "2026-11-30"
MON_0700 = datetime(2026, 11, 30, 0, 0)  # 07:00 WIB, before opening
MON_0800 = datetime(2026, 11, 30, 1, 0)  # 08:00 WIB


def nik(i: int) -> str:
    return f"3201010101 90{i + 1:04d}".replace(" ", "")


def make_core(settings_dict, **extra) -> Antrean:
    sink = Sink()
    c = Antrean(
        settings_dict | {"calendar": True} | extra,
        plugins=(sink,),
        builtins=tuple(BUILTIN_SOP_MODULES),
        entry_points=False,
    )
    c.migrate()
    c.sink = sink
    return c


@pytest.fixture
def bk(settings_dict):
    c = make_core(settings_dict)
    c.calendar.add(ADMIN, "2026-12-25", "Hari Natal")
    yield c
    c.close()


def book(c, i=0, start="08:00", day=MON, service="ktp", now=MON_0700):
    return c.booking.create(service, day, start, f"Warga {i}", "081234567890", nik(i), now=now)


def test_slots_follow_the_calendar(bk):
    mon = bk.booking.slots("ktp", MON, now=MON_0700)
    assert [s["start"] for s in mon["slots"]][:3] == ["08:00", "08:30", "09:00"]
    assert len(mon["slots"]) == 14 and mon["slots"][-1] == {"start": "14:30", "end": "15:00", "free": 2}
    fri = bk.booking.slots("ktp", "2026-12-04", now=MON_0700)["slots"]
    starts = [s["start"] for s in fri]
    assert "11:00" in starts and "11:30" not in starts and "12:30" not in starts and "13:00" in starts
    assert len(fri) == 11  # the Friday prayer break 11:30-13:00 has no slots
    assert bk.booking.slots("ktp", "2026-12-05", now=MON_0700) == {
        "slots": [],
        "closed": "Tutup — hari Sabtu",
        "closed_en": "Closed — Saturday",
    }
    xmas = bk.booking.slots("ktp", "2026-12-25", now=datetime(2026, 12, 20, 1))
    assert xmas["slots"] == [] and xmas["closed"] == "Tutup — libur nasional: Hari Natal"
    far = bk.booking.slots("ktp", "2027-01-29", now=MON_0700)
    assert far["slots"] == [] and "14 hari" in far["closed"]
    # a slot that has begun today is no longer bookable
    later = bk.booking.slots("ktp", MON, now=datetime(2026, 11, 30, 1, 40))["slots"]
    assert [s["free"] for s in later[:3]] == [0, 0, 2]


def test_closed_day_and_begun_slot_are_refused(bk):
    with pytest.raises(Conflict) as e:
        book(bk, day="2026-12-25", now=datetime(2026, 12, 20, 1))
    assert e.value.code == "booking_closed" and "Hari Natal" in e.value.id_text
    with pytest.raises(Conflict):
        book(bk, day="2026-12-05")
    with pytest.raises(Conflict) as e:
        book(bk, start="08:00", now=datetime(2026, 11, 30, 1, 5))
    assert e.value.code in ("booking_slot_past",)
    with pytest.raises(Invalid):
        book(bk, start="11:45")


def test_one_active_booking_per_nik_and_capacity_shared_with_walk_ins(bk):
    first = book(bk, 0)
    assert first["code"] and first["qr_url"] == f"/booking/{first['code']}/qr.png" and first["cancel_token"]
    with pytest.raises(Conflict) as e:
        book(bk, 0, start="10:00")  # same NIK, same service, same day
    assert e.value.code == "booking_nik_taken"
    assert book(bk, 0, service="kk")["status"] == "booked"  # another service is fine
    book(bk, 1)
    with pytest.raises(Conflict) as e:  # capacity 4 x 50 % = 2 bookable places in the slot
        book(bk, 2)
    assert e.value.code == "booking_full"
    # cancelled: the place and the NIK are free again
    bk.booking.cancel(first["code"], first["cancel_token"], now=MON_0700)
    assert book(bk, 0)["start"] == "08:00"
    # the hour: capacity 3 per 30-min slot, 50 %: 2 per slot but 3 per hour
    bk.booking.set_config(ADMIN, {"capacity": 3})
    book(bk, 10, start="09:00")
    book(bk, 11, start="09:00")
    book(bk, 12, start="09:30")
    with pytest.raises(Conflict) as e:
        book(bk, 13, start="09:30")
    assert e.value.code == "booking_full"
    assert [s["free"] for s in bk.booking.slots("ktp", MON, now=MON_0700)["slots"][2:4]] == [0, 0]


def test_cancel_needs_the_token_and_reschedule_moves(bk):
    b = book(bk, 0)
    with pytest.raises(Forbidden):
        bk.booking.cancel(b["code"], "wrong", now=MON_0700)
    moved = bk.booking.reschedule(b["code"], b["cancel_token"], MON, "10:00", now=MON_0700)
    assert (moved["code"], moved["start"], moved["end"]) == (b["code"], "10:00", "10:30")
    assert bk.booking.slots("ktp", MON, now=MON_0700)["slots"][0]["free"] == 2
    assert bk.booking.cancel(b["code"], b["cancel_token"], now=MON_0700)["status"] == "cancelled"
    with pytest.raises(Conflict):
        bk.booking.cancel(b["code"], b["cancel_token"], now=MON_0700)


def test_check_in_early_on_time_twice_and_no_show(bk):
    a, b = book(bk, 0, start="09:00"), book(bk, 1, start="08:00")
    with pytest.raises(Conflict) as e:
        bk.booking.check_in(a["code"], device="kios-1", now=MON_0800)  # 09:00 slot, check-in opens 08:30
    assert e.value.code == "booking_early" and e.value.extra["walk_in"] and "08.30" in e.value.id_text
    t = bk.booking.check_in(a["code"].lower(), device="kios-1", now=datetime(2026, 11, 30, 1, 45))
    assert t["booked"] is True and t["number"].endswith("001") and t["status"] == "waiting"
    with pytest.raises(Conflict) as e:
        bk.booking.check_in(a["code"], device="kios-1", now=datetime(2026, 11, 30, 1, 46))
    assert e.value.code == "booking_checked_in" and t["number"] in e.value.id_text
    # b (08:00-08:30) not checked in by 08:45: no-show at the next action; checking in is refused with walk-in
    assert bk.booking.sweep(now=datetime(2026, 11, 30, 1, 44)) == 0
    with pytest.raises(Conflict) as e:
        bk.booking.check_in(b["code"], device="kios-1", now=datetime(2026, 11, 30, 1, 46))
    assert e.value.code == "booking_no_show" and e.value.extra["walk_in"]
    with bk.db.read() as s:
        rows = {r.code: (r.status, r.active) for r in s.execute(select(Booking)).scalars()}
        assert rows == {a["code"]: ("checked_in", True), b["code"]: ("no_show", None)}
        assert s.execute(select(Ticket.booked_slot)).scalar() == datetime(2026, 11, 30, 2, 0)
        actions = [
            x
            for (x,) in s.execute(
                select(AuditLog.action).where(AuditLog.action.like("booking.%")).order_by(AuditLog.id)
            )
        ]
    assert actions == ["booking.create", "booking.create", "booking.check_in", "booking.no_show"]
    events = [e for e in bk.sink.events if e.type.startswith("booking.")]
    assert [e.type for e in events] == ["booking.created", "booking.created", "booking.checked_in", "booking.no_show"]
    assert events[2].actor == "kiosk:kios-1" and events[2].data["ticket_id"] == t["id"]
    for e in events:  # never personal data, nor the code (it is the check-in credential)
        assert not {"name", "phone", "nik", "code"} & set(e.data)
        assert "Warga" not in repr(e.data) and "3201" not in repr(e.data)


def test_booked_ticket_goes_before_walk_ins_inside_its_slot(bk):
    bk.queue.save_counter(ADMIN, name="Loket 1", number=1, services=["ktp"])
    cid = bk.queue.counters()[0]["id"]
    walk = bk.tickets.issue("ktp", now=datetime(2026, 11, 30, 1, 50))[0]
    b = book(bk, 0, start="09:00")
    booked = bk.booking.check_in(b["code"], actor=CLERK, now=datetime(2026, 11, 30, 1, 55))
    # before its slot (08:55) the booked ticket waits like a walk-in; from 09:00 it goes first
    assert bk.queue.call_next(cid, CLERK, now=datetime(2026, 11, 30, 1, 56))["number"] == walk["number"]
    walk2 = bk.tickets.issue("ktp", now=datetime(2026, 11, 30, 1, 57))[0]
    assert bk.queue.call_next(cid, CLERK, now=datetime(2026, 11, 30, 2, 1))["number"] == booked["number"]
    assert walk2["number"] != booked["number"]


def test_booked_first_can_be_turned_off(bk):
    bk.set_setting("queue_policy", {"booked_first": False}, ADMIN)
    bk.queue.save_counter(ADMIN, name="Loket 1", number=1, services=["ktp"])
    cid = bk.queue.counters()[0]["id"]
    walk = bk.tickets.issue("ktp", now=datetime(2026, 11, 30, 1, 58))[0]
    b = book(bk, 0, start="08:30")
    bk.booking.check_in(b["code"], actor=CLERK, now=datetime(2026, 11, 30, 1, 59))
    assert bk.queue.call_next(cid, CLERK, now=datetime(2026, 11, 30, 2, 1))["number"] == walk["number"]


def test_staff_list_per_slot_masks_nik_and_follows_the_permission(bk):
    book(bk, 0, start="08:00")
    book(bk, 1, start="08:30")
    clerk = bk.booking.today(CLERK, MON, now=MON_0700)
    assert [s["slot"] for s in clerk["slots"]] == ["08:00–08:30", "08:30–09:00"]
    item = clerk["slots"][0]["bookings"][0]
    assert item["name"] == "Warga 0" and item["nik"] == "3201********0001" and item["phone"] == "081234567890"
    other = bk.booking.today(VERIFIER, MON, now=MON_0700)
    assert other["personal"] is False
    assert not {"name", "nik", "phone"} & set(other["slots"][0]["bookings"][0])
    public = bk.booking.get(item["code"])
    assert not {"name", "nik", "phone", "cancel_token"} & set(public)


def test_bad_person_data_is_refused(bk):
    with pytest.raises(Invalid) as e:
        bk.booking.create("ktp", MON, "08:00", "Warga", "081234567890", "1234", now=MON_0700)
    assert e.value.extra["field"] == "nik"
    with pytest.raises(Invalid) as e:
        bk.booking.create("ktp", MON, "08:00", "Warga", "telepon", nik(0), now=MON_0700)
    assert e.value.extra["field"] == "phone"
    with pytest.raises(Invalid):
        bk.booking.create("ktp", MON, "08:00", "  ", "081234567890", nik(0), now=MON_0700)


def race(c, n=12, start="08:00") -> tuple[int, list[str]]:
    """``n`` citizens book the same slot at once; returns (booked, refusal codes)."""
    barrier, ok, refused = threading.Barrier(n), [], []

    def one(i):
        barrier.wait()
        try:
            book(c, i, start=start)
            ok.append(i)
        except Conflict as exc:
            refused.append(exc.code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(ok), refused


def assert_capacity_holds(c):
    c.booking.set_config(ADMIN, {"capacity": 6})  # 3 bookable places in the slot
    booked, refused = race(c)
    assert booked == 3 and refused == ["booking_full"] * 9
    with c.db.read() as s:
        assert len(s.execute(select(Booking).where(Booking.start == "08:00")).scalars().all()) == 3
    assert c.booking.slots("ktp", MON, now=MON_0700)["slots"][0]["free"] == 0


def test_overbooking_refused_under_concurrency(settings_dict, database_url):
    """The one booking race, on SQLite and on PostgreSQL (the backends differ only in the URL)."""
    c = make_core(settings_dict, database_url=database_url)
    try:
        assert_capacity_holds(c)
        # the same NIK twice at once: one booking
        barrier, got = threading.Barrier(2), []

        def twice(start):
            barrier.wait()
            try:
                got.append(book(c, 50, start=start)["start"])
            except Conflict as exc:
                got.append(exc.code)

        ts = [threading.Thread(target=twice, args=(s,)) for s in ("10:00", "11:00")]
        [t.start() for t in ts]
        [t.join() for t in ts]
        assert sorted(got)[-1] == "booking_nik_taken" and len([g for g in got if ":" in g]) == 1
    finally:
        c.close()


def test_confirmed_and_cancelled_messages_go_through_the_notifier_once(settings_dict):
    from antrean.kernel.models import NotifyMessage

    c = make_core(settings_dict, notify_url="log://", start_workers=False)
    try:
        b = book(c, 0)
        c.booking.cancel(b["code"], b["cancel_token"], now=MON_0700)
        with c.db.read() as s:
            rows = s.execute(
                select(NotifyMessage.kind, NotifyMessage.dedupe_key, NotifyMessage.body).order_by(NotifyMessage.id)
            ).all()
        assert [(k, d) for k, d, _ in rows] == [
            ("booking_confirmed", f"booking:{b['code']}:booking_confirmed"),
            ("booking_cancelled", f"booking:{b['code']}:booking_cancelled"),
        ]
        assert b["code"] in rows[0][2] and "08.00" in rows[0][2] and f"?t={b['cancel_token']}" in rows[0][2]
    finally:
        c.close()


SUN = "2026-11-29"
SUN_1000 = datetime(2026, 11, 29, 3, 0)  # Sunday 10:00 WIB: the day before MON
SUN_1559 = datetime(2026, 11, 29, 8, 59)  # 15:59 WIB, a minute before the reminder time
SUN_1600 = datetime(2026, 11, 29, 9, 0)  # 16:00 WIB: reminders for Monday go out
SUN_1700 = datetime(2026, 11, 29, 10, 0)


def reminders(c) -> list[str]:
    from antrean.kernel.models import NotifyMessage

    with c.db.read() as s:
        return (
            s.execute(
                select(NotifyMessage.dedupe_key)
                .where(NotifyMessage.kind == "booking_reminder")
                .order_by(NotifyMessage.id)
            )
            .scalars()
            .all()
        )


def test_reminder_the_day_before_once_per_booking_following_its_current_slot(settings_dict):
    from notifier.worker import Notifier

    c = make_core(settings_dict, notify_url="log://", start_workers=False)
    try:
        early = book(c, 0, now=SUN_1000)  # booked before 16:00 the day before: reminded
        gone = book(c, 1, now=SUN_1000)  # cancelled: no reminder
        c.booking.cancel(gone["code"], gone["cancel_token"], now=SUN_1000)
        moved = book(c, 2, start="09:00", day="2026-12-01", now=SUN_1000)  # Tuesday, moved to Monday below
        assert c.booking.remind(SUN_1559) == 0 and reminders(c) == []  # not before the reminder time
        c.booking.reschedule(moved["code"], moved["cancel_token"], MON, "09:00", now=SUN_1000)
        late = book(c, 3, now=SUN_1700)  # booked after 16:00: the confirmation suffices

        worker = Notifier(c, driver=None)
        assert worker.tick(SUN_1600) == 2  # the periodic job of the notifier's worker
        assert worker.tick(SUN_1600) == 0  # at most once a minute
        assert c.booking.remind(SUN_1700) == 0  # again later: deduplicated, nothing new
        assert sorted(reminders(c)) == sorted(
            [f"booking:{early['code']}:reminder:{MON}", f"booking:{moved['code']}:reminder:{MON}"]
        )
        assert late["code"] not in " ".join(reminders(c))

        # moved on to Tuesday after Monday's reminder: Tuesday's reminder follows the new slot
        c.booking.reschedule(early["code"], early["cancel_token"], "2026-12-01", "10:00", now=SUN_1700)
        assert c.booking.remind(datetime(2026, 11, 30, 8, 59)) == 0  # Monday 15:59 WIB
        # ... but it was moved after Sunday 16:00, i.e. before Monday's 16:00: it is reminded on Monday
        assert c.booking.remind(datetime(2026, 11, 30, 9, 0)) == 1
        assert reminders(c)[-1] == f"booking:{early['code']}:reminder:2026-12-01"
        # a booking checked in or gone no-show is not reminded; reminders can be turned off
        cfg = c.booking.config()
        c.booking.set_config(ADMIN, cfg | {"remind_at": ""})
        book(c, 4, day="2026-12-02", now=datetime(2026, 11, 30, 2, 0))
        assert c.booking.remind(datetime(2026, 12, 1, 10, 0)) == 0
    finally:
        c.close()


def test_reminder_time_is_validated(bk):
    with pytest.raises(Invalid) as e:
        bk.booking.set_config(ADMIN, bk.booking.config() | {"remind_at": "25:00"})
    assert "JJ:MM" in e.value.id_text and "HH:MM" in e.value.en_text
    assert bk.booking.set_config(ADMIN, bk.booking.config() | {"remind_at": " 07:30 "})["remind_at"] == "07:30"
