"""The booking settings admin page (/console/admin/booking): admin only, validated (Indonesian message, English
with ?lang=en), saved through core.booking.set_config (audited), per-service overrides."""

from __future__ import annotations

from sqlalchemy import select

from antrean.kernel.models import AuditLog
from tests.integration.test_console import login

FORM = {
    "enabled": "1",
    "slot_minutes": "20",
    "capacity": "6",
    "share_percent": "40",
    "days_ahead": "7",
    "early_minutes": "15",
    "grace_minutes": "10",
    "remind_at": "15:30",
}


def test_booking_admin_page_saves_validates_and_audits(app, make_user):
    core = app.extensions["antrean"]
    make_user(core, "loket", ["petugas_pelayanan"])
    make_user(core, "admin", ["admin"])
    clerk = app.test_client()
    login(clerk, "loket")
    assert clerk.get("/console/admin/booking").status_code == 403
    c = app.test_client()
    csrf = login(c, "admin")
    page = c.get("/console/admin/booking")
    assert page.status_code == 200 and "Panjang slot" in page.text and 'name="ktp_capacity"' in page.text

    def post(**data):
        r = c.post("/console/admin/booking", data={"csrf_token": csrf, **data})
        assert r.status_code == 302, r.text
        return c.get("/console/admin/booking").text

    text = post(**FORM, ktp_capacity="8", ktp_slot_minutes="", kk_slot_minutes="45")
    assert "Perubahan disimpan." in text
    cfg = core.booking.config()
    assert {k: cfg[k] for k in FORM if k != "enabled"} == {
        "slot_minutes": 20,
        "capacity": 6,
        "share_percent": 40,
        "days_ahead": 7,
        "early_minutes": 15,
        "grace_minutes": 10,
        "remind_at": "15:30",
    }
    assert cfg["enabled"] is True and cfg["services"] == {"ktp": {"capacity": 8}, "kk": {"slot_minutes": 45}}
    assert 'name="ktp_capacity" type="number" min="0" value="8"' in text
    with core.db.read() as s:
        audit = (
            s.execute(select(AuditLog).where(AuditLog.action == "setting.update").order_by(AuditLog.id.desc()))
            .scalars()
            .first()
        )
    assert audit.target_id == "booking"

    # bad input: an Indonesian message naming the field, nothing saved (English with ?lang=en)
    text = post(**(FORM | {"capacity": "banyak"}))
    assert "Kapasitas per slot (booking + datang langsung): isi dengan bilangan bulat 0 atau lebih." in text
    text = post(**(FORM | {"share_percent": "150"}))
    assert "Bagian untuk booking (%): harus 0–100." in text
    text = post(**(FORM | {"remind_at": "jam empat"}))
    assert "Jam pengingat harus berbentuk JJ:MM" in text
    r = c.post("/console/admin/booking?lang=en", data={"csrf_token": csrf, **FORM, "slot_minutes": "-5"})
    assert r.status_code == 302
    assert "Slot length (minutes): enter a whole number, 0 or more." in c.get("/console/admin/booking?lang=en").text
    assert core.booking.config()["capacity"] == 6 and core.booking.config()["share_percent"] == 40

    # an empty box clears the override; unchecking turns bookings off
    post(**{k: v for k, v in FORM.items() if k != "enabled"})
    assert core.booking.config()["services"] == {} and core.booking.config()["enabled"] is False
