"""One typed event stream, dispatched after commit.

Inside a write transaction the core calls ``core.emit(session, "<type>", actor=..., **data)``
(or ``core.audit(...)``, which writes the audit row AND emits the action's event: see
``AUDIT_EVENTS``). Events wait on the session; when the transaction commits they are
dispatched in order through the hook ``event_published(core, event)`` and, for the types
that have one, the older specific hook (``ticket_issued``, ``ticket_called``,
``queue_changed``, ``step_completed``) — one dispatcher, one path. A rollback, or the
rollback of the savepoint an event was emitted in (group commit, ``antrean/kernel/batch.py``),
drops the event: nothing is announced that did not happen.

``event.data`` never holds personal data (names, NIK, phone, notes): ``emit`` refuses those
keys, so a plugin can forward events to a public board or a log without filtering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm import sessionmaker as SessionMaker

log = logging.getLogger(__name__)

#: every event type the core publishes (other branches/plugins may add their own)
EVENT_TYPES: dict[str, str] = {
    "ticket.issued": "a ticket was issued (kiosk, API or staff)",
    "ticket.called": "a ticket was called to a loket (also a step's call-back)",
    "ticket.recalled": "the current ticket was called again",
    "ticket.skipped": "the called ticket did not come; it may be called back later today",
    "ticket.held": "the current ticket was put on hold",
    "ticket.transferred": "the ticket's visit was closed and continued in another service's queue",
    "ticket.started": "the clerk started serving the ticket",
    "ticket.finished": "the clerk finished serving the ticket",
    "ticket.closed": "the ticket ended; data.outcome is served/no_show/transferred/cancelled/expired",
    "application.opened": "an application (permohonan) was opened",
    "application.step_completed": "an SOP step was completed",
    "application.returned": "the file was returned to the applicant (TMS)",
    "application.closed": "the application's last step was completed",
    "settings.changed": "an office setting changed (data.key: running_text, queue_policy, display_profiles…)",
    "counter.changed": "a loket was added or edited",
    "service.changed": "a service's office settings changed",
    "office.changed": "the office profile (name, address) changed",
    "printer.changed": "a printer was added or its URL/profile changed",
    "printer.state_changed": "a printer's state changed (online, offline, paper_out, error)",
    "print.job_failed": "a ticket's print job became uncertain or failed (data: job, status, ticket, number, printer)",
    "print.reprinted": "staff reprinted a ticket (data: ticket, number, job, printer)",
    "kiosk.changed": "a kiosk device was named or given a printer",
    "user.changed": "a staff account was created or changed",
    "calendar.changed": "office hours, a holiday/cuti bersama/closure or a CSV import changed the calendar "
    "(data.change: hours/add/remove/import)",
    "survey.submitted": "a citizen answered the SKM survey for a served ticket (data: service, channel)",
    "survey.offered": "a clerk put the survey of the ticket just served on the counter's tablet",
    "survey.followup_changed": "the rencana tindak lanjut of a survey element and period changed",
    "booking.created": "a citizen booked a slot (data: booking_id, service, day, start — never name, phone, NIK)",
    "booking.rescheduled": "a booking moved to another slot (data: booking_id, service, day, start, from_day, from_start)",
    "booking.cancelled": "a booking was cancelled with its cancel link (data: booking_id, service, day, start)",
    "booking.checked_in": "a booking was checked in and got its ticket (data: booking_id, service, day, ticket_id)",
    "booking.no_show": "a booking was not checked in by slot end + grace (data: booking_id, service, day, start)",
}

#: audit action -> the event it publishes. ``Antrean.audit`` refuses an action that is in
#: neither this map nor ``AUDIT_ONLY``, so nothing can be audited without deciding its event.
AUDIT_EVENTS: dict[str, str] = {
    "ticket.call": "ticket.called",
    "ticket.step": "ticket.called",
    "ticket.recall": "ticket.recalled",
    "ticket.skip": "ticket.skipped",
    "ticket.hold": "ticket.held",
    "ticket.transfer": "ticket.transferred",
    "ticket.start": "ticket.started",
    "ticket.finish": "ticket.finished",
    "ticket.close": "ticket.closed",
    "application.open": "application.opened",
    "step.complete": "application.step_completed",
    "application.return": "application.returned",
    "application.close": "application.closed",
    "setting.update": "settings.changed",
    "counter.save": "counter.changed",
    "service.update": "service.changed",
    "office.update": "office.changed",
    "printer.create": "printer.changed",
    "printer.update": "printer.changed",
    "ticket.reprint": "print.reprinted",
    "kiosk.assign_printer": "kiosk.changed",
    "kiosk.register": "kiosk.changed",  # antrean kiosk add (a device key; the key is never in the event)
    "kiosk.rekey": "kiosk.changed",
    "kiosk.unregister": "kiosk.changed",
    "user.create": "user.changed",
    "user.update": "user.changed",
    "calendar.hours": "calendar.changed",
    "calendar.add": "calendar.changed",
    "calendar.remove": "calendar.changed",
    "calendar.import": "calendar.changed",
    "booking.create": "booking.created",
    "booking.reschedule": "booking.rescheduled",
    "booking.cancel": "booking.cancelled",
    "booking.check_in": "booking.checked_in",
    "booking.no_show": "booking.no_show",
    "survey.submit": "survey.submitted",
    "survey.offer": "survey.offered",
    "survey.followup": "survey.followup_changed",
}

#: audited actions that change nothing a face shows: security records, not office state
AUDIT_ONLY: frozenset[str] = frozenset(
    {
        "auth.login",
        "auth.failed",
        "auth.locked",
        "auth.unlock",
        "auth.token",
        "auth.logout",
        "application.reveal_nik",
        # notifications: a citizen's opt-in/out, staff resending (no face shows them)
        "notify.optin",
        "notify.optout",
        "notify.resend",
    }
)

#: keys ``emit`` refuses in ``data`` (events are public: boards, logs, other processes)
PERSONAL_KEYS: frozenset[str] = frozenset(
    {"name", "applicant_name", "full_name", "nik", "phone", "note", "notes", "password", "token", "tms_reason"}
)


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``at`` is ISO UTC, ``actor`` a username or "system"."""

    type: str
    office_id: int | None
    at: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    #: (hook name, kwargs or a callable returning kwargs) of the older specific hook, if any;
    #: in-process only, never part of the public event
    legacy: tuple[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "office_id": self.office_id,
            "at": self.at,
            "actor": self.actor,
            "data": dict(self.data),
        }


