"""Robustness and usability of the citizen's faces in a real Chromium: the kiosk on small and portrait
screens, quota/outage/restart mid-flow, idle at every step, rapid taps; the status page on a phone
(yesterday's ticket, a bad link); the board with many lokets and services on a cheap 1366x768 TV, a burst
of calls, a server restart. No sleeps: every wait is on page state."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from antrean.kernel.actors import Actor
from antrean.kernel.models import Ticket
from tests.conftest import fast_audio, screenshot, seed_schema, set_audio_rate

pytestmark = pytest.mark.browser
ADMIN = Actor(None, "test-admin", frozenset({"admin"}))
LONG_CHECKLIST = [
    "Fotokopi Kartu Keluarga (KK) yang masih berlaku dan terbaca jelas",
    "Surat pengantar dari RT/RW setempat yang telah ditandatangani",
    "Surat pengantar dari desa/kelurahan dengan cap dinas",
    "KTP lama (bila rusak atau ada perubahan data kependudukan)",
    "Surat keterangan kehilangan dari kepolisian (bila KTP hilang)",
    "Pas foto berwarna ukuran 3x4 sebanyak dua lembar",
    "Akta kelahiran asli dan fotokopinya",
    "Buku nikah atau akta perkawinan (bila sudah menikah)",
    "Surat kuasa bermeterai (bila diwakilkan)",
    "Fotokopi KTP pemberi dan penerima kuasa",
]
SIZES = [(1920, 1080), (1366, 768), (1080, 1920), (768, 1366)]


def count(core) -> int:
    with core.db.read() as s:
        return s.execute(select(func.count()).select_from(Ticket)).scalar_one()


def new_page(browser, w, h, **kw):
    ctx = browser.new_context(viewport={"width": w, "height": h}, locale="id-ID", timezone_id="Asia/Jakarta", **kw)
    return ctx, ctx.new_page()


def open_kiosk(page, url):
    page.goto(url + "/kiosk?device=kiosk-1")
    page.wait_for_selector("body.ready #s-home.armed")


def tap(page, selector, then):
    page.click(selector)
    page.wait_for_selector(f"#s-{then}.armed")


def to_confirm(page, service="ktp"):
    tap(page, f"[data-service={service}]", "priority")
    tap(page, "[data-priority='']", "confirm")


VISIBLE_BUTTONS = """() => [...document.querySelectorAll('button')].filter(b => b.offsetParent)
  .map(b => { const r = b.getBoundingClientRect();
              return {text: b.textContent.trim().slice(0, 30), w: r.width, h: r.height, top: r.top, bottom: r.bottom}; })"""
DOCS = """() => { const l = document.getElementById('docs'), b = l.getBoundingClientRect();
  return {scroll: l.classList.contains('scroll'), fit: l.style.getPropertyValue('--fit'),
          cut: [...l.children].filter(li => { const r = li.getBoundingClientRect();
                                             return r.bottom > b.bottom + 1 || r.right > b.right + 1; }).length,
          font: parseFloat(getComputedStyle(l.children[0]).fontSize)}; }"""


# -- kiosk ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("w, h", SIZES)
def test_documents_are_never_cut_off_and_buttons_stay_big(live_server, browser, w, h):
    """The documents screen cut the fifth document of KTP in half on a 1920x1080 kiosk: the list now
    shrinks its type to fit (and only scrolls below a readable floor); every button stays ≥ 64 px."""
    core = live_server.core
    core.update_service("kk", ADMIN, checklist=LONG_CHECKLIST)
    ctx, page = new_page(browser, w, h)
    try:
        open_kiosk(page, live_server.url)
        for b in page.evaluate(VISIBLE_BUTTONS):
            assert min(b["w"], b["h"]) >= 64, (w, h, b)
        to_confirm(page, "ktp")  # the built-in checklist: five documents
        docs = page.evaluate(DOCS)
        assert docs["cut"] == 0 and not docs["scroll"], docs
        assert docs["font"] >= 0.6 * 0.03 * min(w, h) - 0.5, docs
        for b in page.evaluate(VISIBLE_BUTTONS):
            assert min(b["w"], b["h"]) >= 64 and b["bottom"] <= h, (w, h, b)
        page.click("[data-action=back]")
        page.wait_for_selector("#s-priority.armed")
        tap(page, "#s-priority [data-action=home]", "home")
        to_confirm(page, "kk")  # an office's long checklist: ten long documents
        docs = page.evaluate(DOCS)
        assert docs["scroll"] or docs["cut"] == 0, docs
        if docs["scroll"]:  # the last document can be reached
            page.locator("#docs li").last.scroll_into_view_if_needed()
            expect(page.locator("#docs li").last).to_be_in_viewport()
        take = page.locator("#take").bounding_box()
        assert take["height"] >= 64 and take["y"] + take["height"] <= h
        screenshot(page, f"robust-kiosk-docs-{w}x{h}")
    finally:
        ctx.close()


def test_quota_reached_between_tile_and_take(live_server, page):
    core = live_server.core
    open_kiosk(page, live_server.url)
    to_confirm(page, "ktp")
    core.update_service("ktp", ADMIN, daily_quota=1)
    core.tickets.issue("ktp")  # someone at the other kiosk took the last number
    tap(page, "#take", "error")
    assert "Kuota" in page.text_content("#error-msg")
    assert page.is_hidden("#retry")  # retrying cannot help; going back can
    screenshot(page, "robust-kiosk-quota")
    tap(page, "#s-error [data-action=home]", "home")
    expect(page.locator("[data-service=ktp]")).to_have_class("tile closed", timeout=10000)
    assert count(core) == 1


def test_database_down_503_then_retry_gives_one_ticket(live_server, page):
    core = live_server.core
    body = {"error": "unavailable", "message": "Sistem sedang tidak dapat menyimpan data."}
    page.route("**/api/v1/tickets", lambda route: route.fulfill(status=503, json=body))
    open_kiosk(page, live_server.url)
    to_confirm(page, "ktp")
    page.click("#take")
    page.wait_for_selector("#s-error.armed", timeout=20000)
    assert page.is_visible("#retry")
    assert count(core) == 0
    page.unroute("**/api/v1/tickets")
    tap(page, "#retry", "ticket")
    assert page.text_content("#ticket-number") == "B001"
    assert count(core) == 1


def test_server_restarts_between_taps(server_process, tmp_path, page):
    server = server_process()
    open_kiosk(page, server.url)
    tap(page, "[data-service=ktp]", "priority")
    server.stop()  # restart between two taps
    server.start()
    tap(page, "[data-priority='']", "confirm")
    tap(page, "#take", "ticket")
    assert page.text_content("#ticket-number") == "B001"
    # down while the citizen taps "Ambil Tiket": the error screen, then "Coba Lagi" once it is back
    tap(page, "#s-ticket [data-action=home]", "home")
    to_confirm(page, "ktp")
    server.stop()
    page.click("#take")
    page.wait_for_selector("#s-error.armed", timeout=30000)
    assert page.is_visible("#offline")
    server.start()
    tap(page, "#retry", "ticket")
    assert page.text_content("#ticket-number") == "B002"
    expect(page.locator("#offline")).to_be_hidden()


def test_walking_away_at_every_step_goes_back_to_start(live_server, page):
    live_server.core.set_setting("kiosk", {"idle_seconds": 1}, ADMIN)
    open_kiosk(page, live_server.url)
    tap(page, "[data-service=ktp]", "priority")
    page.wait_for_selector("#s-home.armed", timeout=5000)
    to_confirm(page, "ktp")
    page.wait_for_selector("#s-home.armed", timeout=5000)
    page.route("**/api/v1/tickets", lambda route: route.fulfill(status=409, json={"message": "Layanan tutup."}))
    to_confirm(page, "ktp")
    tap(page, "#take", "error")
    page.wait_for_selector("#s-home.armed", timeout=5000)
    assert count(live_server.core) == 0


def test_rapid_taps_on_two_tiles_choose_the_first(live_server, page):
    open_kiosk(page, live_server.url)
    page.evaluate("""() => { document.querySelector('[data-service=ktp]').click();
                             document.querySelector('[data-service=kk]').click(); }""")
    page.wait_for_selector("#s-priority.armed")
    assert "Kartu Tanda Penduduk" in page.text_content("#s-priority .chosen-name")
    tap(page, "[data-priority='']", "confirm")
    tap(page, "#take", "ticket")
    assert page.text_content("#ticket-number") == "B001"
    assert count(live_server.core) == 1


# -- the status page on a phone --------------------------------------------------------------------
def test_status_page_on_a_phone_old_ticket_and_bad_link(live_server, browser, make_user):
    core = live_server.core
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    counter = core.queue.save_counter(ADMIN, name="Loket 2", number=2, services=["kk"])
    old, _ = core.tickets.issue("kk")
    core.queue.call_next(counter["id"], clerk)  # old is called…
    yesterday = dt.date.fromisoformat(old["day"]) - dt.timedelta(days=1)
    with core.db.write() as s:  # …yesterday: the page is opened the next morning
        s.execute(update(Ticket).where(Ticket.token == old["token"]).values(day=yesterday, status="waiting"))
    mine, _ = core.tickets.issue("kk")
    ctx, page = new_page(browser, 360, 740, is_mobile=True, has_touch=True)
    try:
        page.goto(live_server.url + mine["status_url"])
        page.wait_for_selector("#updated:not(:empty)")
        assert page.text_content("#number") == mine["number"]
        assert page.text_content("#now-calling") == "Belum ada panggilan"  # not yesterday's last call
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        core.queue.call_next(counter["id"], clerk)
        page.wait_for_selector("body[data-status=called]", timeout=15000)
        assert page.text_content("#message-text") == "Giliran Anda! Silakan menuju Loket 2"

        page.goto(live_server.url + old["status_url"])
        page.wait_for_selector("#updated:not(:empty)")
        msg = page.text_content("#message-text")
        assert "Tiket ini untuk tanggal" in msg and str(yesterday.year) in msg and "ambil nomor baru" in msg
        assert page.is_hidden("#facts") and page.is_hidden(".calling")
        assert page.get_attribute("#message-icon", "href") == "#i-warning"
        screenshot(page, "robust-status-old-ticket")

        resp = page.goto(live_server.url + "/t/ABCDEFGHIJKLMNOP")
        assert resp.status == 404
        assert page.text_content("h1") == "Tiket tidak ditemukan."
        assert "pindai lagi kode QR" in page.text_content("#missing-hint")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        screenshot(page, "robust-status-bad-link")
        assert page.request.get(live_server.url + "/t/ABCDEFGHIJKLMNOP.json").status == 404
    finally:
        ctx.close()


# -- the board -------------------------------------------------------------------------------------
OVERFLOW = """() => { const out = [];
  for (const sec of document.querySelectorAll('main > section')) {
    const b = sec.getBoundingClientRect();
    if (sec.scrollHeight > sec.clientHeight + 1 || sec.scrollWidth > sec.clientWidth + 1) out.push(sec.id);
    for (const li of sec.querySelectorAll('li')) { const r = li.getBoundingClientRect();
      if (r.bottom > b.bottom + 1 || r.right > b.right + 1) out.push(sec.id + ':' + li.textContent); } }
  if (document.documentElement.scrollWidth > innerWidth) out.push('page');
  return out; }"""


def open_board(page, url, w=1920, h=1080):
    page.set_viewport_size({"width": w, "height": h})
    page.goto(url + "/display")
    page.wait_for_function("window.antreanBoard && window.antreanBoard.state().haveState", timeout=15000)


@pytest.fixture
def busy_office(live_server, make_user):
    core = live_server.core
    codes = list(core.sops)
    names = [
        "Loket 1",
        "Loket 2",
        "Loket 3",
        "Loket Pengaduan Masyarakat",
        "Loket 5",
        "Loket Perizinan OSS",
        "Loket 7",
        "Loket 8 Kependudukan",
    ]
    counters = [core.queue.save_counter(ADMIN, name=n, number=i + 1, services=codes) for i, n in enumerate(names)]
    core.set_setting(
        "running_text", "Selamat datang di Kantor Kecamatan Uji. Seluruh layanan tidak dipungut biaya. " * 6, ADMIN
    )
    clerk = make_user(core, "petugas", ["petugas_pelayanan"])
    for code in codes:
        for _ in range(3):
            core.tickets.issue(code)
    return core, counters, clerk


@pytest.mark.parametrize("w, h", [(1920, 1080), (1366, 768)])
def test_board_with_8_lokets_and_20_services_cuts_nothing(page, live_server, busy_office, w, h):
    core, counters, clerk = busy_office
    for c in counters:
        core.queue.call_next(c["id"], clerk)
    for code in core.sops:  # every one of the 20 services has people waiting
        core.tickets.issue(code)
    open_board(page, live_server.url, w, h)
    expect(page.locator("#counter-list li")).to_have_count(8)
    expect(page.locator("#waiting-list li")).to_have_count(20)
    page.wait_for_function("document.fonts.status === 'loaded'")
    assert page.evaluate(OVERFLOW) == [], (
        page.evaluate(OVERFLOW),
        page.evaluate(
            "[document.getElementById('waiting').style.cssText, document.getElementById('waiting-list').style.cssText]"
        ),
    )
    assert page.locator("#now-counter").inner_text() == "Loket 8 Kependudukan"
    ticker = page.evaluate("""() => { const s = getComputedStyle(document.getElementById('ticker-text'));
                                      return [s.animationName, parseFloat(s.animationDuration)]; }""")
    assert ticker[0] == "ticker" and ticker[1] > 60  # long text scrolls, slowly enough to read
    screenshot(page, f"robust-board-8-lokets-{w}x{h}")


def test_board_burst_of_30_calls_does_not_replay_stale_numbers(page, live_server, busy_office):
    core, counters, clerk = busy_office
    open_board(page, live_server.url)
    fast_audio(page)
    three = counters[:3]
    calls = [core.queue.call_next(three[i % 3]["id"], clerk) for i in range(30)]
    seqs = [c["seq"] for c in calls]
    # the whole burst reached the board while the first announcement played at normal speed; from here on
    # the clips play 16x faster (the test is about which calls are heard, not how long each takes)
    page.wait_for_function(f"window.antreanBoard.state().latestSeq >= {seqs[-1]}", timeout=30000)
    set_audio_rate(page, 16)
    page.wait_for_function(
        "window.antreanPlayed.length >= 30 && window.antreanPlayed.every(p => p.ended)", timeout=60000
    )
    played = page.evaluate("window.antreanPlayed")
    assert [p["seq"] for p in played] == seqs  # every call went through the queue…
    heard = [p for p in played if p["via"] != "skipped"]
    assert len(heard) <= 6, heard  # …but the room does not hear 30
    assert {p["seq"] for p in heard} >= set(seqs[-3:])  # the newest call of each loket is heard
    assert all(p["error"] == "superseded" for p in played if p["via"] == "skipped")
    # all are shown: the latest large, the last calls list newest first
    assert page.locator("#now-number").inner_text() == calls[-1]["number"]
    shown = page.locator("#call-list li .num").all_inner_texts()
    assert shown == [c["number"] for c in reversed(calls)][: len(shown)] and len(shown) >= 3
    # a recall plays again
    recall = core.queue.recall(three[0]["id"], clerk)
    page.wait_for_function(f"window.antreanPlayed.some(p => p.seq === {recall['seq']} && p.ended)", timeout=30000)
    assert page.evaluate(f"window.antreanPlayed.find(p => p.seq === {recall['seq']}).via") == "audio"
    # a call that is already a minute old when its turn comes is shown, not announced
    page.evaluate("window.antreanBoard.state().offset += 120000")
    late = core.queue.call_next(counters[4]["id"], clerk)
    page.wait_for_function(f"window.antreanPlayed.some(p => p.seq === {late['seq']} && p.ended)", timeout=30000)
    rec = page.evaluate(f"window.antreanPlayed.find(p => p.seq === {late['seq']})")
    assert (rec["via"], rec["error"]) == ("skipped", "stale")
    assert page.locator("#now-number").inner_text() == late["number"]


def _api(url, path, body=None, token=None):
    req = urllib.request.Request(
        url + path,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_board_reconnects_after_restart_with_calls_made_meanwhile(page, server_process, tmp_path, schema_template):
    from antrean.core import Antrean
    from antrean.kernel.actors import SYSTEM

    inst = tmp_path / "inst"
    inst.mkdir()
    seed_schema({"instance_path": str(inst)}, schema_template)  # a copy of the migrated template
    core = Antrean({"instance_path": str(inst), "start_workers": False})
    core.migrate()
    cid = core.queue.save_counter(ADMIN, name="Loket 2", number=2, services=["kk"])["id"]
    core.users.create(SYSTEM, "petugas", "rahasia123", ["petugas_pelayanan"], "Petugas")
    for _ in range(5):
        core.tickets.issue("kk")
    core.close()
    server = server_process(instance=inst)
    token = _api(server.url, "/api/v1/auth/token", {"username": "petugas", "password": "rahasia123"})["token"]
    open_board(page, server.url)
    page.evaluate("window.notReloaded = true")
    _api(server.url, f"/api/v1/counters/{cid}/call-next", token=token)
    expect(page.locator("#now-number")).to_have_text("C001", timeout=15000)

    server.stop()
    page.wait_for_function("document.body.dataset.connection === 'down'", timeout=15000)
    # calls made while the board is away (another process on the same database)
    other = Antrean({"instance_path": str(inst), "start_workers": False})
    clerk = other.users.authenticate("petugas", "rahasia123")
    missed = [other.queue.call_next(cid, clerk)["number"] for _ in range(2)]
    other.close()
    assert missed == ["C002", "C003"]
    server.start()
    page.wait_for_function("document.body.dataset.connection === 'up'", timeout=30000)
    expect(page.locator("#now-number")).to_have_text("C003", timeout=15000)
    assert page.locator("#call-list li .num").all_inner_texts()[:3] == ["C003", "C002", "C001"]
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#counter-list .num").all_inner_texts() == ["C003"]


# -- issue 8 §4: a long office name on the board, "N menunggu" on the kiosk, readable waiting names ---------
LONG_OFFICE = "Kantor Kecamatan Sukamaju Kabupaten Bandung Barat – Pelayanan Administrasi Terpadu Kecamatan (PATEN)"
LONG_ADDRESS = "Jl. Raya Sukamaju No. 123, Desa Sukamaju, Kecamatan Sukamaju, Kabupaten Bandung Barat, Jawa Barat 40552"
HEADER = """() => { const box = e => e.getBoundingClientRect(), top = box(document.getElementById('top'));
  const clock = document.querySelector('#top .clock'), name = document.getElementById('office-name'),
        addr = document.getElementById('office-address'), c = box(clock), n = box(name), a = box(addr),
        t = document.getElementById('clock-time');
  return {clockInside: c.left >= 0 && c.right <= innerWidth + 0.5 && c.top >= top.top - 0.5 && c.bottom <= top.bottom + 0.5,
          clockCut: t.scrollWidth > t.clientWidth + 1 || box(t).right > innerWidth + 0.5,
          overlap: n.right > c.left + 0.5 || a.right > c.left + 0.5,
          nameCut: name.scrollWidth > name.clientWidth + 1 || n.bottom > top.bottom + 0.5 || a.bottom > top.bottom + 0.5
                   || addr.scrollWidth > addr.clientWidth + 1,
          nameFont: parseFloat(getComputedStyle(name).fontSize)}; }"""


@pytest.mark.parametrize("w, h", [(1920, 1080), (1366, 768)])
def test_board_header_fits_a_long_office_name_and_never_cuts_the_clock(page, live_server, busy_office, w, h):
    core, counters, clerk = busy_office
    core.update_office(ADMIN, name=LONG_OFFICE, address=LONG_ADDRESS)
    for c in counters[:4]:
        core.queue.call_next(c["id"], clerk)
    open_board(page, live_server.url, w, h)
    page.wait_for_function("document.fonts.status === 'loaded'")
    expect(page.locator("#office-name")).to_have_text(LONG_OFFICE)
    header = page.evaluate(HEADER)
    assert not header["clockCut"] and header["clockInside"] and not header["overlap"] and not header["nameCut"], header
    assert header["nameFont"] >= 16, header  # still readable from the waiting room
    assert page.evaluate(OVERFLOW) == []
    screenshot(page, f"robust-board-long-office-{w}x{h}")


def test_board_waiting_names_are_at_least_28px_on_a_1366x768_tv(page, live_server, busy_office):
    """Every service's name in the waiting panel is ≥ 28 px at 1366x768 (read from the back of the room): when
    they do not all fit, the panel shows them a page at a time instead of shrinking the type."""
    core, counters, clerk = busy_office
    open_board(page, live_server.url, 1366, 768)
    expect(page.locator("#waiting-list li")).to_have_count(20)
    page.wait_for_function("document.fonts.status === 'loaded'")
    seen = set()
    for _ in range(20):
        rows = page.evaluate("""() => [...document.querySelectorAll('#waiting-list li')].filter(li => li.offsetParent)
            .map(li => { const n = li.querySelector('.name');
                         return {service: li.dataset.service, font: parseFloat(getComputedStyle(n).fontSize),
                                 cut: n.scrollWidth > n.clientWidth + 1}; })""")
        assert rows and all(r["font"] >= 28 for r in rows), rows
        assert [r for r in rows if r["cut"]] == [], rows
        assert page.evaluate(OVERFLOW) == []
        seen |= {r["service"] for r in rows}
        if len(seen) == 20:
            break
        page.evaluate("window.antreanBoard.nextWaitingPage()")
    assert len(seen) == 20  # every service is shown in turn
    screenshot(page, "robust-board-waiting-1366x768")


@pytest.mark.parametrize("w, h", SIZES)
def test_kiosk_waiting_labels_never_overflow_their_tiles(live_server, browser, w, h):
    core = live_server.core
    for code in core.sops:
        for _ in range(12 if code in ("ktp", "sktm", "akta_kelahiran", "pengaduan") else 1):
            core.tickets.issue(code)
    ctx, page = new_page(browser, w, h)
    try:
        open_kiosk(page, live_server.url)
        bad = page.evaluate("""() => [...document.querySelectorAll('.tile')].flatMap(t => {
            const b = t.getBoundingClientRect();
            return [...t.querySelectorAll('.tile-sub, .tile-name')].filter(s => { const r = s.getBoundingClientRect();
                return r.right > b.right + 0.5 || r.bottom > b.bottom + 0.5 || r.left < b.left - 0.5
                       || s.scrollWidth > s.clientWidth + 1; }).map(s => t.dataset.service + ': ' + s.textContent); })""")
        assert bad == [], (w, h, bad)
        assert page.locator(".tile-sub", has_text="menunggu").count() == 20
        screenshot(page, f"robust-kiosk-waiting-{w}x{h}")
    finally:
        ctx.close()
