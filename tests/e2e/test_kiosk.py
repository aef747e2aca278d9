"""The kiosk and the status page in Debian's Chromium against a real server (fixtures live_server, page)."""

from __future__ import annotations

import json
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from antrean.kernel.actors import Actor
from antrean.kernel.models import Ticket
from tests.conftest import screenshot
from tests.support.printing import fake  # noqa: F401

pytestmark = pytest.mark.browser
ADMIN = Actor(None, "test-admin", frozenset({"admin"}))


def tickets(core) -> list[Ticket]:
    with core.db.read() as s:
        return list(s.execute(select(Ticket).order_by(Ticket.id)).scalars())


def count(core) -> int:
    with core.db.read() as s:
        return s.execute(select(func.count()).select_from(Ticket)).scalar_one()


def open_kiosk(page, server, query="?device=kiosk-1"):
    page.goto(server.url + "/kiosk" + query)
    page.wait_for_selector("body.ready #s-home.armed")


def tap(page, selector, then):
    """Tap, then wait until the next screen accepts taps (the kiosk ignores the rest of a double tap)."""
    page.click(selector)
    page.wait_for_selector(f"#s-{then}.armed")


def take_ticket(page, service="ktp", priority=""):
    tap(page, f"[data-service={service}]", "priority")
    tap(page, f"[data-priority='{priority}']", "confirm")
    tap(page, "#take", "ticket")
    return page.text_content("#ticket-number")


def test_tap_a_tile_gets_a_number(live_server, page):
    open_kiosk(page, live_server)
    tap(page, "[data-service=ktp]", "priority")
    tap(page, "[data-priority='']", "confirm")
    docs = page.locator("#docs li").all_text_contents()
    assert docs == live_server.core.service("ktp")["documents"]
    tap(page, "#take", "ticket")
    number = page.text_content("#ticket-number")
    assert number == "B001"
    assert "Rekomendasi Kartu Tanda Penduduk" in page.text_content("#ticket-service")
    [t] = tickets(live_server.core)
    assert (t.number, t.device_id, t.priority) == ("B001", "kiosk-1", None)
    assert t.idempotency_key.startswith("kiosk:")


def test_double_taps_give_one_ticket(live_server, page):
    open_kiosk(page, live_server)
    page.dblclick("[data-service=kk]")  # the second tap must not answer the priority question
    page.wait_for_selector("#s-priority.armed")
    tap(page, "[data-priority='']", "confirm")
    page.dblclick("#take")
    page.wait_for_selector("#s-ticket.armed")
    assert page.text_content("#ticket-number") == "C001"
    assert count(live_server.core) == 1


def test_retry_after_a_network_blip_gives_one_ticket(live_server, page):
    seen = []

    def blip(route):
        seen.append(json.loads(route.request.post_data))
        if len(seen) == 1:
            committed = route.fetch()  # the server issues and commits the ticket…
            assert committed.status == 201
            route.abort("connectionreset")  # …but the answer never reaches the kiosk
        else:
            route.continue_()

    page.route("**/api/v1/tickets", blip)
    open_kiosk(page, live_server)
    number = take_ticket(page, "kk")
    assert number == "C001"
    assert len(seen) == 2 and seen[0]["idempotency_key"] == seen[1]["idempotency_key"]
    assert count(live_server.core) == 1


def test_closed_and_disabled_services(live_server, page):
    core = live_server.core
    core.update_service("skck", ADMIN, enabled=False)
    core.update_service("kk", ADMIN, open_time="00:00", close_time="00:00")
    open_kiosk(page, live_server)
    assert page.locator("[data-service=skck]").count() == 0
    closed = page.locator("[data-service=kk]")
    assert "closed" in closed.get_attribute("class")
    assert "Tutup" in closed.text_content() and "Buka 00:00–00:00 WIB" in closed.text_content()
    closed.click()
    page.wait_for_selector("#toast:not([hidden])")
    assert "hanya dibuka pukul 00:00" in page.text_content("#toast")
    assert page.get_attribute("body", "data-screen") == "home"
    assert count(core) == 0


