"""Public pages of the notifier: the status page's opt-in form and the opt-out link.

- ``POST /t/<token>/kabar``        phone=…: news about this ticket by WhatsApp (back to the status page)
- ``GET  /kabar/berhenti/<token>`` the opt-out page (a button: a link preview must not unsubscribe anyone)
- ``POST /kabar/berhenti/<token>`` stop every message to that number
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request

from antrean.kernel.errors import AntreanError, NotFound
from antrean.web.app import get_core, lang
from antrean.web.limits import public

bp = Blueprint(
    "notifier", __name__, template_folder="templates", static_folder="static", static_url_path="/kabar/static"
)

CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


def _page(status: int = 200, **ctx) -> Response:
    core = get_core()
    html = render_template("notifier/optout.html", office=core.office(), lang=lang(), **ctx)
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.post("/t/<token>/kabar")
@public("survey")  # a citizen's form from a phone: the survey's per-address limit (5/minute, 30/day)
def opt_in(token):
    core = get_core()
    try:
        core.notify.subscribe_ticket(token, request.form.get("phone", ""))
    except NotFound:
        raise
    except AntreanError:
        return redirect(f"/t/{token}?kabar=error#kabar", code=303)
    return redirect(f"/t/{token}?kabar=ok#kabar", code=303)


@bp.route("/kabar/berhenti/<token>", methods=["GET", "POST"])
@public("status")
def opt_out(token):
    core = get_core()
    try:
        contact = core.notify.opt_out(token) if request.method == "POST" else core.notify.contact_by_token(token)
    except NotFound:
        return _page(404, contact=None)
    return _page(contact=contact, done=request.method == "POST")
