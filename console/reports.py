"""Report pages: the period report with tabs and charts, downloads (XLSX, CSV, PDF), the kabupaten
comparison and the live board ``/console/pantau``.

Every figure comes from ``core.reports`` (antrean/services/reports.py); this module only picks the period,
draws and serves. Report roles only (``antrean.kernel.policy``, action ``report.read``).
"""

from __future__ import annotations

from datetime import date

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from antrean.kernel.errors import Invalid
from antrean.kernel.timeutil import local, utcnow
from antrean.services.exports import CONTENT_TYPES, SECTIONS, rows_to_csv, to_csv, to_pdf, to_xlsx
from antrean.services.survey import weight_text
from antrean.web.app import get_core, lang

from . import charts
from .base import actor, allowed, bp

TABS = {
    "layanan": "services",
    "loket": "counters",
    "petugas": "staff",
    "periode": "trend",
    "jam": "hours",
    "langkah": "steps",
    "dokumen": "missing_documents",
    "ikm": "ikm",
}


def _period():
    """The period from the query: ?bulan=YYYY-MM, ?tahun=YYYY or ?dari=&sampai= (default: this month)."""
    core = get_core()
    args = request.args
    try:
        if args.get("bulan"):
            y, m = (int(x) for x in args["bulan"].split("-"))
            if not (2000 <= y <= 2100 and 1 <= m <= 12):
                raise ValueError
            return core.reports.month(y, m)
        if args.get("tahun"):
            y = int(args["tahun"])
            if not 2000 <= y <= 2100:
                raise ValueError
            return core.reports.year(y)
    except ValueError:
        raise Invalid(
            "Bulan atau tahun tidak sah.", detail=f"bulan={args.get('bulan')!r} tahun={args.get('tahun')!r}"
        ) from None
    return core.reports.period(args.get("dari") or None, args.get("sampai") or None)


def _query(period) -> dict:
    return {"dari": period.start.isoformat(), "sampai": period.end.isoformat()}


def _charts(r: dict) -> dict:
    comma = lang() == "id"
    hours = [h for h in r["hours"] if h["issued"]]
    trend = r["trend"]
    out = {
        "wait_by_hour": charts.columns(
            [(f"{h['hour']:02d}", h["wait_median_minutes"]) for h in hours],
            title=_("Waktu tunggu per jam (median, menit)"),
            unit=" mnt",
            comma=comma,
            second=[h["wait_p90_minutes"] for h in hours],
            second_label="p90",
        ),
        "volume_by_service": charts.bars(
            [(s["name"], s["issued"]) for s in sorted(r["services"], key=lambda s: -s["issued"])],
            title=_("Nomor antrean per layanan"),
            comma=comma,
        ),
        "within_by_period": charts.columns(
            [(t["label"], t["within_standard_pct"]) for t in trend],
            title=_("Permohonan selesai sesuai standar (%)"),
            unit="%",
            vmax=100,
            target=80,
            comma=comma,
        ),
    }
    ikm = r.get("ikm")
    if ikm and ikm.get("respondents"):
        out["ikm"] = charts.bars(
            [
                (f"{e['code']} {e.get('name', '')}", round(e["nrr"] * 25, 2) if e.get("nrr") else None)
                for e in ikm.get("elements") or []
            ],
            title=_("IKM per unsur (NRR × 25)"),
            color="green",
            comma=comma,
        )
    return out


@bp.get("/laporan", endpoint="report")
@allowed("report.read")
def report():
    core = get_core()
    period = _period()
    r = core.reports.summary(actor(), period)
    tab = request.args.get("tab", "layanan")
    if tab not in TABS:
        tab = "layanan"
    now = local(utcnow(), core.tz).date()
    prev = now.replace(day=1) - date.resolution
    presets = [
        (_("Bulan ini"), {"bulan": f"{now:%Y-%m}"}),
        (_("Bulan lalu"), {"bulan": f"{prev:%Y-%m}"}),
        (_("Tahun ini"), {"tahun": now.year}),
        (_("Tahun lalu"), {"tahun": now.year - 1}),
        (_("Hari ini"), {"dari": now.isoformat(), "sampai": now.isoformat()}),
    ]
    return render_template(
        "console/report.html",
        r=r,
        tab=tab,
        tabs=TABS,
        q=_query(period),
        presets=presets,
        charts=_charts(r),
        sections=SECTIONS,
        weight=weight_text(core.survey.config()),
        month_value=f"{period.start:%Y-%m}",
        regency=core.db.dialect == "postgresql",
    )


@bp.get("/laporan/unduh", endpoint="report_download")
@allowed("report.read")
def report_download():
    core = get_core()
    fmt = request.args.get("format", "xlsx")
    if fmt not in CONTENT_TYPES:
        raise Invalid("Format unduhan tidak dikenal (xlsx, csv atau pdf).", detail=f"format={fmt!r}")
    period = _period()
    r = core.reports.summary(actor(), period)
    name = f"laporan-{core.settings.office_code}-{period.start.isoformat()}_{period.end.isoformat()}"
    if fmt == "csv":
        section = TABS.get(request.args.get("bagian", "layanan"), "services")
        body, name = to_csv(r, section), f"{name}-{section}"
    elif fmt == "xlsx":
        body = to_xlsx(r)
    else:
        body = to_pdf(r, **core.reports.signature(now=utcnow()))
    return Response(
        body, content_type=CONTENT_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


@bp.get("/laporan/kabupaten", endpoint="report_regency")
@allowed("report.read")
def report_regency():
    core = get_core()
    period = _period()
    rows = core.reports.regency(actor(), period)
    if request.args.get("format") == "csv":
        return Response(
            rows_to_csv(rows, tuple(rows[0]) if rows else ("office",)),
            content_type=CONTENT_TYPES["csv"],
            headers={"Content-Disposition": 'attachment; filename="kabupaten.csv"'},
        )
    return render_template("console/report_regency.html", rows=rows, period=period.to_dict(), q=_query(period))


# -- the live board ----------------------------------------------------------------------------
def _live() -> dict:
    """The live board's data with the role titles in the page's language."""
    data = get_core().reports.live(actor())
    data["over_standard"] = [o | {"role_name": _(o["role_name"])} for o in data["over_standard"]]
    return data


@bp.get("/pantau", endpoint="live")
@allowed("report.read")
def live():
    return render_template("console/pantau.html", data=_live(), data_url=url_for("console.live_data"))


@bp.get("/pantau.json", endpoint="live_data")
@allowed("report.read")
def live_data():
    return jsonify(_live())
