"""The kiosk face: the touchscreen page, its state, the staff PIN and the ticket status page.

Routes (blueprint ``kiosk``):

- ``GET /kiosk``                 the touchscreen page (``kiosk.index``); ``?device=kiosk-1`` names the kiosk
- ``GET /kiosk/state.json``      services grouped, open/closed with the reason, waiting counts, server time
- ``POST /kiosk/pin``            check the staff PIN that opens the kiosk's settings screen
- ``PUT /kiosk/pin``             set or clear the PIN (admin: bearer token or console session + X-CSRFToken)
- ``GET /t/<token>``             the ticket's status page (the QR code's target), phone-sized
- ``GET /t/<token>.json``        the same data, public fields only, with an ETag (the page polls it)
- ``GET /t/<token>/qr.svg``      a QR code of the status page's URL (shown on the kiosk's number screen)

Tickets are issued by the kiosk's JavaScript through ``POST /api/v1/tickets``.
"""

from __future__ import annotations

import threading
import time

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from antrean.kernel import i18n
from antrean.kernel.actors import PRIORITIES
from antrean.kernel.errors import Invalid, NotFound
from antrean.kernel.policy import require as authorize
from antrean.kernel.runtime import hash_password, password_matches
from antrean.kernel.sop import GROUPS
from antrean.web.api import body, current_actor
from antrean.web.app import get_core, lang
from antrean.web.limits import public

from . import texts
from .icons import icon_name, sprite

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static", static_url_path="/kiosk/static")

#: Defaults of the office setting ``kiosk`` (a dict; admins change it with core.set_setting).
DEFAULTS = {
    "ask_priority": True,  # ask the priority question after a tile is tapped
    "idle_seconds": 40,  # back to the start after this long without a touch
    "ticket_seconds": 10,  # the number stays this long when the ticket printed
    "note_seconds": 45,  # …and this long when the citizen must note the number (no printer)
    "print_wait_seconds": 5,  # a ticket not printed within this long: "Catat nomor Anda"
    "refresh_seconds": 30,  # how often the kiosk refreshes the services' open/closed state
}
PIN_SETTING = "kiosk_pin"
PIN_MAX_FAILURES = 5
PIN_LOCK_SECONDS = 300

#: Content-Security-Policy of every kiosk and status page: nothing leaves the office's server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

#: Fields of a ticket the public status page may show (no ids, no device, nothing about the applicant).
PUBLIC_FIELDS = (
    "number",
    "service_name",
    "service_short_name",
    "standard_minutes",
    "priority_label",
    "status",
    "day",
    "issued_at",
    "called_at",
    "waiting_ahead",
    "estimated_wait_minutes",
    "counter",
    "now_calling",
    "outcome",
    "returned",
    "survey",
)


def kiosk_settings(core) -> dict:
    stored = core.get_setting("kiosk", {}) or {}
    out = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        value = stored.get(key)
        if isinstance(default, bool) and isinstance(value, bool):
            out[key] = value
        elif (
            not isinstance(default, bool)
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
            and 1 <= value <= 3600
        ):
            out[key] = value
    return out


def kiosk_state(core) -> dict:
    """What the kiosk shows: enabled services by group, each open or closed with the reason."""
    t = texts.for_lang(lang())
    avail = core.tickets.availability()
    waiting = core.tickets.waiting_counts()
    groups: dict[str, dict] = {
        code: {"code": code, "name": i18n.gettext(name, lang()), "services": []} for code, name in GROUPS.items()
    }
    for svc in core.services(enabled_only=True):
        state = avail.get(svc["code"], {"open": True})
        message = state["message"].render(lang()) if state.get("message") else None
        closed_label = None
        if state.get("reason") == "service_closed":
            closed_label = t["closed_hours"].format(
                open=svc["open_time"] or "00:00", close=svc["close_time"] or "24:00", tz=core.settings.tz_label
            )
        elif state.get("reason") == "quota_reached":
            closed_label = t["closed_quota"]
        groups.setdefault(
            svc["group"], {"code": svc["group"], "name": i18n.gettext(svc["group_name"], lang()), "services": []}
        )
        groups[svc["group"]]["services"].append(
            {
                "code": svc["code"],
                "name": svc["name"],
                "short_name": svc["short_name"],
                "letter": svc["letter"],
                "icon": icon_name(svc["icon"]),
                "documents": svc["documents"],
                "standard_minutes": svc["standard_minutes"],
                "open": bool(state.get("open", True)),
                "reason": state.get("reason"),
                "message": message,
                "closed_label": closed_label or message,
                "waiting": waiting.get(svc["code"], 0),
            }
        )
    # the office calendar closes every service at once (holiday, weekend, Friday prayer break): one banner
    closed = next((st for st in avail.values() if st.get("reason") == "office_closed"), None)
    office = {
        "open": closed is None,
        "message": None if closed is None else closed["message"].render(lang()),
    }
    return {"now": int(time.time() * 1000), "office": office, "groups": [g for g in groups.values() if g["services"]]}


