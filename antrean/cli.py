"""The ``antrean`` command: init, run, plugins, user, printer."""
from __future__ import annotations

if __name__ == "__main__":  # ``python -m antrean.cli``: gevent's patching before any other import
    import sys as _sys

    from antrean.entry import prepare as _prepare

    _prepare(_sys.argv[1:])

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
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: the whole LAN).")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes (gunicorn, gevent worker each); more than 1 needs PostgreSQL and Redis.")
@click.option("--dev", is_flag=True, help="Werkzeug's development server with the reloader (not for an office).")
@click.option("--no-reload", is_flag=True, help="With --dev: no reloader.")
@click.option("--debug", is_flag=True, help="With --dev: Flask's debugger (never on a network others reach).")
def run(host: str, port: int, workers: int, dev: bool, no_reload: bool, debug: bool):
    """Serve the kiosk, display, console and API."""
    from . import runtime

    if (no_reload or debug) and not dev:
        raise click.UsageError("--no-reload and --debug go with --dev")
    if dev:
        _run_dev(host, port, reload=not no_reload, debug=debug)
        return
    if not runtime.patched():
        raise click.ClickException("the server needs gevent's monkey-patching first: start it with the "
                                   "`antrean` command, `python -m antrean` or `python -m antrean.cli`")
    if workers > 1:
        try:
            settings = load_settings()
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
        if settings.database_url.startswith("sqlite") or not settings.redis_url:
            raise click.ClickException("--workers above 1 needs PostgreSQL (ANTREAN_DATABASE_URL) and Redis "
                                       "(ANTREAN_REDIS_URL): processes share the database and pass events "
                                       "through Redis")
        click.echo(f"Antrean on http://{host}:{port}/  ({workers} processes; kios: /kiosk, papan: /display, "
                   "konsol: /console)")
        runtime.serve(None, host, port, workers=workers, announce=lambda m: click.echo(m, err=True))
        return
    from . import create_app

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    core = app.extensions["antrean"]
    click.echo(f"Antrean on http://{host}:{port}/  (kios: /kiosk, papan: /display, konsol: /console)")
    try:
        runtime.serve(app, host, port, announce=lambda m: click.echo(m, err=True))
    finally:
        core.close()


def _run_dev(host: str, port: int, *, reload: bool, debug: bool) -> None:
    """Werkzeug's development server (threads), as before the production server."""
    import signal

    from . import create_app

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    socketio = app.extensions["antrean.socketio"]
    core = app.extensions["antrean"]
    click.echo(f"Antrean (development server) on http://{host}:{port}/")
    # SIGTERM (kill, systemd stop) unwinds like Ctrl-C, so core.close() below stops the
    # print spooler cleanly instead of leaving a job half-way in 'printing'.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=reload, debug=debug,
                     log_output=debug)
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