def check_data(type_: str, data: Mapping[str, Any]) -> None:
    bad = sorted(PERSONAL_KEYS.intersection(data))
    if bad:
        raise ValueError(f"event {type_}: personal data {bad} must not be published")


# -- queueing on the session, dispatch after commit ----------------------------------------------
_KEY = "antrean.kernel.events"  # session.info: list of (SessionTransaction, Event)
_DROPPED = "antrean.kernel.events.dropped"  # session.info: set of rolled-back SessionTransactions


def queue(session: Session, ev: Event) -> None:
    """Queue ``ev`` on the session's innermost transaction (a savepoint, if one is open)."""
    tx = session.get_nested_transaction() or session.get_transaction()
    if tx is None:
        raise RuntimeError(f"event {ev.type} emitted outside a transaction")
    session.info.setdefault(_KEY, []).append((tx, ev))


def _alive(tx: SessionTransaction, dropped: set[SessionTransaction]) -> bool:
    at: SessionTransaction | None = tx
    while at is not None:
        if at in dropped:
            return False
        at = at.parent
    return True


def install(sessionmaker: SessionMaker[Session], publish: Callable[[list[Event]], None]) -> None:
    """Dispatch the events queued on ``sessionmaker``'s sessions after each commit."""

    @sa_event.listens_for(sessionmaker, "after_soft_rollback")
    def _rolled_back(session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None:  # the whole transaction: nothing happened
            session.info.pop(_KEY, None)
            session.info.pop(_DROPPED, None)
        elif session.info.get(_KEY):  # a savepoint: its events (and its children's) go
            session.info.setdefault(_DROPPED, set()).add(previous)

    @sa_event.listens_for(sessionmaker, "after_commit")
    def _committed(session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint released: the real commit is still to come
            return
        pending = session.info.pop(_KEY, None)
        dropped = session.info.pop(_DROPPED, set())
        if pending:
            publish([ev for tx, ev in pending if _alive(tx, dropped)])
