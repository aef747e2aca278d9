"""The public booking face (phone-sized, no login, no JavaScript needed): blueprint ``booking``.

- ``GET  /booking``                 pick a layanan and a day (closed days say why), then a slot, then name,
                                    WhatsApp number and NIK; ``?ubah=CODE&t=TOKEN`` reschedules that booking
- ``POST /booking``                 book (or reschedule): on success 303 to the confirmation
- ``GET  /booking/<code>``          the confirmation: code, QR, day and slot; with ``?t=TOKEN`` (the link given once,
                                    after booking) also "Ubah jadwal" and "Batalkan"
- ``POST /booking/<code>/batal``    cancel (form with the token)
- ``GET  /booking/<code>/qr.png``   the QR image of the code (``?download=1`` saves it as a file)

Nothing personal is ever shown here: name, phone and NIK go in, never come out (staff see them in the console).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import qrcode
from flask import Blueprint, Response, redirect, render_template, request, url_for

from antrean.kernel.errors import AntreanError
from antrean.kernel.timeutil import day_names, office_day, utcnow
from antrean.web.app import get_core, lang
from antrean.web.limits import public

from .views import _page

bp = Blueprint("booking", __name__, template_folder="templates")


def _days(core) -> list[dict]:
    cfg = core.booking.config()
    today = office_day(core.tz, utcnow())
    names = day_names(lang())  # the page's language
    return [
        d | {"weekday": names[date.fromisoformat(d["date"]).weekday()]}
        for d in core.calendar.days(today, today + timedelta(days=int(cfg["days_ahead"])))
    ]


def _form(error: str | None = None, status: int = 200, values=None) -> Response:
    core = get_core()
    args = values if values is not None else request.args
    service, day = args.get("service") or "", args.get("date") or ""
    slots = None
    if service and day:
        try:
            slots = core.booking.slots(service, day)
        except AntreanError as exc:
            error = error or exc.message(lang())
    services = [s for s in core.services(enabled_only=True)]
    html = render_template(
        "publik/booking.html",
        lang=lang(),
        office=core.office(),
        services=services,
        days=_days(core),
        service=service,
        day=day,
        slots=slots,
        error=error,
        values=args,
        change=args.get("ubah") or "",
        token=args.get("t") or "",
    )
    return _page(html, status)


@bp.get("/booking")
@public("booking_read")
def form():
    return _form()


@bp.post("/booking")
@public("booking")
def submit():
    core = get_core()
    f = request.form
    try:
        if f.get("ubah"):
            b = core.booking.reschedule(f.get("ubah"), f.get("t", ""), f.get("date", ""), f.get("start", ""))
            return redirect(url_for("booking.confirmation", code=b["code"], t=f.get("t")), 303)
        b = core.booking.create(
            f.get("service", ""),
            f.get("date", ""),
            f.get("start", ""),
            f.get("name", ""),
            f.get("phone", ""),
            f.get("nik", ""),
        )
    except AntreanError as exc:
        return _form(exc.message(lang()), exc.status, values=f)
    return redirect(url_for("booking.confirmation", code=b["code"], t=b["cancel_token"]), 303)


@bp.get("/booking/<code>")
@public("booking_read")
def confirmation(code):
    core = get_core()
    token = request.args.get("t")
    try:
        b = core.booking.get(code)
    except AntreanError as exc:
        return _page(
            render_template(
                "publik/booking_done.html", lang=lang(), office=core.office(), b=None, error=exc.message(lang())
            ),
            404,
        )
    cfg = core.booking.config()
    return _page(
        render_template(
            "publik/booking_done.html",
            lang=lang(),
            office=core.office(),
            b=b,
            owner=core.booking.owns(code, token),
            token=token,
            cfg=cfg,
            error=None,
        )
    )


@bp.post("/booking/<code>/batal")
@public("booking")
def cancel(code):
    core = get_core()
    token = request.form.get("t", "")
    try:
        core.booking.cancel(code, token)
    except AntreanError as exc:
        return _page(
            render_template(
                "publik/booking_done.html", lang=lang(), office=core.office(), b=None, error=exc.message(lang())
            ),
            exc.status,
        )
    return redirect(url_for("booking.confirmation", code=code, t=token), 303)


@bp.get("/booking/<code>/qr.png")
@public("booking_read")
def qr(code):
    """A PNG of the booking code (what a kiosk's scanner types), to save on the phone."""
    b = get_core().booking.get(code)  # 404 for an unknown code
    img = qrcode.make(b["code"], box_size=10, border=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    resp = Response(buf.getvalue(), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    if request.args.get("download"):
        resp.headers["Content-Disposition"] = f'attachment; filename="booking-{b["code"]}.png"'
    return resp


def register(app) -> None:
    app.register_blueprint(bp)
