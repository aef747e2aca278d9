"""Booking a slot ahead, and checking in on arrival (docs/booking.md). No Flask here: ``core.booking``.

- Slots: each open span of the office calendar (antrean/services/calendar.py; the service's own hours inside it) is cut
  into slots of the service's ``slot_minutes``; days only from today to ``days_ahead`` ahead, never closed days.
- Capacity, shared fairly with walk-ins: ``capacity`` is how many citizens the service serves per slot (all
  comers); bookings may take ``share_percent`` % of it — at most ceil(capacity × % / 100) in one slot and
  floor(sum of the hour's capacities × % / 100) in one clock hour. The rest of each hour stays for walk-ins.
  Both are counters in ``booking_count`` bumped with INSERT … ON CONFLICT DO UPDATE … WHERE taken < cap
  RETURNING in the booking's transaction: two citizens can never take the last place (SQLite and PostgreSQL).
- One active booking per NIK, service and day: a unique constraint (``booking.active`` is NULL once cancelled
  or a no-show, and NULLs never collide).
- Check-in issues a normal ticket through ``core.tickets.issue`` (gap-free numbering, same transaction),
  marked ``booked_slot``; the queue (``booked_first``) lets it go before walk-ins inside its slot.
- A booking not checked in by the end of its slot + ``grace_minutes`` becomes ``no_show`` at the next action
  (:meth:`BookingService.sweep`: slots, booking, check-in and the staff list call it).
- The reminder the day before (:meth:`BookingService.remind`) goes out from ``remind_at`` local time the day
  before, once per booking and day; the notifier's worker calls it (notifier/worker.py).

Personal data (name, phone, NIK) is stored for the staff list only: never in events, audit events or public
pages; the NIK is masked there too unless the staff member may read it (:func:`may_read_personal`).
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from antrean.kernel import i18n, policy
from antrean.kernel.actors import SYSTEM, Actor
from antrean.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from antrean.kernel.models import Booking, BookingCount, NotifyMessage, Service, Ticket
from antrean.kernel.timeutil import iso, local, office_day, tanggal, utcnow
from antrean.services.calendar import hhmm, minutes_of, parse_day
from antrean.services.workflow import mask_nik, validate_nik

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

#: the office setting ``booking`` (admin; per-service overrides in ``services``: {code: {slot_minutes, capacity}})
DEFAULTS: dict = {
    "enabled": True,
    "slot_minutes": 30,  # length of a slot
    "capacity": 4,  # citizens a service serves per slot (bookings and walk-ins together)
    "share_percent": 50,  # % of each slot's / hour's capacity that may be booked; the rest is for walk-ins
    "days_ahead": 14,  # bookable from today to this many days ahead
    "grace_minutes": 15,  # a booking not checked in by slot end + this becomes no_show
    "early_minutes": 30,  # check-in opens this long before the slot
    "remind_at": "16:00",  # local time the day before when the reminder goes out ("" = no reminders)
    "services": {},
}
ACTIVE = ("booked", "checked_in")
CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"  # no 0/O, 1/I, 2/Z, 5/S, 6/B, 8: read aloud and typed safely
CODE = re.compile(r"^[A-Z0-9]{8}$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
log = logging.getLogger("antrean.services.booking")


def may_read_personal(core: Antrean, actor: Actor) -> bool:
    """Whether ``actor`` sees bookings' name, phone and masked NIK (antrean/kernel/policy.py ``booking.read_personal``)."""
    return policy.can(core, actor, "booking.read_personal")


def normalize_code(code) -> str:
    c = re.sub(r"[\s-]", "", str(code or "")).upper()
    if not CODE.match(c):
        raise NotFound("Kode booking tidak ditemukan. Periksa kembali kodenya.", code="booking_not_found")
    return c


def _label_day(d: date) -> tuple[str, str]:
    return tanggal(d, "id"), tanggal(d, "en")