def test_server_unreachable_then_retry(live_server, page):
    open_kiosk(page, live_server)
    page.route("**/api/v1/tickets", lambda route: route.abort("connectionrefused"))
    tap(page, "[data-service=ktp]", "priority")
    tap(page, "[data-priority='']", "confirm")
    page.click("#take")
    page.wait_for_selector("#s-error.armed", timeout=20000)
    assert "tidak dapat terhubung ke server" in page.text_content("#error-msg")
    assert page.is_visible("#offline")
    assert count(live_server.core) == 0
    page.unroute("**/api/v1/tickets")
    tap(page, "#retry", "ticket")
    assert page.text_content("#ticket-number") == "B001"
    assert count(live_server.core) == 1


def test_priority_question(live_server, page):
    open_kiosk(page, live_server)
    tap(page, "[data-service=akta_kelahiran]", "priority")
    assert page.locator("#priority-choices button").count() == 4
    tap(page, "[data-priority=ibu_hamil]", "confirm")
    assert "Didahulukan: Ibu hamil / membawa balita" in page.text_content("#confirm-priority")
    tap(page, "#take", "ticket")
    assert "Ibu hamil" in page.text_content("#ticket-priority")
    [t] = tickets(live_server.core)
    assert t.priority == "ibu_hamil"


def _answer_with_print(page, print_field):
    def handler(route):
        resp = route.fetch()
        body = resp.json()
        body.pop("print", None)
        if print_field is not None:
            body["print"] = print_field
        route.fulfill(response=resp, json=body)

    page.route("**/api/v1/tickets", handler)


@pytest.mark.parametrize(
    "print_field, note",
    [
        (None, False),
        ({"status": "disabled"}, True),
        ({"status": "done", "printer_state": "online"}, False),
        ({"status": "queued", "printer_state": "paper_out"}, True),
    ],
)
def test_printing_state_on_the_number_screen(live_server, page, print_field, note):
    _answer_with_print(page, print_field)
    open_kiosk(page, live_server)
    take_ticket(page)
    title = page.text_content("#ticket-msg-title")
    assert title == ("Catat nomor Anda" if note else "Silakan ambil tiket Anda")
    left = int(page.text_content("#ticket-countdown").split()[-2])
    assert left > 10 if note else left <= 10


def test_idle_and_ticket_screens_go_back_to_start(live_server, page):
    live_server.core.set_setting("kiosk", {"idle_seconds": 1, "ticket_seconds": 1, "note_seconds": 1}, ADMIN)
    open_kiosk(page, live_server)
    tap(page, "[data-service=ktp]", "priority")
    page.wait_for_selector("#s-home.armed", timeout=5000)  # nobody touched the screen
    take_ticket(page)
    page.wait_for_selector("#s-home.armed", timeout=5000)  # the number was shown, then the start again


def test_staff_pin_screen_and_device_id(live_server, page):
    from kiosk.views import set_kiosk_pin

    open_kiosk(page, live_server, query="")
    for _ in range(5):
        page.click("#clock")
    page.wait_for_selector("#s-pin.armed")
    assert "belum diatur" in page.text_content("#pin-msg") and not page.is_visible("#keypad")
    set_kiosk_pin(live_server.core, ADMIN, "2468")
    open_kiosk(page, live_server, query="")
    for _ in range(5):
        page.click("#clock")
    page.wait_for_selector("#s-pin.armed")
    for d in "1357":
        page.click(f"[data-digit='{d}']")
    page.click("[data-key=ok]")
    expect(page.locator("#pin-msg")).to_have_text("PIN salah.")
    for d in "2468":
        page.click(f"[data-digit='{d}']")
    page.click("[data-key=ok]")
    page.wait_for_selector("#s-settings.armed")
    page.click("[data-device=kiosk-2]")
    assert page.text_content("#set-device") == "kiosk-2"
    tap(page, "#s-settings [data-action=home]", "home")
    take_ticket(page)
    assert tickets(live_server.core)[0].device_id == "kiosk-2"
    assert page.evaluate("localStorage.getItem('antrean.kiosk.device')") == "kiosk-2"


def test_locked_down_and_offline_assets(live_server, page):
    foreign = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) or r.url.startswith("data:") else foreign.append(r.url),
    )
    open_kiosk(page, live_server)
    take_ticket(page)
    assert foreign == []
    style = page.evaluate("getComputedStyle(document.body).userSelect")
    assert style == "none"
    prevented = page.evaluate("""() => { const e = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
                                  return !document.body.dispatchEvent(e); }""")
    assert prevented
    assert "user-scalable=no" in page.get_attribute("meta[name=viewport]", "content")
    assert page.locator("a[href]").count() == 0


