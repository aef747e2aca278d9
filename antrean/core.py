"""The core object: settings, database, plugins and the office's services.

Knows no HTML, no printer and no Flask: every face talks to an ``Antrean``.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from antrean.kernel import policy
from antrean.kernel.config import Settings, load_settings
from antrean.kernel.db import Database
from antrean.kernel.errors import Forbidden, Invalid, NotFound
from antrean.kernel import i18n
from antrean.kernel.events import Event
from antrean.kernel.models import AuditLog, Office, Service, Setting
from antrean.kernel.plugins import PluginHost, build_plugin_host
from antrean.kernel.sop import GROUPS, ROLES, STAFF_ROLES, Sop
from antrean.kernel.timeutil import utcnow

log = logging.getLogger(__name__)

PRIORITIES: dict[str, str] = {
    "lansia": "Lansia",
    "disabilitas": "Penyandang disabilitas",
    "ibu_hamil": "Ibu hamil / membawa balita",
}

DEFAULT_POLICY: dict[str, Any] = {
    "mode": "priority_first",   # priority_first | ratio | fifo
    "ratio_normal": 2,          # with mode=ratio: this many normal calls…
    "ratio_priority": 1,        # …then this many priority calls
    "max_wait_minutes": 60,     # a ticket waiting longer than this goes first (0 = off)
    "max_recalls": 3,           # recalls allowed before the clerk must skip (no-show)
    "default_service_minutes": 5,
    "booked_first": True,       # a booked ticket inside its slot goes before walk-ins (antrean/services/booking.py)
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, or a device/system for unauthenticated actions."""
    id: int | None
    username: str
    roles: frozenset[str] = frozenset()
    full_name: str = ""
    #: office codes of the account (("*",) = every office); None for the CLI and devices
    offices: tuple[str, ...] | None = None
    #: the account's session generation when this actor was loaded (see UserService.get)
    epoch: int = 0

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


SYSTEM = Actor(None, "system")


