"""Alembic, driven from code: ``antrean init`` (and tests) call ``upgrade``."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).parent


def alembic_config(db) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db, revision: str = "head") -> None:
    command.upgrade(alembic_config(db), revision)


def current(db) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> set[str]:
    """Every migration revision this version of Antrean has (a database at any of them can be upgraded)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
