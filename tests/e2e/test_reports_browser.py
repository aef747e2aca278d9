"""The report page and the live board in Chromium (screenshots/report-*.png, screenshots/pantau-*.png
are for a person to look at)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from antrean.kernel.actors import Actor
from tests.conftest import screenshot
from tests.support.report_data import Clock, at, seed

pytestmark = pytest.mark.browser
TIMEOUT = 10_000


def _login(page, base, username):
    page.goto(base + "/console/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "rahasia123")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/console/")


@pytest.fixture
def office(live_server, make_user):
    core = live_server.core
    admin = Actor(None, "test-admin", frozenset({"admin"}))
    counter = core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
    camat = make_user(core, "camat", ["camat"], "Drs. Sutrisno, M.Si")
    return core, counter, camat


def test_report_page_shows_charts_tabs_and_downloads(live_server, office, page, make_user, monkeypatch):
    core, counter, _ = office
    clock = Clock(monkeypatch)
    _, _, clerk = seed(core, counter, make_user, clock)
    # a busier morning for the charts: 3 more services over the day
    for i, code in enumerate(["kk", "akta_kelahiran", "kk", "sktm", "kk", "akta_kelahiran"] * 4):
        issued = at(1 + i // 4, (i * 13) % 45)
        clock(issued)
        core.tickets.issue(code)
        clock(issued + timedelta(minutes=i % 11))
        if core.queue.call_next(counter["id"], clerk, now=clock.now):
            core.queue.start(counter["id"], clerk)  # served only after a start (records issue)
            clock(clock.now + timedelta(minutes=3))
            core.queue.finish(counter["id"], clerk)
    monkeypatch.undo()
    base = live_server.url
    _login(page, base, "camat")
    page.goto(base + "/console/laporan?dari=2026-03-01&sampai=2026-03-31")
    page.wait_for_selector("svg.chart")
    assert page.locator("svg.chart").count() >= 4  # volume, wait by hour, within standard, IKM
    assert page.locator("a[href*='format=xlsx']").count() == 1
    screenshot(page, "report-month")
    page.click("nav.tabs a:has-text('Langkah SOP')")
    page.wait_for_url("**tab=langkah**")
    assert "tidak diukur" in page.inner_text("table.report")
    with page.expect_download() as dl:
        page.click("a[href*='format=pdf']")
    assert dl.value.suggested_filename.endswith(".pdf")
    page.goto(base + "/console/laporan?tahun=2026&tab=periode")
    page.wait_for_selector("svg.chart")
    screenshot(page, "report-year")


def test_pantau_updates_when_a_ticket_is_issued(live_server, office, page):
    core, counter, camat = office
    base = live_server.url
    _login(page, base, "camat")
    page.goto(base + "/console/pantau")
    page.wait_for_selector("body[data-connection=up]", timeout=TIMEOUT)
    page.wait_for_function("document.getElementById('pantau').dataset.updated", timeout=TIMEOUT)
    assert page.inner_text("[data-k=waiting_total]") == "0"
    core.tickets.issue("ktp")
    core.tickets.issue("kk")
    page.wait_for_function("document.querySelector('[data-k=waiting_total]').textContent === '2'", timeout=TIMEOUT)
    assert "Rekomendasi KTP" in page.inner_text("#p-waiting")
    clerk = Actor(None, "x", frozenset({"petugas_pelayanan"}), "Budi Loket")
    core.queue.call_next(counter["id"], clerk)
    page.wait_for_function("document.querySelector('[data-k=waiting_total]').textContent === '1'", timeout=TIMEOUT)
    assert "Loket 1" in page.inner_text("#p-counters")
    assert "belum diketahui" in page.inner_text("#p-printers")  # the default printer, never checked
    screenshot(page, "pantau")
