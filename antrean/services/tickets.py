"""Issuing tickets: gap-free numbers per (office, letter, office day).

The counter row is bumped with ``INSERT … ON CONFLICT … DO UPDATE …
RETURNING`` in the same transaction as the ticket insert, so a rolled-back
issue leaves no hole and two processes can never take the same number:
on PostgreSQL the row lock serialises them; on SQLite the transaction is
``BEGIN IMMEDIATE``. Never a SEQUENCE (gaps) nor ``max()+1`` (duplicates).
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime, time
from time import monotonic as time_monotonic
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from antrean.kernel import i18n
from antrean.kernel.actors import PRIORITIES, SYSTEM, Actor
from antrean.kernel.batch import GroupCommitter
from antrean.kernel.errors import Conflict, Invalid, NotFound
from antrean.kernel.models import Call, Counter, CounterService, Service, Ticket, TicketCounter
from antrean.kernel.timeutil import as_utc, iso, local, office_day, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

_IDEMPOTENCY = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")


def format_number(letter: str, seq: int) -> str:
    return f"{letter}{seq:03d}"


class _Statements:
    """The issuing path's statements, built once (SQLAlchemy then reuses their compiled form)."""

    def __init__(self):
        svc = Service.__table__
        self.service = select(svc.c.letter, svc.c.enabled, svc.c.open_time, svc.c.close_time, svc.c.daily_quota).where(
            svc.c.office_id == bindparam("office_id"), svc.c.code == bindparam("code")
        )
        t = Ticket.__table__
        self.insert_ticket = insert(t).returning(t.c.id)
        waiting = (
            t.c.office_id == bindparam("office_id"),
            t.c.day == bindparam("day"),
            t.c.service_code == bindparam("code"),
            t.c.status == "waiting",
            t.c.id != bindparam("id"),
        )
        self.ahead = select(func.count()).select_from(t).where(*waiting)
        self.ahead_priority = select(func.count()).select_from(t).where(*waiting, t.c.priority.is_not(None))
        self._bump: dict[str, object] = {}

    def bump(self, dialect: str):
        stmt = self._bump.get(dialect)
        if stmt is None:
            tc = TicketCounter.__table__
            ins = (postgresql if dialect == "postgresql" else sqlite).insert(tc)
            stmt = (
                ins.values(office_id=bindparam("office_id"), letter=bindparam("letter"), day=bindparam("day"), last=1)
                .on_conflict_do_update(
                    index_elements=[tc.c.office_id, tc.c.letter, tc.c.day],
                    set_={"last": tc.c.last + 1},
                )
                .returning(tc.c.last)
            )
            self._bump[dialect] = stmt
        return stmt


_SQL = _Statements()

#: seconds a service's minutes-per-ticket figure is reused for estimates
RATE_TTL = 10.0


