"""The app factory: one core, one plugin manager and one Socket.IO per app."""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, g, has_request_context, jsonify, render_template_string, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from flask_babel import Babel, gettext, ngettext, pgettext
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, StatementError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from antrean.core import Antrean
from antrean.kernel import i18n
from antrean.kernel.config import load_settings
from antrean.kernel.errors import AntreanError, Invalid, Unavailable
from antrean.kernel.logs import request_id
from antrean.kernel.runtime import PublicLane, patched
from antrean.kernel.schema import INT_MAX, INT_MIN
from antrean.services.backup import hold_server_lock
from antrean.services.health import Monitor, watch_database
from antrean.web import limits
from antrean.web.api import bp as api_bp
from antrean.web.assets import bp as assets_bp
from antrean.web.context import get_core  # noqa: F401  (faces import it from here too)
from antrean.web.meta import bp as meta_bp

log = logging.getLogger(__name__)


class StaffUser:
    """Flask-Login's view of an Actor."""

    def __init__(self, actor):
        self.actor = actor
        self.id = actor.id

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self):
        # the session remembers the account AND its session generation: logout, a new password, disabling
        # the account or taking a role away bump the generation, and every copy of the cookie stops working
        return f"{self.id}.{self.actor.epoch}"


# -- input at the door: one parser and one check for every route (bad input is a 4xx, never a 500/503) ------------
#: Integers the database can store (BIGINT / SQLite INTEGER); JSON nesting deeper than any request of ours needs.
JSON_MAX_DEPTH = 32


class BadInput(ValueError):
    """A value no route accepts: a NUL byte in a string, an integer beyond 64 bits, JSON nested too deep."""


def check_value(value, path: str = "body", depth: int = 0):
    """Walk a parsed JSON value; raise BadInput naming the first value no column could store."""
    if depth > JSON_MAX_DEPTH:
        raise BadInput(f"{path}: nested deeper than {JSON_MAX_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise BadInput(f"{path}: contains a NUL character")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not INT_MIN <= value <= INT_MAX:
            raise BadInput(f"{path}: integer outside the 64-bit range")
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadInput(f"{path}: not a finite number")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_value(k, f"{path}.<key>", depth + 1)
            check_value(v, f"{path}.{k}"[:120], depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_value(v, f"{path}[{i}]", depth + 1)
    return value


class _JSON(DefaultJSONProvider):
    """Flask's JSON with every parsed body checked (check_value); a body too deeply nested for Python's parser
    is a ValueError like any malformed JSON, not a RecursionError (a 500)."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, parse_constant=_no_constant, **kwargs)
        except RecursionError:
            raise BadInput("JSON nested too deeply") from None
        return check_value(value)


def _no_constant(name: str):
    raise BadInput(f"{name} is not valid JSON")


class _Request(Request):
    def on_json_loading_failed(self, e):
        """A body that is not valid JSON, or holds a value no route accepts: 400 with the reason."""
        if isinstance(e, BadInput):
            raise Invalid("Data yang dikirim berisi nilai yang tidak sah.", detail=str(e), status=400, code="bad_json")
        raise Invalid(
            "Data yang dikirim bukan JSON yang sah.",
            detail=f"send Content-Type: application/json with a JSON object ({e})"[:300],
            status=400,
            code="bad_json",
        )


class _Int(IntegerConverter):
    """``<int:…>`` in every route: only ids the database can hold (a larger number is simply not found)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def _check_request_strings() -> None:
    """Query strings, form fields and path parts: no NUL bytes (PostgreSQL cannot store them; nobody types them)."""
    for where, values in (
        ("query", request.args),
        (
            "form",
            request.form
            if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            else MultiDict(),
        ),
    ):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise Invalid(
                    "Permintaan berisi karakter yang tidak sah.",
                    detail=f"{where} parameter {key[:40]!r} contains a NUL character",
                    status=400,
                    code="bad_request",
                )
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise Invalid(
                "Alamat berisi karakter yang tidak sah.",
                detail=f"path part {key!r} contains a NUL character",
                status=400,
                code="bad_request",
            )


def create_app(config: dict | None = None, *, plugins: tuple = ()) -> Flask:
    settings = load_settings(config)
    app = Flask("antrean", instance_path=settings.instance_path, static_folder=None)
    app.request_class = _Request
    app.json = _JSON(app)
    app.url_map.converters["int"] = _Int
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=settings.session_minutes * 60,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    core = Antrean(settings, plugins=plugins)
    if settings.extra.get("auto_migrate", True):
        core.migrate()  # also creates the office and service rows
    else:
        core.ensure_office()  # create office and service rows
    app.extensions["antrean"] = core
    app.extensions["antrean.server_lock"] = hold_server_lock(settings.database_url)  # restore waits for it

    # cors_allowed_origins=None: Socket.IO accepts only same-origin browsers (an empty list would turn the Origin
    # check off and let any page a clerk opens ride the staff session on /console). One message-queue channel per
    # office: in a shared Redis, one office's boards and consoles must not get another office's events.
    # gevent under ``antrean run`` (the entry point patched the process: antrean.kernel.runtime); threads under the
    # development server, the tests' in-process server and the test client.

    socketio = SocketIO(
        app,
        async_mode="gevent" if patched() else "threading",
        message_queue=settings.redis_url or None,
        channel=f"antrean-{settings.office_code}",
        # None is python-engineio's documented default (same origin only); the types-Flask-SocketIO stubs omit it
        cors_allowed_origins=None,  # type: ignore[arg-type]
        logger=False,
        engineio_logger=False,
    )
    app.extensions["antrean.socketio"] = socketio

    # wrapping ``app.wsgi_app`` is Flask's documented way to add WSGI middleware; Flask types it as a method
    app.wsgi_app = PublicLane(app.wsgi_app)  # type: ignore[method-assign]  # a ticket flood waits; staff go ahead
    if settings.trusted_proxies:
        # behind N reverse proxies (docs/nginx.conf): the client's address, scheme and host are the proxy's
        # X-Forwarded-* headers, so rate limits and logs see the caller, not the proxy. Without the setting those
        # headers are ignored (a caller could otherwise forge its address).

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]  # as above
    core.extensions["socketio"] = socketio

    _translations(app)
    app.before_request(_check_request_strings)
    csrf = CSRFProtect(app)
    app.extensions["antrean.csrf"] = csrf
    login = LoginManager(app)
    login.login_view = "console.login"
    login.login_message = i18n.N_("Silakan masuk terlebih dahulu.")
    login.localize_callback = lambda text: i18n.gettext(text, lang())

    @login.user_loader
    def _load(session_id):
        try:
            user_id, epoch = (int(x) for x in session_id.split("."))
        except ValueError:  # a session from before generations existed: log in again
            return None
        actor = core.users.get(user_id, epoch=epoch)
        return StaffUser(actor) if actor else None

    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie-authenticated calls
    app.register_blueprint(api_bp)
    app.register_blueprint(meta_bp)
    app.register_blueprint(assets_bp)
    _error_handlers(app)

    _request_ids(app)
    watch_database(core)
    if settings.start_workers:
        monitor = Monitor(core, float(settings.extra.get("health_interval_seconds", 30))).start()
        core.on_close(monitor.stop)

    @app.after_request
    def _remember_language(response):
        chosen = request.args.get("lang")
        if chosen in ("id", "en") and request.cookies.get("lang") != chosen and not request.path.startswith("/api/"):
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CSP)
        return response

    core.hook.init_app(app=app, core=core)
    limits.init_app(app, core)
    return app


