"""The office's working-day calendar: office hours per weekday, breaks (the Friday prayer break),
national holidays, cuti bersama and ad-hoc closures (a list the admin enters per year, never a rule).

Two layers:

* :class:`Rules` — pure, no database, no Flask: the office hours and the entries of one office, and
  every question asked of them (``status``, ``is_open``, ``next_open``, ``office_minutes_between``,
  ``working_days_between``, ``add_working_days``, ``days``).
* :class:`CalendarService` (``core.calendar``) — loads the rules from storage (setting
  ``office_hours`` and table ``calendar_day``) and changes them (admin only, audited, each change
  publishes ``calendar.changed`` through ``core.audit``).

Times in and out are UTC (naive datetimes are UTC, as in the database); days are office-local dates.
With the configuration ``calendar = false`` (tests of other areas, a 24-hour demo) the office is
always open and office minutes are wall-clock minutes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from antrean.kernel import i18n, policy
from antrean.kernel.errors import Invalid, NotFound
from antrean.kernel.models import CalendarDay, Setting
from antrean.kernel.timeutil import BULAN, HARI, as_utc, day_names, month_names, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HARI_EN = tuple(day_names("en"))
MONTH_EN = tuple(month_names("en"))

#: kind -> its label (a message id of the catalogs; translated where shown)
KINDS: dict[str, str] = {
    "libur_nasional": i18n.N_("libur nasional"),
    "cuti_bersama": i18n.N_("cuti bersama"),
    "penutupan": i18n.N_("penutupan kantor"),
}
#: spellings accepted in CSV files and forms
KIND_ALIASES = {
    "libur nasional": "libur_nasional",
    "libur": "libur_nasional",
    "holiday": "libur_nasional",
    "cuti bersama": "cuti_bersama",
    "cuti": "cuti_bersama",
    "penutupan kantor": "penutupan",
    "tutup": "penutupan",
    "closure": "penutupan",
}

#: the default office hours (setting ``office_hours``): Monday–Friday 08:00–15:00, Friday with the
#: prayer break 11:30–13:00 (so Friday is the shorter day), Saturday and Sunday closed.
DEFAULT_HOURS: dict = {
    "days": {
        "mon": ["08:00", "15:00"],
        "tue": ["08:00", "15:00"],
        "wed": ["08:00", "15:00"],
        "thu": ["08:00", "15:00"],
        "fri": ["08:00", "15:00"],
        "sat": None,
        "sun": None,
    },
    "breaks": {"fri": [["11:30", "13:00"]]},
}

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_SEARCH_DAYS = 400  # next_open looks this far ahead (a year of entries and then some)


def minutes_of(hhmm: str) -> int:
    """ "08:30" -> 510 (minutes since midnight)."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def hhmm(minutes: int, sep: str = ":") -> str:
    """510 -> "08:30"."""
    return f"{minutes // 60:02d}{sep}{minutes % 60:02d}"


def _to_utc_naive(at: datetime | None) -> datetime:
    return as_utc(at or utcnow()).replace(tzinfo=None)


def _cut(spans: list[tuple[int, int]], a: int, b: int) -> list[tuple[int, int]]:
    """``spans`` without the minutes [a, b)."""
    return [piece for s, e in spans for piece in ((s, min(e, a)), (max(s, b), e)) if piece[0] < piece[1]]


def _weekday_reason(wd: int) -> i18n.LazyString:
    return i18n.LazyString("Tutup — hari %(day)s", day=i18n.PerLanguage(id=HARI[wd], en=HARI_EN[wd]))


@dataclass(frozen=True)
class Entry:
    """One calendar day: a holiday, a cuti bersama day or a closure (whole day when start is None)."""

    day: date
    kind: str
    name: str
    start: int | None = None  # minutes from local midnight (partial closure)
    end: int | None = None

    @property
    def whole_day(self) -> bool:
        return self.start is None

    def reason(self) -> i18n.LazyString:
        if self.kind == "penutupan":
            return i18n.LazyString("Tutup — %(name)s", name=self.name)
        return i18n.LazyString("Tutup — %(kind)s: %(name)s", kind=i18n.LazyString(KINDS[self.kind]), name=self.name)

    def to_dict(self) -> dict:
        return {
            "date": self.day.isoformat(),
            "kind": self.kind,
            "kind_label": KINDS[self.kind],
            "kind_label_en": i18n.gettext(KINDS[self.kind], "en"),  # kept for API clients
            "name": self.name,
            "start": None if self.start is None else hhmm(self.start),
            "end": None if self.end is None else hhmm(self.end),
        }


