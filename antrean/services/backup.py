"""``antrean backup`` and ``antrean restore`` (SQLite; PostgreSQL goes through pg_dump / pg_restore).

Backup uses SQLite's online backup API: one consistent snapshot while the server keeps issuing
tickets (every transaction committed before the copy started is in it, none half-way). The copy
is written beside the target and renamed into place once ``PRAGMA integrity_check`` passes.

Restore refuses while a server is using the database: every server process holds a shared lock
on ``<database>.lock`` (:func:`hold_server_lock`) for its lifetime; restore needs it exclusively.
Before overwriting, the current database is copied to ``<database>.before-restore-<time>``; the
file given must be an Antrean database (SQLite, passes the integrity check, has Antrean's tables
and a migration revision this version knows). Migrations run after the restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

if sys.platform == "win32":  # no advisory locks; restore then only warns
    fcntl = None
else:
    import fcntl

#: tables an Antrean database has had since revision 0001
REQUIRED_TABLES = {"alembic_version", "office", "service", "ticket", "users", "audit_log"}
BACKUP_SUFFIXES = (".db", ".dump")  # antrean-<time>.db (SQLite), antrean-<time>.dump (pg_dump)


class BackupError(Exception):
    """A one-line reason for the CLI."""


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def target_path(path: str | None, instance_path: str, suffix: str = ".db") -> Path:
    """Where a backup goes. No PATH: ``<instance>/backups/antrean-<UTC time>.db``. A PATH that is a
    folder (exists as one, ends with ``/`` or has no file extension): a dated file in it (made if
    needed, so ``--keep`` can prune there). Anything else: that file."""
    name = f"antrean-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}{suffix}"
    if not path:
        return Path(instance_path) / "backups" / name
    p = Path(path)
    if p.is_dir() or path.endswith(("/", os.sep)) or not p.suffix:
        return p / name
    return p


def backup_sqlite(source: Path, target: Path) -> dict:
    """Copy a live SQLite database consistently to ``target`` (a file, or a folder to put a dated file in)."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # all pages in one step: one read transaction, one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            tickets = dst.execute("SELECT count(*) FROM ticket").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if check != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    os.replace(tmp, target)
    return {"path": str(target), "bytes": target.stat().st_size, "tickets": tickets}


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` dated backups (``antrean-<time>.db`` / ``.dump``) in ``folder``."""
    files = sorted(
        (p for p in folder.glob("antrean-*") if p.suffix in BACKUP_SUFFIXES and p.is_file()),
        key=lambda p: p.name,
        reverse=True,
    )
    gone = files[keep:] if keep > 0 else []
    for p in gone:
        p.unlink()
    return gone


def pg_dump(url: str, target: Path) -> list[str]:
    """The pg_dump command for ``url`` (custom format, restorable with pg_restore)."""
    u = make_url(url).set(drivername="postgresql")
    return [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--dbname={u.render_as_string(hide_password=False)}",
    ]


def run_pg_dump(url: str, target: Path) -> dict:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed here")
    target.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(pg_dump(url, target), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return {"path": str(target), "bytes": target.stat().st_size}


def validate(path: Path, known_revisions: set[str]) -> dict:
    """Is ``path`` an Antrean SQLite database this version can use? Returns what it holds."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path}: not a SQLite database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = REQUIRED_TABLES - tables
            if missing:
                raise BackupError(f"{path}: not an Antrean database (no table {', '.join(sorted(missing))})")
            # one row per migration branch: the core's and each plugin's that owns tables (antrean.kernel.migrate)
            revisions = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
            tickets = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
            offices = [r[0] for r in conn.execute("SELECT code FROM office ORDER BY code")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: unreadable database: {exc}") from None
    if check != "ok":
        raise BackupError(f"{path}: damaged: integrity check says {check}")
    for revision in revisions or [None]:
        if revision not in known_revisions:
            raise BackupError(
                f"{path}: its schema revision {revision!r} is unknown to this version of Antrean "
                "(made by a newer version, or by a plugin not installed here?)"
            )
    return {"revision": ", ".join(revisions), "revisions": revisions, "tickets": tickets, "offices": offices}


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def hold_server_lock(database_url: str):
    """Taken by every server process (shared); restore takes it exclusively. Returns the open file
    (keep a reference; the lock goes with the process) or None (not SQLite, or no flock)."""
    path = sqlite_path(database_url)
    if path is None or fcntl is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path(path), "a+")
        fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return None  # a restore is under way, or a read-only folder: the server's start will say so
    return fh


def restore_sqlite(source: Path, database: Path, known_revisions: set[str]) -> dict:
    info = validate(source, known_revisions)
    if source.resolve() == database.resolve():
        raise BackupError(f"{source} is the live database itself")
    lock = None
    if fcntl is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path(database), "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise BackupError(
                "a server is using this database: stop it first (systemctl stop antrean), then restore"
            ) from None
    try:
        saved = None
        if database.exists():
            saved = database.with_name(f"{database.name}.before-restore-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}")
            backup_sqlite(database, saved)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(database, timeout=30)
            try:
                src.backup(dst)  # page by page through SQLite: the live file's WAL stays consistent
            finally:
                dst.close()
        finally:
            src.close()
    finally:
        if lock is not None:
            lock.close()
    return {**info, "saved": str(saved) if saved else None}
