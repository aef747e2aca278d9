"""Console pages of the notifications: the outbox (staff) and the message texts (admin)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from antrean.kernel.errors import AntreanError, Invalid
from antrean.services.notify import COMMON_PARAMS, NEAR_SETTING, PARAMS, STATUSES, TEMPLATES
from antrean.web.app import get_core, lang

from .admin import admin_page
from .base import actor, allowed, bp

STATUS_LABELS = {
    "pending": "menunggu",
    "sending": "sedang dikirim",
    "sent": "terkirim",
    "uncertain": "tidak pasti",
    "failed": "gagal",
}


@bp.get("/kabar", endpoint="notify_outbox")
@allowed("notify.read")
def outbox():
    core = get_core()
    status = request.args.get("status")
    data = core.notify.outbox(actor(), status if status in STATUSES else None)
    return render_template(
        "console/notify_outbox.html",
        data=data,
        status=status,
        labels=STATUS_LABELS,
        kinds=TEMPLATES,
        enabled=core.notify.enabled,
        url=core.settings.notify_url,
    )


@bp.post("/kabar", endpoint="notify_resend")
@allowed("notify.resend")
def resend():
    try:
        get_core().notify.resend(actor(), request.form.get("id", type=int) or 0)
    except AntreanError as exc:
        msg = exc.message(lang())
        flash(f"{msg} ({exc.detail})" if exc.detail else msg, "error")
    else:
        flash(_("Pesan dijadwalkan untuk dikirim ulang."), "ok")
    return redirect(url_for("console.notify_outbox", status=request.args.get("status") or None))


@admin_page(
    "/admin/kabar",
    "admin_notify",
    "console/admin/notify.html",
    "notify",
    lambda core: {
        "texts": core.notify.templates(),
        "kinds": TEMPLATES,
        "params": PARAMS,
        "common": COMMON_PARAMS,
        "near": core.notify.near_ahead(),
    },
)
def save_templates(core, f):
    core.notify.set_templates(actor(), {k: f.get(k, "") for k in TEMPLATES if k in f})
    near = f.get("near_ahead", "").strip()
    if near and near != str(core.notify.near_ahead()):
        if not near.isdigit() or not 1 <= int(near) <= 50:
            raise Invalid("N harus angka 1–50.", detail=repr(near))
        core.set_setting(NEAR_SETTING, int(near), actor())