@pytest.mark.parametrize("name, size", [("portrait", (1080, 1920)), ("landscape", (1920, 1080))])
def test_screenshots(live_server, browser, name, size):
    core = live_server.core
    core.update_service("skck", ADMIN, open_time="00:00", close_time="00:00")
    for _ in range(3):
        core.tickets.issue("ktp")
    ctx = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="id-ID", timezone_id="Asia/Jakarta"
    )
    page = ctx.new_page()
    try:
        open_kiosk(page, live_server)
        # every tile is inside the screen and nothing overflows its tile
        overflow = page.evaluate("""() => [...document.querySelectorAll('.tile')].filter(t => {
            const r = t.getBoundingClientRect();
            return r.bottom > innerHeight || r.right > innerWidth || t.scrollHeight > t.clientHeight + 1; })
            .map(t => t.dataset.service)""")
        assert overflow == []
        heights = page.evaluate("[...document.querySelectorAll('.tile')].map(t => t.getBoundingClientRect().height)")
        assert len(heights) == 20 and min(heights) >= 120  # big targets for one finger
        screenshot(page, f"kiosk-{name}-home")
        tap(page, "[data-service=ktp]", "priority")
        screenshot(page, f"kiosk-{name}-priority")
        tap(page, "[data-priority=lansia]", "confirm")
        screenshot(page, f"kiosk-{name}-confirm")
        tap(page, "#take", "ticket")
        expect(page.locator("#ticket-qr")).to_have_js_property("complete", True)
        screenshot(page, f"kiosk-{name}-ticket")
    finally:
        ctx.close()


def open_status_on_a_phone(browser, server, ticket):
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        is_mobile=True,
        has_touch=True,
    )
    page = ctx.new_page()
    page.goto(server.url + ticket["status_url"])
    page.wait_for_selector("#updated:not(:empty)")
    return ctx, page


def test_status_page_updates_live_after_a_call(live_server, browser, make_user):
    core = live_server.core
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    counter = core.queue.save_counter(ADMIN, name="Loket 2", number=2, services=list(core.sops))
    core.tickets.issue("ktp")
    mine, _ = core.tickets.issue("ktp")
    ctx, page = open_status_on_a_phone(browser, live_server, mine)
    try:
        assert page.text_content("#number") == "B002"
        assert page.text_content("#position") == "ke-2"
        assert "1 orang di depan Anda" in page.text_content("#ahead")
        assert page.text_content("#now-calling") == "Belum ada panggilan"
        screenshot(page, "status-waiting")
        core.queue.call_next(counter["id"], clerk)  # B001 is called
        expect(page.locator("#now-calling")).to_have_text("B001 di Loket 2", timeout=15000)
        assert page.text_content("#position") == "ke-1"
        core.queue.call_next(counter["id"], clerk)  # now mine
        page.wait_for_selector("body[data-status=called]", timeout=15000)
        assert page.text_content("#message-text") == "Giliran Anda! Silakan menuju Loket 2"
        assert not page.is_visible("#facts")
        screenshot(page, "status-called")
    finally:
        ctx.close()


# -- a real printer behind the kiosk (issue 8 §4): "Silakan ambil tiket Anda" only when it printed --------
@pytest.fixture
def printing_server(settings_dict, fake):
    """A live server whose default printer is the fake TCP printer, with a fast spooler running."""
    from werkzeug.serving import make_server

    from antrean import create_app
    from tests.conftest import LiveServer, free_port
    from tests.support.printing import FAST_SPOOLER

    servers = []

    def start(**extra):
        app = create_app({**settings_dict, **FAST_SPOOLER, "printer_url": fake.url, "start_workers": True, **extra})
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((server, app))
        app.extensions["antrean"].set_setting("kiosk", {"print_wait_seconds": 2}, ADMIN)
        return LiveServer(app, port)

    yield start
    for server, app in servers:
        server.shutdown()
        app.extensions["antrean"].close()


