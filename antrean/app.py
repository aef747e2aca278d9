"""The app factory: one core, one plugin manager and one Socket.IO per app."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, request
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import OperationalError, DBAPIError

from .config import load_settings
from .core import Antrean
from .errors import AntreanError, Unavailable

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


def create_app(config: dict | None = None, *, plugins: tuple = ()) -> Flask:
    settings = load_settings(config)
    app = Flask("antrean", instance_path=settings.instance_path, static_folder=None)
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
        core.migrate()
    core.office_id  # create office and service rows
    app.extensions["antrean"] = core
    from .backup import hold_server_lock
    app.extensions["antrean.server_lock"] = hold_server_lock(settings.database_url)  # restore waits for it

    # cors_allowed_origins=None: Socket.IO accepts only same-origin browsers (an empty list would turn the Origin
    # check off and let any page a clerk opens ride the staff session on /console). One message-queue channel per
    # office: in a shared Redis, one office's boards and consoles must not get another office's events.
    # gevent under ``antrean run`` (the entry point patched the process: antrean.runtime); threads under the
    # development server, the tests' in-process server and the test client.
    from .runtime import patched

    socketio = SocketIO(app, async_mode="gevent" if patched() else "threading", message_queue=settings.redis_url or None,
                        channel=f"antrean-{settings.office_code}", cors_allowed_origins=None,
                        logger=False, engineio_logger=False)
    app.extensions["antrean.socketio"] = socketio
    from .runtime import PublicLane

    app.wsgi_app = PublicLane(app.wsgi_app)  # a ticket flood waits its turn; staff calls go ahead
    core.extensions["socketio"] = socketio

    csrf = CSRFProtect(app)
    app.extensions["antrean.csrf"] = csrf
    login = LoginManager(app)
    login.login_view = "console.login"
    login.login_message = "Silakan masuk terlebih dahulu."

    @login.user_loader
    def _load(session_id):
        try:
            user_id, epoch = (int(x) for x in session_id.split("."))
        except ValueError:  # a session from before generations existed: log in again
            return None
        actor = core.users.get(user_id, epoch=epoch)
        return StaffUser(actor) if actor else None

    from .api import bp as api_bp
    from .assets import bp as assets_bp
    from .meta import bp as meta_bp

    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie-authenticated calls
    app.register_blueprint(api_bp)
    app.register_blueprint(meta_bp)
    app.register_blueprint(assets_bp)
    _error_handlers(app)

    _request_ids(app)
    from .health import Monitor, watch_database
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
    return app


#: Content-Security-Policy of every HTML page that sets none of its own (the kiosk sets a stricter one): scripts
#: only from files the app serves (no inline script, no handler attributes, no eval), nothing from outside the
#: office's server, never framed (clickjacking of the console). Inline style attributes stay allowed.
#: (Browser tests that poll with eval use a context that bypasses CSP; tests/e2e/test_security_browser.py doesn't.)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _request_ids(app: Flask) -> None:
    """Every request gets an id (the client's or proxy's ``X-Request-Id`` when sane, else a new one),
    echoed in the response and carried by every log line of the request; one access line per request
    (INFO; static files and Socket.IO polling at DEBUG)."""
    import time

    from .logs import request_id

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
            access.log(level, "%s %s %s %.1fms", request.method, request.path, response.status_code, ms,
                       extra={"method": request.method, "path": request.path, "status": response.status_code,
                              "ms": round(ms, 1), "remote": request.remote_addr})
        return response


def get_core(app=None) -> Antrean:
    from flask import current_app

    return (app or current_app).extensions["antrean"]


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


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json") or request.is_json


def _error_handlers(app: Flask) -> None:
    from werkzeug.exceptions import HTTPException

    messages = {
        400: ("Permintaan tidak sah.", "Bad request."),
        401: ("Silakan masuk terlebih dahulu.", "Please log in."),
        403: ("Anda tidak berhak melakukan tindakan ini.", "You may not do this."),
        404: ("Halaman tidak ditemukan.", "Not found."),
        405: ("Metode tidak diizinkan.", "Method not allowed."),
        413: ("Data yang dikirim terlalu besar.", "Request body too large."),
        429: ("Terlalu banyak permintaan.", "Too many requests."),
    }

    @app.errorhandler(AntreanError)
    def _domain(exc: AntreanError):
        if _wants_json():
            return jsonify(exc.to_dict(lang())), exc.status
        from flask import render_template_string
        return render_template_string(_ERROR_PAGE, message=exc.message(lang()), status=exc.status), exc.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        id_text, en_text = messages.get(exc.code, (exc.name, exc.name))
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            id_text, en_text = "Sesi formulir kedaluwarsa atau token CSRF hilang. Muat ulang halaman.", exc.description
        if _wants_json():
            return jsonify({"error": exc.name.lower().replace(" ", "_"),
                            "message": en_text if lang() == "en" else id_text, "detail": exc.description}), exc.code
        from flask import render_template_string
        return render_template_string(_ERROR_PAGE, message=en_text if lang() == "en" else id_text,
                                      status=exc.code), exc.code

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _db(exc):
        log.exception("database error")
        err = Unavailable("Sistem sedang tidak dapat menyimpan data. Coba lagi sebentar lagi; data Anda tidak hilang.",
                          "The database is not reachable. Try again shortly; nothing was lost.",
                          detail=type(exc.orig if hasattr(exc, "orig") else exc).__name__)
        return _domain(err)


_ERROR_PAGE = """<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{ status }}</title>
<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto;padding:1rem;font-size:1.25rem">
<h1 style="font-size:2rem">{{ status }}</h1><p>{{ message }}</p><p><a href="/">Kembali ke beranda</a></p></body></html>"""
