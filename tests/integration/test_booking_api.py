"""The booking interfaces (issue 11 §2) through Flask: /api/v1/booking/slots, /api/v1/bookings (all three 409s),
check-in by a registered kiosk or staff token, DELETE with the cancel token, the public pages and the QR PNG,
the console list. The office calendar is on and the clock frozen at Monday 30 November 2026 07:00 WIB."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.integration.test_console import login

MON = "2026-11-30"
FROZEN = {"now": datetime(2026, 11, 30, 0, 0)}


def nik(i: int) -> str:
    return f"32010101019{0}{i + 1:04d}"


@pytest.fixture
def bapp(settings_dict, migrated_sqlite, monkeypatch):
    import antrean.services.booking
    import antrean.services.tickets
    import publik.booking
    from antrean import create_app
    from antrean.kernel.actors import Actor

    for mod in (antrean.services.booking, antrean.services.tickets, publik.booking):
        monkeypatch.setattr(mod, "utcnow", lambda: FROZEN["now"])
    FROZEN["now"] = datetime(2026, 11, 30, 0, 0)
    app = create_app(settings_dict | {"calendar": True})
    core = app.extensions["antrean"]
    core.calendar.add(Actor(None, "a", frozenset({"admin"})), "2026-12-25", "Hari Natal")
    yield app
    core.close()


def booking(client, i=0, start="08:00", day=MON, service="ktp"):
    return client.post(
        "/api/v1/bookings",
        json={
            "service": service,
            "date": day,
            "start": start,
            "name": f"Warga {i}",
            "phone": "0812 3456 7890",
            "nik": nik(i),
        },
    )


def test_slots_contract_and_closed_days(bapp):
    c = bapp.test_client()
    r = c.get(f"/api/v1/booking/slots?service=ktp&date={MON}")
    assert r.status_code == 200
    assert r.json["slots"][0] == {"start": "08:00", "end": "08:30", "free": 2} and "closed" not in r.json
    sat = c.get("/api/v1/booking/slots?service=ktp&date=2026-12-05").json
    assert sat["slots"] == [] and sat["closed"] == "Tutup — hari Sabtu"
    fri = c.get("/api/v1/booking/slots?service=ktp&date=2026-12-04").json["slots"]
    assert "12:00" not in [s["start"] for s in fri]
    assert c.get("/api/v1/booking/slots?service=nope&date=2026-12-04").status_code == 404
    assert c.get("/api/v1/booking/slots?service=ktp&date=besok").status_code == 422


def test_booking_conflicts_are_409(bapp):
    c = bapp.test_client()
    r = booking(c, 0)
    assert r.status_code == 201 and r.json["qr_url"].endswith("/qr.png") and r.json["code"]
    assert "nik" not in r.json and "name" not in r.json and "phone" not in r.json
    again = booking(c, 0, start="09:00")
    assert again.status_code == 409 and again.json["error"] == "booking_nik_taken"
    assert booking(c, 1).status_code == 201
    full = booking(c, 2)
    assert full.status_code == 409 and full.json["error"] == "booking_full"
    FROZEN["now"] = datetime(2026, 12, 20, 1)
    closed = booking(c, 3, day="2026-12-25")
    assert closed.status_code == 409 and "Hari Natal" in closed.json["message"]
    bad = c.post(
        "/api/v1/bookings",
        json={"service": "ktp", "date": MON, "start": "08:00", "name": "X", "phone": "0812345678", "nik": "123"},
    )
    assert bad.status_code == 422 and bad.json["field"] == "nik"


def test_cancel_with_the_token(bapp):
    c = bapp.test_client()
    b = booking(c, 0).json
    assert c.delete(f"/api/v1/bookings/{b['code']}").status_code == 422
    assert c.delete(f"/api/v1/bookings/{b['code']}?token=nope").status_code == 403
    r = c.delete(f"/api/v1/bookings/{b['code']}?token={b['cancel_token']}")
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert c.delete(f"/api/v1/bookings/{b['code']}", headers={"X-Cancel-Token": b["cancel_token"]}).status_code == 409
    assert booking(c, 0).status_code == 201  # the NIK may book again


def test_check_in_needs_a_kiosk_key_or_staff(bapp, make_user):
    from hardware import devices

    core = bapp.extensions["antrean"]
    c = bapp.test_client()
    b = booking(c, 0).json
    FROZEN["now"] = datetime(2026, 11, 30, 1, 5)
    assert c.post(f"/api/v1/bookings/{b['code']}/check-in").status_code == 401
    key = devices.add(core, "kios-1")
    r = c.post(f"/api/v1/bookings/{b['code']}/check-in", headers={"X-Device-Key": key})
    assert r.status_code == 201 and r.json["booked"] is True and r.json["device_id"] == "kios-1"
    assert c.post(f"/api/v1/bookings/{b['code']}/check-in", headers={"X-Device-Key": key}).status_code == 409
    # staff at a counter; an early arrival hears when to come back and may take a walk-in ticket
    make_user(core, "loket", ["petugas_pelayanan"])
    token = c.post("/api/v1/auth/token", json={"username": "loket", "password": "rahasia123"}).json["token"]
    b2 = booking(c, 1, start="11:00").json
    early = c.post(f"/api/v1/bookings/{b2['code']}/check-in", headers={"Authorization": f"Bearer {token}"})
    assert early.status_code == 409 and early.json["walk_in"] is True and "Terlalu awal" in early.json["message"]
    FROZEN["now"] = datetime(2026, 11, 30, 3, 45)
    ok = c.post(f"/api/v1/bookings/{b2['code'].lower()}/check-in", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 201 and ok.json["number"].endswith("002")
    assert c.post("/api/v1/bookings/ZZZZZZZZ/check-in", headers={"X-Device-Key": key}).status_code == 404


def test_public_pages_and_qr_png(bapp):
    c = bapp.test_client()
    page = c.get(f"/booking?service=ktp&date={MON}")
    assert page.status_code == 200 and "08.00–08.30" in page.text and "sisa 2" in page.text
    assert "Tutup — hari Sabtu" in page.text  # the weekend is listed, disabled, with the reason
    b = booking(c, 0).json
    done = c.get(f"/booking/{b['code']}?t={b['cancel_token']}")
    assert done.status_code == 200 and b["code"] in done.text and "Batalkan booking" in done.text
    assert "Warga 0" not in done.text and nik(0) not in done.text
    assert "Batalkan booking" not in c.get(f"/booking/{b['code']}").text  # no token, no cancel button
    png = c.get(b["qr_url"] + "?download=1")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.headers["Content-Disposition"].startswith("attachment")
    assert c.get("/booking/ZZZZZZZZ").status_code == 404


def test_openapi_lists_the_booking_routes(bapp):
    spec = bapp.test_client().get("/api/v1/openapi.json").json
    assert {"/booking/slots", "/bookings", "/bookings/{code}", "/bookings/{code}/check-in"} <= set(spec["paths"])
    assert "delete" in spec["paths"]["/bookings/{code}"]
    assert "409" in spec["paths"]["/bookings"]["post"]["responses"]


def test_console_list_shows_masked_nik_to_front_desk(bapp, make_user):
    core = bapp.extensions["antrean"]
    c = bapp.test_client()
    booking(c, 0)
    make_user(core, "loket", ["petugas_pelayanan"])
    staff = bapp.test_client()
    csrf = login(staff, "loket")
    page = staff.get(f"/console/booking?date={MON}")
    assert page.status_code == 200 and "Warga 0" in page.text and "3201********0001" in page.text
    assert nik(0) not in page.text
    # check-in at the counter by code (08:05)
    FROZEN["now"] = datetime(2026, 11, 30, 1, 5)
    code = page.text.split('data-code="')[1].split('"')[0]
    r = staff.post(f"/console/booking?date={MON}", data={"csrf_token": csrf, "code": code}, follow_redirects=True)
    assert "Check-in berhasil: nomor antrean" in r.text
    make_user(core, "verif", ["petugas_verifikasi"])
    other = bapp.test_client()
    login(other, "verif")
    page = other.get(f"/console/booking?date={MON}")
    assert page.status_code == 200 and code in page.text and "Warga 0" not in page.text and "3201" not in page.text
