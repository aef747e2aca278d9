"""The Camat's monthly summary: tickets per service, applications completed/returned,
average minutes against the standard per step, and SLA compliance.

Read-only queries over the append-only tables (tickets, applications, step logs).
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask import render_template, request
from sqlalchemy import and_, case, func, select

from antrean.app import get_core
from antrean.models import Application, StepLog, Ticket
from antrean.timeutil import BULAN, local, utcnow
from antrean.workflow import measured

from .views import allowed, bp


def _month_bounds(year: int, month: int, tz) -> tuple[date, date, datetime, datetime]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)

    def utc(d):
        return datetime.combine(d, time.min, tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)
    return first, nxt, utc(first), utc(nxt)


def monthly_summary(core, year: int, month: int) -> dict:
    first, nxt, start, end = _month_bounds(year, month, core.tz)
    office = core.office_id
    with core.db.read() as s:
        tickets = dict(s.execute(select(Ticket.service_code, func.count()).where(
            Ticket.office_id == office, Ticket.day >= first, Ticket.day < nxt).group_by(Ticket.service_code)).all())
        apps = {}
        for code, status, n in s.execute(select(Application.service_code, Application.status, func.count()).where(
                Application.office_id == office, Application.created_at >= start, Application.created_at < end)
                .group_by(Application.service_code, Application.status)).all():
            apps.setdefault(code, {})[status] = n
        steps = {}
        for code, no, n, avg, std, ok in s.execute(
                select(Application.service_code, StepLog.step_no, func.count(), func.avg(StepLog.minutes),
                       func.max(StepLog.standard_minutes),
                       func.sum(case((and_(StepLog.standard_minutes > 0,  # workflow.measured: one rule
                                           StepLog.minutes <= StepLog.standard_minutes), 1), else_=0)))
                .join(Application, Application.id == StepLog.application_id)
                .where(Application.office_id == office, StepLog.ended_at >= start, StepLog.ended_at < end)
                .group_by(Application.service_code, StepLog.step_no)).all():
            steps.setdefault(code, []).append({"step": no, "count": n, "avg": float(avg or 0), "standard": std,
                                               "within": int(ok or 0), "measured": measured(std)})
        totals = (select(Application.service_code,
                         func.sum(case((StepLog.standard_minutes > 0, StepLog.minutes), else_=0)).label("total"))
                  .join(StepLog, StepLog.application_id == Application.id)
                  .where(Application.office_id == office, Application.status == "done",
                         Application.closed_at >= start, Application.closed_at < end)
                  .group_by(Application.id, Application.service_code)).subquery()
        sla = {}
        for code, total in s.execute(select(totals.c.service_code, totals.c.total)).all():
            row = sla.setdefault(code, [0, 0])
            row[0] += 1
            row[1] += int((total or 0) <= core.sops[code].standard_minutes) if code in core.sops else 0
    rows = []
    for code, sop in core.sops.items():
        a = apps.get(code, {})
        done, within = sla.get(code, [0, 0])
        if not (tickets.get(code) or a or steps.get(code)):
            continue
        rows.append({"code": code, "name": sop.short_name, "standard": sop.standard_minutes,
                     "tickets": tickets.get(code, 0), "opened": sum(a.values()), "done": a.get("done", 0),
                     "returned": a.get("returned", 0), "open": a.get("open", 0),
                     "sla_done": done, "sla_within": within,
                     "sla_pct": round(100 * within / done) if done else None,
                     "steps": [st | {"activity": sop.step(st["step"]).activity}
                               for st in sorted(steps.get(code, []), key=lambda x: x["step"])]})
    done_all = sum(r["sla_done"] for r in rows)
    within_all = sum(r["sla_within"] for r in rows)
    return {"year": year, "month": month, "label": f"{BULAN[month - 1]} {year}", "rows": rows,
            "tickets": sum(r["tickets"] for r in rows), "done": sum(r["done"] for r in rows),
            "returned": sum(r["returned"] for r in rows),
            "sla_pct": round(100 * within_all / done_all) if done_all else None}


@bp.get("/laporan", endpoint="report")
@allowed("report.read")
def report():
    core = get_core()
    now = local(utcnow(), core.tz)
    try:
        year, month = (int(x) for x in request.args.get("bulan", "").split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        year, month = now.year, now.month
    return render_template("console/report.html", r=monthly_summary(core, year, month),
                           value=f"{year:04d}-{month:02d}")
