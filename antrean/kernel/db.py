"""Engine and sessions.

SQLite: WAL, ``synchronous=FULL``, foreign keys, and ``BEGIN IMMEDIATE`` for
writes (SQLite ignores busy_timeout on a read->write lock upgrade, so a write
transaction takes the write lock up front). pysqlite's own transaction
handling is switched off so that SQLAlchemy emits BEGIN itself.
Under gevent (``antrean run``, see antrean.kernel.runtime) SQLite needs two more rules, because every
greenlet shares one OS thread: the commit (its fsync) runs in a real OS thread of gevent's
threadpool, and write transactions of this process queue on a cooperative gate before
``BEGIN IMMEDIATE`` — SQLite's busy handler sleeps in C, so a greenlet waiting there for a
lock another greenlet holds would freeze the hub (and that other greenlet with it).
PostgreSQL: psycopg 3, READ COMMITTED; writes that must not race use row
locks (``ON CONFLICT DO UPDATE`` on counter rows, ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from antrean.kernel.config import ConfigError
from antrean.kernel.events import Event, install
from antrean.kernel.runtime import offload, patched


def _normalise(url: str) -> str:
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


class Database:
    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = _normalise(url)
        u = make_url(self.url)
        self.dialect = u.get_backend_name()
        self._relaxed_engine: Engine | None
        if self.dialect == "sqlite":
            if u.database and u.database != ":memory:":
                try:
                    Path(u.database).parent.mkdir(parents=True, exist_ok=True)
                except OSError:
                    pass  # check() names the problem; every query would fail with "unable to open"
            # check_same_thread=False: under gevent the commit runs in a threadpool thread (the pool
            # still hands a connection to one user at a time)
            args = {"timeout": 30, "check_same_thread": False}
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=20, connect_args=args)
            _sqlite_events(self.engine, "FULL")
            # bookkeeping whose loss on a power cut is harmless (see write(durable=False))
            relaxed = create_engine(self.url, pool_size=2, max_overflow=4, connect_args=args)
            _sqlite_events(relaxed, "NORMAL")
            self._relaxed_engine = relaxed
        else:
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True, connect_args={"connect_timeout": 10}
            )
            self._relaxed_engine = None
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._gate: AbstractContextManager[Any] | None = None
        if self.dialect == "sqlite":
            if patched():
                # gevent's by now (patch_all patches the module in place): a lock greenlets wait on cooperatively
                self._gate = threading.RLock()
                for engine in (self.engine, self._relaxed_engine):
                    if engine is not None:
                        _commit_off_hub(engine)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._writer, expire_on_commit=False)
        self._write_relaxed = (
            sessionmaker(self._relaxed_engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)
            if self._relaxed_engine is not None
            else self._write
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as s:
            yield s

    @contextmanager
    def write(self, durable: bool = True) -> Iterator[Session]:
        """One write transaction; commits on success, rolls back on any error.

        ``durable=False`` (SQLite only) commits with ``synchronous=NORMAL``: still atomic and
        crash-safe for the application, but a power cut may lose the last commits. Only for
        bookkeeping whose loss is harmless (a print job's "done", a printer's state) — never
        for tickets, calls, steps or anything a citizen or the audit depends on.
        """
        with self._gate or nullcontext():
            with self._write() if durable else self._write_relaxed() as s:
                with s.begin():
                    yield s

    def check(self) -> None:
        """Connect once at start-up; raise ConfigError naming ``database_url`` and the reason in one line
        (connection refused, no such database, wrong password, a read-only file)."""
        shown = make_url(self.url).render_as_string(hide_password=True)
        if self.is_sqlite:
            path = make_url(self.url).database
            if path and path != ":memory:":
                if not Path(path).parent.is_dir():
                    raise ConfigError(
                        f"database_url: folder {Path(path).parent} does not exist and cannot be created ({shown})"
                    )
                target = Path(path) if Path(path).exists() else Path(path).parent
                if not os.access(target, os.W_OK):
                    raise ConfigError(f"database_url: {target} is not writable by this user ({shown})")
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise ConfigError(f"database_url: cannot connect to {shown}: {db_reason(exc)}") from None

    def on_commit(self, publish: Callable[[list[Event]], None]) -> None:
        """Dispatch the events queued on write sessions (``antrean.kernel.events``) after each commit."""
        install(self._write, publish)
        if self._write_relaxed is not self._write:
            install(self._write_relaxed, publish)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._relaxed_engine is not None:
            self._relaxed_engine.dispose()


def db_reason(exc: BaseException) -> str:
    """The first meaningful line of a driver error (psycopg's carry hints and the whole DSN)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    text = lines[0] if lines else type(orig).__name__
    for marker in ("failed: ", "error: "):  # 'connection to server at "h", port 1 failed: Connection refused'
        if marker in text and not text.endswith(marker.strip()):
            text = text.rsplit(marker, 1)[1]
    return text.removeprefix("FATAL:").strip()[:300]


def _commit_off_hub(engine: Engine) -> None:
    """The DBAPI commit (SQLite's fsync) in a real OS thread; SQLAlchemy's after-commit events (and the
    Socket.IO emits they lead to) still run in the calling greenlet."""

    def do_commit(dbapi_connection: Any) -> None:  # the driver's connection (sqlite3's here)
        offload(dbapi_connection.commit)

    # replaces the method on this engine's dialect instance only (SQLAlchemy has no hook around the DBAPI commit)
    setattr(engine.dialect, "do_commit", do_commit)  # noqa: B010 - a method replaced on one instance, on purpose


def _sqlite_events(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
