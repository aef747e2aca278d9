"""Offline Indonesian voice announcements for the waiting-room display.

A call such as ticket ``A023`` to loket 2 becomes a list of clip tokens::

    chime nomor_antrean a dua puluh tiga silakan_menuju_loket dua

and the clips (``display/clips/<token>.wav``, generated once by
``display/make_clips.py``) are joined on the server into one WAV file.
Nothing here needs the network, a TTS engine or anything beyond the standard
library, so the display keeps talking without internet.

Public API:

* ``number_to_words(n)`` / ``number_to_text(n)``: Indonesian number words (0..999,999; digits beyond).
* ``letter_tokens(letters)``: letters as Indonesians name them (B -> "be").
* ``announcement_tokens(number, counter, template)`` / ``announcement_text(...)``.
* ``ClipLibrary(directory)``: loads the clips, ``join(tokens)`` -> WAV bytes.
* ``Announcer(clip_dir, cache_dir)``: ``audio_for(number, counter)`` -> cached WAV path.
"""

from __future__ import annotations

import array
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import threading
import wave
from pathlib import Path

__all__ = [
    "DEFAULT_TEMPLATE",
    "RECALL_TEMPLATE",
    "DEFAULT_GAP_MS",
    "MAX_NUMBER",
    "MAX_WORDS",
    "MissingClip",
    "ClipFormatError",
    "number_to_words",
    "number_to_text",
    "letter_tokens",
    "parse_ticket",
    "announcement_tokens",
    "announcement_text",
    "ClipLibrary",
    "Announcer",
]

#: Template for a normal call. Bare words are clip tokens; ``{letter}``,
#: ``{number}`` and ``{counter}`` expand to the spoken ticket prefix, ticket
#: number and loket number.
DEFAULT_TEMPLATE = "chime nomor_antrean {letter} {number} silakan_menuju_loket {counter}"
#: Template for calling the same ticket again.
RECALL_TEMPLATE = "chime panggilan_ulang nomor_antrean {letter} {number} silakan_menuju_loket {counter}"

DEFAULT_GAP_MS = 120
#: largest loket number (a counter); ticket numbers have no upper limit (see number_to_words)
MAX_NUMBER = 9999
#: numbers up to this are said in words ("dua belas ribu tiga ratus"); larger ones digit by digit
MAX_WORDS = 999_999

# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

_DIGITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def _below_100(n: int) -> list[str]:
    """Words for 1..99 (0 gives no words: it is silent inside a larger number)."""
    if n == 0:
        return []
    if n < 10:
        return [_DIGITS[n]]
    if n == 10:
        return ["sepuluh"]
    if n == 11:
        return ["sebelas"]
    if n < 20:
        return [_DIGITS[n - 10], "belas"]
    tens, ones = divmod(n, 10)
    return [_DIGITS[tens], "puluh"] + _below_100(ones)


def _scaled(count: int, one_word: str, unit: str) -> list[str]:
    """``count`` hundreds/thousands (1..9): "seratus" / "dua ratus"."""
    if count == 0:
        return []
    if count == 1:
        return [one_word]
    return [_DIGITS[count], unit]


