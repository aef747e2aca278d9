"""Alembic, driven from code: ``antrean init`` (and tests) call ``upgrade``.

One Alembic environment, several version locations: the core's chain (``antrean/kernel/migrations/versions``,
branch label ``antrean``) and one folder per plugin that owns tables (hook ``register_migrations``; the
hardware plugin's is ``hardware/migrations``, branch ``hardware``). A plugin's first revision has no
``down_revision``, its own branch label and ``depends_on`` the core revision it builds on; ``upgrade``
brings every branch to its head (``heads``), so the database's ``alembic_version`` holds one row per branch.

The migrations of every built-in plugin are applied whether or not a given core loads that plugin (a core
built for one task, a disabled face): the tables stay in step with the code, and a database never holds a
revision the next core cannot find.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import __version__ as alembic_version
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError

from antrean.kernel.config import ConfigError
from antrean.kernel.plugins import FACE_PLUGINS, PluginHost, build_plugin_host

if TYPE_CHECKING:
    from antrean.kernel.db import Database

HERE = Path(__file__).parent
CORE_VERSIONS = HERE / "migrations" / "versions"

log = logging.getLogger(__name__)
#: the option naming the separator of version_locations (renamed in Alembic 1.16)
_SEPARATOR = (
    "path_separator" if tuple(int(x) for x in alembic_version.split(".")[:2]) >= (1, 16) else "version_path_separator"
)


def _locations_of(host: PluginHost) -> list[str]:
    """The version folders the plugins of ``host`` register (``register_migrations``); a result that is not an
    existing folder is logged and skipped."""
    out: list[str] = []
    for impl in host.pm.hook.register_migrations.get_hookimpls():
        try:
            result = impl.function()
        except Exception:  # a broken plugin is reported, never takes the others down
            log.exception("plugin %s: register_migrations failed", impl.plugin_name)
            continue
        if result is None:
            continue
        if not isinstance(result, (str, os.PathLike)) or not Path(result).is_dir():
            log.error("plugin %s: register_migrations must return an existing folder, got %r", impl.plugin_name, result)
            continue
        out.append(str(Path(result).resolve()))
    return out


@functools.cache
def _builtin_locations() -> tuple[str, ...]:
    return tuple(_locations_of(build_plugin_host(builtins=FACE_PLUGINS, entry_points=False)))


def version_locations(plugins: PluginHost | None = None) -> list[str]:
    """The core's folder, every built-in plugin's, and those of ``plugins`` (a ``PluginHost``: the core's own,
    with its entry-point plugins); without ``plugins``, those of the installed entry-point plugins."""
    if plugins is None:
        plugins = build_plugin_host(builtins=())
    found = [str(CORE_VERSIONS.resolve()), *_builtin_locations(), *_locations_of(plugins)]
    return list(dict.fromkeys(found))


def alembic_config(db: Database, plugins: PluginHost | None = None) -> Config:
    cfg = _config(plugins)
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def _config(plugins: PluginHost | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    # os.pathsep between folders (a folder name may hold a space); "%" would be read as interpolation
    cfg.set_main_option(_SEPARATOR, "os")
    cfg.set_main_option("version_locations", os.pathsep.join(p.replace("%", "%%") for p in version_locations(plugins)))
    return cfg


def _script(cfg: Config) -> ScriptDirectory:
    return _script_of(cfg.get_main_option("script_location") or "", cfg.get_main_option("version_locations") or "")


@functools.cache
def _script_of(location: str, versions: str) -> ScriptDirectory:
    """The migration scripts of these folders, read once per process (they ship with the code; reading them
    loads and compiles every revision file, which every app start would otherwise pay)."""
    cfg = Config()
    cfg.set_main_option("script_location", location)
    cfg.set_main_option(_SEPARATOR, "os")
    cfg.set_main_option("version_locations", versions)
    return ScriptDirectory.from_config(cfg)


def _at_heads(db: Database, script: ScriptDirectory) -> bool:
    """Is every branch of ``script`` applied to the database already? A head is applied when it is one of
    the database's current revisions or below one of them (a plugin branch's revision implies the core
    revision it depends on). A new, older or unknown database is not: Alembic then runs as always."""
    now = set(current(db))
    if not now:
        return False
    applied: set[str] = set()
    todo = list(now)
    while todo:
        rev = todo.pop()
        if rev in applied:
            continue
        applied.add(rev)
        try:
            found = script.revision_map.get_revision(rev)
        except ResolutionError:
            found = None
        if found is None:
            return False  # a revision these folders do not know: let Alembic refuse it
        todo.extend(found._all_down_revisions)
    return set(script.get_heads()) <= applied


def upgrade(db: Database, revision: str = "heads", *, plugins: PluginHost | None = None) -> None:
    """Upgrade to ``revision`` (default: every branch to its head). A database holding a revision no
    folder knows (a plugin's, the plugin uninstalled; a newer Antrean's) is a ConfigError naming it."""
    cfg = alembic_config(db, plugins)
    if revision == "heads" and _at_heads(db, _script(cfg)):
        return  # every app start lands here: nothing to do, and Alembic's run would cost more than the check
    try:
        command.upgrade(cfg, revision)
    except CommandError:
        unknown = sorted(set(current(db)) - {s.revision for s in _script(cfg).walk_revisions()})
        if unknown:
            raise ConfigError(
                f"database: schema revision(s) {', '.join(unknown)} unknown to this installation "
                "(the migrations of a plugin not installed here, or of a newer Antrean)"
            ) from None
        raise


def current(db: Database) -> tuple[str, ...]:
    """The database's current revisions (its heads, sorted; empty for a new database). A branch whose head
    another branch depends on is implied by that one: a database at the hardware branch's first revision
    holds the one row "hardware_0001" (the core's 0011 it depends on is applied)."""
    with db.engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def heads(plugins: PluginHost | None = None) -> tuple[str, ...]:
    """The head revision of every branch this installation has (what ``upgrade`` brings a database to)."""
    return tuple(sorted(_script(_config(plugins)).get_heads()))


def known_revisions(plugins: PluginHost | None = None) -> set[str]:
    """Every migration revision this installation has, the core's and the plugins' (a database at any of
    them can be upgraded)."""
    return {s.revision for s in _script(_config(plugins)).walk_revisions()}
