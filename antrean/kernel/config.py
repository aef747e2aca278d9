"""Settings from environment variables and an optional instance file.

Precedence: explicit ``overrides`` (tests, create_app(config=...)) >
environment ``ANTREAN_*`` > ``<instance>/antrean.toml`` > defaults.

Validated by a typed schema (pydantic, like the API's requests and the SOP files): each setting's type comes
from :class:`Settings`, its rule from ``RULES``; an error is one line naming the setting and where it was set
("token_hours: expected an integer, got 'many' (ANTREAN_TOKEN_HOURS)").
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from antrean.kernel.schema import expected


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    instance_path: str = "instance"
    database_url: str = ""  # default: sqlite:///<instance>/antrean.db
    redis_url: str = ""  # optional Socket.IO message queue
    secret_key: str = ""  # default: generated once into <instance>/secret_key
    office_code: str = "kecamatan"
    office_name: str = "Kantor Kecamatan"
    office_address: str = ""
    timezone: str = "Asia/Jakarta"
    language: str = "id"
    printer_url: str = "none"  # default printer of kiosks without their own
    printer_profile: str = "80mm"
    printer_files: str = ""  # comma-separated paths a file:// printer may write besides character devices
    public_url: str = ""  # base URL printed in the ticket QR (default: request host)
    notify_url: str = "none"  # message gateway: none | log | http(s)://… | webhook+https://… | smtp://…
    notify_webhook_body: str = ""  # JSON template of the webhook's body ({phone} {text} {id} {kind})
    notify_webhook_headers: str = ""  # JSON object of extra headers (e.g. {"Authorization": "TOKEN"})
    agenda_format: str = "{seq:04d}/{code}/Kec/{month_roman}/{year}"
    token_hours: int = 12  # lifetime of API bearer tokens
    session_minutes: int = 480  # staff session idle timeout
    start_workers: bool = True  # print spooler and other background workers
    calendar: bool = True  # follow the office calendar (hours, holidays); false: always open
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR
    log_format: str = "text"  # text | json (one JSON object per line)
    print_job_max_age_minutes: int = 5  # a ticket not printed by then is marked failed, never printed later; 0 = never
    password_hash_method: str = "scrypt"  # werkzeug method for new password/PIN hashes; tests use a cheap one
    # -- abuse at the door (antrean/web/limits.py; docs/security.md) -----------------------------------------
    trusted_proxies: int = 0  # reverse-proxy hops in front (nginx: 1): X-Forwarded-For/-Proto/-Host trusted
    rate_exempt: str = "127.0.0.1,::1"  # addresses never rate-limited: the server PC's own kiosk and TV browsers
    rate_kiosk: str = "120/minute"  # a kiosk registered with `antrean kiosk add`, per device and kind
    rate_ticket: str = "5/minute;20/hour"  # anonymous ticket issue, per address
    rate_ticket_service_day: str = "3/day"  # anonymous ticket issue, per address and service per day
    rate_status: str = "60/minute"  # ticket status (page, JSON, API), per address
    rate_survey: str = "5/minute;30/day"  # survey answers, per address
    rate_login: str = "10/minute;60/hour"  # console login form and /api/v1/auth/token, per address
    rate_board: str = "30/minute"  # anonymous board snapshots (/display/state.json, socket), per address
    rate_booking: str = "5/minute;20/day"  # booking, cancel, reschedule (antrean/services/booking.py), per address
    rate_booking_read: str = "60/minute"  # free slots, a booking's page and QR, check-in, per address
    login_max_failures: int = 5  # failed logins per (username, address) in the window, then refused
    login_max_failures_address: int = 20  # failed logins per address (any usernames) in the window
    login_window_minutes: int = 15
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def printer_file_list(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.printer_files.split(",") if p.strip())

    @property
    def tz_label(self) -> str:
        return {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(
            self.timezone, self.timezone
        )


_BOOL = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _boolean(value: object) -> object:
    """Environment and file spellings of a boolean (anything else: 'expected true or false')."""
    if isinstance(value, str):
        return _BOOL.get(value.strip().lower(), value)
    return value


_BeforeBool = BeforeValidator(_boolean)


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    instance = Path(overrides.get("instance_path") or env.get("ANTREAN_INSTANCE_PATH") or "instance").resolve()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}  # where each value was set, for the error message
    file = instance / "antrean.toml"
    if file.exists():
        try:
            values.update({k.lower(): v for k, v in tomllib.loads(file.read_text("utf-8")).items()})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: {exc}") from None
        sources.update({k: str(file) for k in values})
    known = {f.name: f.type for f in fields(Settings)}
    for name in known:
        key = "ANTREAN_" + name.upper()
        if key in env:
            values[name] = env[key]
            sources[name] = key
    values.update(overrides)
    sources.update({k: "configuration" for k in overrides})
    unknown = set(values) - set(known)
    extra = {k: values.pop(k) for k in unknown}
    values = validate_values(values, sources)
    values["instance_path"] = str(instance)
    settings = Settings(**values)
    if extra:
        settings = replace(settings, extra={**settings.extra, **extra})
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


def _check(test: Callable[[Any], bool], message: str) -> AfterValidator:
    """A rule: ``test(value)`` or ValueError(message) (``{value!r}`` in it is the value)."""

    def run(value: Any) -> Any:
        if not test(value):
            raise ValueError(message.format(value=value))
        return value

    return AfterValidator(run)


def _between(low: int, high: int) -> AfterValidator:
    return _check(lambda v: low <= v <= high, f"expected a whole number from {low} to {high}, got {{value}}")


def _zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _public_url(url: str) -> str:
    if url:
        u = urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname or u.query or u.fragment:
            raise ValueError(
                f"expected http://HOST[:PORT][/PATH] (the address phones reach this server at, e.g. "
                f"http://192.168.1.10:5000), got {url!r}"
            )
        try:
            u.port  # noqa: B018 - reading it parses it
        except ValueError:
            raise ValueError(f"bad port in {url!r}") from None
    return url


def _secret(key: str) -> str:
    if key and (len(key) < 32 or key.upper() == "CHANGE-ME"):
        raise ValueError(
            "too short or still the example (at least 32 random characters: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'; or leave it unset "
            "and one is generated into the instance folder)"
        )
    return key


def _agenda(fmt: str) -> str:
    _check_agenda_format(fmt)
    return fmt


def _database(url: str) -> str:
    if url:
        check_database_url(url)
    return url


#: each setting's rule beyond its type (the type is the Settings field's)
RULES: dict[str, tuple[AfterValidator, ...]] = {
    "timezone": (_check(_zone, "unknown time zone {value!r}"),),
    "language": (_check(lambda v: v in ("id", "en"), "expected 'id' or 'en', got {value!r}"),),
    "office_code": (
        _check(
            lambda v: OFFICE_CODE.fullmatch(v) is not None,
            "1-40 characters of A-Z a-z 0-9 . _ - expected, got {value!r}",
        ),
    ),
    "token_hours": (_between(1, 24 * 366),),
    "session_minutes": (_between(1, 60 * 24 * 366),),
    "trusted_proxies": (_between(0, 5),),
    "print_job_max_age_minutes": (_between(0, 24 * 60),),
    "public_url": (AfterValidator(_public_url),),
    "agenda_format": (AfterValidator(_agenda),),
    "printer_profile": (
        _check(lambda v: v.strip().lower() in ("58", "58mm", "80", "80mm"), "expected 58mm or 80mm, got {value!r}"),
    ),
    "log_level": (
        _check(lambda v: v.upper() in LOG_LEVELS, f"expected one of {', '.join(LOG_LEVELS)}, got {{value!r}}"),
    ),
    "log_format": (_check(lambda v: v in ("text", "json"), "expected 'text' or 'json', got {value!r}"),),
    "password_hash_method": (
        _check(
            lambda v: PASSWORD_HASH_METHOD.fullmatch(v) is not None,
            "expected scrypt[:N:r:p] or pbkdf2:sha256[:ITERATIONS] (werkzeug's methods; keep "
            "the default scrypt outside tests), got {value!r}",
        ),
    ),
    "secret_key": (AfterValidator(_secret),),
    "database_url": (AfterValidator(_database),),
    "redis_url": (
        _check(
            lambda v: not v or urlsplit(v).scheme in ("redis", "rediss", "unix"),
            "expected redis://HOST:PORT/DB, got {value!r}",
        ),
    ),
}
_TYPES = {"str": str, "int": int, "bool": bool}


def settings_schema() -> type[BaseModel]:
    """The pydantic model of the settings: built from :class:`Settings` (type) and ``RULES`` (rule), once."""
    global _SCHEMA
    if _SCHEMA is None:
        spec: dict[str, Any] = {}
        for f in fields(Settings):
            typ = _TYPES.get(f.type) if isinstance(f.type, str) else f.type
            if typ is None:
                continue  # extra: free-form
            if typ is bool:
                typ = Annotated[bool, _BeforeBool]
            spec[f.name] = (Annotated[typ, *RULES[f.name]] if f.name in RULES else typ, None)
        _SCHEMA = create_model(
            "SettingsSchema", __config__=ConfigDict(coerce_numbers_to_str=True, extra="ignore"), **spec
        )
    return _SCHEMA


_SCHEMA: type[BaseModel] | None = None


def validate_values(values: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The given settings converted to their types and checked; ConfigError in one line naming the setting and
    where it was set (the environment variable or the file)."""
    known = {k: v for k, v in values.items() if k != "extra"}
    try:
        model = settings_schema().model_validate(known)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        raise ConfigError(_say(name, err) + _source(name, sources)) from None
    out = model.model_dump(include=set(known))
    return out | ({"extra": values["extra"]} if "extra" in values else {})


