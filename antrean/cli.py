"""The ``antrean`` command: init, run, plugins, user, printer."""
from __future__ import annotations

import json
import os
import secrets
import sys

import click

from .config import ConfigError, load_settings
from .core import SYSTEM, Antrean
from .errors import AntreanError
from .sop import STAFF_ROLES

DEMO_COUNTERS = [
    ("Loket 1", 1, ["kependudukan"]),
    ("Loket 2", 2, ["kependudukan", "surat_keterangan"]),
    ("Loket 3", 3, ["surat_keterangan", "perizinan"]),
    ("Loket 4", 4, ["perizinan", "pengaduan"]),
]
DEMO_USERS = [
    ("pelayanan", "Sari Petugas Pelayanan", ["petugas_pelayanan"]),
    ("verifikasi", "Budi Petugas Verifikasi", ["petugas_verifikasi"]),
    ("register", "Rina Petugas Register", ["petugas_register"]),
    ("kasi", "Agus Kasi Pelayanan dan Perizinan", ["kasi_pelayanan"]),
    ("sekcam", "Dewi Sekretaris Kecamatan", ["sekcam"]),
    ("camat", "Hendra Camat", ["camat"]),
    ("teknis", "Yusuf Tim Teknis", ["tim_teknis"]),
    ("pengolah", "Lina Pengolah Data", ["pengolah_data"]),
    ("pengaduan", "Tono Tim Pengaduan", ["tim_pengaduan"]),
    ("admin", "Admin Kecamatan", ["admin"]),
]


def _core(**kw) -> Antrean:
    try:
        return Antrean(load_settings(), **kw)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


def _fail(exc: AntreanError):
    detail = f" ({exc.detail})" if exc.detail else ""
    raise click.ClickException(f"{exc.message('en')}{detail}")


@click.group()
@click.version_option(package_name="antrean")
def main():
    """Antrean: queue and SOP tracking for a Kecamatan service office."""


@main.command()
@click.option("--demo", is_flag=True, help="Add demo counters and one user per role (passwords printed).")
def init(demo: bool):
    """Create or upgrade the database; with --demo add demo data."""
    core = _core()
    try:
        core.migrate()
        click.echo(f"Database ready: {core.db.engine.url.render_as_string(hide_password=True)}")
        for err in core.plugins.errors:
            click.echo(f"warning: plugin {err.plugin} skipped: {err.source}: {err.message}", err=True)
        if demo:
            _demo(core)
        office = core.office()
        click.echo(f"Office: {office['name']} ({core.settings.office_code}), {len(core.sops)} services")
    finally:
        core.close()


def _demo(core: Antrean) -> None:
    from sqlalchemy import func, select

    from .models import Counter, Office

    admin = SYSTEM
    with core.db.write() as s:
        o = s.get(Office, core.office_id)
        if o.name == "Kantor Kecamatan" and not o.address:
            o.name, o.address = "Kantor Kecamatan Sukamaju", "Jl. Merdeka No. 1, Sukamaju"
        has_counters = s.execute(select(func.count()).select_from(Counter)
                                 .where(Counter.office_id == core.office_id)).scalar_one()
    admin_actor = type(admin)(None, "system", frozenset({"admin"}))
    if not has_counters:
        for name, number, groups in DEMO_COUNTERS:
            codes = [c for c, sop in core.sops.items() if sop.group in groups]
            core.queue.save_counter(admin_actor, name=name, number=number, services=codes)
        click.echo(f"Demo counters: {', '.join(n for n, _, _ in DEMO_COUNTERS)}")
    existing = {u["username"] for u in core.users.list()}
    lines = []
    for username, full_name, roles in DEMO_USERS:
        if username in existing:
            continue
        password = secrets.token_urlsafe(9)
        core.users.create(SYSTEM, username, password, roles, full_name)
        lines.append(f"  {username:<11} {password:<14} {', '.join(STAFF_ROLES[r] for r in roles)}")
    if lines:
        text = "Demo users (username, password, role):\n" + "\n".join(lines) + "\n"
        path = os.path.join(core.settings.instance_path, "demo-users.txt")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(path, 0o600)
        click.echo(text + f"(also written to {path})")
    else:
        click.echo("Demo users exist already; their passwords are in instance/demo-users.txt")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int):
    """Serve the kiosk, display, console and API."""
    from . import create_app

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    socketio = app.extensions["antrean.socketio"]
    core = app.extensions["antrean"]
    click.echo(f"Antrean on http://{host}:{port}/  (kios: /kiosk, papan: /display, konsol: /console)")
    import signal

    # SIGTERM (kill, systemd stop) unwinds like Ctrl-C, so core.close() below stops the
    # print spooler cleanly instead of leaving a job half-way in 'printing'.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)
    finally:
        core.close()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool):
    """List every plugin with its version, hooks and SOPs."""
    core = _core()
    try:
        info = core.plugins.describe()
        errors = [e.to_dict() for e in core.plugins.errors]
        if as_json:
            click.echo(json.dumps({"plugins": info, "errors": errors}, indent=2))
            return
        for p in info:
            sops = f"  sops: {', '.join(p['sops'])}" if p["sops"] else ""
            click.echo(f"{p['name']} {p['version']}{' (built-in)' if p['builtin'] else ''}\n"
                       f"  hooks: {', '.join(p['hooks'])}{chr(10) + sops if sops else ''}")
        for e in errors:
            click.echo(f"SKIPPED {e['plugin']}: {e['source']}: {e['error']}", err=True)
    finally:
        core.close()


