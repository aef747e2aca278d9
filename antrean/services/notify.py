"""Notifications: opt-in contacts, message templates and the outbox (``core.notify``).

Nothing here talks to a gateway: messages are rows in ``notify_message`` (the outbox), each rendered
when queued and made unique by its ``dedupe_key``; the ``notifier`` plugin's worker sends them after
the request (see notifier/worker.py and docs/notifications.md).

Public entry point for other services (booking, plugins)::

    core.notify.enqueue(kind, phone, params, dedupe_key)   # -> message id, or None (off / opted out)

``kind`` names a template (``TEMPLATES``); ``params`` fill it; ``dedupe_key`` is the message's identity
(e.g. ``f"booking:{code}:confirmed"``): queuing the same key again returns the first message's id and
sends nothing more. ``session=`` queues inside the caller's transaction (the message then commits or
rolls back with the caller's change).

Phone numbers are personal data: never in events or public pages, masked in the console and logs
(``mask_address``) unless :func:`may_reveal` allows.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from antrean.kernel import policy
from antrean.kernel.actors import Actor
from antrean.kernel.errors import Invalid, NotFound
from antrean.kernel.i18n import N_
from antrean.kernel.models import Application, NotifyContact, NotifyMessage, NotifySubscription, Ticket
from antrean.kernel.timeutil import iso, office_day, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

log = logging.getLogger(__name__)

#: kind -> (label: a message id of the catalogs, default text). Placeholders in {braces}; every text may use
#: {office} and {optout_url}; the footer is appended to every message.
TEMPLATES: dict[str, tuple[str, str]] = {
    "near": (
        N_("Nomor hampir dipanggil"),
        "Nomor antrean {number} ({service}) tinggal {ahead} lagi sebelum dipanggil. "
        "Mohon bersiap di ruang tunggu {office}.",
    ),
    "ready": (
        N_("Berkas siap diambil"),
        "Berkas {service} Anda (nomor agenda {agenda}) siap diambil di {office}. Bawa tanda terima atau tiket Anda.",
    ),
    "returned": (
        N_("Berkas dikembalikan (TMS)"),
        "Berkas {service} Anda dikembalikan karena belum lengkap. Dokumen yang kurang: {missing}. "
        "Silakan lengkapi lalu datang kembali ke {office}.",
    ),
    "survey": (
        N_("Tautan survei kepuasan (SKM)"),
        "Terima kasih telah berkunjung ke {office}. Mohon isi Survei Kepuasan Masyarakat "
        "untuk layanan {service}: {survey_url}",
    ),
    "booking_confirmed": (
        N_("Pemesanan dikonfirmasi"),
        "Pemesanan {service} di {office} pada {date} pukul {start} dikonfirmasi. "
        "Kode: {code}. Ubah atau batalkan: {manage_url}",
    ),
    "booking_reminder": (
        N_("Pengingat sehari sebelumnya"),
        "Pengingat: besok, {date} pukul {start}, jadwal {service} Anda di {office}. "
        "Kode: {code}. Tunjukkan kode QR di kios saat tiba.",
    ),
    "booking_cancelled": (
        N_("Pemesanan dibatalkan"),
        "Pemesanan {service} pada {date} pukul {start} (kode {code}) telah dibatalkan.",
    ),
    "footer": (N_("Penutup setiap pesan"), "Berhenti menerima pesan: {optout_url}"),
}
#: placeholders each kind is given (the admin editor refuses others)
PARAMS: dict[str, tuple[str, ...]] = {
    "near": ("number", "service", "ahead"),
    "ready": ("service", "agenda"),
    "returned": ("service", "missing"),
    "survey": ("service", "survey_url", "number"),
    "booking_confirmed": ("service", "date", "start", "code", "manage_url"),
    "booking_reminder": ("service", "date", "start", "code"),
    "booking_cancelled": ("service", "date", "start", "code"),
    "footer": (),
}
COMMON_PARAMS = ("office", "optout_url")
TEMPLATE_SETTING = "notify_templates"  # office setting: {kind: text} overriding TEMPLATES
NEAR_SETTING = "notify_near_ahead"  # office setting: "N from the front" (default 3)
DEFAULT_NEAR = 3
STATUSES = ("pending", "sending", "sent", "uncertain", "failed")
CITIZEN = Actor(None, "warga")

_PHONE = re.compile(r"\d{9,15}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,180}\.[A-Za-z]{2,}")


def normalize_address(value) -> str:
    """An Indonesian mobile number as 62…, or an e-mail address in lower case; Invalid otherwise."""
    raw = str(value or "").strip()
    if "@" in raw:
        if not _EMAIL.fullmatch(raw):
            raise Invalid("Alamat e-mail tidak sah.", field="phone")
        return raw.lower()
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not _PHONE.fullmatch(digits):
        raise Invalid("Nomor WhatsApp tidak sah (contoh: 0812 3456 7890).", field="phone")
    return digits


def mask_address(address: str | None) -> str:
    """6281234567890 -> 62812*****890; budi@x.id -> b***@x.id."""
    if not address:
        return ""
    if "@" in address:
        user, _, host = address.partition("@")
        return user[:1] + "***@" + host
    return address[:5] + "*" * max(0, len(address) - 8) + address[-3:]


def may_reveal(core: Antrean, actor: Actor) -> bool:
    """May ``actor`` see full phone numbers in the outbox? (policy action ``notify.reveal_phone``: admins)"""
    return policy.can(core, actor, "notify.reveal_phone")


class _Params(dict):
    def __missing__(self, key):  # an unknown placeholder stays visible instead of failing the message
        return "{" + key + "}"


def render(text: str, params: dict) -> str:
    return string.Formatter().vformat(text, (), _Params(params))


def check_template(kind: str, text: str) -> str:
    text = str(text or "").strip()
    if kind not in TEMPLATES:
        raise Invalid("Jenis pesan tidak dikenal.", detail=repr(kind))
    if not text and kind != "footer":
        raise Invalid("Teks pesan tidak boleh kosong.", field=kind)
    if len(text) > 1000:
        raise Invalid("Teks pesan terlalu panjang (maks. 1000 karakter).", field=kind)
    allowed = set(PARAMS[kind]) | set(COMMON_PARAMS)
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise Invalid("Kurung kurawal { } tidak berpasangan.", field=kind, detail=str(exc)) from None
    unknown = sorted(n for n in names if n not in allowed)
    if unknown:
        raise Invalid(
            "Isian {…} tidak dikenal untuk pesan ini.",
            field=kind,
            detail=f"{kind}: {unknown}; allowed: {sorted(allowed)}",
        )
    return text


class NotifyService:
    def __init__(self, core: Antrean) -> None:
        self.core = core

    # -- settings -----------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return (self.core.settings.notify_url or "none").strip().lower() not in ("", "none")

    def templates(self, session=None) -> dict[str, str]:
        stored = self.core.get_setting(TEMPLATE_SETTING, {}, session=session) or {}
        return {k: stored.get(k) or default for k, (_, default) in TEMPLATES.items()}

    def set_templates(self, actor: Actor, texts: dict) -> dict[str, str]:
        """Admin: store the texts that differ from the defaults (audited as a setting change)."""
        policy.require(self.core, actor, "settings.write")
        out = {}
        for kind, (_, default) in TEMPLATES.items():
            if kind in texts:
                text = check_template(kind, texts[kind])
                if text != default:
                    out[kind] = text
        self.core.set_setting(TEMPLATE_SETTING, out, actor)
        return self.templates()

    def near_ahead(self, session=None) -> int:
        try:
            return max(1, int(self.core.get_setting(NEAR_SETTING, DEFAULT_NEAR, session=session)))
        except (TypeError, ValueError):
            return DEFAULT_NEAR

    def base_url(self) -> str:
        return (self.core.settings.public_url or "").rstrip("/")

    # -- contacts -------------------------------------------------------------
    def _contact(self, s, address: str) -> NotifyContact:
        core = self.core
        q = select(NotifyContact).where(NotifyContact.office_id == core.office_id, NotifyContact.address == address)
        c = s.execute(q).scalar_one_or_none()
        if c is not None:
            return c
        try:
            with s.begin_nested():
                c = NotifyContact(
                    office_id=core.office_id, address=address, token=secrets.token_urlsafe(24), created_at=utcnow()
                )
                s.add(c)
        except IntegrityError:  # another process added it meanwhile
            c = s.execute(q).scalar_one()
        return c

    def subscribe_ticket(self, token: str, phone) -> None:
        """The status page's opt-in: news about this ticket goes to ``phone``. Audited, nothing published."""
        core = self.core
        if not self.enabled:
            raise Invalid("Layanan pesan belum diaktifkan di kantor ini.")
        address = normalize_address(phone)
        with core.db.write() as s:
            t = s.execute(
                select(Ticket).where(Ticket.token == token, Ticket.office_id == core.office_id)
            ).scalar_one_or_none()
            if t is None:
                raise NotFound("Tiket tidak ditemukan.")
            c = self._contact(s, address)
            if c.opted_out_at is not None:  # the number asked to stop: asking again here opts it back in
                c.opted_out_at = None
            sub = s.get(NotifySubscription, t.id)
            if sub is None:
                s.add(NotifySubscription(ticket_id=t.id, contact_id=c.id, created_at=utcnow()))
            else:
                sub.contact_id = c.id
            core.audit(s, CITIZEN, "notify.optin", "ticket", t.id, phone=mask_address(address))
            ticket_id, service = t.id, t.service_code
        self.check_near(service, only_ticket=ticket_id)

    def subscribed(self, token: str) -> str | None:
        """The masked number subscribed to a ticket (for its status page), or None."""
        with self.core.db.read() as s:
            row = s.execute(
                select(NotifyContact.address)
                .join(NotifySubscription, NotifySubscription.contact_id == NotifyContact.id)
                .join(Ticket, Ticket.id == NotifySubscription.ticket_id)
                .where(Ticket.token == token, NotifyContact.opted_out_at.is_(None))
            ).scalar()
        return mask_address(row) if row else None

    def contact_by_token(self, token: str) -> dict:
        with self.core.db.read() as s:
            c = self._by_token(s, token)
            return {"masked": mask_address(c.address), "opted_out": c.opted_out_at is not None}

    def _by_token(self, s, token: str) -> NotifyContact:
        c = None
        if isinstance(token, str) and 10 <= len(token) <= 64:
            c = s.execute(
                select(NotifyContact).where(
                    NotifyContact.token == token, NotifyContact.office_id == self.core.office_id
                )
            ).scalar()
        if c is None:
            raise NotFound("Tautan tidak dikenal.")
        return c

    def opt_out(self, token: str) -> dict:
        """Stop every message to the number of this opt-out link; pending ones are cancelled (failed)."""
        core = self.core
        now = utcnow()
        with core.db.write() as s:
            c = self._by_token(s, token)
            if c.opted_out_at is None:
                c.opted_out_at = now
                s.execute(
                    update(NotifyMessage)
                    .where(NotifyMessage.contact_id == c.id, NotifyMessage.status == "pending")
                    .values(status="failed", last_error="opted out by the recipient")
                )
                core.audit(s, CITIZEN, "notify.optout", "notify_contact", c.id, phone=mask_address(c.address))
            return {"masked": mask_address(c.address), "opted_out": True}

    # -- the outbox -------------------------------------------------------------
    def enqueue(self, kind: str, phone, params: dict | None, dedupe_key: str, *, session=None) -> int | None:
        """Queue one message (see the module doc). None: messages are off, no phone, or the number opted out."""
        if not self.enabled or not phone:
            return None
        if kind not in TEMPLATES or kind == "footer":
            raise ValueError(f"unknown message kind {kind!r}")
        if not dedupe_key or len(dedupe_key) > 160:
            raise ValueError("dedupe_key: 1-160 characters")
        address = normalize_address(phone)
        if session is not None:
            return self._enqueue(session, kind, address, params or {}, dedupe_key)
        with self.core.db.write() as s:
            msg_id = self._enqueue(s, kind, address, params or {}, dedupe_key)
        self.wake()
        return msg_id

    def _enqueue(self, s, kind, address, params, dedupe_key) -> int | None:
        core = self.core
        q = select(NotifyMessage.id).where(
            NotifyMessage.office_id == core.office_id, NotifyMessage.dedupe_key == dedupe_key
        )
        existing = s.execute(q).scalar()
        if existing is not None:
            return existing
        c = self._contact(s, address)
        if c.opted_out_at is not None:
            return None
        texts = self.templates(session=s)
        values = {
            "office": core.office()["name"],
            "optout_url": f"{self.base_url()}/kabar/berhenti/{c.token}",
            **{k: v for k, v in params.items()},
        }
        body = render(texts[kind], values)
        if texts["footer"]:
            body += "\n\n" + render(texts["footer"], values)
        now = utcnow()
        try:
            with s.begin_nested():
                m = NotifyMessage(
                    office_id=core.office_id,
                    kind=kind,
                    contact_id=c.id,
                    dedupe_key=dedupe_key,
                    body=body,
                    status="pending",
                    attempts=0,
                    last_error="",
                    next_attempt_at=now,
                    created_at=now,
                )
                s.add(m)
                s.flush()
        except IntegrityError:  # the same key queued concurrently: that one is the message
            return s.execute(q).scalar_one()
        return m.id

    def wake(self) -> None:
        wake = self.core.extensions.get("notify.wake")
        if wake is not None:
            wake()

    def outbox(self, actor: Actor, status: str | None = None, limit: int = 200) -> dict:
        policy.require(self.core, actor, "notify.read")
        core = self.core
        reveal = may_reveal(core, actor)
        with core.db.read() as s:
            q = (
                select(NotifyMessage, NotifyContact.address)
                .join(NotifyContact, NotifyContact.id == NotifyMessage.contact_id)
                .where(NotifyMessage.office_id == core.office_id)
            )
            if status:
                q = q.where(NotifyMessage.status == status)
            rows = s.execute(q.order_by(NotifyMessage.id.desc()).limit(limit)).all()
            counts = dict(
                s.execute(
                    select(NotifyMessage.status, func.count())
                    .where(NotifyMessage.office_id == core.office_id)
                    .group_by(NotifyMessage.status)
                ).all()
            )
        return {
            "messages": [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "to": addr if reveal else mask_address(addr),
                    "status": m.status,
                    "attempts": m.attempts,
                    "last_error": m.last_error,
                    "created_at": iso(m.created_at),
                    "sent_at": iso(m.sent_at),
                    "next_attempt_at": iso(m.next_attempt_at),
                    "body": m.body,
                    "dedupe_key": m.dedupe_key,
                }
                for m, addr in rows
            ],
            "counts": {st: counts.get(st, 0) for st in STATUSES},
            "revealed": reveal,
        }

    def resend(self, actor: Actor, message_id: int) -> None:
        """Staff decided an uncertain or failed message must go (again): back to pending, audited."""
        policy.require(self.core, actor, "notify.resend")
        core = self.core
        with core.db.write() as s:
            m = s.get(NotifyMessage, message_id)
            if m is None or m.office_id != core.office_id:
                raise NotFound("Pesan tidak ditemukan.")
            if m.status not in ("uncertain", "failed"):
                raise Invalid("Hanya pesan 'tidak pasti' atau 'gagal' yang dapat dikirim ulang.", detail=m.status)
            c = s.get(NotifyContact, m.contact_id)
            if c is None or c.opted_out_at is not None:
                raise Invalid("Nomor ini sudah berhenti berlangganan.")
            old = m.status
            m.status, m.next_attempt_at, m.last_error = "pending", utcnow(), f"resent by {actor.username} ({old})"
            core.audit(s, actor, "notify.resend", "notify_message", m.id, old=old)
        self.wake()

    # -- messages driven by the event stream ----------------------------------------
    def on_event(self, event) -> None:
        """Queue the messages an event calls for (called after commit, off the request by the plugin)."""
        t, data = event.type, event.data
        if not self.enabled:
            return
        if t.startswith("ticket.") and data.get("service"):
            self.check_near(data["service"])
            if t in ("ticket.finished", "ticket.closed") and data.get("ticket_id"):
                self.survey_link(data["ticket_id"])
        elif t == "application.step_completed" and data.get("status") == "open":
            self.ready(data["application_id"])
        elif t == "application.returned":
            self.returned(data["application_id"], data.get("step"))
        elif t == "application.closed":
            with self.core.db.read() as s:
                tid = s.execute(select(Application.ticket_id).where(Application.id == data["application_id"])).scalar()
            if tid:
                self.survey_link(tid)

    def _ticket_address(self, s, ticket_id: int) -> str | None:
        row = s.execute(
            select(NotifyContact.address)
            .join(NotifySubscription, NotifySubscription.contact_id == NotifyContact.id)
            .where(NotifySubscription.ticket_id == ticket_id)
        ).scalar()
        if row:
            return row
        return s.execute(select(Application.phone).where(Application.ticket_id == ticket_id)).scalar()

    def _app_address(self, s, app: Application) -> str | None:
        """The phone recorded on the application, else the number its ticket subscribed."""
        return app.phone or (self._ticket_address(s, app.ticket_id) if app.ticket_id else None)

    def check_near(self, service: str, only_ticket: int | None = None) -> None:
        """Waiting tickets of ``service`` today with a subscribed number, at most N from the front: once each."""
        core = self.core
        with core.db.read() as s:
            n = self.near_ahead(session=s)
            q = (
                select(Ticket, NotifyContact.address)
                .join(NotifySubscription, NotifySubscription.ticket_id == Ticket.id)
                .join(NotifyContact, NotifyContact.id == NotifySubscription.contact_id)
                .where(
                    Ticket.office_id == core.office_id,
                    Ticket.service_code == service,
                    Ticket.status == "waiting",
                    Ticket.day == office_day(core.tz),
                    NotifyContact.opted_out_at.is_(None),
                )
            )
            if only_ticket is not None:
                q = q.where(Ticket.id == only_ticket)
            due = []
            for t, address in s.execute(q).all():
                view = core.tickets.view_in(s, t)
                if view["waiting_ahead"] <= n:
                    due.append(
                        (
                            t.id,
                            address,
                            {"number": t.number, "service": view["service_name"], "ahead": view["waiting_ahead"]},
                        )
                    )
        for ticket_id, address, params in due:
            self.enqueue("near", address, params, f"near:{ticket_id}")

    def ready(self, application_id: int) -> None:
        core = self.core
        with core.db.read() as s:
            app = s.get(Application, application_id)
            if app is None or app.status != "open":
                return
            sop = core.sops.get(app.service_code)
            step = sop.step(app.current_step) if sop else None
            if sop is None or step is None or not step.applicant_present or step.kind not in ("handover", "collect"):
                return
            address = self._app_address(s, app)
            params = {"service": sop.name, "agenda": app.agenda_number or "-"}
            key = f"ready:{app.id}:{app.current_step}"
        self.enqueue("ready", address, params, key)

    def returned(self, application_id: int, step) -> None:
        core = self.core
        with core.db.read() as s:
            app = s.get(Application, application_id)
            if app is None or app.status != "returned":
                return
            sop = core.sops.get(app.service_code)
            address = self._app_address(s, app)
            missing = ", ".join(app.missing_documents or []) or (app.tms_reason or "-")
            params = {"service": sop.name if sop else app.service_code, "missing": missing}
        self.enqueue("returned", address, params, f"returned:{application_id}:{step}")

    def survey_link(self, ticket_id: int) -> None:
        core = self.core
        with core.db.read() as s:
            t = s.get(Ticket, ticket_id)
            if t is None or not core.survey.eligible_in(s, t):
                return
            address = self._ticket_address(s, t.id)
            sop = core.sops.get(t.service_code)
            params = {
                "service": sop.name if sop else t.service_code,
                "number": t.number,
                "survey_url": f"{self.base_url()}/survei/{t.token}",
            }
        self.enqueue("survey", address, params, f"survey:{ticket_id}")

    # -- the sender's side of the outbox (notifier/worker.py sends; the rows are this service's) ---------------
    def recover_stale(self, now: datetime) -> int:
        """Messages left in 'sending' past their lease (the sender's process ended mid-send) become 'uncertain'
        (the gateway may have them: never resent automatically). Returns how many."""
        core = self.core
        with core.db.write(durable=False) as s:
            result = s.execute(
                update(NotifyMessage)
                .where(
                    NotifyMessage.office_id == core.office_id,
                    NotifyMessage.status == "sending",
                    NotifyMessage.next_attempt_at < now,
                )
                .values(
                    status="uncertain",
                    claim=None,
                    last_error="the sender stopped while sending (process ended); the gateway may "
                    "have it: check, and resend from the console if it did not arrive",
                )
            )
            # an UPDATE's result is a CursorResult (Session.execute is typed for any statement)
            return cast("CursorResult[Any]", result).rowcount

    def claim_due(
        self, now: datetime, batch: int, seconds_each: float, margin: float
    ) -> tuple[str | None, Sequence[Any]]:
        """One durable UPDATE claims up to ``batch`` due messages (never two senders), leased for ``seconds_each``
        per message plus ``margin`` seconds.
        Returns (claim id, rows with id, kind, body, dedupe_key, attempts, created_at, address)."""
        core = self.core
        with core.db.read() as s:
            ids = (
                s.execute(
                    select(NotifyMessage.id)
                    .where(
                        NotifyMessage.office_id == core.office_id,
                        NotifyMessage.status == "pending",
                        NotifyMessage.next_attempt_at <= now,
                    )
                    .order_by(NotifyMessage.id)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
        if not ids:
            return None, []
        claim = secrets.token_hex(8)
        lease = now + timedelta(seconds=seconds_each * len(ids) + margin)
        with core.db.write() as s:
            s.execute(
                update(NotifyMessage)
                .where(NotifyMessage.id.in_(ids), NotifyMessage.status == "pending")
                .values(status="sending", claim=claim, attempts=NotifyMessage.attempts + 1, next_attempt_at=lease)
            )
        with core.db.read() as s:
            rows = s.execute(
                select(
                    NotifyMessage.id,
                    NotifyMessage.kind,
                    NotifyMessage.body,
                    NotifyMessage.dedupe_key,
                    NotifyMessage.attempts,
                    NotifyMessage.created_at,
                    NotifyContact.address,
                )
                .join(NotifyContact, NotifyContact.id == NotifyMessage.contact_id)
                .where(NotifyMessage.claim == claim)
                .order_by(NotifyMessage.id)
            ).all()
        return claim, rows

    def finish_sends(self, claim: str, results: list[tuple]) -> None:
        """Record claimed sends, ``(id, status, error, retry_at)`` each, in one transaction."""
        sent_at = utcnow()
        with self.core.db.write(durable=False) as s:
            for msg_id, status, error, retry_at in results:
                values: dict = {"status": status, "last_error": error[:2000], "claim": None}
                if status == "sent":
                    values["sent_at"] = sent_at
                if retry_at is not None:
                    values["next_attempt_at"] = retry_at
                s.execute(
                    update(NotifyMessage)
                    .where(NotifyMessage.id == msg_id, NotifyMessage.claim == claim, NotifyMessage.status == "sending")
                    .values(**values)
                )


__all__ = [
    "NotifyService",
    "TEMPLATES",
    "PARAMS",
    "normalize_address",
    "mask_address",
    "may_reveal",
    "render",
    "check_template",
]
