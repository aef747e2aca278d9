"""The queue policy and the counter actions. Every action writes a row.

Policy (office setting ``queue_policy``, overridable per counter):
- ``max_wait_minutes``: a ticket that has waited longer goes first, whatever else;
- ``mode``: ``priority_first`` (priority tickets before others), ``ratio``
  (``ratio_normal`` normal calls, then ``ratio_priority`` priority calls) or
  ``fifo``; within a class, arrival order;
- ``booked_first`` (default true): among non-priority tickets, a booked ticket (checked in from a booking,
  ``ticket.booked_slot``) whose slot has begun goes before walk-ins, arrival order among booked ones; false:
  booked tickets queue by arrival like walk-ins.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import EllipsisType
from typing import TYPE_CHECKING, Any, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from antrean.kernel import i18n
from antrean.kernel.actors import SYSTEM, Actor
from antrean.kernel.errors import Conflict, Invalid, NotFound
from antrean.kernel.models import OUTCOMES, Call, Counter, CounterService, Service, Ticket
from antrean.kernel.policy import COUNTER_ROLES  # noqa: F401  (faces import it from here)
from antrean.kernel.policy import require as authorize
from antrean.kernel.timeutil import iso, office_day, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

ACTIVE = ("called", "serving")


class QueueService:
    def __init__(self, core: Antrean) -> None:
        self.core = core
        self._closed_through: date | None = None  # the office day whose past days this process has closed already

    # -- counters -----------------------------------------------------------
    def counters(self) -> list[dict]:
        core = self.core
        with core.db.read() as s:
            rows = (
                s.execute(select(Counter).where(Counter.office_id == core.office_id).order_by(Counter.number))
                .scalars()
                .all()
            )
            links = s.execute(select(CounterService)).scalars().all()
            by: dict[int, list[str]] = {}
            for link in links:
                by.setdefault(link.counter_id, []).append(link.service_code)
            order = list(core.sops)
            return [
                {
                    "id": c.id,
                    "name": c.name,
                    "number": c.number,
                    "active": c.active,
                    "services": sorted(by.get(c.id, []), key=lambda x: order.index(x) if x in order else 999),
                    "policy": c.policy,
                }
                for c in rows
            ]

    def save_counter(
        self,
        actor: Actor,
        *,
        name: str,
        number: int,
        services: list[str],
        counter_id: int | None = None,
        active: bool = True,
        policy: dict | None = None,
    ) -> dict:
        authorize(self.core, actor, "counter.manage")
        core = self.core
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            raise Invalid("Nama loket wajib diisi (maksimal 80 karakter).")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999:
            raise Invalid("Nomor loket harus 1–999.")
        unknown = [c for c in services if c not in core.sops]
        if unknown:
            raise Invalid("Layanan tidak dikenal.", detail=f"unknown services {unknown}")
        if policy is not None:
            check_policy(policy)
        with core.db.write() as s:
            if counter_id is None:
                c = Counter(office_id=core.office_id, name=name.strip(), number=number, active=active, policy=policy)
                s.add(c)
                s.flush()
            else:
                found = s.get(Counter, counter_id)
                if found is None or found.office_id != core.office_id:
                    raise NotFound("Loket tidak ditemukan.")
                c = found
                c.name, c.number, c.active, c.policy = name.strip(), number, active, policy
                for link in s.execute(select(CounterService).where(CounterService.counter_id == c.id)).scalars():
                    s.delete(link)
                s.flush()
            for code in dict.fromkeys(services):
                s.add(CounterService(counter_id=c.id, service_code=code))
            core.tickets.invalidate_rates()
            core.audit(
                s,
                actor,
                "counter.save",
                "counter",
                c.id,
                name=c.name,
                number=number,
                services=services,
                active=active,
                policy=policy,
                event={"counter_id": c.id, "number": number, "active": active, "services": list(services)},
            )
            cid = c.id
        return next(x for x in self.counters() if x["id"] == cid)

    def _counter(self, s, counter_id, lock: bool = False) -> Counter:
        """The active loket; ``lock``: held for the transaction (FOR UPDATE on PostgreSQL, SQLite's write
        transaction locks the database), so two clerks on one loket act one after the other."""
        c = None
        if isinstance(counter_id, int) and not isinstance(counter_id, bool):
            c = s.get(
                Counter, counter_id, with_for_update=True if lock and self.core.db.dialect == "postgresql" else None
            )
        if c is None or c.office_id != self.core.office_id:
            raise NotFound("Loket tidak ditemukan.", detail=f"counter {counter_id!r}")
        if not c.active:
            raise Conflict("Loket ini tidak aktif.")
        return c

    def _current(self, s, counter: Counter) -> Ticket | None:
        return s.execute(
            select(Ticket)
            .where(Ticket.office_id == counter.office_id, Ticket.counter_id == counter.id, Ticket.status.in_(ACTIVE))
            .order_by(Ticket.called_at.desc())
            .limit(1)
        ).scalar()

    def current(self, counter_id: int) -> dict | None:
        with self.core.db.read() as s:
            c = self._counter(s, counter_id)
            t = self._current(s, c)
            return None if t is None else self.core.tickets.view_in(s, t)

    def was_called_today(self, number: str, counter_number: int) -> bool:
        """Whether ticket ``number`` was called (or recalled) to loket ``counter_number`` today (the board's
        audio asks before building an announcement)."""
        core = self.core
        with core.db.read() as s:
            return (
                s.execute(
                    select(Call.seq)
                    .join(Ticket, Ticket.id == Call.ticket_id)
                    .join(Counter, Counter.id == Call.counter_id)
                    .where(
                        Call.office_id == core.office_id,
                        Ticket.office_id == core.office_id,
                        Ticket.day == office_day(core.tz),
                        Ticket.number == number,
                        Counter.number == counter_number,
                    )
                    .limit(1)
                ).first()
                is not None
            )

    # -- calling ------------------------------------------------------------
    def call_next(
        self,
        counter_id: int,
        actor: Actor,
        now: datetime | None = None,
        *,
        expected_current: int | None | EllipsisType = ...,
    ) -> dict | None:
        """Close the counter's current ticket (``served`` if started, else ``no_show``) and call the next by
        policy; None if nobody waits.

        ``expected_current``: the ticket id the clerk's screen shows as current (None: none). If the loket's
        current ticket is another one — a second browser on the same loket called meanwhile — nothing is
        done and ``Conflict`` (code ``stale``) is raised, so a ticket nobody saw is never closed.
        """

        def choose(s: Session, c: Counter, now: datetime) -> Ticket | None:
            self._check_expected(s, c, expected_current)
            self._finish_current(s, c, actor, now)
            services = [
                x.service_code
                for x in s.execute(select(CounterService).where(CounterService.counter_id == c.id)).scalars()
            ]
            return self._pick(s, c, services, now)

        return self._calling(counter_id, actor, now, "call", choose)

    def call_ticket(
        self,
        counter_id: int,
        ticket_id: int,
        actor: Actor,
        now: datetime | None = None,
        *,
        expected_current: int | None | EllipsisType = ...,
    ) -> dict:
        """Call one ticket out of order (a held or skipped one coming back, say)."""

        def choose(s: Session, c: Counter, now: datetime) -> Ticket:
            self._check_expected(s, c, expected_current)
            t = self._lock_ticket(s, ticket_id)
            if (
                t.status not in ("waiting", "held", "skipped")
                or t.outcome is not None
                or t.day != office_day(self.core.tz, now)
            ):
                raise Conflict(
                    "Tiket ini tidak sedang menunggu.",
                    detail=f"ticket {t.number} is {t.status} (outcome {t.outcome}, day {t.day})",
                )
            self._finish_current(s, c, actor, now)
            return t

        return self._calling(counter_id, actor, now, "call", choose)

    def recall(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict:
        def choose(s: Session, c: Counter, now: datetime) -> Ticket:
            t = self._require_current(s, c)
            limit = self.core.policy(c.policy, session=s)["max_recalls"]
            if t.recalls >= limit:
                raise Conflict(
                    "Nomor %(number)s sudah dipanggil ulang %(recalls)s kali. Lewati jika pemohon tidak hadir.",
                    params={"number": t.number, "recalls": t.recalls},
                    code="recall_limit",
                )
            t.recalls += 1
            return t

        return self._calling(counter_id, actor, now, "recall", choose)

    @overload
    def _calling(
        self,
        counter_id: int,
        actor: Actor,
        now: datetime | None,
        kind: str,
        choose: Callable[[Session, Counter, datetime], Ticket],
    ) -> dict: ...
    @overload
    def _calling(
        self,
        counter_id: int,
        actor: Actor,
        now: datetime | None,
        kind: str,
        choose: Callable[[Session, Counter, datetime], Ticket | None],
    ) -> dict | None: ...
    def _calling(
        self,
        counter_id: int,
        actor: Actor,
        now: datetime | None,
        kind: str,
        choose: Callable[[Session, Counter, datetime], Ticket | None],
    ) -> dict | None:
        """The frame of every call: role, past days closed, one write transaction with the loket locked,
        ``choose(s, counter, now)`` picks the ticket (None: nobody to call), the Call row and its event."""
        authorize(self.core, actor, "counter.operate")
        core = self.core
        now = now or utcnow()
        self.close_past_days(now)
        with core.db.write() as s:
            c = self._counter(s, counter_id, lock=True)
            ticket = choose(s, c, now)
            if ticket is None:
                return None
            return self._call(s, c, ticket, actor, kind, now)

    def _check_expected(self, s: Session, c: Counter, expected: int | None | EllipsisType) -> None:
        if expected is ...:
            return
        current = self._current(s, c)
        if (current.id if current else None) != expected:
            raise Conflict(
                "Loket ini baru saja memanggil %(value)s dari layar lain. Periksa layar sebelum memanggil lagi.",
                params={"value": current.number if current else i18n.LazyString("nomor lain")},
                code="stale",
                current=current.id if current else None,
            )

    # -- actions on the current ticket ----------------------------------------------
    def skip(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict:
        """Nobody came: the ticket waits aside (``skipped``) and may be called back today; if it is not,
        the day-end closes it as ``no_show``."""
        return self._change(counter_id, actor, "skip", now)

    def hold(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict:
        return self._change(counter_id, actor, "hold", now)

    def start(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict:
        """The applicant is at the loket: service starts (the only way a ticket can later be ``served``)."""
        return self._change(counter_id, actor, "start", now)

    def finish(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict:
        """Service finished: ``served``. Refused for a ticket whose service was never started."""
        return self._change(counter_id, actor, "finish", now)

    def transfer(self, counter_id: int, service_code: str, actor: Actor, now: datetime | None = None) -> dict:
        """Close the current ticket as ``transferred`` and continue the visit in ``service_code``'s queue: a new
        ticket row with the same number, arrival time and status link, ``transferred_from_id`` pointing back.
        Returns the continuation."""
        if service_code not in self.core.sops:
            raise Invalid("Layanan tujuan tidak dikenal.", detail=repr(service_code))
        return self._change(counter_id, actor, "transfer", now, service_code=service_code)

    def _change(
        self, counter_id: int, actor: Actor, action: str, now: datetime | None, service_code: str | None = None
    ) -> dict:
        authorize(self.core, actor, "counter.operate")
        core = self.core
        now = now or utcnow()
        self.close_past_days(now)
        with core.db.write() as s:
            c = self._counter(s, counter_id, lock=True)
            t = self._require_current(s, c)
            old = {"status": t.status, "service": t.service_code}
            result = t
            if action == "start":
                if t.started_at is not None:
                    raise Conflict("Layanan untuk nomor ini sudah dimulai.")
                self._start(s, t, now)
            elif action == "finish":
                if t.started_at is None:
                    raise Conflict(
                        "Layanan nomor %(number)s belum dimulai. Tekan “Mulai layani” saat pemohon "
                        "di loket, atau “Lewati” jika tidak hadir.",
                        params={"number": t.number},
                        code="not_started",
                    )
            elif action == "skip":
                if t.started_at is not None:
                    raise Conflict(
                        "Nomor %(number)s sedang dilayani; tekan “Selesai”.",
                        params={"number": t.number},
                        code="started",
                    )
                t.status = "skipped"
            elif action == "hold":
                t.status = "held"
            elif action == "transfer":
                if service_code is None:  # transfer() always names one
                    raise Invalid("Layanan tujuan tidak dikenal.", detail="no service code")
                svc = s.execute(
                    select(Service).where(Service.office_id == core.office_id, Service.code == service_code)
                ).scalar_one()
                if not svc.enabled:
                    raise Conflict("Layanan tujuan sedang tidak tersedia.")
                result = self._continuation(s, t, service_code)
            hook_kwargs = {"office_id": core.office_id, "action": action}  # + the ticket's final view, below
            core.audit(
                s,
                actor,
                f"ticket.{action}",
                "ticket",
                t.id,
                at=now,
                event=self._event_data(t, c)
                | ({"continuation_id": result.id, "to_service": service_code} if action == "transfer" else {}),
                old=old,
                new={"status": result.status, "service": result.service_code},
                legacy=("queue_changed", hook_kwargs),
                number=t.number,
                counter=c.id,
            )
            if action == "finish":
                self._close(s, t, "served", actor, now, c)
            elif action == "transfer":
                self._close(s, t, "transferred", actor, now, c)
            hook_kwargs["ticket"] = view = core.tickets.view_in(s, result)
        return view

    def _start(self, s, t: Ticket, now: datetime) -> None:
        t.status, t.started_at = "serving", now

    def _continuation(self, s, t: Ticket, service_code: str) -> Ticket:
        nxt = Ticket(
            office_id=t.office_id,
            service_code=service_code,
            letter=t.letter,
            day=t.day,
            seq=t.seq,
            number=t.number,
            priority=t.priority,
            status="waiting",
            token=secrets.token_urlsafe(16),
            device_id=t.device_id,
            recalls=0,
            recall_count=0,
            issued_at=t.issued_at,
            leg=t.leg + 1,
            transferred_from_id=t.id,
        )
        s.add(nxt)
        s.flush()
        return nxt

    def _close(
        self,
        s,
        t: Ticket,
        outcome: str,
        actor: Actor,
        now: datetime,
        c: Counter | None = None,
        *,
        reason: str | None = None,
        auto: bool = False,
    ) -> None:
        """The one place a ticket ends: exactly one outcome, with time and actor, and its ``ticket.closed``
        event. ``served`` needs a start; a served ticket's service ends now (``finished_at``)."""
        if t.outcome is not None:
            raise Conflict(
                "Nomor %(number)s sudah ditutup (%(outcome)s).",
                params={"number": t.number, "outcome": t.outcome},
                code="closed",
            )
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        if outcome == "served":
            if t.started_at is None:
                raise ValueError(f"ticket {t.number} cannot be served without a start")
            if not auto:
                t.finished_at = now
        elif outcome == "transferred" and t.started_at is not None:
            t.finished_at = now
        t.status, t.outcome, t.outcome_at, t.outcome_by = "done", outcome, now, actor.id
        if reason is not None:
            t.cancel_reason = reason
        self.core.tickets.invalidate_rates()
        extra: dict[str, Any] = {"reason": reason} if reason else {}
        self.core.audit(
            s,
            actor,
            "ticket.close",
            "ticket",
            t.id,
            at=now,
            event=self._event_data(t, c) | {"outcome": outcome},
            number=t.number,
            outcome=outcome,
            counter=c.id if c else None,
            auto=auto,
            **extra,
        )

    #: public, for the workflow service: end a ticket inside the caller's transaction
    close_in = _close

    def _require_current(self, s, c: Counter) -> Ticket:
        t = self._current(s, c)
        if t is None:
            raise Conflict("Belum ada nomor yang dipanggil di loket ini.", code="no_current")
        return t

    def _finish_current(self, s, c: Counter, actor: Actor, now: datetime) -> None:
        """Close every ticket still active at this counter (a step call can leave two) by THE rule of
        "call next": started -> ``served`` (its service ends now); called, never started -> ``no_show``."""
        for t in s.execute(
            select(Ticket).where(Ticket.office_id == c.office_id, Ticket.counter_id == c.id, Ticket.status.in_(ACTIVE))
        ).scalars():
            if t.started_at is not None:
                self.core.audit(
                    s,
                    actor,
                    "ticket.finish",
                    "ticket",
                    t.id,
                    at=now,
                    event=self._event_data(t, c),
                    number=t.number,
                    counter=c.id,
                    auto=True,
                )
            self._close(s, t, "served" if t.started_at is not None else "no_show", actor, now, c)

    # -- cancelling and the end of the day --------------------------------------------
    def cancel(self, ticket_id: int, reason: str, actor: Actor, now: datetime | None = None) -> dict:
        """Staff cancel an open ticket (duplicate, wrong service, the applicant left and said so…) with a reason."""
        authorize(self.core, actor, "ticket.cancel")  # the staff who work the lokets, not admin (policy.py)
        reason = " ".join(reason.split()) if isinstance(reason, str) else ""
        if not reason or len(reason) > 300:
            raise Invalid("Alasan pembatalan wajib diisi (maksimal 300 karakter).", field="reason")
        core = self.core
        now = now or utcnow()
        with core.db.write() as s:
            t = self._lock_ticket(s, ticket_id)
            if t.outcome is not None:
                raise Conflict("Nomor %(number)s sudah ditutup.", params={"number": t.number}, code="closed")
            c = s.get(Counter, t.counter_id) if t.counter_id is not None else None
            self._close(s, t, "cancelled", actor, now, c, reason=reason)
            return core.tickets.view_in(s, t)

    def close_past_days(self, now: datetime | None = None) -> int:
        """Close every ticket of an office day before ``now``'s that is still open (the day-end rule):
        waiting or held -> ``expired``; called or skipped (called, never started) -> ``no_show``;
        being served -> ``served`` with ``finished_at`` left empty (nobody recorded the end).
        Run by the first queue action of a day (once per process and day) and by ``antrean close-day``.
        Returns how many tickets were closed."""
        core = self.core
        now = now or utcnow()
        today = office_day(core.tz, now)
        if self._closed_through == today:
            return 0
        closed = 0
        with core.db.write() as s:
            q = select(Ticket).where(Ticket.office_id == core.office_id, Ticket.day < today, Ticket.outcome.is_(None))
            if core.db.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            for t in s.execute(q.order_by(Ticket.id)).scalars():
                if t.started_at is not None:
                    outcome = "served"
                elif t.status in ("called", "skipped"):
                    outcome = "no_show"
                else:
                    outcome = "expired"
                self._close(s, t, outcome, SYSTEM, now, auto=True)
                closed += 1
        self._closed_through = today
        return closed

    def _lock_ticket(self, s, ticket_id) -> Ticket:
        return self.core.lock_row(s, Ticket, ticket_id, ("Tiket", "Ticket"))

    def _pick(self, s, c: Counter, services: list[str], now: datetime) -> Ticket | None:
        core = self.core
        if not services:
            return None
        policy = core.policy(c.policy, session=s)
        base = select(Ticket).where(
            Ticket.office_id == core.office_id,
            Ticket.day == office_day(core.tz, now),
            Ticket.status == "waiting",
            Ticket.service_code.in_(services),
        )
        lock = core.db.dialect == "postgresql"

        def first(q):
            q = q.order_by(Ticket.issued_at, Ticket.id).limit(1)
            if lock:
                q = q.with_for_update(skip_locked=True)
            return s.execute(q).scalar()

        prio = first(base.where(Ticket.priority.is_not(None)))
        normal = None
        if policy.get("booked_first", True):  # a booking's ticket inside its slot goes before walk-ins
            normal = first(base.where(Ticket.priority.is_(None), Ticket.booked_slot <= now))
        normal = normal or first(base.where(Ticket.priority.is_(None)))
        if prio is None or normal is None:
            return prio or normal
        oldest = prio if (prio.issued_at, prio.id) <= (normal.issued_at, normal.id) else normal
        max_wait = policy.get("max_wait_minutes") or 0
        if max_wait and now - oldest.issued_at > timedelta(minutes=max_wait):
            return oldest
        mode = policy.get("mode", "priority_first")
        if mode == "fifo":
            return oldest
        if mode == "ratio":
            n_normal, n_prio = int(policy.get("ratio_normal", 2)), int(policy.get("ratio_priority", 1))
            recent = (
                s.execute(
                    select(Ticket.priority)
                    .join(Call, Call.ticket_id == Ticket.id)
                    .where(Call.counter_id == c.id, Call.kind == "call", Ticket.day == office_day(core.tz, now))
                    .order_by(Call.seq.desc())
                    .limit(n_normal + n_prio)
                )
                .scalars()
                .all()
            )
            # walk back from the latest call: how many priority calls in a row, how many normal since
            run_prio = 0
            for p in recent:
                if p is None:
                    break
                run_prio += 1
            normals_since = 0
            for p in recent:
                if p is not None:
                    break
                normals_since += 1
            if run_prio and run_prio < n_prio:
                return prio
            return prio if normals_since >= n_normal else normal
        return prio

    def _call(self, s, c: Counter, t: Ticket, actor: Actor, kind: str, now: datetime) -> dict:
        core = self.core
        if kind == "call":
            t.recalls = 0
        elif kind == "recall":
            t.recall_count += 1
        if t.first_called_at is None:
            t.first_called_at = now
        if t.outcome is None:  # a step call may call back a ticket that ended: it stays ended (a Call row only)
            # a call or call-back asks the applicant to come ("called", even if the service started earlier:
            # ``started_at`` stays, so the visit can still end as served); a recall keeps a started service
            t.status = "serving" if kind == "recall" and t.status == "serving" else "called"
            t.counter_id, t.called_at = c.id, now
        call = Call(office_id=core.office_id, ticket_id=t.id, counter_id=c.id, kind=kind, actor_id=actor.id, at=now)
        s.add(call)
        s.flush()
        sop = core.sops.get(t.service_code)
        view = {
            "seq": call.seq,
            "kind": kind,
            "at": iso(now),
            "ticket_id": t.id,
            "number": t.number,
            "letter": t.letter,
            "service": t.service_code,
            "service_name": sop.short_name if sop else t.service_code,
            "priority": t.priority,
            "counter": {"id": c.id, "name": c.name, "number": c.number},
            "recalls": t.recalls,
        }
        core.audit(
            s,
            actor,
            f"ticket.{kind}",
            "ticket",
            t.id,
            at=now,
            event=self._event_data(t, c) | {"seq": call.seq, "kind": kind, "recalls": t.recalls},
            legacy=("ticket_called", {"call": view}),
            number=t.number,
            counter=c.id,
            seq=call.seq,
        )
        return view

    #: public, for the workflow service: call a ticket to a counter inside the caller's transaction
    call_in = _call

    @staticmethod
    def _event_data(t: Ticket, c: Counter | None) -> dict:
        """A ticket event's public data (no personal data: the number, never a name)."""
        return {
            "ticket_id": t.id,
            "number": t.number,
            "service": t.service_code,
            "status": t.status,
            "counter": None if c is None else {"id": c.id, "number": c.number, "name": c.name},
        }

    # -- display snapshot ---------------------------------------------------
    def snapshot(self, counters: list[int] | None = None, services: list[str] | None = None, last: int = 8) -> dict:
        """Everything a board shows, rebuilt from the database (no personal data)."""
        core = self.core
        with core.db.read() as s:
            cq = select(Counter).where(Counter.office_id == core.office_id, Counter.active.is_(True))
            if counters:
                cq = cq.where(Counter.id.in_(counters))
            rows = s.execute(cq.order_by(Counter.number)).scalars().all()
            current = []
            for c in rows:
                t = self._current(s, c)
                current.append(
                    {
                        "counter": {"id": c.id, "name": c.name, "number": c.number},
                        "number": t.number if t else None,
                        "service": t.service_code if t else None,
                    }
                )
            lq = (
                select(Call, Ticket, Counter)
                .join(Ticket, Ticket.id == Call.ticket_id)
                .join(Counter, Counter.id == Call.counter_id)
                .where(Call.office_id == core.office_id, Ticket.day == office_day(core.tz))
            )
            if counters:
                lq = lq.where(Call.counter_id.in_(counters))
            if services:
                lq = lq.where(Ticket.service_code.in_(services))
            calls = []
            for call, t, c in s.execute(lq.order_by(Call.seq.desc()).limit(last)).all():
                sop = core.sops.get(t.service_code)
                calls.append(
                    {
                        "seq": call.seq,
                        "kind": call.kind,
                        "at": iso(call.at),
                        "number": t.number,
                        "letter": t.letter,
                        "service": t.service_code,
                        "service_name": sop.short_name if sop else t.service_code,
                        "counter": {"id": c.id, "name": c.name, "number": c.number},
                    }
                )
            counts = core.tickets.waiting_counts(s)
            svc_rows = core.services(enabled_only=True, session=s)
            waiting = [
                {
                    "service": v["code"],
                    "name": v["short_name"],
                    "letter": v["letter"],
                    "waiting": counts.get(v["code"], 0),
                }
                for v in svc_rows
                if not services or v["code"] in services
            ]
            latest_seq = (
                s.execute(
                    select(Call.seq).where(Call.office_id == core.office_id).order_by(Call.seq.desc()).limit(1)
                ).scalar()
                or 0
            )
            return {
                "seq": latest_seq,
                "counters": current,
                "calls": calls,
                "waiting": waiting,
                "running_text": core.get_setting("running_text", "", session=s),
                "office": core.office(),
            }


def check_policy(policy: dict) -> None:
    if not isinstance(policy, dict):
        raise Invalid("Kebijakan antrean tidak sah.")
    if policy.get("mode", "priority_first") not in ("priority_first", "ratio", "fifo"):
        raise Invalid("Mode antrean tidak dikenal.", detail=str(policy.get("mode")))
    if not isinstance(policy.get("booked_first", True), bool):
        raise Invalid("Nilai kebijakan antrean tidak sah.", detail="booked_first")
    for key in ("ratio_normal", "ratio_priority", "max_wait_minutes", "max_recalls", "default_service_minutes"):
        if key in policy and (isinstance(policy[key], bool) or not isinstance(policy[key], int) or policy[key] < 0):
            raise Invalid("Nilai kebijakan antrean tidak sah.", detail=key)
