"""SQLAlchemy 2 typed models. Timestamps are naive UTC; ``day`` is the office-local date."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from antrean.kernel.timeutil import utcnow


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # every model here maps a Table (SQLAlchemy types ``__table__`` as any FromClause: a join, a select)
        __table__: ClassVar[Table]


class Office(Base):
    __tablename__ = "office"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Jakarta")


class Service(Base):
    """An SOP as offered by one office: the plugin's definition plus office settings."""

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("office_id", "code"), UniqueConstraint("office_id", "letter"))
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    code: Mapped[str] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    letter: Mapped[str] = mapped_column(String(2))
    role_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # sop role -> office role
    checklist: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: the plugin's documents
    daily_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    open_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "08:00" local
    close_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "15:00" local


class Counter(Base):
    """A loket. ``number`` is what the voice says ("loket dua")."""

    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    name: Mapped[str] = mapped_column(String(80))
    number: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # overrides the office policy


class CounterService(Base):
    __tablename__ = "counter_service"
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id", ondelete="CASCADE"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(60), primary_key=True)


class TicketCounter(Base):
    """Last number issued per (office, letter, office day): bumped in the ticket's transaction."""

    __tablename__ = "ticket_counter"
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    letter: Mapped[str] = mapped_column(String(2), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


#: how a ticket ended (``Ticket.outcome``; NULL while the ticket is open). Reports use these, never status.
OUTCOMES = ("served", "no_show", "transferred", "cancelled", "expired")


class Ticket(Base):
    """A visit to one service. ``status`` is where it is in the queue (waiting, called, serving, held,
    skipped, done); ``outcome`` how it ended, with ``outcome_at``/``outcome_by`` (see README, "Ticket
    lifecycle"). A transfer closes the ticket as ``transferred`` and continues the visit in a new row
    with the same number, ``leg`` + 1 and ``transferred_from_id`` pointing back."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("office_id", "letter", "day", "seq", "leg", name="uq_ticket_number"),
        UniqueConstraint("office_id", "idempotency_key", name="uq_ticket_idempotency"),
        Index("ix_ticket_queue", "office_id", "day", "status", "service_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    service_code: Mapped[str] = mapped_column(String(60))
    letter: Mapped[str] = mapped_column(String(2))
    day: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_called_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    recall_count: Mapped[int] = mapped_column(
        Integer, default=0
    )  # every recall of this visit (recalls: of the current call)
    outcome: Mapped[str | None] = mapped_column(String(12), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # NULL: the system
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    leg: Mapped[int] = mapped_column(Integer, default=0)  # 0: as issued; n: the n-th transfer's continuation
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, unique=True)
    #: set when the ticket came from a booking's check-in: the booked slot's start (UTC); NULL for walk-ins
    booked_slot: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Call(Base):
    """Every call and recall of a ticket to a counter; ``seq`` is global and increasing."""

    __tablename__ = "call"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"))
    kind: Mapped[str] = mapped_column(String(12))  # call | recall | step
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Application(Base):
    """A permohonan: one SOP instance carried step by step."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_work", "office_id", "status", "service_code", "current_step"),
        # worklists walk open files oldest step first and stop after one page (bench/records_scale.py)
        Index("ix_application_step_order", "office_id", "status", "step_started_at", "id"),
        # the reports' period filters (opened / closed in the period)
        Index("ix_application_closed", "office_id", "closed_at"),
        Index("ix_application_created", "office_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, unique=True)
    service_code: Mapped[str] = mapped_column(String(60))
    applicant_name: Mapped[str] = mapped_column(String(120), default="")
    nik: Mapped[str | None] = mapped_column(String(16), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | returned | done
    current_step: Mapped[int] = mapped_column(Integer)
    step_started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    agenda_number: Mapped[str | None] = mapped_column(String(80), nullable=True, unique=True)
    tms_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    missing_documents: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AgendaCounter(Base):
    __tablename__ = "agenda_counter"
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class StepLog(Base):
    __tablename__ = "step_log"
    __table_args__ = (
        UniqueConstraint("application_id", "step_no"),
        # the reports' steps vs Mutu Baku of a period: covering, no table reads
        Index("ix_step_log_ended", "ended_at", "application_id", "step_no", "minutes", "standard_minutes"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    step_no: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[float] = mapped_column(Float)
    standard_minutes: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    missing_documents: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: office codes this account may act in; ["*"] = every office (a regency admin).
    #: NULL (accounts from before revision 0002) is treated as every office.
    offices: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: bumped by logout, a password change, disabling the account or taking a role or office away: every
    #: console session carries the value it was opened with and ends when it no longer matches
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class AuditLog(Base):
    """Append-only: one row for every state change, with actor and time."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_office_at", "office_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(80), default="")  # username, "kiosk:<device>", "system"
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """Office-level settings as JSON values (policy, running text, display profiles, kiosk PIN…)."""

    __tablename__ = "setting"
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict[str, Any] | list[Any] | str | int | None] = mapped_column(JSON, nullable=True)


class LoginThrottle(Base):
    """Login attempts not (yet) proven good, per ``u:<username>|<address>`` and per ``a:<address>``, in a window.

    Bumped with one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` before a password is checked, so
    parallel guesses from any number of processes are counted before any is evaluated (see users.authenticate).
    """

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), default="", index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime)


class SurveyResponse(Base):
    """One SKM answer sheet (Permenpan RB 14/2017), bound to the served ticket it rates: one per ticket.
    No name, no NIK: the respondent profile is coarse (sex, age group, education, occupation)."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_period", "office_id", "day", "service_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    service_code: Mapped[str] = mapped_column(String(60))
    day: Mapped[date] = mapped_column(Date)  # office-local date the answers were given
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(12), default="phone")  # phone | tablet | api
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    age_group: Mapped[str | None] = mapped_column(String(8), nullable=True)
    education: Mapped[str | None] = mapped_column(String(8), nullable=True)
    occupation: Mapped[str | None] = mapped_column(String(20), nullable=True)
    suggestion: Mapped[str | None] = mapped_column(Text, nullable=True)


class SurveyAnswer(Base):
    """One element's answer (1–4). Office, day and service are copied from the response so that the IKM of
    any period is one GROUP BY over a covering index, without a join."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("ix_survey_answer_period", "office_id", "day", "service_code", "element", "value"),
        Index("ix_survey_answer_service", "office_id", "service_code", "day", "element", "value"),
    )
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True)
    element: Mapped[str] = mapped_column(String(12), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    day: Mapped[date] = mapped_column(Date)
    service_code: Mapped[str] = mapped_column(String(60))


class SurveyFollowUp(Base):
    """The office's rencana tindak lanjut for an element in a period ("2026", "2026-S2", "2026-11")."""

    __tablename__ = "survey_followup"
    __table_args__ = (UniqueConstraint("office_id", "period", "element"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    period: Mapped[str] = mapped_column(String(10))
    element: Mapped[str] = mapped_column(String(12))
    plan: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CalendarDay(Base):
    """One day of the office calendar the admin entered: a national holiday, a cuti bersama day or an
    ad-hoc closure (whole day, or start_time–end_time local for a closure). One entry per date."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("office_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # libur_nasional | cuti_bersama | penutupan
    name: Mapped[str] = mapped_column(String(120))
    start_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "HH:MM" local, partial closure
    end_time: Mapped[str | None] = mapped_column(String(5), nullable=True)


class NotifyContact(Base):
    """A number (or e-mail address) that opted in to messages; ``token`` is its one opt-out link.
    ``opted_out_at`` set: nothing is ever queued for it again."""

    __tablename__ = "notify_contact"
    __table_args__ = (UniqueConstraint("office_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    address: Mapped[str] = mapped_column(String(120))  # 62812…  (normalised) or an e-mail address
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class NotifySubscription(Base):
    """A ticket whose holder asked for news on the status page (one contact per ticket)."""

    __tablename__ = "notify_subscription"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("notify_contact.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NotifyMessage(Base):
    """The outbox: one row per message, rendered when queued; ``dedupe_key`` makes each message once.

    pending → sending (claimed, leased) → sent; or uncertain (the gateway may have it: never resent
    automatically) or failed (refused for good, or expired). See docs/notifications.md."""

    __tablename__ = "notify_message"
    __table_args__ = (
        UniqueConstraint("office_id", "dedupe_key", name="uq_notify_dedupe"),
        Index("ix_notify_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    kind: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int] = mapped_column(ForeignKey("notify_contact.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the worker batch that holds it
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Booking(Base):
    """A citizen's booked slot (antrean/services/booking.py). ``active`` is True while booked or checked in and NULL
    once cancelled or a no-show: the unique constraint then allows one active booking per NIK, service and day
    (NULLs never collide). Name, phone and NIK are personal data: staff with the permission only."""

    __tablename__ = "booking"
    __table_args__ = (
        UniqueConstraint("office_id", "code", name="uq_booking_code"),
        UniqueConstraint("office_id", "service_code", "day", "nik", "active", name="uq_booking_nik_active"),
        Index("ix_booking_day", "office_id", "day", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    code: Mapped[str] = mapped_column(String(12))
    service_code: Mapped[str] = mapped_column(String(60))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))  # "HH:MM" local
    end: Mapped[str] = mapped_column(String(5))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    nik: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="booked")  # booked|checked_in|cancelled|no_show
    active: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=True)
    cancel_token: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(
        DateTime, nullable=True
    )  # checked in, cancelled, no-show, rescheduled


class BookingCount(Base):
    """Bookings taken per (office, service, day, bucket): a slot ("08:00") or an hour ("h08"). Bumped with
    INSERT … ON CONFLICT DO UPDATE … WHERE taken < cap RETURNING in the booking's transaction, so capacity
    holds under concurrency on SQLite and PostgreSQL."""

    __tablename__ = "booking_count"
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(5), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)
