"""The console's pages: login, counter view, worklist, applications, TMS slip.

Counter actions go through the REST API (session cookie + ``X-CSRFToken``);
everything else is a server-rendered form carrying Flask-WTF's CSRF token.
Roles are checked by the core; the pages only hide what a user cannot do.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from babel.dates import format_date
from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from antrean.kernel import policy
from antrean.kernel.actors import PRIORITIES
from antrean.kernel.errors import AntreanError, Conflict, Invalid, NotFound
from antrean.kernel.policy import REPORT_ROLES  # noqa: F401  (kept importable from here)
from antrean.kernel.sop import STAFF_ROLES
from antrean.kernel.timeutil import local, tanggal, utcnow
from antrean.web.app import StaffUser, get_core, lang
from antrean.web.limits import public

from .base import actor, allowed, bp
from .forms import LoginForm

# labels are message ids of the catalogs; templates show them with _(…)
SLA_LABELS = {"green": "Tepat waktu", "amber": "Mendekati batas", "red": "Melewati standar"}
OUTCOMES = {"MS": "Memenuhi syarat", "TMS": "Tidak memenuhi syarat", "DONE": "Selesai"}
#: the texts console.js shows, handed to it as JSON in every console page (base.html: #console-texts)
SCRIPT_TEXTS = {
    "called": "Memanggil %(number)s",
    "nobody": "Tidak ada antrean yang menunggu.",
    "live": "tersambung",
    "offline": "terputus – menyambungkan ulang…",
    "failed": "Server tidak dapat dihubungi. Coba lagi.",
    "done": "Berhasil.",
    "reprinted": "Cetak ulang dikirim ke printer: %(number)s",
}
STATUS = {"open": "Dalam proses", "returned": "Dikembalikan (TMS)", "done": "Selesai"}


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@bp.app_template_filter("jam")
def _jam(value) -> str:
    dt = _parse_iso(value) if isinstance(value, str) else value
    return "" if dt is None else local(dt, get_core().tz).strftime("%H:%M")


@bp.app_template_filter("tanggal_jam")
def _tanggal_jam(value) -> str:
    dt = _parse_iso(value) if isinstance(value, str) else value
    if dt is None:
        return ""
    t = local(dt, get_core().tz)
    return f"{format_date(t, 'd MMM y', locale=lang())} {t:%H:%M}"


@bp.app_template_filter("hari_tanggal")
def _hari_tanggal(value) -> str:
    """An ISO day in the page's language: "Jumat, 27 November 2026" / "Friday, 27 November 2026"."""
    return tanggal(date.fromisoformat(value) if isinstance(value, str) else value, lang())


@bp.app_template_filter("menit")
def _menit(value) -> str:
    """Minutes the Indonesian way: 2,5 (decimal comma), whole numbers without decimals."""
    if value is None:
        return "–"
    v = round(float(value), 1)
    text = f"{v:.0f}" if v == int(v) else f"{v:.1f}"
    return text.replace(".", ",") if g.get("lang", "id") == "id" else text  # lang() has run for the page


@bp.context_processor
def _context():
    if not hasattr(g, "_console_office"):
        g._console_office = get_core().office()
    who = current_user.actor if current_user.is_authenticated else None
    roles = who.roles if who else frozenset()
    core = get_core()
    return {
        "office": g._console_office,
        "lang": lang(),
        "STAFF_ROLES": {k: _(v) for k, v in STAFF_ROLES.items()},  # role titles in the page's language
        "SLA_LABELS": SLA_LABELS,
        "OUTCOMES": OUTCOMES,
        "STATUS": STATUS,
        "PRIORITIES": PRIORITIES,
        "roles": roles,
        "can_counter": policy.can(core, who, "counter.read"),
        "is_admin": policy.can(core, who, "settings.write"),
        "can_report": policy.can(core, who, "report.read"),
        "can_notify": policy.can(core, who, "notify.read"),
        "today": tanggal(local(utcnow(), core.tz), lang()),
        "print_trouble": print_trouble if current_user.is_authenticated else None,
        "PRINTER_STATES": PRINTER_STATES,
        "script_texts": {key: _(text) for key, text in SCRIPT_TEXTS.items()},
    }


# -- print trouble: a warning on every page for every clerk, the list with reprint buttons --------------
PRINTER_STATES = {"offline": "mati / tidak terjangkau", "paper_out": "kertas habis", "error": "galat / macet"}


def print_trouble() -> dict:
    """Today's print trouble, read once per request (the banner and the page share it)."""
    if "_print_trouble" not in g:
        hardware = get_core().extensions.get("hardware")
        g._print_trouble = hardware.print_trouble() if hardware is not None else {"printers": [], "jobs": []}
    return g._print_trouble


