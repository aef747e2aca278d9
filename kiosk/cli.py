"""``antrean kiosk set-pin`` / ``clear-pin``: the staff PIN that opens a kiosk's settings screen."""
from __future__ import annotations

import sys

import click


def _admin_core():
    from antrean.cli import _core
    from antrean.core import Actor

    return _core(), Actor(None, "cli", frozenset({"admin"}))


@click.group()
def kiosk():
    """Kiosk settings."""


@kiosk.command("set-pin")
@click.option("--pin", help="4–12 digits; prompted for when omitted.")
def set_pin(pin: str | None):
    """Set the kiosk staff PIN (stored hashed in the setting kiosk_pin)."""
    from antrean.errors import AntreanError

    from .views import set_kiosk_pin

    if pin is None:
        if not sys.stdin.isatty():
            raise click.ClickException("--pin is required when not run interactively")
        pin = click.prompt("Kiosk PIN (4-12 digits)", hide_input=True, confirmation_prompt=True)
    core, actor = _admin_core()
    try:
        core.migrate()
        set_kiosk_pin(core, actor, pin)
        click.echo("Kiosk PIN set.")
    except AntreanError as exc:
        raise click.ClickException(f"{exc.message('en')} ({exc.detail})" if exc.detail else exc.message("en")) from None
    finally:
        core.close()


@kiosk.command("clear-pin")
def clear_pin():
    """Remove the kiosk PIN (the settings screen then says it is not configured)."""
    from .views import set_kiosk_pin

    core, actor = _admin_core()
    try:
        core.migrate()
        set_kiosk_pin(core, actor, None)
        click.echo("Kiosk PIN cleared.")
    finally:
        core.close()