class _Bump:
    """INSERT … ON CONFLICT DO UPDATE SET taken = taken + 1 WHERE taken < cap RETURNING taken, per dialect."""

    def __init__(self):
        self._stmt: dict[str, object] = {}

    def __call__(self, dialect: str):
        stmt = self._stmt.get(dialect)
        if stmt is None:
            bc = BookingCount.__table__
            ins = (postgresql if dialect == "postgresql" else sqlite).insert(bc)
            stmt = (
                ins.values(
                    office_id=bindparam("office_id"),
                    service_code=bindparam("service"),
                    day=bindparam("day"),
                    bucket=bindparam("bucket"),
                    taken=1,
                )
                .on_conflict_do_update(
                    index_elements=[bc.c.office_id, bc.c.service_code, bc.c.day, bc.c.bucket],
                    set_={"taken": bc.c.taken + 1},
                    where=bc.c.taken < bindparam("cap"),
                )
                .returning(bc.c.taken)
            )
            self._stmt[dialect] = stmt
        return stmt


_BUMP = _Bump()


class BookingService:
    def __init__(self, core: Antrean) -> None:
        self.core = core

    # -- settings -------------------------------------------------------------------------------------
    def config(self, session=None) -> dict:
        cfg = dict(DEFAULTS)
        cfg.update(self.core.get_setting("booking", {}, session=session) or {})
        return cfg

    @staticmethod
    def service_conf(cfg: dict, code: str) -> tuple[int, int]:
        own = (cfg.get("services") or {}).get(code) or {}
        return int(own.get("slot_minutes", cfg["slot_minutes"])), int(own.get("capacity", cfg["capacity"]))

    def set_config(self, actor: Actor, value: dict) -> dict:
        """Admin: change the booking settings (validated, audited as settings.changed)."""
        clean = validate_config(value, self.core.sops)
        self.core.set_setting("booking", clean, actor)
        return clean

    # -- slots ---------------------------------------------------------------------------------------
    def _service(self, s, code) -> Service:
        if not isinstance(code, str) or code not in self.core.sops:
            raise NotFound("Layanan tidak ditemukan.", field="service", detail=repr(code))
        return s.execute(
            select(Service).where(Service.office_id == self.core.office_id, Service.code == code)
        ).scalar_one()

    def _day_slots(self, s, svc: Service, day: date, now: datetime, cfg: dict):
        """(slots, closed): slots as dicts with start/end/cap and the hour bucket; closed = the reason (a LazyString) or None."""
        core = self.core
        today = office_day(core.tz, now)
        if not cfg.get("enabled", True) or not svc.enabled:
            return [], i18n.LazyString("Layanan ini tidak dapat dipesan.")
        if day < today or day > today + timedelta(days=int(cfg["days_ahead"])):
            return [], i18n.LazyString(
                "Pemesanan hanya untuk hari ini sampai %(n)s hari ke depan.", n=int(cfg["days_ahead"])
            )
        rules = core.calendar.rules(s)
        reason = rules.day_reason(day)
        if reason is not None:
            return [], reason
        length, capacity = self.service_conf(cfg, svc.code)
        pct = int(cfg["share_percent"])
        lo = minutes_of(svc.open_time) if svc.open_time else 0
        hi = minutes_of(svc.close_time) if svc.close_time else 1440
        slots: list[dict[str, Any]] = []
        for a, b in rules._day_spans(day)[0]:
            t = max(a, lo)
            while t + length <= min(b, hi):
                slots.append(
                    {
                        "start": hhmm(t),
                        "end": hhmm(t + length),
                        "hour": f"h{t // 60:02d}",
                        "cap": math.ceil(capacity * pct / 100),
                        "_m": t,
                    }
                )
                t += length
        hour_caps: dict[str, int] = {}
        for sl in slots:
            hour_caps[sl["hour"]] = hour_caps.get(sl["hour"], 0) + capacity
        for sl in slots:
            sl["hour_cap"] = hour_caps[sl["hour"]] * pct // 100
        if not slots:
            return [], i18n.LazyString("Tidak ada slot pada hari ini.")
        return slots, None

    def slots(self, service: str, day, now: datetime | None = None) -> dict:
        """``{"slots": [{"start", "end", "free"}…]}`` or ``{"slots": [], "closed": reason}`` (Indonesian)."""
        now = now or utcnow()
        d = parse_day(day)
        core = self.core
        with core.db.read() as s:
            cfg = self.config(s)
            if self._due(s, now, cfg):
                self.sweep(now)
            svc = self._service(s, service)
            slots, closed = self._day_slots(s, svc, d, now, cfg)
            if closed:
                closed_id, closed_en = closed.pair()
                return {"slots": [], "closed": closed_id, "closed_en": closed_en}
            taken = dict(
                s.execute(
                    select(BookingCount.bucket, BookingCount.taken).where(
                        BookingCount.office_id == core.office_id,
                        BookingCount.service_code == svc.code,
                        BookingCount.day == d,
                    )
                ).all()
            )
            start_of = local(now, core.tz)
            now_m = start_of.hour * 60 + start_of.minute if d == start_of.date() else -1
            out = []
            for sl in slots:
                free = max(0, min(sl["cap"] - taken.get(sl["start"], 0), sl["hour_cap"] - taken.get(sl["hour"], 0)))
                if sl["_m"] <= now_m:  # a slot that has begun is no longer bookable
                    free = 0
                out.append({"start": sl["start"], "end": sl["end"], "free": free})
            return {"slots": out}

    # -- booking --------------------------------------------------------------------------------------
    def create(self, service: str, day, start, name, phone, nik, now: datetime | None = None) -> dict:
        """Book a slot. Returns the confirmation (code, cancel token, QR and manage URLs; no personal data)."""
        now = now or utcnow()
        d = parse_day(day)
        name, phone, nik = _clean_person(name, phone, nik)
        self.sweep(now)
        core = self.core
        token = secrets.token_urlsafe(24)
        with core.db.write() as s:
            b = Booking(
                office_id=core.office_id,
                code=_new_code(),
                service_code="",
                day=d,
                start="",
                end="",
                starts_at=now,
                ends_at=now,
                name=name,
                phone=phone,
                nik=nik,
                status="booked",
                active=True,
                cancel_token=token,
                created_at=now,
            )
            self._take(s, b, service, d, start, now)
            try:
                with s.begin_nested():
                    s.add(b)
                    s.flush()
            except IntegrityError:
                raise self._nik_taken() from None
            core.audit(
                s,
                SYSTEM,
                "booking.create",
                "booking",
                b.id,
                at=now,
                event=self._event(b),
                service=b.service_code,
                day=d.isoformat(),
                start=b.start,
            )
            view = self._public(b)
            manage = f"/booking/{view['code']}?t={token}"
            self._notify(s, "booking_confirmed", phone, view, manage)
        return view | {"cancel_token": token, "manage_url": manage}

    @staticmethod
    def _nik_taken() -> Conflict:
        return Conflict("NIK ini sudah punya booking aktif untuk layanan ini pada hari itu.", code="booking_nik_taken")

    def _take(self, s, b: Booking, service, d: date, start, now: datetime) -> None:
        """Fill ``b``'s service/slot fields and take its places (slot and hour), or raise Conflict."""
        core = self.core
        cfg = self.config(s)
        svc = self._service(s, service)
        if not isinstance(start, str):
            raise Invalid("Jam slot wajib dipilih.", field="start")
        slots, closed = self._day_slots(s, svc, d, now, cfg)
        if closed:
            raise Conflict(closed, code="booking_closed", detail=f"{service} {d.isoformat()}")
        sl = next((x for x in slots if x["start"] == start.strip()), None)
        if sl is None:
            raise Invalid(
                "Slot tidak ada pada hari itu.",
                field="start",
                detail=f"start {start!r}; slots {[x['start'] for x in slots]}",
            )
        starts_at = core.calendar.rules(s)._at(d, sl["_m"])
        if starts_at <= now:
            raise Conflict("Slot ini sudah dimulai: pilih slot berikutnya.", code="booking_slot_past")
        if s.execute(
            select(Booking.id).where(
                Booking.office_id == core.office_id,
                Booking.service_code == svc.code,
                Booking.day == d,
                Booking.nik == b.nik,
                Booking.active.is_(True),
                Booking.id != (b.id or 0),
            )
        ).first():
            raise self._nik_taken()
        for bucket, cap in ((sl["start"], sl["cap"]), (sl["hour"], sl["hour_cap"])):
            got = (
                None
                if cap < 1
                else s.execute(
                    _BUMP(core.db.dialect),
                    {"office_id": core.office_id, "service": svc.code, "day": d, "bucket": bucket, "cap": cap},
                ).first()
            )
            if got is None:
                raise Conflict(
                    "Slot ini sudah penuh. Silakan pilih slot lain.",
                    code="booking_full",
                    detail=f"{svc.code} {d.isoformat()} {bucket} cap {cap}",
                )
        b.service_code, b.day, b.start, b.end = svc.code, d, sl["start"], sl["end"]
        b.starts_at, b.ends_at = starts_at, starts_at + timedelta(minutes=minutes_of(sl["end"]) - sl["_m"])

    def _release(self, s, b: Booking) -> None:
        bc = BookingCount.__table__
        hour = f"h{minutes_of(b.start) // 60:02d}"
        s.execute(
            update(bc)
            .where(
                bc.c.office_id == b.office_id,
                bc.c.service_code == b.service_code,
                bc.c.day == b.day,
                bc.c.bucket.in_((b.start, hour)),
                bc.c.taken > 0,
            )
            .values(taken=bc.c.taken - 1)
        )

    def _by_code(self, s, code, lock: bool = False) -> Booking:
        q = select(Booking).where(Booking.office_id == self.core.office_id, Booking.code == normalize_code(code))
        if lock and self.core.db.dialect == "postgresql":
            q = q.with_for_update()
        b = s.execute(q).scalar_one_or_none()
        if b is None:
            raise NotFound("Kode booking tidak ditemukan. Periksa kembali kodenya.", code="booking_not_found")
        return b

    def _owned(self, s, code, token) -> Booking:
        b = self._by_code(s, code, lock=True)
        if not isinstance(token, str) or not secrets.compare_digest(token, b.cancel_token):
            raise Forbidden("Tautan pembatalan tidak sah.", code="booking_token")
        if b.status != "booked":
            raise Conflict(_status_text(b.status), code=f"booking_{b.status}")
        return b

    def cancel(self, code, token, now: datetime | None = None) -> dict:
        """Cancel with the token from the confirmation: the places return to the slot."""
        now = now or utcnow()
        self.sweep(now)
        with self.core.db.write() as s:
            b = self._owned(s, code, token)
            self._release(s, b)
            b.status, b.active, b.changed_at = "cancelled", None, now
            self.core.audit(s, SYSTEM, "booking.cancel", "booking", b.id, at=now, event=self._event(b))
            view = self._public(b)
            self._notify(s, "booking_cancelled", b.phone, view)
        return view

    def reschedule(self, code, token, day, start, now: datetime | None = None) -> dict:
        """Move a booking to another slot (same code and token): all or nothing."""
        now = now or utcnow()
        d = parse_day(day)
        self.sweep(now)
        with self.core.db.write() as s:
            b = self._owned(s, code, token)
            old = {"day": b.day.isoformat(), "start": b.start}
            self._release(s, b)
            self._take(s, b, b.service_code, d, start, now)
            b.changed_at = now  # the reminder rule reads it: a slot set after the reminder time needs none
            try:
                with s.begin_nested():
                    s.flush()
            except IntegrityError:
                raise self._nik_taken() from None
            self.core.audit(
                s,
                SYSTEM,
                "booking.reschedule",
                "booking",
                b.id,
                at=now,
                event=self._event(b) | {"from_day": old["day"], "from_start": old["start"]},
                old=old,
            )
            return self._public(b)

    # -- reading -------------------------------------------------------------------------------------
    def get(self, code) -> dict:
        """The public view of a booking (service, day, slot, status, QR): no personal data."""
        with self.core.db.read() as s:
            return self._public(self._by_code(s, code))

    def owns(self, code, token: str | None) -> bool:
        """Whether ``token`` is booking ``code``'s cancel token (the citizen's link to change or cancel it)."""
        if not token:
            return False
        with self.core.db.read() as s:
            saved = s.execute(
                select(Booking.cancel_token).where(
                    Booking.office_id == self.core.office_id, Booking.code == normalize_code(code)
                )
            ).scalar()
        return saved is not None and secrets.compare_digest(saved, token)

    def _public(self, b: Booking) -> dict:
        sop = self.core.sops.get(b.service_code)
        did, den = _label_day(b.day)
        return {
            "code": b.code,
            "service": b.service_code,
            "service_name": sop.name if sop else b.service_code,
            "date": b.day.isoformat(),
            "date_label": did,
            "date_label_en": den,
            "start": b.start,
            "end": b.end,
            "starts_at": iso(b.starts_at),
            "ends_at": iso(b.ends_at),
            "status": b.status,
            "qr_url": f"/booking/{b.code}/qr.png",
            "status_url": f"/booking/{b.code}",
        }

    @staticmethod
    def _event(b: Booking) -> dict:
        return {"booking_id": b.id, "service": b.service_code, "day": b.day.isoformat(), "start": b.start}

    def today(self, actor: Actor, day=None, now: datetime | None = None) -> dict:
        """Staff: a day's bookings per slot (and service). Name/phone/NIK only with the permission; NIK masked."""
        policy.require(self.core, actor, "booking.read")
        now = now or utcnow()
        d = parse_day(day) if day else office_day(self.core.tz, now)
        self.sweep(now)
        personal = may_read_personal(self.core, actor)
        slots: dict[str, list] = {}
        counts = {"booked": 0, "checked_in": 0, "cancelled": 0, "no_show": 0}
        with self.core.db.read() as s:
            rows = s.execute(
                select(Booking, Ticket.number)
                .outerjoin(Ticket, Ticket.id == Booking.ticket_id)
                .where(Booking.office_id == self.core.office_id, Booking.day == d)
                .order_by(Booking.start, Booking.service_code, Booking.id)
            ).all()
            for b, number in rows:
                counts[b.status] = counts.get(b.status, 0) + 1
                item = self._public(b) | {"ticket_number": number}
                if personal:
                    item |= {"name": b.name, "phone": b.phone, "nik": mask_nik(b.nik)}
                slots.setdefault(f"{b.start}–{b.end}", []).append(item)
        return {
            "date": d.isoformat(),
            "date_label": _label_day(d)[0],
            "personal": personal,
            "counts": counts,
            "slots": [{"slot": k, "bookings": v} for k, v in slots.items()],
        }

    # -- check-in --------------------------------------------------------------------------------------
    def check_in(
        self, code, *, actor: Actor | None = None, device: str | None = None, now: datetime | None = None
    ) -> dict:
        """Issue the booking's ticket (a normal ticket, marked booked). Early or late: Conflict whose
        ``walk_in`` extra says a walk-in ticket can be taken instead."""
        core = self.core
        now = now or utcnow()
        if actor is not None:
            policy.require(core, actor, "booking.check_in")
        self.sweep(now)
        who = actor or (Actor(None, f"kiosk:{device}") if device else SYSTEM)
        with core.db.read() as s:
            b = self._by_code(s, code)
            bid, service, starts_at, status, day = (
                b.id,
                b.service_code,
                b.starts_at,
                b.status,
                b.day,
            )
            slot = f"{b.start}–{b.end}"
            booked = s.get(Ticket, b.ticket_id) if b.ticket_id else None
            tn = booked.number if booked is not None else None
        cfg = self.config()
        if status == "checked_in":
            raise Conflict(
                "Booking ini sudah check-in: nomor antrean Anda %(tn)s.", params={"tn": tn}, code="booking_checked_in"
            )
        if status != "booked":
            raise Conflict(_status_text(status), code=f"booking_{status}", walk_in=True)
        opens = starts_at - timedelta(minutes=int(cfg["early_minutes"]))
        if now < opens:
            when = local(opens, core.tz)
            today = day == office_day(core.tz, now)
            raise Conflict(
                i18n.N_(
                    "Terlalu awal: slot Anda pukul %(slot)s. Check-in dibuka pukul %(opens)s. "
                    "Anda juga dapat mengambil nomor antrean biasa sekarang."
                )
                if today
                else i18n.N_(
                    "Terlalu awal: slot Anda pada %(day)s pukul %(slot)s. Check-in dibuka pukul %(opens)s. "
                    "Anda juga dapat mengambil nomor antrean biasa sekarang."
                ),
                params={
                    "day": i18n.PerLanguage(id=tanggal(day, "id"), en=tanggal(day, "en")),
                    "slot": i18n.PerLanguage(id=slot.replace(":", "."), en=slot),
                    "opens": i18n.PerLanguage(id=f"{when:%H.%M}", en=f"{when:%H:%M}"),
                },
                code="booking_early",
                walk_in=True,
            )

        def mark(s, ticket_id):
            done = s.execute(
                update(Booking)
                .where(Booking.id == bid, Booking.status == "booked")
                .values(status="checked_in", ticket_id=ticket_id, changed_at=now)
            )
            if done.rowcount != 1:
                raise Conflict("Booking ini sudah check-in.", code="booking_checked_in")
            core.audit(
                s,
                who,
                "booking.check_in",
                "booking",
                bid,
                at=now,
                event={"booking_id": bid, "service": service, "day": day.isoformat(), "ticket_id": ticket_id},
            )

        ticket, _ = core.tickets.issue(service, device_id=device, now=now, booked_slot=starts_at, in_transaction=mark)
        return ticket | {"booking": normalize_code(code)}

    # -- no-shows (first action, like ticket expiry) ----------------------------------------------------------
    def sweep(self, now: datetime | None = None) -> int:
        """Mark bookings not checked in by slot end + grace as ``no_show``; returns how many."""
        core = self.core
        now = now or utcnow()
        with core.db.read() as s:
            cfg = self.config(s)
            if not self._due(s, now, cfg):
                return 0
        n = 0
        with core.db.write() as s:
            for b in s.execute(self._due_query(now, cfg)).scalars():
                b.status, b.active, b.changed_at = "no_show", None, now
                core.audit(s, SYSTEM, "booking.no_show", "booking", b.id, at=now, event=self._event(b))
                n += 1
        return n

    def _due_query(self, now: datetime, cfg: dict):
        cutoff = now - timedelta(minutes=int(cfg["grace_minutes"]))
        return select(Booking).where(
            Booking.office_id == self.core.office_id,
            Booking.status == "booked",
            Booking.day <= office_day(self.core.tz, now),
            Booking.ends_at < cutoff,
        )

    def _due(self, s, now: datetime, cfg: dict) -> bool:
        """Whether some booking is due to become a no-show (one indexed read)."""
        return s.execute(self._due_query(now, cfg).with_only_columns(Booking.id).limit(1)).first() is not None

    # -- the reminder the day before ---------------------------------------------------------------------------
    def remind_moment(self, day: date, cfg: dict | None = None, session=None) -> datetime | None:
        """When the reminder for a booking on ``day`` goes out (UTC): ``remind_at`` local time the day before;
        None when reminders are off."""
        cfg = cfg or self.config(session)
        at = cfg.get("remind_at") or ""
        if not at:
            return None
        local_at = datetime.combine(day - timedelta(days=1), datetime.min.time()) + timedelta(minutes=minutes_of(at))
        return local_at.replace(tzinfo=self.core.tz).astimezone(UTC).replace(tzinfo=None)

    def remind(self, now: datetime | None = None) -> int:
        """Queue ``booking_reminder`` for tomorrow's active bookings once ``remind_at`` has passed today.

        A booking made (or moved to tomorrow) at or after that moment gets none: its confirmation page was
        just seen. Once per booking and day (dedupe key ``booking:<code>:reminder:<day>``): a booking moved
        to another day is reminded of its new day. Safe to call as often as you like (the notifier worker
        calls it every minute); returns how many reminders were newly handed to the notifier."""
        core = self.core
        notify = getattr(core, "notify", None)
        now = now or utcnow()
        if notify is None or not notify.enabled:
            return 0
        tomorrow = office_day(core.tz, now) + timedelta(days=1)
        with core.db.read() as s:
            cfg = self.config(s)
            moment = self.remind_moment(tomorrow, cfg)
            if moment is None or now < moment:
                return 0
            rows = (
                s.execute(
                    select(Booking)
                    .where(
                        Booking.office_id == core.office_id,
                        Booking.status == "booked",
                        Booking.day == tomorrow,
                        Booking.created_at < moment,
                        (Booking.changed_at.is_(None)) | (Booking.changed_at < moment),
                    )
                    .order_by(Booking.id)
                )
                .scalars()
                .all()
            )
            views = {f"booking:{b.code}:reminder:{b.day.isoformat()}": (b.phone, self._public(b)) for b in rows}
            done = (
                set(
                    s.execute(
                        select(NotifyMessage.dedupe_key).where(
                            NotifyMessage.office_id == core.office_id, NotifyMessage.dedupe_key.in_(views)
                        )
                    ).scalars()
                )
                if views
                else set()
            )
        n = 0
        for key, (phone, view) in views.items():
            if key in done:  # already queued (the enqueue would dedupe it too: this only saves the writes)
                continue
            try:
                if self._notify(None, "booking_reminder", phone, view, key=key) is not None:
                    n += 1
            except Exception:  # noqa: BLE001 - one bad number must not stop the others' reminders
                log.exception("booking reminder for %s not queued", view["code"])
        return n

    # -- messages ------------------------------------------------------------------------------------------
    def _notify(
        self, s, kind: str, phone: str, view: dict, manage_url: str | None = None, key: str | None = None
    ) -> int | None:
        """The one place bookings hand a message to the notifier (antrean/services/notify.py), in the booking's own
        transaction (queued exactly when the change commits; the dedupe key makes it once per booking and kind)."""
        notify = getattr(self.core, "notify", None)
        if notify is None or not phone:
            return None
        base = (self.core.settings.public_url or "").rstrip("/")
        params = {
            "service": view["service_name"],
            "date": view["date_label"],
            "start": view["start"].replace(":", "."),
            "code": view["code"],
        }
        if manage_url is not None:
            params["manage_url"] = base + manage_url
        return notify.enqueue(kind, phone, params, key or f"booking:{view['code']}:{kind}", session=s)


