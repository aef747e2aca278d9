"""Generate the offline clip library for display/announcer.py.

Run once at development time (the results in display/clips/ are committed,
so the office never needs espeak-ng or the internet)::

    apt-get install -y espeak-ng sox      # if missing
    python display/make_clips.py          # writes display/clips/*.wav + manifest.json

Speech comes from espeak-ng's Indonesian voice (``espeak-ng -v id -s 140``);
sox converts every clip to mono 16-bit PCM at one rate, trims the silence at
both ends, peak-normalises it and adds a few ms of fade so joined clips do not
click. The chime ("ding-dong") is synthesised here with plain math.

The output is deterministic: re-running with the same tools gives the same
files and manifest, so git only sees a change when a clip really changes.
"""

from __future__ import annotations

import argparse
import array
import hashlib
import json
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

GENERATOR_VERSION = 1
DEFAULT_OUT = Path(__file__).resolve().parent / "clips"
DEFAULT_RATE = 22050
VOICE = "id"
SPEED = 140

#: token -> what espeak-ng says for it.
SPEECH = {
    "nomor_antrean": "nomor antrean",
    "silakan_menuju_loket": "silakan menuju loket",
    "panggilan_ulang": "panggilan ulang",
    "loket": "loket",
    # numbers
    "nol": "nol",
    "satu": "satu",
    "dua": "dua",
    "tiga": "tiga",
    "empat": "empat",
    "lima": "lima",
    "enam": "enam",
    "tujuh": "tujuh",
    "delapan": "delapan",
    "sembilan": "sembilan",
    "sepuluh": "sepuluh",
    "sebelas": "sebelas",
    "belas": "belas",
    "puluh": "puluh",
    "ratus": "ratus",
    "ribu": "ribu",
    "seratus": "seratus",
    "seribu": "seribu",
    # letter names (tokens as produced by announcer.letter_tokens)
    "a": "a",
    "be": "be",
    "ce": "ce",
    "de": "de",
    "e": "e",
    "ef": "ef",
    "ge": "ge",
    "ha": "ha",
    "i": "i",
    "je": "je",
    "ka": "ka",
    "el": "el",
    "em": "em",
    "en": "en",
    "o": "o",
    "pe": "pe",
    "ki": "ki",
    "er": "er",
    "es": "es",
    "te": "te",
    "u": "u",
    "fe": "fe",
    "we": "we",
    "eks": "eks",
    "ye": "ye",
    "zet": "zet",
}

# sox effects applied to each spoken clip, after conversion, in two passes
# (sox's fade needs a known length, which the silence effect hides):
#   1. trim silence at the start, reverse, trim again (= the end), reverse
#      back; peak-normalise to -3 dBFS;
#   2. 5 ms fade in / 15 ms fade out so joined clips do not click.
SILENCE_THRESHOLD = "-50d"
TRIM_EFFECTS = [
    "silence",
    "1",
    "0.005",
    SILENCE_THRESHOLD,
    "reverse",
    "silence",
    "1",
    "0.005",
    SILENCE_THRESHOLD,
    "reverse",
    "gain",
    "-n",
    "-3",
]
FADE_EFFECTS = ["fade", "q", "0.005", "-0", "0.015"]

# Plausibility limits checked after generation (speech cannot be heard here).
MIN_MS, MAX_MS = 120, 2500
MIN_RMS_DBFS = -35.0


def require_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing {' and '.join(missing)}: install with  apt-get install -y espeak-ng sox")


def speak(text: str, out: Path, rate: int, workdir: Path) -> None:
    raw, trimmed = workdir / "raw.wav", workdir / "trimmed.wav"
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(SPEED), "-w", str(raw), text], check=True)
    fmt = ["-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer"]
    subprocess.run(["sox", "-R", "-D", str(raw), *fmt, str(trimmed), *TRIM_EFFECTS], check=True)
    subprocess.run(["sox", "-R", "-D", str(trimmed), *fmt, str(out), *FADE_EFFECTS], check=True)


