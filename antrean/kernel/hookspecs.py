"""Antrean's hook specifications (pluggy project name ``antrean``).

Every hook here has a section in docs/plugins.md (the plugin-author page) and a test in
tests/unit/test_hooks.py; tests/unit/test_hook_meta.py checks both.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # for the signatures only: the kernel imports nothing above it at run time
    import click
    from flask import Flask
    from sqlalchemy import Connection

    from antrean.core import Antrean
    from antrean.kernel.events import Event
    from antrean.kernel.plugin_settings import PluginSetting
    from antrean.kernel.sop import Step

hookspec = pluggy.HookspecMarker("antrean")
hookimpl = pluggy.HookimplMarker("antrean")


@hookspec
def register_sops() -> list[dict[str, Any]]:
    """Return a list of SOP definitions (dicts, see antrean.kernel.sop) this plugin provides."""
    raise NotImplementedError  # a specification: plugins' implementations answer


@hookspec
def register_printer_drivers() -> dict[str, Any]:
    """Return a dict {url_scheme: factory(parsed_url, profile) -> escpos printer}."""
    raise NotImplementedError  # a specification: plugins' implementations answer


@hookspec
def register_settings() -> list[PluginSetting | dict[str, Any]]:
    """Return a list of the settings this plugin reads (``antrean.kernel.plugin_settings.PluginSetting``
    or dicts: name, type, default, description[, secret, choices, min, max, check]); their values are
    checked at start-up and read with ``core.plugin_settings(namespace)``."""
    raise NotImplementedError  # a specification: plugins' implementations answer


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``antrean`` command: ``cli`` is its click group (``@cli.command()``,
    ``cli.add_command(group)``). Called when the command line is built, before any database is opened;
    a command that needs the office opens it with ``antrean.cli.open_core()``."""


@hookspec
def register_migrations() -> str | os.PathLike[str] | None:
    """Return the folder of this plugin's Alembic revisions (its own version location), or None.

    The plugin's tables are models on ``antrean.kernel.models.Base`` (one MetaData: foreign keys to the core's
    tables resolve by name). Its first revision has ``down_revision = None``, ``branch_labels = ("<plugin>",)``
    and ``depends_on`` the core revision it builds on; later ones chain on it. ``antrean init`` (and
    ``core.migrate()``) bring every branch to its head.
    """


@hookspec
def init_core(core: Antrean) -> None:
    """Called once when a core is built (by the app factory, the CLI, a script): register the plugin's
    services on ``core.extensions`` (no database access yet; the schema may not exist)."""


@hookspec(firstresult=True)
def authenticate_device(core: Antrean, key: str) -> str | None:
    """Return the name of the registered kiosk whose device key (header ``X-Device-Key``) ``key`` is, or None.

    The first plugin that knows the key answers (the hardware plugin keeps the kiosks' keys)."""


@hookspec
def health_check(core: Antrean, database: dict[str, Any]) -> dict[str, Any]:
    """Return a dict of sections added to ``GET /-/health`` after ``redis`` (e.g. the hardware plugin's
    ``printers`` and ``spooler``); its ``problems`` list, if any, is added to the report's problems.
    Never makes the server unhealthy. ``database`` is the report's database section (``ok`` False: the
    database did not answer, read nothing)."""
    raise NotImplementedError  # a specification: plugins' implementations answer


@hookspec
def init_app(app: Flask, core: Antrean) -> None:
    """Called once by the app factory: register blueprints, Socket.IO namespaces, workers."""


@hookspec
def openapi_paths(core: Antrean) -> dict[str, Any]:
    """Return OpenAPI path items ({"/printers": {...}}, relative to /api/v1) for the API routes this plugin adds;
    merged into /api/v1/openapi.json."""
    raise NotImplementedError  # a specification: plugins' implementations answer


@hookspec
def ticket_issuing(core: Antrean, conn: Connection, ticket: dict[str, Any]) -> None:
    """Inside the issuing transaction, after the ticket row is written.

    ``conn`` is the SQLAlchemy connection of that transaction: rows written
    here (a print job) commit or roll back with the ticket. Raise to refuse.
    """


@hookspec
def ticket_replayed(core: Antrean, conn: Connection, ticket: dict[str, Any]) -> None:
    """A repeated idempotency key returned an already-issued ticket.

    Add to ``ticket`` what ``ticket_issuing`` added the first time (e.g. the
    print status), reading through ``conn``; write nothing.
    """


@hookspec
def event_published(core: Antrean, event: Event) -> None:
    """After commit, once per event, in order: ``event`` is an ``antrean.kernel.events.Event``
    (``type``, ``office_id``, ``at``, ``actor``, ``data`` without personal data).

    Every audited change publishes one (see ``antrean.kernel.events.EVENT_TYPES``); events of a
    transaction or savepoint that rolled back are never published. The specific hooks below
    (ticket_issued, ticket_called, queue_changed, step_completed) are fired by the same
    dispatcher right after the event they belong to.
    """


@hookspec
def ticket_issued(core: Antrean, ticket: dict[str, Any]) -> None:
    """After commit of a new ticket. ``ticket`` is the dict returned by the API."""


@hookspec
def ticket_called(core: Antrean, call: dict[str, Any]) -> None:
    """After commit of a call or recall. ``call`` has seq, number, service, counter, kind."""


@hookspec
def queue_changed(core: Antrean, office_id: int, action: str, ticket: dict[str, Any]) -> None:
    """After commit of any other queue action (skip, hold, transfer, start, finish)."""


@hookspec
def step_completed(core: Antrean, application: dict[str, Any], step: Step, log: dict[str, Any]) -> None:
    """After commit of a completed SOP step (dicts for application and log, Step for step)."""


@hookspec
def shutdown(core: Antrean) -> None:
    """The core is closing: stop workers and threads started in init_app."""
