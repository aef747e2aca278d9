"""``antrean kiosk add|list|remove``: registered kiosks and their device keys;
``antrean kiosk set-pin`` / ``clear-pin``: the staff PIN that opens a kiosk's settings screen."""

from __future__ import annotations

import sys

import click

from antrean.cli import open_core
from antrean.kernel.actors import Actor
from antrean.kernel.errors import AntreanError

from .views import set_kiosk_pin


def _admin_core():
    return open_core(), Actor(None, "cli", frozenset({"admin"}))


@click.group()
def kiosk():
    """Kiosk settings."""


@kiosk.command("set-pin")
@click.option("--pin", help="4–12 digits; prompted for when omitted.")
def set_pin(pin: str | None):
    """Set the kiosk staff PIN (stored hashed in the setting kiosk_pin)."""
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
    core, actor = _admin_core()
    try:
        core.migrate()
        set_kiosk_pin(core, actor, None)
        click.echo("Kiosk PIN cleared.")
    finally:
        core.close()


def _devices(core):
    """The registered kiosks, kept by the hardware plugin (its service on core.extensions)."""
    hardware = core.extensions.get("hardware")
    if hardware is None:
        raise click.ClickException("the hardware plugin (printers and kiosk devices) is not loaded")
    return hardware.devices


def _fail(exc):
    raise click.ClickException(f"{exc.message('en')} ({exc.detail})" if exc.detail else exc.message("en")) from None


@kiosk.command("add")
@click.argument("name")
def add(name: str):
    """Register kiosk NAME and print its device key (alone on the last line; shown only now).

    Open the kiosk once at /kiosk?device=NAME&key=KEY: the page keeps the key and sends it as X-Device-Key.
    Running it again for the same NAME gives a new key; the old one stops working."""
    core, actor = _admin_core()
    try:
        core.migrate()
        key = _devices(core).add(name, actor)
        click.echo(
            f"Kiosk {name} registered. Open it once at /kiosk?device={name}&key=<key> "
            "(or send the key as the X-Device-Key header). Device key:"
        )
        click.echo(key)
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()


@kiosk.command("list")
def list_():
    """List registered kiosks."""
    core, _ = _admin_core()
    try:
        core.migrate()
        rows = _devices(core).registered()
        for r in rows:
            click.echo(f"{r['name']:<24} registered {r['registered_at']}  printer {r['printer'] or '-'}")
        if not rows:
            click.echo("No registered kiosks (antrean kiosk add NAME).")
    finally:
        core.close()


@kiosk.command("remove")
@click.argument("name")
def remove(name: str):
    """Unregister kiosk NAME: its key stops working at once."""
    core, actor = _admin_core()
    try:
        core.migrate()
        _devices(core).remove(name, actor)
        click.echo(f"Kiosk {name} removed; its key no longer works.")
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()
