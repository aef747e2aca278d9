"""Queue ticket layout, written as ESC/POS to any python-escpos printer object.

Decisions, in short:

* **Code page.**  Every job selects code page 0 (PC437) with ``ESC t 0`` and
  all text is transliterated to characters PC437 can print before it is
  sent (:func:`printable`).  PC437 is the power-on default of nearly every
  cheap ESC/POS printer, and python-escpos' automatic code-page switching
  would otherwise jump to pages (e.g. 16 = WPC1252 for an en dash) that many
  clones do not have, which prints garbage.  "±" and "é" exist in PC437 and
  print as themselves; typographic dashes/quotes become ASCII; accented
  letters PC437 lacks lose their accent; anything else becomes "?".  Control
  characters in the data are replaced by spaces, so a name taken from the
  database can never inject printer commands.
* **QR code.**  Native ``GS ( k`` QR (model 2, error correction M) by default:
  it is a few dozen bytes instead of a ~10 KB raster image, it prints sharp at
  any module size, and the Epson-compatible firmware of the common cheap
  printers (Xprinter, Epson TM-T82/T20, most 80 mm clones and current 58 mm
  models) supports it; it also lets tests read the payload back from the bytes.
  Some old 58 mm firmware (early ZJ-5890/"POS-58" clones) ignores ``GS ( k``;
  for those set ``qr_mode="image"`` in the :class:`PaperProfile`, which sends
  the QR as a ``GS v 0`` raster image that every ESC/POS printer understands.
* **Text size.**  Sizes are always sent explicitly with ``GS !`` (python-escpos
  ``set(custom_size=True, ...)``), because python-escpos 3.x ``set()`` only
  sends what it is given, and ``ESC !`` alone does not reliably reset ``GS !``.
"""

from __future__ import annotations

import dataclasses
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import qrcode
from PIL import Image

from antrean.kernel.timeutil import tanggal
from hardware._escpos import Escpos, EscposImage

__all__ = [
    "PAPER_58",
    "PAPER_80",
    "PaperProfile",
    "TicketPrint",
    "format_indonesian_datetime",
    "paper_profile",
    "printable",
    "render_test_page",
    "render_ticket",
    "with_image_qr",
    "wrap",
]

# Font A is 12 dots wide; GS ! multiplies it.
FONT_A_DOTS = 12

# Code pages we can transliterate for: ESC/POS name -> Python codec.
_CODECS = {"CP437": "cp437", "CP850": "cp850", "CP858": "cp858"}


@dataclass(frozen=True)
class PaperProfile:
    """Paper width and what fits on it (font A)."""

    name: str
    width_mm: int
    chars_per_line: int
    dots: int
    number_size: int  # preferred GS ! multiplier for the queue number (1-8)
    qr_module: int  # dots per QR module (native QR "size", 1-16)
    qr_mode: str = "native"  # "native" (GS ( k) or "image" (GS v 0 raster)
    codepage: str = "CP437"

    def __post_init__(self) -> None:
        if self.qr_mode not in ("native", "image"):
            raise ValueError(f"qr_mode must be 'native' or 'image', not {self.qr_mode!r}")
        if self.codepage not in _CODECS:
            raise ValueError(f"codepage must be one of {sorted(_CODECS)}, not {self.codepage!r}")
        if not 1 <= self.number_size <= 8:
            raise ValueError("number_size must be 1-8")
        if not 1 <= self.qr_module <= 16:
            raise ValueError("qr_module must be 1-16")


PAPER_58 = PaperProfile("58mm", 58, chars_per_line=32, dots=384, number_size=6, qr_module=6)
PAPER_80 = PaperProfile("80mm", 80, chars_per_line=48, dots=576, number_size=8, qr_module=8)
_PAPERS = {"58": PAPER_58, "58mm": PAPER_58, "80": PAPER_80, "80mm": PAPER_80}


def paper_profile(name: str | int) -> PaperProfile:
    """Return the profile for "58", "58mm", 58, "80", "80mm" or 80."""
    key = str(name).strip().lower()
    try:
        return _PAPERS[key]
    except KeyError:
        raise ValueError(f"unknown paper width {name!r}; expected 58 or 80") from None


@dataclass
class TicketPrint:
    """Everything printed on a queue ticket, already formatted for the office."""

    office_name: str
    office_address: str
    service_name: str
    number: str
    priority_label: str | None
    issued_at_local: datetime
    tz_label: str
    waiting_ahead: int
    estimated_wait_minutes: int
    standard_minutes: int
    documents: list[str] = field(default_factory=list)
    status_url: str = ""
    footer: str = ""