def hardware_printers(core) -> list[dict]:
    """The printers as the hardware plugin keeps them (its service, ``core.extensions["hardware"]``); none
    without that plugin."""
    hardware = core.extensions.get("hardware")
    return hardware.printers() if hardware is not None else []


@bp.get("/cetak", endpoint="print_trouble")
@allowed("printer.read")
def print_trouble_page():
    # fragments for the live refresh (console.js re-reads [data-live] on every pushed event): the banner, the list
    fragment = request.args.get("fragment")
    tpl = {"jobs": "console/_print_jobs.html", None: "console/print_trouble.html"}.get(
        fragment, "console/_print_alert.html"
    )
    return render_template(tpl, trouble=print_trouble(), can_reprint=policy.can(get_core(), actor(), "ticket.reprint"))


# -- login ----------------------------------------------------------------------
def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None  # browsers read "/\\evil" as "//evil" and drop tabs/newlines: never pass these on
    return target


@bp.route("/masuk", methods=["GET", "POST"], endpoint="login")
@public("login", methods=("POST",))
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("console.index"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            who = get_core().users.authenticate(
                form.username.data, form.password.data, source=request.remote_addr or ""
            )
        except AntreanError as exc:
            error, status = exc.message(lang()), exc.status
        else:
            session.clear()
            session.permanent = True  # idle timeout: PERMANENT_SESSION_LIFETIME, refreshed on every request
            login_user(StaffUser(who))
            return redirect(_safe_next(request.args.get("next")) or url_for("console.index"))
    elif request.method == "POST":
        status = 400
    return render_template("console/login.html", form=form, error=error), status


@bp.post("/keluar", endpoint="logout")
def logout():
    if current_user.is_authenticated:  # every session of the account ends, a copied cookie included
        get_core().users.logout(actor())
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "ok")
    return redirect(url_for("console.login"))


# -- home -------------------------------------------------------------------------
@bp.get("/", endpoint="index")
@allowed("console.home")
def index():
    core = get_core()
    items = core.workflow.worklist(actor())
    counters = [c for c in core.queue.counters() if c["active"]]
    return render_template(
        "console/index.html",
        work_count=len(items),
        red=sum(1 for i in items if i["sla"] == "red"),
        counters=counters,
        waiting=sum(core.tickets.waiting_counts().values()),
    )


# -- counter view ------------------------------------------------------------------
def _counter(cid: int) -> dict:
    c = next((c for c in get_core().queue.counters() if c["id"] == cid), None)
    if c is None:
        raise NotFound("Loket tidak ditemukan.")
    if not c["active"]:
        raise Conflict("Loket ini tidak aktif.")
    return c


def _counter_state(cid: int) -> dict:
    core = get_core()
    c = _counter(cid)
    current = core.queue.current(cid)
    services = {s["code"]: s for s in core.services()}
    counts = core.tickets.waiting_counts()
    return {
        "counter": c,
        "current": current,
        "application_id": core.workflow.for_ticket(current["id"]) if current else None,
        "waiting": core.tickets.waiting(c["services"], limit=30),
        "counts": [(services[code], counts.get(code, 0)) for code in c["services"] if code in services],
        "services": services,
        "last_served": core.survey.last_served(cid),
        "can_cancel": policy.can(core, actor(), "ticket.cancel"),
    }


@bp.get("/loket", endpoint="counters")
@allowed("counter.read")
def counters():
    return render_template(
        "console/counters.html",
        counters=[c for c in get_core().queue.counters() if c["active"]],
        chosen=session.get("counter_id"),
    )


@bp.get("/loket/<int:cid>", endpoint="counter")
@allowed("counter.read")
def counter(cid):
    state = _counter_state(cid)
    session["counter_id"] = cid
    return render_template("console/counter.html", **state)


@bp.get("/loket/<int:cid>/panel", endpoint="counter_panel")
@allowed("counter.read")
def counter_panel(cid):
    return render_template("console/_counter_panel.html", **_counter_state(cid))


# -- cancelling a ticket (outcome cancelled, with a reason; audited by the core) --------------------------
#: common reasons offered first (stored in Indonesian, the record's language), then free text
CANCEL_REASONS = (
    ("ganda", "Nomor ganda (tiket dobel)"),
    ("salah_layanan", "Salah memilih layanan"),
    ("batal", "Pemohon membatalkan / sudah pulang"),
    ("berkas", "Berkas belum dibawa, pemohon kembali lain hari"),
    ("lain", "Lainnya"),
)


