"""What ``GET /-/health`` reports, and the log lines when the database or Redis changes state.

``check(core)`` → ``(ok, report)``. Not ok (HTTP 503) when the database cannot be read **or
written** (a SQLite file turned read-only, a full disk, a PostgreSQL standby) or the configured
Redis does not answer. Printers and the print spooler are reported (each printer's state and
its waiting jobs) and listed under ``problems``, but never make the server unhealthy: a jammed
printer is the front desk's problem, not a reason for a load balancer to drop the server.

A result is reused for ``CACHE_SECONDS``, so a flood of health requests costs one check.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from antrean import __version__
from antrean.kernel.db import db_reason
from antrean.kernel.logs import StateLog
from antrean.kernel.models import Printer, PrintJob, Setting
from antrean.kernel.timeutil import iso, utcnow

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
#: the row written by the write probe (bookkeeping, like a print job's "done": durable=False)
PROBE_KEY = "_health_probe"
#: a pending print job older than this is reported as a spooler problem
BACKLOG_AGE = timedelta(minutes=2)
_BAD_PRINTER = ("offline", "error", "paper_out")


def state_log(core) -> StateLog:
    states = core.extensions.get("antrean.states")
    if states is None:
        states = core.extensions["antrean.states"] = StateLog(logging.getLogger("antrean.state"))
    return states


def watch_database(core) -> None:
    """Log the database going away (WARNING) and coming back (INFO), seen from real traffic."""
    states = state_log(core)

    def _error(ctx):
        if ctx.is_disconnect or isinstance(ctx.sqlalchemy_exception, DBAPIError) and isinstance(
                ctx.original_exception, ctx.dialect.loaded_dbapi.OperationalError):
            states.report("database", False, db_reason(ctx.original_exception))

    def _commit(_conn):
        states.report("database", True)

    for engine in (core.db.engine,):
        event.listen(engine, "handle_error", _error)
        event.listen(engine, "commit", _commit)


class Monitor:
    """Runs the health check every ``interval`` seconds in the background so that the database
    (readable and writable) and Redis going away and coming back are logged even when nobody
    polls ``/-/health``. Started by the app factory with the other background workers."""

    def __init__(self, core, interval: float = 30.0):
        self.core, self.interval = core, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="antrean-health", daemon=True)

    def start(self) -> "Monitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                check(self.core)
            except Exception:  # noqa: BLE001 - the monitor must outlive any one failure
                log.exception("health check failed")


def check(core) -> tuple[bool, dict]:
    cache = core.extensions.setdefault("antrean.services.health", {"at": 0.0, "result": None, "lock": threading.Lock()})
    with cache["lock"]:
        if cache["result"] is not None and time.monotonic() - cache["at"] < CACHE_SECONDS:
            return cache["result"]
        result = _check(core)
        cache["at"], cache["result"] = time.monotonic(), result
        return result


def _check(core) -> tuple[bool, dict]:
    problems: list[str] = []
    states = state_log(core)
    database = _database(core)
    states.report("database", database["ok"], database.get("error", ""))
    if not database["ok"]:
        problems.append(f"database: {database['error']}")
    redis = None
    if core.settings.redis_url:
        redis = redis_status(core.settings.redis_url)
        states.report("redis", redis["ok"], redis.get("error", ""))
        if not redis["ok"]:
            problems.append(f"redis: {redis['error']}")
    ok = not problems
    printers, spooler = _printers(core) if database["ok"] else ([], None)
    for p in printers:
        if p["enabled"] and p["state"] in _BAD_PRINTER:
            problems.append(f"printer {p['name']}: {p['state']}")
    if spooler and spooler["oldest_pending_seconds"] is not None and \
            spooler["oldest_pending_seconds"] > BACKLOG_AGE.total_seconds():
        problems.append(f"spooler: {spooler['pending']} job(s) waiting, oldest {spooler['oldest_pending_seconds']} s")
    report = {"status": "ok" if ok else "error", "version": __version__, "office": core.settings.office_code,
              "database": database, "redis": redis, "printers": printers, "spooler": spooler,
              "problems": problems, "checked_at": iso(utcnow())}
    return ok, report


def _database(core) -> dict:
    out = {"ok": False, "dialect": core.db.dialect, "writable": False}
    try:
        with core.db.read() as s:
            s.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        out["error"] = f"cannot read: {db_reason(exc)}"
        return out
    try:
        _write_probe(core)
    except SQLAlchemyError as exc:
        out["error"] = f"cannot write: {db_reason(exc)}"
        return out
    out["ok"] = out["writable"] = True
    return out


def _write_probe(core) -> None:
    """A real committed write (not a rolled-back one: a file system remounted read-only fails only
    when SQLite writes its WAL), of one bookkeeping row."""
    office_id = core.office_id
    with core.db.write(durable=False) as s:
        row = s.get(Setting, (office_id, PROBE_KEY))
        if row is None:
            s.add(Setting(office_id=office_id, key=PROBE_KEY, value=iso(utcnow())))
        else:
            row.value = iso(utcnow())


def redis_status(url: str) -> dict:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "error": str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}
    return {"ok": True}


def _printers(core) -> tuple[list[dict], dict]:
    office_id = core.office_id
    now = utcnow()
    with core.db.read() as s:
        rows = s.execute(select(Printer).where(Printer.office_id == office_id).order_by(Printer.name)).scalars().all()
        counts = {(name, status): n for name, status, n in s.execute(
            select(PrintJob.printer_name, PrintJob.status, func.count())
            .where(PrintJob.office_id == office_id, PrintJob.status.in_(("pending", "printing", "uncertain")))
            .group_by(PrintJob.printer_name, PrintJob.status))}
        oldest = s.execute(select(func.min(PrintJob.created_at)).where(
            PrintJob.office_id == office_id, PrintJob.status == "pending")).scalar()
    printers = [{"name": p.name, "enabled": p.url.strip().lower() != "none", "state": p.state,
                 "checked_at": iso(p.checked_at),
                 "jobs": {k: counts.get((p.name, k), 0) for k in ("pending", "printing", "uncertain")}}
                for p in rows]
    pending = sum(n for (_, status), n in counts.items() if status == "pending")
    spooler = {"pending": pending,
               "printing": sum(n for (_, status), n in counts.items() if status == "printing"),
               "uncertain": sum(n for (_, status), n in counts.items() if status == "uncertain"),
               "oldest_pending_seconds": None if oldest is None else max(0, int((now - oldest).total_seconds())),
               "running": "hardware.spooler" in core.extensions and core.settings.start_workers}
    return printers, spooler