def _say(name: str, err: Mapping[str, Any]) -> str:
    if err["type"] == "value_error":
        text = str((err.get("ctx") or {}).get("error", err["msg"]))
        return text if text.startswith(f"{name}:") else f"{name}: {text}"
    want = expected(err) or err["msg"].lower()
    if want == "true or false":
        want = "a boolean (true/false)"
    return f"{name}: expected {want}, got {err.get('input')!r}"


def _source(name: str, sources: Mapping[str, str] | None) -> str:
    where = (sources or {}).get(name)
    return "" if where in (None, "configuration") else f" (set in {where})"


def _validate(s: Settings) -> None:
    """Every setting of ``s`` checked (as load_settings does); ConfigError names the setting in one line."""
    validate_values({f.name: getattr(s, f.name) for f in fields(Settings)})


def _check_agenda_format(fmt: str) -> None:
    """The agenda number format must render and must contain the sequence number."""
    sample = {"code": "KTP", "month": 11, "month_roman": "XI", "year": 2026, "office": "kecamatan"}
    try:
        one, two = fmt.format(seq=1, **sample), fmt.format(seq=2, **sample)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        raise ConfigError(
            f"agenda_format: {fmt!r} does not render ({type(exc).__name__}: {exc}); fields: "
            "seq, code, month, month_roman, year, office"
        ) from None
    if one == two:
        raise ConfigError(f"agenda_format: {fmt!r} has no {{seq}}: every agenda number would be the same")


def check_database_url(url: str) -> None:
    """Parse the database URL (no connection): scheme and database named."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"database_url: cannot parse {url!r}; expected sqlite:///PATH or postgresql://USER@HOST/DATABASE"
        ) from None
    backend = u.get_backend_name()
    if backend not in ("sqlite", "postgresql") or u.get_driver_name() not in ("pysqlite", "psycopg", "psycopg2"):
        raise ConfigError(
            f"database_url: unknown scheme {u.drivername!r}; expected sqlite:///PATH or postgresql://USER@HOST/DATABASE"
        )
    if not u.database:
        raise ConfigError(
            f"database_url: no database named in {u.render_as_string(hide_password=True)!r} "
            f"({'sqlite:///PATH/antrean.db' if backend == 'sqlite' else 'postgresql://USER@HOST/DATABASE'})"
        )


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
        raise ConfigError(
            f"secret_key: cannot read or create {path}: {exc.strerror} "
            "(set ANTREAN_SECRET_KEY or make the instance folder writable)"
        ) from None