TITLES = """window.__titles = [];
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("ticket-msg-title");
  new MutationObserver(() => { if (el.textContent && window.__titles.at(-1) !== el.textContent)
                                 window.__titles.push(el.textContent); })
    .observe(el, {childList: true, characterData: true, subtree: true});
});"""


def test_kiosk_says_take_your_ticket_once_it_printed(printing_server, fake, page):
    server = printing_server()
    page.add_init_script(TITLES)
    open_kiosk(page, server)
    number = take_ticket(page)
    expect(page.locator("#ticket-msg-title")).to_have_text("Silakan ambil tiket Anda", timeout=5000)
    assert page.evaluate("window.__titles") == ["Tiket sedang dicetak…", "Silakan ambil tiket Anda"]
    from tests.support.printing import printed_numbers

    fake.wait_for_jobs(1)
    assert printed_numbers(fake) == [number]


@pytest.mark.parametrize("trouble", ["offline", "paper_out", "stall"])
def test_kiosk_says_note_your_number_when_the_ticket_will_not_print(printing_server, fake, page, trouble):
    from tests.support.printing import printer_row, wait_for

    if trouble == "offline":
        fake.set_mode("refuse")
    elif trouble == "paper_out":
        fake.paper = "out"
    else:
        fake.set_mode("stall")  # takes the job, prints nothing; the spooler's timeout is longer than the kiosk's wait
    server = printing_server(printer_timeout=30) if trouble == "stall" else printing_server()
    if trouble != "stall":  # the status poller knows before the citizen comes
        wait_for(lambda: printer_row(server.core).state == trouble, what=f"printer {trouble}")
    page.add_init_script(TITLES)
    open_kiosk(page, server)
    take_ticket(page)
    expect(page.locator("#ticket-msg-title")).to_have_text("Catat nomor Anda", timeout=8000)
    titles = page.evaluate("window.__titles")
    assert "Silakan ambil tiket Anda" not in titles
    assert titles == (["Tiket sedang dicetak…", "Catat nomor Anda"] if trouble == "stall" else ["Catat nomor Anda"])
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('ticket-number')).fontSize)")
    assert size >= 100  # the number stays large: the citizen has to read and note it
    left = int(page.text_content("#ticket-countdown").split()[-2])
    assert left > 10  # note_seconds, not ticket_seconds
    screenshot(page, f"kiosk-note-{trouble}")


def test_kiosk_and_status_page_speak_the_office_language_in_an_english_browser(live_server, browser):
    """Trial: from an English-locale browser the kiosk's errors (quota, closed, hours) came back in English."""
    core = live_server.core
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="en-US",
        timezone_id="Asia/Jakarta",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    page = ctx.new_page()
    try:
        open_kiosk(page, live_server)
        assert page.text_content("#s-home .prompt") == "Sentuh layanan yang Anda perlukan"
        # the tiles were open when the page loaded; the service closes before the citizen taps "Ambil Tiket"
        core.update_service("kk", ADMIN, daily_quota=1)
        core.tickets.issue("kk")
        take = lambda code: (
            tap(page, f"[data-service={code}]", "priority"),
            tap(page, "[data-priority='']", "confirm"),
            tap(page, "#take", "error"),
        )
        take("kk")
        assert page.text_content("#error-msg") == "Kuota harian layanan ini sudah habis. Silakan datang kembali besok."
        tap(page, "#s-error [data-action=home]", "home")
        core.update_service("ktp", ADMIN, open_time="00:00", close_time="00:00")
        take("ktp")
        assert "hanya dibuka pukul 00:00" in page.text_content("#error-msg")
        tap(page, "#s-error [data-action=home]", "home")
        page.evaluate("document.dispatchEvent(new Event('online')); window.dispatchEvent(new Event('online'))")
        page.wait_for_selector("[data-service=ktp].closed")
        page.click("[data-service=ktp]")
        page.wait_for_selector("#toast:not([hidden])")
        assert "hanya dibuka pukul 00:00" in page.text_content("#toast")
        screenshot(page, "kiosk-english-browser")
        mine, _ = core.tickets.issue("skck")
        page.goto(live_server.url + mine["status_url"])
        page.wait_for_selector("#updated:not(:empty)")
        assert page.text_content("#now-calling") == "Belum ada panggilan"
    finally:
        ctx.close()


