"""The citizen's opt-in on the status page and the opt-out link, in Chromium on a phone (real CSP)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from antrean.kernel.models import NotifyMessage
from tests.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def settings_dict(instance):
    return {
        "instance_path": str(instance),
        "testing": True,
        "start_workers": False,
        "notify_url": "log",
        "office_name": "Kantor Kecamatan Uji",
        "office_address": "Jl. Uji No. 1",
    }


def test_opt_in_on_the_status_page_then_opt_out(live_server, browser):
    core = live_server.core
    ticket = core.tickets.issue("ktp")[0]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID", timezone_id="Asia/Jakarta")
    page = ctx.new_page()
    try:
        page.goto(live_server.url + ticket["status_url"])
        page.locator("#kabar").scroll_into_view_if_needed()
        screenshot(page, "notify-status-form")
        page.fill("#kabar-phone", "0812 34")
        page.click("#kabar-send")
        page.wait_for_selector("#kabar-phone[aria-invalid=true]")
        assert "tidak sah" in page.inner_text("#kabar")
        page.fill("#kabar-phone", "0812 3456 7890")
        page.click("#kabar-send")
        page.wait_for_selector("#kabar-on")
        assert "62812*****890" in page.inner_text("#kabar-on")
        page.locator("#kabar").scroll_into_view_if_needed()
        screenshot(page, "notify-status-opt-in")
        assert "6281234567890" not in page.content()
        with core.db.read() as s:  # the first in the queue: 0 ahead, so the "near" message is queued at once
            body = s.execute(select(NotifyMessage.body)).scalar_one()
        assert "tinggal 0 lagi" in body
        link = re.search(r"/kabar/berhenti/\S+", body).group(0)
        page.goto(live_server.url + link)
        screenshot(page, "notify-opt-out-ask")
        page.click("#stop")
        page.wait_for_selector("#done")
        screenshot(page, "notify-opt-out")
        assert core.notify.enqueue("survey", "081234567890", {}, "after-opt-out") is None
    finally:
        ctx.close()


def test_console_outbox_and_message_texts(live_server, browser, make_user):
    from tests.e2e.test_console_browser import _session

    core = live_server.core
    make_user(core, "dewi", ["kasi_pelayanan"], "Dewi Kartika")
    make_user(core, "admin1", ["admin"], "Admin")
    core.notify.enqueue("near", "081234567890", {"number": "B004", "service": "KTP", "ahead": 3}, "near:demo")
    core.notify.enqueue(
        "survey", "085611112222", {"service": "KK", "number": "C001", "survey_url": "/survei/x"}, "survey:demo"
    )
    core.extensions["notify.worker"].step()  # the log driver sends both
    core.notify.enqueue("ready", "081399998888", {"service": "KTP-el", "agenda": "0001/KTP"}, "ready:demo")
    ctx, page = _session(browser, live_server.url, "dewi")
    try:
        page.click("text=Pesan")
        page.wait_for_selector("#outbox")
        text = page.inner_text("#outbox")
        assert "62812*****890" in text and "6281234567890" not in page.content()
        assert "terkirim" in text and "menunggu" in text
        screenshot(page, "notify-console-outbox")
    finally:
        ctx.close()
    ctx, page = _session(browser, live_server.url, "admin1")
    try:
        page.goto(live_server.url + "/console/admin/kabar")
        page.fill("#t-near", "Nomor {nomer} sebentar lagi")
        page.click("#notify-texts button")
        page.wait_for_selector(".flash")
        assert "nomer" in page.inner_text(".flash")
        screenshot(page, "notify-console-texts")
    finally:
        ctx.close()
