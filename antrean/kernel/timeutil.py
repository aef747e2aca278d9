"""Office time: days are local dates in the office's zone; timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date


def day_names(lang: str = "id") -> list[str]:
    """Monday..Sunday in ``lang`` (CLDR, via Babel): Senin … Minggu."""
    days = Locale.parse(lang).days["format"]["wide"]
    return [days[i] for i in range(7)]


def month_names(lang: str = "id") -> list[str]:
    """January..December in ``lang`` (CLDR, via Babel): Januari … Desember."""
    months = Locale.parse(lang).months["format"]["wide"]
    return [months[m] for m in range(1, 13)]


HARI = day_names("id")
BULAN = month_names("id")
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(dt: datetime) -> datetime:
    """Naive datetimes from the database are UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    return as_utc(dt).astimezone(tz)


def office_day(tz: ZoneInfo, now: datetime | None = None) -> date:
    return local(now or utcnow(), tz).date()


@overload
def iso(dt: datetime) -> str: ...
@overload
def iso(dt: None) -> None: ...
@overload
def iso(dt: datetime | None) -> str | None: ...


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` (None stays None)."""
    return None if dt is None else as_utc(dt).isoformat().replace("+00:00", "Z")


def tanggal(dt: date, lang: str = "id") -> str:
    """'Jumat, 27 November 2026' ('Friday, 27 November 2026' in English): Babel's CLDR data, not the OS locale."""
    return format_date(dt, "EEEE, d MMMM y", locale=lang)


def minutes_between(a: datetime, b: datetime) -> float:
    return round((as_utc(b) - as_utc(a)).total_seconds() / 60.0, 2)
