"""The console in Chromium: a clerk calls a number and the board shows it; one SOP carried through
by four different users in four browser sessions; the timeline shows every step with its minutes.

Screenshots (screenshots/console-*.png) are for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from antrean.kernel.actors import Actor
from antrean.kernel.timeutil import utcnow
from tests.conftest import screenshot

pytestmark = pytest.mark.browser
NIK = "3201234507890001"
TIMEOUT = 10_000


@pytest.fixture
def office(live_server, make_user):
    core = live_server.core
    admin = Actor(None, "test-admin", frozenset({"admin"}))
    counter = core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
    core.queue.save_counter(admin, name="Loket 2", number=2, services=list(core.sops))
    users = {
        "clerk": make_user(core, "budi", ["petugas_pelayanan"], "Budi Santoso"),
        "verifier": make_user(core, "rina", ["petugas_verifikasi"], "Rina Marlina"),
        "register": make_user(core, "agus", ["petugas_register"], "Agus Salim"),
        "kasi": make_user(core, "dewi", ["kasi_pelayanan"], "Dewi Kartika"),
    }
    return core, counter, users


def _login(page, base, username):
    page.goto(base + "/console/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "rahasia123")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/console/")


def _call_first(page, base, counter, number):
    """Open the counter view, wait for the live connection and call with the keyboard."""
    page.goto(f"{base}/console/loket/{counter['id']}")
    page.wait_for_selector("#live.on", timeout=TIMEOUT)
    page.keyboard.press("n")
    page.wait_for_function(
        f"document.getElementById('current-number').textContent.trim() === '{number}'", timeout=TIMEOUT
    )
    page.wait_for_selector("#panel[aria-busy=false]", state="attached", timeout=TIMEOUT)  # the action is done


def _session(browser, base, username):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID", timezone_id="Asia/Jakarta")
    page = ctx.new_page()
    _login(page, base, username)
    return ctx, page


def _do_step(page, base, app_id, outcome=None, counter_name=None):
    page.goto(f"{base}/console/permohonan/{app_id}")
    if outcome:
        page.check(f"input[name=outcome][value={outcome}]")
    if counter_name:
        page.select_option("select[name=counter]", label=counter_name)
    page.click("#step-form button[type=submit]")
    page.wait_for_selector(".flash.ok", timeout=TIMEOUT)


def test_clerk_calls_board_shows_and_four_users_carry_one_sop(live_server, office, page, browser):
    core, counter, users = office
    base = live_server.url
    first, _ = core.tickets.issue("ktp")
    for code in ("ktp", "kk", "sktm", "ektp"):
        core.tickets.issue(code)

    if "display.board" not in live_server.app.view_functions:
        pytest.skip("the display face (/display) is not installed")
    board_ctx = browser.new_context(viewport={"width": 1280, "height": 720}, locale="id-ID")
    board = board_ctx.new_page()
    board.goto(base + "/display/")

    # the clerk: log in, pick the counter, call with the keyboard
    _login(page, base, "budi")
    _call_first(page, base, counter, first["number"])
    board.wait_for_function(
        f"document.getElementById('now-number').textContent.includes('{first['number']}')", timeout=TIMEOUT
    )
    screenshot(board, "console-display-after-call")
    core.tickets.issue("kia", "lansia")  # a priority ticket shows in the list

    # a second clerk's console updates live when the first calls again (no reload)
    other_ctx, other = _session(browser, base, "budi")
    other.goto(f"{base}/console/loket/{counter['id']}")
    other.wait_for_selector("#live.on", timeout=TIMEOUT)
    # receive the file: the open form under the current ticket
    page.fill("input[name=applicant_name]", "Siti Aminah")
    page.fill("input[name=nik]", NIK)
    page.fill("input[name=phone]", "081234567890")
    screenshot(page, "console-counter-view")
    page.click("#open-form button[type=submit]")
    page.wait_for_url(f"{base}/console/permohonan/*")
    app_id = int(page.url.rsplit("/", 1)[1])
    other.wait_for_selector(f"a[href='/console/permohonan/{app_id}']", timeout=TIMEOUT)
    other_ctx.close()
    _do_step(page, base, app_id)  # step 2: the clerk receives the form

    # some older files so the verifier's worklist shows all three colours
    for name, minutes in (("Ahmad Fauzi", 4), ("Maria Ulfa", 7), ("Yusuf Hidayat", 30)):
        when = utcnow() - timedelta(minutes=minutes)
        a = core.workflow.open(users["clerk"], service_code="kk", applicant_name=name, now=when - timedelta(minutes=1))
        core.workflow.complete_step(a["id"], 2, users["clerk"], outcome="DONE", now=when)

    # the verifier: worklist, MS
    vctx, v = _session(browser, base, "rina")
    v.goto(base + "/console/kerja")
    v.wait_for_selector(f"tr[data-app='{app_id}']")
    assert v.locator(".worklist .sla.red").count() >= 1 and v.locator(".worklist .sla.green").count() >= 1
    assert NIK not in v.content()
    screenshot(v, "console-worklist")
    v.click(f"tr[data-app='{app_id}'] a")
    v.check("input[name=outcome][value=MS]")
    v.click("#step-form button[type=submit]")
    v.wait_for_selector(".flash.ok", timeout=TIMEOUT)
    vctx.close()

    # the register: the agenda number is shown
    rctx, r = _session(browser, base, "agus")
    _do_step(r, base, app_id)
    agenda = core.workflow.get(app_id)["agenda_number"]
    assert agenda and agenda in r.locator(".flash.ok").inner_text() and r.locator("#agenda").inner_text() == agenda
    rctx.close()

    # the Kasi signs
    kctx, k = _session(browser, base, "dewi")
    _do_step(k, base, app_id)
    kctx.close()

    # handover by the clerk, who calls the applicant to Loket 2: the board shows the call
    _do_step(page, base, app_id, counter_name="Loket 2")
    board.wait_for_function("document.getElementById('now-counter').textContent.includes('2')", timeout=TIMEOUT)
    assert first["number"] in board.locator("#now-number").inner_text()
    _do_step(page, base, app_id)  # step 7: the applicant collects

    # the timeline: every step with who, minutes and standard
    page.goto(f"{base}/console/permohonan/{app_id}")
    rows = page.locator("table.timeline tbody tr")
    assert rows.count() == 7 and page.locator("table.timeline tr.pending").count() == 0
    names = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(7)]
    for who in ("Budi Santoso", "Rina Marlina", "Agus Salim", "Dewi Kartika"):
        assert any(who in n for n in names)
    for i, st in enumerate(core.sops["ktp"].steps):
        assert rows.nth(i).locator(".sla").inner_text().endswith(f"/ {st.minutes}")
    assert "Selesai" in page.locator("dl.facts").inner_text()
    screenshot(page, "console-timeline")
    board_ctx.close()


def test_call_next_over_an_unstarted_number_asks_first_and_records_a_no_show(page, live_server, office):
    """The lifecycle rule in the counter view: a called, never started number is not silently 'served'."""
    core, counter, users = office
    base = live_server.url
    first, _ = core.tickets.issue("ktp")
    second, _ = core.tickets.issue("ktp")
    _login(page, base, "budi")
    _call_first(page, base, counter, first["number"])
    assert page.locator("button[data-action=finish]").is_disabled()  # nothing to finish before a start
    assert page.locator("#start-hint").is_visible()
    page.keyboard.press("n")  # first press: asks
    page.wait_for_selector(".flash.warn", timeout=TIMEOUT)
    assert f"{first['number']} belum mulai dilayani" in page.locator(".flash.warn").inner_text()
    screenshot(page, "console-confirm-no-show")
    assert core.tickets.get(first["id"])["outcome"] is None
    page.keyboard.press("n")  # second press: no_show, next called
    page.wait_for_function(
        f"document.getElementById('current-number').textContent.trim() === '{second['number']}'", timeout=TIMEOUT
    )
    page.wait_for_selector("#panel[aria-busy=false]", state="attached", timeout=TIMEOUT)
    assert core.tickets.get(first["id"])["outcome"] == "no_show"
    page.keyboard.press("m")  # start, then finish: served
    page.wait_for_selector("b[data-status=serving]", timeout=TIMEOUT)
    page.wait_for_selector("#panel[aria-busy=false]", state="attached", timeout=TIMEOUT)
    page.keyboard.press("s")
    page.wait_for_function("document.getElementById('current-number').textContent.trim() === '—'", timeout=TIMEOUT)
    assert core.tickets.get(second["id"])["outcome"] == "served"


def test_front_desk_sees_the_printer_warning_and_reprints_from_the_console(live_server, browser, office):
    """Issue 8 §4: a printer warning on every console page, uncertain/failed tickets with a reprint button."""
    from sqlalchemy import select, update

    from antrean.kernel.models import AuditLog
    from hardware import store
    from hardware.models import Printer, PrintJob

    core, counter, users = office
    store.save_printer(core, Actor(None, "test-admin", frozenset({"admin"})), "default", "tcp://127.0.0.1:9")
    tickets = [core.tickets.issue("ktp", device_id="kiosk-1")[0] for _ in range(2)]
    with core.db.write() as s:
        for t, status in zip(tickets, ("uncertain", "failed")):
            s.execute(
                update(PrintJob)
                .where(PrintJob.ticket_id == t["id"])
                .values(status=status, last_error="timeout: printer at 127.0.0.1:9 took the data …")
            )
        s.execute(update(Printer).values(state="paper_out", detail="paper end"))
    ctx, page = _session(browser, live_server.url, "budi")
    try:
        page.goto(f"{live_server.url}/console/loket/{counter['id']}")
        alert = page.locator("[data-testid=print-alert]")
        assert alert.is_visible() and "kertas habis" in alert.inner_text()
        assert all(t["number"] in alert.inner_text() for t in tickets)
        page.click("text=Lihat dan cetak ulang")
        page.wait_for_selector("#print-jobs")
        screenshot(page, "console-print-trouble")
        page.click(f"button[data-reprint='{tickets[0]['id']}']")
        page.wait_for_selector("#msg:not([hidden])", timeout=TIMEOUT)
        assert f"Cetak ulang dikirim ke printer: {tickets[0]['number']}" in page.inner_text("#msg")
        assert page.locator(f"button[data-reprint='{tickets[0]['id']}']").count() == 0
        with core.db.read() as s:
            audit = s.execute(select(AuditLog.actor).where(AuditLog.action == "ticket.reprint")).scalars().all()
        assert audit == ["budi"]
    finally:
        ctx.close()


def test_kasi_cancels_the_current_number_with_a_reason(page, live_server, office):
    """'Batalkan' on the counter panel: a form with a required reason; the number closes as cancelled."""
    core, counter, users = office
    base = live_server.url
    first, _ = core.tickets.issue("ktp")
    second, _ = core.tickets.issue("ktp")
    _login(page, base, "dewi")  # Kasi Pelayanan holds a counter role: may cancel (policy ticket.cancel)
    _call_first(page, base, counter, first["number"])
    assert page.locator(f"a[data-cancel='{second['id']}']").is_visible()  # also in the waiting list
    screenshot(page, "console-cancel-buttons")
    page.click("#cancel-current")
    page.wait_for_selector("#cancel-form", timeout=TIMEOUT)
    page.click("#cancel-submit")  # no reason chosen: the browser refuses (required)
    assert page.url.endswith(f"/console/tiket/{first['id']}/batal?loket={counter['id']}")
    page.select_option("select[name=choice]", "lain")
    page.click("#cancel-submit")  # "Lainnya" without words: the server refuses
    page.wait_for_selector("#cancel-error", timeout=TIMEOUT)
    assert core.tickets.get(first["id"])["outcome"] is None
    page.fill("input[name=text]", "Pemohon salah mengambil nomor")
    screenshot(page, "console-cancel-form")
    page.click("#cancel-submit")
    page.wait_for_url(f"{base}/console/loket/{counter['id']}", timeout=TIMEOUT)
    page.wait_for_selector(".flash.ok", timeout=TIMEOUT)
    page.wait_for_function("document.getElementById('current-number').textContent.trim() === '—'", timeout=TIMEOUT)
    t = core.tickets.get(first["id"])
    assert (t["outcome"], t["cancel_reason"]) == ("cancelled", "Pemohon salah mengambil nomor")