def _secure(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/kiosk")
def index():
    core = get_core()
    t = texts.for_lang(lang())
    config = {
        "office": core.office(),
        "lang": lang(),
        "settings": kiosk_settings(core),
        "state": kiosk_state(core),
        "priorities": [
            {"code": code, "label": t["priority_" + code], "icon": icon}
            for code, icon in (("lansia", "elderly"), ("disabilitas", "wheelchair"), ("ibu_hamil", "mother"))
            if code in PRIORITIES
        ],
        "pin_configured": bool(core.get_setting(PIN_SETTING)),
        "text": t,
    }
    html = render_template("kiosk/index.html", config=config, t=t, office=config["office"], sprite=sprite())
    resp = _secure(Response(html, mimetype="text/html"))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/kiosk/state.json")
def state():
    resp = jsonify(
        kiosk_state(get_core())
        | {"settings": kiosk_settings(get_core()), "pin_configured": bool(get_core().get_setting(PIN_SETTING))}
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


# -- the staff PIN -------------------------------------------------------------
class _Throttle:
    """Failed PIN attempts per client address: after PIN_MAX_FAILURES, locked for PIN_LOCK_SECONDS."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failures: dict[str, tuple[int, float]] = {}

    def locked_for(self, who: str) -> int:
        with self.lock:
            count, until = self.failures.get(who, (0, 0.0))
            return (
                max(0, int(until - time.monotonic()) + 1)
                if count >= PIN_MAX_FAILURES and until > time.monotonic()
                else 0
            )

    def fail(self, who: str) -> None:
        with self.lock:
            count, until = self.failures.get(who, (0, 0.0))
            if count >= PIN_MAX_FAILURES and until <= time.monotonic():
                count = 0  # the lock expired: start counting again
            count += 1
            self.failures[who] = (count, time.monotonic() + PIN_LOCK_SECONDS if count >= PIN_MAX_FAILURES else 0.0)

    def ok(self, who: str) -> None:
        with self.lock:
            self.failures.pop(who, None)


def _throttle() -> _Throttle:
    return current_app.extensions.setdefault("kiosk.pin_throttle", _Throttle())


@bp.post("/kiosk/pin")
def check_pin():
    """Check the staff PIN. The settings screen it opens only changes this kiosk's own device id."""
    core = get_core()
    t = texts.for_lang(lang())
    stored = core.get_setting(PIN_SETTING)
    if not stored:
        return jsonify({"ok": False, "error": "pin_not_configured", "message": t["pin_not_configured"]}), 409
    who = request.remote_addr or "?"
    wait = _throttle().locked_for(who)
    if wait:
        return (
            jsonify({"ok": False, "error": "pin_locked", "message": t["pin_locked"], "retry_after": wait}),
            429,
            {"Retry-After": str(wait)},
        )

    pin = body().get("pin")
    if isinstance(pin, str) and pin.isdecimal() and 4 <= len(pin) <= 12 and password_matches(stored, pin):
        _throttle().ok(who)
        return jsonify({"ok": True})
    _throttle().fail(who)
    return jsonify({"ok": False, "error": "pin_wrong", "message": t["pin_wrong"]}), 403


@bp.put("/kiosk/pin")
def set_pin():
    """Admin: ``{"pin": "123456"}`` sets the kiosk PIN (stored hashed), ``{"pin": null}`` clears it."""
    actor = current_actor()
    authorize(get_core(), actor, "settings.write")
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "pin" not in data:
        raise Invalid("Kolom 'pin' wajib diisi.", field="pin", status=400)
    set_kiosk_pin(get_core(), actor, data["pin"])
    return jsonify({"ok": True, "pin_configured": data["pin"] is not None})


set_pin.policy_action = "settings.write"  # for the route × role test (tests/integration/test_policy.py)


def set_kiosk_pin(core, actor, pin: str | None) -> None:
    """Store the kiosk PIN hashed in the office setting ``kiosk_pin`` (None clears it). Admin only."""
    authorize(core, actor, "settings.write")
    if pin is not None and not (isinstance(pin, str) and pin.isdecimal() and 4 <= len(pin) <= 12):
        raise Invalid(
            "PIN kios harus 4–12 angka.", field="pin", detail="pin: a string of 4 to 12 digits 0-9, or null to clear it"
        )
    stored = None if pin is None else hash_password(pin, core.settings.password_hash_method)
    core.set_setting(PIN_SETTING, stored, actor)


# -- the ticket status page -------------------------------------------------------
#: ticket statuses in which "now calling" (another number) means something to the holder
AWAITING = ("waiting", "held")


def public_ticket(core, token: str) -> dict:
    view = core.tickets.by_token(token)
    out = {k: view.get(k) for k in PUBLIC_FIELDS}
    if out["counter"]:
        out["counter"] = {"name": out["counter"]["name"], "number": out["counter"]["number"]}
    if out["status"] not in AWAITING:
        out["now_calling"] = None  # a called, served or finished ticket is never told it is "now calling" itself
    out["returned"] = returned_file(core, view["id"])
    # the SKM survey: "open" once served (the page then links to /survei/<token>), "answered" after
    out["survey"] = None
    if view["status"] == "done":
        try:
            out["survey"] = core.survey.status(token)["state"]
        except NotFound:  # a ticket of another office sharing the database: its own server runs its survey
            pass
    return out


def returned_file(core, ticket_id: int) -> dict | None:
    """``{"missing_documents": [...]}`` when the application opened from this ticket was returned (TMS):
    only names from the service's checklist, never the staff's note nor anything about the applicant."""
    app_id = core.workflow.for_ticket(ticket_id)
    if app_id is None:
        return None
    app = core.workflow.get(app_id)
    if app["status"] != "returned":
        return None
    return {"missing_documents": list(app["missing_documents"] or [])}


@bp.get("/t/<token>")
@public("status")
def status_page(token):
    core = get_core()
    t = texts.for_lang(lang())
    try:
        ticket = public_ticket(core, token)
    except NotFound:  # a mistyped or truncated link: a page a citizen understands, not a bare 404
        html = render_template(
            "kiosk/status.html", ticket=None, t=t, office=core.office(), lang=lang(), sprite=sprite()
        )
        resp = _secure(Response(html, status=404, mimetype="text/html"))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    kabar = None
    if core.notify.enabled and ticket["status"] in AWAITING:  # the opt-in form (notifier plugin's POST)
        kabar = {"subscribed": core.notify.subscribed(token), "result": request.args.get("kabar")}
    html = render_template(
        "kiosk/status.html",
        ticket=ticket,
        t=t,
        office=core.office(),
        lang=lang(),
        token=token,
        sprite=sprite(),
        now_ms=int(time.time() * 1000),
        kabar=kabar,
    )
    resp = _secure(Response(html, mimetype="text/html"))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/t/<token>.json")
@public("status")
def status_json(token):
    resp = jsonify(public_ticket(get_core(), token))
    resp.headers["Cache-Control"] = "no-cache"
    resp.add_etag()
    return resp.make_conditional(request)


@bp.get("/t/<token>/qr.svg")
@public("status")
def status_qr(token):
    core = get_core()
    core.tickets.by_token(token)  # 404 for an unknown token
    base = (core.settings.public_url or request.url_root).rstrip("/")
    img = qrcode.make(f"{base}/t/{token}", image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    resp = Response(img.to_string(encoding="unicode"), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


def register(app, core) -> None:
    csrf = app.extensions.get("antrean.csrf")
    if csrf is not None:  # the PIN check is not a state change; PUT checks CSRF itself via current_actor
        csrf.exempt(check_pin)
        csrf.exempt(set_pin)
    app.register_blueprint(bp)


__all__ = ["bp", "register", "kiosk_state", "kiosk_settings", "set_kiosk_pin", "public_ticket"]
