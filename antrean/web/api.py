"""REST API ``/api/v1``, described by ``/api/v1/openapi.json``.

Errors are JSON ``{"error", "message", "detail"?}`` with 400/401/403/404/409/
422/429; nothing is half-written (each action is one transaction). Staff
endpoints take a bearer token (``POST /api/v1/auth/token``) or a logged-in
console session plus an ``X-CSRFToken`` header.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from antrean.kernel.errors import Invalid, NotFound, Unauthorized
from antrean.kernel.policy import require
from antrean.kernel.timeutil import iso, office_day
from antrean.services.calendar import parse_day
from antrean.services.exports import CONTENT_TYPES, to_csv, to_pdf, to_xlsx
from antrean.services.survey import require_report_reader
from antrean.web.context import get_core
from antrean.web.limits import device as registered_device
from antrean.web.limits import public
from antrean.web.openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict:
    """The request's JSON object: every route that takes a body reads it here. Malformed JSON, a value no column
    can store (NUL, an integer beyond 64 bits, nesting past 32 levels: app.check_value) or a non-object is a 400."""
    if not request.is_json:
        raise Invalid("Data yang dikirim bukan JSON yang sah.", "The request body is not valid JSON.",
                      detail="send Content-Type: application/json with a JSON object", status=400, code="bad_json")
    data = request.get_json(cache=True)  # on_json_loading_failed (app._Request) raises Invalid with the reason
    if not isinstance(data, dict):
        raise Invalid("Data harus berupa objek JSON.", "The body must be a JSON object.", status=400, code="bad_json")
    return data


def field(data: dict, name: str, typ, *, required: bool = True, default=None):
    if name not in data or data[name] is None:
        if required:
            raise Invalid(f"Kolom '{name}' wajib diisi.", f"Field '{name}' is required.", field=name)
        return default
    value = data[name]
    if (typ is int and isinstance(value, bool)) or not isinstance(value, typ):
        tname = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise Invalid(f"Kolom '{name}' tidak sah.", f"Field '{name}' must be {tname}.", field=name,
                      detail=f"{name}: expected {tname}, got {type(value).__name__}")
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
            raise Unauthorized("Token tidak sah atau kedaluwarsa. Silakan masuk lagi.", "Invalid or expired token.")
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError as exc:
                raise Invalid("Token CSRF hilang atau tidak sah. Muat ulang halaman.", "CSRF token missing or invalid.",
                              detail=str(exc), status=400, code="csrf") from None
        actor = current_user.actor
    else:
        raise Unauthorized("Silakan masuk terlebih dahulu.", "Authentication required.",
                           detail="send Authorization: Bearer <token> from POST /api/v1/auth/token")
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
        wrapper.policy_action = action
        return wrapper
    return deco


# -- public -------------------------------------------------------------------
@bp.get("/services")
def services():
    core = get_core()
    return jsonify({"services": core.services(enabled_only=True)})


@bp.post("/tickets")
@public("ticket", per_service=True)
def issue_ticket():
    core = get_core()
    data = body()
    service = field(data, "service", str)
    priority = field(data, "priority", str, required=False)
    key = field(data, "idempotency_key", str, required=False) or request.headers.get("Idempotency-Key")
    # a kiosk registered with `antrean kiosk add` is who its key says; anyone else's device id is only a claim
    device = registered_device() or field(data, "device_id", str, required=False) or request.headers.get("X-Device-Id")
    ticket, created = core.tickets.issue(service, priority, idempotency_key=key, device_id=device)
    return jsonify(ticket), 201 if created else 200


@bp.get("/calendar")
@public("status")
def calendar_days():
    """The office calendar: now (open or why not, until when) and each day from..to (max 366 days)."""
    core = get_core()
    today = office_day(core.tz)
    first = parse_day(request.args["from"]) if request.args.get("from") else today
    last = parse_day(request.args["to"]) if request.args.get("to") else first + timedelta(days=13)
    if last < first or (last - first).days > 365:
        raise Invalid("Rentang tanggal tidak sah (dari <= sampai, paling lama 366 hari).",
                      "Invalid date range (from <= to, at most 366 days).", detail=f"from={first} to={last}")
    rules = core.calendar.rules()
    st = rules.status()
    return jsonify({"now": {"open": st.open, "reason": st.reason_id, "reason_en": st.reason_en,
                            "message": st.message_id, "message_en": st.message_en, "reopens_at": iso(st.reopens_at)},
                    "days": rules.days(first, last)})


@bp.get("/tickets/<token>")
@public("status")
def ticket_status(token):
    return jsonify(get_core().tickets.by_token(token))


@bp.get("/counters")
def counters():
    return jsonify({"counters": [{k: c[k] for k in ("id", "name", "number", "services", "active")}
                                 for c in get_core().queue.counters()]})


@bp.post("/auth/token")
@public("login")
def auth_token():
    core = get_core()
    data = body()
    actor = core.users.authenticate(field(data, "username", str), field(data, "password", str),
                                    source=request.remote_addr or "")
    return jsonify(core.users.issue_token(actor) | {"user": {"username": actor.username, "roles": sorted(actor.roles)}})


@bp.post("/auth/logout")
@staff("auth.logout")
def auth_logout():
    """End every session and token of the caller's account (this token included)."""
    get_core().users.logout(current_actor())
    return jsonify({"ok": True})


