"""Tests for display/announcer.py: number words, letters, calls, clip joining, cache."""

import array
import io
import json
import os
import sys
import threading
import wave
from pathlib import Path

import pytest

from display.announcer import (
    RECALL_TEMPLATE,
    Announcer,
    ClipLibrary,
    MissingClip,
    announcement_text,
    announcement_tokens,
    letter_tokens,
    number_to_text,
    number_to_words,
)

ROOT = Path(__file__).resolve().parents[2]
CLIPS = ROOT / "display" / "clips"


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "nol"),
        (1, "satu"),
        (9, "sembilan"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (199, "seratus sembilan puluh sembilan"),
        (200, "dua ratus"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (2025, "dua ribu dua puluh lima"),
        (1010, "seribu sepuluh"),
        (1100, "seribu seratus"),
        (3015, "tiga ribu lima belas"),
        (9999, "sembilan ribu sembilan ratus sembilan puluh sembilan"),
    ],
)
def test_number_to_text(n, expected):
    assert number_to_text(n) == expected
    assert number_to_words(n) == expected.split()


def test_number_tokens_are_clip_names():
    assert number_to_words(23) == ["dua", "puluh", "tiga"]
    assert number_to_words(111) == ["seratus", "sebelas"]


def test_negative_numbers_are_refused():
    with pytest.raises(ValueError):
        number_to_words(-1)