# --- text helpers -----------------------------------------------------------


def format_indonesian_datetime(dt: datetime, tz_label: str) -> str:
    """``Rabu, 25 November 2026 09:14 WIB`` without relying on the OS locale."""
    return f"{tanggal(dt)} {dt.hour:02d}:{dt.minute:02d} {tz_label}".rstrip()


# Typographic characters that PC437/850 lack, mapped to what reads the same.
_TRANSLIT = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2026": "...",
    "\u2022": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u00d7": "x",
    "\u20ac": "EUR",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2122": "TM",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
}


def printable(text: str, codepage: str = "CP437") -> str:
    """Transliterate ``text`` to characters the printer code page can print.

    The result encodes losslessly with the code page's Python codec.
    Control characters (ESC, GS, tabs, newlines ...) become spaces.
    """
    if text.isascii() and text.isprintable():  # the common case: nothing to change
        return text
    codec = _CODECS[codepage]
    out: list[str] = []
    for ch in text:
        if ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0:
            out.append(" ")
            continue
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        if _encodes(ch, codec):
            out.append(ch)
            continue
        # Strip accents: "ő" -> "o" + combining mark -> "o".
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", ch)
            if not unicodedata.combining(c) and _encodes(c, codec) and ord(c) >= 0x20
        )
        out.append(base or "?")
    return "".join(out)


def _encodes(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def wrap(text: str, width: int, *, indent: str = "", subsequent_indent: str = "") -> list[str]:
    """Word-wrap to ``width`` columns; words longer than a line are split, never cut."""
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=subsequent_indent,
        break_long_words=True,
        break_on_hyphens=False,
    )
    return lines or [""]


# --- ESC/POS writing ----------------------------------------------------------


class _Writer:
    """Small layer over a python-escpos printer: explicit styles, wrapped text."""

    def __init__(self, printer: Escpos, profile: PaperProfile) -> None:
        self.p = printer
        self.profile = profile

    def begin(self) -> None:
        self.p.hw("INIT")  # ESC @: clear buffer and modes (code page back to 0)
        # ESC t n, and no automatic code-page switching.  python-escpos only
        # emits ESC t when it believes the page changes; after ESC @ the
        # printer is back on page 0, so make it forget what it sent before.
        self.p.magic.encoding = None
        self.p.charcode(self.profile.codepage)

    def style(
        self, *, align: str = "left", bold: bool = False, invert: bool = False, width: int = 1, height: int = 1
    ) -> None:
        self.p.set(
            align=align, font="a", bold=bold, underline=0, invert=invert, custom_size=True, width=width, height=height
        )

    def columns(self, width: int = 1) -> int:
        return self.profile.chars_per_line // width

    def para(
        self, text: str, *, width: int = 1, indent: str = "", subsequent_indent: str = "", pad: bool = False
    ) -> None:
        """Print ``text`` word-wrapped; ``pad`` adds a space each side (for inverted text)."""
        clean = printable(text, self.profile.codepage)
        columns = self.columns(width) - (2 if pad else 0)
        for line in wrap(clean, columns, indent=indent, subsequent_indent=subsequent_indent):
            self.p.text(f" {line} \n" if pad else line + "\n")

    def rule(self) -> None:
        self.style()
        self.p.text("-" * self.profile.chars_per_line + "\n")

    def qr(self, payload: str) -> None:
        self.style(align="center")
        if self.profile.qr_mode == "native":
            # GS ( k honours ESC a (centre); python-escpos' own centre flag is
            # image-only, hence center=False here.
            self.p.qr(payload, ec=_QR_EC_M, size=self._qr_module_size(payload), native=True)
            self.p.text("\n")
        else:
            self._qr_image(payload)

    def _qr_module_size(self, payload: str) -> int:
        """Profile module size, shrunk when a long payload would not fit the paper."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(payload)
        # Only the symbol size is needed: best_fit() picks the version without
        # building the matrix and scoring the 8 mask patterns (make() would,
        # ~25 ms in pure Python; the printer draws the native QR itself).
        modules = code.best_fit() * 4 + 17
        quiet = 8  # 4-module quiet zone each side
        return max(1, min(self.profile.qr_module, self.profile.dots // (modules + quiet)))

    def _qr_image(self, payload: str) -> None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=1)
        code.add_data(payload)
        code.make(fit=True)
        modules = code.modules_count + 2 * code.border
        box = max(1, min(self.profile.qr_module, self.profile.dots // modules))
        code.box_size = box
        img = code.make_image().get_image().convert("1")
        # Centre by padding to the full paper width, and send GS v 0 ourselves:
        # python-escpos' image() prints a warning to stdout whenever its
        # printer profile has no media width (the default profile has none).
        canvas = Image.new("1", (self.profile.dots, img.height), 1)
        canvas.paste(img, ((self.profile.dots - img.width) // 2, 0))
        raster = EscposImage(canvas)
        header = b"\x1dv0\x00" + raster.width_bytes.to_bytes(2, "little") + raster.height.to_bytes(2, "little")
        self.p._raw(header + raster.to_raster_format())

    def finish(self) -> None:
        self.style()
        self.p.cut()  # feeds 6 lines (ESC d 6), then GS V 0


_QR_EC_M = 1  # escpos.constants.QR_ECLEVEL_M


def _number_size(profile: PaperProfile, number: str) -> int:
    """Largest GS ! multiplier up to the profile's preference that fits on one line."""
    fits = profile.dots // (FONT_A_DOTS * max(1, len(number)))
    return max(1, min(profile.number_size, fits))