# -- staff: the queue ---------------------------------------------------------
def _counter_action(counter_id: int, action: str):
    core = get_core()
    actor = current_actor()
    q = core.queue
    if action == "call-next":
        call = q.call_next(counter_id, actor, **_expected_current())
        if call is None:
            return jsonify({"call": None, "message": "Tidak ada antrean yang menunggu."})
        return jsonify({"call": call})
    if action == "recall":
        return jsonify({"call": q.recall(counter_id, actor)})
    if action == "call":
        data = body()
        return jsonify({"call": q.call_ticket(counter_id, field(data, "ticket", int), actor, **_expected_current())})
    if action == "transfer":
        data = body()
        return jsonify({"ticket": q.transfer(counter_id, field(data, "service", str), actor)})
    fn = {"skip": q.skip, "hold": q.hold, "start": q.start, "finish": q.finish}[action]
    return jsonify({"ticket": fn(counter_id, actor)})


def _expected_current() -> dict:
    """``{"current": <ticket id or null>}`` in the body: the number the caller's screen shows at the loket.
    If the loket has moved on (a second screen called), the call is refused with 409 ``stale``."""
    data = request.get_json(silent=True, cache=True)
    if not isinstance(data, dict) or "current" not in data:
        return {}
    return {"expected_current": field(data, "current", int, required=False)}


@bp.post("/tickets/<int:ticket_id>/cancel")
@staff("ticket.cancel")
def cancel_ticket(ticket_id):
    """Staff cancel an open ticket with a reason: outcome ``cancelled``."""
    data = body()
    return jsonify({"ticket": get_core().queue.cancel(ticket_id, field(data, "reason", str), current_actor())})


for _action in ("call-next", "recall", "call", "skip", "hold", "transfer", "start", "finish"):
    bp.add_url_rule(f"/counters/<int:counter_id>/{_action}", f"counter_{_action.replace('-', '_')}",
                    staff("counter.operate")(lambda counter_id, _a=_action: _counter_action(counter_id, _a)),
                    methods=["POST"])


@bp.get("/counters/<int:counter_id>")
@staff("counter.read")
def counter_state(counter_id):
    core = get_core()
    c = next((c for c in core.queue.counters() if c["id"] == counter_id), None)
    if c is None:
        raise NotFound("Loket tidak ditemukan.", "Counter not found.")
    return jsonify({"counter": c, "current": core.queue.current(counter_id),
                    "waiting": core.tickets.waiting(c["services"]),
                    "waiting_counts": core.tickets.waiting_counts()})


# -- staff: applications ------------------------------------------------------
@bp.post("/applications")
@staff("application.open")
def open_application():
    core = get_core()
    data = body()
    ticket = field(data, "ticket", int, required=False)
    service = field(data, "service", str, required=ticket is None)
    app = core.workflow.open(current_actor(), ticket_id=ticket, service_code=service,
                             applicant_name=field(data, "applicant_name", str),
                             nik=field(data, "nik", str, required=False), phone=field(data, "phone", str, required=False))
    return jsonify(app), 201


@bp.post("/applications/<int:app_id>/steps/<int:step_no>")
@staff("application.step")
def complete_step(app_id, step_no):
    core = get_core()
    data = body()
    docs = field(data, "missing_documents", list, required=False)
    app = core.workflow.complete_step(app_id, step_no, current_actor(), outcome=field(data, "outcome", str),
                                      note=field(data, "note", str, required=False, default=""),
                                      missing_documents=docs, counter_id=field(data, "counter", int, required=False))
    return jsonify(app)


@bp.get("/applications/<int:app_id>")
@staff("application.read")
def application(app_id):
    return jsonify(get_core().workflow.get(app_id, current_actor()))


@bp.post("/applications/<int:app_id>/nik")
@staff("application.reveal_nik")
def reveal_nik(app_id):
    """The full NIK (masked everywhere else); written to the audit log with who and when."""
    return jsonify(get_core().workflow.reveal_nik(app_id, current_actor()))


@bp.get("/worklist")
@staff("worklist.read")
def worklist():
    return jsonify({"items": get_core().workflow.worklist(current_actor())})


