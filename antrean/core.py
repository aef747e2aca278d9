"""The core object: settings, database, plugins and the office's services.

Knows no HTML, no printer and no Flask: every face talks to an ``Antrean``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pluggy import HookRelay
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from antrean.kernel import i18n, policy
from antrean.kernel.actors import DEFAULT_POLICY, SYSTEM, Actor
from antrean.kernel.config import ConfigError, Settings, load_settings
from antrean.kernel.db import Database
from antrean.kernel.errors import Invalid, NotFound, Unavailable
from antrean.kernel.events import AUDIT_EVENTS, AUDIT_ONLY, Event, check_data, queue
from antrean.kernel.migrate import upgrade
from antrean.kernel.models import AuditLog, Base, Office, Service, Setting
from antrean.kernel.plugin_settings import namespace_of
from antrean.kernel.plugins import FACE_PLUGINS, PluginHost, build_plugin_host
from antrean.kernel.sop import GROUPS, ROLES, STAFF_ROLES, Sop
from antrean.kernel.timeutil import iso, utcnow
from antrean.services.booking import BookingService
from antrean.services.calendar import CalendarService
from antrean.services.notify import NotifyService
from antrean.services.queue import QueueService
from antrean.services.reports import ReportService
from antrean.services.survey import SurveyService
from antrean.services.tickets import TicketService
from antrean.services.users import UserService
from antrean.services.workflow import WorkflowService
from plugins import BUILTIN_SOP_MODULES

log = logging.getLogger(__name__)

#: a model with ``id`` and ``office_id`` columns (Ticket, Counter, Application …)
_Row = TypeVar("_Row", bound=Base)


def builtin_plugin_names() -> tuple[str, ...]:
    """The built-in plugins, SOPs first: what every core (and the CLI's command loader) registers."""
    return tuple(BUILTIN_SOP_MODULES) + FACE_PLUGINS


class Antrean:
    """One office's core. Build with ``Antrean(settings)``; close with ``close()``."""

    def __init__(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        plugins: tuple[object, ...] = (),
        builtins: tuple[str, ...] | None = None,
        entry_points: bool = True,
    ) -> None:
        self.settings = settings if isinstance(settings, Settings) else load_settings(settings)
        self.db = Database(self.settings.database_url)
        self.db.on_commit(self._publish)
        self.plugins: PluginHost = build_plugin_host(
            tuple(plugins), entry_points=entry_points, builtins=builtin_plugin_names() if builtins is None else builtins
        )
        try:  # plugins' own settings, checked now like the core's (ConfigError: one line naming it)
            self.plugins.resolve_settings(self.settings, os.environ)
        except ConfigError:
            self.db.dispose()
            raise
        self.extensions: dict[str, Any] = {}
        self._office_id: int | None = None
        self._lock = threading.Lock()
        self.calendar = CalendarService(self)
        self.tickets = TicketService(self)
        self.queue = QueueService(self)
        self.workflow = WorkflowService(self)
        self.users = UserService(self)
        self.reports = ReportService(self)
        self.survey = SurveyService(self)
        self.notify = NotifyService(self)
        self.booking = BookingService(self)
        self.hook.init_core(core=self)  # plugins register their services on self.extensions

    # -- plumbing -------------------------------------------------------
    @property
    def hook(self) -> HookRelay:
        return self.plugins.hook

    @property
    def sops(self) -> dict[str, Sop]:
        return self.plugins.sops

    def plugin_settings(self, namespace: str) -> Mapping[str, Any]:
        """A plugin's declared settings (hook ``register_settings``), checked at start-up: read-only.

        ``namespace`` is the plugin's entry-point name (``display`` for the built-in ``display.plugin``)."""
        values = self.plugins.settings_values.get(namespace_of(namespace))
        if values is None:
            raise KeyError(f"no plugin declares settings under {namespace!r}")
        return MappingProxyType(values)

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def on_close(self, stop: Callable[[], object]) -> None:
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
        upgrade(self.db, plugins=self.plugins)
        self._office_id = self.ensure_office()

    @property
    def office_id(self) -> int:
        if self._office_id is None:
            with self._lock:
                if self._office_id is None:
                    self._office_id = self.ensure_office()
        return self._office_id

    def ensure_office(self, session: Session | None = None) -> int:
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

    def _sync_services(self, session: Session, office_id: int) -> None:
        rows = {r.code: r for r in session.execute(select(Service).where(Service.office_id == office_id)).scalars()}
        used = {r.letter for r in rows.values()}
        for code, sop in self.sops.items():
            if code in rows:
                continue
            letter = sop.letter
            if letter in used:  # a third-party SOP wants a taken letter: pick a free one, admin can change it
                letter = next(
                    a + b
                    for a in ("",) + tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                    for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    if a + b not in used
                )
            used.add(letter)
            session.add(Service(office_id=office_id, code=code, letter=letter, enabled=True, role_map={}))

    # -- audit and events --------------------------------------------------
    def _office_in(self, session: Session) -> int:
        return self._office_id if self._office_id is not None else self.ensure_office(session)

    def audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        target_type: str = "",
        target_id: Any = "",
        *,
        event: dict[str, Any] | None = None,
        legacy: tuple[str, Any] | None = None,
        at: datetime | None = None,
        **detail: Any,
    ) -> Event | None:
        """Write one audit row and queue the action's event (``events.AUDIT_EVENTS``) in the same call.

        ``event`` is the event's public data (default ``{target_type: target_id}``); ``detail`` is the
        audit row's (may hold what the event must not, e.g. a changed full name). ``legacy`` is the
        older specific hook to fire with it (see :meth:`emit`). An action in neither
        ``AUDIT_EVENTS`` nor ``AUDIT_ONLY`` is refused: nothing is audited without its event.
        """
        if action not in AUDIT_EVENTS and action not in AUDIT_ONLY:
            raise ValueError(
                f"audit action {action!r} has no event: add it to antrean.kernel.events.AUDIT_EVENTS "
                f"(or AUDIT_ONLY if no face may care)"
            )
        at = at or utcnow()
        session.add(
            AuditLog(
                office_id=self._office_in(session),
                at=at,
                actor_id=actor.id,
                actor=actor.username,
                action=action,
                target_type=target_type,
                target_id=str(target_id),
                detail=detail,
            )
        )
        if action in AUDIT_ONLY:
            return None
        data = event if event is not None else {(target_type or "id"): target_id}
        return self.emit(session, AUDIT_EVENTS[action], actor=actor, at=at, legacy=legacy, **data)

    def emit(
        self,
        session: Session,
        type: str,
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        legacy: tuple[str, Any] | None = None,
        **data: Any,
    ) -> Event:
        """Queue an event on ``session``; it is published after the transaction commits (never on
        rollback, nor when the savepoint it was emitted in rolls back).

        ``legacy=(hook_name, kwargs)`` also fires an older specific hook (``ticket_called`` …) from the
        same dispatcher; ``kwargs`` may be a callable, evaluated after commit (e.g. to read a view).
        """
        check_data(type, data)
        ev = Event(
            type=type,
            office_id=self._office_in(session),
            at=iso(at or utcnow()),
            actor=(actor or SYSTEM).username,
            data=data,
            legacy=legacy,
        )
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

    def audit_log(
        self,
        actor: Actor,
        *,
        action: str | None = None,
        user: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> dict:
        """Admins read the audit log, newest first. ``action`` matches a prefix ("ticket." or "user.create");
        ``since``/``until`` are UTC datetimes (``until`` exclusive). Returns {"total", "items"}."""
        policy.require(self, actor, "audit.read")
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
            rows = (
                s.execute(
                    select(AuditLog)
                    .where(*conds)
                    .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
                .scalars()
                .all()
            )
            return {
                "total": total,
                "items": [
                    {
                        "id": r.id,
                        "at": iso(r.at),
                        "actor": r.actor,
                        "actor_id": r.actor_id,
                        "action": r.action,
                        "target_type": r.target_type,
                        "target_id": r.target_id,
                        "detail": r.detail,
                    }
                    for r in rows
                ],
            }

    def lock_row(self, session: Session, model: type[_Row], row_id: object, what: tuple[str, str]) -> _Row:
        """This office's ``model`` row ``row_id``, locked for the transaction (FOR UPDATE on
        PostgreSQL; SQLite's write transaction holds the database lock already).
        ``what`` is the (Indonesian, English) noun for messages, e.g. ("Tiket", "Ticket")."""
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise Invalid("Nomor %(what)s tidak sah.", params={"what": i18n.LazyString(what[0].lower())})
        cols = model.__table__.c
        q = select(model).where(cols.id == row_id, cols.office_id == self.office_id)
        if self.db.dialect == "postgresql":
            q = q.with_for_update()
        row = session.execute(q).scalar_one_or_none()
        if row is None:
            raise NotFound("%(what)s tidak ditemukan.", params={"what": i18n.LazyString(what[0])})
        return row

    # -- office settings ------------------------------------------------
    def get_setting(self, key: str, default: Any = None, session: Session | None = None) -> Any:
        def q(s: Session) -> Any:
            row = s.get(Setting, (self.office_id, key))
            return default if row is None or row.value is None else row.value

        if session is not None:
            return q(session)
        with self.db.read() as s:
            return q(s)

    def set_setting(self, key: str, value: Any, actor: Actor) -> None:
        policy.require(self, actor, "settings.write")
        with self.db.write() as s:
            row = s.get(Setting, (self.office_id, key))
            old = None if row is None else row.value
            if row is None:
                s.add(Setting(office_id=self.office_id, key=key, value=value))
            else:
                row.value = value
            self.audit(s, actor, "setting.update", "setting", key, event={"key": key}, old=old, new=value)

    def policy(self, counter_policy: dict[str, Any] | None = None, session: Session | None = None) -> dict[str, Any]:
        p = dict(DEFAULT_POLICY)
        p.update(self.get_setting("queue_policy", {}, session=session) or {})
        p.update(counter_policy or {})
        return p

    def office_row(self, session: Session) -> Office:
        """This office's row. Missing only when the database was replaced under a running core (another file, a
        wiped schema): a clear 503 naming the cause, not an AttributeError on None."""
        o = session.get(Office, self.office_id)
        if o is None:
            raise Unavailable(
                "Data kantor tidak ditemukan di basis data. Hubungi admin (jalankan antrean init).",
                detail=f"office row {self.office_id} ({self.settings.office_code!r}) is missing: "
                "was the database replaced while the server ran? restart it, or run `antrean init`",
            )
        return o

    def office(self) -> dict[str, Any]:
        with self.db.read() as s:
            o = self.office_row(s)
            return {
                "code": o.code,
                "name": o.name,
                "address": o.address,
                "timezone": o.timezone,
                "tz_label": self.settings.tz_label,
            }

    def update_office(self, actor: Actor, *, name: str | None = None, address: str | None = None) -> dict:
        policy.require(self, actor, "office.write")
        with self.db.write() as s:
            o = self.office_row(s)
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
    def services(self, *, enabled_only: bool = False, session: Session | None = None) -> list[dict[str, Any]]:
        def q(s: Session) -> list[dict[str, Any]]:
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

    def service(self, code: str, session: Session | None = None) -> dict[str, Any]:
        for svc in self.services(session=session):
            if svc["code"] == code:
                return svc
        raise NotFound("Layanan tidak ditemukan.", detail=f"unknown service code {code!r}")

    def service_view(self, sop: Sop, row: Service) -> dict:
        return {
            "code": sop.code,
            "name": sop.name,
            "short_name": sop.short_name,
            "group": sop.group,
            "group_name": GROUPS[sop.group],
            "letter": row.letter,
            "icon": sop.icon,
            "enabled": row.enabled,
            "standard_minutes": sop.standard_minutes,
            "documents": list(row.checklist if row.checklist is not None else sop.documents),
            "daily_quota": row.daily_quota,
            "open_time": row.open_time,
            "close_time": row.close_time,
            "role_map": dict(row.role_map or {}),
            "steps": [
                step.to_dict() | {"office_role": self.effective_role(sop, step.role, row.role_map)}
                for step in sop.steps
            ],
        }

    @staticmethod
    def effective_role(sop: Sop, role: str, role_map: dict | None) -> str:
        """The staff role that performs (or records) a step in this office."""
        role_map = role_map or {}
        if role == "pemohon":
            role = role_map.get("pemohon", sop.front_desk_role)
        return role_map.get(role, role)

    def update_service(self, code: str, actor: Actor, **changes: Any) -> dict[str, Any]:
        policy.require(self, actor, "service.write")
        sop = self.sops.get(code)
        if sop is None:
            raise NotFound("Layanan tidak ditemukan.", detail=code)
        with self.db.write() as s:
            row = s.execute(
                select(Service).where(Service.office_id == self.office_id, Service.code == code)
            ).scalar_one()
            old = {k: getattr(row, k) for k in changes if hasattr(row, k)}
            for key, value in changes.items():
                if key == "enabled":
                    row.enabled = bool(value)
                elif key == "letter":
                    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{1,2}", value):
                        raise Invalid("Huruf tiket harus satu atau dua huruf kapital.")
                    clash = s.execute(
                        select(Service.code).where(
                            Service.office_id == self.office_id, Service.letter == value, Service.code != code
                        )
                    ).scalar()
                    if clash:
                        raise Invalid(
                            "Huruf %(value)s sudah dipakai layanan lain (%(clash)s).",
                            params={"value": value, "clash": clash},
                        )
                    row.letter = value
                elif key == "role_map":
                    if not isinstance(value, dict) or any(
                        k not in ROLES or v not in STAFF_ROLES for k, v in value.items()
                    ):
                        raise Invalid("Pemetaan peran tidak sah.", detail=str(value))
                    row.role_map = dict(value)
                elif key == "checklist":
                    if value is not None and (
                        not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value)
                    ):
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