#: Content-Security-Policy of every HTML page that sets none of its own (the kiosk sets a stricter one): scripts
#: only from files the app serves (no inline script, no handler attributes, no eval), nothing from outside the
#: office's server, never framed (clickjacking of the console). Inline style attributes stay allowed.
#: (Browser tests that poll with eval use a context that bypasses CSP; tests/e2e/test_security_browser.py doesn't.)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _request_ids(app: Flask) -> None:
    """Every request gets an id (the client's or proxy's ``X-Request-Id`` when sane, else a new one),
    echoed in the response and carried by every log line of the request; one access line per request
    (INFO; static files and Socket.IO polling at DEBUG)."""
    access = logging.getLogger("antrean.request")

    @app.before_request
    def _start():
        g.request_id = request_id(request.headers.get("X-Request-Id"))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid is None:
            return response
        response.headers["X-Request-Id"] = rid
        quiet = request.path.startswith(("/static/", "/socket.io/", "/-/health")) or "/static/" in request.path
        level = logging.WARNING if response.status_code >= 500 else logging.DEBUG if quiet else logging.INFO
        if access.isEnabledFor(level):
            ms = (time.perf_counter() - g.request_started) * 1000
            access.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(ms, 1),
                    "remote": request.remote_addr,
                },
            )
        return response


def lang() -> str:
    """Indonesian first: the office's language (ANTREAN_LANGUAGE, default id) unless someone chose
    (``?lang=en`` or the ``lang`` cookie). Pages ignore the browser's Accept-Language — an office
    PC with an English-language OS still shows Indonesian — and so do the API calls those pages make
    (``Sec-Fetch-Site: same-origin``: the kiosk's error messages follow the kiosk, not the browser).
    Other API clients may ask with Accept-Language."""
    if "lang" not in g:
        choice = request.args.get("lang") or request.cookies.get("lang")
        if choice not in ("id", "en"):
            choice = current_app.extensions["antrean"].settings.language
            if request.path.startswith("/api/") and request.headers.get("Sec-Fetch-Site") != "same-origin":
                best = request.accept_languages.best_match(["id", "en"])
                if best == "en" and not request.accept_languages.best_match(["id"]):
                    choice = "en"
        g.lang = choice
    return g.lang


