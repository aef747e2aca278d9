"""The working-day calendar in the faces: the console's admin page (hours, add/remove, CSV import; admin
only, audited) and the kiosk's tiles and the ticket API on a closed moment (frozen clock)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.integration.test_console import login

WIB = ZoneInfo("Asia/Jakarta")


def wib(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@pytest.fixture
def settings_dict(settings_dict):
    return settings_dict | {"calendar": True}


@pytest.fixture
def core(app):
    return app.extensions["antrean"]


def test_calendar_admin_page(app, core, make_user):
    make_user(core, "loket", ["petugas_pelayanan"])
    make_user(core, "admin", ["admin"])
    clerk = app.test_client()
    login(clerk, "loket")
    assert clerk.get("/console/admin/kalender").status_code == 403
    c = app.test_client()
    csrf = login(c, "admin")
    page = c.get("/console/admin/kalender?tahun=2026")
    assert page.status_code == 200 and "Jam kantor" in page.text and "Kalender kerja" in page.text

    def post(**data):
        r = c.post(
            "/console/admin/kalender?tahun=2026", data={"csrf_token": csrf, **data}, content_type="multipart/form-data"
        )
        assert r.status_code == 302, r.text
        return c.get("/console/admin/kalender?tahun=2026").text

    hours = {
        f"{wd}_{k}": v
        for wd in ("mon", "tue", "wed", "thu", "fri")
        for k, v in (("on", "1"), ("open", "08:00"), ("close", "15:00"))
    }
    text = post(form="hours", **(hours | {"fri_close": "14:30", "fri_break_start": "11:30", "fri_break_end": "13:00"}))
    assert "Perubahan disimpan." in text
    assert core.calendar.hours() == {
        "days": {
            "mon": ["08:00", "15:00"],
            "tue": ["08:00", "15:00"],
            "wed": ["08:00", "15:00"],
            "thu": ["08:00", "15:00"],
            "fri": ["08:00", "14:30"],
            "sat": None,
            "sun": None,
        },
        "breaks": {"fri": [["11:30", "13:00"]]},
    }
    text = post(form="hours", **(hours | {"fri_break_start": "16:00", "fri_break_end": "17:00"}))
    assert "Jam kantor tidak sah" in text and core.calendar.hours()["days"]["fri"] == ["08:00", "14:30"]
    text = post(form="add", date="2026-12-25", kind="libur_nasional", name="Hari Natal")
    assert "Hari Natal" in text and "libur nasional" in text
    csv = "2026-12-24,Cuti Bersama Hari Natal,cuti bersama\n2026-12-31,Tutup buku,penutupan\n"
    text = post(form="import", file=(io.BytesIO(csv.encode()), "libur.csv"))
    assert "2 baris diimpor: 2 baru, 0 diganti." in text and "Cuti Bersama Hari Natal" in text
    text = post(form="import", file=(io.BytesIO(b"2026-12-30,Hari Uji Coba\n2026-12-32,Dua\n"), "salah.csv"))
    assert "baris 2:" in text and "Hari Uji Coba" not in text
    post(form="remove", date="2026-12-31")
    assert [e["date"] for e in core.calendar.entries(2026)] == ["2026-12-24", "2026-12-25"]
    audit = core.audit_log(
        core.users.get(next(u["id"] for u in core.users.list() if u["username"] == "admin")), action="calendar."
    )
    assert [i["action"] for i in audit["items"]] == [
        "calendar.remove",
        "calendar.import",
        "calendar.add",
        "calendar.hours",
    ]


@pytest.mark.parametrize(
    "when, message",
    [
        (wib(2026, 11, 27, 12), "Istirahat salat Jumat, buka kembali 13.00"),
        (wib(2026, 12, 25, 10), "Tutup — libur nasional: Hari Natal, buka kembali Senin, 28 Desember 08.00"),
        (wib(2026, 11, 28, 10), "Tutup — hari Sabtu, buka kembali Senin, 30 November 08.00"),
    ],
)
def test_kiosk_tiles_and_the_api_refuse_when_closed(client, core, admin, monkeypatch, when, message):
    core.calendar.add(admin, "2026-12-25", "Hari Natal")
    monkeypatch.setattr("antrean.services.tickets.utcnow", lambda: when)
    state = client.get("/kiosk/state.json").json
    tiles = [s for g in state["groups"] for s in g["services"]]
    assert tiles and all(
        not s["open"] and s["reason"] == "office_closed" and s["closed_label"] == message for s in tiles
    )
    assert state["office"] == {"open": False, "message": message}
    r = client.post("/api/v1/tickets", json={"service": "ktp"})
    assert r.status_code == 409 and r.json["error"] == "office_closed" and r.json["message"] == message


def test_kiosk_is_open_on_a_normal_weekday(client, core, monkeypatch):
    monkeypatch.setattr("antrean.services.tickets.utcnow", lambda: wib(2026, 11, 26, 10))
    state = client.get("/kiosk/state.json").json
    assert all(s["open"] for g in state["groups"] for s in g["services"])
    assert state["office"] == {"open": True, "message": None}
    assert client.post("/api/v1/tickets", json={"service": "ktp"}).status_code == 201


def test_api_calendar(client, core, admin, monkeypatch):
    core.calendar.add(admin, "2026-12-25", "Hari Natal")
    monkeypatch.setattr("antrean.services.calendar.utcnow", lambda: wib(2026, 11, 27, 12))
    r = client.get("/api/v1/calendar?from=2026-12-24&to=2026-12-28")
    assert r.status_code == 200
    assert r.json["now"] == {
        "open": False,
        "reason": "Istirahat salat Jumat",
        "reason_en": "Friday prayer break",
        "message": "Istirahat salat Jumat, buka kembali 13.00",
        "message_en": "Friday prayer break, reopens at 13:00",
        "reopens_at": "2026-11-27T06:00:00Z",
    }
    days = r.json["days"]
    assert [d["open"] for d in days] == [True, False, False, False, True]
    assert days[1]["reason"] == "Tutup — libur nasional: Hari Natal" and days[0]["hours"] == [["08:00", "15:00"]]
    assert client.get("/api/v1/calendar?from=2026-12-28&to=2026-12-24").status_code == 422
    assert client.get("/api/v1/calendar?from=2026-02-30").status_code == 422
    assert client.get("/api/v1/calendar?from=2026-01-01&to=2027-06-01").status_code == 422
