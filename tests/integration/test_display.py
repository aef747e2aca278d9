"""The board through Flask's test clients: page, profiles, audio endpoint, Socket.IO namespace /display."""

from __future__ import annotations

import io
import re
import time
import wave
from pathlib import Path

import pytest

from display import announcer as voice
from display.plugin import NAMESPACE, call_rooms


@pytest.fixture
def core(app):
    return app.extensions["antrean"]


@pytest.fixture
def hub(app):
    return app.extensions["antrean.display"]


@pytest.fixture
def counters(core, admin):
    """Loket 1 (e-KTP, KTP), loket 2 (KK), loket 3 (everything)."""
    q = core.queue
    return [
        q.save_counter(admin, name="Loket 1", number=1, services=["ektp", "ktp"]),
        q.save_counter(admin, name="Loket 2", number=2, services=["kk"]),
        q.save_counter(admin, name="Loket Umum", number=3, services=list(core.sops)),
    ]


@pytest.fixture
def clerk(core, make_user):
    return make_user(core, "petugas", ["petugas_pelayanan"])


def board_client(app, **query):
    socketio = app.extensions["antrean.socketio"]
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return socketio.test_client(app, namespace=NAMESPACE, query_string=qs)


def events(sio, name):
    return [e["args"][0] for e in sio.get_received(NAMESPACE) if e["name"] == name]


def received(sio):
    return [(e["name"], e["args"][0]) for e in sio.get_received(NAMESPACE)]


# -- the page --------------------------------------------------------------------------------------
def test_board_page_renders_offline_assets_only(client, app, core, counters):
    assert "display.board" in app.view_functions
    r = client.get("/display")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Kantor Kecamatan Uji" in html and "Nomor antrean" in html and 'lang="id"' in html
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), f"asset not served by the app: {src}"
    for path in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert client.get(path).status_code == 200, path


def test_board_page_english(client, counters):
    html = client.get("/display?lang=en").get_data(as_text=True)
    assert "Now calling" in html and 'lang="en"' in html


def test_board_page_profile_errors_are_clear(client, core, admin, counters):
    r = client.get("/display?profile=lantai9")
    assert r.status_code == 404 and "Profil papan" in r.get_data(as_text=True)
    r = client.get("/display?counters=7")
    assert r.status_code == 404 and "Loket 7 tidak ada" in r.get_data(as_text=True)
    r = client.get("/display?services=sate")
    assert r.status_code == 422 and "Layanan pada profil papan tidak dikenal" in r.get_data(as_text=True)
    r = client.get("/display/state.json?services=sate&lang=en")
    assert r.status_code == 422 and "sate" in r.get_json()["detail"]


def test_named_profile_from_settings_and_url_override(client, core, admin, counters, hub):
    core.set_setting("display_profiles", {"lantai1": {"counters": [1, 2], "services": ["ktp", "kk"]}}, admin)
    hub.forget_settings()
    state = client.get("/display/state.json?profile=lantai1").get_json()
    assert state["profile"] == {"name": "lantai1", "counters": [1, 2], "services": ["ktp", "kk"]}
    assert [c["counter"]["number"] for c in state["counters"]] == [1, 2]
    assert [w["service"] for w in state["waiting"]] == ["ktp", "kk"]
    state = client.get("/display/state.json?profile=lantai1&counters=3").get_json()
    assert state["profile"]["counters"] == [3] and [c["counter"]["number"] for c in state["counters"]] == [3]


