"""Ticket layout: golden ESC/POS bytes on a Dummy printer, and decoded content.

Regenerate the golden files after an intended layout change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_ticket_layout.py`` and
review the decoded text in the diff of the test output.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from hardware._escpos import Dummy
from hardware.ticket import (
    PAPER_58,
    PAPER_80,
    PaperProfile,
    TicketPrint,
    format_indonesian_datetime,
    paper_profile,
    printable,
    render_test_page,
    render_ticket,
    with_image_qr,
)
from tests.support.fake_printer import decode_escpos

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
STATUS_URL = "https://antrean.example.go.id/s/A023-7KQ2"
LONG_SERVICE = "Pelayanan Administrasi Kependudukan dan Pencatatan Sipil (KTP-el, KK, Akta Kelahiran)"


def make_ticket(**changes) -> TicketPrint:
    ticket = TicketPrint(
        office_name="Kantor Kecamatan Cibeunying Kaler Kota Bandung",
        office_address="Jl. Cigadung Raya Timur No. 25, Bandung 40191",
        service_name=LONG_SERVICE,
        number="A023",
        priority_label="PRIORITAS \u2013 Lansia",
        issued_at_local=datetime(2026, 11, 25, 9, 14),
        tz_label="WIB",
        waiting_ahead=4,
        estimated_wait_minutes=18,
        standard_minutes=15,
        documents=[
            "Fotokopi KTP-el pemohon",
            "Kartu Keluarga asli dan fotokopi",
            "Surat pengantar RT/RW yang sudah ditandatangani dan distempel oleh Ketua RW",
        ],
        status_url=STATUS_URL,
        footer="Terima kasih. Layanan ini tidak dipungut biaya \u2013 caf\u00e9 \u00b1 gratis",
    )
    return dataclasses.replace(ticket, **changes)


def render(profile: PaperProfile, ticket: TicketPrint | None = None) -> bytes:
    printer = Dummy()
    render_ticket(printer, ticket or make_ticket(), profile)
    return printer.output


@pytest.mark.parametrize("profile", [PAPER_58, PAPER_80], ids=["58mm", "80mm"])
def test_golden_bytes(profile: PaperProfile) -> None:
    data = render(profile)
    golden = GOLDEN / f"ticket_{profile.name}.bin"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(data)
    assert golden.exists(), f"missing {golden}; run with UPDATE_GOLDEN=1"
    expected = golden.read_bytes()
    if data != expected:
        pytest.fail(
            "ticket bytes changed; decoded now:\n"
            + decode_escpos(data).text
            + "\n--- decoded golden:\n"
            + decode_escpos(expected).text
        )


@pytest.mark.parametrize("profile", [PAPER_58, PAPER_80], ids=["58mm", "80mm"])
def test_decoded_content(profile: PaperProfile) -> None:
    decoded = decode_escpos(render(profile))
    text = decoded.text
    flat = " ".join(line.strip() for line in decoded.text_lines)

    number = [line for line in decoded.lines if line.text == "A023"]
    assert len(number) == 1
    big = profile.number_size
    assert (number[0].width, number[0].height, number[0].bold, number[0].align) == (big, big, True, "center")

    office = [line for line in decoded.lines if line.text.startswith("Kantor Kecamatan")][0]
    assert office.bold and office.align == "center"

    assert LONG_SERVICE in flat, "long service name must survive wrapping without being cut"
    assert "Rabu, 25 November 2026 09:14 WIB" in decoded.text_lines
    assert "Menunggu di depan Anda: 4 orang" in flat
    assert "Perkiraan waktu tunggu: \u00b1 18 menit" in flat
    assert "Standar waktu layanan: 15 menit" in flat
    assert "Dokumen yang perlu dibawa:" in decoded.text_lines
    for doc in make_ticket().documents:
        assert f"- {doc}" in flat
    assert "caf\u00e9 \u00b1 gratis" in flat
    assert decoded.qr_payloads == [STATUS_URL]
    assert decoded.raster_images == 0
    assert decoded.cut
    assert decoded.codepages == [0], "exactly one ESC t 0, no automatic code-page switching"

    priority = [line for line in decoded.lines if "PRIORITAS" in line.text]
    assert [(p.text, p.inverted, p.bold) for p in priority] == [(" PRIORITAS - Lansia ", True, True)]
    assert "\u2013" not in text


@pytest.mark.parametrize("profile", [PAPER_58, PAPER_80], ids=["58mm", "80mm"])
def test_every_line_fits_the_paper(profile: PaperProfile) -> None:
    ticket = make_ticket(
        office_name="Kantor Kecamatan " + "Sangat Panjang " * 6,
        documents=["Dokumen_dengan_nama_tanpa_spasi_yang_sangat_panjang_sekali_sampai_melebihi_baris"],
        number="B1234",
    )
    decoded = decode_escpos(render(profile, ticket))
    assert decoded.lines
    for line in decoded.lines:
        assert line.columns <= profile.chars_per_line, line
    flat = "".join(line.text.strip() for line in decoded.lines)
    assert "Dokumen_dengan_nama_tanpa_spasi_yang_sangat_panjang_sekali_sampai_melebihi_baris" in flat
    number = [line for line in decoded.lines if line.text == "B1234"][0]
    assert number.columns <= profile.chars_per_line


def test_58mm_wraps_and_80mm_does_not_need_to() -> None:
    lines58 = decode_escpos(render(PAPER_58)).text_lines
    lines80 = decode_escpos(render(PAPER_80)).text_lines
    assert max(len(line) for line in lines58) <= 32
    assert max(len(line) for line in lines80) <= 48
    assert "Kantor Kecamatan Cibeunying Kaler Kota Bandung" in lines80
    assert "Kantor Kecamatan Cibeunying Kaler Kota Bandung" not in lines58


def test_number_size_on_58mm_is_six() -> None:
    number = [line for line in decode_escpos(render(PAPER_58)).lines if line.text == "A023"][0]
    assert (number.width, number.height) == (6, 6)
    assert b"\x1d!\x55" in render(PAPER_58)  # GS ! with width 6, height 6


def test_plus_minus_and_accents_use_codepage_437() -> None:
    data = render(PAPER_58)
    assert data.startswith(b"\x1b@\x1bt\x00")  # ESC @, ESC t 0 (PC437)
    assert "\u00b1 18".encode("cp437") in data  # 0xF1
    assert "caf\u00e9".encode("cp437") in data  # 0x82


def test_without_priority_or_documents() -> None:
    decoded = decode_escpos(render(PAPER_80, make_ticket(priority_label=None, documents=[])))
    assert not any(line.inverted for line in decoded.lines)
    assert "Dokumen yang perlu dibawa:" not in decoded.text_lines


def test_control_characters_cannot_inject_commands() -> None:
    ticket = make_ticket(office_name="Kantor\x1dV\x00Jahat\x1b@", service_name="KTP\nbaru\t")
    data = render(PAPER_80, ticket)
    assert data.count(b"\x1dV") == 1  # only the real cut at the end
    decoded = decode_escpos(data)
    assert "Kantor V Jahat @" in decoded.text_lines


def test_image_qr_mode_sends_one_raster() -> None:
    decoded = decode_escpos(render(with_image_qr(PAPER_58)))
    assert decoded.qr_payloads == []
    assert decoded.raster_images == 1
    assert decoded.cut
    assert all(line.columns <= 32 for line in decoded.lines)


def test_long_url_qr_module_shrinks_to_fit() -> None:
    url = "https://antrean.example.go.id/status/" + "x" * 300
    data = render(PAPER_58, make_ticket(status_url=url))
    assert decode_escpos(data).qr_payloads == [url]
    size_cmd = b"\x1d(k\x03\x001C"  # GS ( k: set module size
    module = data[data.index(size_cmd) + len(size_cmd)]
    assert 1 <= module < PAPER_58.qr_module


def test_rendering_twice_on_one_printer_reselects_codepage() -> None:
    printer = Dummy()
    render_ticket(printer, make_ticket(), PAPER_58)
    render_ticket(printer, make_ticket(), PAPER_58)
    assert printer.output.count(b"\x1b@\x1bt\x00") == 2


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 25, 9, 14), "Rabu, 25 November 2026 09:14 WIB"),
        (datetime(2024, 8, 17, 7, 5), "Sabtu, 17 Agustus 2024 07:05 WIB"),
        (datetime(2027, 1, 3, 23, 59), "Minggu, 3 Januari 2027 23:59 WIB"),
        (datetime(2026, 3, 2, 0, 0), "Senin, 2 Maret 2026 00:00 WIB"),
        (datetime(2026, 7, 24, 12, 30), "Jumat, 24 Juli 2026 12:30 WIB"),
    ],
)
def test_indonesian_date(when: datetime, expected: str) -> None:
    assert format_indonesian_datetime(when, "WIB") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PRIORITAS \u2013 Lansia", "PRIORITAS - Lansia"),
        ("\u00b1 5 menit", "\u00b1 5 menit"),
        ("Caf\u00e9", "Caf\u00e9"),
        ("\u201cKK\u201d \u2018asli\u2019\u2026", "\"KK\" 'asli'..."),
        ("Gy\u0151r \u0160iauliai", "Gyor Siauliai"),
        ("\u6f22", "?"),
        ("a\x1bb\x00c\u0085d", "a b c d"),
        ("Rp\u00a010.000 \u00d7 2", "Rp 10.000 x 2"),
    ],
)
def test_printable_transliteration(raw: str, expected: str) -> None:
    out = printable(raw)
    assert out == expected
    out.encode("cp437")  # always encodable


def test_paper_profiles() -> None:
    assert (PAPER_58.chars_per_line, PAPER_58.dots) == (32, 384)
    assert (PAPER_80.chars_per_line, PAPER_80.dots) == (48, 576)
    assert paper_profile("58mm") is PAPER_58
    assert paper_profile(80) is PAPER_80
    with pytest.raises(ValueError, match="unknown paper width"):
        paper_profile("76")
    with pytest.raises(ValueError, match="qr_mode"):
        dataclasses.replace(PAPER_58, qr_mode="svg")


@pytest.mark.parametrize("profile", [PAPER_58, PAPER_80], ids=["58mm", "80mm"])
def test_test_page(profile: PaperProfile) -> None:
    printer = Dummy()
    render_test_page(printer, profile, "Loket 1")
    decoded = decode_escpos(printer.output)
    ruler = [line for line in decoded.text_lines if line.startswith("1234567890")][0]
    assert len(ruler) == profile.chars_per_line
    assert all(line.columns <= profile.chars_per_line for line in decoded.lines)
    assert decoded.qr_payloads == ["antrean printer test Loket 1"]
    assert "Loket 1" in decoded.text_lines
    assert decoded.cut


def test_import_leaves_logging_and_stdout_alone() -> None:
    code = (
        "import logging, hardware.printers, hardware.ticket\n"
        "from hardware._escpos import Dummy\n"
        "from hardware.ticket import render_ticket, PAPER_58, with_image_qr\n"
        "import sys; sys.path.insert(0, 'tests/unit'); from test_ticket_layout import make_ticket\n"
        "render_ticket(Dummy(), make_ticket(), with_image_qr(PAPER_58))\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