@main.group()
def user():
    """Manage staff accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(sorted(STAFF_ROLES)),
              help="Repeat for several roles.")
@click.option("--password", help="Prompted for when omitted.")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--office", "offices", multiple=True,
              help="Office code the user may act in (repeatable; default: this server's ANTREAN_OFFICE_CODE).")
@click.option("--all-offices", is_flag=True, help="May act in every office of the database (a regency admin).")
def user_add(username: str, roles, password: str | None, full_name: str, offices, all_offices: bool):
    """Add a staff user."""
    if password is None:
        if not sys.stdin.isatty():
            raise click.ClickException("--password is required when not run interactively")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    core = _core()
    try:
        core.migrate()
        chosen = ["*"] if all_offices else (list(offices) or None)
        u = core.users.create(SYSTEM, username, password, list(roles), full_name, offices=chosen)
        where = "every office" if u["offices"] == ["*"] else ", ".join(u["offices"])
        click.echo(f"User {u['username']} created with roles: {', '.join(u['roles'])} (offices: {where})")
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()


@user.command("list")
def user_list():
    """List staff users."""
    core = _core()
    try:
        for u in core.users.list():
            click.echo(f"{u['username']:<16} {'active' if u['active'] else 'disabled':<9} {', '.join(u['roles'])}")
    finally:
        core.close()


@main.group()
def calendar():
    """The office calendar: holidays, cuti bersama, closures (docs/calendar.md)."""


@calendar.group()
def holiday():
    """Add, list or remove one day of the calendar (one entry per date)."""


def _calendar_run(fn):
    """Run ``fn(core, actor)`` as the CLI admin; errors in Indonesian and English, exit status 1."""
    from .core import Actor
    core = _core()
    try:
        core.migrate()
        return fn(core, Actor(None, "cli", frozenset({"admin"})))
    except AntreanError as exc:
        text = exc.id_text if exc.id_text == exc.en_text else f"{exc.id_text}\n{exc.en_text}"
        raise click.ClickException(text) from None
    finally:
        core.close()


@holiday.command("add")
@click.argument("day", metavar="YYYY-MM-DD")
@click.argument("name")
@click.option("--kind", default="libur_nasional", show_default=True,
              help="libur_nasional, cuti_bersama or penutupan (an ad-hoc closure of the whole day).")
def holiday_add(day: str, name: str, kind: str):
    """Add (or replace) the entry of DAY: a national holiday by default."""
    e = _calendar_run(lambda core, actor: core.calendar.add(actor, day, name, kind))
    click.echo(f"{e['date']} {e['kind']}: {e['name']}")


@holiday.command("list")
@click.option("--year", type=int, help="Only this year.")
def holiday_list(year: int | None):
    """List the calendar's entries (date, kind, name)."""
    from .calendar import format_entries
    entries = _calendar_run(lambda core, actor: core.calendar.entries(year))
    click.echo(format_entries(entries) if entries else "(no entries)")


@holiday.command("remove")
@click.argument("day", metavar="YYYY-MM-DD")
def holiday_remove(day: str):
    """Remove the entry of DAY (holiday, cuti bersama or closure)."""
    e = _calendar_run(lambda core, actor: core.calendar.remove(actor, day))
    click.echo(f"Removed {e['date']} {e['kind']}: {e['name']}")


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def calendar_import(file: str):
    """Import FILE.csv: date,name[,kind] per line. All rows or none; existing dates are replaced."""
    try:
        with open(file, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text (save the CSV as UTF-8)") from None
    r = _calendar_run(lambda core, actor: core.calendar.import_csv(actor, text))
    click.echo(f"Imported {r['rows']} rows: {r['added']} added, {r['replaced']} replaced.")


def add_command(cmd) -> None:
    """Faces and hardware add their own sub-commands (e.g. ``antrean printer``)."""
    main.add_command(cmd)


try:  # the hardware package contributes ``antrean printer``
    from hardware.cli import printer as _printer_cli  # noqa: E402

    add_command(_printer_cli)
except ImportError:
    pass
try:  # the kiosk face contributes ``antrean kiosk set-pin``
    from kiosk.cli import kiosk as _kiosk_cli  # noqa: E402

    add_command(_kiosk_cli)
except ImportError:
    pass
if __name__ == "__main__":
    main()