def _status_text(status: str) -> str:
    return {
        "cancelled": i18n.N_("Booking ini sudah dibatalkan."),
        "no_show": i18n.N_("Waktu check-in booking ini sudah lewat. Silakan ambil nomor antrean biasa."),
        "checked_in": i18n.N_("Booking ini sudah check-in."),
    }.get(status, i18n.N_("Booking ini tidak aktif."))


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _clean_person(name, phone, nik) -> tuple[str, str, str]:
    name = " ".join(str(name or "").split()) if isinstance(name, str) else ""
    if not name or len(name) > 120:
        raise Invalid("Nama wajib diisi (maksimal 120 karakter).", field="name")
    phone = re.sub(r"[\s.()-]", "", phone) if isinstance(phone, str) else ""
    if not PHONE.match(phone):
        raise Invalid("Nomor HP/WhatsApp tidak sah (8–15 angka).", field="phone")
    if not isinstance(nik, str):
        raise Invalid("NIK harus 16 angka.", field="nik")
    return name, phone, validate_nik(nik)


#: the numeric settings' names for people (the admin page's labels and the validation messages)
#: setting -> its label (a message id of the catalogs; translated where shown)
LABELS: dict[str, str] = {
    "slot_minutes": i18n.N_("Panjang slot (menit)"),
    "capacity": i18n.N_("Kapasitas per slot (booking + datang langsung)"),
    "share_percent": i18n.N_("Bagian untuk booking (%)"),
    "days_ahead": i18n.N_("Bisa dipesan sampai (hari ke depan)"),
    "early_minutes": i18n.N_("Check-in dibuka sebelum slot (menit)"),
    "grace_minutes": i18n.N_("Toleransi terlambat setelah slot (menit)"),
}


