"""Office time: days are local dates in the office's zone; timestamps are UTC."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

HARI = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(dt: datetime) -> datetime:
    """Naive datetimes from the database are UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    return as_utc(dt).astimezone(tz)


def office_day(tz: ZoneInfo, now: datetime | None = None) -> date:
    return local(now or utcnow(), tz).date()


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else as_utc(dt).isoformat().replace("+00:00", "Z")


def tanggal(dt: datetime) -> str:
    """'Rabu, 25 November 2026' (no locale dependency)."""
    return f"{HARI[dt.weekday()]}, {dt.day} {BULAN[dt.month - 1]} {dt.year}"


def minutes_between(a: datetime, b: datetime) -> float:
    return round((as_utc(b) - as_utc(a)).total_seconds() / 60.0, 2)
