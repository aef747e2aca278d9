"""The survey and transparency pages (blueprint ``publik``). No login; nothing personal is shown.

- ``GET /survei/<token>``          the SKM for a served ticket (phone via the status page; ``?loket=ID`` on a
                                   counter's tablet: back to the tablet's waiting screen afterwards). Answers go
                                   to ``POST /api/v1/surveys``.
- ``GET /survei?loket=ID``         a counter's tablet: waits until the clerk presses "Survei" in the console,
                                   then opens the survey of the ticket just served (the citizen never types a
                                   token). Without ``loket``: staff pick the counter once.
- ``GET /survei/loket/<ID>.json``  what the tablet polls: the offered survey or nothing. Only for a registered
                                   device (``antrean kiosk add``; open ``/survei?loket=ID&key=…`` once) or a
                                   staff session: the offer carries the ticket's status token.
- ``GET /publik``                  the transparency page; ``/publik/kios`` the same in the kiosk's style
                                   (the kiosk's "Info" button); ``/publik.json`` the same data.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, render_template, request
from flask_login import current_user

from antrean.kernel import i18n, policy
from antrean.kernel.errors import Forbidden, NotFound
from antrean.kernel.timeutil import month_names
from antrean.services import transparency
from antrean.services.survey import PROFILE_CHOICES, weight_text
from antrean.web.app import get_core, lang
from antrean.web.limits import device, public

from . import texts

bp = Blueprint(
    "publik", __name__, template_folder="templates", static_folder="static", static_url_path="/publik/static"
)

#: as strict as the kiosk's: nothing leaves the office's server, no inline script
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _page(html: str, status: int = 200) -> Response:
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _counter_id() -> int | None:
    raw = request.args.get("loket", "")
    return int(raw) if raw.isdigit() else None


def _elements(config: dict, en: bool) -> list[dict]:
    sfx = "_en" if en else ""
    return [
        {
            "code": e["code"],
            "name": e.get("name" + sfx, e["name"]),
            "question": e.get("question" + sfx, e["question"]),
            "answers": e.get("answers" + sfx, e["answers"]),
        }
        for e in config["elements"]
    ]


@bp.get("/survei/<token>")
def survey(token):
    core = get_core()
    t = texts.for_lang(lang())
    counter = _counter_id()
    try:
        status = core.survey.status(token)
    except NotFound:
        return _page(
            render_template(
                "publik/survey.html", t=t, office=core.office(), lang=lang(), state="missing", counter=counter
            ),
            404,
        )
    cfg = {
        "token": token,
        "lang": lang(),
        "text": t,
        "counter": counter,
        "elements": _elements(core.survey.config(), lang() == "en"),
        # lists, not objects: the template's tojson sorts keys, and "< 20" must stay first
        "profile": {
            k: [(code, i18n.gettext(text, lang())) for code, text in v.items()] for k, v in PROFILE_CHOICES.items()
        },
    }
    return _page(
        render_template(
            "publik/survey.html",
            t=t,
            office=core.office(),
            lang=lang(),
            state=status["state"],
            ticket=status,
            cfg=cfg,
            counter=counter,
        )
    )


@bp.get("/survei")
def tablet():
    core = get_core()
    t = texts.for_lang(lang())
    counter_id = _counter_id()
    counters = [c for c in core.queue.counters() if c["active"]]
    counter = next((c for c in counters if c["id"] == counter_id), None)
    return _page(
        render_template(
            "publik/tablet.html", t=t, office=core.office(), lang=lang(), counter=counter, counters=counters
        )
    )


def _is_tablet(core) -> bool:
    """Who may read a counter's offered survey (it carries the ticket's status token): a device registered with
    ``antrean kiosk add`` (X-Device-Key) or a staff session that may operate a counter. Anyone else on the LAN
    polling it could answer every citizen's survey first."""
    if device():
        return True
    return bool(
        getattr(current_user, "is_authenticated", False) and policy.can(core, current_user.actor, "counter.operate")
    )


@bp.get("/survei/loket/<int:cid>.json")
def offered(cid):
    core = get_core()
    if not _is_tablet(core):
        err = Forbidden("Tablet survei belum terdaftar. Minta admin menjalankan 'antrean kiosk add'.")
        resp = jsonify(err.to_dict(lang()))
        resp.status_code = 403
        resp.headers["Cache-Control"] = "no-store"
        return resp
    offer = core.survey.offered(cid)
    resp = jsonify({"offer": None if offer is None else {"token": offer["token"], "number": offer["number"]}})
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _public_data(core) -> dict:
    first, last = transparency.last_month(None, core.tz)
    camat = transparency.camat(core)
    return {
        "office": core.office(),
        "settings": {
            "maklumat": transparency.settings(core)["maklumat"],
            "camat_name": camat["name"],
            "camat_nip": camat["nip"],
        },
        "figures": transparency.figures(core, first, last),
        "services": transparency.standard(core),
    }


def _localized(data: dict) -> dict:
    """The page's copy of the data with the period's month in the page's language ("Oktober 2026" / "October 2026")."""
    f = data["figures"]
    first, last = date.fromisoformat(f["from"]), date.fromisoformat(f["to"])
    if (first.year, first.month) == (last.year, last.month):
        f = f | {"label": f"{month_names(lang())[first.month - 1]} {first.year}"}
    return data | {"figures": f}


@bp.get("/publik")
@public("board")  # anonymous snapshots computed from a month of records: limited like the board
def publik():
    core = get_core()
    return _page(
        render_template(
            "publik/publik.html",
            t=texts.for_lang(lang()),
            lang=lang(),
            kiosk=False,
            weight=weight_text(core.survey.config()),
            **_localized(_public_data(core)),
        )
    )


@bp.get("/publik/kios")
@public("board")  # anonymous snapshots computed from a month of records: limited like the board
def publik_kiosk():
    """The kiosk's "Info" screen (back to /kiosk: the kiosk remembers its device id itself)."""
    core = get_core()
    return _page(
        render_template(
            "publik/publik.html",
            t=texts.for_lang(lang()),
            lang=lang(),
            kiosk=True,
            weight=weight_text(core.survey.config()),
            **_localized(_public_data(core)),
        )
    )


@bp.get("/publik.json")
@public("board")  # anonymous snapshots computed from a month of records: limited like the board
def publik_json():
    resp = jsonify(_public_data(get_core()))
    resp.headers["Cache-Control"] = "no-cache"
    return resp
