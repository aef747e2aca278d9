"""Admin pages: office, counters, users and roles, services, queue policy, booking, office calendar, display,
printers, audit log.

Every change goes through a core method that checks the admin role and
writes the audit log; these views only parse the forms. Each editable page is
declared once with :func:`admin_page`: a ``context`` for GET and a ``save``
for POST (post/redirect/get, errors flashed with the admin's precise detail).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from antrean.kernel import i18n
from antrean.kernel.actors import DEFAULT_POLICY
from antrean.kernel.errors import AntreanError, Invalid
from antrean.kernel.sop import ROLES, STAFF_ROLES
from antrean.kernel.timeutil import day_names, office_day
from antrean.services.booking import LABELS as BOOKING_INTS
from antrean.services.calendar import KINDS, WEEKDAYS
from antrean.services.queue import check_policy
from antrean.web.app import get_core, lang

from . import audit_text
from .base import actor, allowed, bp
from .views import hardware_printers

#: mode -> its label (a message id of the catalogs; translated where shown)
POLICY_MODES = {
    "priority_first": i18n.N_("Prioritas lebih dulu"),
    "ratio": i18n.N_("Berselang (rasio)"),
    "fifo": i18n.N_("Urut kedatangan"),
}
POLICY_INTS = ("ratio_normal", "ratio_priority", "max_wait_minutes", "max_recalls", "default_service_minutes")


def admin_page(
    rule: str, endpoint: str, template: str, section: str, context=lambda core, **kw: {}, action: str = "settings.write"
):
    """Register an admin page at ``rule``: GET renders ``template``, POST calls the decorated ``save``;
    ``action`` is the policy action the page needs (the core checks each change again)."""

    def deco(save):
        @allowed(action)
        def view(**kw):
            core = get_core()
            if request.method == "POST":
                try:
                    save(core, request.form, **kw)
                except AntreanError as exc:
                    msg = exc.message(lang())
                    flash(f"{msg} ({exc.detail})" if exc.detail else msg, "error")  # admins get the precise reason
                else:
                    flash(_("Perubahan disimpan."), "ok")
                return redirect(url_for(f"console.{endpoint}", **kw))
            return render_template(template, section=section, **context(core, **kw))

        bp.add_url_rule(rule, endpoint, view, methods=["GET", "POST"])
        return save

    return deco


# -- office ---------------------------------------------------------------------------
@admin_page("/admin", "admin", "console/admin/office.html", "office", action="office.write")
def save_office(core, f):
    core.update_office(actor(), name=f.get("name", ""), address=f.get("address", ""))


# -- counters ---------------------------------------------------------------------------
@admin_page(
    "/admin/loket",
    "admin_counters",
    "console/admin/counters.html",
    "counters",
    lambda core: {"counters": core.queue.counters(), "services": core.services()},
    action="counter.manage",
)
def save_counter(core, f):
    number = f.get("number", "").strip()
    if not number.isdecimal():
        raise Invalid("Nomor loket harus angka.", detail=repr(number))
    core.queue.save_counter(
        actor(),
        name=f.get("name", ""),
        number=int(number),
        services=f.getlist("services"),
        counter_id=f.get("id", type=int),
        active=f.get("active") == "1",
    )


# -- users --------------------------------------------------------------------------------
@admin_page(
    "/admin/pengguna",
    "admin_users",
    "console/admin/users.html",
    "users",
    lambda core: {"users": core.users.list(actor()), "staff_roles": {k: _(v) for k, v in STAFF_ROLES.items()}},
    action="user.read",
)
def save_user(core, f):
    roles = f.getlist("roles")
    if f.get("id"):
        core.users.update(
            actor(),
            f.get("id", type=int),
            roles=roles,
            full_name=f.get("full_name", ""),
            active=f.get("active") == "1",
            password=f.get("password") or None,
        )
    else:
        core.users.create(
            actor(), f.get("username", "").strip().lower(), f.get("password", ""), roles, f.get("full_name", "")
        )


# -- services -------------------------------------------------------------------------------
@bp.get("/admin/layanan", endpoint="admin_services")
@allowed("service.write")
def admin_services():
    return render_template("console/admin/services.html", section="services", services=get_core().services())


def _mappable(sop) -> list[str]:
    return [r for r in sop.roles if r != "pemohon"] + ["pemohon"]


def _service_context(core, code):
    svc = core.service(code)
    return {
        "svc": svc,
        "sop": core.sops[code],
        "mappable": _mappable(core.sops[code]),
        "ROLES": {k: _(v) for k, v in ROLES.items()},
        "staff_roles": {k: _(v) for k, v in STAFF_ROLES.items() if k != "admin"},
    }


@admin_page(
    "/admin/layanan/<code>",
    "admin_service",
    "console/admin/service.html",
    "services",
    _service_context,
    action="service.write",
)
def save_service(core, f, code):
    core.service(code)  # 404 for an unknown code
    sop = core.sops[code]
    role_map = {}
    for r in _mappable(sop):
        chosen = f.get(f"role_{r}", "")
        default = sop.front_desk_role if r == "pemohon" else r
        if chosen and chosen != default:
            role_map[r] = chosen
    lines = [x.strip() for x in f.get("checklist", "").splitlines() if x.strip()]
    core.update_service(
        code,
        actor(),
        enabled=f.get("enabled") == "1",
        letter=f.get("letter", "").strip().upper(),
        role_map=role_map,
        checklist=None if lines == list(sop.documents) else lines,
        daily_quota=f.get("daily_quota", "").strip(),
        open_time=f.get("open_time", "").strip(),
        close_time=f.get("close_time", "").strip(),
    )


# -- queue policy ----------------------------------------------------------------------------
@admin_page(
    "/admin/kebijakan",
    "admin_policy",
    "console/admin/policy.html",
    "policy",
    lambda core: {"policy": core.policy(), "modes": POLICY_MODES, "defaults": DEFAULT_POLICY},
)
def save_policy(core, f):
    policy = {"mode": f.get("mode", "priority_first")}
    for key in POLICY_INTS:
        raw = f.get(key, "").strip()
        if not raw.isdecimal():
            raise Invalid("Isi setiap angka kebijakan dengan bilangan bulat 0 atau lebih.", detail=key)
        policy[key] = int(raw)
    check_policy(policy)
    core.set_setting("queue_policy", policy, actor())


# -- booking settings (antrean/services/booking.py, docs/booking.md) ------------------------------------------------
def _whole(raw: str, label: i18n.LazyString, blank_ok: bool = False) -> int | None:
    raw = (raw or "").strip()
    if blank_ok and not raw:
        return None
    if not raw.isdecimal():
        raise Invalid(
            "%(label)s: isi dengan bilangan bulat 0 atau lebih.",
            params={"label": label},
            detail=f"{raw!r}",
        )
    return int(raw)


@admin_page(
    "/admin/booking",
    "admin_booking",
    "console/admin/booking.html",
    "booking",
    lambda core: {"cfg": core.booking.config(), "labels": BOOKING_INTS, "services": core.services(enabled_only=True)},
)
def save_booking(core, f):
    value = {"enabled": f.get("enabled") == "1", "remind_at": f.get("remind_at", "").strip()}
    for key, label in BOOKING_INTS.items():
        value[key] = _whole(f.get(key), i18n.LazyString(label))
    services = {}
    for code in core.sops:
        own = {
            k: n
            for k in ("slot_minutes", "capacity")
            if (
                n := _whole(
                    f.get(f"{code}_{k}"),
                    i18n.LazyString("%(service)s: %(label)s", service=code, label=i18n.LazyString(BOOKING_INTS[k])),
                    blank_ok=True,
                )
            )
            is not None
        }
        if own:
            services[code] = own
    value["services"] = services
    core.booking.set_config(actor(), value)


# -- display profiles and running text ---------------------------------------------------------
def _profiles(core) -> dict:
    value = core.get_setting("display_profiles", {})
    return value if isinstance(value, dict) else {}


@admin_page(
    "/admin/tampilan",
    "admin_display",
    "console/admin/display.html",
    "display",
    lambda core: {
        "profiles": _profiles(core),
        "running_text": core.get_setting("running_text", ""),
        "counters": core.queue.counters(),
        "services": core.services(),
    },
)
def save_display(core, f):
    if f.get("form") == "running_text":
        text = " ".join(f.get("running_text", "").split())
        if len(text) > 500:
            raise Invalid("Teks berjalan maksimal 500 karakter.")
        core.set_setting("running_text", text, actor())
        return
    profiles = _profiles(core)
    slug = f.get("slug", "").strip().lower()
    if f.get("delete"):
        profiles.pop(slug, None)
    else:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", slug):
            raise Invalid("Kode profil: huruf kecil, angka atau tanda hubung (maksimal 40).", detail=slug)
        title = f.get("title", "").strip()[:80]
        if not title:
            raise Invalid("Judul profil wajib diisi.")
        numbers = {c["number"] for c in core.queue.counters()}  # the board's profiles name lokets by number
        profiles[slug] = {
            "title": title,
            "counters": sorted({int(x) for x in f.getlist("counters") if x.isdecimal() and int(x) in numbers}),
            "services": [c for c in f.getlist("services") if c in core.sops],
        }
    core.set_setting("display_profiles", profiles, actor())


# -- office calendar: hours, breaks, holidays, cuti bersama, closures (antrean/services/calendar.py) -------------
def _calendar_context(core) -> dict:
    today = office_day(core.tz)
    year = request.args.get("tahun", today.year, type=int)
    hours = core.calendar.hours()
    names = day_names(lang())  # the page's language
    rows = [
        {
            "key": wd,
            "name": names[i],
            "hours": (hours.get("days") or {}).get(wd),
            "break": ((hours.get("breaks") or {}).get(wd) or [None])[0],
        }
        for i, wd in enumerate(WEEKDAYS)
    ]
    return {
        "rows": rows,
        "entries": core.calendar.entries(year),
        "year": year,
        "kinds": KINDS,
        "status": core.calendar.status(),
        "enabled": core.calendar.enabled,
        "coming": [
            d | {"weekday": names[datetime.fromisoformat(d["date"]).weekday()]}
            for d in core.calendar.days(today, today + timedelta(days=13))
        ],
    }


@admin_page("/admin/kalender", "admin_calendar", "console/admin/calendar.html", "calendar", _calendar_context)
def save_calendar(core, f):
    form = f.get("form")
    if form == "hours":
        days, breaks = {}, {}
        for wd in WEEKDAYS:
            opens, closes = f.get(f"{wd}_open", "").strip(), f.get(f"{wd}_close", "").strip()
            days[wd] = [opens, closes] if f.get(f"{wd}_on") == "1" else None
            b0, b1 = f.get(f"{wd}_break_start", "").strip(), f.get(f"{wd}_break_end", "").strip()
            if days[wd] and (b0 or b1):
                breaks[wd] = [[b0, b1]]
        core.calendar.set_hours(actor(), {"days": days, "breaks": breaks})
    elif form == "add":
        core.calendar.add(
            actor(),
            f.get("date", ""),
            f.get("name", ""),
            f.get("kind", ""),
            f.get("start", "").strip() or None,
            f.get("end", "").strip() or None,
        )
    elif form == "remove":
        core.calendar.remove(actor(), f.get("date", ""))
    elif form == "import":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid("Pilih berkas CSV.")
        try:
            text = upload.read(1_000_000).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("Berkas CSV harus teks UTF-8.") from None
        r = core.calendar.import_csv(actor(), text)
        flash(
            _(
                "%(rows)s baris diimpor: %(added)s baru, %(replaced)s diganti.",
                rows=r["rows"],
                added=r["added"],
                replaced=r["replaced"],
            ),
            "ok",
        )
    else:
        raise Invalid("Formulir tidak dikenal.", detail=repr(form))


# -- printers -----------------------------------------------------------------------------------
@bp.get("/admin/printer", endpoint="admin_printers")
@allowed("printer.manage")
def admin_printers():
    core = get_core()
    return render_template(
        "console/admin/printers.html",
        section="printers",
        printers=hardware_printers(core),
        default_url=core.settings.printer_url,
    )


# -- audit log ------------------------------------------------------------------------------------
@bp.get("/admin/audit", endpoint="admin_audit")
@allowed("audit.read")
def admin_audit():
    core = get_core()
    a = request.args
    page = max(1, a.get("hal", 1, type=int))
    per = 50

    def day(name, shift=0):
        """An office-local date from the form -> the UTC instant its day starts."""
        try:
            d = datetime.strptime(a.get(name, ""), "%Y-%m-%d").date() + timedelta(days=shift)
        except ValueError:
            return None
        return datetime.combine(d, time.min, tzinfo=core.tz).astimezone(UTC).replace(tzinfo=None)

    result = core.audit_log(
        actor(),
        action=a.get("aksi") or None,
        user=a.get("pengguna") or None,
        target_type=a.get("jenis") or None,
        target_id=a.get("target") or None,
        since=day("dari"),
        until=day("sampai", 1),
        limit=per,
        offset=(page - 1) * per,
    )
    result = {**result, "items": [audit_text.describe(e, lang()) for e in result["items"]]}
    return render_template(
        "console/admin/audit.html",
        section="audit",
        result=result,
        page=page,
        pages=max(1, -(-result["total"] // per)),
        args=a,
    )


@bp.app_template_filter("combine_page")
def _combine_page(args: dict, page: int) -> dict:
    return {**args, "hal": page}
