"""Alembic, driven from code: ``antrean init`` (and tests) call ``upgrade``."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from antrean.kernel.db import Database

HERE = Path(__file__).parent


def alembic_config(db) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db, revision: str = "head") -> None:
    cfg = alembic_config(db)
    if revision == "head" and _at_head(db, cfg):
        return  # every app start lands here: skip Alembic's run, which loads and compiles every migration script
    command.upgrade(cfg, revision)


def _at_head(db: Database, cfg: Config) -> bool:
    """Is the database at the head revision(s) already? (A fresh or older database, or one at a revision this
    code does not know, is not: Alembic then runs as always, and refuses the unknown revision as always.)"""
    heads = _script_heads(str(cfg.get_main_option("script_location")))
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


@functools.cache
def _script_heads(location: str) -> frozenset[str]:
    """The head revision(s) of the migration scripts, read once per process (the scripts ship with the code)."""
    cfg = Config()
    cfg.set_main_option("script_location", location)
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def current(db) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> set[str]:
    """Every migration revision this version of Antrean has (a database at any of them can be upgraded)."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