class Antrean:
    """One office's core. Build with ``Antrean(settings)``; close with ``close()``."""

    def __init__(self, settings: Settings | dict | None = None, *, plugins: tuple = (),
                 builtins: tuple[str, ...] | None = None, entry_points: bool = True):
        self.settings = settings if isinstance(settings, Settings) else load_settings(settings)
        self.db = Database(self.settings.database_url)
        self.db.on_commit(self._publish)
        self.plugins: PluginHost = build_plugin_host(tuple(plugins), builtins=builtins, entry_points=entry_points)
        self.extensions: dict[str, Any] = {}
        self._office_id: int | None = None
        self._lock = threading.Lock()
        from antrean.services.booking import BookingService
        from antrean.services.calendar import CalendarService
        from antrean.services.notify import NotifyService
        from antrean.services.queue import QueueService
        from antrean.services.reports import ReportService
        from antrean.services.survey import SurveyService
        from antrean.services.tickets import TicketService
        from antrean.services.users import UserService
        from antrean.services.workflow import WorkflowService
        self.calendar = CalendarService(self)
        self.tickets = TicketService(self)
        self.queue = QueueService(self)
        self.workflow = WorkflowService(self)
        self.users = UserService(self)
        self.reports = ReportService(self)
        self.survey = SurveyService(self)
        self.notify = NotifyService(self)
        self.booking = BookingService(self)

    # -- plumbing -------------------------------------------------------
    @property
    def hook(self):
        return self.plugins.hook

    @property
    def sops(self) -> dict[str, Sop]:
        return self.plugins.sops

    @property
    def tz(self):
        return self.settings.tz

    def on_close(self, stop) -> None:
        """Call ``stop()`` when the core closes (background workers of the kernel itself)."""
        self.extensions.setdefault("antrean.on_close", []).append(stop)

    def close(self) -> None:
        try:
            for stop in self.extensions.pop("antrean.on_close", []):
                stop()
            self.hook.shutdown(core=self)
        finally:
            committer = self.extensions.pop("group_commit", None)
            if committer is not None:
                committer.close()
            self.db.dispose()

    def migrate(self) -> None:
        from antrean.kernel.migrate import upgrade

        upgrade(self.db)
        self._office_id = self.ensure_office()

    @property
    def office_id(self) -> int:
        if self._office_id is None:
            with self._lock:
                if self._office_id is None:
                    self._office_id = self.ensure_office()
        return self._office_id

    def ensure_office(self, session=None) -> int:
        """Create the office row and one service row per SOP if missing (idempotent).

        Pass the caller's write session when already inside a transaction:
        on SQLite a second write transaction would wait for the first forever.
        """
        if session is None:
            with self.db.write() as s:
                return self.ensure_office(s)
        st = self.settings
        office = session.execute(select(Office).where(Office.code == st.office_code)).scalar_one_or_none()
        if office is None:
            office = Office(code=st.office_code, name=st.office_name, address=st.office_address, timezone=st.timezone)
            session.add(office)
            session.flush()
        self._sync_services(session, office.id)
        session.flush()
        self._office_id = office.id
        return office.id

    def _sync_services(self, session, office_id: int) -> None:
        rows = {r.code: r for r in session.execute(select(Service).where(Service.office_id == office_id)).scalars()}
        used = {r.letter for r in rows.values()}
        for code, sop in self.sops.items():
            if code in rows:
                continue
            letter = sop.letter
            if letter in used:  # a third-party SOP wants a taken letter: pick a free one, admin can change it
                letter = next(a + b for a in ("",) + tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                              for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if a + b not in used)
            used.add(letter)
            session.add(Service(office_id=office_id, code=code, letter=letter, enabled=True, role_map={}))

    # -- audit and events --------------------------------------------------
    def _office_in(self, session) -> int:
        return self._office_id if self._office_id is not None else self.ensure_office(session)

    def audit(self, session, actor: Actor, action: str, target_type: str = "", target_id: Any = "", *,
              event: dict | None = None, legacy=None, at: datetime | None = None, **detail) -> Event | None:
        """Write one audit row and queue the action's event (``events.AUDIT_EVENTS``) in the same call.

        ``event`` is the event's public data (default ``{target_type: target_id}``); ``detail`` is the
        audit row's (may hold what the event must not, e.g. a changed full name). ``legacy`` is the
        older specific hook to fire with it (see :meth:`emit`). An action in neither
        ``AUDIT_EVENTS`` nor ``AUDIT_ONLY`` is refused: nothing is audited without its event.
        """
        from antrean.kernel.events import AUDIT_EVENTS, AUDIT_ONLY
        if action not in AUDIT_EVENTS and action not in AUDIT_ONLY:
            raise ValueError(f"audit action {action!r} has no event: add it to antrean.kernel.events.AUDIT_EVENTS "
                             f"(or AUDIT_ONLY if no face may care)")
        at = at or utcnow()
        session.add(AuditLog(office_id=self._office_in(session), at=at, actor_id=actor.id, actor=actor.username,
                             action=action, target_type=target_type, target_id=str(target_id), detail=detail))
        if action in AUDIT_ONLY:
            return None
        data = event if event is not None else {(target_type or "id"): target_id}
        return self.emit(session, AUDIT_EVENTS[action], actor=actor, at=at, legacy=legacy, **data)

    def emit(self, session, type: str, *, actor: Actor | None = None, at: datetime | None = None,
             legacy=None, **data) -> Event:
        """Queue an event on ``session``; it is published after the transaction commits (never on
        rollback, nor when the savepoint it was emitted in rolls back).

        ``legacy=(hook_name, kwargs)`` also fires an older specific hook (``ticket_called`` …) from the
        same dispatcher; ``kwargs`` may be a callable, evaluated after commit (e.g. to read a view).
        """
        from antrean.kernel.events import Event, check_data, queue
        from antrean.kernel.timeutil import iso
        check_data(type, data)
        ev = Event(type=type, office_id=self._office_in(session), at=iso(at or utcnow()),
                   actor=(actor or SYSTEM).username, data=data, legacy=legacy)
        queue(session, ev)
        return ev

    def _publish(self, events: list[Event]) -> None:
        """After a commit: each event through ``event_published``, then its specific hook, in order.
        A failing plugin is logged, never raised: the change is committed already."""
        for ev in events:
            try:
                self.hook.event_published(core=self, event=ev)
            except Exception:
                log.exception("event_published failed for %s", ev.type)
            if ev.legacy is not None:
                name, kwargs = ev.legacy
                try:
                    getattr(self.hook, name)(core=self, **(kwargs() if callable(kwargs) else kwargs))
                except Exception:
                    log.exception("hook %s failed for %s", name, ev.type)

    def audit_log(self, actor: Actor, *, action: str | None = None, user: str | None = None,
                  target_type: str | None = None, target_id: str | None = None, since: datetime | None = None,
                  until: datetime | None = None, limit: int = 100, offset: int = 0) -> dict:
        """Admins read the audit log, newest first. ``action`` matches a prefix ("ticket." or "user.create");
        ``since``/``until`` are UTC datetimes (``until`` exclusive). Returns {"total", "items"}."""
        policy.require(self, actor, "audit.read")
        from sqlalchemy import func
        from antrean.kernel.timeutil import iso
        conds = [AuditLog.office_id == self.office_id]
        if action:
            conds.append(AuditLog.action.startswith(action, autoescape=True))
        if user:
            conds.append(AuditLog.actor == user)
        if target_type:
            conds.append(AuditLog.target_type == target_type)
        if target_id:
            conds.append(AuditLog.target_id == str(target_id))
        if since is not None:
            conds.append(AuditLog.at >= since)
        if until is not None:
            conds.append(AuditLog.at < until)
        limit, offset = max(1, min(int(limit), 1000)), max(0, int(offset))
        with self.db.read() as s:
            total = s.execute(select(func.count()).select_from(AuditLog).where(*conds)).scalar_one()
            rows = s.execute(select(AuditLog).where(*conds).order_by(AuditLog.at.desc(), AuditLog.id.desc())
                             .limit(limit).offset(offset)).scalars().all()
            return {"total": total, "items": [
                {"id": r.id, "at": iso(r.at), "actor": r.actor, "actor_id": r.actor_id, "action": r.action,
                 "target_type": r.target_type, "target_id": r.target_id, "detail": r.detail} for r in rows]}

    def printers(self) -> list[dict]:
        """The office's printers with their last known state (rows kept by the hardware plugin)."""
        from antrean.kernel.models import Printer
        from antrean.kernel.timeutil import iso
        with self.db.read() as s:
            rows = s.execute(select(Printer).where(Printer.office_id == self.office_id)
                             .order_by(Printer.name)).scalars().all()
            return [{"id": p.id, "name": p.name, "url": p.url, "profile": p.profile, "state": p.state,
                     "detail": p.detail, "checked_at": iso(p.checked_at)} for p in rows]

    def print_trouble(self, day=None) -> dict:
        """What the front desk must see (rows kept by the hardware plugin): printers that are offline,
        out of paper or in error, and print jobs of the office ``day``'s tickets (default today) that did
        not surely print (``uncertain``/``failed``) and were not reprinted since (no later job for the
        ticket). Reads today's tickets through their (office, day) index, not the whole job history."""
        from sqlalchemy import func
        from antrean.kernel.models import Printer, PrintJob, Ticket
        from antrean.kernel.timeutil import iso, office_day
        with self.db.read() as s:
            printers = [{"name": p.name, "state": p.state, "detail": p.detail, "checked_at": iso(p.checked_at)}
                        for p in s.execute(select(Printer).where(
                            Printer.office_id == self.office_id, Printer.state.in_(("offline", "paper_out", "error")),
                            func.lower(Printer.url) != "none").order_by(Printer.name)).scalars()]
            rows = s.execute(select(PrintJob, Ticket.number).join(Ticket, Ticket.id == PrintJob.ticket_id)
                             .where(Ticket.office_id == self.office_id, Ticket.day == (day or office_day(self.tz)),
                                    PrintJob.status.in_(("uncertain", "failed")))
                             .order_by(PrintJob.id)).all()
            latest = dict(s.execute(select(PrintJob.ticket_id, func.max(PrintJob.id))
                                    .where(PrintJob.ticket_id.in_({j.ticket_id for j, _ in rows}))
                                    .group_by(PrintJob.ticket_id)).all()) if rows else {}
            jobs = [{"id": j.id, "ticket_id": j.ticket_id, "number": number, "printer": j.printer_name,
                     "kind": j.kind, "status": j.status, "last_error": j.last_error, "created_at": iso(j.created_at)}
                    for j, number in rows if latest.get(j.ticket_id) == j.id]
        return {"printers": printers, "jobs": jobs}

    def lock_row(self, session, model, row_id, what: tuple[str, str]):
        """This office's ``model`` row ``row_id``, locked for the transaction (FOR UPDATE on
        PostgreSQL; SQLite's write transaction holds the database lock already).
        ``what`` is the (Indonesian, English) noun for messages, e.g. ("Tiket", "Ticket")."""
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise Invalid("Nomor %(what)s tidak sah.", params={"what": i18n.LazyString(what[0].lower())})
        q = select(model).where(model.id == row_id, model.office_id == self.office_id)
        if self.db.dialect == "postgresql":
            q = q.with_for_update()
        row = session.execute(q).scalar_one_or_none()
        if row is None:
            raise NotFound("%(what)s tidak ditemukan.", params={"what": i18n.LazyString(what[0])})
        return row

    # -- office settings ------------------------------------------------
    def get_setting(self, key: str, default=None, session=None):
        def q(s):
            row = s.get(Setting, (self.office_id, key))
            return default if row is None or row.value is None else row.value
        if session is not None:
            return q(session)
        with self.db.read() as s:
            return q(s)

    def set_setting(self, key: str, value, actor: Actor) -> None:
        policy.require(self, actor, "settings.write")
        with self.db.write() as s:
            row = s.get(Setting, (self.office_id, key))
            old = None if row is None else row.value
            if row is None:
                s.add(Setting(office_id=self.office_id, key=key, value=value))
            else:
                row.value = value
            self.audit(s, actor, "setting.update", "setting", key, event={"key": key}, old=old, new=value)

    def policy(self, counter_policy: dict | None = None, session=None) -> dict:
        p = dict(DEFAULT_POLICY)
        p.update(self.get_setting("queue_policy", {}, session=session) or {})
        p.update(counter_policy or {})
        return p

    def office(self) -> dict:
        with self.db.read() as s:
            o = s.get(Office, self.office_id)
            return {"code": o.code, "name": o.name, "address": o.address, "timezone": o.timezone,
                    "tz_label": self.settings.tz_label}

    def update_office(self, actor: Actor, *, name: str | None = None, address: str | None = None) -> dict:
        policy.require(self, actor, "office.write")
        with self.db.write() as s:
            o = s.get(Office, self.office_id)
            old = {"name": o.name, "address": o.address}
            if name is not None:
                name = name.strip()
                if not name or len(name) > 200:
                    raise Invalid("Nama kantor wajib diisi (maksimal 200 karakter).")
                o.name = name
            if address is not None:
                o.address = address.strip()[:300]
            self.audit(s, actor, "office.update", "office", o.code, old=old, new={"name": o.name, "address": o.address})
        return self.office()

    # -- services -------------------------------------------------------
    def services(self, *, enabled_only: bool = False, session=None) -> list[dict]:
        def q(s):
            rows = s.execute(select(Service).where(Service.office_id == self.office_id)).scalars().all()
            by_code = {r.code: r for r in rows}
            out = []
            for code, sop in self.sops.items():
                row = by_code.get(code)
                if row is None or (enabled_only and not row.enabled):
                    continue
                out.append(self.service_view(sop, row))
            return out
        if session is not None:
            return q(session)
        with self.db.read() as s:
            return q(s)

    def service(self, code: str, session=None) -> dict:
        for svc in self.services(session=session):
            if svc["code"] == code:
                return svc
        raise NotFound("Layanan tidak ditemukan.", detail=f"unknown service code {code!r}")

    def service_view(self, sop: Sop, row: Service) -> dict:
        return {
            "code": sop.code, "name": sop.name, "short_name": sop.short_name, "group": sop.group,
            "group_name": GROUPS[sop.group], "letter": row.letter, "icon": sop.icon, "enabled": row.enabled,
            "standard_minutes": sop.standard_minutes,
            "documents": list(row.checklist if row.checklist is not None else sop.documents),
            "daily_quota": row.daily_quota, "open_time": row.open_time, "close_time": row.close_time,
            "role_map": dict(row.role_map or {}),
            "steps": [step.to_dict() | {"office_role": self.effective_role(sop, step.role, row.role_map)}
                      for step in sop.steps],
        }

    @staticmethod
    def effective_role(sop: Sop, role: str, role_map: dict | None) -> str:
        """The staff role that performs (or records) a step in this office."""
        role_map = role_map or {}
        if role == "pemohon":
            role = role_map.get("pemohon", sop.front_desk_role)
        return role_map.get(role, role)

    def update_service(self, code: str, actor: Actor, **changes) -> dict:
        policy.require(self, actor, "service.write")
        import re
        sop = self.sops.get(code)
        if sop is None:
            raise NotFound("Layanan tidak ditemukan.", detail=code)
        with self.db.write() as s:
            row = s.execute(select(Service).where(Service.office_id == self.office_id, Service.code == code)).scalar_one()
            old = {k: getattr(row, k) for k in changes if hasattr(row, k)}
            for key, value in changes.items():
                if key == "enabled":
                    row.enabled = bool(value)
                elif key == "letter":
                    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{1,2}", value):
                        raise Invalid("Huruf tiket harus satu atau dua huruf kapital.")
                    clash = s.execute(select(Service.code).where(Service.office_id == self.office_id,
                                                                 Service.letter == value, Service.code != code)).scalar()
                    if clash:
                        raise Invalid("Huruf %(value)s sudah dipakai layanan lain (%(clash)s).", params={"value": value, "clash": clash})
                    row.letter = value
                elif key == "role_map":
                    if not isinstance(value, dict) or any(k not in ROLES or v not in STAFF_ROLES for k, v in value.items()):
                        raise Invalid("Pemetaan peran tidak sah.", detail=str(value))
                    row.role_map = dict(value)
                elif key == "checklist":
                    if value is not None and (not isinstance(value, list) or
                                              not all(isinstance(x, str) and x.strip() for x in value)):
                        raise Invalid("Daftar dokumen tidak sah.")
                    row.checklist = None if value is None else [x.strip() for x in value]
                elif key == "daily_quota":
                    if value not in (None, "") and (not str(value).isdecimal() or int(value) < 1):
                        raise Invalid("Kuota harian harus bilangan bulat positif.")
                    row.daily_quota = None if value in (None, "") else int(value)
                elif key in ("open_time", "close_time"):
                    if value not in (None, "") and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(value)):
                        raise Invalid("Jam harus berformat JJ:MM.")
                    setattr(row, key, value or None)
                else:
                    raise Invalid("Pengaturan tidak dikenal.", detail=key)
            self.audit(s, actor, "service.update", "service", code, old=old, new=changes)
            return self.service_view(sop, row)


def require_role(actor: Actor, *roles: str) -> None:
    """A bare role check, kept for third-party plugins. Antrean's own decisions live in :mod:`antrean.kernel.policy`."""
    if not actor.roles.intersection(roles):
        names = ", ".join(STAFF_ROLES.get(r, r) for r in roles)
        raise Forbidden("Tindakan ini memerlukan peran: %(names)s.", params={"names": names},
                        detail=f"user {actor.username!r} has roles {sorted(actor.roles)}, needs one of {list(roles)}")


def now_utc() -> datetime:
    return utcnow()
