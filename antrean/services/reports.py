"""Reports a Camat and a Bupati use: query functions over the append-only records.

No Flask, no HTML. Every face (console pages, ``/api/v1/reports/…``, exports,
the live board) reads through :class:`ReportService` (``core.reports``); none
runs SQL of its own.

Figures and their definitions (docs/reports.md says the same for people):

- a ticket counts in the period of its office day (``ticket.day``);
- outcomes come from the ticket's recorded ``outcome`` (served, no_show,
  transferred, cancelled, expired; NULL while open) — see :func:`_ticket_facts`;
- waiting time = first call − issue; service time = finish − start; both as
  mean, median and p90 with linear interpolation between ranks (the same
  definition as PostgreSQL's ``percentile_cont``), computed here in Python so
  SQLite and PostgreSQL give the same answer;
- a step's minutes are office minutes (:func:`antrean.services.workflow.step_minutes`: office hours only,
  no weekends, breaks, holidays, cuti bersama or closures — docs/calendar.md), as recorded in the step
  log and as the live board counts a waiting step;
- a step is *within standard* when its minutes ≤ its Mutu Baku; steps whose
  standard is 0 minutes are the applicant's own steps and are not measured
  (:func:`antrean.services.workflow.measured`, the rule ``sla_state`` uses too);
- an application is *within standard* when it was completed (status done) in
  the period and the minutes of its measured steps add up to no more than its
  SOP's standard.
"""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select

from antrean.kernel.actors import Actor
from antrean.kernel.errors import Forbidden, Invalid
from antrean.kernel.models import Application, Call, Counter, Office, Service, StepLog, Ticket, User
from antrean.kernel.policy import REPORT_ROLES, is_regency, require  # noqa: F401  (REPORT_ROLES: for the faces)
from antrean.kernel.sop import STAFF_ROLES
from antrean.kernel.timeutil import BULAN, iso, local, utcnow
from antrean.services.transparency import camat
from antrean.services.workflow import measured, sla_state, step_minutes

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

MAX_DAYS = 3 * 366 + 1
OUTCOMES = ("served", "no_show", "transferred", "cancelled", "expired")


def _require_report(core: Antrean, actor: Actor) -> None:
    """The one permission check of every report: ``antrean.kernel.policy``, action ``report.read``."""
    require(core, actor, "report.read")


# -- small statistics, the same on every database ---------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL ``percentile_cont``, numpy's default).

    ``values`` must be sorted."""
    if not values:
        return None
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def stats(values: list[float]) -> dict:
    vs = sorted(values)
    r = lambda v: None if v is None else round(v, 1)
    return {
        "n": len(vs),
        "mean": r(sum(vs) / len(vs)) if vs else None,
        "median": r(percentile(vs, 0.5)),
        "p90": r(percentile(vs, 0.9)),
    }


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# -- periods -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: date  # first office day, inclusive
    end: date  # last office day, inclusive
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc(self, d: date) -> datetime:
        return datetime.combine(d, time.min, tzinfo=self.tz).astimezone(UTC).replace(tzinfo=None)

    @cached_property
    def utc_start(self) -> datetime:
        return self.utc(self.start)

    @cached_property
    def utc_end(self) -> datetime:  # exclusive
        return self.utc(self.end + timedelta(days=1))

    @property
    def grain(self) -> str:
        """The trend's bucket: days for up to two months, months up to two years, then years."""
        return "day" if self.days <= 62 else "month" if self.days <= 731 else "year"

    def bucket(self, d: date) -> str:
        grain = self.grain
        return d.isoformat() if grain == "day" else f"{d.year:04d}-{d.month:02d}" if grain == "month" else str(d.year)

    def label(self) -> str:
        s, e = self.start, self.end
        if s.day == 1 and e == _month_end(s):
            return f"{BULAN[s.month - 1]} {s.year}"
        if (s.month, s.day, e.month, e.day) == (1, 1, 12, 31) and s.year == e.year:
            return f"Tahun {s.year}"
        return f"{s.day} {BULAN[s.month - 1]} {s.year} – {e.day} {BULAN[e.month - 1]} {e.year}"

    def to_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.label(), "grain": self.grain}


