"""The report as files: XLSX (one sheet per section), CSV (one section) and a PDF to sign.

Input is the dict of :meth:`antrean.services.reports.ReportService.summary`; no SQL here. Column
headings are Indonesian with the English beside them ("Layanan / Service").
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from antrean.kernel import i18n
from antrean.kernel.i18n import N_
from antrean.kernel.timeutil import BULAN

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
    from reportlab.platypus import Flowable

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

# column: (key, label: a message id of the catalogs, kind) — kind: text | int | min | pct
_WAIT = [
    ("wait_mean_minutes", N_("Tunggu rata-rata (mnt)"), "min"),
    ("wait_median_minutes", N_("Tunggu median (mnt)"), "min"),
    ("wait_p90_minutes", N_("Tunggu p90 (mnt)"), "min"),
]
_SERVE = [
    ("service_mean_minutes", N_("Layan rata-rata (mnt)"), "min"),
    ("service_median_minutes", N_("Layan median (mnt)"), "min"),
    ("service_p90_minutes", N_("Layan p90 (mnt)"), "min"),
]
_OUT = [
    ("issued", N_("Diambil"), "int"),
    ("served", N_("Dilayani"), "int"),
    ("no_show", N_("Tidak hadir"), "int"),
    ("transferred", N_("Dialihkan"), "int"),
    ("expired", N_("Kedaluwarsa"), "int"),
]
_APPS = [
    ("applications_done", N_("Permohonan selesai"), "int"),
    ("applications_returned", N_("Dikembalikan (TMS)"), "int"),
    ("within_standard_pct", N_("Sesuai standar (%)"), "pct"),
]
_IKM = [("ikm", N_("IKM"), "nrr"), ("ikm_respondents", N_("Responden SKM"), "int")]

#: section -> (title: a message id of the catalogs, columns); translated where shown
SECTIONS: dict[str, tuple[str, list]] = {
    "services": (
        N_("Per layanan"),
        [
            ("service", N_("Kode"), "text"),
            ("name", N_("Layanan"), "text"),
            ("standard_minutes", N_("Standar (mnt)"), "int"),
            *_OUT,
            *_WAIT,
            *_SERVE,
            *_APPS,
            *_IKM,
        ],
    ),
    "counters": (N_("Per loket"), [("name", N_("Loket"), "text"), *_OUT[:3], *_WAIT, *_SERVE]),
    "staff": (
        N_("Per petugas"),
        [("name", N_("Petugas"), "text"), *_OUT[1:3], *_WAIT[1:2], *_SERVE],
    ),
    "trend": (
        N_("Per periode"),
        [("label", N_("Periode"), "text"), *_OUT[:3], *_WAIT, *_SERVE[1:2], *_APPS],
    ),
    "hours": (
        N_("Per jam"),
        [("label", N_("Jam"), "text"), ("issued", N_("Diambil"), "int"), *_WAIT],
    ),
    "steps": (
        N_("Langkah SOP"),
        [
            ("name", N_("Layanan"), "text"),
            ("step", N_("Langkah"), "int"),
            ("activity", N_("Kegiatan"), "text"),
            ("role", N_("Pelaksana"), "text"),
            ("count", N_("Jumlah"), "int"),
            ("mean_minutes", N_("Rata-rata (mnt)"), "min"),
            ("standard_minutes", N_("Mutu Baku (mnt)"), "int"),
            ("within_pct", N_("Sesuai standar (%)"), "pct"),
        ],
    ),
    "missing_documents": (
        N_("Dokumen kurang"),
        [("document", N_("Dokumen"), "text"), ("count", N_("Jumlah"), "int")],
    ),
    "ikm": (
        N_("IKM"),
        [
            ("code", N_("Unsur"), "text"),
            ("name", N_("Nama unsur"), "text"),
            ("nrr", N_("NRR"), "nrr"),
        ],
    ),
}


def section_rows(report: dict, section: str) -> list[dict]:
    if section == "ikm":
        return list((report.get("ikm") or {}).get("elements") or [])
    return list(report.get(section) or [])


#: a text cell starting with one of these is read as a formula by spreadsheet programs (CSV/XLSX injection:
#: a counter, staff member, service or office named "=HYPERLINK(…)" would run in the Camat's Excel)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value):
    """A CSV cell: None empty, text that could start a formula quoted with a leading apostrophe (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _xlsx_cell(ws, row: int, col: int, value):
    """A worksheet cell whose text is always text: openpyxl turns any str starting with "=" into a formula."""
    c = ws.cell(row, col, value)
    if isinstance(value, str):
        c.data_type = "s"
    return c


def _heading(col) -> str:
    """A bilingual column heading from the catalogs: "Kode / Code"."""
    return f"{i18n.gettext(col[1], 'id')} / {i18n.gettext(col[1], 'en')}"


# -- CSV ----------------------------------------------------------------------------------------
def to_csv(report: dict, section: str = "services") -> bytes:
    """One section as CSV (UTF-8 with BOM so spreadsheet programs read the accents; machine keys as headers)."""
    cols = SECTIONS[section][1]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c[0] for c in cols])
    for row in section_rows(report, section):
        w.writerow([_csv_value(row.get(c[0])) for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def rows_to_csv(rows: list[dict], fields: tuple[str, ...]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(fields)
    for row in rows:
        w.writerow([_csv_value(row.get(f)) for f in fields])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# -- XLSX ---------------------------------------------------------------------------------------
_FORMATS = {"int": "#,##0", "min": "0.0", "pct": '0.0"%"', "nrr": "0.00", "text": "@"}


def to_xlsx(report: dict, sections: tuple[str, ...] | None = None) -> bytes:
    """A workbook: a cover sheet (office, period, totals), then one sheet per section with a header
    row, frozen panes, number formats and an auto-filter."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    cover = cast("Worksheet", wb.active)  # a new workbook has one sheet, active
    cover.title = "Ringkasan"
    office, period, totals = report["office"], report["period"], report["totals"]
    bold = Font(bold=True)
    cover["A1"], cover["A1"].font = f"Laporan Pelayanan {office['name']}", Font(bold=True, size=14)
    cover["A2"] = f"Periode / Period: {period['label']} ({period['from']} s.d. {period['to']})"
    summary = [
        (N_("Nomor antrean diambil"), totals["issued"], "int"),
        (N_("Dilayani"), totals["served"], "int"),
        (N_("Tidak hadir"), totals["no_show"], "int"),
        (N_("Waktu tunggu median (mnt)"), totals["wait_median_minutes"], "min"),
        (N_("Waktu tunggu p90 (mnt)"), totals["wait_p90_minutes"], "min"),
        (N_("Waktu layan median (mnt)"), totals["service_median_minutes"], "min"),
        (N_("Permohonan selesai"), totals["applications_done"], "int"),
        (N_("Dikembalikan (TMS)"), totals["applications_returned"], "int"),
        (N_("Selesai sesuai standar (%)"), totals["within_standard_pct"], "pct"),
    ]
    ikm = report.get("ikm")
    if ikm and ikm.get("respondents"):
        summary += [
            (N_("IKM"), ikm.get("ikm"), "nrr"),
            (N_("Mutu"), ikm.get("grade"), "text"),
            (N_("Responden"), ikm.get("respondents"), "int"),
            (N_("Bobot per unsur"), ikm.get("weight_label") or ikm.get("weight"), "text"),
        ]
    for i, (label, value, kind) in enumerate(summary, start=4):
        id_text, en_text = i18n.gettext(label, "id"), i18n.gettext(label, "en")
        cover.cell(i, 1, id_text if id_text == en_text else f"{id_text} / {en_text}").font = bold
        c = _xlsx_cell(cover, i, 2, value)
        c.number_format = _FORMATS[kind]
    cover.column_dimensions["A"].width = 52
    cover.column_dimensions["B"].width = 16
    fill = PatternFill("solid", fgColor="DCE6F1")
    for key in sections or tuple(SECTIONS):
        title, cols = SECTIONS[key]
        ws = wb.create_sheet(title[:31])
        for j, col in enumerate(cols, start=1):
            c = ws.cell(1, j, _heading(col))
            c.font, c.fill = bold, fill
            c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(j)].width = 34 if col[2] == "text" else 14
        rows = section_rows(report, key)
        for i, row in enumerate(rows, start=2):
            for j, col in enumerate(cols, start=1):
                c = _xlsx_cell(ws, i, j, row.get(col[0]))
                c.number_format = _FORMATS[col[2]]
        ws.freeze_panes = "B2"
        if rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(rows) + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- PDF ----------------------------------------------------------------------------------------
_FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]


def _fonts() -> tuple[str, str]:
    """Embed a Unicode TrueType font: DejaVu Sans when installed, else reportlab's bundled Vera (always offline)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Antrean" in pdfmetrics.getRegisteredFontNames():
        return "Antrean", "Antrean-Bold"
    for d in _FONT_DIRS:
        if (d / "DejaVuSans.ttf").exists() and (d / "DejaVuSans-Bold.ttf").exists():
            regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
            break
    else:
        import reportlab

        base = Path(reportlab.__file__).parent / "fonts"
        regular, bold = base / "Vera.ttf", base / "VeraBd.ttf"
    pdfmetrics.registerFont(TTFont("Antrean", str(regular)))
    pdfmetrics.registerFont(TTFont("Antrean-Bold", str(bold)))
    return "Antrean", "Antrean-Bold"


def _num(v, kind: str) -> str:
    if v is None:
        return "–"
    if kind == "int":
        return f"{int(v):,}".replace(",", ".")
    if kind in ("min", "nrr"):
        return f"{float(v):.{2 if kind == 'nrr' else 1}f}".replace(".", ",")
    if kind == "pct":
        return f"{float(v):.1f}%".replace(".", ",")
    return str(v)


def to_pdf(
    report: dict, *, signer: dict | None = None, city: str = "", signed_on: date | None = None, regency: str = ""
) -> bytes:
    """A4 landscape: letterhead, title and period, totals, per-service table, steps, missing documents,
    IKM, and the Camat's signature block. Fonts embedded (no system lookups at print time)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold = _fonts()
    office, period, totals = report["office"], report["period"], report["totals"]
    signer = signer or {}
    st = {
        "head": ParagraphStyle("head", fontName=bold, fontSize=15, leading=19, alignment=TA_CENTER),
        "sub": ParagraphStyle("sub", fontName=font, fontSize=9.5, leading=12, alignment=TA_CENTER),
        "title": ParagraphStyle("title", fontName=bold, fontSize=12.5, leading=16, alignment=TA_CENTER, spaceBefore=4),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3),
        "p": ParagraphStyle("p", fontName=font, fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9),
        "cellb": ParagraphStyle("cellb", fontName=bold, fontSize=7.5, leading=9),
        "sign": ParagraphStyle("sign", fontName=font, fontSize=10, leading=13, alignment=TA_CENTER),
    }

    def esc(text) -> str:
        return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    short = {
        "applications_done": "Selesai",
        "applications_returned": "TMS",
        "step": "No.",
        "within_standard_pct": "Sesuai standar (%)",
        "within_pct": "Sesuai standar (%)",
        "service_median_minutes": "Layan median (mnt)",
        "service_p90_minutes": "Layan p90 (mnt)",
        "mean_minutes": "Rerata (mnt)",
    }

    def table(cols, rows, widths=None, total=None):
        head = [Paragraph(esc(short.get(c[0], c[1])), st["cellb"]) for c in cols]
        body = [[Paragraph(esc(_num(r.get(c[0]), c[2])), st["cell"]) for c in cols] for r in rows]
        if total:
            body.append([Paragraph(esc(_num(total.get(c[0]), c[2])), st["cellb"]) for c in cols])
        t = Table([head] + body, colWidths=widths, repeatRows=1, hAlign="LEFT")
        style: list[tuple[Any, ...]] = [
            ("FONTNAME", (0, 0), (-1, -1), font),  # tables set their cell font even around Paragraphs
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a94a6")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f7fa")]),
        ]
        if total:
            style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#eef1f5")))
        t.setStyle(TableStyle(style))
        return t

    story: list[Flowable] = [
        Paragraph(esc(regency or "PEMERINTAH KABUPATEN").upper(), st["sub"]),
        Paragraph(esc(office["name"]).upper(), st["head"]),
    ]
    if office.get("address"):
        story.append(Paragraph(esc(office["address"]), st["sub"]))
    story += [
        Spacer(1, 2 * mm),
        HRFlowable(width="100%", thickness=2, color=colors.black, spaceAfter=1),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceAfter=4 * mm),
        Paragraph("LAPORAN KINERJA PELAYANAN ADMINISTRASI TERPADU KECAMATAN (PATEN)", st["title"]),
        Paragraph(f"Periode: {esc(period['label'])} ({_tgl(period['from'])} s.d. {_tgl(period['to'])})", st["sub"]),
        Spacer(1, 4 * mm),
    ]
    tiles = [
        ("Nomor antrean diambil", _num(totals["issued"], "int")),
        ("Dilayani", _num(totals["served"], "int")),
        ("Tidak hadir", _num(totals["no_show"], "int")),
        ("Waktu tunggu median", _num(totals["wait_median_minutes"], "min") + " mnt"),
        ("Waktu layan median", _num(totals["service_median_minutes"], "min") + " mnt"),
        ("Permohonan selesai", _num(totals["applications_done"], "int")),
        ("Dikembalikan (TMS)", _num(totals["applications_returned"], "int")),
        ("Selesai sesuai standar", _num(totals["within_standard_pct"], "pct")),
    ]
    ikm = report.get("ikm")
    if not (ikm and ikm.get("respondents")):
        ikm = None
    if ikm:
        tiles.append(("IKM (mutu)", f"{_num(ikm.get('ikm'), 'nrr')} ({ikm.get('grade')})"))
    t = Table(
        [
            [
                Paragraph(esc(v), ParagraphStyle("v", fontName=bold, fontSize=12, leading=14, alignment=TA_CENTER))
                for _, v in tiles
            ],
            [
                Paragraph(esc(k), ParagraphStyle("k", fontName=font, fontSize=7, leading=8.5, alignment=TA_CENTER))
                for k, _ in tiles
            ],
        ],
        hAlign="CENTER",
    )
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#8a94a6")),
                ("LINEAFTER", (0, 0), (-2, -1), 0.3, colors.HexColor("#c5ccd6")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f5f7fa")),
            ]
        )
    )
    story += [t, Paragraph("A. Rekapitulasi per layanan", st["h2"])]
    cols = [
        c
        for c in SECTIONS["services"][1]
        if c[0]
        not in ("service", "transferred", "expired", "wait_mean_minutes", "service_mean_minutes", "ikm_respondents")
    ]
    widths = [52 * mm] + [(267 - 52) * mm / (len(cols) - 1)] * (len(cols) - 1)
    story.append(table(cols, report["services"], widths, total={"name": "Jumlah", **totals}))
    steps = [r for r in report["steps"] if r["measured"]]
    if steps:
        story.append(Paragraph("B. Waktu langkah SOP terhadap Mutu Baku (langkah pemohon tidak diukur)", st["h2"]))
        cols = SECTIONS["steps"][1]
        story.append(table(cols, steps, [48 * mm, 12 * mm, 97 * mm, 40 * mm, 16 * mm, 18 * mm, 18 * mm, 18 * mm]))
    if report["missing_documents"]:
        story.append(Paragraph("C. Dokumen yang paling sering kurang (TMS)", st["h2"]))
        story.append(table(SECTIONS["missing_documents"][1], report["missing_documents"], [150 * mm, 20 * mm]))
    if ikm:
        story.append(
            Paragraph(
                f"D. Indeks Kepuasan Masyarakat: {_num(ikm.get('ikm'), 'nrr')} – mutu "
                f"{esc(ikm.get('grade'))}, {ikm.get('respondents')} responden",
                st["h2"],
            )
        )
        story.append(Paragraph(esc(ikm.get("weight_label") or f"bobot per unsur {ikm.get('weight')}"), st["p"]))
        story.append(table(SECTIONS["ikm"][1], ikm.get("elements") or [], [20 * mm, 110 * mm, 20 * mm]))
    note = Paragraph(
        "Waktu tunggu: dari pengambilan nomor sampai panggilan pertama; waktu layan: dari mulai "
        "sampai selesai dilayani di loket; median dan p90 (90% pemohon menunggu paling lama "
        "selama itu). Sumber: catatan Antrean.",
        ParagraphStyle("note", parent=st["p"], spaceBefore=6, fontSize=7.5, textColor=colors.HexColor("#555")),
    )
    signed_on = signed_on or date.today()
    name = signer.get("name") or "...................................."
    sign = [
        Paragraph(f"{esc(city) + ', ' if city else ''}{_tgl(signed_on.isoformat())}", st["sign"]),
        Paragraph(f"CAMAT {esc(office['name']).upper().replace('KANTOR ', '').replace('KECAMATAN ', '')}", st["sign"]),
        Spacer(1, 16 * mm),
        Paragraph(f"<u><b>{esc(name)}</b></u>", ParagraphStyle("nm", parent=st["sign"], fontName=bold)),
        Paragraph(esc(signer.get("rank") or ""), st["sign"]),
        Paragraph(f"NIP. {esc(signer.get('nip') or '....................................')}", st["sign"]),
    ]
    block = Table([[Spacer(1, 1), sign]], colWidths=[170 * mm, 95 * mm])
    block.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font)]))
    # the signature never stands alone: it keeps the last section (heading and table) and the note with it
    tail = [story.pop(-2), story.pop()] if isinstance(story[-1], Table) and isinstance(story[-2], Paragraph) else []
    story.append(KeepTogether([*tail, note, Spacer(1, 4 * mm), block]))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(15 * mm, 8 * mm, f"{office['name']} – Laporan {period['label']}")
        canvas.drawRightString(282 * mm, 8 * mm, f"Halaman {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=f"Laporan Pelayanan {office['name']} {period['label']}",
        author=office["name"],
        initialFontName=font,
        initialFontSize=9,
    )  # else every page names an unembedded Helvetica
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _tgl(iso_day: str) -> str:
    d = date.fromisoformat(iso_day)
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"
