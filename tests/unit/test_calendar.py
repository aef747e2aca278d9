"""The working-day calendar (issue 11 §1): office hours, the Friday prayer break, holidays, cuti bersama and
closures; ticketing and the kiosk's availability follow it; step minutes count office time only.
The clock is frozen (``now=``) at chosen local moments: Friday 27 November 2026 is a Friday, Christmas
2026 falls on a Friday too."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from antrean.core import Antrean
from antrean.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from antrean.kernel.hookspecs import hookimpl
from antrean.kernel.models import AuditLog, CalendarDay, StepLog
from antrean.services.calendar import DEFAULT_HOURS, Rules, clean_entry, parse_csv, validate_hours
from plugins import BUILTIN_SOP_MODULES

WIB = ZoneInfo("Asia/Jakarta")


def wib(y, m, d, hh, mm=0) -> datetime:
    """A local (WIB) moment as the naive UTC datetime the core uses."""
    return datetime(y, m, d, hh, mm, tzinfo=WIB).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


FRIDAY_NOON = wib(2026, 11, 27, 12, 0)
SATURDAY = wib(2026, 11, 28, 10, 0)
THURSDAY = wib(2026, 11, 26, 10, 0)
CHRISTMAS = wib(2026, 12, 25, 10, 0)


class Sink:
    def __init__(self):
        self.events = []

    @hookimpl
    def event_published(self, core, event):
        self.events.append(event)


@pytest.fixture
def cal(settings_dict, migrated_sqlite):
    """A core that follows the office calendar (the default outside tests), with an event sink."""
    sink = Sink()
    c = Antrean(
        settings_dict | {"calendar": True}, plugins=(sink,), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False
    )
    c.migrate()
    c.sink = sink
    yield c
    c.close()


def rules(**entries) -> Rules:
    return Rules(WIB, DEFAULT_HOURS, {e.day: e for e in entries.values()})


XMAS = clean_entry("2026-12-25", "Hari Natal")
CUTI = clean_entry("2026-12-24", "Cuti bersama Hari Natal", "cuti bersama")


# -- the rules (pure) -------------------------------------------------------------------------------
def test_a_normal_weekday_is_open_within_hours_only():
    r = rules()
    assert r.is_open(THURSDAY)
    assert r.status(wib(2026, 11, 26, 7, 59)).kind == "before"
    late = r.status(wib(2026, 11, 26, 15, 0))
    assert not late.open and late.kind == "after"
    assert late.message_id == "Tutup — di luar jam layanan, buka kembali besok 08.00"
    assert late.reopens_at == wib(2026, 11, 27, 8, 0)


def test_friday_noon_is_the_prayer_break_and_reopens_at_13():
    st = rules().status(FRIDAY_NOON)
    open_, reason_id, reason_en, reopens = st
    assert (open_, reason_id, reason_en) == (False, "Istirahat salat Jumat", "Friday prayer break")
    assert reopens == wib(2026, 11, 27, 13, 0)
    assert st.message_id == "Istirahat salat Jumat, buka kembali 13.00"
    assert st.message_en == "Friday prayer break, reopens at 13:00"
    assert rules().is_open(wib(2026, 11, 27, 11, 29)) and rules().is_open(wib(2026, 11, 27, 13, 0))


def test_weekend_is_closed_and_reopens_monday():
    st = rules().status(SATURDAY)
    assert not st.open and st.kind == "weekend" and st.reason_id == "Tutup — hari Sabtu"
    assert st.reopens_at == wib(2026, 11, 30, 8, 0)
    assert st.message_id == "Tutup — hari Sabtu, buka kembali Senin, 30 November 08.00"


def test_a_holiday_and_cuti_bersama_close_the_day():
    r = rules(x=XMAS, c=CUTI)
    st = r.status(CHRISTMAS)
    assert not st.open and st.kind == "libur_nasional"
    assert st.reason_id == "Tutup — libur nasional: Hari Natal"
    assert st.reason_en == "Closed — national holiday: Hari Natal"
    assert st.reopens_at == wib(2026, 12, 28, 8, 0)  # Sat 26, Sun 27
    assert r.status(wib(2026, 12, 24, 9)).reason_id == "Tutup — cuti bersama: Cuti bersama Hari Natal"
    assert r.next_open(wib(2026, 12, 23, 16)) == wib(2026, 12, 28, 8, 0)


def test_a_partial_closure_cuts_the_day():
    r = rules(p=clean_entry("2026-11-26", "Rapat koordinasi", "penutupan", "13:00", "15:00"))
    assert r.is_open(wib(2026, 11, 26, 12, 59))
    st = r.status(wib(2026, 11, 26, 13, 30))
    assert not st.open and st.reason_id == "Tutup — Rapat koordinasi"
    assert st.reopens_at == wib(2026, 11, 27, 8, 0)
    assert r.office_minutes_between(wib(2026, 11, 26, 8), wib(2026, 11, 26, 23)) == 300


def test_office_minutes_skip_the_weekend_the_break_and_holidays():
    r = rules(x=XMAS, c=CUTI)
    # the issue's case: started Friday 14:50, finished Monday 08:10 -> 10 + 10 office minutes
    assert r.office_minutes_between(wib(2026, 11, 27, 14, 50), wib(2026, 11, 30, 8, 10)) == 20
    # Friday 11:00 -> 13:30: the prayer break is not office time (30 + 30)
    assert r.office_minutes_between(wib(2026, 11, 27, 11), wib(2026, 11, 27, 13, 30)) == 60
    # Wednesday 23 Dec 14:00 -> Monday 28 Dec 09:00: cuti bersama, Christmas and the weekend are not
    assert r.office_minutes_between(wib(2026, 12, 23, 14), wib(2026, 12, 28, 9)) == 120
    assert r.office_minutes_between(wib(2026, 11, 30, 9), wib(2026, 11, 30, 8)) == 0
    # a full week: 4 x 7 h + Friday 5.5 h
    assert r.office_minutes_between(wib(2026, 11, 30, 0), wib(2026, 12, 7, 0)) == 4 * 420 + 330


def test_working_days():
    r = rules(x=XMAS, c=CUTI)
    assert r.working_days_between(date(2026, 12, 21), date(2026, 12, 28)) == 3  # 22, 23, (24-27 off), 28
    assert r.add_working_days(date(2026, 12, 22), 3) == date(2026, 12, 29)
    days = r.days(date(2026, 12, 24), date(2026, 12, 28))
    assert [d["open"] for d in days] == [False, False, False, False, True]
    assert days[1]["reason"] == "Tutup — libur nasional: Hari Natal" and days[1]["entry"]["kind"] == "libur_nasional"
    assert days[4]["hours"] == [["08:00", "15:00"]]
    assert r.days(date(2026, 11, 27), date(2026, 11, 27))[0]["hours"] == [["08:00", "11:30"], ["13:00", "15:00"]]


def test_always_open_when_the_calendar_is_off():
    r = Rules(WIB, always_open=True)
    assert r.is_open(SATURDAY) and r.office_minutes_between(SATURDAY, SATURDAY + timedelta(hours=2)) == 120


@pytest.mark.parametrize(
    "hours",
    [
        {"days": {"mon": ["15:00", "08:00"]}},
        {"days": {"mon": ["8:00", "15:00"]}},
        {"days": {"fri": ["08:00", "11:00"]}, "breaks": {"fri": [["11:30", "13:00"]]}},
        {"days": {"sab": ["08:00", "12:00"]}},
        "08:00-15:00",
    ],
)
def test_bad_office_hours_are_refused(hours):
    with pytest.raises(Invalid):
        validate_hours(hours)


def test_csv_errors_name_their_lines_and_nothing_is_half_imported(cal, admin):
    text = (
        "date,name,kind\n2026-01-01,Tahun Baru Masehi\n2026-02-30,Salah tanggal\n"
        "2026-03-19,Hari Suci Nyepi,liburan\n2026-01-01,Dua kali\n2026-05-01\n"
    )
    with pytest.raises(Invalid) as exc:
        cal.calendar.import_csv(admin, text)
    msg = exc.value.id_text
    for n in (3, 4, 5, 6):
        assert f"baris {n}:" in msg
    assert "baris 2:" not in msg and "line 3:" in exc.value.en_text
    assert "Date must be YYYY-MM-DD" in exc.value.en_text and "berformat" not in exc.value.en_text  # all English
    with cal.db.read() as s:
        assert s.execute(select(CalendarDay)).first() is None
    assert [e.name for e in parse_csv("# komentar\n\n2026-08-17,Hari Kemerdekaan RI\n")] == ["Hari Kemerdekaan RI"]


def test_import_add_remove_are_admin_only_audited_and_publish(cal, admin, make_user):
    clerk = make_user(cal, "loket", ["petugas_pelayanan"])
    with pytest.raises(Forbidden):
        cal.calendar.add(clerk, "2026-12-25", "Hari Natal")
    r = cal.calendar.import_csv(admin, "2026-12-25,Hari Natal,libur nasional\n2026-12-24,Cuti Natal,cuti bersama\n")
    assert r == {"added": 2, "replaced": 0, "rows": 2}
    assert cal.calendar.add(admin, "2026-12-31", "Tutup buku", "penutupan")["kind"] == "penutupan"
    assert [e["date"] for e in cal.calendar.entries(2026)] == ["2026-12-24", "2026-12-25", "2026-12-31"]
    assert cal.calendar.remove(admin, "2026-12-31")["name"] == "Tutup buku"
    with pytest.raises(NotFound):
        cal.calendar.remove(admin, "2026-12-31")
    cal.calendar.set_hours(
        admin, {"days": DEFAULT_HOURS["days"] | {"fri": ["07:30", "14:00"]}, "breaks": {"fri": [["11:30", "13:00"]]}}
    )
    assert cal.calendar.hours()["days"]["fri"] == ["07:30", "14:00"]
    with cal.db.read() as s:
        actions = [
            a
            for (a,) in s.execute(
                select(AuditLog.action).where(AuditLog.action.like("calendar.%")).order_by(AuditLog.id)
            )
        ]
    assert actions == ["calendar.import", "calendar.add", "calendar.remove", "calendar.hours"]
    changes = [e.data["change"] for e in cal.sink.events if e.type == "calendar.changed"]
    assert changes == ["import", "add", "remove", "hours"]


# -- ticketing and the kiosk follow it -------------------------------------------------------------
def test_tickets_follow_the_calendar(cal, admin):
    cal.calendar.add(admin, "2026-12-25", "Hari Natal")
    ticket, created = cal.tickets.issue("ktp", now=THURSDAY)
    assert created and ticket["status"] == "waiting"
    for when, message in (
        (FRIDAY_NOON, "Istirahat salat Jumat, buka kembali 13.00"),
        (CHRISTMAS, "Tutup — libur nasional: Hari Natal, buka kembali Senin, 28 Desember 08.00"),
        (SATURDAY, "Tutup — hari Sabtu, buka kembali Senin, 30 November 08.00"),
    ):
        with pytest.raises(Conflict) as exc:
            cal.tickets.issue("ktp", now=when)
        assert exc.value.code == "office_closed" and exc.value.id_text == message
        avail = cal.tickets.availability(now=when)["ktp"]
        assert (avail["open"], avail["reason"], avail["message"].render("id")) == (False, "office_closed", message)
        assert avail["message"].render("en") == exc.value.message("en") != message
    assert cal.tickets.availability(now=THURSDAY)["ktp"]["open"]


def test_service_hours_still_apply_inside_office_hours(cal, admin):
    cal.update_service("ktp", admin, open_time="09:00", close_time="12:00")
    with pytest.raises(Conflict) as exc:
        cal.tickets.issue("ktp", now=wib(2026, 11, 26, 8, 30))  # office open, service not yet
    assert exc.value.code == "service_closed"
    cal.tickets.issue("ktp", now=wib(2026, 11, 26, 9, 30))
    with pytest.raises(Conflict) as exc:  # the service says until 12:00, the office breaks on Friday
        cal.tickets.issue("ktp", now=wib(2026, 11, 27, 11, 45))
    assert exc.value.code == "office_closed"


# -- step minutes count office time only ---------------------------------------------------------------
def test_a_step_over_the_weekend_counts_office_minutes(cal, make_user):
    clerk = make_user(cal, "loket", ["petugas_pelayanan"])
    front = cal.effective_role(cal.sops["ktp"], "pemohon", {})
    staff = make_user(cal, "depan", [front]) if front != "petugas_pelayanan" else clerk
    app = cal.workflow.open(staff, service_code="ktp", applicant_name="Budi Santoso", now=wib(2026, 11, 27, 14, 50))
    step = cal.sops["ktp"].step(2)
    doer = clerk if step.role in ("pemohon", "petugas_pelayanan") else make_user(cal, "s2", [step.role])
    cal.workflow.complete_step(app["id"], 2, doer, outcome="MS" if step.tms else "DONE", now=wib(2026, 11, 30, 8, 10))
    with cal.db.read() as s:
        log = s.execute(select(StepLog).where(StepLog.application_id == app["id"], StepLog.step_no == 2)).scalar_one()
    assert log.minutes == 20


# -- the command line ----------------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from antrean.cli import main

    for key in [k for k in __import__("os").environ if k.startswith("ANTREAN_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ANTREAN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ANTREAN_START_WORKERS", "false")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


def test_cli_holiday_add_list_remove_and_import(cli, tmp_path):
    r = cli("calendar", "holiday", "add", "2026-12-25", "Hari Natal")
    assert r.exit_code == 0 and "2026-12-25 libur_nasional: Hari Natal" in r.output
    r = cli("calendar", "holiday", "add", "2026-12-24", "Cuti Bersama Natal", "--kind", "cuti bersama")
    assert r.exit_code == 0, r.output
    good = tmp_path / "libur2027.csv"
    good.write_text(
        "tanggal,nama,jenis\n2027-01-01,Tahun Baru 2027 Masehi\n2027-08-17,Hari Kemerdekaan RI,libur nasional\n"
        "2026-12-24,Cuti Bersama Hari Natal,cuti_bersama\n",
        encoding="utf-8",
    )
    r = cli("calendar", "import", str(good))
    assert r.exit_code == 0 and "3 rows: 2 added, 1 replaced" in r.output
    bad = tmp_path / "salah.csv"
    bad.write_text("2027-03-20,Hari Raya Nyepi\n20-03-2027,Salah\n2027-12-25\n", encoding="utf-8")
    r = cli("calendar", "import", str(bad))
    assert r.exit_code == 1 and "baris 2:" in r.output and "baris 3:" in r.output and "line 2:" in r.output
    r = cli("calendar", "holiday", "list", "--year", "2027")
    assert r.exit_code == 0 and r.output.splitlines() == [
        "2027-01-01  libur_nasional  Tahun Baru 2027 Masehi",
        "2027-08-17  libur_nasional  Hari Kemerdekaan RI",
    ]
    assert "Nyepi" not in cli("calendar", "holiday", "list").output  # nothing half-imported
    r = cli("calendar", "holiday", "remove", "2026-12-25")
    assert r.exit_code == 0 and "Removed 2026-12-25" in r.output
    r = cli("calendar", "holiday", "remove", "2026-12-25")
    assert r.exit_code == 1 and "Tidak ada hari libur" in r.output
    r = cli("calendar", "holiday", "add", "2026-13-01", "Salah")
    assert r.exit_code == 1 and "YYYY-MM-DD" in r.output


def test_rules_are_cached_and_a_change_applies_at_once(cal, admin, monkeypatch):
    """Ticketing asks the calendar on every ticket: the rules are loaded once per CACHE_SECONDS, and a change
    made through the calendar service is seen by the very next question (no stale cache)."""
    loads = []
    real = cal.get_setting
    monkeypatch.setattr(
        cal,
        "get_setting",
        lambda key, *a, **kw: (loads.append(key) if key == "office_hours" else None) or real(key, *a, **kw),
    )
    for _ in range(3):
        assert cal.calendar.is_open(THURSDAY)
    assert loads == ["office_hours"]
    cal.calendar.add(admin, "2026-11-26", "Penutupan mendadak", "penutupan")
    assert cal.calendar.status(THURSDAY).reason_id == "Tutup — Penutupan mendadak"
    cal.calendar.remove(admin, "2026-11-26")
    assert cal.calendar.is_open(THURSDAY)
    cal.calendar.CACHE_SECONDS = 0  # another process's change is picked up when the cache ages out
    with cal.db.write() as s:
        s.add(CalendarDay(office_id=cal.office_id, day=date(2026, 11, 26), kind="penutupan", name="Dari proses lain"))
    assert not cal.calendar.is_open(THURSDAY)


def test_the_live_board_counts_a_waiting_step_in_office_minutes(cal, admin, make_user):
    """/console/pantau's 'over standard' per role uses the same rule: a step started Friday 14:58 and still
    open on Monday 08:00 has waited 2 office minutes, not three days (it is not red)."""
    clerk = make_user(cal, "loket", ["petugas_pelayanan"])
    front = cal.effective_role(cal.sops["ktp"], "pemohon", {})
    staff = make_user(cal, "depan", [front]) if front != "petugas_pelayanan" else clerk
    cal.workflow.open(staff, service_code="ktp", applicant_name="Budi Santoso", now=wib(2026, 11, 27, 14, 58))
    step = cal.sops["ktp"].step(2)
    assert step.minutes >= 2
    role = cal.effective_role(cal.sops["ktp"], step.role, {})
    live = cal.reports.live(admin, now=wib(2026, 11, 30, 8, 0))
    [row] = [r for r in live["over_standard"] if r["role"] == role]
    assert (row["open"], row["red"], row["amber"]) == (1, 0, 0)
    live = cal.reports.live(admin, now=wib(2026, 11, 30, 8, 0) + timedelta(minutes=step.minutes * 2 + 5))
    [row] = [r for r in live["over_standard"] if r["role"] == role]
    assert row["red"] == 1