# -- staff: reports (report roles) ----------------------------------------------
@bp.get("/reports/summary")
@staff("report.read")
def report_summary():
    """One row per service for ?from=YYYY-MM-DD&to=YYYY-MM-DD, as json (default), csv, xlsx or pdf."""
    core = get_core()
    fmt = request.args.get("format", "json")
    if fmt not in ("json", *CONTENT_TYPES):
        raise Invalid("Format tidak dikenal (json, csv, xlsx atau pdf).", "Unknown format (json, csv, xlsx or pdf).",
                      field="format", detail=f"format={fmt!r}")
    period = core.reports.period(request.args.get("from"), request.args.get("to"))
    report = core.reports.summary(current_actor(), period)
    if fmt == "json":
        return jsonify({"period": report["period"], "office": report["office"]["code"],
                        "rows": core.reports.service_rows(report)})
    body = {"csv": lambda: to_csv(report, "services"), "xlsx": lambda: to_xlsx(report, ("services",)),
            "pdf": lambda: to_pdf(report, **core.reports.signature())}[fmt]()
    name = f"ringkasan-{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"
    return current_app.response_class(body, content_type=CONTENT_TYPES[fmt],
                                      headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/reports/regency")
@staff("report.read")
def report_regency():
    """One row per kecamatan (regency admin, PostgreSQL)."""
    core = get_core()
    period = core.reports.period(request.args.get("from"), request.args.get("to"))
    return jsonify({"period": period.to_dict(), "rows": core.reports.regency(current_actor(), period)})


# -- the SKM survey ----------------------------------------------------------------
@bp.post("/surveys")
@public("survey")
def submit_survey():
    """A citizen's survey answers for their served ticket (public: the status token is the proof)."""
    core = get_core()
    data = body()
    channel = field(data, "channel", str, required=False, default="api")
    out = core.survey.submit(field(data, "ticket", str), data.get("answers"), data.get("profile"),
                             data.get("suggestion"), channel=channel if channel in ("phone", "tablet") else "api")
    return jsonify(out), 201


# -- booking (antrean/services/booking.py, docs/booking.md) -----------------------------------------------------
@bp.get("/booking/slots")
@public("booking_read")
def booking_slots():
    """Free slots of a service on a day; a closed day answers {"slots": [], "closed": reason}."""
    return jsonify(get_core().booking.slots(request.args.get("service", ""), _day("date")))


@bp.post("/bookings")
@public("booking")
def create_booking():
    data = body()
    out = get_core().booking.create(field(data, "service", str), field(data, "date", str), field(data, "start", str),
                                    field(data, "name", str), field(data, "phone", str), field(data, "nik", str))
    return jsonify(out), 201


@bp.get("/bookings/<code>")
@public("booking_read")
def booking_status(code):
    return jsonify(get_core().booking.get(code))


def _cancel_token(data: dict | None = None) -> str:
    token = request.args.get("token") or request.headers.get("X-Cancel-Token") or (data or {}).get("token")
    if not isinstance(token, str) or not token:
        raise Invalid("Token pembatalan wajib dikirim.", "The cancel token is required.", field="token",
                      detail="send ?token=… (from the confirmation's manage_url) or the X-Cancel-Token header")
    return token


@bp.delete("/bookings/<code>")
@public("booking")
def cancel_booking(code):
    data = request.get_json(silent=True) if request.is_json else None
    return jsonify(get_core().booking.cancel(code, _cancel_token(data if isinstance(data, dict) else None)))


@bp.post("/bookings/<code>/reschedule")
@public("booking")
def reschedule_booking(code):
    data = body()
    return jsonify(get_core().booking.reschedule(code, _cancel_token(data), field(data, "date", str),
                                                 field(data, "start", str)))


@bp.post("/bookings/<code>/check-in")
@public("booking_read")
def check_in_booking(code):
    """A registered kiosk (X-Device-Key) or staff (token/session) checks a booking in: 201 with the ticket."""
    core = get_core()
    device = registered_device()
    if device is not None:
        return jsonify(core.booking.check_in(code, device=device)), 201
    return jsonify(core.booking.check_in(code, actor=current_actor())), 201


def _day(name: str):
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"Parameter '{name}' harus tanggal YYYY-MM-DD.", f"Parameter '{name}' must be a YYYY-MM-DD date.",
                      field=name, detail=f"{name}={value!r}") from None


@bp.get("/reports/ikm")
@staff("report.read")
def report_ikm():
    """IKM of a period (report roles)."""
    core = get_core()
    require_report_reader(core, current_actor())
    start, end = _day("from"), _day("to")
    if end < start:
        raise Invalid("Tanggal akhir sebelum tanggal awal.", "The end date is before the start date.", field="to",
                      detail="from <= to")
    service = request.args.get("service") or None
    if service is not None and service not in core.sops:
        raise Invalid("Layanan tidak dikenal.", "Unknown service.", field="service", detail=repr(service))
    return jsonify(core.survey.ikm(start, end, service=service))


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec(get_core()))