class TicketService:
    def __init__(self, core: Antrean) -> None:
        self.core = core
        self._rates: dict[str, tuple[float, float]] = {}

    # -- issuing ----------------------------------------------------------
    def issue(
        self,
        service_code: str,
        priority: str | None = None,
        *,
        idempotency_key: str | None = None,
        device_id: str | None = None,
        now: datetime | None = None,
        booked_slot: datetime | None = None,
        in_transaction=None,
    ) -> tuple[dict, bool]:
        """Issue a ticket. Returns (ticket, created); a repeated idempotency key returns the first ticket.

        A booking's check-in (antrean/services/booking.py) passes ``booked_slot`` (the slot's start, UTC: the ticket is
        marked as booked) and ``in_transaction(s, ticket_id)``, run in the issuing transaction after the insert:
        if it raises, the ticket and its number roll back with it (no gap)."""
        core = self.core
        if not isinstance(service_code, str) or not service_code:
            raise Invalid("Layanan wajib dipilih.", detail="field 'service' must be a string")
        if priority is not None and priority not in PRIORITIES:
            raise Invalid(
                "Kategori prioritas tidak dikenal.", detail=f"priority must be null or one of {list(PRIORITIES)}"
            )
        if idempotency_key is not None and (
            not isinstance(idempotency_key, str) or not _IDEMPOTENCY.match(idempotency_key)
        ):
            raise Invalid("Kunci permintaan tidak sah.", detail="idempotency key: 8-80 chars of A-Z a-z 0-9 . _ : -")
        if device_id is not None and (not isinstance(device_id, str) or len(device_id) > 80):
            raise Invalid("ID perangkat tidak sah.")
        sop = core.sops.get(service_code)
        if sop is None:
            raise NotFound("Layanan tidak ditemukan.", detail=f"unknown service {service_code!r}")
        office_id = core.office_id
        now = now or utcnow()

        core.queue.close_past_days(now)  # the first ticket of a day closes yesterday's (once per process and day)

        def work(s):
            return self._issue_in(
                s, office_id, sop, priority, idempotency_key, device_id, now, booked_slot, in_transaction
            )

        try:
            if core.db.is_sqlite:
                view, created = self._committer().run(work)
            else:
                with core.db.write() as s:
                    view, created = work(s)
        except IntegrityError:
            if idempotency_key:  # the same key raced in another process: return the winner's ticket
                with core.db.read() as s:
                    replay = self._replay(s, office_id, idempotency_key)
                    if replay is not None:
                        return replay, False
            raise
        return view, created

    def _replay(self, s, office_id: int, key: str) -> dict | None:
        """The ticket an earlier request with this idempotency key got, as that request saw it."""
        existing = s.execute(
            select(Ticket).where(Ticket.office_id == office_id, Ticket.idempotency_key == key)
        ).scalar()
        if existing is None:
            return None
        view = self._view(s, existing)
        self.core.hook.ticket_replayed(core=self.core, conn=s, ticket=view)
        return view

    def _committer(self):
        c = self.core.extensions.get("group_commit")
        if c is None:
            c = self.core.extensions.setdefault("group_commit", GroupCommitter(self.core.db))
        return c

    def _issue_in(
        self, s, office_id, sop, priority, idempotency_key, device_id, now, booked_slot=None, in_transaction=None
    ) -> tuple[dict, bool]:
        """The issuing transaction's body: bump the counter and insert the ticket (one savepoint/transaction).

        Hot path: prebuilt Core statements with bind parameters, run on the session's connection.
        """
        core = self.core
        conn = s.connection()
        if idempotency_key:
            replay = self._replay(s, office_id, idempotency_key)
            if replay is not None:
                return replay, False
        svc = conn.execute(_SQL.service, {"office_id": office_id, "code": sop.code}).first()
        if svc is None:
            raise NotFound("Layanan tidak ditemukan.", detail=sop.code)
        self._check_open(svc, now, core.calendar.status(now, session=s))
        day = office_day(core.tz, now)
        seq = conn.execute(
            _SQL.bump(core.db.dialect), {"office_id": office_id, "letter": svc.letter, "day": day}
        ).scalar_one()
        if svc.daily_quota is not None and seq > svc.daily_quota:
            raise Conflict("Kuota harian layanan ini sudah habis. Silakan datang kembali besok.", code="quota_reached")
        token = secrets.token_urlsafe(16)
        number = format_number(svc.letter, seq)
        ticket_id = conn.execute(
            _SQL.insert_ticket,
            {
                "office_id": office_id,
                "service_code": sop.code,
                "letter": svc.letter,
                "day": day,
                "seq": seq,
                "number": number,
                "priority": priority,
                "status": "waiting",
                "token": token,
                "idempotency_key": idempotency_key,
                "device_id": device_id,
                "issued_at": now,
                "recalls": 0,
                "recall_count": 0,
                "leg": 0,
                "booked_slot": booked_slot,
            },
        ).scalar_one()
        if in_transaction is not None:
            in_transaction(s, ticket_id)
        params = {"office_id": office_id, "day": day, "code": sop.code, "id": ticket_id}
        ahead = conn.execute(_SQL.ahead if priority is None else _SQL.ahead_priority, params).scalar_one()
        view = {
            "id": ticket_id,
            "number": number,
            "service": sop.code,
            "service_name": sop.name,
            "service_short_name": sop.short_name,
            "standard_minutes": sop.standard_minutes,
            "priority": priority,
            "priority_label": PRIORITIES.get(priority) if priority else None,
            "status": "waiting",
            "day": day.isoformat(),
            "issued_at": iso(now),
            "called_at": None,
            "waiting_ahead": ahead,
            "estimated_wait_minutes": self.estimate(s, sop.code, ahead),
            "counter": None,
            "token": token,
            "status_url": f"/t/{token}",
            "api_url": f"/api/v1/tickets/{token}",
            "device_id": device_id,
            "booked": booked_slot is not None,
        }
        core.hook.ticket_issuing(core=core, conn=s, ticket=view)
        # published after the (group) commit; dropped if this ticket's savepoint rolls back
        core.emit(
            s,
            "ticket.issued",
            actor=Actor(None, f"kiosk:{device_id}") if device_id else SYSTEM,
            at=now,
            legacy=("ticket_issued", {"ticket": view}),
            ticket_id=ticket_id,
            number=number,
            service=sop.code,
            priority=priority,
            day=day.isoformat(),
        )
        return view, True

    def _check_open(self, svc, now: datetime, office) -> None:
        """``svc`` is a Service row or any object with enabled, open_time, close_time; ``office`` the
        calendar's status at ``now`` (office hours, breaks, holidays, closures). A service's own hours
        apply inside the office's."""
        if not svc.enabled:
            raise Conflict("Layanan ini sedang tidak tersedia.", code="service_disabled")
        if not office.open:
            raise Conflict(
                office.message,
                code="office_closed",
                detail=f"calendar: {office.kind}",
                reopens_at=iso(office.reopens_at),
            )
        if svc.open_time or svc.close_time:
            t = local(now, self.core.tz).time()
            opens = time.fromisoformat(svc.open_time) if svc.open_time else time.min
            closes = time.fromisoformat(svc.close_time) if svc.close_time else time.max
            if not opens <= t < closes:
                raise Conflict(
                    "Layanan ini hanya dibuka pukul %(opens)s–%(closes)s.",
                    params={"opens": svc.open_time or "00:00", "closes": svc.close_time or "24:00"},
                    code="service_closed",
                )

    def availability(self, now: datetime | None = None) -> dict[str, dict]:
        """Whether each enabled service can issue a ticket now: {code: {open, reason, message, issued_today}};
        ``message`` is the refusal as an ``i18n.LazyString`` (message id and params), rendered by the face.

        Same rules as :meth:`issue` (office calendar, service hours, daily quota), read-only, for kiosks to show closed tiles.
        """
        core = self.core
        now = now or utcnow()
        day = office_day(core.tz, now)
        out: dict[str, dict] = {}
        with core.db.read() as s:
            office = core.calendar.status(now, session=s)
            issued = dict(
                s.execute(
                    select(TicketCounter.letter, TicketCounter.last).where(
                        TicketCounter.office_id == core.office_id, TicketCounter.day == day
                    )
                ).all()
            )
            for svc in s.execute(select(Service).where(Service.office_id == core.office_id)).scalars():
                state: dict[str, Any] = {
                    "open": True,
                    "reason": None,
                    "message": None,
                    "issued_today": issued.get(svc.letter, 0),
                }
                try:
                    self._check_open(svc, now, office)
                    if svc.daily_quota is not None and issued.get(svc.letter, 0) >= svc.daily_quota:
                        raise Conflict(
                            "Kuota harian layanan ini sudah habis. Silakan datang kembali besok.", code="quota_reached"
                        )
                except Conflict as exc:
                    state.update(open=False, reason=exc.code, message=i18n.LazyString(exc.msgid, **exc.params))
                out[svc.code] = state
        return out

    # -- reading ------------------------------------------------------------
    def _view(self, s, t: Ticket, sop=None) -> dict:
        core = self.core
        sop = sop or core.sops.get(t.service_code)
        ahead = 0
        if t.status == "waiting":
            ahead = s.execute(
                select(func.count())
                .select_from(Ticket)
                .where(
                    Ticket.office_id == t.office_id,
                    Ticket.day == t.day,
                    Ticket.service_code == t.service_code,
                    Ticket.status == "waiting",
                    Ticket.issued_at < t.issued_at,
                )
            ).scalar_one()
            if t.priority is None:  # priority tickets that came later go first too
                ahead += s.execute(
                    select(func.count())
                    .select_from(Ticket)
                    .where(
                        Ticket.office_id == t.office_id,
                        Ticket.day == t.day,
                        Ticket.service_code == t.service_code,
                        Ticket.status == "waiting",
                        Ticket.priority.is_not(None),
                        Ticket.issued_at >= t.issued_at,
                        Ticket.id != t.id,
                    )
                ).scalar_one()
        counter = None
        if t.counter_id is not None and t.status in ("called", "serving"):
            c = s.get(Counter, t.counter_id)
            counter = {"id": c.id, "name": c.name, "number": c.number}
        return {
            "id": t.id,
            "number": t.number,
            "service": t.service_code,
            "service_name": sop.name if sop else t.service_code,
            "service_short_name": sop.short_name if sop else t.service_code,
            "standard_minutes": sop.standard_minutes if sop else None,
            "priority": t.priority,
            "priority_label": PRIORITIES.get(t.priority) if t.priority else None,
            "status": t.status,
            "day": t.day.isoformat(),
            "issued_at": iso(t.issued_at),
            "called_at": iso(t.called_at),
            "waiting_ahead": ahead,
            "estimated_wait_minutes": self.estimate(s, t.service_code, ahead) if t.status == "waiting" else 0,
            "counter": counter,
            "token": t.token,
            "status_url": f"/t/{t.token}",
            "api_url": f"/api/v1/tickets/{t.token}",
            "device_id": t.device_id,
            "booked": t.booked_slot is not None,
            "outcome": t.outcome,
            "outcome_at": iso(t.outcome_at),
            "first_called_at": iso(t.first_called_at),
            "started_at": iso(t.started_at),
            "finished_at": iso(t.finished_at),
            "recall_count": t.recall_count,
            "cancel_reason": t.cancel_reason,
            "transferred_from": t.transferred_from_id,
        }

    #: public, for other services and plugins: a ticket's API view, read in the caller's session
    view_in = _view

    def estimate(self, s, service_code: str, ahead: int) -> int:
        """Minutes until a ticket with ``ahead`` people before it is called.

        Average front-desk time of that service's last 20 finished tickets today
        (or the policy default), divided by the active counters that call it.
        """
        if ahead <= 0:
            return 0
        per_counter = self._rates.get(service_code)
        if per_counter is None or per_counter[0] < time_monotonic():
            per_counter = (time_monotonic() + RATE_TTL, self._rate(s, service_code))
            self._rates[service_code] = per_counter
        return int(math.ceil(ahead * per_counter[1]))

    def invalidate_rates(self) -> None:
        """Forget cached service rates (a ticket finished, counters changed). Other processes refresh within RATE_TTL."""
        self._rates.clear()

    def _rate(self, s, service_code: str) -> float:
        """Minutes per ticket for a service: recent average time at the desk ÷ counters serving it."""
        core = self.core
        office_id = core.office_id
        rows = s.execute(
            select(Ticket.called_at, Ticket.finished_at)
            .where(
                Ticket.office_id == office_id,
                Ticket.day == office_day(core.tz),
                Ticket.service_code == service_code,
                Ticket.outcome == "served",
                Ticket.called_at.is_not(None),
                Ticket.finished_at.is_not(None),
            )
            .order_by(Ticket.finished_at.desc())
            .limit(20)
        ).all()
        if rows:
            avg = sum((as_utc(b) - as_utc(a)).total_seconds() for a, b in rows) / len(rows) / 60.0
        else:
            avg = float(core.policy(session=s)["default_service_minutes"])
        counters = s.execute(
            select(func.count())
            .select_from(Counter)
            .join(
                CounterService,
                and_(CounterService.counter_id == Counter.id, CounterService.service_code == service_code),
            )
            .where(Counter.office_id == office_id, Counter.active.is_(True))
        ).scalar_one()
        return max(avg, 0.5) / max(counters, 1)

    def by_token(self, token: str) -> dict:
        if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", token):
            raise NotFound("Tiket tidak ditemukan.")
        with self.core.db.read() as s:
            # a ticket's token is valid only at its own office (one database may hold many)
            t = s.execute(
                select(Ticket).where(Ticket.token == token, Ticket.office_id == self.core.office_id)
            ).scalar_one_or_none()
            if t is None:
                raise NotFound("Tiket tidak ditemukan.")
            while t.outcome == "transferred":  # the citizen's paper follows the visit to its continuation
                nxt = s.execute(select(Ticket).where(Ticket.transferred_from_id == t.id)).scalar_one_or_none()
                if nxt is None:
                    break
                t = nxt
            view = self._view(s, t)
            last = s.execute(
                select(Ticket.number, Counter.name, Counter.number)
                .join(Call, Call.ticket_id == Ticket.id)
                .join(Counter, Counter.id == Call.counter_id)
                .where(
                    Call.office_id == t.office_id, Ticket.service_code == t.service_code, Ticket.day == t.day
                )  # not yesterday's last call
                .order_by(Call.seq.desc())
                .limit(1)
            ).first()
            view["now_calling"] = (
                None if last is None else {"number": last[0], "counter_name": last[1], "counter_number": last[2]}
            )
            return view

    def get(self, ticket_id: int) -> dict:
        with self.core.db.read() as s:
            t = s.get(Ticket, ticket_id)
            if t is None or t.office_id != self.core.office_id:
                raise NotFound("Tiket tidak ditemukan.")
            return self._view(s, t)

    def waiting(self, services: list[str] | None = None, limit: int = 50) -> list[dict]:
        """Today's waiting/held/skipped tickets (oldest first), for staff lists."""
        core = self.core
        with core.db.read() as s:
            q = select(Ticket).where(
                Ticket.office_id == core.office_id,
                Ticket.day == office_day(core.tz),
                Ticket.status.in_(("waiting", "held", "skipped")),
            )
            if services is not None:
                q = q.where(Ticket.service_code.in_(services))
            rows = s.execute(q.order_by(Ticket.issued_at).limit(limit)).scalars().all()
            return [
                {
                    "id": t.id,
                    "number": t.number,
                    "service": t.service_code,
                    "priority": t.priority,
                    "status": t.status,
                    "issued_at": iso(t.issued_at),
                }
                for t in rows
            ]

    def waiting_counts(self, s=None) -> dict[str, int]:
        core = self.core

        def q(s):
            rows = s.execute(
                select(Ticket.service_code, func.count())
                .where(
                    Ticket.office_id == core.office_id,
                    Ticket.day == office_day(core.tz),
                    Ticket.status == "waiting",
                )
                .group_by(Ticket.service_code)
            ).all()
            return {code: n for code, n in rows}

        if s is not None:
            return q(s)
        with core.db.read() as s:
            return q(s)
