"""What ``GET /-/health`` reports, and the log lines when the database or Redis changes state.

``check(core)`` → ``(ok, report)``. Not ok (HTTP 503) when the database cannot be read **or
written** (a SQLite file turned read-only, a full disk, a PostgreSQL standby) or the configured
Redis does not answer. Plugins add sections through the hook ``health_check`` (the hardware
plugin: each printer's state and its waiting jobs, the print spooler); their problems are listed
under ``problems`` but never make the server unhealthy: a jammed printer is the front desk's
problem, not a reason for a load balancer to drop the server.

A result is reused for ``CACHE_SECONDS``, so a flood of health requests costs one check.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from antrean import __version__
from antrean.kernel.db import db_reason
from antrean.kernel.logs import StateLog
from antrean.kernel.models import Setting
from antrean.kernel.timeutil import iso, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
#: the row written by the write probe (bookkeeping, like a print job's "done": durable=False)
PROBE_KEY = "_health_probe"


def state_log(core: Antrean) -> StateLog:
    states = core.extensions.get("antrean.states")
    if states is None:
        states = core.extensions["antrean.states"] = StateLog(logging.getLogger("antrean.state"))
    return states


def watch_database(core: Antrean) -> None:
    """Log the database going away (WARNING) and coming back (INFO), seen from real traffic."""
    states = state_log(core)

    def _error(ctx):
        if (
            ctx.is_disconnect
            or isinstance(ctx.sqlalchemy_exception, DBAPIError)
            and isinstance(ctx.original_exception, ctx.dialect.loaded_dbapi.OperationalError)
        ):
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

    def __init__(self, core: Antrean, interval: float = 30.0):
        self.core, self.interval = core, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="antrean-health", daemon=True)

    def start(self) -> Monitor:
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


def check(core: Antrean) -> tuple[bool, dict]:
    cache = core.extensions.setdefault("antrean.services.health", {"at": 0.0, "result": None, "lock": threading.Lock()})
    with cache["lock"]:
        if cache["result"] is not None and time.monotonic() - cache["at"] < CACHE_SECONDS:
            return cache["result"]
        result = _check(core)
        cache["at"], cache["result"] = time.monotonic(), result
        return result


def _check(core: Antrean) -> tuple[bool, dict]:
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
    report: dict[str, Any] = {
        "status": "ok" if ok else "error",
        "version": __version__,
        "office": core.settings.office_code,
        "database": database,
        "redis": redis,
    }
    for section in _plugin_sections(core, database):
        problems.extend(str(p) for p in section.get("problems") or ())
        report.update({k: v for k, v in section.items() if k not in report and k not in ("problems", "checked_at")})
    report.update(problems=problems, checked_at=iso(utcnow()))
    return ok, report


def _plugin_sections(core: Antrean, database: dict) -> list[dict]:
    """The plugins' ``health_check`` sections in registration order; a plugin whose check fails is a problem
    (never an error page)."""
    out = []
    for impl in core.hook.health_check.get_hookimpls():
        args = {"core": core, "database": database}
        try:
            section = impl.function(*[args[name] for name in impl.argnames])
        except Exception as exc:  # noqa: BLE001 - one plugin's check must not hide the others
            log.exception("health_check of plugin %s failed", impl.plugin_name)
            section = {"problems": [f"plugin {impl.plugin_name}: health check failed ({type(exc).__name__})"]}
        if isinstance(section, dict):
            out.append(section)
    return out


def _database(core: Antrean) -> dict:
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


def _write_probe(core: Antrean) -> None:
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
