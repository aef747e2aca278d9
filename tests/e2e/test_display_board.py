"""The board in a real Chromium (Playwright) against a real server."""

from __future__ import annotations

import pytest

from tests.conftest import FAST_AUDIO_JS, fast_audio, screenshot, seed_schema, set_audio_rate

FHD = {"width": 1920, "height": 1080}


@pytest.fixture
def office(live_server, admin, make_user):
    core = live_server.core
    q = core.queue
    counters = [
        q.save_counter(admin, name="Loket 1", number=1, services=["ektp", "ktp"]),
        q.save_counter(admin, name="Loket 2", number=2, services=["kk", "akta_kelahiran"]),
        q.save_counter(admin, name="Loket 3", number=3, services=["sktm", "ahli_waris"]),
        q.save_counter(admin, name="Loket Pengaduan", number=4, services=["pengaduan"]),
    ]
    core.set_setting(
        "running_text",
        "Selamat datang di Kantor Kecamatan Uji. Seluruh layanan tidak dipungut biaya. "
        "Siapkan dokumen asli dan fotokopi sebelum dipanggil.",
        admin,
    )
    clerk = make_user(core, "petugas", ["petugas_pelayanan"])
    for code in ("ektp", "ktp", "kk", "kk", "kk", "akta_kelahiran", "sktm", "pengaduan", "ktp", "ektp"):
        core.tickets.issue(code)
    return core, counters, clerk


def open_board(page, url):
    page.set_viewport_size(FHD)
    page.goto(url)
    page.wait_for_function("window.antreanBoard && window.antreanBoard.state().haveState", timeout=15000)


def wait_played(page, n):
    page.wait_for_function(
        f"window.antreanPlayed.length >= {n} && window.antreanPlayed.every(p => p.ended)", timeout=60000
    )
    return page.evaluate("window.antreanPlayed")


