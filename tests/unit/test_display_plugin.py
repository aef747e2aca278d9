"""display/plugin.py without a server: profile rooms, templates, settings."""

from __future__ import annotations

import logging

import pytest

from display import announcer as voice
from display.plugin import Profile, call_rooms, template_problem


@pytest.mark.parametrize(
    "profile, rooms",
    [
        (Profile(), ["all"]),
        (Profile(counter_ids=(1, 2)), ["c:1", "c:2", "ticks"]),
        (Profile(services=("ktp", "kk")), ["s:ktp", "s:kk", "ticks"]),
        (Profile(counter_ids=(3,), services=("ktp", "kk")), ["cs:3:ktp", "cs:3:kk", "ticks"]),
    ],
)
def test_profile_rooms(profile, rooms):
    assert profile.rooms() == rooms
    assert profile.filtered == (rooms != ["all"])


@pytest.mark.parametrize(
    "counter, service, profile, gets",
    [
        (1, "ktp", Profile(), True),
        (1, "ktp", Profile(counter_ids=(1,)), True),
        (2, "ktp", Profile(counter_ids=(1,)), False),
        (2, "ktp", Profile(services=("ktp",)), True),
        (2, "kk", Profile(services=("ktp",)), False),
        (3, "ktp", Profile(counter_ids=(3,), services=("ktp",)), True),
        (3, "kk", Profile(counter_ids=(3,), services=("ktp",)), False),
        (4, "ktp", Profile(counter_ids=(3,), services=("ktp",)), False),
    ],
)
def test_a_call_reaches_exactly_the_matching_boards(counter, service, profile, gets):
    assert bool(set(call_rooms(counter, service)) & set(profile.rooms())) is gets


def test_template_problems():
    ann = None
    assert template_problem(voice.DEFAULT_TEMPLATE, ann) is None
    assert "unknown placeholder" in template_problem("chime {nomor}", ann)
    assert template_problem(42, ann) == "not a string"


@pytest.fixture
def hub(app):
    return app.extensions["antrean.display"]


def test_missing_clip_in_template_is_reported(hub):
    assert "mohon_maaf" in template_problem("chime mohon_maaf {number}", hub.announcer)


@pytest.mark.parametrize("raw, volume", [(1, 1.0), (0.25, 0.25), ("0.5", 0.5), (80, 0.8), ("keras", 1.0), (-1, 1.0)])
def test_volume_setting(hub, admin, raw, volume, caplog):
    hub.core.set_setting("display_volume", raw, admin)
    hub.forget_settings()
    with caplog.at_level(logging.ERROR, logger="display.plugin"):
        assert hub.volume() == volume
    assert bool(caplog.records) is (raw in ("keras", -1))


def test_public_call_hides_ticket_identity(hub):
    call = {
        "seq": 5,
        "kind": "call",
        "at": "2025-01-06T01:00:00Z",
        "ticket_id": 9,
        "number": "B012",
        "letter": "B",
        "service": "ktp",
        "service_name": "Rekomendasi KTP",
        "priority": "disabilitas",
        "recalls": 0,
        "counter": {"id": 1, "name": "Loket 1", "number": 1},
    }
    out = hub.public_call(call)
    assert "ticket_id" not in out and "priority" not in out
    assert out["text"] == "Nomor antrean B, dua belas, silakan menuju loket satu"
    assert out["audio"] == "/display/audio/call/B012/1.wav"