def _cancel_reason(choice: str, text: str) -> str:
    """The stored reason: the chosen common reason, with the clerk's words after it; "Lainnya" needs words."""
    text = " ".join(text.split())
    label = next((r[1] for r in CANCEL_REASONS if r[0] == choice), None)
    if label is None or (choice == "lain" and not text):
        raise Invalid("Pilih alasan pembatalan; untuk “Lainnya” tuliskan alasannya.", field="reason")
    return text if choice == "lain" else (f"{label} – {text}" if text else label)


@bp.route("/tiket/<int:tid>/batal", methods=["GET", "POST"], endpoint="cancel_ticket")
@allowed("ticket.cancel")
def cancel_ticket(tid):
    core = get_core()
    ticket = core.tickets.get(tid)
    back_cid = request.values.get("loket", type=int)
    back = url_for("console.counter", cid=back_cid) if back_cid else url_for("console.counters")
    values = {"choice": request.form.get("choice", ""), "text": request.form.get("text", "")}
    error, status = None, 200
    if ticket.get("outcome"):
        error, status = _("Nomor %(number)s sudah ditutup.", number=ticket["number"]), 409
    elif request.method == "POST":
        try:
            core.queue.cancel(tid, _cancel_reason(values["choice"], values["text"]), actor())
        except (Invalid, Conflict) as exc:
            error, status = exc.message(lang()), exc.status
        else:
            flash(_("Nomor %(number)s dibatalkan.", number=ticket["number"]), "ok")
            return redirect(back)
    return render_template(
        "console/cancel.html",
        ticket=ticket,
        values=values,
        error=error,
        back=back,
        back_cid=back_cid,
        reasons=CANCEL_REASONS,
    ), status


# -- applications ------------------------------------------------------------------
@bp.route("/permohonan/baru", methods=["GET", "POST"], endpoint="open_application")
@allowed("application.open")
def open_application():
    core = get_core()
    form = request.form if request.method == "POST" else request.args
    ticket_id = form.get("ticket", type=int)
    ticket = core.tickets.get(ticket_id) if ticket_id else None
    values = {
        "applicant_name": form.get("applicant_name", ""),
        "nik": form.get("nik", ""),
        "phone": form.get("phone", ""),
        "service": form.get("service", ""),
    }
    error, field, status = None, None, 200
    if request.method == "POST":
        try:
            app = core.workflow.open(
                actor(),
                ticket_id=ticket_id,
                service_code=None if ticket else values["service"],
                applicant_name=values["applicant_name"],
                nik=values["nik"] or None,
                phone=values["phone"] or None,
            )
        except (Invalid, Conflict) as exc:
            error, field, status = exc.message(lang()), exc.extra.get("field"), exc.status
        else:
            flash(
                _(
                    "Permohonan %(id)s dibuka untuk %(applicant_name)s.",
                    id=app["id"],
                    applicant_name=app["applicant_name"],
                ),
                "ok",
            )
            return redirect(url_for("console.application", app_id=app["id"]))
    return render_template(
        "console/open.html",
        ticket=ticket,
        values=values,
        error=error,
        field=field,
        services=core.services(enabled_only=True),
    ), status


#: rows per worklist page (oldest first; a clerk works from the top)
WORKLIST_PAGE = 50


