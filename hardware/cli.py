"""``antrean printer``: test, status, add, assign (messages in English, for admins)."""

from __future__ import annotations

import json

import click
from sqlalchemy import select, update

from antrean.cli import open_core
from antrean.kernel.actors import Actor
from antrean.kernel.errors import AntreanError
from antrean.kernel.timeutil import utcnow
from hardware import service, store
from hardware.models import Printer
from hardware.printers import PrinterConfigError, PrinterError, print_job, printer_status
from hardware.ticket import paper_profile, render_test_page


def _core():
    core = open_core()
    core.migrate()
    return core


def _admin():
    return Actor(None, "cli", frozenset({"admin"}))


def _fail(exc) -> None:
    detail = f" ({exc.detail})" if getattr(exc, "detail", "") else ""
    raise click.ClickException(f"{exc.message('en')}{detail}")


@click.group()
def printer():
    """Ticket printers: test page, status, add, kiosk assignment."""


@printer.command("test")
@click.argument("name", default="default")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds before giving up.")
def test(name: str, timeout: float):
    """Print a test page on printer NAME now (default: "default")."""
    core = _core()
    try:
        store.ensure_default_printer(core)
        with core.db.read() as s:
            row = s.execute(
                select(Printer).where(Printer.office_id == core.office_id, Printer.name == name)
            ).scalar_one_or_none()
            if row is None:
                known = s.execute(select(Printer.name).where(Printer.office_id == core.office_id)).scalars().all()
                raise click.ClickException(
                    f"no printer named {name!r} (known: {', '.join(known) or 'none'}); "
                    "add one with: antrean printer add NAME URL"
                )
            url, profile_name = row.url, row.profile
        if url.strip().lower() == "none":
            raise click.ClickException(
                f"printer {name!r} has URL 'none' (printing disabled); set ANTREAN_PRINTER_URL "
                "or run: antrean printer add NAME URL"
            )
        profile = paper_profile(profile_name)
        try:
            print_job(
                url,
                profile,
                lambda p: render_test_page(p, profile, name),
                timeout=timeout,
                files=core.settings.printer_file_list,
                drivers=service.of(core).drivers,
            )
        except PrinterConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except PrinterError as exc:
            hint = {
                "offline": "is it switched on, connected and at this address?",
                "timeout": "it accepted the connection but did not finish; power-cycle it",
                "paper_out": "load a paper roll",
                "error": "see the message above",
            }[exc.kind]
            maybe = " (the page may have printed partly)" if exc.sent else ""
            raise click.ClickException(f"test page on {name!r} ({url}) failed: {exc}{maybe}; {hint}") from None
        click.echo(f"Test page sent to {name} ({url}, {profile.name}).")
    finally:
        core.close()


@printer.command("status")
@click.option("--no-probe", is_flag=True, help="Show the last known state without contacting the printers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(no_probe: bool, as_json: bool):
    """Every printer's state, with its waiting and unresolved jobs."""
    core = _core()
    try:
        store.ensure_default_printer(core)
        if not no_probe:
            for p in store.list_printers(core):
                if not p["enabled"]:
                    continue
                result = printer_status(p["url"], timeout=2.0, drivers=service.of(core).drivers)
                if result["state"] == "unknown":
                    continue  # no live status on this transport: keep what the spooler saw
                with core.db.write() as s:
                    s.execute(
                        update(Printer)
                        .where(Printer.office_id == core.office_id, Printer.name == p["name"])
                        .values(state=result["state"], detail=result["detail"], checked_at=utcnow())
                    )
        printers, devices = store.list_printers(core), store.list_devices(core)
        if as_json:
            click.echo(json.dumps({"printers": printers, "devices": devices}, indent=2))
            return
        for p in printers:
            state = p["state"] if p["enabled"] else "disabled"
            jobs = p["jobs"]
            click.echo(f"{p['name']:<14} {state:<10} {p['profile']:<5} {p['url']}")
            if p["detail"]:
                click.echo(f"{'':<14} {p['detail']}")
            click.echo(
                f"{'':<14} jobs: {jobs['pending']} pending, {jobs['printing']} printing, "
                f"{jobs['uncertain']} uncertain, {jobs['failed']} failed"
                + (f"; checked {p['checked_at']}" if p["checked_at"] else "")
            )
        for d in devices:
            click.echo(f"kiosk {d['device_id']} -> {d['printer']}")
    finally:
        core.close()


@printer.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--profile", type=click.Choice(["58mm", "80mm"]), default="80mm", show_default=True, help="Paper width.")
def add(name: str, url: str, profile: str):
    """Add printer NAME at URL, or change it (tcp://HOST:9100, usb://VID:PID, serial://, file://, cups://, none)."""
    core = _core()
    try:
        p = store.save_printer(core, _admin(), name, url, profile)
        click.echo(f"Printer {p['name']}: {p['url']} ({p['profile']}). Try it with: antrean printer test {p['name']}")
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()


@printer.command("assign")
@click.argument("device_id")
@click.argument("name")
def assign(device_id: str, name: str):
    """Make kiosk DEVICE_ID print on printer NAME ("default" for the default printer)."""
    core = _core()
    try:
        store.ensure_default_printer(core)
        d = store.assign_device(core, _admin(), device_id, name)
        click.echo(f"Kiosk {d['device_id']} now prints on {d['printer']}.")
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()