def test_board_after_three_calls_plays_them_in_order(page, live_server, office):
    core, counters, clerk = office
    open_board(page, live_server.url + "/display")
    assert "idle" in page.locator("#now").get_attribute("class")
    calls = [
        core.queue.call_next(counters[0]["id"], clerk),
        core.queue.call_next(counters[1]["id"], clerk),
        core.queue.call_next(counters[2]["id"], clerk),
    ]
    played = wait_played(page, 3)
    # one after another, in seq order, never overlapping, each from the server's clip audio
    assert [p["seq"] for p in played] == [c["seq"] for c in calls]
    assert [p["number"] for p in played] == ["A001", "C001", "K001"]
    assert all(p["via"] == "audio" for p in played), played
    for before, after in zip(played, played[1:]):
        assert after["started"] >= before["ended"]
    # each plays about as long as its clips (the WAV is ~4-5 s)
    assert all(p["ended"] - p["started"] > 2500 for p in played), played

    assert page.locator("#now-number").inner_text() == "K001"
    assert page.locator("#now-counter").inner_text() == "Loket 3"
    assert page.locator("#call-list li .num").all_inner_texts()[:3] == ["K001", "C001", "A001"]
    nums = dict(
        zip(page.locator("#counter-list .name").all_inner_texts(), page.locator("#counter-list .num").all_inner_texts())
    )
    assert nums == {"Loket 1": "A001", "Loket 2": "C001", "Loket 3": "K001", "Loket Pengaduan": "—"}
    waiting = dict(
        zip(
            page.locator("#waiting-list .name").all_inner_texts(),
            page.locator("#waiting-list .count").all_inner_texts(),
        )
    )
    assert waiting["Perubahan KK"] == "2" and waiting["Rekomendasi KTP"] == "2"
    assert "Seluruh layanan tidak dipungut biaya" in page.locator("#ticker-text").inner_text()
    assert page.locator("#connection").is_hidden()
    date = page.locator("#clock-date").inner_text()
    assert any(day in date for day in ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"))
    assert page.locator("#clock-time").inner_text().endswith("WIB")
    screenshot(page, "display-board-three-calls")

    # a recall plays again, after the others (its length is not under test: played 16x faster)
    fast_audio(page)
    set_audio_rate(page, 16)
    recall = core.queue.recall(counters[1]["id"], clerk)
    played = wait_played(page, 4)
    assert (played[3]["seq"], played[3]["number"], played[3]["kind"]) == (recall["seq"], "C001", "recall")
    assert page.locator("#now-number").inner_text() == "C001"


def test_profile_board_shows_only_its_counters(page, live_server, office):
    core, counters, clerk = office
    page.add_init_script(f"({FAST_AUDIO_JS})(); window.__testAudio.rate = 16;")  # which call is said, not how long
    open_board(page, live_server.url + "/display?counters=2")
    core.queue.call_next(counters[0]["id"], clerk)
    c = core.queue.call_next(counters[1]["id"], clerk)
    played = wait_played(page, 1)
    assert [p["number"] for p in played] == ["C001"]
    assert page.locator("#counter-list .name").all_inner_texts() == ["Loket 2"]
    assert page.evaluate("window.antreanBoard.state().seq") == c["seq"]


def test_disconnected_state_and_recovery(page, server_process, tmp_path, admin, schema_template):
    from antrean.core import Antrean

    inst = tmp_path / "board-inst"
    inst.mkdir()
    seed_schema({"instance_path": str(inst)}, schema_template)  # a copy of the migrated template
    core = Antrean({"instance_path": str(inst), "start_workers": False})
    core.migrate()
    core.queue.save_counter(admin, name="Loket 1", number=1, services=list(core.sops))
    core.close()
    server = server_process(instance=inst)
    open_board(page, server.url + "/display")
    page.wait_for_function("document.body.dataset.connection === 'up'", timeout=15000)
    assert page.locator("#connection").is_hidden()

    server.stop()
    page.wait_for_function("document.body.dataset.connection === 'down'", timeout=15000)
    assert page.locator("#connection").is_visible()
    assert "Koneksi terputus" in page.locator("#connection").inner_text()
    screenshot(page, "display-board-disconnected")

    server.start()
    page.wait_for_function("document.body.dataset.connection === 'up'", timeout=30000)
    assert page.locator("#connection").is_hidden()


def test_a_board_that_loads_just_after_a_call_announces_it_once(page, live_server, office):
    """Trial: a TV switched on (or reloaded) two seconds after a call showed the number but never said it."""
    from datetime import timedelta

    from sqlalchemy import select

    from antrean.kernel.models import Call

    core, counters, clerk = office
    # what is said, and how often, is under test, not how long: the board's audio plays 16x faster from its load
    page.add_init_script(f"({FAST_AUDIO_JS})(); window.__testAudio.rate = 16;")
    old = core.queue.call_next(counters[1]["id"], clerk)
    with core.db.write() as s:  # called a minute ago: shown, not announced on load
        row = s.execute(select(Call).where(Call.seq == old["seq"])).scalar_one()
        row.at -= timedelta(minutes=1)
    fresh = core.queue.call_next(counters[0]["id"], clerk)
    open_board(page, live_server.url + "/display")
    assert page.locator("#now-number").inner_text() == fresh["number"]
    page.evaluate("window.antreanBoard.requestSnapshot()")  # a second snapshot must not replay it
    page.wait_for_function("!window.antreanBoard.queue().length")
    barrier = core.queue.call_next(counters[2]["id"], clerk)  # the next call is heard after it, once
    played = wait_played(page, 2)
    assert [(p["seq"], p["via"]) for p in played] == [(fresh["seq"], "audio"), (barrier["seq"], "audio")], played
    assert old["number"] in page.locator("#call-list").inner_text()  # the old call is on screen all the same


def test_open_board_follows_running_text_loket_and_office_name(page, live_server, office, admin):
    """board.js: a 'refresh' after a configuration change brings the new state, without reload."""
    core, counters, clerk = office
    open_board(page, live_server.url + "/display")
    page.evaluate("window.__marker = 1")  # gone if the page reloads
    core.set_setting("running_text", "Pengumuman baru: loket 5 dibuka.", admin)
    core.queue.save_counter(admin, name="Loket Lima", number=5, services=["kk"])
    core.update_office(admin, name="Kantor Kecamatan Sukamaju")
    page.wait_for_function(
        "document.getElementById('ticker-text').textContent === 'Pengumuman baru: loket 5 dibuka.'", timeout=3000
    )
    page.wait_for_function(
        "document.getElementById('office-name').textContent === 'Kantor Kecamatan Sukamaju'", timeout=3000
    )
    title = page.title()
    assert title.endswith(" \u2013 Kantor Kecamatan Sukamaju"), title  # the browser tab too
    page.wait_for_function(
        "[...document.querySelectorAll('#counter-list .name')].some(e => e.textContent === 'Loket Lima')", timeout=3000
    )
    assert page.evaluate("window.__marker") == 1
    screenshot(page, "board-after-config-change")
    page.reload()
    assert page.title() == title  # the same title a fresh load renders
