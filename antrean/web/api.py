"""REST API ``/api/v1``, described by ``/api/v1/openapi.json`` (generated from the schemas each route declares
with :func:`antrean.web.openapi.api`; the models are in antrean/web/schemas.py).

Errors are JSON ``{"error", "message", "detail"?}`` with 400/401/403/404/409/
422/429; nothing is half-written (each action is one transaction). Staff
endpoints take a bearer token (``POST /api/v1/auth/token``) or a logged-in
console session plus an ``X-CSRFToken`` header.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from antrean.kernel import i18n
from antrean.kernel.errors import Invalid, NotFound, Unauthorized
from antrean.kernel.policy import require
from antrean.kernel.timeutil import iso, office_day
from antrean.services.exports import CONTENT_TYPES, to_csv, to_pdf, to_xlsx
from antrean.services.survey import require_report_reader
from antrean.web import schemas as sc
from antrean.web.context import get_core
from antrean.web.limits import device as registered_device
from antrean.web.limits import public
from antrean.web.openapi import api, json_object, spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: the request's JSON object (400 unless it is one); routes declare a body model instead (``@api(body=…)``)
body = json_object


def field(data: dict, name: str, typ, *, required: bool = True, default=None):
    """One field of a JSON object, by hand (for JSON routes outside /api/v1; the API's routes declare models)."""
    if name not in data or data[name] is None:
        if required:
            raise Invalid("Kolom '%(name)s' wajib diisi.", params={"name": name}, field=name)
        return default
    value = data[name]
    if (typ is int and isinstance(value, bool)) or not isinstance(value, typ):
        tname = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise Invalid(
            "Kolom '%(name)s' tidak sah.",
            params={"name": name},
            field=name,
            detail=f"{name}: expected {tname}, got {type(value).__name__}",
        )
    return value


def current_actor():
    """The staff member behind this request, or raise 401."""
    if "actor" in g:
        return g.actor
    core = get_core()
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        actor = core.users.actor_for_token(auth[7:].strip())
        if actor is None:
            raise Unauthorized("Token tidak sah atau kedaluwarsa. Silakan masuk lagi.")
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError as exc:
                raise Invalid(
                    "Token CSRF hilang atau tidak sah. Muat ulang halaman.",
                    detail=str(exc),
                    status=400,
                    code="csrf",
                ) from None
        actor = current_user.actor
    else:
        raise Unauthorized(
            "Silakan masuk terlebih dahulu.",
            detail="send Authorization: Bearer <token> from POST /api/v1/auth/token",
        )
    g.actor = actor
    return actor


def staff(action: str):
    """A staff endpoint: log-in required, then ``antrean.kernel.policy`` decides ``action`` (the view's core call
    decides again on the record itself). The action is kept on the view for the route × role test."""

    def deco(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            require(get_core(), current_actor(), action)
            return fn(*args, **kwargs)

        wrapper.__dict__["policy_action"] = action  # read by the route × role test (getattr(view, "policy_action"))
        return wrapper

    return deco


# -- public -------------------------------------------------------------------
@bp.get("/services")
@api("Enabled services with their SOP steps", ok=sc.Services)
def services():
    core = get_core()
    return jsonify({"services": core.services(enabled_only=True)})


@bp.post("/tickets")
@public("ticket", per_service=True)
@api(
    "Issue a ticket (public; rate-limited per address and per service per day, or per registered kiosk)",
    body=sc.TicketIn,
    ok=sc.Ticket,
    status=201,
    errors=(404, 409),
    responses={200: (sc.Ticket, "The same idempotency key again: the first ticket")},
    headers=(("Idempotency-Key", "instead of idempotency_key"), ("X-Device-Id", "instead of device_id")),
)
def issue_ticket(body: sc.TicketIn):
    core = get_core()
    key = body.idempotency_key or request.headers.get("Idempotency-Key")
    # a kiosk registered with `antrean kiosk add` is who its key says; anyone else's device id is only a claim
    device = registered_device() or body.device_id or request.headers.get("X-Device-Id")
    ticket, created = core.tickets.issue(body.service, body.priority, idempotency_key=key, device_id=device)
    return jsonify(ticket), 201 if created else 200


@bp.get("/calendar")
@public("status")
@api(
    "The office calendar: open now or why not (until when), and each day's hours or closure",
    query=sc.CalendarQuery,
    ok=sc.Calendar,
)
def calendar_days(query: sc.CalendarQuery):
    """The office calendar: now (open or why not, until when) and each day from..to (max 366 days)."""
    core = get_core()
    today = office_day(core.tz)
    first = query.from_ or today
    last = query.to or first + timedelta(days=13)
    if last < first or (last - first).days > 365:
        raise Invalid(
            "Rentang tanggal tidak sah (dari <= sampai, paling lama 366 hari).",
            detail=f"from={first} to={last}",
        )
    rules = core.calendar.rules()
    st = rules.status()
    return jsonify(
        {
            "now": {
                "open": st.open,
                "reason": st.reason_id,
                "reason_en": st.reason_en,
                "message": st.message_id,
                "message_en": st.message_en,
                "reopens_at": iso(st.reopens_at),
            },
            "days": rules.days(first, last),
        }
    )


@bp.get("/tickets/<token>")
@public("status")
@api("Ticket status by its unguessable token (public, rate-limited)", ok=sc.Ticket)
def ticket_status(token):
    return jsonify(get_core().tickets.by_token(token))


@bp.get("/counters")
@api("Counters and the services each calls", ok=sc.Counters)
def counters():
    return jsonify(
        {
            "counters": [
                {k: c[k] for k in ("id", "name", "number", "services", "active")} for c in get_core().queue.counters()
            ]
        }
    )


@bp.post("/auth/token")
@public("login")
@api("Exchange username and password for a bearer token", body=sc.LoginIn, ok=sc.Token, errors=(401,))
def auth_token(body: sc.LoginIn):
    core = get_core()
    actor = core.users.authenticate(body.username, body.password, source=request.remote_addr or "")
    return jsonify(core.users.issue_token(actor) | {"user": {"username": actor.username, "roles": sorted(actor.roles)}})


@bp.post("/auth/logout")
@staff("auth.logout")
@api("Log out everywhere: every session and token of the caller's account ends", ok=sc.Ok)
def auth_logout():
    """End every session and token of the caller's account (this token included)."""
    get_core().users.logout(current_actor())
    return jsonify({"ok": True})


# -- staff: the queue ---------------------------------------------------------
def _counter_action(counter_id: int, action: str, body=None):
    core = get_core()
    actor = current_actor()
    q = core.queue
    if action == "call-next":
        call = q.call_next(counter_id, actor, **_expected_current(body))
        if call is None:
            return jsonify({"call": None, "message": i18n.gettext("Tidak ada antrean yang menunggu.")})
        return jsonify({"call": call})
    if action == "recall":
        return jsonify({"call": q.recall(counter_id, actor)})
    if action == "call":
        return jsonify({"call": q.call_ticket(counter_id, body.ticket, actor, **_expected_current(body))})
    if action == "transfer":
        return jsonify({"ticket": q.transfer(counter_id, body.service, actor)})
    fn = {"skip": q.skip, "hold": q.hold, "start": q.start, "finish": q.finish}[action]
    return jsonify({"ticket": fn(counter_id, actor)})


def _expected_current(body) -> dict:
    """``{"current": <ticket id or null>}`` in the body: the number the caller's screen shows at the loket.
    If the loket has moved on (a second screen called), the call is refused with 409 ``stale``."""
    if body is None or "current" not in body.model_fields_set:
        return {}
    return {"expected_current": body.current}


@bp.post("/tickets/<int:ticket_id>/cancel")
@staff("ticket.cancel")
@api("Cancel an open ticket with a reason (outcome cancelled)", body=sc.CancelIn, ok=sc.TicketResult, errors=(409,))
def cancel_ticket(ticket_id, body: sc.CancelIn):
    """Staff cancel an open ticket with a reason: outcome ``cancelled``."""
    return jsonify({"ticket": get_core().queue.cancel(ticket_id, body.reason, current_actor())})


#: the counter's actions: (summary, body model, body required, response)
COUNTER_ACTIONS = {
    "call-next": (
        "Close the current ticket (served if started, else no_show) and call the next by policy; "
        "'current' (the ticket id the screen shows, or null) makes a stale second screen get 409",
        sc.CallNextIn,
        False,
        sc.CallResult,
    ),
    "recall": ("Call the current ticket again", None, True, sc.CallResult),
    "call": ("Call a specific waiting, held or skipped ticket", sc.CallIn, True, sc.CallResult),
    "skip": (
        "Nobody came: set the current ticket aside (no_show at day end unless called back)",
        None,
        True,
        sc.TicketResult,
    ),
    "hold": ("Put the current ticket on hold", None, True, sc.TicketResult),
    "transfer": (
        "Close the current ticket as transferred and continue it in another service's queue",
        sc.TransferIn,
        True,
        sc.TicketResult,
    ),
    "start": ("Start serving the current ticket", None, True, sc.TicketResult),
    "finish": ("Finish the current, started ticket (outcome served)", None, True, sc.TicketResult),
}


def _counter_view(action: str, summary: str, model, required: bool, result):
    def run(counter_id, **kw):
        return _counter_action(counter_id, action, kw.get("body"))

    run.__name__ = run.__qualname__ = f"counter_{action.replace('-', '_')}"
    return staff("counter.operate")(api(summary, body=model, body_required=required, ok=result, errors=(409, 422))(run))


for _action, (_summary, _model, _required, _result) in COUNTER_ACTIONS.items():
    bp.add_url_rule(
        f"/counters/<int:counter_id>/{_action}",
        f"counter_{_action.replace('-', '_')}",
        _counter_view(_action, _summary, _model, _required, _result),
        methods=["POST"],
    )


@bp.get("/counters/<int:counter_id>")
@staff("counter.read")
@api("A counter's current ticket and queue", ok=sc.CounterState)
def counter_state(counter_id):
    core = get_core()
    c = next((c for c in core.queue.counters() if c["id"] == counter_id), None)
    if c is None:
        raise NotFound("Loket tidak ditemukan.")
    return jsonify(
        {
            "counter": c,
            "current": core.queue.current(counter_id),
            "waiting": core.tickets.waiting(c["services"]),
            "waiting_counts": core.tickets.waiting_counts(),
        }
    )


# -- staff: applications ------------------------------------------------------
@bp.post("/applications")
@staff("application.open")
@api(
    "Open an application (permohonan) from a ticket, or for a service",
    body=sc.ApplicationIn,
    ok=sc.Application,
    status=201,
    errors=(404, 409),
)
def open_application(body: sc.ApplicationIn):
    core = get_core()
    if body.ticket is None and body.service is None:
        raise Invalid(
            "Kolom '%(name)s' wajib diisi.",
            params={"name": "service"},
            field="service",
            detail="service: is required without a ticket",
        )
    app = core.workflow.open(
        current_actor(),
        ticket_id=body.ticket,
        service_code=body.service,
        applicant_name=body.applicant_name,
        nik=body.nik,
        phone=body.phone,
    )
    return jsonify(app), 201


@bp.post("/applications/<int:app_id>/steps/<int:step_no>")
@staff("application.step")
@api("Complete the current step (MS, TMS or DONE)", body=sc.StepIn, ok=sc.Application, errors=(409,))
def complete_step(app_id, step_no, body: sc.StepIn):
    core = get_core()
    app = core.workflow.complete_step(
        app_id,
        step_no,
        current_actor(),
        outcome=body.outcome,
        note=body.note,
        missing_documents=body.missing_documents,
        counter_id=body.counter,
    )
    return jsonify(app)


@bp.get("/applications/<int:app_id>")
@staff("application.read")
@api("An application with its timeline (NIK masked)", ok=sc.Application)
def application(app_id):
    return jsonify(get_core().workflow.get(app_id, current_actor()))


@bp.post("/applications/<int:app_id>/nik")
@staff("application.reveal_nik")
@api("The full NIK (masked everywhere else); written to the audit log with who and when", ok=sc.Nik)
def reveal_nik(app_id):
    """The full NIK (masked everywhere else); written to the audit log with who and when."""
    return jsonify(get_core().workflow.reveal_nik(app_id, current_actor()))


@bp.get("/worklist")
@staff("worklist.read")
@api("Applications waiting for a step the caller's roles may do", ok=sc.Worklist)
def worklist():
    return jsonify({"items": get_core().workflow.worklist(current_actor())})


# -- staff: reports (report roles) ----------------------------------------------
@bp.get("/reports/summary")
@staff("report.read")
@api(
    "One row per service for a period (report roles); json, csv, xlsx or pdf",
    query=sc.SummaryQuery,
    ok=sc.Summary,
    content=("text/csv", "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
def report_summary(query: sc.SummaryQuery):
    """One row per service for ?from=YYYY-MM-DD&to=YYYY-MM-DD, as json (default), csv, xlsx or pdf."""
    core = get_core()
    fmt = query.format
    period = core.reports.period(query.from_, query.to)
    report = core.reports.summary(current_actor(), period)
    if fmt == "json":
        return jsonify(
            {"period": report["period"], "office": report["office"]["code"], "rows": core.reports.service_rows(report)}
        )
    content = {
        "csv": lambda: to_csv(report, "services"),
        "xlsx": lambda: to_xlsx(report, ("services",)),
        "pdf": lambda: to_pdf(report, **core.reports.signature()),
    }[fmt]()
    name = f"ringkasan-{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"
    return current_app.response_class(
        content, content_type=CONTENT_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/reports/regency")
@staff("report.read")
@api(
    'One row per kecamatan (regency admin with offices ["*"], PostgreSQL)',
    query=sc.PeriodQuery,
    ok=sc.Regency,
    errors=(409,),
)
def report_regency(query: sc.PeriodQuery):
    """One row per kecamatan (regency admin, PostgreSQL)."""
    core = get_core()
    period = core.reports.period(query.from_, query.to)
    return jsonify({"period": period.to_dict(), "rows": core.reports.regency(current_actor(), period)})


# -- the SKM survey ----------------------------------------------------------------
@bp.post("/surveys")
@public("survey")
@api(
    "Answer the SKM survey for a served ticket (once per ticket)",
    body=sc.SurveyIn,
    ok=sc.SurveyRecorded,
    status=201,
    errors=(404, 409),
)
def submit_survey(body: sc.SurveyIn):
    """A citizen's survey answers for their served ticket (public: the status token is the proof)."""
    core = get_core()
    channel = body.channel
    out = core.survey.submit(
        body.ticket,
        body.answers,
        body.profile,
        body.suggestion,
        channel=channel if channel in ("phone", "tablet") else "api",
    )
    return jsonify(out), 201


# -- booking (antrean/services/booking.py, docs/booking.md) -----------------------------------------------------
@bp.get("/booking/slots")
@public("booking_read")
@api(
    "Free slots of a service on a day (public, rate-limited); a closed day (holiday, weekend) answers slots [] "
    "and closed: the reason",
    query=sc.SlotsQuery,
    ok=sc.Slots,
    errors=(404,),
)
def booking_slots(query: sc.SlotsQuery):
    """Free slots of a service on a day; a closed day answers {"slots": [], "closed": reason}."""
    return jsonify(get_core().booking.slots(query.service, query.date))


@bp.post("/bookings")
@public("booking")
@api(
    "Book a slot (public, rate-limited). 409: the same NIK already booked this service that day, the slot is "
    "full, or the day is closed",
    body=sc.BookingIn,
    ok=sc.Booking,
    status=201,
    errors=(404, 409),
    description="Answers the code, the QR image URL and the cancel token (keep it: the manage_url link).",
)
def create_booking(body: sc.BookingIn):
    out = get_core().booking.create(body.service, body.date, body.start, body.name, body.phone, body.nik)
    return jsonify(out), 201


@bp.get("/bookings/<code>")
@public("booking_read")
@api("A booking's public view (no personal data)", ok=sc.Booking)
def booking_status(code):
    return jsonify(get_core().booking.get(code))


def _cancel_token(data: dict | None = None) -> str:
    token = request.args.get("token") or request.headers.get("X-Cancel-Token") or (data or {}).get("token")
    if not isinstance(token, str) or not token:
        raise Invalid(
            "Token pembatalan wajib dikirim.",
            field="token",
            detail="send ?token=… (from the confirmation's manage_url) or the X-Cancel-Token header",
        )
    return token


@bp.delete("/bookings/<code>")
@public("booking")
@api(
    "Cancel with the confirmation's cancel token",
    query=sc.TokenQuery,
    body=sc.CancelBookingIn,
    body_required=False,
    ok=sc.Booking,
    errors=(403, 409),
    headers=(("X-Cancel-Token", "instead of ?token="),),
)
def cancel_booking(code, query: sc.TokenQuery, body: sc.CancelBookingIn):
    return jsonify(get_core().booking.cancel(code, _cancel_token({"token": body.token})))


@bp.post("/bookings/<code>/reschedule")
@public("booking")
@api(
    "Move the booking to another slot (cancel token required)",
    query=sc.TokenQuery,
    body=sc.RescheduleIn,
    ok=sc.Booking,
    errors=(403, 409),
    headers=(("X-Cancel-Token", "instead of token"),),
)
def reschedule_booking(code, query: sc.TokenQuery, body: sc.RescheduleIn):
    return jsonify(get_core().booking.reschedule(code, _cancel_token({"token": body.token}), body.date, body.start))


@bp.post("/bookings/<code>/check-in")
@public("booking_read")
@api(
    "Check a booking in at a registered kiosk (X-Device-Key) or a counter (staff token): issues its ticket, "
    "marked booked",
    ok=sc.Ticket,
    status=201,
    errors=(409,),
    security="optional",
    description="409 when too early, too late (no-show), cancelled or already checked in; the error's walk_in "
    "says a walk-in ticket can be taken instead.",
)
def check_in_booking(code):
    """A registered kiosk (X-Device-Key) or staff (token/session) checks a booking in: 201 with the ticket."""
    core = get_core()
    device = registered_device()
    if device is not None:
        return jsonify(core.booking.check_in(code, device=device)), 201
    return jsonify(core.booking.check_in(code, actor=current_actor())), 201


@bp.get("/reports/ikm")
@staff("report.read")
@api("IKM (Indeks Kepuasan Masyarakat) of a period, per element (report roles)", query=sc.IkmQuery, ok=sc.Ikm)
def report_ikm(query: sc.IkmQuery):
    """IKM of a period (report roles)."""
    core = get_core()
    require_report_reader(core, current_actor())
    start, end = query.from_, query.to
    if end < start:
        raise Invalid(
            "Tanggal akhir sebelum tanggal awal.",
            field="to",
            detail="from <= to",
        )
    service = query.service
    if service is not None and service not in core.sops:
        raise Invalid("Layanan tidak dikenal.", field="service", detail=repr(service))
    return jsonify(core.survey.ikm(start, end, service=service))


@bp.get("/openapi.json")
@api("This document (OpenAPI 3.1), generated from the routes' schemas", ok={"type": "object"})
def openapi():
    return jsonify(spec(current_app))
