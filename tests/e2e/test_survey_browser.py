"""The SKM survey and the transparency pages in Debian's Chromium, under the app's real CSP: on a phone (from the
ticket's status page) and on a counter's tablet / the kiosk's screen. Screenshots go to screenshots/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from antrean.kernel.actors import Actor
from antrean.kernel.models import SurveyAnswer, SurveyResponse, Ticket
from tests.conftest import screenshot

pytestmark = pytest.mark.browser
ADMIN = Actor(None, "test-admin", frozenset({"admin"}))


@pytest.fixture
def desk(live_server, make_user):
    core = live_server.core
    counter = core.queue.save_counter(ADMIN, name="Loket 2", number=2, services=list(core.sops))
    clerk = make_user(core, "loket", ["petugas_pelayanan"])

    def serve(service="ktp"):
        t = core.tickets.issue(service)[0]
        core.queue.call_next(counter["id"], clerk)
        core.queue.start(counter["id"], clerk)
        core.queue.finish(counter["id"], clerk)
        return t

    return core, counter, clerk, serve


def context(browser, width, height, **kw):
    return browser.new_context(
        viewport={"width": width, "height": height}, locale="id-ID", timezone_id="Asia/Jakarta", **kw
    )


def answer_all(pg, values, shot=None):
    for i, v in enumerate(values):
        pg.wait_for_selector(f"#q-progress:has-text('Pertanyaan {i + 1} dari 9')")
        if shot and i == 2:
            screenshot(pg, shot)
        pg.click(f"#q-answers .answer[data-value='{v}']")
    pg.wait_for_selector("#s-profile:not([hidden])")


def test_survey_on_a_phone_from_the_status_page(live_server, browser, desk):
    core, counter, clerk, serve = desk
    t = serve()
    ctx = context(browser, 390, 844, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(live_server.url + t["status_url"])
    pg.wait_for_selector("#rate:not([hidden])")
    screenshot(pg, "survey-phone-status")
    pg.click("#rate")
    pg.wait_for_selector("#s-intro:not([hidden])")
    assert t["number"] in pg.text_content("#ticket-line")
    screenshot(pg, "survey-phone-intro")
    pg.click("#start")
    answer_all(pg, [4, 3, 2, 4, 3, 4, 4, 1, 3], shot="survey-phone-question")
    pg.click("[data-field=sex][data-value=P]")
    pg.click("[data-field=age][data-value='30_39']")
    pg.click("[data-field=education][data-value=sma]")
    screenshot(pg, "survey-phone-profile")
    pg.click("#p-next")
    pg.fill("#suggestion", "Kursi ruang tunggu kurang")
    pg.click("#send")
    pg.wait_for_selector("#s-done:not([hidden])")
    screenshot(pg, "survey-phone-thanks")
    with core.db.read() as s:
        r = s.execute(select(SurveyResponse)).scalar_one()
        values = [a.value for a in s.execute(select(SurveyAnswer).order_by(SurveyAnswer.element)).scalars()]
    assert (r.channel, r.sex, r.age_group, r.education, r.occupation, r.suggestion) == (
        "phone",
        "P",
        "30_39",
        "sma",
        None,
        "Kursi ruang tunggu kurang",
    )
    assert values == [4, 3, 2, 4, 3, 4, 4, 1, 3]
    pg.goto(live_server.url + t["status_url"])
    pg.wait_for_selector("#rate[hidden]", state="attached")
    pg.goto(live_server.url + f"/survei/{t['token']}")
    assert "sudah diisi" in pg.text_content("#message")
    assert not errors, errors
    ctx.close()


def test_survey_on_the_counter_tablet_opened_by_the_clerk(live_server, browser, desk):
    core, counter, clerk, serve = desk
    t = serve()
    ctx = context(browser, 1280, 800, has_touch=True)
    pg = ctx.new_page()
    from hardware import devices

    key = devices.add(core, "tablet-loket-1")  # only a registered tablet reads the offer
    pg.goto(live_server.url + f"/survei?loket={counter['id']}&key={key}")
    pg.wait_for_selector("#s-wait")
    assert "key=" not in pg.url  # taken out of the address bar at once
    screenshot(pg, "survey-tablet-waiting")
    with core.db.read() as s:
        tid = s.execute(select(Ticket.id).where(Ticket.token == t["token"])).scalar_one()
    core.survey.offer(counter["id"], tid, clerk)  # the console's "Survei" button
    pg.wait_for_selector("#s-intro:not([hidden])")  # the tablet opened it by itself
    assert "/survei/" in pg.url and pg.evaluate("document.body.classList.contains('tablet')")
    screenshot(pg, "survey-tablet-intro")
    pg.click("#start")
    answer_all(pg, [3] * 9, shot="survey-tablet-question")
    pg.click("#p-next")
    pg.click("#send")
    pg.wait_for_selector("#s-done:not([hidden])")
    screenshot(pg, "survey-tablet-thanks")
    pg.wait_for_url(f"**/survei?loket={counter['id']}", timeout=15000)  # back to waiting for the next citizen
    with core.db.read() as s:
        assert s.execute(select(SurveyResponse.channel)).scalar_one() == "tablet"
    assert core.survey.offered(counter["id"]) is None
    ctx.close()


def test_transparency_page_on_the_kiosk_and_a_phone(live_server, browser, desk):
    core, counter, clerk, serve = desk
    ctx = context(browser, 1920, 1080, has_touch=True)
    pg = ctx.new_page()
    pg.goto(live_server.url + "/kiosk?device=kiosk-1")
    pg.wait_for_selector("body.ready #s-home.armed")
    screenshot(pg, "kiosk-home-info-button")
    pg.click("#info")
    pg.wait_for_selector("#maklumat")
    assert pg.url.endswith("/publik/kios")
    pg.click("#svc-ktp summary")
    screenshot(pg, "publik-kiosk")
    assert pg.is_visible("#svc-ktp dl")
    assert pg.locator("a[href]").count() == 0
    pg.click("#back")
    pg.wait_for_selector("body.ready #s-home")
    ctx.close()
    ctx = context(browser, 390, 844, is_mobile=True)
    pg = ctx.new_page()
    pg.goto(live_server.url + "/publik")
    pg.click("#svc-kk summary")
    screenshot(pg, "publik-phone")
    assert "Maklumat Pelayanan" in pg.text_content("#maklumat")
    ctx.close()


def test_console_survey_button_ikm_page_and_settings(live_server, browser, desk, make_user):
    """The clerk's button puts the survey on the tablet; the Camat sees the IKM and writes the follow-up plan."""
    from tests.e2e.test_console_browser import _session

    core, counter, clerk, serve = desk
    make_user(core, "camat", ["camat"])
    make_user(core, "boss", ["admin"])
    base = live_server.url
    t = serve()
    ctx, pg = _session(browser, base, "loket")
    pg.goto(f"{base}/console/loket/{counter['id']}")
    pg.wait_for_selector("#survey-button")
    screenshot(pg, "console-counter-survey-button")
    pg.click("#survey-button")
    pg.wait_for_selector(".flash.ok")
    assert core.survey.offered(counter["id"])["number"] == t["number"]
    ctx.close()
    core.survey.submit(t["token"], [4, 3, 3, 2, 3, 4, 4, 2, 1], channel="tablet")
    core.survey.submit(serve()["token"], [3, 3, 4, 2, 3, 4, 4, 3, 2])
    ctx, pg = _session(browser, base, "camat")
    pg.goto(f"{base}/console/survei")
    pg.wait_for_selector("#followup")
    pg.fill("textarea[name=plan_U9]", "Menambah kursi dan kipas angin di ruang tunggu")
    pg.click("#followup button")
    pg.wait_for_selector(".flash.ok")
    assert "kipas angin" in pg.input_value("textarea[name=plan_U9]")
    screenshot(pg, "console-survey-ikm")
    ctx.close()
    ctx, pg = _session(browser, base, "boss")
    pg.goto(f"{base}/console/admin/survei")
    pg.wait_for_selector("#survey-settings")
    screenshot(pg, "console-admin-survey")
    # the Camat: one form, read by the Maklumat on /publik and the PDF reports' signature block
    pg.fill("#camat-settings input[name=name]", "Drs. Ahmad Fauzi, M.Si")
    pg.fill("#camat-settings input[name=nip]", "19700101 199003 1 001")
    pg.fill("#camat-settings input[name=rank]", "Pembina (IV/a)")
    pg.click("#camat-settings button")
    pg.wait_for_selector(".flash.ok")
    pg.locator("#camat-settings").scroll_into_view_if_needed()
    screenshot(pg, "console-admin-camat")
    assert core.reports.signature()["signer"]["nip"] == "19700101 199003 1 001"
    pg.goto(f"{base}/publik")
    assert "Drs. Ahmad Fauzi, M.Si" in pg.locator("#maklumat").inner_text()
    ctx.close()
