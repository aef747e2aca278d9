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

from datetime import datetime, timedelta

from sqlalchemy import select

from .core import Actor
from .errors import Conflict, Invalid, NotFound
from .models import Call, Counter, CounterService, Service, Ticket
from .policy import COUNTER_ROLES  # noqa: F401  (faces import it from here)
from .policy import require as authorize
from .timeutil import iso, office_day, utcnow

ACTIVE = ("called", "serving")


class QueueService:
    def __init__(self, core):
        self.core = core

    # -- counters -----------------------------------------------------------
    def counters(self) -> list[dict]:
        core = self.core
        with core.db.read() as s:
            rows = s.execute(select(Counter).where(Counter.office_id == core.office_id).order_by(Counter.number)).scalars().all()
            links = s.execute(select(CounterService)).scalars().all()
            by = {}
            for link in links:
                by.setdefault(link.counter_id, []).append(link.service_code)
            order = list(core.sops)
            return [{"id": c.id, "name": c.name, "number": c.number, "active": c.active,
                     "services": sorted(by.get(c.id, []), key=lambda x: order.index(x) if x in order else 999),
                     "policy": c.policy} for c in rows]

    def save_counter(self, actor: Actor, *, name: str, number: int, services: list[str], counter_id: int | None = None,
                     active: bool = True, policy: dict | None = None) -> dict:
        authorize(self.core, actor, "counter.manage")
        core = self.core
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            raise Invalid("Nama loket wajib diisi (maksimal 80 karakter).", "Counter name is required (max 80).")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999:
            raise Invalid("Nomor loket harus 1–999.", "Counter number must be 1-999.")
        unknown = [c for c in services if c not in core.sops]
        if unknown:
            raise Invalid("Layanan tidak dikenal.", "Unknown service.", detail=f"unknown services {unknown}")
        if policy is not None:
            _check_policy(policy)
        with core.db.write() as s:
            if counter_id is None:
                c = Counter(office_id=core.office_id, name=name.strip(), number=number, active=active, policy=policy)
                s.add(c)
                s.flush()
            else:
                c = s.get(Counter, counter_id)
                if c is None or c.office_id != core.office_id:
                    raise NotFound("Loket tidak ditemukan.", "Counter not found.")
                c.name, c.number, c.active, c.policy = name.strip(), number, active, policy
                for link in s.execute(select(CounterService).where(CounterService.counter_id == c.id)).scalars():
                    s.delete(link)
                s.flush()
            for code in dict.fromkeys(services):
                s.add(CounterService(counter_id=c.id, service_code=code))
            core.tickets.invalidate_rates()
            core.audit(s, actor, "counter.save", "counter", c.id, name=c.name, number=number, services=services,
                       active=active, policy=policy,
                       event={"counter_id": c.id, "number": number, "active": active, "services": list(services)})
            cid = c.id
        return next(x for x in self.counters() if x["id"] == cid)

    def _counter(self, s, counter_id) -> Counter:
        c = s.get(Counter, counter_id) if isinstance(counter_id, int) and not isinstance(counter_id, bool) else None
        if c is None or c.office_id != self.core.office_id:
            raise NotFound("Loket tidak ditemukan.", "Counter not found.", detail=f"counter {counter_id!r}")
        if not c.active:
            raise Conflict("Loket ini tidak aktif.", "This counter is not active.")
        return c

    def _current(self, s, counter: Counter) -> Ticket | None:
        return s.execute(select(Ticket).where(Ticket.office_id == counter.office_id, Ticket.counter_id == counter.id,
                                              Ticket.status.in_(ACTIVE))
                         .order_by(Ticket.called_at.desc()).limit(1)).scalar()

    def current(self, counter_id: int) -> dict | None:
        with self.core.db.read() as s:
            c = self._counter(s, counter_id)
            t = self._current(s, c)
            return None if t is None else self.core.tickets._view(s, t)

    # -- calling ------------------------------------------------------------
    def call_next(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict | None:
        """Finish the counter's current ticket and call the next by policy; None if nobody waits."""
        def choose(s, c, now):
            self._finish_current(s, c, actor, now)
            services = [x.service_code for x in
                        s.execute(select(CounterService).where(CounterService.counter_id == c.id)).scalars()]
            return self._pick(s, c, services, now)
        return self._calling(counter_id, actor, now, "call", choose)

    def call_ticket(self, counter_id: int, ticket_id: int, actor: Actor, now: datetime | None = None) -> dict:
        """Call one ticket out of order (a held or skipped one coming back, say)."""
        def choose(s, c, now):
            t = self._lock_ticket(s, ticket_id)
            if t.status not in ("waiting", "held", "skipped"):
                raise Conflict("Tiket ini tidak sedang menunggu.", "This ticket is not waiting.",
                               detail=f"ticket {t.number} is {t.status}")
            self._finish_current(s, c, actor, now)
            return t
        return self._calling(counter_id, actor, now, "call", choose)

    def recall(self, counter_id: int, actor: Actor, now: datetime | None = None) -> dict:
        def choose(s, c, now):
            t = self._require_current(s, c)
            limit = self.core.policy(c.policy, session=s)["max_recalls"]
            if t.recalls >= limit:
                raise Conflict(f"Nomor {t.number} sudah dipanggil ulang {t.recalls} kali. Lewati jika pemohon tidak hadir.",
                               f"{t.number} was recalled {t.recalls} times already. Skip it if nobody comes.",
                               code="recall_limit")
            t.recalls += 1
            return t
        return self._calling(counter_id, actor, now, "recall", choose)

    def _calling(self, counter_id: int, actor: Actor, now: datetime | None, kind: str, choose) -> dict | None:
        """The frame of every call: role, one write transaction, ``choose(s, counter, now)`` picks the
        ticket (None: nobody to call), the Call row, then the ticket_called hook after commit."""
        authorize(self.core, actor, "counter.operate")
        core = self.core
        now = now or utcnow()
        with core.db.write() as s:
            c = self._counter(s, counter_id)
            ticket = choose(s, c, now)
            if ticket is None:
                return None
            return self._call(s, c, ticket, actor, kind, now)

    def skip(self, counter_id: int, actor: Actor) -> dict:
        return self._change(counter_id, actor, "skip", "skipped")

    def hold(self, counter_id: int, actor: Actor) -> dict:
        return self._change(counter_id, actor, "hold", "held")

    def start(self, counter_id: int, actor: Actor) -> dict:
        return self._change(counter_id, actor, "start", "serving")

    def finish(self, counter_id: int, actor: Actor) -> dict:
        return self._change(counter_id, actor, "finish", "done")

    def transfer(self, counter_id: int, service_code: str, actor: Actor) -> dict:
        """Send the current ticket to another service's queue, keeping its number and arrival time."""
        if service_code not in self.core.sops:
            raise Invalid("Layanan tujuan tidak dikenal.", "Unknown target service.", detail=repr(service_code))
        return self._change(counter_id, actor, "transfer", "waiting", service_code=service_code)

    def _change(self, counter_id: int, actor: Actor, action: str, status: str, service_code: str | None = None) -> dict:
        authorize(self.core, actor, "counter.operate")
        core = self.core
        now = utcnow()
        with core.db.write() as s:
            c = self._counter(s, counter_id)
            t = self._require_current(s, c)
            old = {"status": t.status, "service": t.service_code}
            if action == "start" and t.status == "serving":
                raise Conflict("Layanan untuk nomor ini sudah dimulai.", "Service has already started.")
            t.status = status
            if action == "start":
                t.started_at = now
            elif action in ("finish", "skip"):
                t.finished_at = now
                core.tickets.invalidate_rates()
            if action == "transfer":
                svc = s.execute(select(Service).where(Service.office_id == core.office_id,
                                                      Service.code == service_code)).scalar_one()
                if not svc.enabled:
                    raise Conflict("Layanan tujuan sedang tidak tersedia.", "Target service is disabled.")
                t.service_code, t.counter_id, t.called_at = service_code, None, None
            view = core.tickets._view(s, t)
            core.audit(s, actor, f"ticket.{action}", "ticket", t.id, at=now,
                       event=self._event_data(t, c), old=old, new={"status": t.status, "service": t.service_code},
                       legacy=("queue_changed", {"office_id": core.office_id, "action": action, "ticket": view}),
                       number=t.number, counter=c.id)
        return view

    def _require_current(self, s, c: Counter) -> Ticket:
        t = self._current(s, c)
        if t is None:
            raise Conflict("Belum ada nomor yang dipanggil di loket ini.", "No ticket is being served at this counter.",
                           code="no_current")
        return t

    def _finish_current(self, s, c: Counter, actor: Actor, now: datetime) -> None:
        """Finish every ticket still active at this counter (a step call can leave two)."""
        for t in s.execute(select(Ticket).where(Ticket.office_id == c.office_id, Ticket.counter_id == c.id,
                                                Ticket.status.in_(ACTIVE))).scalars():
            t.status, t.finished_at = "done", now
            self.core.tickets.invalidate_rates()
            self.core.audit(s, actor, "ticket.finish", "ticket", t.id, at=now, event=self._event_data(t, c),
                            number=t.number, counter=c.id, auto=True)

    def _lock_ticket(self, s, ticket_id) -> Ticket:
        return self.core.lock_row(s, Ticket, ticket_id, ("Tiket", "Ticket"))

    def _pick(self, s, c: Counter, services: list[str], now: datetime) -> Ticket | None:
        core = self.core
        if not services:
            return None
        policy = core.policy(c.policy, session=s)
        base = select(Ticket).where(Ticket.office_id == core.office_id, Ticket.day == office_day(core.tz, now),
                                    Ticket.status == "waiting", Ticket.service_code.in_(services))
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
            recent = s.execute(select(Ticket.priority).join(Call, Call.ticket_id == Ticket.id).where(
                Call.counter_id == c.id, Call.kind == "call", Ticket.day == office_day(core.tz, now))
                .order_by(Call.seq.desc()).limit(n_normal + n_prio)).scalars().all()
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
        t.status, t.counter_id, t.called_at = "called", c.id, now
        call = Call(office_id=core.office_id, ticket_id=t.id, counter_id=c.id, kind=kind, actor_id=actor.id, at=now)
        s.add(call)
        s.flush()
        sop = core.sops.get(t.service_code)
        view = {"seq": call.seq, "kind": kind, "at": iso(now), "ticket_id": t.id, "number": t.number,
                "letter": t.letter, "service": t.service_code, "service_name": sop.short_name if sop else t.service_code,
                "priority": t.priority, "counter": {"id": c.id, "name": c.name, "number": c.number},
                "recalls": t.recalls}
        core.audit(s, actor, f"ticket.{kind}", "ticket", t.id, at=now,
                   event=self._event_data(t, c) | {"seq": call.seq, "kind": kind, "recalls": t.recalls},
                   legacy=("ticket_called", {"call": view}), number=t.number, counter=c.id, seq=call.seq)
        return view

    @staticmethod
    def _event_data(t: Ticket, c: Counter | None) -> dict:
        """A ticket event's public data (no personal data: the number, never a name)."""
        return {"ticket_id": t.id, "number": t.number, "service": t.service_code, "status": t.status,
                "counter": None if c is None else {"id": c.id, "number": c.number, "name": c.name}}

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
                current.append({"counter": {"id": c.id, "name": c.name, "number": c.number},
                                "number": t.number if t else None, "service": t.service_code if t else None})
            lq = (select(Call, Ticket, Counter).join(Ticket, Ticket.id == Call.ticket_id)
                  .join(Counter, Counter.id == Call.counter_id).where(Call.office_id == core.office_id,
                                                                     Ticket.day == office_day(core.tz)))
            if counters:
                lq = lq.where(Call.counter_id.in_(counters))
            if services:
                lq = lq.where(Ticket.service_code.in_(services))
            calls = []
            for call, t, c in s.execute(lq.order_by(Call.seq.desc()).limit(last)).all():
                sop = core.sops.get(t.service_code)
                calls.append({"seq": call.seq, "kind": call.kind, "at": iso(call.at), "number": t.number,
                              "letter": t.letter, "service": t.service_code,
                              "service_name": sop.short_name if sop else t.service_code,
                              "counter": {"id": c.id, "name": c.name, "number": c.number}})
            counts = core.tickets.waiting_counts(s)
            svc_rows = core.services(enabled_only=True, session=s)
            waiting = [{"service": v["code"], "name": v["short_name"], "letter": v["letter"],
                        "waiting": counts.get(v["code"], 0)}
                       for v in svc_rows if not services or v["code"] in services]
            latest_seq = s.execute(select(Call.seq).where(Call.office_id == core.office_id)
                                   .order_by(Call.seq.desc()).limit(1)).scalar() or 0
            return {"seq": latest_seq, "counters": current, "calls": calls, "waiting": waiting,
                    "running_text": core.get_setting("running_text", "", session=s),
                    "office": core.office()}


def _check_policy(policy: dict) -> None:
    if not isinstance(policy, dict):
        raise Invalid("Kebijakan antrean tidak sah.", "Invalid queue policy.")
    if policy.get("mode", "priority_first") not in ("priority_first", "ratio", "fifo"):
        raise Invalid("Mode antrean tidak dikenal.", "Unknown queue mode.", detail=str(policy.get("mode")))
    if not isinstance(policy.get("booked_first", True), bool):
        raise Invalid("Nilai kebijakan antrean tidak sah.", "Invalid queue policy value.", detail="booked_first")
    for key in ("ratio_normal", "ratio_priority", "max_wait_minutes", "max_recalls", "default_service_minutes"):
        if key in policy and (isinstance(policy[key], bool) or not isinstance(policy[key], int) or policy[key] < 0):
            raise Invalid("Nilai kebijakan antrean tidak sah.", "Invalid queue policy value.", detail=key)