@dataclass(frozen=True)
class Status:
    """Whether the office is open at one moment; when closed, why and when it reopens (UTC)."""

    open: bool
    reason_id: str | None = None
    reason_en: str | None = None
    reopens_at: datetime | None = None
    kind: str | None = None  # libur_nasional | cuti_bersama | penutupan | weekend | break | before | after
    message_id: str | None = None  # reason and reopening, the sentence faces show
    message_en: str | None = None
    message: i18n.LazyString | None = None  # message_id/_en as a message id and its parameters

    def __iter__(self):  # open, reason_id, reason_en, reopens_at = status
        return iter((self.open, self.reason_id, self.reason_en, self.reopens_at))


@dataclass
class Rules:
    """Office hours and calendar entries of one office, and every question about them (pure)."""

    tz: ZoneInfo
    hours: dict = field(default_factory=lambda: DEFAULT_HOURS)
    entries: dict[date, Entry] = field(default_factory=dict)
    always_open: bool = False

    # -- one day --------------------------------------------------------------------------------
    def _day_spans(self, d: date) -> tuple[list[tuple[int, int]], Entry | None]:
        """Open spans of local day ``d`` in minutes from midnight, and the entry that closes it if any."""
        if self.always_open:
            return [(0, 1440)], None
        entry = self.entries.get(d)
        if entry is not None and entry.whole_day:
            return [], entry
        spans = self._week()[d.weekday()]
        if entry is not None and entry.start is not None and entry.end is not None and spans:  # a partial closure
            spans = _cut(spans, entry.start, entry.end)
        return spans, entry

    def _week(self) -> list[list[tuple[int, int]]]:
        """Open spans per weekday (Monday first) after the breaks, parsed once."""
        week = self.__dict__.get("_week_spans")
        if week is None:
            week = []
            for wd in WEEKDAYS:
                hours = (self.hours.get("days") or {}).get(wd)
                spans = [(minutes_of(hours[0]), minutes_of(hours[1]))] if hours else []
                for a, b in (self.hours.get("breaks") or {}).get(wd) or ():
                    spans = _cut(spans, minutes_of(a), minutes_of(b))
                week.append(spans)
            self.__dict__["_week_spans"] = week
        return week

    def _at(self, d: date, minutes: int) -> datetime:
        """UTC (naive) of local day ``d`` + ``minutes``."""
        local = datetime.combine(d, time(0), self.tz) + timedelta(minutes=minutes)
        return local.astimezone(UTC).replace(tzinfo=None)

    def open_intervals(self, d: date) -> list[tuple[datetime, datetime]]:
        """The office's open intervals on local day ``d``, as naive UTC datetimes."""
        return [(self._at(d, s), self._at(d, e)) for s, e in self._day_spans(d)[0]]

    def is_working_day(self, d: date) -> bool:
        return bool(self._day_spans(d)[0])

    # -- a moment -----------------------------------------------------------------------------------
    def status(self, at: datetime | None = None) -> Status:
        at = _to_utc_naive(at)
        local = as_utc(at).astimezone(self.tz)
        d, now_m = local.date(), local.hour * 60 + local.minute + local.second / 60
        spans, entry = self._day_spans(d)
        if any(s <= now_m < e for s, e in spans):
            return Status(True)
        reopens = self.next_open(at)
        wd = d.weekday()
        if not spans:
            if entry is not None:
                reason, kind = entry.reason(), entry.kind
            else:
                reason, kind = _weekday_reason(wd), "weekend"
        elif (
            entry is not None and entry.start is not None and entry.end is not None and entry.start <= now_m < entry.end
        ):  # a partial closure
            reason, kind = entry.reason(), entry.kind
        elif now_m < spans[0][0]:
            reason, kind = i18n.LazyString("Belum buka"), "before"
        elif now_m >= spans[-1][1]:
            reason, kind = i18n.LazyString("Tutup — di luar jam layanan"), "after"
        elif WEEKDAYS[wd] == "fri":
            reason, kind = i18n.LazyString("Istirahat salat Jumat"), "break"
        else:
            reason, kind = i18n.LazyString("Istirahat"), "break"
        reopen = self._reopen_text(local, reopens)
        message = reason if reopen is None else i18n.LazyString("%(reason)s, %(reopen)s", reason=reason, reopen=reopen)
        return Status(False, *reason.pair(), reopens, kind, *message.pair(), message)

    def _reopen_text(self, local_now: datetime, reopens: datetime | None) -> i18n.LazyString | None:
        if reopens is None:
            return None
        r = as_utc(reopens).astimezone(self.tz)
        at = i18n.PerLanguage(id=f"{r.hour:02d}.{r.minute:02d}", en=f"{r.hour:02d}:{r.minute:02d}")
        if r.date() == local_now.date():
            return i18n.LazyString("buka kembali %(time)s", time=at)
        if r.date() == local_now.date() + timedelta(days=1):
            return i18n.LazyString("buka kembali besok %(time)s", time=at)
        day = i18n.PerLanguage(
            id=f"{HARI[r.weekday()]}, {r.day} {BULAN[r.month - 1]}",
            en=f"{HARI_EN[r.weekday()]}, {r.day} {MONTH_EN[r.month - 1]}",
        )
        return i18n.LazyString("buka kembali %(day)s %(time)s", day=day, time=at)

    def day_reason(self, d: date) -> i18n.LazyString | None:
        """Why local day ``d`` is closed all day (None when it has open hours)."""
        spans, entry = self._day_spans(d)
        if spans:
            return None
        return entry.reason() if entry else _weekday_reason(d.weekday())

    def is_open(self, at: datetime | None = None) -> bool:
        return self.status(at).open

    def next_open(self, at: datetime | None = None) -> datetime | None:
        """The first moment at or after ``at`` the office is open (UTC), None if not within ~a year."""
        at = _to_utc_naive(at)
        d = as_utc(at).astimezone(self.tz).date()
        for i in range(_SEARCH_DAYS):
            for start, end in self.open_intervals(d + timedelta(days=i)):
                if end > at:
                    return max(start, at)
        return None

    # -- spans of time ----------------------------------------------------------------------------
    def office_minutes_between(self, start: datetime, end: datetime) -> float:
        """Minutes of office time (open intervals only) between two UTC moments, 2 decimals; 0 if end <= start."""
        start, end = _to_utc_naive(start), _to_utc_naive(end)
        if end <= start:
            return 0.0
        if self.always_open:
            return round((end - start).total_seconds() / 60.0, 2)
        d0 = as_utc(start).astimezone(self.tz).date()
        d1 = as_utc(end).astimezone(self.tz).date()
        seconds = 0.0
        for d in {d0, d1}:  # the first and last day: cut at start and end
            for a, b in self.open_intervals(d):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    seconds += (hi - lo).total_seconds()
        d = d0 + timedelta(days=1)
        while d < d1:  # whole days between: their open minutes
            seconds += 60 * sum(e - s for s, e in self._day_spans(d)[0])
            d += timedelta(days=1)
        return round(seconds / 60.0, 2)

    def working_days_between(self, first: date, last: date) -> int:
        """Working days d with ``first`` < d <= ``last`` ("within 3 working days" of ``first``)."""
        n, d = 0, first + timedelta(days=1)
        while d <= last:
            n += self.is_working_day(d)
            d += timedelta(days=1)
        return n

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (n >= 1), e.g. a SP4N-LAPOR deadline."""
        if n < 1:
            return d
        for i in range(1, _SEARCH_DAYS * 2):
            nd = d + timedelta(days=i)
            if self.is_working_day(nd):
                n -= 1
                if n == 0:
                    return nd
        raise Invalid("Kalender tidak punya hari kerja yang cukup.")

    def days(self, first: date, last: date) -> list[dict]:
        """One dict per local day from ``first`` to ``last`` inclusive: open spans and, when closed, why."""
        out, d = [], first
        while d <= last:
            spans, entry = self._day_spans(d)
            row = {
                "date": d.isoformat(),
                "weekday": HARI[d.weekday()],
                "open": bool(spans),
                "hours": [[hhmm(s), hhmm(e)] for s, e in spans],
                "entry": entry.to_dict() if entry else None,
                "reason": None,
                "reason_en": None,
            }
            if not spans:
                row["reason"], row["reason_en"] = (entry.reason() if entry else _weekday_reason(d.weekday())).pair()
            out.append(row)
            d += timedelta(days=1)
        return out


# -- validation ---------------------------------------------------------------------------------------
def validate_hours(value) -> dict:
    """A clean ``office_hours`` setting or Invalid with a readable message."""
    bad = Invalid("Jam kantor tidak sah: gunakan JJ:MM, buka sebelum tutup, istirahat di dalam jam buka.")
    if not isinstance(value, dict):
        raise bad
    days_in, breaks_in = value.get("days") or {}, value.get("breaks") or {}
    if (
        not isinstance(days_in, dict)
        or not isinstance(breaks_in, dict)
        or set(days_in) - set(WEEKDAYS)
        or set(breaks_in) - set(WEEKDAYS)
    ):
        raise Invalid(bad.msgid, detail="days/breaks must map mon..sun")
    days: dict = {}
    for wd in WEEKDAYS:
        h = days_in.get(wd)
        if not h:
            days[wd] = None
            continue
        if not (
            isinstance(h, (list, tuple))
            and len(h) == 2
            and all(isinstance(x, str) and _HHMM.match(x) for x in h)
            and minutes_of(h[0]) < minutes_of(h[1])
        ):
            raise Invalid(bad.msgid, detail=f"{wd}: {h!r}")
        days[wd] = [h[0], h[1]]
    breaks: dict = {}
    for wd, items in breaks_in.items():
        clean = []
        for b in items or ():
            if not (
                isinstance(b, (list, tuple))
                and len(b) == 2
                and all(isinstance(x, str) and _HHMM.match(x) for x in b)
                and minutes_of(b[0]) < minutes_of(b[1])
                and days[wd]
                and minutes_of(days[wd][0]) <= minutes_of(b[0])
                and minutes_of(b[1]) <= minutes_of(days[wd][1])
            ):
                raise Invalid(bad.msgid, detail=f"break {wd}: {b!r} (hours {days[wd]!r})")
            clean.append([b[0], b[1]])
        if clean:
            breaks[wd] = sorted(clean)
    return {"days": days, "breaks": breaks}


def parse_day(value) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid("Tanggal harus berformat TTTT-BB-HH.", detail=repr(value)) from None


def parse_kind(value) -> str:
    k = str(value or "libur_nasional").strip().lower()
    k = KIND_ALIASES.get(k, k.replace("-", "_").replace(" ", "_"))
    if k not in KINDS:
        raise Invalid("Jenis harus libur nasional, cuti bersama atau penutupan.", detail=repr(value))
    return k


def clean_entry(day, name, kind=None, start=None, end=None) -> Entry:
    d = parse_day(day)
    name = " ".join(str(name or "").split())
    if not name or len(name) > 120:
        raise Invalid("Nama hari libur wajib diisi (maksimal 120 karakter).")
    k = parse_kind(kind)
    s, e = (start or None), (end or None)
    if (s is None) != (e is None):
        raise Invalid("Penutupan sebagian hari perlu jam mulai dan jam selesai.")
    if s is not None and e is not None:
        if not (_HHMM.match(str(s)) and _HHMM.match(str(e)) and minutes_of(s) < minutes_of(e)):
            raise Invalid("Jam penutupan tidak sah (JJ:MM, mulai sebelum selesai).", detail=f"{s!r}-{e!r}")
        if k != "penutupan":
            raise Invalid("Hanya penutupan yang boleh sebagian hari.")
        return Entry(d, k, name, minutes_of(s), minutes_of(e))
    return Entry(d, k, name)


def parse_csv(text: str) -> list[Entry]:
    """``date,name[,kind]`` per line (a header line ``date,name,kind`` or ``tanggal,nama,jenis`` is
    skipped, blank lines and lines starting with # too). All rows or none: the first bad rows raise
    Invalid naming their line numbers."""
    errors: list[i18n.LazyString] = []
    out: list[Entry] = []
    seen: dict[date, int] = {}
    for lineno, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if lineno == 1 and cells[0].lower() in ("date", "tanggal"):
            continue
        if len(cells) not in (2, 3):
            errors.append(
                i18n.LazyString(
                    "baris %(line)s: perlu 2 atau 3 kolom (tanggal,nama[,jenis]), ada %(n)s", line=lineno, n=len(cells)
                )
            )
            continue
        try:
            e = clean_entry(cells[0], cells[1], cells[2] if len(cells) == 3 else None)
        except Invalid as exc:
            error = i18n.LazyString(exc.msgid, **exc.params)
            errors.append(
                i18n.LazyString(
                    "baris %(line)s: %(error)s (%(cells)s)", line=lineno, error=error, cells=", ".join(cells)
                )
            )
            continue
        if e.day in seen:
            errors.append(
                i18n.LazyString(
                    "baris %(line)s: tanggal %(date)s sudah ada di baris %(first)s",
                    line=lineno,
                    date=e.day.isoformat(),
                    first=seen[e.day],
                )
            )
            continue
        seen[e.day] = lineno
        out.append(e)
    if errors:
        more = [i18n.LazyString("… dan %(n)s kesalahan lain", n=len(errors) - 10)] if len(errors) > 10 else []
        shown = errors[:10] + more
        raise Invalid(
            "Berkas CSV tidak diimpor, tidak ada yang berubah:\n%(errors)s",
            params={
                "errors": i18n.PerLanguage(
                    **{lang: "\n".join(e.render(lang) for e in shown) for lang in i18n.LANGUAGES}
                )
            },
            detail="; ".join(e.render("en") for e in errors[10:]),
        )
    return out


# -- the service -----------------------------------------------------------------------------------
class CalendarService:
    """``core.calendar``: loads the office's rules and changes them (admin, audited, events)."""

    def __init__(self, core: Antrean) -> None:
        self.core = core
        self._cached: tuple[float, Rules] | None = None
        self._generation = 0  # bumped by each change: a load that raced a change is not kept

    @property
    def enabled(self) -> bool:
        return bool(self.core.settings.calendar)

    #: seconds a process keeps the rules it loaded; a change made in this process applies at once, one made
    #: in another process (several servers on one PostgreSQL) within this many seconds
    CACHE_SECONDS = 30.0

    def rules(self, session=None) -> Rules:
        """The office's rules (cached for :attr:`CACHE_SECONDS`; ticketing asks on every ticket)."""
        core = self.core
        if not self.enabled:
            return Rules(core.tz, always_open=True)
        cached = self._cached
        if cached is not None and monotonic() - cached[0] < self.CACHE_SECONDS:
            return cached[1]

        def q(s):
            hours = core.get_setting("office_hours", None, session=s) or DEFAULT_HOURS
            rows = s.execute(select(CalendarDay).where(CalendarDay.office_id == core.office_id)).scalars()
            entries = {
                r.day: Entry(
                    r.day,
                    r.kind,
                    r.name,
                    None if r.start_time is None else minutes_of(r.start_time),
                    None if r.end_time is None else minutes_of(r.end_time),
                )
                for r in rows
            }
            return Rules(core.tz, hours, entries)

        started, generation = monotonic(), self._generation
        if session is not None:
            rules = q(session)
        else:
            with core.db.read() as s:
                rules = q(s)
        if generation == self._generation:
            self._cached = (started, rules)
        return rules

    def invalidate(self) -> None:
        """Forget the cached rules (after a change in this process)."""
        self._generation += 1
        self._cached = None

    # the questions, on the current rules
    def status(self, at: datetime | None = None, session=None) -> Status:
        return self.rules(session).status(at)

    def is_open(self, at: datetime | None = None, session=None) -> bool:
        return self.rules(session).is_open(at)

    def next_open(self, at: datetime | None = None, session=None) -> datetime | None:
        return self.rules(session).next_open(at)

    def office_minutes_between(self, start: datetime, end: datetime, session=None) -> float:
        return self.rules(session).office_minutes_between(start, end)

    def working_days_between(self, first: date, last: date, session=None) -> int:
        return self.rules(session).working_days_between(first, last)

    def add_working_days(self, d: date, n: int, session=None) -> date:
        return self.rules(session).add_working_days(d, n)

    def days(self, first: date, last: date, session=None) -> list[dict]:
        return self.rules(session).days(parse_day(first), parse_day(last))

    # -- reading the settings -------------------------------------------------------------------------
    def hours(self) -> dict:
        return self.core.get_setting("office_hours", None) or DEFAULT_HOURS

    def entries(self, year: int | None = None) -> list[dict]:
        core = self.core
        with core.db.read() as s:
            q = select(CalendarDay).where(CalendarDay.office_id == core.office_id)
            if year is not None:
                q = q.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            return [self._row(r) for r in s.execute(q.order_by(CalendarDay.day)).scalars()]

    @staticmethod
    def _row(r: CalendarDay) -> dict:
        e = Entry(
            r.day,
            r.kind,
            r.name,
            None if r.start_time is None else minutes_of(r.start_time),
            None if r.end_time is None else minutes_of(r.end_time),
        )
        return e.to_dict()

    # -- changes (admin) ------------------------------------------------------------------------------
    def _may_change(self, actor) -> None:
        """Office hours and the calendar are office settings: antrean.kernel.policy ``settings.write`` (admin)."""
        policy.require(self.core, actor, "settings.write")

    def set_hours(self, actor, value: dict) -> dict:
        self._may_change(actor)
        clean = validate_hours(value)
        core = self.core
        with core.db.write() as s:
            row = s.get(Setting, (core.office_id, "office_hours"))
            old = None if row is None else row.value
            if row is None:
                s.add(Setting(office_id=core.office_id, key="office_hours", value=clean))
            else:
                row.value = clean
            self.invalidate()  # and again after commit: the events see the new rules
            core.audit(
                s, actor, "calendar.hours", "calendar", "office_hours", event={"change": "hours"}, old=old, new=clean
            )
        self.invalidate()
        return clean

    def add(self, actor, day, name, kind=None, start=None, end=None) -> dict:
        """Add (or replace) the entry of one date."""
        self._may_change(actor)
        e = clean_entry(day, name, kind, start, end)
        with self.core.db.write() as s:
            old = self._put(s, e)
            self.invalidate()  # and again after commit: the events see the new rules
            self.core.audit(
                s,
                actor,
                "calendar.add",
                "calendar",
                e.day.isoformat(),
                event={"change": "add", "date": e.day.isoformat(), "kind": e.kind},
                old=old,
                new=e.to_dict(),
            )
        self.invalidate()
        return e.to_dict()

    def _put(self, s, e: Entry) -> dict | None:
        core = self.core
        row = s.execute(
            select(CalendarDay).where(CalendarDay.office_id == core.office_id, CalendarDay.day == e.day)
        ).scalar_one_or_none()
        old = None if row is None else self._row(row)
        if row is None:
            row = CalendarDay(office_id=core.office_id, day=e.day)
            s.add(row)
        row.kind, row.name = e.kind, e.name
        row.start_time = None if e.start is None else hhmm(e.start)
        row.end_time = None if e.end is None else hhmm(e.end)
        return old

    def remove(self, actor, day) -> dict:
        """Remove the entry of one date (the CLI's and the page's argument is the date)."""
        self._may_change(actor)
        d = parse_day(day)
        core = self.core
        with core.db.write() as s:
            row = s.execute(
                select(CalendarDay).where(CalendarDay.office_id == core.office_id, CalendarDay.day == d)
            ).scalar_one_or_none()
            if row is None:
                raise NotFound("Tidak ada hari libur atau penutupan pada %(value)s.", params={"value": d.isoformat()})
            old = self._row(row)
            s.execute(delete(CalendarDay).where(CalendarDay.id == row.id))
            self.invalidate()  # and again after commit: the events see the new rules
            core.audit(
                s,
                actor,
                "calendar.remove",
                "calendar",
                d.isoformat(),
                event={"change": "remove", "date": d.isoformat(), "kind": old["kind"]},
                old=old,
            )
        self.invalidate()
        return old

    def import_csv(self, actor, text: str) -> dict:
        """Import ``date,name[,kind]`` rows in one transaction (all or nothing). Existing dates are replaced."""
        self._may_change(actor)
        entries = parse_csv(text)
        if not entries:
            raise Invalid("Berkas CSV kosong: tidak ada baris tanggal,nama[,jenis].")
        added = replaced = 0
        with self.core.db.write() as s:
            for e in entries:
                if self._put(s, e) is None:
                    added += 1
                else:
                    replaced += 1
            years = sorted({e.day.year for e in entries})
            self.invalidate()  # and again after commit: the events see the new rules
            self.core.audit(
                s,
                actor,
                "calendar.import",
                "calendar",
                ",".join(map(str, years)),
                event={"change": "import", "years": years, "rows": len(entries)},
                added=added,
                replaced=replaced,
                rows=[e.to_dict() for e in entries],
            )
        self.invalidate()
        return {"added": added, "replaced": replaced, "rows": len(entries)}


def format_entries(entries: Iterable[dict]) -> str:
    """Plain text for the CLI: one line per entry."""
    lines = []
    for e in entries:
        when = f" {e['start']}–{e['end']}" if e["start"] else ""
        lines.append(f"{e['date']}  {e['kind']:<15} {e['name']}{when}")
    return "\n".join(lines)