def test_media_area_from_folder(app, client, core, counters, hub):
    hub.media_dir.mkdir()
    (hub.media_dir / "promo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (hub.media_dir / "secret.txt").write_text("no")
    html = client.get("/display").get_data(as_text=True)
    assert "with-media" in html and "/display/media/promo.png" in html and "secret.txt" not in html
    assert client.get("/display/media/promo.png").status_code == 200
    assert client.get("/display/media/secret.txt").status_code == 404
    assert client.get("/display/media/..%2Fsecret_key.png").status_code == 404


# -- audio -----------------------------------------------------------------------------------------
def _wav(data: bytes):
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes(), w.readframes(w.getnframes())


def test_audio_is_a_wav_as_long_as_its_clips(client, core, counters, clerk, hub):
    core.tickets.issue("kk")
    call = core.queue.call_next(counters[1]["id"], clerk)
    assert call["number"] == "C001"
    r = client.get("/display/audio/call/C001/2.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    channels, width, rate, frames, _ = _wav(r.data)
    tokens = voice.announcement_tokens("C001", 2)
    assert tokens == ["chime", "nomor_antrean", "ce", "satu", "silakan_menuju_loket", "dua"]
    lib = hub.announcer.library
    assert (channels, width, rate) == (1, 2, lib.sample_rate)
    assert frames == lib.nframes(tokens)
    assert abs(frames * 1000 / rate - lib.duration_ms(tokens)) < 1
    # a recall has its own phrase, and so its own length
    recall = client.get("/display/audio/recall/C001/2.wav")
    assert _wav(recall.data)[3] == lib.nframes(voice.announcement_tokens("C001", 2, voice.RECALL_TEMPLATE))
    # cached: a conditional request gets 304
    assert client.get("/display/audio/call/C001/2.wav", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_audio_only_for_calls_made_today(client, core, counters, clerk):
    core.tickets.issue("kk")
    core.queue.call_next(counters[1]["id"], clerk)
    assert client.get("/display/audio/call/C001/1.wav").status_code == 404  # not this loket
    assert client.get("/display/audio/call/C002/2.wav").status_code == 404  # never called
    assert client.get("/display/audio/shout/C001/2.wav").status_code == 404
    assert client.get("/display/audio/call/c001%3B/2.wav").status_code == 404
    assert list((Path(core.settings.instance_path) / "display-audio").glob("*.wav")), (
        "the call's audio is built when the call is made"
    )


def test_volume_and_template_settings(client, core, admin, counters, clerk, hub):
    core.tickets.issue("kk")
    core.queue.call_next(counters[1]["id"], clerk)
    loud = _wav(client.get("/display/audio/call/C001/2.wav").data)
    core.set_setting("display_volume", 0.5, admin)
    core.set_setting("display_template", "chime {letter} {number} loket {counter}", admin)
    hub.forget_settings()
    quiet = _wav(client.get("/display/audio/call/C001/2.wav").data)
    tokens = ["chime", "ce", "satu", "loket", "dua"]
    assert quiet[3] == hub.announcer.library.nframes(tokens)
    peak = lambda pcm: max(abs(int.from_bytes(pcm[i : i + 2], "little", signed=True)) for i in range(0, len(pcm), 2))
    assert peak(quiet[4]) <= peak(loud[4]) * 0.5 + 1
    assert hub.text("call", "C001", 2) == "C, satu, loket dua"
    # an unusable template (no clip for a word) falls back to the default, with a precise log line
    core.set_setting("display_template", "chime mohon_maaf {number}", admin)
    hub.forget_settings()
    assert hub.template("call") == voice.DEFAULT_TEMPLATE


# -- Socket.IO -------------------------------------------------------------------------------------
def test_snapshot_on_connect(app, core, counters, clerk, admin, hub):
    core.set_setting("running_text", "Pelayanan gratis, tidak dipungut biaya.", admin)
    core.tickets.issue("ktp")
    core.tickets.issue("kk")
    call = core.queue.call_next(counters[0]["id"], clerk)
    sio = board_client(app)
    assert sio.is_connected(NAMESPACE)
    [state] = events(sio, "state")
    assert state["seq"] == call["seq"]
    assert state["running_text"] == "Pelayanan gratis, tidak dipungut biaya."
    assert state["calls"][0]["number"] == "B001" and state["calls"][0]["audio"] == "/display/audio/call/B001/1.wav"
    assert {c["counter"]["number"]: c["number"] for c in state["counters"]} == {1: "B001", 2: None, 3: None}
    assert {w["service"]: w["waiting"] for w in state["waiting"]}["kk"] == 1
    assert state["office"]["name"] == "Kantor Kecamatan Uji"
    sio.emit("snapshot", namespace=NAMESPACE)
    assert events(sio, "state")[0]["seq"] == call["seq"]


def test_calls_in_order_without_personal_data(app, core, counters, clerk):
    sio = board_client(app)
    sio.get_received(NAMESPACE)
    for _ in range(3):
        core.tickets.issue("kk", priority="disabilitas")
    seqs = [core.queue.call_next(counters[1]["id"], clerk)["seq"] for _ in range(3)]
    calls = events(sio, "called")
    assert [c["seq"] for c in calls] == seqs == sorted(seqs)
    assert [c["number"] for c in calls] == ["C001", "C002", "C003"]
    first = calls[0]
    assert first["text"] == "Nomor antrean C, satu, silakan menuju loket dua"
    assert first["counter"] == {"id": counters[1]["id"], "name": "Loket 2", "number": 2}
    assert set(first) == {
        "seq",
        "kind",
        "at",
        "number",
        "letter",
        "service",
        "service_name",
        "counter",
        "text",
        "audio",
        "waiting",
    }
    assert [c["waiting"] for c in calls] == [{"kk": 2}, {"kk": 1}, {}]  # the counts ride along: one message a call


def test_recall_is_a_new_event(app, core, counters, clerk):
    core.tickets.issue("kk")
    sio = board_client(app)
    core.queue.call_next(counters[1]["id"], clerk)
    core.queue.recall(counters[1]["id"], clerk)
    calls = events(sio, "called")
    assert [(c["number"], c["kind"]) for c in calls] == [("C001", "call"), ("C001", "recall")]
    assert calls[1]["audio"] == "/display/audio/recall/C001/2.wav" and calls[1]["seq"] > calls[0]["seq"]
    assert calls[1]["text"].startswith("Panggilan ulang")


def test_profiles_use_rooms(app, core, counters, clerk):
    """A board for loket 1 gets loket 1's calls, and only a seq tick for the others."""
    loket1 = board_client(app, counters="1")
    kk = board_client(app, services="kk")
    pair = board_client(app, counters="3", services="ktp")
    everything = board_client(app)
    for c in (loket1, kk, pair, everything):
        c.get_received(NAMESPACE)
    core.tickets.issue("kk")
    core.tickets.issue("ktp")
    core.tickets.issue("ktp")
    a = core.queue.call_next(counters[1]["id"], clerk)  # C001 -> loket 2
    b = core.queue.call_next(counters[0]["id"], clerk)  # B001 -> loket 1
    c = core.queue.call_next(counters[2]["id"], clerk)  # B002 -> loket 3
    got = {name: received(sio) for name, sio in (("loket1", loket1), ("kk", kk), ("pair", pair), ("all", everything))}
    called = {name: [e["number"] for n, e in evs if n == "called"] for name, evs in got.items()}
    assert called == {"loket1": ["B001"], "kk": ["C001"], "pair": ["B002"], "all": ["C001", "B001", "B002"]}
    # filtered boards see every seq (to notice a gap), after the call itself; the unfiltered one needs no ticks
    seqs = [a["seq"], b["seq"], c["seq"]]
    assert seqs == sorted(seqs)
    for name in ("loket1", "kk", "pair"):
        assert [e["seq"] for n, e in got[name] if n == "tick"] == seqs
        order = [(n, e["seq"]) for n, e in got[name] if n in ("tick", "called")]
        mine = next(e["seq"] for n, e in got[name] if n == "called")
        assert order.index(("called", mine)) < order.index(("tick", mine))
    assert [n for n, _ in got["all"] if n == "tick"] == []
    assert call_rooms(7, "kk") == ["all", "c:7", "s:kk", "cs:7:kk"]


def test_unknown_profile_is_refused(app, counters):
    sio = board_client(app, profile="tidak_ada")
    assert not sio.is_connected(NAMESPACE)


def wait_for_event(sio, name, timeout=5.0):
    """Collect received events until one called ``name`` arrives (the waiting broadcast is coalesced)."""
    import threading

    got, tick, deadline = [], threading.Event(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        got += [(p["name"], p["args"][0] if p["args"] else None) for p in sio.get_received(NAMESPACE)]
        if any(n == name for n, _ in got):
            return [e for n, e in got if n == name]
        tick.wait(0.02)
    raise AssertionError(f"no {name!r} event within {timeout}s; got {got}")


def test_waiting_and_counter_updates(app, core, counters, clerk):
    sio = board_client(app)
    sio.get_received(NAMESPACE)
    for _ in range(5):  # a burst of tickets gives one coalesced broadcast with the final count
        core.tickets.issue("kk")
    assert wait_for_event(sio, "waiting") == [{"counts": {"kk": 5}}]
    for _ in range(4):
        core.queue.call_next(counters[1]["id"], clerk)
    sio.get_received(NAMESPACE)
    core.queue.call_next(counters[1]["id"], clerk)
    got = received(sio)
    assert [n for n, _ in got] == ["called"] and got[0][1]["waiting"] == {}
    core.queue.start(counters[1]["id"], clerk)
    sio.get_received(NAMESPACE)
    core.queue.finish(counters[1]["id"], clerk)
    got = dict(received(sio))
    rows = {r["counter"]["number"]: r["number"] for r in got["counters"]["counters"]}
    assert rows[2] is None