def validate_config(value, sops) -> dict:
    if not isinstance(value, dict):
        raise Invalid("Pengaturan booking tidak sah.")
    out = dict(DEFAULTS) | {k: v for k, v in value.items() if k in DEFAULTS}
    bounds = {
        "slot_minutes": (5, 240),
        "capacity": (0, 500),
        "share_percent": (0, 100),
        "days_ahead": (0, 90),
        "grace_minutes": (0, 240),
        "early_minutes": (0, 240),
    }

    def num(key, v):
        lo, hi = bounds[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise Invalid(
                "%(label)s: harus %(lo)s–%(hi)s.",
                params={"label": i18n.LazyString(LABELS[key]), "lo": lo, "hi": hi},
                field=key,
                detail=f"{key}={v!r}",
            )
        return v

    for key in bounds:
        out[key] = num(key, out[key])
    out["enabled"] = bool(out["enabled"])
    at = out.get("remind_at")
    at = at.strip() if isinstance(at, str) else at
    if at and not (isinstance(at, str) and re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", at)):
        raise Invalid(
            "Jam pengingat harus berbentuk JJ:MM (mis. 16:00) atau kosong.",
            field="remind_at",
            detail=f"remind_at={at!r}",
        )
    out["remind_at"] = at or ""
    services = out.get("services") or {}
    if not isinstance(services, dict) or set(services) - set(sops):
        raise Invalid("Layanan tidak dikenal.", detail=repr(services))
    out["services"] = {
        code: {k: num(k, v) for k, v in (conf or {}).items() if k in ("slot_minutes", "capacity")}
        for code, conf in services.items()
    }
    return out
