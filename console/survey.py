"""The console's SKM pages.

- ``POST /console/loket/<cid>/survei``   the clerk hands the survey of the ticket just served to the counter's
                                         tablet (``/survei?loket=<cid>`` opens it; the citizen types nothing)
- ``GET/POST /console/survei``           IKM of a period (month, semester, year) per element and per service,
                                         the weakest elements with the office's rencana tindak lanjut, suggestions
- ``GET/POST /console/admin/survei``     admin: elements, answers' wording, weights; the public page's texts
"""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from antrean.kernel.errors import AntreanError, Invalid
from antrean.kernel.timeutil import local, month_names, utcnow
from antrean.services import transparency
from antrean.services.survey import PROFILE_CHOICES, period_bounds, weight_text
from antrean.web.app import get_core, lang

from .admin import admin_page
from .base import actor, allowed, bp


@bp.app_template_filter("desimal")
def _desimal(value, digits: int = 2) -> str:
    """A number with ``digits`` decimals, with the Indonesian decimal comma (English: point); None → "–"."""
    if value is None:
        return "–"
    text = f"{float(value):.{digits}f}"
    return text if lang() == "en" else text.replace(".", ",")


@bp.post("/loket/<int:cid>/survei", endpoint="survey_offer")
@allowed("counter.operate")
def survey_offer(cid):
    core = get_core()
    raw = request.form.get("ticket", "")
    try:
        if not raw.isdigit():
            raise Invalid("Tiket tidak sah.")
        out = core.survey.offer(cid, int(raw), actor())
    except AntreanError as exc:
        flash(exc.message(lang()), "error")
    else:
        flash(_("Survei untuk %(number)s tampil di tablet loket.", number=out["number"]), "ok")
    return redirect(url_for("console.counter", cid=cid))


def _period_arg() -> str:
    now = local(utcnow(), get_core().tz)
    value = request.values.get("periode", "") or f"{now.year:04d}-{now.month:02d}"
    try:
        period_bounds(value)
    except Invalid:
        value = f"{now.year:04d}-{now.month:02d}"
    return value


def period_label(period: str) -> str:
    if len(period) == 4:
        return _("Tahun %(period)s", period=period)
    if period[5] == "S":
        return _("Semester %(value)s %(value2)s", value=period[6], value2=period[:4])
    return f"{month_names(lang())[int(period[5:]) - 1]} {period[:4]}"


@bp.route("/survei", methods=["GET", "POST"], endpoint="survey_report")
@allowed("report.read")
def survey_report():
    core = get_core()
    period = _period_arg()
    if request.method == "POST":
        try:
            for key, plan in request.form.items():
                if key.startswith("plan_"):
                    old = core.survey.followups(period).get(key[5:], {}).get("plan", "")
                    if plan.strip() != old:
                        core.survey.set_followup(actor(), period, key[5:], plan)
        except AntreanError as exc:
            flash(exc.message(lang()), "error")
        else:
            flash(_("Rencana tindak lanjut disimpan."), "ok")
        return redirect(url_for("console.survey_report", periode=period))
    first, last = period_bounds(period)
    result = core.survey.ikm(first, last)
    by_name = {e["code"]: e for e in result["elements"]}
    return render_template(
        "console/survey.html",
        period=period,
        label=period_label(period),
        r=result,
        weight=weight_text(core.survey.config()),
        weakest=[by_name[c] for c in result["weakest"]],
        plans=core.survey.followups(period),
        services=core.survey.ikm_by_service(first, last),
        months=core.survey.ikm_by_month(first.year) if len(period) == 4 else [],
        profile=core.survey.profile_counts(first, last),
        choices=PROFILE_CHOICES,
        suggestions=core.survey.suggestions(actor(), first, last, limit=50),
        years=range(date.today().year, date.today().year - 5, -1),
    )


def _survey_settings(core) -> dict:
    return {
        "config": core.survey.config(),
        "publik": transparency.settings(core),
        "sops": core.sops,
        "camat": transparency.camat(core),
        "report_city": core.get_setting("report_city", "") or "",
        "report_regency": core.get_setting("report_regency", "") or "",
    }


@admin_page("/admin/survei", "admin_survey", "console/admin/survey.html", "survey", _survey_settings)
def save_survey(core, f):
    if f.get("form") == "publik":
        per = {}
        for line in f.get("biaya_layanan", "").splitlines():
            if line.strip():
                code, _, text = line.partition(":")
                per[code.strip()] = text.strip()
        transparency.save_settings(
            core,
            actor(),
            {
                "biaya": f.get("biaya", ""),
                "pengaduan": f.get("pengaduan", ""),
                "maklumat": f.get("maklumat", ""),
                "biaya_layanan": per,
            },
        )
        return
    if f.get("form") == "camat":
        transparency.save_camat(
            core, actor(), {k: f.get(k, "") for k in ("name", "nip", "rank", "report_city", "report_regency")}
        )
        return
    mode = f.get("weight_mode", "equal")
    value: dict = {"weight_mode": mode}
    raw = f.get("elements", "").strip()
    if raw:
        try:
            value["elements"] = json.loads(raw)
        except ValueError as exc:
            raise Invalid("Daftar unsur bukan JSON yang sah.", detail=str(exc)) from None
    if mode == "custom":
        weights = {}
        for key, text in f.items():
            if key.startswith("w_"):
                try:
                    weights[key[2:]] = float(Fraction(text.strip().replace(",", ".")))
                except (ValueError, ZeroDivisionError):
                    raise Invalid("Bobot %(value)s bukan angka.", params={"value": key[2:]}) from None
        value["weights"] = weights
    core.survey.set_config(actor(), value)
