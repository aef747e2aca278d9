"""Settings from environment variables and an optional instance file.

Precedence: explicit ``overrides`` (tests, create_app(config=...)) >
environment ``ANTREAN_*`` > ``<instance>/antrean.toml`` > defaults.
"""
from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    instance_path: str = "instance"
    database_url: str = ""              # default: sqlite:///<instance>/antrean.db
    redis_url: str = ""                 # optional Socket.IO message queue
    secret_key: str = ""                # default: generated once into <instance>/secret_key
    office_code: str = "kecamatan"
    office_name: str = "Kantor Kecamatan"
    office_address: str = ""
    timezone: str = "Asia/Jakarta"
    language: str = "id"
    printer_url: str = "none"           # default printer of kiosks without their own
    printer_profile: str = "80mm"
    printer_files: str = ""             # comma-separated paths a file:// printer may write besides character devices
    public_url: str = ""                # base URL printed in the ticket QR (default: request host)
    notify_url: str = "none"            # message gateway: none | log | http(s)://… | webhook+https://… | smtp://…
    notify_webhook_body: str = ""       # JSON template of the webhook's body ({phone} {text} {id} {kind})
    notify_webhook_headers: str = ""    # JSON object of extra headers (e.g. {"Authorization": "TOKEN"})
    agenda_format: str = "{seq:04d}/{code}/Kec/{month_roman}/{year}"
    token_hours: int = 12               # lifetime of API bearer tokens
    session_minutes: int = 480          # staff session idle timeout
    start_workers: bool = True          # print spooler and other background workers
    calendar: bool = True               # follow the office calendar (hours, holidays); false: always open
    log_level: str = "INFO"             # DEBUG | INFO | WARNING | ERROR
    log_format: str = "text"            # text | json (one JSON object per line)
    print_job_max_age_minutes: int = 5  # a ticket not printed by then is marked failed, never printed later; 0 = never
    password_hash_method: str = "scrypt"  # werkzeug method for new password/PIN hashes; tests use a cheap one
    # -- abuse at the door (antrean/web/limits.py; docs/security.md) -----------------------------------------
    trusted_proxies: int = 0            # reverse-proxy hops in front (nginx: 1): X-Forwarded-For/-Proto/-Host trusted
    rate_exempt: str = "127.0.0.1,::1"  # addresses never rate-limited: the server PC's own kiosk and TV browsers
    rate_kiosk: str = "120/minute"      # a kiosk registered with `antrean kiosk add`, per device and kind
    rate_ticket: str = "5/minute;20/hour"        # anonymous ticket issue, per address
    rate_ticket_service_day: str = "3/day"       # anonymous ticket issue, per address and service per day
    rate_status: str = "60/minute"      # ticket status (page, JSON, API), per address
    rate_survey: str = "5/minute;30/day"         # survey answers, per address
    rate_login: str = "10/minute;60/hour"        # console login form and /api/v1/auth/token, per address
    rate_board: str = "30/minute"       # anonymous board snapshots (/display/state.json, socket), per address
    rate_booking: str = "5/minute;20/day"        # booking, cancel, reschedule (antrean/services/booking.py), per address
    rate_booking_read: str = "60/minute"         # free slots, a booking's page and QR, check-in, per address
    login_max_failures: int = 5         # failed logins per (username, address) in the window, then refused
    login_max_failures_address: int = 20  # failed logins per address (any usernames) in the window
    login_window_minutes: int = 15
    testing: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def printer_file_list(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.printer_files.split(",") if p.strip())

    @property
    def tz_label(self) -> str:
        return {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
                "Asia/Jayapura": "WIT"}.get(self.timezone, self.timezone)


