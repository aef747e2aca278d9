"""The typed schemas of ``/api/v1``: what each route takes (``*In``, ``*Query``) and answers (the rest).

Declared once here and used twice: the routes validate requests with them (antrean.web.openapi.api) and
``/api/v1/openapi.json`` is generated from them. Response models list every field the core sends; they are not
checked in production, but in every test (the ``app`` fixture applies antrean.web.openapi.check_responses: each
/api/v1 answer of the suite is validated against its model) and by schemathesis (test_openapi_fuzz.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field

from antrean.kernel.schema import Int64, Strict
from antrean.web.openapi import Error, Out, Query  # noqa: F401 - Error: the shape of every error

NS = str | None
Stamp = str | None  # an ISO 8601 instant with offset, or null


# -- requests ----------------------------------------------------------------------------------------------------
class TicketIn(Strict):
    service: str = Field(description="the service's code (GET /services)")
    priority: Literal["lansia", "disabilitas", "ibu_hamil"] | None = Field(
        None, description="a priority group, if the citizen belongs to one"
    )
    idempotency_key: str | None = Field(None, description="the same key again answers the first ticket (200)")
    device_id: str | None = Field(None, description="the kiosk's id (a claim unless X-Device-Key says who it is)")


class LoginIn(Strict):
    username: str
    password: str


class CallNextIn(Strict):
    #: null is meaningful ("the screen shows no ticket"), absent means "don't check"
    keep_null: ClassVar[frozenset] = frozenset({"current"})
    current: Int64 | None = Field(
        None,
        description="the ticket id the caller's screen shows (null: none); if the "
        "counter has moved on the call is refused with 409 stale",
    )


class CallIn(CallNextIn):
    ticket: Int64 = Field(description="a waiting, held or skipped ticket's id")


class TransferIn(Strict):
    service: str = Field(description="the code of the service whose queue continues the visit")


class CancelIn(Strict):
    reason: str


class ApplicationIn(Strict):
    ticket: Int64 | None = Field(None, description="the ticket the application is opened from")
    service: str | None = Field(None, description="required without a ticket")
    applicant_name: str
    nik: str | None = Field(None, description="16 digits")
    phone: str | None = None


class StepIn(Strict):
    outcome: Literal["MS", "TMS", "DONE"] = Field(
        description="MS/DONE: the step is done; TMS: the file goes back (missing documents or a note)"
    )
    note: str | None = ""
    missing_documents: list[str] | None = Field(None, description="items of the service's checklist")
    counter: Int64 | None = Field(None, description="the counter the applicant is called to for the next step")


class SurveyIn(Strict):
    ticket: str = Field(description="the ticket's status token")
    answers: list[Any] = Field(
        description="one integer 1-4 per element (U1…U9 by default)",
        json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": 4}, "minItems": 1},
    )
    profile: dict[str, Any] | None = Field(
        None,
        description="optional: sex (L/P), age (years or a group), education, occupation",
        json_schema_extra={
            "properties": {
                "sex": {"enum": ["L", "P"]},
                "age": {"type": ["integer", "string"]},
                "education": {"type": "string"},
                "occupation": {"type": "string"},
            }
        },
    )
    suggestion: str | None = None
    channel: str | None = Field("api", description="phone or tablet (the office's own devices); anything else: api")


class BookingIn(Strict):
    service: str
    date: str = Field(description="YYYY-MM-DD", json_schema_extra={"format": "date"})
    start: str = Field(description="HH:MM, a slot's start (GET /booking/slots)")
    name: str
    phone: str
    nik: str


class RescheduleIn(Strict):
    token: str | None = Field(None, description="the cancel token (or ?token=, or the X-Cancel-Token header)")
    date: str = Field(json_schema_extra={"format": "date"})
    start: str


class CancelBookingIn(Strict):
    token: str | None = Field(None, description="the cancel token (or ?token=, or the X-Cancel-Token header)")


# -- query strings -------------------------------------------------------------------------------------------------
class CalendarQuery(Query):
    from_: date | None = Field(None, alias="from", description="first day (default today)")
    to: date | None = Field(None, description="last day (default from + 13 days; at most 366 days)")


class PeriodQuery(Query):
    from_: date | None = Field(None, alias="from", description="first day (default: the 1st of this month)")
    to: date | None = Field(None, description="last day (default: today, within from's month)")


class SummaryQuery(PeriodQuery):
    format: Literal["json", "csv", "xlsx", "pdf"] = "json"


class IkmQuery(Query):
    from_: date = Field(alias="from")
    to: date
    service: str | None = Field(None, description="one service's code (default: all)")


class SlotsQuery(Query):
    service: str = Field("", description="the service's code")
    date: date


class TokenQuery(Query):
    token: str | None = Field(None, description="the cancel token of the confirmation (or header X-Cancel-Token)")


# -- responses: the ticket -----------------------------------------------------------------------------------------
class CounterRef(Out):
    id: int
    name: str
    number: int


class NowCalling(Out):
    number: str
    counter_name: str
    counter_number: int


class Ticket(Out):
    """A ticket. Fields after ``booked`` come with a ticket read back (status, queue actions), not with a new
    one; ``now_calling`` with the status route; ``booking`` with a check-in; plugins may add fields when a ticket
    is issued (hook ticket_issuing: the hardware plugin adds ``print``)."""

    model_config = Out.model_config | {"extra": "allow"}
    id: int
    number: str = Field(description="letter and number, e.g. B007 (B10005 past 9,999)")
    service: str
    service_name: str
    service_short_name: str
    standard_minutes: int | None
    priority: NS
    priority_label: NS
    status: Literal["waiting", "called", "serving", "held", "skipped", "done"]
    day: str = Field(json_schema_extra={"format": "date"})
    issued_at: str
    called_at: Stamp
    waiting_ahead: int
    estimated_wait_minutes: int
    counter: CounterRef | None
    token: str
    status_url: str
    api_url: str
    device_id: NS
    booked: bool = Field(description="issued by a booking's check-in")
    outcome: Literal["served", "no_show", "transferred", "cancelled", "expired"] | None = None
    outcome_at: Stamp = None
    first_called_at: Stamp = None
    started_at: Stamp = None
    finished_at: Stamp = None
    recall_count: int = 0
    cancel_reason: NS = None
    transferred_from: int | None = Field(None, description="the ticket this one continues (a transfer)")
    now_calling: NowCalling | None = Field(None, description="the number last called for this service (status)")
    booking: str | None = Field(None, description="the booking's code (check-in)")
    print: dict[str, Any] | None = Field(None, description="print job state (hardware plugin), on issue only")


class Step(Out):
    no: int
    activity: str
    role: str
    role_name: str
    minutes: int
    documents: list[str]
    output: str
    applicant_present: bool
    tms: bool
    kind: str
    office_role: str = Field(description="the office's role for it (the service's role_map)")


class Service(Out):
    code: str
    name: str
    short_name: str
    group: str
    group_name: str
    letter: str
    icon: str
    enabled: bool
    standard_minutes: int
    documents: list[str]
    daily_quota: int | None
    open_time: NS
    close_time: NS
    role_map: dict[str, str]
    steps: list[Step]


class Services(Out):
    services: list[Service]


class CalendarNow(Out):
    open: bool
    reason: NS
    reason_en: NS
    message: NS
    message_en: NS
    reopens_at: Stamp


class CalendarDay(Out):
    date: str
    weekday: str
    open: bool
    hours: list[list[str]] = Field(description="[[open, close], …] (HH:MM), breaks left out")
    reason: NS
    reason_en: NS
    entry: dict[str, Any] | None = Field(description="the calendar entry closing or changing the day")


class Calendar(Out):
    now: CalendarNow
    days: list[CalendarDay]


class CounterBrief(Out):
    id: int
    name: str
    number: int
    services: list[str]
    active: bool


class Counters(Out):
    counters: list[CounterBrief]


class User(Out):
    username: str
    roles: list[str]


class Token(Out):
    token: str
    token_type: Literal["Bearer"]
    expires_at: str
    user: User


class Ok(Out):
    ok: bool


class Call(Out):
    seq: int
    kind: str = Field(description="call, recall, call_ticket, step …")
    at: str
    ticket_id: int
    number: str
    letter: str
    service: str
    service_name: str
    priority: NS
    counter: CounterRef
    recalls: int


class CallResult(Out):
    call: Call | None
    message: str | None = Field(None, description="with call null: nobody is waiting")


class TicketResult(Out):
    ticket: Ticket


class CounterFull(Out):
    id: int
    name: str
    number: int
    services: list[str]
    active: bool
    policy: NS


class Waiting(Out):
    id: int
    number: str
    service: str
    priority: NS
    status: str
    issued_at: str


class CounterState(Out):
    counter: CounterFull
    current: Ticket | None
    waiting: list[Waiting]
    waiting_counts: dict[str, int]


# -- applications ----------------------------------------------------------------------------------------------------
class CurrentStep(Step):
    started_at: Stamp
    elapsed_minutes: float | None
    sla: NS


class TimelineEntry(Out):
    step: int
    role: str
    role_name: str
    actor: str
    started_at: Stamp
    ended_at: Stamp
    minutes: float
    standard_minutes: int
    over_standard: bool
    measured: bool
    outcome: str
    note: NS
    missing_documents: list[str] | None


class Application(Out):
    id: int
    service: str
    service_name: str
    status: str
    ticket: NS = Field(description="the ticket's number")
    ticket_id: int | None
    applicant_name: str
    nik: NS = Field(description="masked (full: POST /applications/{app_id}/nik)")
    nik_masked: NS
    phone: NS
    agenda_number: NS
    tms_reason: NS
    missing_documents: list[str] | None
    created_at: str
    closed_at: Stamp
    current_step: CurrentStep | None
    standard_minutes: int
    role_map: dict[str, str]
    total_minutes: float
    total_sla: NS
    steps: list[Step]
    timeline: list[TimelineEntry]


class Nik(Out):
    id: int
    nik: NS
    nik_masked: NS


class WorkItem(Out):
    id: int
    service: str
    service_name: str
    ticket: NS
    applicant_name: str
    agenda_number: NS
    step: int
    activity: str
    kind: str
    tms: bool
    standard_minutes: int
    elapsed_minutes: float | None
    sla: NS
    total_minutes: float | None
    total_standard: int
    total_sla: NS
    step_started_at: Stamp


class Worklist(Out):
    items: list[WorkItem]


# -- reports ---------------------------------------------------------------------------------------------------------
class Period(Out):
    from_: str = Field(alias="from")
    to: str
    label: str
    grain: str


class SummaryRow(Out):
    service: str
    name: str
    issued: int
    served: int
    no_show: int
    transferred: int
    expired: int
    wait_mean_minutes: float | None
    wait_median_minutes: float | None
    wait_p90_minutes: float | None
    service_mean_minutes: float | None
    service_median_minutes: float | None
    service_p90_minutes: float | None
    applications_done: int
    applications_returned: int
    within_standard_pct: float | None


class Summary(Out):
    period: Period
    office: str
    rows: list[SummaryRow]


class RegencyRow(Out):
    office: str
    name: str
    issued: int
    served: int
    no_show: int
    wait_median_minutes: float | None
    wait_p90_minutes: float | None
    service_median_minutes: float | None
    applications_done: int
    applications_returned: int
    within_standard_pct: float | None
    ikm: float | None
    ikm_grade: NS
    ikm_respondents: int


class Regency(Out):
    period: Period
    rows: list[RegencyRow]


class IkmElement(Out):
    code: str
    name: str
    name_en: str
    nrr: float | None
    respondents: int
    weight: float


class Ikm(Out):
    ikm: float | None
    grade: Literal["A", "B", "C", "D"] | None
    kinerja: NS
    performance: NS
    respondents: int
    weight: float | None = Field(
        description="each element's weight: 1/9 unrounded by default, 0.111 with "
        "weight_mode 'regulation', null if custom"
    )
    weight_mode: str
    weight_label: str
    elements: list[IkmElement]
    weakest: list[str] = Field(description="codes of the (up to 3) lowest-scoring elements")
    from_: str = Field(alias="from")
    to: str
    service: NS


class SurveyRecorded(Out):
    id: int
    ticket: str = Field(description="the ticket's number")
    service: str
    day: str


# -- booking ---------------------------------------------------------------------------------------------------------
class Slot(Out):
    start: str
    end: str
    free: int = Field(ge=0)


class Slots(Out):
    slots: list[Slot]
    closed: NS = Field(None, description="why the day is closed (then slots is empty)")
    closed_en: NS = None


class Booking(Out):
    code: str
    service: str
    service_name: str
    date: str = Field(json_schema_extra={"format": "date"})
    date_label: str
    date_label_en: str
    start: str
    end: str
    starts_at: str
    ends_at: str
    status: Literal["booked", "checked_in", "cancelled", "no_show"]
    qr_url: str
    status_url: str
    cancel_token: str | None = Field(None, description="on creation only: keep it (the manage_url link)")
    manage_url: str | None = Field(None, description="on creation only")