def test_status_page_after_reconnect_tms_and_finish(live_server, browser, make_user):
    """Issue 8 §4: after a lost connection the page shows fresh state at once (not after its backoff); a back-office
    TMS says the file was returned, why, and where to collect the slip; a finished ticket is never "now calling"."""
    core = live_server.core
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    verifier = make_user(core, "verif", ["petugas_verifikasi"])
    counter = core.queue.save_counter(ADMIN, name="Loket 2", number=2, services=list(core.sops))
    mine, _ = core.tickets.issue("kk")
    ctx, page = open_status_on_a_phone(browser, live_server, mine)
    try:
        ctx.set_offline(True)
        page.wait_for_selector("#updated.offline", timeout=15000)  # a poll failed: the next one backs off to 8 s
        core.queue.call_next(counter["id"], clerk)
        ctx.set_offline(False)  # back online: polled at once
        expect(page.locator("#message-text")).to_have_text("Giliran Anda! Silakan menuju Loket 2", timeout=3000)

        app = core.workflow.open(clerk, ticket_id=mine["id"], applicant_name="Joko Susilo", nik="3201234507890001")
        core.workflow.complete_step(app["id"], 2, clerk, outcome="DONE")
        missing = core.service("kk")["documents"][:2]
        core.workflow.complete_step(app["id"], 3, verifier, outcome="TMS", missing_documents=missing, note="buram")
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(page.locator("#message-text")).to_have_text(
            "Berkas Anda dikembalikan. Silakan menuju Loket 2 untuk menerima slip pengembalian.", timeout=10000
        )
        assert page.is_visible("#returned")
        assert page.locator("#returned-missing li").all_text_contents() == missing
        assert not page.is_visible("#calling")
        screenshot(page, "status-returned")

        core.queue.finish(counter["id"], clerk)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_selector("body:not([data-status=called])", timeout=10000)
        assert not page.is_visible("#calling")  # its own number is never shown as "now calling"
        screenshot(page, "status-finished")
    finally:
        ctx.close()


def test_device_key_from_the_url_once_then_from_storage(live_server, page):
    """`antrean kiosk add` prints a key; /kiosk?key=… once: kept in localStorage, gone from the address bar, sent
    as X-Device-Key (the ticket then carries the registered name, whatever ?device= says)."""
    from hardware import devices

    key = devices.add(live_server.core, "kiosk-lobi")
    open_kiosk(page, live_server, f"?device=kiosk-1&key={key}")
    assert page.evaluate("location.search") == "?device=kiosk-1"
    assert page.evaluate("localStorage.getItem('antrean.kiosk.key')") == key
    assert take_ticket(page) == "B001"
    open_kiosk(page, live_server, "?device=kiosk-1")  # the next start: the key comes from storage
    assert take_ticket(page, "kk") == "C001"
    screenshot(page, "kiosk-registered-ticket")
    assert [t.device_id for t in tickets(live_server.core)] == ["kiosk-lobi", "kiosk-lobi"]


@pytest.fixture
def strict_server(settings_dict):
    """A real server whose limits count this browser (loopback not exempt) and allow 2 tickets a minute."""
    import threading

    from werkzeug.serving import make_server

    from antrean import create_app
    from tests.conftest import LiveServer, free_port

    app = create_app(settings_dict | {"rate_exempt": "", "rate_ticket": "2/minute"})
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, server.server_port)
    server.shutdown()
    thread.join(5)
    app.extensions["antrean"].close()


def test_an_unregistered_kiosk_past_its_limit_shows_the_reason(strict_server, page):
    """Anonymous (no device key): the third ticket in a minute is refused with the server's message."""
    open_kiosk(page, strict_server)
    assert take_ticket(page) == "B001"
    open_kiosk(page, strict_server)
    assert take_ticket(page, "kk") == "C001"
    open_kiosk(page, strict_server)
    tap(page, "[data-service=ktp]", "priority")
    tap(page, "[data-priority='']", "confirm")
    page.click("#take")
    expect(page.locator("body")).to_contain_text("Terlalu banyak permintaan dari perangkat ini")
    screenshot(page, "kiosk-rate-limited")
    assert count(strict_server.core) == 2