@pytest.mark.parametrize(
    "n, words",
    [
        (10000, "sepuluh ribu"),
        (10001, "sepuluh ribu satu"),
        (11000, "sebelas ribu"),
        (12005, "dua belas ribu lima"),
        (99999, "sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
        (100000, "seratus ribu"),
        (123456, "seratus dua puluh tiga ribu empat ratus lima puluh enam"),
        (999999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
        (1000000, "satu nol nol nol nol nol nol"),
    ],
)
def test_numbers_past_9999_are_said_in_words(n, words):
    """A busy day past 9,999 tickets of one letter is still called properly (beyond 999,999: digit by digit)."""
    assert number_to_text(n) == words
    ClipLibrary(CLIPS).check(number_to_words(n))


def test_ticket_past_9999_is_announced():
    from antrean.services.tickets import format_number

    number = format_number("A", 12005)
    assert number == "A12005"
    assert announcement_tokens(number, 2) == [
        "chime",
        "nomor_antrean",
        "a",
        "dua",
        "belas",
        "ribu",
        "lima",
        "silakan_menuju_loket",
        "dua",
    ]
    assert announcement_text(number, 2) == "Nomor antrean A, dua belas ribu lima, silakan menuju loket dua"


def test_every_number_has_clips():
    library = ClipLibrary(CLIPS)
    for n in range(10000):
        library.check(number_to_words(n))


# --------------------------------------------------------------------------- letters


def test_letters():
    expected = {
        "A": "a",
        "B": "be",
        "C": "ce",
        "D": "de",
        "E": "e",
        "F": "ef",
        "G": "ge",
        "H": "ha",
        "I": "i",
        "J": "je",
        "K": "ka",
        "L": "el",
        "M": "em",
        "N": "en",
        "O": "o",
        "P": "pe",
        "Q": "ki",
        "R": "er",
        "S": "es",
        "T": "te",
        "U": "u",
        "V": "fe",
        "W": "we",
        "X": "eks",
        "Y": "ye",
        "Z": "zet",
    }
    for letter, name in expected.items():
        assert letter_tokens(letter) == [name]
        assert letter_tokens(letter.lower()) == [name]
    assert letter_tokens("AB") == ["a", "be"]
    for bad in ["", "1", "Ä", "-"]:
        with pytest.raises(ValueError):
            letter_tokens(bad)


# --------------------------------------------------------------------------- calls


def test_announcement_tokens_a023():
    assert announcement_tokens("A023", 2) == [
        "chime",
        "nomor_antrean",
        "a",
        "dua",
        "puluh",
        "tiga",
        "silakan_menuju_loket",
        "dua",
    ]


def test_announcement_tokens_variants():
    assert announcement_tokens("b100", "3") == [
        "chime",
        "nomor_antrean",
        "be",
        "seratus",
        "silakan_menuju_loket",
        "tiga",
    ]
    assert announcement_tokens("AB007", 10)[2:4] == ["a", "be"]
    assert announcement_tokens("C000", 1)[3] == "nol"
    assert announcement_tokens("A023", 2, template="{letter} {number} loket {counter}") == [
        "a",
        "dua",
        "puluh",
        "tiga",
        "loket",
        "dua",
    ]
    assert announcement_tokens("A023", 2, RECALL_TEMPLATE)[:3] == ["chime", "panggilan_ulang", "nomor_antrean"]


@pytest.mark.parametrize("ticket", ["", "023A", "ABC1", "A", "A1234567890", "A0.5", "A²"])
def test_bad_ticket(ticket):
    with pytest.raises(ValueError):
        announcement_tokens(ticket, 1)


@pytest.mark.parametrize("template", ["chime {nomor}", "x{number}", ""])
def test_bad_template(template):
    with pytest.raises(ValueError):
        announcement_tokens("A1", 1, template)


def test_bad_counter():
    with pytest.raises(ValueError):
        announcement_tokens("A1", "dua")
    with pytest.raises(ValueError):
        announcement_tokens("A1", -1)


def test_announcement_text():
    assert announcement_text("A023", 2) == "Nomor antrean A, dua puluh tiga, silakan menuju loket dua"
    assert announcement_text("b1", "12") == "Nomor antrean B, satu, silakan menuju loket dua belas"
    assert (
        announcement_text("A023", 2, RECALL_TEMPLATE)
        == "Panggilan ulang, nomor antrean A, dua puluh tiga, silakan menuju loket dua"
    )


# --------------------------------------------------------------------------- clips


def _clip_frames_from_disk(token):
    """Frames and rate of one clip, read straight from the files via manifest.json."""
    manifest = json.loads((CLIPS / "manifest.json").read_text(encoding="utf-8"))
    with wave.open(str(CLIPS / manifest["clips"][token]["file"]), "rb") as w:
        return w.getnframes(), w.getframerate()


def _samples(wav_bytes):
    with wave.open(io.BytesIO(wav_bytes), "rb") as w:
        data = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        data.byteswap()
    return data


def test_manifest_lists_every_needed_token():
    manifest = json.loads((CLIPS / "manifest.json").read_text(encoding="utf-8"))
    needed = {"chime", "nomor_antrean", "silakan_menuju_loket", "loket", "panggilan_ulang"}
    needed |= {letter_tokens(c)[0] for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    needed |= set(number_to_text(n) for n in range(10))
    needed |= {"sepuluh", "sebelas", "belas", "puluh", "ratus", "ribu", "seratus", "seribu"}
    assert needed <= set(manifest["clips"])
    total = sum((CLIPS / c["file"]).stat().st_size for c in manifest["clips"].values())
    assert total < 3 * 1024 * 1024


def test_join_real_clips_gives_valid_wav():
    library = ClipLibrary(CLIPS)
    tokens = announcement_tokens("A023", 2)
    gap_ms = 120
    data = library.join(tokens, gap_ms=gap_ms)

    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    assert int.from_bytes(data[4:8], "little") == len(data) - 8

    clip_frames = [_clip_frames_from_disk(t) for t in tokens]
    rate = clip_frames[0][1]
    expected = sum(n for n, _ in clip_frames) + (len(tokens) - 1) * round(rate * gap_ms / 1000)
    with wave.open(io.BytesIO(data), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        assert w.getnframes() == expected
    assert library.duration_ms(tokens, gap_ms) == pytest.approx(expected * 1000 / rate)


def test_join_without_gap_is_plain_concatenation():
    library = ClipLibrary(CLIPS)
    data = library.join(["dua", "tiga"], gap_ms=0)
    assert _samples(data).tobytes() == library.frames("dua") + library.frames("tiga")


def test_missing_clip():
    library = ClipLibrary(CLIPS)
    with pytest.raises(MissingClip) as exc:
        library.join(["chime", "tidak_ada"])
    assert exc.value.token == "tidak_ada"
    assert "tidak_ada" in str(exc.value)


def test_volume_scaling_lowers_peak():
    library = ClipLibrary(CLIPS)
    loud = max(abs(s) for s in _samples(library.join(["satu"])))
    quiet = max(abs(s) for s in _samples(library.join(["satu"], volume=0.25)))
    assert loud > 10000
    assert quiet == pytest.approx(loud * 0.25, abs=1)
    assert max(abs(s) for s in _samples(library.join(["satu"], volume=0.0))) == 0
    with pytest.raises(ValueError):
        library.join(["satu"], volume=1.5)


def test_clips_are_not_silent():
    library = ClipLibrary(CLIPS)
    for token in library.tokens:
        samples = _samples(library.join([token]))
        rms = (sum(s * s for s in samples) / len(samples)) ** 0.5
        assert rms > 500, token


def test_library_without_manifest(tmp_path):
    for name in ("dua.wav", "tiga.wav"):
        (tmp_path / name).write_bytes((CLIPS / name).read_bytes())
    library = ClipLibrary(tmp_path)
    assert library.tokens == {"dua", "tiga"}


def test_library_rejects_mixed_rates(tmp_path):
    (tmp_path / "dua.wav").write_bytes((CLIPS / "dua.wav").read_bytes())
    with wave.open(str(tmp_path / "x.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 100)
    with pytest.raises(ValueError):
        ClipLibrary(tmp_path)


# --------------------------------------------------------------------------- announcer / cache


def test_audio_for_builds_then_reads_cache(tmp_path, monkeypatch):
    announcer = Announcer(CLIPS, tmp_path / "cache")
    path, key = announcer.audio_for("A023", 2)
    assert Path(path).parent == tmp_path / "cache"
    first = Path(path).read_bytes()
    assert first == announcer.library.join(announcement_tokens("A023", 2))
    mtime = os.stat(path).st_mtime_ns

    def no_join(*args, **kwargs):
        raise AssertionError("join called for a cached call")

    monkeypatch.setattr(announcer.library, "join", no_join)
    again, key2 = announcer.audio_for("A023", 2)
    assert (again, key2) == (path, key)
    assert os.stat(again).st_mtime_ns == mtime

    # a fresh Announcer (e.g. after a restart) finds the same file
    assert Announcer(CLIPS, tmp_path / "cache").audio_for("A023", 2) == (path, key)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"{key}.wav"]


def test_cache_key_depends_on_sound_inputs(tmp_path):
    announcer = Announcer(CLIPS, tmp_path)
    keys = {
        announcer.audio_for("A023", 2)[1],
        announcer.audio_for("A023", 3)[1],
        announcer.audio_for("A023", 2, volume=0.5)[1],
        announcer.audio_for("A023", 2, gap_ms=200)[1],
        announcer.audio_for("A023", 2, template=RECALL_TEMPLATE)[1],
    }
    assert len(keys) == 5
    assert len(list(tmp_path.glob("*.wav"))) == 5


def test_audio_for_threads(tmp_path, monkeypatch):
    announcer = Announcer(CLIPS, tmp_path)
    calls = []
    real_join = announcer.library.join

    def counting_join(*args, **kwargs):
        calls.append(1)
        return real_join(*args, **kwargs)

    monkeypatch.setattr(announcer.library, "join", counting_join)
    results, errors = [], []

    def worker():
        try:
            results.append(announcer.audio_for("B7", 4))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    assert len(calls) == 1
    assert [p.name for p in tmp_path.iterdir()] == [results[0][0].name]  # no temp files left
    with wave.open(str(results[0][0]), "rb") as w:
        assert w.getnframes() > 0


def test_missing_clip_from_announcer(tmp_path):
    announcer = Announcer(CLIPS, tmp_path)
    with pytest.raises(MissingClip):
        announcer.audio_for("A1", 1, template="chime {number} bel_pintu")
    assert list(tmp_path.iterdir()) == []
