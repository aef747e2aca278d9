"""Report pages, downloads (XLSX opened with openpyxl, CSV parsed, PDF parsed and rendered), the
summary API, authorization, and the live board's Socket.IO updates."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest

from tests.conftest import need
from tests.integration.test_console import login
from tests.support.report_data import Clock, seed

MARCH = "dari=2026-03-01&sampai=2026-03-31"


@pytest.fixture
def seeded(app, counter, make_user, monkeypatch):
    core = app.extensions["antrean"]
    seed(core, counter, make_user, Clock(monkeypatch))
    make_user(core, "camat", ["camat"], "Drs. Sutrisno, M.Si")
    return core


def test_report_page_has_period_tabs_charts_and_downloads(app, seeded):
    c = app.test_client()
    login(c, "camat")
    html = c.get(f"/console/laporan?{MARCH}").text
    assert "Maret 2026" in html and html.count('<svg class="chart"') >= 3
    assert "Waktu tunggu per jam" in html and "Nomor antrean per layanan" in html
    for fmt in ("xlsx", "csv", "pdf"):
        assert f"format={fmt}" in html
    row = next(r for r in html.split("<tr>") if "Rekomendasi KTP" in r)
    assert ">5<" in row and ">4<" in row and "50%" in row  # issued, served, within standard
    steps = c.get(f"/console/laporan?{MARCH}&tab=langkah").text
    assert "tidak diukur" in steps  # the applicant's own steps
    assert "Surat pengantar RT/RW" in c.get(f"/console/laporan?{MARCH}&tab=dokumen").text
    year = c.get("/console/laporan?tahun=2026&tab=periode").text
    assert "Tahun 2026" in year and "Maret 2026" in year and "April 2026" in year
    assert "Juni 2026" in c.get("/console/laporan?bulan=2026-06").text
    bad = c.get("/console/laporan?dari=2026-03-31&sampai=2026-03-01")
    assert bad.status_code == 422 and "sebelum" in bad.text
    assert c.get("/console/laporan?bulan=2026-13").status_code == 422
    en = c.get(f"/console/laporan?{MARCH}&lang=en").text
    assert "Waiting time by hour" in en


def test_xlsx_has_one_sheet_per_section_with_headers_and_number_formats(app, seeded):
    from openpyxl import load_workbook

    c = app.test_client()
    login(c, "camat")
    r = c.get(f"/console/laporan/unduh?format=xlsx&{MARCH}")
    assert r.status_code == 200
    assert r.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames[:4] == ["Ringkasan", "Per layanan", "Per loket", "Per petugas"]
    assert "Langkah SOP" in wb.sheetnames and "Dokumen kurang" in wb.sheetnames
    ws = wb["Per layanan"]
    head = [cell.value for cell in ws[1]]
    assert head[:2] == ["Kode / Code", "Layanan / Service"]
    row = {h: cell for h, cell in zip(head, ws[2])}
    assert row["Kode / Code"].value == "ktp"
    assert row["Diambil / Issued"].value == 5 and row["Dilayani / Served"].value == 4
    assert row["Tunggu median (mnt) / Wait median (min)"].value == 10.0
    assert row["Tunggu p90 (mnt) / Wait p90 (min)"].value == 21.6
    assert row["Tunggu p90 (mnt) / Wait p90 (min)"].number_format == "0.0"
    assert row["Sesuai standar (%) / Within standard (%)"].value == 50.0
    assert row["Sesuai standar (%) / Within standard (%)"].number_format == '0.0"%"'
    assert ws.freeze_panes == "B2"
    cover = wb["Ringkasan"]
    assert "Maret 2026" in cover["A2"].value and cover["B4"].value == 5
    assert cover["A4"].value == "Nomor antrean diambil / Tickets issued"  # both halves from the catalogs
    assert [c.value for c in wb["IKM"][2]] == ["U1", "Persyaratan", 3.5] and wb["IKM"]["C2"].number_format == "0.00"
    docs = wb["Dokumen kurang"]
    assert [docs["A2"].value, docs["B2"].value] == ["Surat pengantar RT/RW", 2]


def test_csv_is_the_chosen_section(app, seeded):
    c = app.test_client()
    login(c, "camat")
    r = c.get(f"/console/laporan/unduh?format=csv&bagian=jam&{MARCH}")
    assert r.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [(x["label"], x["issued"], x["wait_median_minutes"]) for x in rows] == [
        ("08.00–08.59", "4", "14.0"),
        ("09.00–09.59", "1", "1.0"),
    ]


def test_pdf_has_letterhead_period_and_signature_and_renders(app, seeded, tmp_path):
    from pypdf import PdfReader

    core = seeded
    from antrean.kernel.actors import SYSTEM

    core.set_setting(
        "camat",
        {"name": "Drs. Sutrisno, M.Si", "nip": "19700101 199003 1 001", "rank": "Pembina Tk. I"},
        SYSTEM.__class__(None, "t", frozenset({"admin"})),
    )
    core.set_setting("report_city", "Sukamaju", SYSTEM.__class__(None, "t", frozenset({"admin"})))
    core.set_setting("report_regency", "Pemerintah Kabupaten Bogor", SYSTEM.__class__(None, "t", frozenset({"admin"})))
    c = app.test_client()
    login(c, "camat")
    r = c.get(f"/console/laporan/unduh?format=pdf&{MARCH}")
    assert r.status_code == 200 and r.content_type == "application/pdf" and r.data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(r.data))
    text = " ".join(p.extract_text() for p in reader.pages)
    for expected in (
        "PEMERINTAH KABUPATEN BOGOR",
        "KANTOR KECAMATAN UJI",
        "Jl. Uji No. 1",
        "Maret 2026",
        "Rekomendasi KTP",
        "CAMAT",
        "Drs. Sutrisno, M.Si",
        "NIP. 19700101 199003 1 001",
        "Sukamaju",
        "Surat pengantar RT/RW",
        "Indeks Kepuasan Masyarakat: 87,50",
    ):
        assert expected in text, expected
    fonts = {str(f) for p in reader.pages for f in (p["/Resources"]["/Font"].values())}
    assert fonts  # and every font is embedded (a FontFile2 stream), never looked up on the printing PC
    for p in reader.pages:
        for ref in p["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in desc.get_object()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        need("pdftoppm", "pdftoppm (poppler-utils) not installed: PDF not rendered")
    pdf = tmp_path / "laporan.pdf"
    pdf.write_bytes(r.data)
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(SCREENSHOTS / "report-pdf")], check=True)
    pngs = sorted(SCREENSHOTS.glob("report-pdf*.png"))
    assert pngs and pngs[0].stat().st_size > 20_000  # a page of tables, not a blank


def test_summary_api_rows_in_every_format(app, seeded):
    c = app.test_client()
    tok = c.post("/api/v1/auth/token", json={"username": "camat", "password": "rahasia123"}).json["token"]
    h = {"Authorization": f"Bearer {tok}"}
    r = c.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31", headers=h)
    assert r.status_code == 200
    [row] = r.json["rows"]
    assert {
        k: row[k]
        for k in (
            "service",
            "issued",
            "served",
            "no_show",
            "wait_median_minutes",
            "service_median_minutes",
            "within_standard_pct",
        )
    } == {
        "service": "ktp",
        "issued": 5,
        "served": 4,
        "no_show": 1,
        "wait_median_minutes": 10.0,
        "service_median_minutes": 5.5,
        "within_standard_pct": 50.0,
    }
    r = c.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&format=csv", headers=h)
    assert r.content_type.startswith("text/csv")
    [crow] = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert (crow["service"], crow["issued"], crow["wait_median_minutes"], crow["within_standard_pct"]) == (
        "ktp",
        "5",
        "10.0",
        "50.0",
    )
    r = c.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&format=xlsx", headers=h)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.data))["Per layanan"]
    assert ws["A2"].value == "ktp" and r.content_type.startswith("application/vnd.openxmlformats")
    r = c.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&format=pdf", headers=h)
    assert r.content_type == "application/pdf" and r.data.startswith(b"%PDF")
    for q, code in (
        ("from=2026-02-30", 422),
        ("from=x&to=y", 422),
        ("format=doc", 422),
        ("from=2026-03-31&to=2026-03-01", 422),
    ):
        bad = c.get(f"/api/v1/reports/summary?{q}", headers=h)
        assert bad.status_code == code and bad.json["message"], q
    assert c.get("/api/v1/reports/summary").status_code == 401
    assert c.get("/api/v1/reports/regency", headers=h).status_code == 409  # SQLite: no shared database


def test_non_report_roles_get_403_everywhere(app, seeded):
    c = app.test_client()
    login(c, "loket")
    for url in (
        "/console/laporan",
        "/console/laporan/unduh?format=xlsx",
        "/console/laporan/unduh?format=pdf",
        "/console/laporan/kabupaten",
        "/console/pantau",
        "/console/pantau.json",
        "/api/v1/reports/summary",
        "/api/v1/reports/summary?format=csv",
    ):
        assert c.get(url).status_code == 403, url
    home = c.get("/console/").text
    assert "/console/laporan" not in home


def test_pantau_pushes_an_update_and_the_json_follows(app, seeded, counter):
    core = seeded
    socketio = app.extensions["antrean.socketio"]
    c = app.test_client()
    login(c, "camat")
    page = c.get("/console/pantau")
    assert page.status_code == 200 and "pantau.js" in page.text and "socket.io.min.js" in page.text
    live = socketio.test_client(app, namespace="/console", flask_test_client=c)
    assert live.is_connected("/console")
    live.get_received("/console")
    before = c.get("/console/pantau.json").json
    core.tickets.issue("kk")
    events = [e for e in live.get_received("/console") if e["name"] == "update"]
    assert events and events[0]["args"][0]["event"] == "ticket.issued"
    after = c.get("/console/pantau.json").json
    assert after["waiting_total"] == before["waiting_total"] + 1
    assert {"waiting", "longest_wait_minutes", "counters", "over_standard", "printers", "today", "ikm"} <= set(after)
    # a survey answered today reaches the board too (today's IKM)
    clerk = core.users.get(next(u["id"] for u in core.users.list() if u["username"] == "loket"))
    core.queue.call_next(counter["id"], clerk)
    core.queue.start(counter["id"], clerk)
    ticket = core.queue.finish(counter["id"], clerk)
    live.get_received("/console")
    core.survey.submit(ticket["token"], [4] * 9)
    assert [e["args"][0]["event"] for e in live.get_received("/console")] == ["survey.submitted"]
    assert c.get("/console/pantau.json").json["ikm"]["respondents"] == 1
