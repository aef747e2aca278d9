"""Rate limits on the public endpoints, with Flask-Limiter (docs/security.md).

A public route says what kind of endpoint it is, once, where it is defined::

    from antrean.web.limits import public

    @bp.post("/surveys")
    @public("survey")                 # below the route decorator
    def submit_survey(): ...

and :func:`init_app` (called last in the app factory, after every plugin registered its blueprints) wraps each
marked view in Flask-Limiter limits taken from the settings:

- a kiosk registered with ``antrean kiosk add`` (its ``X-Device-Key`` header): ``rate_kiosk`` per device;
- the server PC itself (``rate_exempt``, default loopback): not limited;
- anyone else (a phone, a script): ``rate_<kind>`` per address, and for ``public("ticket", per_service=True)``
  also ``rate_ticket_service_day`` per address and service.

Kinds: ticket, status, survey, login, board, booking, booking_read. A refused caller gets 429 in the API's error shape (Indonesian
message, English beside it) with ``Retry-After``; the view does not run, so nothing is written. Socket.IO
events, which Flask-Limiter does not see, ask :func:`refused` with the same limits and storage.

Storage: memory in one process (one office PC), Redis when ``ANTREAN_REDIS_URL`` is set (several processes
share one count); keys are prefixed with the office code. If Redis goes away the limiter falls back to memory
rather than refusing the office's kiosks.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many

from antrean.kernel import i18n
from antrean.kernel.config import ConfigError
from antrean.kernel.errors import AntreanError

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    pass

log = logging.getLogger(__name__)

#: kind -> the setting holding its anonymous per-address limit
KINDS = {
    "ticket": "rate_ticket",
    "status": "rate_status",
    "survey": "rate_survey",
    "login": "rate_login",
    "board": "rate_board",
    "booking": "rate_booking",
    "booking_read": "rate_booking_read",
}
SETTINGS = (*KINDS.values(), "rate_kiosk", "rate_ticket_service_day")
MESSAGE = i18n.N_("Terlalu banyak permintaan dari perangkat ini. Silakan coba lagi dalam %(s)s detik.")


def public(kind: str, *, per_service: bool = False, methods: tuple[str, ...] | None = None):
    """Mark a view as a public endpoint of ``kind`` (see the module's doc). Put it below ``@bp.route``.
    ``methods``: count only these (e.g. ``("POST",)`` for a login form whose GET only shows the form)."""
    if kind not in KINDS:
        raise ValueError(f"unknown rate-limit kind {kind!r} (known: {', '.join(KINDS)})")

    def mark(fn):
        fn.antrean_rate = (kind, per_service, methods)
        return fn

    return mark


def check_settings(settings) -> None:
    for name in SETTINGS:
        value = getattr(settings, name)
        try:
            if not parse_many(value):
                raise ValueError("empty")
        except ValueError:
            raise ConfigError(f"{name}: expected rate limits like '10/minute;100/day', got {value!r}") from None


# -- who is asking -------------------------------------------------------------------------------------------
def address() -> str:
    return request.remote_addr or "?"


def device() -> str | None:
    """The registered kiosk behind this request (its X-Device-Key), or None. Looked up once per request, through
    the hook ``authenticate_device`` (the hardware plugin keeps the kiosks' keys)."""
    if "kiosk_device" not in g:
        key = request.headers.get("X-Device-Key")
        core = current_app.extensions["antrean"]
        g.kiosk_device = core.hook.authenticate_device(core=core, key=key) if key else None
    return g.kiosk_device


def _device_key() -> str:
    return f"device:{device()}"


def _service_key() -> str:
    data = request.get_json(silent=True) if request.is_json else None
    service = data.get("service") if isinstance(data, dict) else None
    return f"{address()}|{service if isinstance(service, str) else ''}"[:200]


def exempt() -> bool:
    """The server PC's own browsers (setting rate_exempt, default loopback) are never limited. Behind a reverse
    proxy on the same machine every caller looks like loopback: set rate_exempt to "" there (docs/security.md)."""
    if "rate_exempt" not in g:
        allowed = current_app.extensions["antrean"].settings.rate_exempt
        g.rate_exempt = address() in {a.strip() for a in allowed.split(",") if a.strip()}
    return g.rate_exempt


def _anonymous() -> bool:
    return exempt() or device() is None


def _registered() -> bool:
    return exempt() or device() is not None


# -- wiring ----------------------------------------------------------------------------------------------------
def init_app(app, core) -> Limiter:
    st = core.settings
    check_settings(st)
    limiter = Limiter(
        address,
        app=app,
        storage_uri=st.redis_url or "memory://",
        key_prefix=f"antrean-{st.office_code}",
        strategy="fixed-window",
        headers_enabled=False,
        in_memory_fallback_enabled=bool(st.redis_url),
        swallow_errors=True,
    )
    app.extensions["antrean.limiter"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        mark = getattr(view, "antrean_rate", None)
        if mark is None:
            continue
        kind, per_service, methods = mark
        only = list(methods) if methods else None
        # shared limits: one count per kind across its routes (status page, its JSON, its QR, the API) and with
        # refused() below (Socket.IO); the keys are [key_prefix, caller, scope] both ways
        wrapped = limiter.shared_limit(
            st.rate_kiosk, f"{kind}:kiosk", key_func=_device_key, exempt_when=_anonymous, methods=only
        )(view)
        wrapped = limiter.shared_limit(
            getattr(st, KINDS[kind]), kind, key_func=address, exempt_when=_registered, methods=only
        )(wrapped)
        if per_service:
            wrapped = limiter.shared_limit(
                st.rate_ticket_service_day,
                f"{kind}:service",
                key_func=_service_key,
                exempt_when=_registered,
                methods=only,
            )(wrapped)
        app.view_functions[endpoint] = wrapped

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc):
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        return too_many(wait)

    return limiter


def too_many(wait: int):
    """The 429 response: the API's error shape with Retry-After (JSON or, for pages, the error page)."""
    err = AntreanError(
        MESSAGE,
        params={"s": wait},
        status=429,
        code="too_many_requests",
        detail=f"rate limit reached; retry after {wait} s",
        retry_after=wait,
    )
    return current_app.handle_user_exception(err)  # the app's AntreanError handler; sets Retry-After from retry_after


def refused(kind: str) -> int:
    """For callers Flask-Limiter's decorators do not see (Socket.IO events): count one hit of ``kind`` for this
    caller; 0 when allowed, else the seconds to wait."""
    limiter: Limiter = current_app.extensions["antrean.limiter"]
    st = current_app.extensions["antrean"].settings
    if exempt():
        return 0
    who = device()
    items, scope, key = (
        (parse_many(st.rate_kiosk), f"{kind}:kiosk", f"device:{who}")
        if who
        else (parse_many(getattr(st, KINDS[kind])), kind, address())
    )
    prefix = f"antrean-{st.office_code}"
    try:
        for item in items:
            if not limiter.limiter.hit(item, prefix, key, scope):
                reset = limiter.limiter.get_window_stats(item, prefix, key, scope).reset_time
                return max(1, math.ceil(reset - time.time()))
    except Exception:  # noqa: BLE001 - the storage (Redis) is unreachable: serve the board rather than refuse it
        log.warning("rate-limit storage unreachable; %s not limited", kind, exc_info=True)
    return 0


__all__ = ["public", "init_app", "refused", "device", "address", "too_many", "check_settings", "KINDS"]