def _translations(app: Flask) -> None:
    """Flask-Babel over the kernel's catalogs (antrean.kernel.i18n): the same Translations objects, the
    locale chosen by ``lang()`` (the office's language wins over the browser's). In templates ``_("…")``,
    ``gettext``, ``ngettext`` and ``pgettext``; ``%(name)s`` is filled only when parameters are given
    (old-style callables, as ``tr()`` was), so a text with a bare ``%`` needs no escaping."""
    babel = Babel(
        app,
        locale_selector=lang,
        default_locale=i18n.DEFAULT_LANGUAGE,
        default_translation_directories=str(i18n.CATALOG_DIR),
    )
    with app.app_context():
        cache = babel.domain_instance.cache
        for code in i18n.LANGUAGES:
            cache[code, i18n.DOMAIN] = i18n.translations(code)
    # added to the environment by jinja2.ext.i18n (Flask-Babel enables it): jinja2's Environment does not declare it
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=False, pgettext=pgettext
    )
    i18n.set_language_source(_current_language)


def _current_language() -> str:
    """The request's language for lazy strings rendered without one; the office's default outside requests."""
    return lang() if has_request_context() else i18n.DEFAULT_LANGUAGE


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json") or request.is_json


def _domain_response(exc: AntreanError):
    """A domain error as the response its caller understands: JSON ``{"error", "message", "detail"?}`` for the
    API and JSON routes, the bilingual error page otherwise."""
    if _wants_json():
        response = jsonify(exc.to_dict(lang()))
    else:
        response = current_app.response_class(
            render_template_string(_ERROR_PAGE, message=exc.message(lang()), status=exc.status, lang=lang()),
            mimetype="text/html",
        )
    response.status_code = exc.status
    if exc.extra.get("retry_after"):
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _error_handlers(app: Flask) -> None:
    messages = {
        400: i18n.N_("Permintaan tidak sah."),
        401: i18n.N_("Silakan masuk terlebih dahulu."),
        403: i18n.N_("Anda tidak berhak melakukan tindakan ini."),
        404: i18n.N_("Halaman tidak ditemukan."),
        405: i18n.N_("Metode tidak diizinkan."),
        413: i18n.N_("Data yang dikirim terlalu besar."),
        429: i18n.N_("Terlalu banyak permintaan."),
    }

    @app.errorhandler(AntreanError)
    def _domain(exc: AntreanError):
        return _domain_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500  # Flask hands only exceptions that have a code to error handlers
        text = i18n.gettext(messages[status], lang()) if status in messages else exc.name
        if status == 400 and "CSRF" in (exc.description or ""):
            text = i18n.gettext("Sesi formulir kedaluwarsa atau token CSRF hilang. Muat ulang halaman.", lang())
        if _wants_json():
            response = jsonify(
                {"error": exc.name.lower().replace(" ", "_"), "message": text, "detail": exc.description}
            )
        else:
            response = current_app.response_class(
                render_template_string(_ERROR_PAGE, message=text, status=status, lang=lang()), mimetype="text/html"
            )
        response.status_code = status
        for name, value in exc.get_headers():  # Allow on 405, Retry-After on 429, WWW-Authenticate …
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _refused_value(exc):
        """The database refused a value (out of range, a byte it cannot store): the request's fault, not the
        database being down. Values are checked at the door (check_value, _Int); this is the net under it."""
        orig = getattr(exc, "orig", exc)
        log.warning("database refused a value: %s", orig)
        return _domain(
            Invalid(
                "Data yang dikirim berisi nilai yang tidak sah.",
                detail=f"{type(orig).__name__}: {str(orig).splitlines()[0] if str(orig) else ''}"[:200],
                code="invalid_value",
            )
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    @app.errorhandler(StatementError)
    def _db(exc):
        if isinstance(getattr(exc, "orig", None), (OverflowError, ValueError)) or isinstance(exc, DataError):
            return _refused_value(exc)
        log.exception("database error")
        err = Unavailable(
            "Sistem sedang tidak dapat menyimpan data. Coba lagi sebentar lagi; data Anda tidak hilang.",
            detail=type(exc.orig if hasattr(exc, "orig") else exc).__name__,
        )
        return _domain(err)


_ERROR_PAGE = """<!doctype html><html lang="{{ lang }}"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{ status }}</title>
<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto;padding:1rem;font-size:1.25rem">
<h1 style="font-size:2rem">{{ status }}</h1><p>{{ message }}</p><p><a href="/">{{ _("Kembali ke beranda") }}</a></p></body></html>"""
