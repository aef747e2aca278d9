"""What the office publishes (UU 25/2009 Pasal 20–22; issue 10 §4): per service the six components of the
Standar Pelayanan, the Maklumat Pelayanan, and last month's figures. Core queries, no Flask.

Nothing here reads a name, NIK, phone, note or suggestion: only counts, durations and the SOPs' own text.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from statistics import median
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from antrean.kernel.errors import Invalid
from antrean.kernel.models import Application, Call, StepLog, Ticket
from antrean.kernel.timeutil import BULAN, local, utcnow
from antrean.services.survey import served_clause

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

SETTING = "publik"
DEFAULTS: dict[str, Any] = {
    "biaya": "Gratis / tidak dipungut biaya",
    "biaya_layanan": {},  # service code -> text, where a service differs from the default
    "pengaduan": "Pengaduan, saran dan masukan dapat disampaikan langsung kepada petugas di loket, melalui kotak "
    "saran, atau melalui SP4N-LAPOR! (www.lapor.go.id, SMS 1708).",
    "maklumat": "Dengan ini kami menyatakan sanggup menyelenggarakan pelayanan sesuai dengan standar pelayanan yang "
    "telah ditetapkan dan apabila tidak menepati janji ini, kami siap menerima sanksi sesuai dengan "
    "peraturan perundang-undangan yang berlaku.",
}
_LIMITS = {"biaya": 200, "pengaduan": 1000, "maklumat": 2000}

#: The Camat who signs: ONE office setting, read by the Maklumat on /publik and the reports' PDF signature
#: block (``antrean.services.reports.ReportService.signature``); with the letterhead's place and regency.
CAMAT = "camat"
CAMAT_LIMITS = {"name": 120, "nip": 30, "rank": 80}
LETTERHEAD_LIMITS = {"report_city": 80, "report_regency": 120}


def camat(core: Antrean) -> dict:
    """``{"name", "nip", "rank"}`` of the office's Camat (empty strings when unset)."""
    stored = core.get_setting(CAMAT, {}) or {}
    return {k: str(stored.get(k) or "") if isinstance(stored, dict) else "" for k in CAMAT_LIMITS}


def save_camat(core: Antrean, actor, value: dict) -> dict:
    """Validate and store the Camat (``name``, ``nip``, ``rank``) and, when given, the letterhead's
    ``report_city`` and ``report_regency`` (admin; audited by set_setting)."""
    if not isinstance(value, dict) or set(value) - set(CAMAT_LIMITS) - set(LETTERHEAD_LIMITS):
        raise Invalid("Data Camat tidak sah.", detail=f"keys: {sorted(CAMAT_LIMITS) + sorted(LETTERHEAD_LIMITS)}")
    for key, limit in (CAMAT_LIMITS | LETTERHEAD_LIMITS).items():
        text = value.get(key, "")
        if not isinstance(text, str) or len(text.strip()) > limit:
            raise Invalid(
                "Isian '%(key)s' maksimal %(limit)s karakter.", params={"key": key, "limit": limit}, field=key
            )
    nip = value.get("nip", "").strip()
    if nip and not re.fullmatch(r"[0-9 ]{1,30}", nip):
        raise Invalid("NIP hanya berisi angka (spasi boleh).", field="nip", detail=f"nip={nip!r}")
    out = camat(core) | {k: value[k].strip() for k in CAMAT_LIMITS if k in value}
    if out != camat(core):
        core.set_setting(CAMAT, out, actor)
    for key in LETTERHEAD_LIMITS:
        if key in value and value[key].strip() != str(core.get_setting(key, "") or ""):
            core.set_setting(key, value[key].strip(), actor)
    return out


def settings(core: Antrean) -> dict:
    stored = core.get_setting(SETTING, {}) or {}
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for key, default in DEFAULTS.items():
        value = stored.get(key) if isinstance(stored, dict) else None
        if isinstance(default, str) and isinstance(value, str):
            out[key] = value
        elif isinstance(default, dict) and isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if isinstance(v, str) and k in core.sops}
    return out