_BOOL = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _coerce(name: str, typ, value):
    if typ in (bool, "bool"):
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v not in _BOOL:
            raise ConfigError(f"{name}: expected a boolean (true/false), got {value!r}")
        return _BOOL[v]
    if typ in (int, "int"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
    return value if isinstance(value, dict) else str(value)


def load_settings(overrides: dict | None = None, environ: dict | None = None) -> Settings:
    env = os.environ if environ is None else environ
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    instance = Path(overrides.get("instance_path") or env.get("ANTREAN_INSTANCE_PATH") or "instance").resolve()
    values: dict = {}
    file = instance / "antrean.toml"
    if file.exists():
        try:
            values.update({k.lower(): v for k, v in tomllib.loads(file.read_text("utf-8")).items()})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: {exc}") from None
    known = {f.name: f.type for f in fields(Settings)}
    for name in known:
        key = "ANTREAN_" + name.upper()
        if key in env:
            values[name] = env[key]
    values.update(overrides)
    unknown = set(values) - set(known)
    extra = {k: values.pop(k) for k in unknown}
    values = {k: _coerce(k, known[k], v) for k, v in values.items()}
    values["instance_path"] = str(instance)
    settings = Settings(**values)
    if extra:
        settings = replace(settings, extra={**settings.extra, **extra})
    _validate(settings)
    if not settings.database_url:
        _make_instance(instance)
        settings = replace(settings, database_url=f"sqlite:///{instance / 'antrean.db'}")
    if not settings.secret_key:
        settings = replace(settings, secret_key=_instance_secret(instance))
    return settings


OFFICE_CODE = re.compile(r"[A-Za-z0-9._-]{1,40}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: werkzeug.security methods: existing hashes name their own method, so changing this affects new hashes only
PASSWORD_HASH_METHOD = re.compile(r"scrypt(:\d+:\d+:\d+)?|pbkdf2:sha(256|512)(:[1-9]\d*)?")


def _validate(s: Settings) -> None:
    """Every setting checked before anything starts; ConfigError names the setting in one line."""
    try:
        s.tz
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {s.timezone!r}") from None
    if s.language not in ("id", "en"):
        raise ConfigError(f"language: expected 'id' or 'en', got {s.language!r}")
    if not OFFICE_CODE.fullmatch(s.office_code):
        raise ConfigError(f"office_code: 1-40 characters of A-Z a-z 0-9 . _ - expected, got {s.office_code!r}")
    for name, low, high in (("token_hours", 1, 24 * 366), ("session_minutes", 1, 60 * 24 * 366),
                            ("trusted_proxies", 0, 5), ("print_job_max_age_minutes", 0, 24 * 60)):
        if not low <= getattr(s, name) <= high:
            raise ConfigError(f"{name}: expected a whole number from {low} to {high}, got {getattr(s, name)}")
    if s.public_url:
        u = urlsplit(s.public_url)
        if u.scheme not in ("http", "https") or not u.hostname or u.query or u.fragment:
            raise ConfigError(f"public_url: expected http://HOST[:PORT][/PATH] (the address phones reach this "
                              f"server at, e.g. http://192.168.1.10:5000), got {s.public_url!r}")
        try:
            u.port
        except ValueError:
            raise ConfigError(f"public_url: bad port in {s.public_url!r}") from None
    _check_agenda_format(s.agenda_format)
    if s.printer_profile.strip().lower() not in ("58", "58mm", "80", "80mm"):
        raise ConfigError(f"printer_profile: expected 58mm or 80mm, got {s.printer_profile!r}")
    if s.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"log_level: expected one of {', '.join(LOG_LEVELS)}, got {s.log_level!r}")
    if s.log_format not in ("text", "json"):
        raise ConfigError(f"log_format: expected 'text' or 'json', got {s.log_format!r}")
    if not PASSWORD_HASH_METHOD.fullmatch(s.password_hash_method):
        raise ConfigError(f"password_hash_method: expected scrypt[:N:r:p] or pbkdf2:sha256[:ITERATIONS] "
                          f"(werkzeug's methods; keep the default scrypt outside tests), got {s.password_hash_method!r}")
    if s.secret_key and (len(s.secret_key) < 32 or s.secret_key.upper() == "CHANGE-ME"):
        raise ConfigError("secret_key: too short or still the example (at least 32 random characters: "
                          "python3 -c 'import secrets; print(secrets.token_hex(32))'; or leave it unset "
                          "and one is generated into the instance folder)")
    if s.database_url:
        check_database_url(s.database_url)
    if s.redis_url and urlsplit(s.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"redis_url: expected redis://HOST:PORT/DB, got {s.redis_url!r}")


def _check_agenda_format(fmt: str) -> None:
    """The agenda number format must render and must contain the sequence number."""
    sample = {"code": "KTP", "month": 11, "month_roman": "XI", "year": 2026, "office": "kecamatan"}
    try:
        one, two = fmt.format(seq=1, **sample), fmt.format(seq=2, **sample)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        raise ConfigError(f"agenda_format: {fmt!r} does not render ({type(exc).__name__}: {exc}); fields: "
                          "seq, code, month, month_roman, year, office") from None
    if one == two:
        raise ConfigError(f"agenda_format: {fmt!r} has no {{seq}}: every agenda number would be the same")


def check_database_url(url: str) -> None:
    """Parse the database URL (no connection): scheme and database named."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database_url: cannot parse {url!r}; expected sqlite:///PATH or "
                          "postgresql://USER@HOST/DATABASE") from None
    backend = u.get_backend_name()
    if backend not in ("sqlite", "postgresql") or u.get_driver_name() not in ("pysqlite", "psycopg", "psycopg2"):
        raise ConfigError(f"database_url: unknown scheme {u.drivername!r}; expected sqlite:///PATH or "
                          "postgresql://USER@HOST/DATABASE")
    if not u.database:
        raise ConfigError(f"database_url: no database named in {u.render_as_string(hide_password=True)!r} "
                          f"({'sqlite:///PATH/antrean.db' if backend == 'sqlite' else 'postgresql://USER@HOST/DATABASE'})")


def _make_instance(instance: Path) -> None:
    try:
        instance.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"instance_path: cannot create {instance}: {exc.strerror}") from None


def _instance_secret(instance: Path) -> str:
    """A secret generated once per installation, so sessions survive restarts."""
    _make_instance(instance)
    path = instance / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_hex(32)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"secret_key: cannot read or create {path}: {exc.strerror} "
                          "(set ANTREAN_SECRET_KEY or make the instance folder writable)") from None