def _month_end(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1) - timedelta(days=1)


def parse_day(value, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(
            "Tanggal '%(name)s' tidak sah (format TTTT-BB-HH).",
            params={"name": name},
            field=name,
            detail=f"{name}={value!r}",
        ) from None


class _Clock:
    """Office-local wall time of naive UTC timestamps, grouped by SQL into UTC hour text ("YYYY-MM-DD HH"),
    or minute text where the zone's offset is not a whole number of hours: a year's 60,000 timestamps are
    ~2,000 distinct hours, each converted once here."""

    def __init__(self, tz: ZoneInfo, dialect: str, period: Period):
        self.tz, self.dialect = tz, dialect
        months = {(d.year, d.month) for d in (period.start, period.end)} | {
            (y, m) for y in range(period.start.year, period.end.year + 1) for m in range(1, 13)
        }
        # local() gives an aware datetime: its offset is never None
        self.minutes = any(
            (local(datetime(y, m, 1), tz).utcoffset() or timedelta(0)) % timedelta(hours=1) for y, m in months
        )
        self._cache: dict = {}

    def key(self, column):
        if self.dialect == "postgresql":
            return func.to_char(column, "YYYY-MM-DD HH24:MI" if self.minutes else "YYYY-MM-DD HH24")
        return func.strftime("%Y-%m-%d %H:%M" if self.minutes else "%Y-%m-%d %H", column)

    def local(self, key: str) -> datetime:
        out = self._cache.get(key)
        if out is None:
            utc = datetime(
                int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]), int(key[14:16]) if self.minutes else 0
            )
            out = self._cache[key] = local(utc, self.tz)
        return out


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds() / 60.0)