def save_settings(core: Antrean, actor, value: dict) -> dict:
    """Validate and store the office setting ``publik`` (admin; audited by set_setting)."""
    if not isinstance(value, dict) or set(value) - set(DEFAULTS):
        raise Invalid("Pengaturan halaman publik tidak sah.", detail=f"keys: {sorted(DEFAULTS)}")
    out = settings(core)
    for key, limit in _LIMITS.items():
        if key in value:
            text = value[key]
            if not isinstance(text, str) or len(text.strip()) > limit:
                raise Invalid(
                    "Isian '%(key)s' maksimal %(limit)s karakter.", params={"key": key, "limit": limit}, field=key
                )
            out[key] = text.strip()
    if not out["biaya"]:
        raise Invalid("Biaya/tarif wajib diisi (misalnya “Gratis”).", field="biaya")
    if "biaya_layanan" in value:
        per = value["biaya_layanan"]
        if not isinstance(per, dict) or any(
            k not in core.sops or not isinstance(v, str) or not v.strip() or len(v) > 200 for k, v in per.items()
        ):
            raise Invalid(
                "Biaya per layanan tidak sah.",
                field="biaya_layanan",
                detail="{service code: text up to 200 characters}",
            )
        out["biaya_layanan"] = {k: v.strip() for k, v in per.items()}
    core.set_setting(SETTING, out, actor)
    return out


def standard(core: Antrean) -> list[dict]:
    """The six published components per enabled service, from the SOP plugins and the office's settings."""
    cfg = settings(core)
    out = []
    for svc in core.services(enabled_only=True):
        steps = svc["steps"]
        out.append(
            {
                "code": svc["code"],
                "name": svc["name"],
                "short_name": svc["short_name"],
                "group": svc["group_name"],
                "persyaratan": list(svc["documents"]),
                "prosedur": [
                    {"no": st["no"], "activity": st["activity"], "role": st["role_name"], "minutes": st["minutes"]}
                    for st in steps
                ],
                "jangka_waktu_minutes": svc["standard_minutes"],
                "biaya": cfg["biaya_layanan"].get(svc["code"], cfg["biaya"]),
                "produk": steps[-1]["output"] if steps else "",
                "pengaduan": cfg["pengaduan"],
            }
        )
    return out


def last_month(now: datetime | None, tz) -> tuple[date, date]:
    today = local(now or utcnow(), tz).date()
    first_this = today.replace(day=1)
    last = date.fromordinal(first_this.toordinal() - 1)
    return last.replace(day=1), last


def _utc(d: date, tz) -> datetime:
    return datetime.combine(d, time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def figures(core: Antrean, first: date, last: date) -> dict:
    """The public figures of a period (office-local dates, inclusive): IKM and grade, tickets served, median
    waiting minutes (issue → first call) of served tickets, % of completed applications within the SOP standard."""
    office = core.office_id
    start, end = _utc(first, core.tz), _utc(date.fromordinal(last.toordinal() + 1), core.tz)
    ikm = core.survey.ikm(first, last)
    with core.db.read() as s:
        first_call = (
            select(Call.ticket_id, func.min(Call.at).label("at"))
            .where(Call.office_id == office, Call.kind == "call")
            .group_by(Call.ticket_id)
            .subquery()
        )
        rows = s.execute(
            select(Ticket.issued_at, first_call.c.at)
            .join(first_call, first_call.c.ticket_id == Ticket.id)
            .where(Ticket.office_id == office, Ticket.day >= first, Ticket.day <= last, served_clause())
        ).all()
        waits = [max(0.0, (called - issued).total_seconds() / 60.0) for issued, called in rows]
        totals = s.execute(
            select(Application.service_code, func.sum(StepLog.minutes))
            .join(StepLog, StepLog.application_id == Application.id)
            .where(
                Application.office_id == office,
                Application.status == "done",
                Application.closed_at >= start,
                Application.closed_at < end,
            )
            .group_by(Application.id, Application.service_code)
        ).all()
    within = sum(1 for code, total in totals if code in core.sops and (total or 0) <= core.sops[code].standard_minutes)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "label": f"{BULAN[first.month - 1]} {first.year}"
        if (first.year, first.month) == (last.year, last.month)
        else f"{first.isoformat()} – {last.isoformat()}",
        "ikm": ikm["ikm"],
        "grade": ikm["grade"],
        "kinerja": ikm["kinerja"],
        "performance": ikm["performance"],
        "respondents": ikm["respondents"],
        "weight_label": ikm["weight_label"],
        "served": len(rows),
        "wait_median_minutes": round(median(waits), 1) if waits else None,
        "applications_done": len(totals),
        "within_standard_pct": round(100 * within / len(totals), 1) if totals else None,
    }
