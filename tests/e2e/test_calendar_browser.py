"""The calendar seen in Chromium: the kiosk on a Friday at 12:00 (prayer break) says so above its closed
tiles and a tap refuses; the console's calendar page (screenshots for a person to look at)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from antrean.kernel.actors import Actor
from tests.conftest import screenshot
from tests.e2e.test_console_browser import _login

pytestmark = pytest.mark.browser
ADMIN = Actor(None, "test-admin", frozenset({"admin"}))
FRIDAY_NOON = (
    datetime(2026, 11, 27, 12, tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
)


@pytest.fixture
def settings_dict(settings_dict):
    return settings_dict | {"calendar": True}


def test_kiosk_on_friday_noon_shows_the_prayer_break(live_server, page, monkeypatch):
    monkeypatch.setattr("antrean.services.tickets.utcnow", lambda: FRIDAY_NOON)
    page.goto(live_server.url + "/kiosk?device=kiosk-1")
    page.wait_for_selector("body.ready #s-home.armed")
    prompt = page.locator("#home-prompt")
    assert prompt.text_content() == "Istirahat salat Jumat, buka kembali 13.00"
    assert "office-closed" in prompt.get_attribute("class")
    tile = page.locator("[data-service=ktp]")
    assert "closed" in tile.get_attribute("class")
    assert "Istirahat salat Jumat, buka kembali 13.00" in tile.text_content()
    screenshot(page, "calendar-kiosk-friday-break")
    tile.click()
    assert page.locator("#s-home").is_visible()  # a closed tile does not start a ticket


def test_kiosk_on_a_holiday_names_it_and_the_reopening(live_server, page, monkeypatch):
    live_server.core.calendar.add(ADMIN, "2026-12-25", "Hari Raya Natal")
    christmas = (
        datetime(2026, 12, 25, 9, tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    )
    monkeypatch.setattr("antrean.services.tickets.utcnow", lambda: christmas)
    page.set_viewport_size({"width": 1080, "height": 1920})  # a portrait kiosk: the longest sentence, narrow tiles
    page.goto(live_server.url + "/kiosk?device=kiosk-1")
    page.wait_for_selector("body.ready #s-home.armed")
    message = "Tutup — libur nasional: Hari Raya Natal, buka kembali Senin, 28 Desember 08.00"
    assert page.locator("#home-prompt").text_content() == message
    sub = page.locator("[data-service=ktp] .tile-sub")
    assert sub.text_content() == message
    box, tile = sub.bounding_box(), page.locator("[data-service=ktp]").bounding_box()
    screenshot(page, "calendar-kiosk-holiday-portrait")
    assert box["x"] + box["width"] <= tile["x"] + tile["width"] + 1  # the sentence stays inside its tile
    screenshot(page, "calendar-kiosk-holiday-portrait")


def test_console_calendar_page(live_server, page, make_user):
    core = live_server.core
    make_user(core, "admin", ["admin"], "Admin Kantor")
    core.calendar.import_csv(
        ADMIN, "2026-12-24,Cuti Bersama Hari Raya Natal,cuti_bersama\n2026-12-25,Hari Raya Natal,libur_nasional\n"
    )
    core.calendar.add(ADMIN, "2026-12-03", "Rapat koordinasi kecamatan", "penutupan", "13:00", "15:00")
    _login(page, live_server.url, "admin")
    page.goto(live_server.url + "/console/admin/kalender?tahun=2026")
    assert page.locator("#entries tbody tr").count() == 3
    assert "Hari Raya Natal" in page.locator("#entries").text_content()
    page.set_viewport_size({"width": 1280, "height": 1700})
    screenshot(page, "calendar-console-admin")
