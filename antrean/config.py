"""Settings from environment variables and an optional instance file.

Precedence: explicit ``overrides`` (tests, create_app(config=...)) >
environment ``ANTREAN_*`` > ``<instance>/antrean.toml`` > defaults.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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
    public_url: str = ""                # base URL printed in the ticket QR (default: request host)
    agenda_format: str = "{seq:04d}/{code}/Kec/{month_roman}/{year}"
    token_hours: int = 12               # lifetime of API bearer tokens
    session_minutes: int = 480          # staff session idle timeout
    start_workers: bool = True          # print spooler and other background workers
    calendar: bool = True               # follow the office calendar (hours, holidays); false: always open
    testing: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
    try:
        settings.tz
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {settings.timezone!r}") from None
    if settings.language not in ("id", "en"):
        raise ConfigError(f"language: expected 'id' or 'en', got {settings.language!r}")
    if not settings.database_url:
        instance.mkdir(parents=True, exist_ok=True)
        settings = replace(settings, database_url=f"sqlite:///{instance / 'antrean.db'}")
    if not settings.secret_key:
        settings = replace(settings, secret_key=_instance_secret(instance))
    return settings


def _instance_secret(instance: Path) -> str:
    """A secret generated once per installation, so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path.read_text().strip()