# -- where a ticket's facts are recorded ---------------------------------------------------------
def _ticket_facts():
    """(outcome, first call, staff member): the ONE place reports read how a ticket ended — the records
    issue's ``ticket.outcome`` (NULL while open), ``first_called_at`` and ``outcome_by``. When the system
    closed it (the day-end: a skipped ticket nobody came back for becomes ``no_show``), the staff member is
    the one who last called it (``call``, looked up only for those rows: COALESCE stops at the first value)."""
    last_caller = (
        select(Call.actor_id)
        .where(Call.ticket_id == Ticket.id, Call.kind != "step")
        .order_by(Call.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return Ticket.outcome, Ticket.first_called_at, func.coalesce(Ticket.outcome_by, last_caller)


def _ikm(core: Antrean, start: date, end: date, *, service: str | None = None, office: int | None = None):
    """The SKM's IKM (antrean/services/survey.py, ``core.survey``): the one place reports read it.
    ``{"ikm","grade","respondents","weight","weight_label","elements":[{"code","name","nrr"}]}``."""
    return core.survey.ikm(start, end, service=service, office=office)


def _ikm_with_services(core: Antrean, start: date, end: date, office: int | None = None) -> tuple[dict, dict]:
    """The period's IKM and a dict service → its IKM, from one grouped read (``core.survey``)."""
    overall, rows = core.survey.ikm_with_services(start, end, office=office)
    return overall, {row["service"]: row for row in rows}


class ReportService:
    def __init__(self, core: Antrean) -> None:
        self.core = core

    # -- periods ----------------------------------------------------------------------------
    def period(
        self, start: date | str | None = None, end: date | str | None = None, now: datetime | None = None
    ) -> Period:
        """A period of office days; default: the current month up to today."""
        today = local(now or utcnow(), self.core.tz).date()
        s = parse_day(start, "from") if isinstance(start, str) else start
        e = parse_day(end, "to") if isinstance(end, str) else end
        s = s or today.replace(day=1)
        e = e or max(s, min(_month_end(s), today))
        if e < s:
            raise Invalid("Tanggal akhir sebelum tanggal awal.", field="to", detail=f"from={s} to={e}")
        if (e - s).days + 1 > MAX_DAYS:
            raise Invalid("Rentang laporan paling lama 3 tahun.", field="to", detail=f"{(e - s).days + 1} days")
        return Period(s, e, self.core.tz)

    def month(self, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return Period(first, _month_end(first), self.core.tz)

    def year(self, year: int) -> Period:
        return Period(date(year, 1, 1), date(year, 12, 31), self.core.tz)

    # -- the whole report ---------------------------------------------------------------------
    def summary(self, actor: Actor, period: Period) -> dict:
        """Every section of the report for this office and period (report roles only)."""
        _require_report(self.core, actor)
        core = self.core
        office = core.office_id
        with core.db.read() as s:
            conn = s.connection()  # Core rows: no ORM row processing for ~100,000 rows a year
            t_groups = self._ticket_groups(conn, [office], period)
            a_groups, missing = self._application_groups(conn, [office], period)
            steps = self._steps(s, office, period)
            counters = {c.id: c for c in s.execute(select(Counter).where(Counter.office_id == office)).scalars()}
            staff_ids = {k for k in t_groups["staff"] if k is not None}
            users = (
                {
                    uid: (full, username)
                    for uid, full, username in s.execute(
                        select(User.id, User.full_name, User.username).where(User.id.in_(staff_ids))
                    ).all()
                }
                if staff_ids
                else {}
            )
        names = {uid: v[0] for uid, v in users.items()}
        usernames = {uid: v[1] for uid, v in users.items()}
        sops = core.sops
        name_of = lambda code: sops[code].short_name if code in sops else code
        empty = self._no_tickets()

        by_service = t_groups["service"]
        app_by_service = a_groups["service"]
        ikm, ikm_by_service = _ikm_with_services(core, period.start, period.end)
        services = []
        for code in sorted(set(by_service) | set(app_by_service), key=lambda c: (name_of(c), c)):
            t, a = by_service.get(code) or empty, app_by_service.get(code, {})
            services.append(
                {
                    "service": code,
                    "name": name_of(code),
                    "standard_minutes": sops[code].standard_minutes if code in sops else None,
                    **t,
                    **self._app_cols(a),
                    "ikm": (ikm_by_service.get(code) or {}).get("ikm"),
                    "ikm_respondents": (ikm_by_service.get(code) or {}).get("respondents", 0),
                }
            )
        loket = []
        for cid, t in sorted(
            t_groups["counter"].items(), key=lambda kv: counters[kv[0]].number if kv[0] in counters else 10**6
        ):
            c = counters.get(cid)
            loket.append(
                {"counter": cid, "name": c.name if c else "(tanpa loket)", "number": c.number if c else None, **t}
            )
        staff = []
        for uid, t in sorted(t_groups["staff"].items(), key=lambda kv: names.get(kv[0]) or usernames.get(kv[0]) or "~"):
            staff.append(
                {"user": usernames.get(uid), "name": (names.get(uid) or usernames.get(uid) or "(tanpa petugas)"), **t}
            )
        hours = []
        for h, t in sorted(t_groups["hour"].items()):
            hours.append({"hour": h, "label": f"{h:02d}.00–{h:02d}.59", **t})
        trend_t = t_groups["bucket"]
        trend_a = a_groups["bucket"]
        trend = [
            {"bucket": b, "label": _bucket_label(b), **(trend_t.get(b) or empty), **self._app_cols(trend_a.get(b, {}))}
            for b in sorted(set(trend_t) | {k for k in trend_a if k is not None})
        ]
        step_rows = []
        for (code, no), (n, total, within, std) in sorted(steps.items(), key=lambda kv: (name_of(kv[0][0]), kv[0][1])):
            sop = sops.get(code)
            step = next((x for x in sop.steps if x.no == no), None) if sop else None
            step_rows.append(
                {
                    "service": code,
                    "name": name_of(code),
                    "step": no,
                    "activity": step.activity if step else "",
                    "role": step.role_name if step else "",
                    "count": n,
                    "mean_minutes": round(total / n, 1) if n else None,
                    "standard_minutes": std,
                    "measured": measured(std),
                    "within": within if measured(std) else None,
                    "within_pct": pct(within, n) if measured(std) else None,
                }
            )
        totals = dict(t_groups["total"].get(0) or empty)
        totals |= self._app_cols(a_groups["total"].get(0, {}))
        return {
            "office": core.office(),
            "period": period.to_dict(),
            "generated_at": iso(utcnow()),
            "totals": totals,
            "services": services,
            "counters": loket,
            "staff": staff,
            "hours": hours,
            "trend": trend,
            "steps": step_rows,
            "missing_documents": [{"document": d, "count": n} for d, n in missing.most_common(10)],
            "ikm": ikm,
        }

    @staticmethod
    def service_rows(report: dict) -> list[dict]:
        """``GET /api/v1/reports/summary``: one row per service (the interface other systems rely on)."""
        return [{k: r[k] for k in SUMMARY_FIELDS} for r in report["services"]]

    def signature(self, now: datetime | None = None) -> dict:
        """The PDF's letterhead and signature: office settings ``camat`` = {"name", "nip", "rank"} (the same
        setting the Maklumat on /publik uses: ``antrean.services.transparency.camat``),
        ``report_city`` and ``report_regency`` ("Pemerintah Kabupaten …"); blank lines to fill by hand
        when unset; dated today in the office's zone."""
        core = self.core
        return {
            "signer": camat(core),
            "city": str(core.get_setting("report_city", "") or ""),
            "regency": str(core.get_setting("report_regency", "") or ""),
            "signed_on": local(now or utcnow(), core.tz).date(),
        }

    # -- the kabupaten comparison --------------------------------------------------------------
    def regency(self, actor: Actor, period: Period) -> list[dict]:
        """One row per kecamatan in the database: for a regency admin (offices ["*"]) on PostgreSQL."""
        _require_report(self.core, actor)
        core = self.core
        if core.db.dialect != "postgresql":
            raise Invalid(
                "Perbandingan kabupaten hanya tersedia dengan PostgreSQL (basis data bersama).",
                status=409,
                code="needs_postgresql",
            )
        with core.db.read() as s:
            if not is_regency(actor):
                raise Forbidden(
                    "Perbandingan kabupaten hanya untuk admin kabupaten.",
                    detail=f"user {actor.username!r} offices={actor.offices!r}, needs ['*']",
                )
            outcome, first_call, _ = _ticket_facts()
            wait = func.extract("epoch", first_call - Ticket.issued_at) / 60.0
            served = func.count().filter(outcome == "served")
            t_rows = {
                r[0]: r
                for r in s.execute(
                    select(
                        Ticket.office_id,
                        func.count(),
                        served,
                        func.count().filter(outcome == "no_show"),
                        func.percentile_cont(0.5).within_group(wait),
                        func.percentile_cont(0.9).within_group(wait),
                        func.percentile_cont(0.5).within_group(
                            func.extract("epoch", Ticket.finished_at - Ticket.started_at) / 60.0
                        ),
                    )
                    .where(Ticket.day >= period.start, Ticket.day <= period.end)
                    .group_by(Ticket.office_id)
                ).all()
            }
            a_rows: dict[int, list[int]] = {}
            for oid, _code, done, within, returned in s.execute(self._app_within_query(None, period)):
                row = a_rows.setdefault(oid, [0, 0, 0])
                row[0] += done
                row[1] += within  # an SOP no longer installed has standard -1: never within
                row[2] += returned
            office_rows = s.execute(select(Office).order_by(Office.name)).scalars().all()
        out = []
        for o in office_rows:
            t = t_rows.get(o.id)
            done, within, returned = a_rows.get(o.id, [0, 0, 0])
            r1 = lambda v: None if v is None else round(float(v), 1)
            ikm = _ikm(core, period.start, period.end, office=o.id)
            out.append(
                {
                    "office": o.code,
                    "name": o.name,
                    "issued": t[1] if t else 0,
                    "served": t[2] if t else 0,
                    "no_show": t[3] if t else 0,
                    "wait_median_minutes": r1(t[4]) if t else None,
                    "wait_p90_minutes": r1(t[5]) if t else None,
                    "service_median_minutes": r1(t[6]) if t else None,
                    "applications_done": done,
                    "applications_returned": returned,
                    "within_standard_pct": pct(within, done),
                    "ikm": ikm["ikm"],
                    "ikm_grade": ikm["grade"],
                    "ikm_respondents": ikm["respondents"],
                }
            )
        return out

    # -- the queries ---------------------------------------------------------------------------
    def _ticket_groups(self, conn, offices: list[int], period: Period) -> dict:
        """Counts and wait/service statistics of the period's tickets per ``service``, ``counter``,
        ``staff`` (who closed it), ``hour`` (local hour of issue), ``bucket`` (the trend's) and ``total``
        (key 0): one scan of compact Core rows, grouped here (medians and p90s need every value)."""
        outcome, first_call, closer = _ticket_facts()
        clock = _Clock(self.core.tz, conn.dialect.name, period)
        rows = conn.execute(
            select(
                Ticket.service_code,
                Ticket.day,
                Ticket.counter_id,
                closer,
                outcome,
                Ticket.issued_at,
                first_call,
                Ticket.started_at,
                Ticket.finished_at,
                clock.key(Ticket.issued_at),
            ).where(Ticket.office_id.in_(offices), Ticket.day >= period.start, Ticket.day <= period.end)
        ).all()
        if not rows:
            return {dim: {} for dim in ("service", "counter", "staff", "hour", "bucket", "total")}
        codes, days, counters, staff, outcomes, issued, first, started, finished, keys = zip(*rows)
        waits = [None if f is None else max(0.0, (f - i).total_seconds() / 60.0) for i, f in zip(issued, first)]
        served = [
            None if o != "served" or a is None or b is None else max(0.0, (b - a).total_seconds() / 60.0)
            for o, a, b in zip(outcomes, started, finished)
        ]
        bucket = {d: period.bucket(d) for d in set(days)}
        hour = {k: clock.local(k).hour for k in set(keys)}
        dims = {
            "service": codes,
            "counter": counters,
            "staff": staff,
            "hour": [hour[k] for k in keys],
            "bucket": [bucket[d] for d in days],
            "total": [0] * len(rows),
        }
        return {dim: self._ticket_rows_of(ks, outcomes, waits, served) for dim, ks in dims.items()}

    @classmethod
    def _ticket_rows_of(cls, keys, outcomes, waits, served) -> dict:
        """key → counts per outcome and wait/service statistics, from parallel columns."""
        tally = Tally(zip(keys, outcomes))
        wait_of: dict = defaultdict(list)
        served_of: dict = defaultdict(list)
        for k, w in zip(keys, waits):
            if w is not None:
                wait_of[k].append(w)
        for k, m in zip(keys, served):
            if m is not None:
                served_of[k].append(m)
        counts: dict = defaultdict(dict)
        for (k, o), n in tally.items():
            counts[k][o] = n
        out = {}
        for k, c in counts.items():
            wait, service = stats(wait_of.get(k, [])), stats(served_of.get(k, []))
            closed = sum(c.get(o, 0) for o in OUTCOMES)
            out[k] = {
                "issued": sum(c.values()),
                **{o: c.get(o, 0) for o in OUTCOMES},
                "open": c.get(None, 0),
                **{f"wait_{s}_minutes": wait[s] for s in ("mean", "median", "p90")},
                **{f"service_{s}_minutes": service[s] for s in ("mean", "median", "p90")},
                "no_show_pct": pct(c.get("no_show", 0), closed),
            }
        return out

    @staticmethod
    def _no_tickets() -> dict:
        """The row of a group without tickets."""
        return {
            "issued": 0,
            **{o: 0 for o in OUTCOMES},
            "open": 0,
            **{f"{m}_{s}_minutes": None for m in ("wait", "service") for s in ("mean", "median", "p90")},
            "no_show_pct": None,
        }

    def _app_within_query(self, offices: list[int] | None, period: Period):
        """Per application completed or returned in the period: its measured minutes vs its SOP's standard."""
        measured_minutes = func.sum(case((StepLog.standard_minutes > 0, StepLog.minutes), else_=0.0))
        per_app = (
            select(
                Application.id.label("id"),
                Application.office_id.label("office_id"),
                Application.service_code.label("service"),
                Application.status.label("status"),
                measured_minutes.label("minutes"),
            )
            .join(StepLog, StepLog.application_id == Application.id)
            .where(
                Application.closed_at >= period.utc_start,
                Application.closed_at < period.utc_end,
                *([Application.office_id.in_(offices)] if offices is not None else []),
            )
            .group_by(Application.id, Application.office_id, Application.service_code, Application.status)
        ).subquery()
        standards = [(code, sop.standard_minutes) for code, sop in self.core.sops.items()]
        std = case(*[(per_app.c.service == code, m) for code, m in standards], else_=-1) if standards else -1
        return select(
            per_app.c.office_id,
            per_app.c.service,
            func.sum(case((per_app.c.status == "done", 1), else_=0)),
            func.sum(case((and_(per_app.c.status == "done", per_app.c.minutes <= std), 1), else_=0)),
            func.sum(case((per_app.c.status == "returned", 1), else_=0)),
        ).group_by(per_app.c.office_id, per_app.c.service)

    def _application_groups(self, conn, offices: list[int], period: Period) -> tuple[dict, Tally]:
        """Applications opened, completed (within standard) or returned in the period per ``service``,
        ``bucket`` (of the local day closed) and ``total`` (key 0), counted in SQL; and the documents
        missing from the returned ones."""
        opened = and_(Application.created_at >= period.utc_start, Application.created_at < period.utc_end)
        closed = and_(Application.closed_at >= period.utc_start, Application.closed_at < period.utc_end)
        measured_minutes = (
            select(StepLog.application_id.label("app"), func.sum(StepLog.minutes).label("minutes"))
            .join(Application, Application.id == StepLog.application_id)
            .where(Application.office_id.in_(offices), closed, StepLog.standard_minutes > 0)
            .group_by(StepLog.application_id)
            .subquery()
        )  # one grouped pass, outer-joined
        standards = [(code, sop.standard_minutes) for code, sop in self.core.sops.items()]
        std = case(*[(Application.service_code == code, m) for code, m in standards], else_=None) if standards else None
        within = (
            case(
                (
                    and_(
                        closed,
                        Application.status == "done",
                        func.coalesce(measured_minutes.c.minutes, 0.0) <= std + 1e-9,
                    ),
                    1,
                ),
                else_=0,
            )
            if std is not None
            else literal(0)
        )
        clock = _Clock(self.core.tz, conn.dialect.name, period)
        per_app = (
            select(
                Application.service_code.label("service"),
                Application.status.label("status"),
                case((closed, clock.key(Application.closed_at)), else_=None).label("closed_key"),
                case((opened, 1), else_=0).label("opened"),
                within.label("within"),
            )
            .outerjoin(measured_minutes, measured_minutes.c.app == Application.id)
            .where(Application.office_id.in_(offices), opened | closed)
        ).subquery()
        rows = conn.execute(
            select(
                per_app.c.service,
                per_app.c.status,
                per_app.c.closed_key,
                func.sum(per_app.c.opened),
                func.count(),
                func.sum(per_app.c.within),
            ).group_by(per_app.c.service, per_app.c.status, per_app.c.closed_key)
        ).all()
        out: dict = {
            dim: defaultdict(lambda: {"opened": 0, "done": 0, "returned": 0, "within": 0})
            for dim in ("service", "bucket", "total")
        }
        for code, status, key, n_opened, n, n_within in rows:
            in_closed = key is not None
            bucket = period.bucket(clock.local(key).date()) if in_closed else None
            for dim, k in (("service", code), ("bucket", bucket), ("total", 0)):
                row = out[dim][k]
                row["opened"] += int(n_opened or 0)
                row["done"] += n if in_closed and status == "done" else 0
                row["returned"] += n if in_closed and status == "returned" else 0
                row["within"] += int(n_within or 0)
        missing: Tally[str] = Tally()
        for (docs,) in conn.execute(
            select(Application.missing_documents)
            .where(Application.office_id.in_(offices), closed, Application.status == "returned")
            .order_by(Application.id)
        ):
            missing.update(docs or ["(alasan lain)"])
        return {dim: dict(v) for dim, v in out.items()}, missing

    @staticmethod
    def _app_cols(a: dict) -> dict:
        done = a.get("done", 0)
        return {
            "applications_opened": a.get("opened", 0),
            "applications_done": done,
            "applications_returned": a.get("returned", 0),
            "within_standard": a.get("within", 0),
            "within_standard_pct": pct(a.get("within", 0), done),
        }

    def _steps(self, s, office: int, period: Period) -> dict:
        """(service, step) → (count, total minutes, within standard, standard) of steps ended in the period."""
        # SQLite (no ANALYZE statistics) would walk every application of the office and all its steps; ``+ 0``
        # keeps it off the office index so it reads the period's slice of ix_step_log_ended instead
        office_col = Application.office_id + 0 if self.core.db.dialect == "sqlite" else Application.office_id
        rows = (
            s.connection()
            .execute(
                select(
                    Application.service_code,
                    StepLog.step_no,
                    func.count(),
                    func.sum(StepLog.minutes),
                    func.sum(case((StepLog.minutes <= StepLog.standard_minutes, 1), else_=0)),
                    func.max(StepLog.standard_minutes),
                )
                .select_from(StepLog)
                .join(Application, Application.id == StepLog.application_id)
                .where(office_col == office, StepLog.ended_at >= period.utc_start, StepLog.ended_at < period.utc_end)
                .group_by(Application.service_code, StepLog.step_no)
            )
            .all()
        )
        return {(code, no): (n, float(total or 0), int(within or 0), std) for code, no, n, total, within, std in rows}

    # -- the live board ------------------------------------------------------------------------
    def live(self, actor: Actor, now: datetime | None = None) -> dict:
        """``/console/pantau``: the office right now (no personal data)."""
        _require_report(self.core, actor)
        core = self.core
        now = now or utcnow()
        today = local(now, core.tz).date()
        period = Period(today, today, core.tz)
        outcome = _ticket_facts()[0]
        sops = core.sops
        with core.db.read() as s:
            waiting = s.execute(
                select(Ticket.service_code, func.count(), func.min(Ticket.issued_at))
                .where(Ticket.office_id == core.office_id, Ticket.day == today, Ticket.status == "waiting")
                .group_by(Ticket.service_code)
            ).all()
            outcomes: dict[str, int] = dict(
                s.execute(
                    select(outcome, func.count())
                    .where(Ticket.office_id == core.office_id, Ticket.day == today)
                    .group_by(outcome)
                ).all()
            )
            counters = (
                s.execute(select(Counter).where(Counter.office_id == core.office_id).order_by(Counter.number))
                .scalars()
                .all()
            )
            current = {}
            for t in s.execute(
                select(Ticket).where(
                    Ticket.office_id == core.office_id, Ticket.day == today, Ticket.status.in_(("called", "serving"))
                )
            ).scalars():
                current[t.counter_id] = t
            callers = dict(
                s.execute(
                    select(Call.counter_id, User.full_name)
                    .join(User, User.id == Call.actor_id)
                    .where(
                        Call.seq.in_(
                            select(func.max(Call.seq))
                            .where(Call.office_id == core.office_id, Call.at >= period.utc_start)
                            .group_by(Call.counter_id)
                        )
                    )
                ).all()
            )
            open_apps = s.execute(
                select(
                    Application.service_code, Application.current_step, Application.step_started_at, Service.role_map
                )
                .join(
                    Service, and_(Service.office_id == Application.office_id, Service.code == Application.service_code)
                )
                .where(Application.office_id == core.office_id, Application.status == "open")
            ).all()
        over: dict = defaultdict(lambda: {"open": 0, "red": 0, "amber": 0})
        rules = core.calendar.rules()  # a step's minutes are office minutes (workflow.step_minutes, one rule)
        for code, step_no, started, role_map in open_apps:
            sop = sops.get(code)
            if sop is None:
                continue
            step = next((x for x in sop.steps if x.no == step_no), None)
            if step is None:
                continue
            role = core.effective_role(sop, step.role, role_map)
            state = sla_state(step_minutes(rules, started, now), step.minutes)
            row = over[role]
            row["open"] += 1
            if state in ("red", "amber"):
                row[state] += 1
        longest = min((w[2] for w in waiting), default=None)
        return {
            "at": iso(now),
            "day": today.isoformat(),
            "waiting": [
                {
                    "service": code,
                    "name": sops[code].short_name if code in sops else code,
                    "count": n,
                    "longest_minutes": round(_minutes(oldest, now) or 0, 1),
                }
                for code, n, oldest in sorted(waiting, key=lambda w: -w[1])
            ],
            "waiting_total": sum(w[1] for w in waiting),
            "longest_wait_minutes": round(_minutes(longest, now) or 0, 1) if longest else None,
            "counters": [
                {
                    "id": c.id,
                    "name": c.name,
                    "number": c.number,
                    "active": c.active,
                    "ticket": current[c.id].number if c.id in current else None,
                    "status": current[c.id].status if c.id in current else None,
                    "staff": callers.get(c.id) if c.id in current else None,
                }
                for c in counters
            ],
            "over_standard": [
                {"role": r, "role_name": STAFF_ROLES.get(r, r), **v}
                for r, v in sorted(over.items(), key=lambda kv: (-kv[1]["red"], kv[0]))
            ],
            "printers": [{k: p[k] for k in ("name", "state", "checked_at")} for p in _printers(core)],
            "today": {
                "issued": sum(outcomes.values()),
                "served": outcomes.get("served", 0),
                "no_show": outcomes.get("no_show", 0),
            },
            "ikm": _ikm(core, today, today),
        }


def _printers(core: Antrean) -> list[dict]:
    """The office's printers as the hardware plugin reports them (its service on core.extensions); none
    without the plugin."""
    hardware = core.extensions.get("hardware")
    return hardware.printers() if hardware is not None else []


SUMMARY_FIELDS = (
    "service",
    "name",
    "issued",
    "served",
    "no_show",
    "transferred",
    "expired",
    "wait_mean_minutes",
    "wait_median_minutes",
    "wait_p90_minutes",
    "service_mean_minutes",
    "service_median_minutes",
    "service_p90_minutes",
    "applications_done",
    "applications_returned",
    "within_standard_pct",
)


def _bucket_label(b: str) -> str:
    if len(b) == 7:
        return f"{BULAN[int(b[5:]) - 1]} {b[:4]}"
    if len(b) == 10:
        d = date.fromisoformat(b)
        return f"{d.day} {BULAN[d.month - 1][:3]}"
    return b