def render_ticket(printer: Escpos, ticket: TicketPrint, profile: PaperProfile) -> None:
    """Write one queue ticket to ``printer`` (does not open or close it)."""
    w = _Writer(printer, profile)
    w.begin()

    w.style(align="center", bold=True, height=2)
    w.para(ticket.office_name)
    w.style(align="center")
    w.para(ticket.office_address)
    w.rule()

    w.style(align="center", bold=True, height=2)
    w.para(ticket.service_name)
    w.style(align="center")
    w.para("Nomor Antrean")
    size = _number_size(profile, ticket.number)
    w.style(align="center", bold=True, width=size, height=size)
    w.para(ticket.number, width=size)
    if ticket.priority_label:
        w.style(align="center", bold=True, invert=True)
        w.para(ticket.priority_label, pad=True)
    w.style(align="center")
    w.para(format_indonesian_datetime(ticket.issued_at_local, ticket.tz_label))
    w.rule()

    w.style()
    w.para(f"Menunggu di depan Anda: {ticket.waiting_ahead} orang")
    w.para(f"Perkiraan waktu tunggu: \u00b1 {ticket.estimated_wait_minutes} menit")
    w.para(f"Standar waktu layanan: {ticket.standard_minutes} menit")
    if ticket.documents:
        w.style(bold=True)
        w.para("Dokumen yang perlu dibawa:")
        w.style()
        for doc in ticket.documents:
            w.para(doc, indent="- ", subsequent_indent="  ")
    w.rule()

    if ticket.status_url:
        w.style(align="center")
        w.para("Pindai untuk cek status antrean:")
        w.qr(ticket.status_url)
    if ticket.footer:
        w.style(align="center")
        w.para(ticket.footer)
    w.finish()


def render_test_page(printer: Escpos, profile: PaperProfile, name: str) -> None:
    """Test page for ``antrean printer test``: width ruler, sizes, code page, QR, cut."""
    w = _Writer(printer, profile)
    w.begin()
    w.style(align="center", bold=True, height=2)
    w.para("TES PRINTER ANTREAN")
    w.style(align="center")
    w.para(name)
    w.para(f"Kertas {profile.name}: {profile.chars_per_line} karakter, {profile.dots} titik")
    w.rule()
    w.style()
    digits = "1234567890" * (profile.chars_per_line // 10 + 1)
    w.para(digits[: profile.chars_per_line])
    w.para("Baris di atas harus pas satu baris penuh.")
    w.para("Karakter khusus: \u00b1 \u00e9 \u2013 \u201cok\u201d")
    w.para("Huruf tebal:")
    w.style(bold=True)
    w.para("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789")
    size = _number_size(profile, "A000")
    w.style(align="center", bold=True, width=size, height=size)
    w.para("A000", width=size)
    w.style(align="center", bold=True, invert=True)
    w.para("PRIORITAS", pad=True)
    w.qr(f"antrean printer test {name}")
    w.style(align="center")
    w.para("Jika QR di atas terbaca, printer siap.")
    w.finish()


def with_image_qr(profile: PaperProfile) -> PaperProfile:
    """The same paper, with the QR code sent as a raster image (old firmware)."""
    return dataclasses.replace(profile, qr_mode="image")
