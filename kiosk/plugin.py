"""The kiosk face as a built-in plugin: registers the ``kiosk`` blueprint (/kiosk and /t/<token>)."""

from __future__ import annotations

from antrean import hookimpl

from .cli import kiosk as kiosk_cli
from .views import register


@hookimpl
def register_commands(cli):
    cli.add_command(kiosk_cli)  # antrean kiosk add|list|remove|set-pin|clear-pin


@hookimpl
def init_app(app, core):
    register(app, core)