def chime_samples(rate: int, seconds: float = 1.2, peak: float = 0.5) -> list[int]:
    """A soft two-tone "ding-dong" (E5 then C5), bell-like, with a fade-out.

    Each note is a sine with a little 2nd and 3rd harmonic, a 5 ms attack and
    an exponential decay; the whole chime fades to zero over its last 0.35 s.
    """
    notes = [(0.0, 659.25), (0.42, 523.25)]  # (start s, Hz)
    n = int(rate * seconds)
    fade_len = int(rate * 0.35)
    mix = [0.0] * n
    for start, freq in notes:
        first = int(start * rate)
        for i in range(first, n):
            t = (i - first) / rate
            env = min(t / 0.005, 1.0) * math.exp(-t * 3.2)
            w = 2 * math.pi * freq * t
            mix[i] += env * (
                math.sin(w) + 0.3 * math.sin(2 * w) * math.exp(-t * 4) + 0.12 * math.sin(3 * w) * math.exp(-t * 6)
            )
    for j in range(fade_len):
        mix[n - fade_len + j] *= 0.5 * (1 + math.cos(math.pi * j / fade_len))  # raised-cosine fade-out
    top = max(abs(x) for x in mix)
    return [round(x / top * peak * 32767) for x in mix]


def write_pcm16(path: Path, samples: list[int], rate: int) -> None:
    data = array.array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def measure(path: Path) -> dict:
    """Frames, duration, sample rate, RMS and peak (dBFS) of a mono 16-bit clip."""
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2), f"{path}: not mono 16-bit"
        rate, nframes = w.getframerate(), w.getnframes()
        data = array.array("h")
        data.frombytes(w.readframes(nframes))
    if sys.byteorder == "big":
        data.byteswap()
    rms = math.sqrt(sum(s * s for s in data) / max(len(data), 1))
    peak = max((abs(s) for s in data), default=0)

    def dbfs(x: float) -> float:
        return round(20 * math.log10(x / 32768), 1) if x > 0 else float("-inf")

    return {
        "frames": nframes,
        "sample_rate": rate,
        "duration_ms": round(nframes * 1000 / rate, 1),
        "rms_dbfs": dbfs(rms),
        "peak_dbfs": dbfs(peak),
    }


def generate(out_dir: Path, rate: int) -> dict:
    require_tools()
    out_dir.mkdir(parents=True, exist_ok=True)
    clips: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        write_pcm16(out_dir / "chime.wav", chime_samples(rate), rate)
        clips["chime"] = {"file": "chime.wav", "text": None}
        for token, text in SPEECH.items():
            speak(text, out_dir / f"{token}.wav", rate, workdir)
            clips[token] = {"file": f"{token}.wav", "text": text}

    problems = []
    digest = hashlib.sha256()
    for token in sorted(clips):
        path = out_dir / clips[token]["file"]
        info = measure(path)
        if info["sample_rate"] != rate:
            problems.append(f"{token}: {info['sample_rate']} Hz, expected {rate}")
        if not MIN_MS <= info["duration_ms"] <= MAX_MS:
            problems.append(f"{token}: implausible duration {info['duration_ms']} ms")
        if info["rms_dbfs"] < MIN_RMS_DBFS:
            problems.append(f"{token}: too quiet / silent (RMS {info['rms_dbfs']} dBFS)")
        clips[token].update(info)
        digest.update(token.encode() + b"\0" + path.read_bytes())

    # Remove clips left over from an older token list.
    for stale in out_dir.glob("*.wav"):
        if stale.stem not in clips:
            stale.unlink()

    manifest = {
        "version": f"{GENERATOR_VERSION}-{digest.hexdigest()[:12]}",
        "sample_rate": rate,
        "channels": 1,
        "sample_width": 2,
        "generator": f"display/make_clips.py: espeak-ng -v {VOICE} -s {SPEED}, sox; synthesized chime",
        "clips": {token: clips[token] for token in sorted(clips)},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if problems:
        sys.exit("clip check failed:\n  " + "\n  ".join(problems))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help="sample rate in Hz (default %(default)s)")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.rate)
    total = sum((args.out / c["file"]).stat().st_size for c in manifest["clips"].values())
    for token, c in manifest["clips"].items():
        print(f"{token:22} {c['duration_ms']:7.1f} ms  rms {c['rms_dbfs']:6.1f} dBFS  peak {c['peak_dbfs']:5.1f}")
    print(f"{len(manifest['clips'])} clips, {total / 1024:.0f} KiB, version {manifest['version']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
