"""Booking in Chromium (issue 11 §2): a citizen books on a phone-sized page, then checks in at the kiosk by
"scanning" the QR — a USB/HID scanner types the code and Enter, which keyboard.type + Enter reproduces. The office
calendar is on and the clock frozen (Monday 30 November 2026). Screenshots for a person to look at."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser
NOW = {"at": datetime(2026, 11, 30, 0, 0)}  # 07:00 WIB
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def settings_dict(settings_dict):
    return settings_dict | {"calendar": True}


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    NOW["at"] = datetime(2026, 11, 30, 0, 0)
    for target in ("antrean.services.booking.utcnow", "antrean.services.tickets.utcnow", "publik.booking.utcnow"):
        monkeypatch.setattr(target, lambda: NOW["at"])


def book_on_phone(browser, url, start, name, nik, shot=None) -> str:
    ctx = browser.new_context(
        viewport=PHONE, locale="id-ID", timezone_id="Asia/Jakarta", is_mobile=True, has_touch=True
    )
    page = ctx.new_page()
    try:
        page.goto(url + "/booking")
        page.select_option("#service", "ktp")
        page.select_option("#date", "2026-11-30")
        page.click("#pick button[type=submit]")
        page.wait_for_selector("#slots")
        if shot:
            page.locator(f"input[name=start][value='{start}']").scroll_into_view_if_needed()
            screenshot(page, f"{shot}-slots")
        page.locator(f"label.slot:has(input[value='{start}'])").click()
        page.fill("#name", name)
        page.fill("#phone", "0812-3456-7890")
        page.fill("#nik", nik)
        page.click("#book-submit")
        page.wait_for_selector("#confirmation")
        code = page.locator("#booking-code").text_content().strip()
        assert len(code) == 8
        assert (
            page.locator("#booking-slot").text_content()
            == f"{start.replace(':', '.')}–" + {"08:00": "08.30", "11:00": "11.30"}[start]
        )
        qr = page.locator("img.qr").evaluate("img => img.decode().then(() => img.naturalWidth)")
        assert qr > 100  # the QR image loaded
        assert name not in page.content() and nik not in page.content()  # nothing personal comes back
        assert page.locator("#cancel").is_visible()
        if shot:
            screenshot(page, f"{shot}-confirmation")
        return code
    finally:
        ctx.close()


def test_book_on_a_phone_then_check_in_at_the_kiosk_with_the_scanner(live_server, browser):
    from hardware import devices

    core = live_server.core
    code = book_on_phone(browser, live_server.url, "08:00", "Siti Aminah", "3201014505900001", shot="booking-phone")
    early = book_on_phone(browser, live_server.url, "11:00", "Budi Santoso", "3201010101900002")
    key = devices.add(core, "kios-1")
    NOW["at"] = datetime(2026, 11, 30, 1, 5)  # 08:05 WIB
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Jakarta")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(e))
    try:
        page.goto(live_server.url + f"/kiosk?key={key}")
        page.wait_for_selector("body.ready #s-home.armed")
        assert page.locator("#booking-open").text_content().strip() == "Sudah booking? Pindai / ketik kode"
        screenshot(page, "booking-kiosk-home")
        # the scanner: the code's characters then Enter, on the start screen, no tap needed
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        page.wait_for_selector("#s-ticket:not([hidden])")
        number = page.locator("#ticket-number").text_content()
        assert number.startswith(core.service("ktp")["letter"])
        screenshot(page, "booking-kiosk-checked-in")
        with core.db.read() as s:
            from sqlalchemy import select

            from antrean.kernel.models import Booking, Ticket

            b = s.execute(select(Booking).where(Booking.code == code)).scalar_one()
            assert b.status == "checked_in" and s.get(Ticket, b.ticket_id).number == number
        # an early arrival (11:00 slot at 08:05) typing the code by hand: told when, offered a walk-in number
        page.wait_for_selector("#s-ticket.armed")
        page.locator("#s-ticket [data-action=home]").click()
        page.wait_for_selector("#s-home.armed")
        page.click("#booking-open")
        page.wait_for_selector("#s-booking:not([hidden])")
        page.keyboard.type(early.lower())
        page.keyboard.press("Enter")
        page.wait_for_selector("#booking-walkin:not([hidden])")
        msg = page.locator("#booking-msg").text_content()
        assert msg.startswith("Terlalu awal: slot Anda pukul 11.00–11.30. Check-in dibuka pukul 10.30.")
        screenshot(page, "booking-kiosk-early")
        page.wait_for_selector("#s-booking.armed")
        page.click("#booking-walkin")
        page.wait_for_selector("#s-home:not([hidden])")
        assert not errors
    finally:
        ctx.close()


def test_console_lists_a_days_bookings_per_slot(live_server, page, make_user):
    from tests.e2e.test_console_browser import _login

    core = live_server.core
    for i, start in enumerate(("08:00", "08:00", "09:30")):
        core.booking.create("ktp", "2026-11-30", start, f"Warga {i}", "081234567890", f"32010101019{0}{i + 1:04d}")
    make_user(core, "loket", ["petugas_pelayanan"], "Budi Loket")
    _login(page, live_server.url, "loket")
    page.goto(live_server.url + "/console/booking?date=2026-11-30")
    assert page.locator(".card h2").first.text_content().startswith("08:00–08:30")
    text = page.content()
    assert "Warga 0" in text and "3201********0001" in text and "3201010101900001" not in text
    screenshot(page, "booking-console-day")


def test_console_booking_settings_page(live_server, page, make_user):
    from tests.e2e.test_console_browser import _login

    core = live_server.core
    make_user(core, "admin", ["admin"], "Admin Kantor")
    _login(page, live_server.url, "admin")
    page.goto(live_server.url + "/console/admin/booking")
    page.fill("input[name=capacity]", "6")
    page.fill("input[name=ktp_capacity]", "8")
    page.click("button.primary")
    assert "Perubahan disimpan." in page.content()
    assert core.booking.config()["capacity"] == 6 and core.booking.config()["services"] == {"ktp": {"capacity": 8}}
    page.fill("input[name=share_percent]", "120")
    page.click("button.primary")
    assert "Bagian untuk booking (%): harus 0–100." in page.content()
    page.set_viewport_size({"width": 1280, "height": 1400})
    screenshot(page, "booking-console-admin")