def number_to_words(n: int) -> list[str]:
    """Indonesian words for ``n`` ≥ 0 as a list of clip tokens.

    Up to 999,999 in words (a busy day past 9,999 tickets of one letter is still called properly); beyond
    that, digit by digit (there is no clip for "juta").

    >>> number_to_words(2025), number_to_words(12005)
    (['dua', 'ribu', 'dua', 'puluh', 'lima'], ['dua', 'belas', 'ribu', 'lima'])
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"number must not be negative: {n}")
    if n == 0:
        return ["nol"]
    if n > MAX_WORDS:
        return [_DIGITS[int(d)] for d in str(n)]
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands == 1:
        said_thousands = ["seribu"]
    elif thousands:
        said_thousands = number_to_words(thousands) + ["ribu"]
    else:
        said_thousands = []
    return said_thousands + _scaled(hundreds, "seratus", "ratus") + _below_100(rest)


def number_to_text(n: int) -> str:
    """``number_to_words`` joined by spaces: 23 -> "dua puluh tiga"."""
    return " ".join(number_to_words(n))


# --------------------------------------------------------------------------
# Letters and tickets
# --------------------------------------------------------------------------

_LETTER_NAMES = {
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


def letter_tokens(letter: str) -> list[str]:
    """Clip tokens for a letter (or a short run of letters), as said in Indonesian.

    >>> letter_tokens("B"), letter_tokens("ab")
    (['be'], ['a', 'be'])
    """
    if not isinstance(letter, str) or not letter:
        raise ValueError(f"expected one or more letters A-Z, got {letter!r}")
    tokens = []
    for ch in letter.upper():
        if ch not in _LETTER_NAMES:
            raise ValueError(f"not a letter A-Z: {ch!r} in {letter!r}")
        tokens.append(_LETTER_NAMES[ch])
    return tokens


_TICKET_RE = re.compile(r"([A-Za-z]{0,2})[-\s]?([0-9]{1,9})")


def parse_ticket(number: str) -> tuple[str, int]:
    """Split a ticket like "A023" into ("A", 23).

    The prefix is 0-2 letters (upper-cased), optionally followed by "-" or a
    space; leading zeros of the number are dropped. ValueError otherwise.
    """
    if not isinstance(number, str):
        raise ValueError(f"ticket number must be a string like 'A023', got {number!r}")
    m = _TICKET_RE.fullmatch(number.strip())
    if not m:
        raise ValueError(f"not a ticket number (1-2 letters then digits): {number!r}")
    return m.group(1).upper(), int(m.group(2))


def _counter_value(counter: int | str) -> int:
    if isinstance(counter, bool):
        raise ValueError(f"counter must be a number, got {counter!r}")
    if isinstance(counter, str):
        text = counter.strip()
        if not text.isdecimal():
            raise ValueError(f"counter must be a loket number, got {counter!r}")
        counter = int(text)
    if not isinstance(counter, int):
        raise ValueError(f"counter must be a loket number, got {counter!r}")
    if counter < 0 or counter > MAX_NUMBER:
        raise ValueError(f"counter out of range 0..{MAX_NUMBER}: {counter}")
    return counter


# --------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------

_PLACEHOLDERS = ("letter", "number", "counter")
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")

# How literal template tokens read in the on-screen text (default: "_" -> " ").
_TOKEN_TEXT = {"chime": ""}
# After these parts of a call the on-screen text puts a comma.
_PAUSE_AFTER = {"letter", "number", "panggilan_ulang"}


def _template_parts(template: str) -> list[tuple[str, str]]:
    """Split a template into ("slot", name) and ("token", token) parts."""
    if not isinstance(template, str) or not template.split():
        raise ValueError("template is empty")
    parts = []
    for word in template.split():
        m = _PLACEHOLDER_RE.fullmatch(word)
        if m:
            if m.group(1) not in _PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {word} in template (known: {', '.join(_PLACEHOLDERS)})")
            parts.append(("slot", m.group(1)))
        elif "{" in word or "}" in word:
            raise ValueError(f"bad template word {word!r}: placeholders must stand alone, e.g. '{{number}}'")
        else:
            parts.append(("token", word))
    return parts


def announcement_tokens(number: str, counter: int | str, template: str = DEFAULT_TEMPLATE) -> list[str]:
    """Clip tokens for calling ticket ``number`` to loket ``counter``.

    >>> announcement_tokens("A023", 2)
    ['chime', 'nomor_antrean', 'a', 'dua', 'puluh', 'tiga', 'silakan_menuju_loket', 'dua']
    """
    letters, value = parse_ticket(number)
    slots = {
        "letter": letter_tokens(letters) if letters else [],
        "number": number_to_words(value),
        "counter": number_to_words(_counter_value(counter)),
    }
    tokens: list[str] = []
    for kind, name in _template_parts(template):
        tokens.extend(slots[name] if kind == "slot" else [name])
    return tokens


def announcement_text(number: str, counter: int | str, template: str = DEFAULT_TEMPLATE) -> str:
    """The call as text for the screen.

    >>> announcement_text("A023", 2)
    'Nomor antrean A, dua puluh tiga, silakan menuju loket dua'
    """
    letters, value = parse_ticket(number)
    slots = {
        "letter": letters,
        "number": number_to_text(value),
        "counter": number_to_text(_counter_value(counter)),
    }
    pieces: list[tuple[str, bool]] = []  # (text, comma after)
    for kind, name in _template_parts(template):
        text = slots[name] if kind == "slot" else _TOKEN_TEXT.get(name, name.replace("_", " "))
        if text:
            pieces.append((text, name in _PAUSE_AFTER))
    out = ""
    for i, (text, pause) in enumerate(pieces):
        out += text
        if i < len(pieces) - 1:
            out += ", " if pause else " "
    return out[:1].upper() + out[1:]


# --------------------------------------------------------------------------
# Clips
# --------------------------------------------------------------------------


class MissingClip(LookupError):
    """A token has no clip in the library."""

    def __init__(self, token: str, directory: str | os.PathLike | None = None):
        self.token = token
        self.directory = directory
        where = f" in {directory}" if directory is not None else ""
        super().__init__(f"no audio clip for token {token!r}{where} (run display/make_clips.py?)")


class ClipFormatError(ValueError):
    """Clips are not all mono 16-bit PCM at one sample rate, or unreadable."""


class ClipLibrary:
    """A directory of WAV clips, one per token, all mono 16-bit PCM at one rate.

    Clips are listed by ``manifest.json`` (``{"clips": {token: {"file": ...}}}``)
    when the directory has one, otherwise every ``<token>.wav`` is a clip.
    Everything is read once, at construction; the object is then read-only
    and safe to share between threads.
    """

    SAMPLE_WIDTH = 2
    CHANNELS = 1

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"clip directory not found: {self.directory}")
        manifest_path = self.directory / "manifest.json"
        self.manifest: dict = {}
        if manifest_path.exists():
            self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            files = {token: entry["file"] for token, entry in self.manifest.get("clips", {}).items()}
        else:
            files = {p.stem: p.name for p in sorted(self.directory.glob("*.wav"))}
        if not files:
            raise ClipFormatError(f"no clips in {self.directory}")

        self._frames: dict[str, bytes] = {}
        self.sample_rate: int | None = None
        digest = hashlib.sha256()
        for token in sorted(files):
            path = self.directory / files[token]
            data, rate = self._read_clip(path)
            if self.sample_rate is None:
                self.sample_rate = rate
            elif rate != self.sample_rate:
                raise ClipFormatError(f"{path}: {rate} Hz, but other clips are {self.sample_rate} Hz")
            self._frames[token] = data
            digest.update(token.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
        #: Content hash of all clips: changes whenever any clip changes.
        self.fingerprint = digest.hexdigest()
        #: The manifest's version string, or the fingerprint when there is none.
        self.version = str(self.manifest.get("version") or self.fingerprint[:16])

    @classmethod
    def _read_clip(cls, path: Path) -> tuple[bytes, int]:
        try:
            with wave.open(str(path), "rb") as w:
                if (
                    w.getnchannels() != cls.CHANNELS
                    or w.getsampwidth() != cls.SAMPLE_WIDTH
                    or w.getcomptype() != "NONE"
                ):
                    raise ClipFormatError(
                        f"{path}: need mono 16-bit PCM, got {w.getnchannels()} channel(s), "
                        f"{8 * w.getsampwidth()}-bit, {w.getcomptype()}"
                    )
                return w.readframes(w.getnframes()), w.getframerate()
        except (wave.Error, EOFError) as exc:
            raise ClipFormatError(f"{path}: not a readable WAV file: {exc}") from exc
        except FileNotFoundError as exc:
            raise ClipFormatError(f"{path}: listed in manifest.json but missing") from exc

    # -- lookup -------------------------------------------------------------

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset(self._frames)

    def __contains__(self, token: object) -> bool:
        return token in self._frames

    def frames(self, token: str) -> bytes:
        """Raw little-endian 16-bit samples of one clip."""
        try:
            return self._frames[token]
        except KeyError:
            raise MissingClip(token, self.directory) from None

    def check(self, tokens) -> None:
        """Raise MissingClip for the first token with no clip."""
        for token in tokens:
            if token not in self._frames:
                raise MissingClip(token, self.directory)

    # -- lengths --------------------------------------------------------------

    def gap_frames(self, gap_ms: float) -> int:
        if gap_ms < 0:
            raise ValueError(f"gap_ms must be >= 0, got {gap_ms}")
        return round(self.sample_rate * gap_ms / 1000)

    def nframes(self, tokens, gap_ms: float = DEFAULT_GAP_MS) -> int:
        """Frames of ``join(tokens, gap_ms)``: clips plus one gap between each pair."""
        tokens = list(tokens)
        self.check(tokens)
        clips = sum(len(self._frames[t]) // self.SAMPLE_WIDTH for t in tokens)
        return clips + max(len(tokens) - 1, 0) * self.gap_frames(gap_ms)

    def duration_ms(self, tokens, gap_ms: float = DEFAULT_GAP_MS) -> float:
        """Length in milliseconds of ``join(tokens, gap_ms)``, from the clip lengths."""
        return self.nframes(tokens, gap_ms) * 1000 / self.sample_rate

    # -- joining --------------------------------------------------------------

    def join(self, tokens, gap_ms: float = DEFAULT_GAP_MS, volume: float = 1.0) -> bytes:
        """One WAV file (bytes) of the clips for ``tokens`` with ``gap_ms`` of silence between.

        ``volume`` (0.0-1.0) scales every sample. Raises MissingClip before
        doing any work if a token has no clip.
        """
        tokens = list(tokens)
        if not tokens:
            raise ValueError("nothing to join: no tokens")
        self.check(tokens)
        volume = _check_volume(volume)
        silence = b"\0" * (self.gap_frames(gap_ms) * self.SAMPLE_WIDTH)
        pcm = silence.join(self._frames[t] for t in tokens)
        if volume != 1.0:
            pcm = _scale_pcm16(pcm, volume)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(self.CHANNELS)
            w.setsampwidth(self.SAMPLE_WIDTH)
            w.setframerate(self.sample_rate)
            w.writeframes(pcm)
        return buf.getvalue()


def _check_volume(volume: float) -> float:
    volume = float(volume)
    if not (0.0 <= volume <= 1.0):  # also rejects NaN
        raise ValueError(f"volume must be between 0.0 and 1.0, got {volume}")
    return volume


def _scale_pcm16(pcm: bytes, volume: float) -> bytes:
    """Multiply little-endian 16-bit samples by ``volume`` (<= 1, so no clipping)."""
    samples = array.array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    scaled = array.array("h", [round(s * volume) for s in samples])
    if sys.byteorder == "big":
        scaled.byteswap()
    return scaled.tobytes()


# --------------------------------------------------------------------------
# Announcer
# --------------------------------------------------------------------------


class Announcer:
    """Builds and caches the WAV for each call.

    ``audio_for()`` returns the path of a WAV file in ``cache_dir``, named by
    a sha256 of everything that shapes the sound (tokens, volume, gap and the
    clip library's fingerprint), so a repeated call is only a file read and
    regenerated clips never serve stale audio. Files are written to a temp
    file and moved into place with ``os.replace``, so a reader (another
    thread, or the web server sending the file) never sees a half-written
    file. Safe to share one instance between threads.
    """

    CACHE_FORMAT = 1  # bump if the way files are built changes

    def __init__(self, clip_dir: str | os.PathLike, cache_dir: str | os.PathLike, gap_ms: float = DEFAULT_GAP_MS):
        self.library = ClipLibrary(clip_dir)
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.gap_ms = gap_ms
        self.library.gap_frames(gap_ms)  # validates
        # Striped locks: two threads building the same file wait for each other
        # instead of joining twice; the memory used stays fixed.
        self._locks = [threading.Lock() for _ in range(32)]

    def cache_key(self, tokens, volume: float = 1.0, gap_ms: float | None = None) -> str:
        payload = {
            "format": self.CACHE_FORMAT,
            "tokens": list(tokens),
            "volume": repr(_check_volume(volume)),
            "gap_ms": repr(float(self.gap_ms if gap_ms is None else gap_ms)),
            "library": self.library.fingerprint,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def audio_for(
        self,
        number: str,
        counter: int | str,
        template: str = DEFAULT_TEMPLATE,
        volume: float = 1.0,
        gap_ms: float | None = None,
    ) -> tuple[Path, str]:
        """(path to the WAV for this call, its cache key). Builds it on first use."""
        tokens = announcement_tokens(number, counter, template)
        return self.audio_for_tokens(tokens, volume=volume, gap_ms=gap_ms)

    def audio_for_tokens(self, tokens, volume: float = 1.0, gap_ms: float | None = None) -> tuple[Path, str]:
        """Like ``audio_for`` for an explicit token list (e.g. ["chime"])."""
        gap_ms = self.gap_ms if gap_ms is None else gap_ms
        tokens = list(tokens)
        key = self.cache_key(tokens, volume, gap_ms)
        path = self.cache_dir / f"{key}.wav"
        if path.exists():
            return path, key
        with self._lock_for(key):
            if not path.exists():  # another thread may have built it meanwhile
                self._write_atomic(path, self.library.join(tokens, gap_ms=gap_ms, volume=volume))
        return path, key

    def _lock_for(self, key: str) -> threading.Lock:
        return self._locks[int(key[:8], 16) % len(self._locks)]

    def _write_atomic(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".tmp-", suffix=".wav")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