@bp.get("/kerja", endpoint="worklist")
@allowed("worklist.read")
def worklist():
    core = get_core()
    counts = core.workflow.worklist_counts(actor())
    services = sorted(((code, core.sops[code].short_name, n) for code, n in counts.items()), key=lambda x: x[1])
    chosen = request.args.get("layanan") or None
    if chosen not in counts:
        chosen = None
    total = counts.get(chosen, 0) if chosen else sum(counts.values())
    pages = max(1, -(-total // WORKLIST_PAGE))
    page = min(max(1, request.args.get("hal", 1, type=int)), pages)
    items = core.workflow.worklist(actor(), WORKLIST_PAGE, offset=(page - 1) * WORKLIST_PAGE, service=chosen)
    tpl = "console/_worklist_table.html" if request.args.get("fragment") else "console/worklist.html"
    return render_template(tpl, items=items, services=services, chosen=chosen, page=page, pages=pages, total=total)


def _step_context(app: dict) -> dict:
    core = get_core()
    step = app["current_step"]
    ctx = {"can_act": False, "checklist": [], "next_present": False, "next_step": None, "tms_callback": False}
    if step is None:
        return ctx
    sop = core.sops[app["service"]]
    ctx["can_act"] = policy.can(core, actor(), "application.step", (sop, step["no"], app["role_map"]))
    ctx["checklist"] = core.service(app["service"])["documents"] if step["tms"] else []
    # a back-office verifier's TMS calls the waiting applicant back to a loket for the slip
    ctx["tms_callback"] = step["tms"] and not step["applicant_present"] and app["ticket_id"] is not None
    if step["no"] < len(app["steps"]):
        nxt = app["steps"][step["no"]]
        ctx["next_step"] = nxt
        ctx["next_present"] = (
            nxt["applicant_present"] and not step["applicant_present"] and app["ticket_id"] is not None
        )
    return ctx


@bp.get("/permohonan/<int:app_id>", endpoint="application")
@allowed("application.read")
def application(app_id):
    return _application_page(app_id)


def _application_page(app_id: int, revealed_nik: str | None = None):
    core = get_core()
    app = core.workflow.get(app_id, actor())
    done = {t["step"]: t for t in app["timeline"]}
    counters = [c for c in core.queue.counters() if c["active"]] if app["status"] == "open" else []
    return render_template(
        "console/application.html",
        app=app,
        done=done,
        counters=counters,
        chosen_counter=_served_at(app) or session.get("counter_id"),
        revealed_nik=revealed_nik,
        **_step_context(app),
    )


def _served_at(app: dict) -> int | None:
    """The loket where the application's ticket was served: where its applicant is called back by default."""
    if app["ticket_id"] is None:
        return None
    counter = get_core().tickets.get(app["ticket_id"]).get("counter")
    return counter["id"] if counter else None


@bp.post("/permohonan/<int:app_id>/nik", endpoint="reveal_nik")
@allowed("application.reveal_nik")
def reveal_nik(app_id):
    """Show the full NIK once, on request (audited). The page never carries it otherwise; with JavaScript the
    button asks the API instead and the page is not reloaded."""
    nik = get_core().workflow.reveal_nik(app_id, actor())["nik"]
    return _application_page(app_id, revealed_nik=nik)


@bp.post("/permohonan/<int:app_id>/langkah/<int:step_no>", endpoint="complete_step")
@allowed("application.step")
def complete_step(app_id, step_no):
    core = get_core()
    f = request.form
    counter_id = f.get("counter", type=int)
    try:
        app = core.workflow.complete_step(
            app_id,
            step_no,
            actor(),
            outcome=f.get("outcome", "DONE"),
            note=f.get("note", ""),
            missing_documents=f.getlist("missing"),
            counter_id=counter_id,
        )
    except (Invalid, Conflict) as exc:
        flash(exc.message(lang()), "error")
        return redirect(url_for("console.application", app_id=app_id))
    if counter_id:
        session["counter_id"] = counter_id
    if app["status"] == "returned":
        flash(_("Berkas dikembalikan kepada pemohon (TMS). Cetak slip untuk pemohon."), "warn")
        return redirect(url_for("console.slip", app_id=app_id))
    step = next(t for t in app["timeline"] if t["step"] == step_no)
    msg = _(
        "Langkah %(step_no)s selesai (%(value)s dari %(standard_minutes)s menit).",
        step_no=step_no,
        value=_menit(step["minutes"]),
        standard_minutes=step["standard_minutes"],
    )
    if app["agenda_number"] and core.sops[app["service"]].step(step_no).kind == "register":
        msg += " " + _("Nomor agenda: %(agenda_number)s.", agenda_number=app["agenda_number"])
    flash(msg, "ok")
    return redirect(url_for("console.application", app_id=app_id))


@bp.get("/permohonan/<int:app_id>/slip", endpoint="slip")
@allowed("application.read")
def slip(app_id):
    app = get_core().workflow.get(app_id, actor())
    if app["status"] != "returned":
        abort(404)
    tms = next((t for t in app["timeline"] if t["outcome"] == "TMS"), None)
    return render_template("console/slip.html", app=app, tms=tms)


# -- bookings: today's per slot, check-in at the counter (antrean/services/booking.py) ---------------------------------
@bp.route("/booking", methods=["GET", "POST"], endpoint="bookings")
@allowed("booking.read")
def bookings():
    """Today's (or ?date=) bookings per slot; a clerk checks a citizen in by code. Name, phone and the masked NIK
    only for roles with the permission (antrean.services.booking.may_read_personal)."""
    core = get_core()
    if request.method == "POST":
        try:
            t = core.booking.check_in(request.form.get("code", ""), actor=actor())
            flash(_("Check-in berhasil: nomor antrean %(number)s.", number=t["number"]), "ok")
        except AntreanError as exc:
            flash(exc.message(lang()), "error")
        return redirect(url_for("console.bookings", date=request.args.get("date") or None))
    try:
        data = core.booking.today(actor(), request.args.get("date") or None)
    except AntreanError as exc:
        flash(exc.message(lang()), "error")
        data = core.booking.today(actor())
    return render_template("console/bookings.html", data=data)
