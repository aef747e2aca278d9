"""The ``antrean`` command: init, run, plugins, user, backup, calendar; plugins add theirs (``printer``, ``kiosk``)."""

from __future__ import annotations

if __name__ == "__main__":  # ``python -m antrean.cli``: gevent's patching before any other import
    import sys as _sys

    from antrean.entry import prepare as _prepare

    _prepare(_sys.argv[1:])

import json
import os
import secrets
import shutil
import signal
import sys
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from antrean import create_app
from antrean.core import Antrean, builtin_plugin_names
from antrean.kernel import logs, runtime
from antrean.kernel.actors import SYSTEM, Actor
from antrean.kernel.config import ConfigError, load_settings
from antrean.kernel.db import Database
from antrean.kernel.errors import AntreanError
from antrean.kernel.migrate import known_revisions
from antrean.kernel.models import Counter, Office
from antrean.kernel.plugins import build_plugin_host
from antrean.kernel.sop import STAFF_ROLES
from antrean.services import backup as bk
from antrean.services.calendar import format_entries
from antrean.services.health import redis_status
from antrean.web import server

#: the CLI acts for the person at the server's console (who owns the machine), as an admin
CLI_ADMIN = Actor(None, "system", frozenset({"admin"}))

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


def _settings():
    """Settings checked (one line naming the setting on error), logging set up from them."""
    settings = load_settings()
    logs.setup(settings.log_level, settings.log_format)
    return settings


def _checked_settings():
    """Settings, plus the database (and Redis, when set) answering; else ConfigError naming the setting."""
    settings = _settings()
    # the plugins' declared settings too, before any server process starts (gunicorn's workers build their own app)
    build_plugin_host(builtins=builtin_plugin_names()).resolve_settings(settings, os.environ)
    db = Database(settings.database_url)
    try:
        db.check()
    finally:
        db.dispose()
    if settings.redis_url:
        status = redis_status(settings.redis_url)
        if not status["ok"]:
            raise ConfigError(f"redis_url: cannot connect to {_hide_password(settings.redis_url)}: {status['error']}")
    return settings


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not every URL is SQLAlchemy's; redis://:pw@host parses fine
        return url


def _core(**kw) -> Antrean:
    """A core whose settings are valid and whose database answers (else one line, no traceback)."""
    return Antrean(_checked_settings(), **kw)


def open_core(**kw) -> Antrean:
    """For plugins' commands (``register_commands``): the office's core, from the checked settings
    (a bad setting, an unreachable database or Redis is one line naming it). Close it when done."""
    return _core(**kw)


def load_plugin_commands(cli: click.Group, plugins: tuple = ()) -> None:
    """Every plugin's ``register_commands(cli)``: the built-ins and the entry points, loaded by the same
    plugin host as the app's (no settings read, no database opened). A plugin that cannot be loaded, or whose
    hook raises, is reported on stderr and skipped; a plugin may add commands, never replace one.
    ``plugins``: extra plugin objects or dotted names (tests)."""
    host = build_plugin_host(tuple(plugins), builtins=builtin_plugin_names())
    for err in host.errors:
        click.echo(f"warning: plugin {err.plugin} skipped: {err.source}: {err.message}", err=True)
    for impl in host.pm.hook.register_commands.get_hookimpls():
        before = dict(cli.commands)
        try:
            impl.function(*[{"cli": cli}[arg] for arg in impl.argnames])
        except Exception as exc:  # one broken plugin never takes the command line down
            click.echo(f"warning: plugin {impl.plugin_name}: register_commands failed: {exc!r}", err=True)
        for name, cmd in before.items():
            if cli.commands.get(name) is not cmd:
                cli.commands[name] = cmd
                click.echo(f"warning: plugin {impl.plugin_name} may not replace the command {name!r}", err=True)


class _Main(click.Group):
    """A bad setting anywhere (settings, database, a plugin's own check at start-up) is one line, exit 1.

    Plugins' commands (``register_commands``) are added the first time a command is looked up or listed."""

    _plugins_loaded = False

    def _plugin_commands(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            load_plugin_commands(self)

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands:
            self._plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        self._plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None


def _fail(exc: AntreanError) -> NoReturn:
    detail = f" ({exc.detail})" if exc.detail else ""
    raise click.ClickException(f"{exc.message('en')}{detail}")


@click.group(cls=_Main)
@click.version_option(package_name="antrean")
def main():
    """Antrean: queue and SOP tracking for a Kecamatan service office."""


@main.command()
@click.option("--demo", is_flag=True, help="Add demo counters and one user per role (passwords printed).")
def init(demo: bool):
    """Create or upgrade the database; with --demo add demo data."""
    core = _core()
    try:
        os.makedirs(core.settings.instance_path, exist_ok=True)  # demo-users.txt, caches, backups
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
    with core.db.write() as s:
        o = core.office_row(s)
        if o.name == "Kantor Kecamatan" and not o.address:
            o.name, o.address = "Kantor Kecamatan Sukamaju", "Jl. Merdeka No. 1, Sukamaju"
        has_counters = s.execute(
            select(func.count()).select_from(Counter).where(Counter.office_id == core.office_id)
        ).scalar_one()
    if not has_counters:
        for name, number, groups in DEMO_COUNTERS:
            codes = [c for c, sop in core.sops.items() if sop.group in groups]
            core.queue.save_counter(CLI_ADMIN, name=name, number=number, services=codes)
        click.echo(f"Demo counters: {', '.join(n for n, _, _ in DEMO_COUNTERS)}")
    if core.get_setting("office_hours") is None:
        # a demo works whenever it is tried; an office sets its real hours in Admin → Kalender
        core.calendar.set_hours(
            CLI_ADMIN,
            {"days": {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, "breaks": {}},
        )
        click.echo("Demo office hours: open every day, all day (set the real hours in Admin → Kalender)")
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
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes (gunicorn, gevent worker each); more than 1 needs PostgreSQL and Redis.",
)
@click.option("--dev", is_flag=True, help="Werkzeug's development server with the reloader (not for an office).")
@click.option("--no-reload", is_flag=True, help="With --dev: no reloader.")
@click.option("--debug", is_flag=True, help="With --dev: Flask's debugger (never on a network others reach).")
def run(host: str, port: int, workers: int, dev: bool, no_reload: bool, debug: bool):
    """Serve the kiosk, display, console and API."""
    if (no_reload or debug) and not dev:
        raise click.UsageError("--no-reload and --debug go with --dev")
    if dev:
        _run_dev(host, port, reload=not no_reload, debug=debug)
        return
    if not runtime.patched():
        raise click.ClickException(
            "the server needs gevent's monkey-patching first: start it with the "
            "`antrean` command, `python -m antrean` or `python -m antrean.cli`"
        )
    settings = _checked_settings()  # one line naming a bad setting, an unreachable database or Redis
    if workers > 1:
        if settings.database_url.startswith("sqlite") or not settings.redis_url:
            raise click.ClickException(
                "--workers above 1 needs PostgreSQL (ANTREAN_DATABASE_URL) and Redis "
                "(ANTREAN_REDIS_URL): processes share the database and pass events "
                "through Redis"
            )
        click.echo(
            f"Antrean on http://{host}:{port}/  ({workers} processes; kios: /kiosk, papan: /display, konsol: /console)"
        )
        server.serve(None, host, port, workers=workers, announce=lambda m: click.echo(m, err=True))
        return

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    core = app.extensions["antrean"]
    click.echo(f"Antrean on http://{host}:{port}/  (kios: /kiosk, papan: /display, konsol: /console)")
    try:
        server.serve(app, host, port, announce=lambda m: click.echo(m, err=True))
    finally:
        core.close()


def _run_dev(host: str, port: int, *, reload: bool, debug: bool) -> None:
    """Werkzeug's development server (threads), as before the production server."""
    _checked_settings()  # one line naming a bad setting, an unreachable database or Redis; no traceback
    app = create_app()
    socketio = app.extensions["antrean.socketio"]
    core = app.extensions["antrean"]
    click.echo(f"Antrean (development server) on http://{host}:{port}/")
    # SIGTERM (kill, systemd stop) unwinds like Ctrl-C, so core.close() below stops the
    # print spooler cleanly instead of leaving a job half-way in 'printing'.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        socketio.run(
            app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=reload, debug=debug, log_output=debug
        )
    finally:
        core.close()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool):
    """List every plugin with its version, hooks, SOPs and settings."""
    core = _core()
    try:
        info = core.plugins.describe()
        errors = [e.to_dict() for e in core.plugins.errors]
        if as_json:
            click.echo(json.dumps({"plugins": info, "errors": errors}, indent=2))
            return
        for p in info:
            sops = f"  sops: {', '.join(p['sops'])}" if p["sops"] else ""
            click.echo(
                f"{p['name']} {p['version']}{' (built-in)' if p['builtin'] else ''}\n"
                f"  hooks: {', '.join(p['hooks'])}{chr(10) + sops if sops else ''}"
            )
            for st in p.get("settings", []):
                click.echo(
                    f"  setting {st['name']} ({st['type']}) = {st['value']!r} [{st['source']}; "
                    f"default {st['default']!r}; {st['env']}]: {st['description']}"
                )
        for e in errors:
            click.echo(f"SKIPPED {e['plugin']}: {e['source']}: {e['error']}", err=True)
    finally:
        core.close()


@main.group()
def user():
    """Manage staff accounts."""


@user.command("add")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(sorted(STAFF_ROLES)),
    help="Repeat for several roles.",
)
@click.option("--password", help="Prompted for when omitted.")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option(
    "--office",
    "offices",
    multiple=True,
    help="Office code the user may act in (repeatable; default: this server's ANTREAN_OFFICE_CODE).",
)
@click.option("--all-offices", is_flag=True, help="May act in every office of the database (a regency admin).")
def user_add(username: str, roles, password: str | None, full_name: str, offices, all_offices: bool):
    """Add a staff user."""
    password = _password(password)
    core = _core()
    try:
        core.migrate()
        _known_offices(core, offices)
        chosen = ["*"] if all_offices else (list(offices) or None)
        u = core.users.create(SYSTEM, username, password, list(roles), full_name, offices=chosen)
        where = "every office" if u["offices"] == ["*"] else ", ".join(u["offices"])
        click.echo(f"User {u['username']} created with roles: {', '.join(u['roles'])} (offices: {where})")
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()


@main.command("close-day")
def close_day():
    """Close the tickets of past office days still open (waiting/held -> expired, called/skipped -> no_show,
    being served -> served). Run it from cron after closing time; the first queue action of a day does it too."""
    core = _core()
    try:
        n = core.queue.close_past_days()
        click.echo(f"{n} ticket(s) of past days closed.")
    finally:
        core.close()


def _known_offices(core: Antrean, offices) -> None:
    with core.db.read() as s:
        known = set(s.execute(select(Office.code)).scalars())
    unknown = sorted(set(offices) - known)
    if unknown:
        raise click.ClickException(
            f"unknown office {', '.join(unknown)}; offices in this database: {', '.join(sorted(known))} "
            "(an office is created by antrean init or a server started with its ANTREAN_OFFICE_CODE)"
        )


@user.command("list")
def user_list():
    """List staff users: username, state, full name, roles, offices."""
    core = _core()
    try:
        core.migrate()
        users = core.users.list()
        for u in users:
            offices = "every office" if u["offices"] in (None, ["*"]) else ", ".join(u["offices"])
            click.echo(
                f"{u['username']:<16} {'active' if u['active'] else 'disabled':<9} "
                f"{u['full_name'] or '-':<34} {', '.join(u['roles']):<36} {offices}"
            )
        if not users:
            click.echo("No users yet: antrean user add NAME --role admin")
    finally:
        core.close()


def _user_id(core: Antrean, username: str) -> int:
    for u in core.users.list():
        if u["username"] == username.strip().lower():
            return u["id"]
    raise click.ClickException(
        f"no user {username!r} in office {core.settings.office_code} (antrean user list shows them)"
    )


@user.command("passwd")
@click.argument("username")
@click.option("--password", help="Prompted for when omitted.")
def user_passwd(username: str, password: str | None):
    """Set a user's password (their sessions and API tokens end)."""
    u = _update_user(username, password=_password(password, "New password"))
    click.echo(f"Password of {u['username']} changed.")


@user.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def user_disable(username: str, enable: bool):
    """Disable an account (it can no longer log in or use a token); --enable undoes it."""
    u = _update_user(username, active=enable)
    click.echo(f"User {u['username']} {'enabled' if u['active'] else 'disabled'}.")


def _update_user(username: str, **changes) -> dict:
    core = _core()
    try:
        core.migrate()
        return core.users.update(CLI_ADMIN, _user_id(core, username), **changes)
    except AntreanError as exc:
        _fail(exc)
    finally:
        core.close()


@user.command("unlock")
@click.argument("username")
@click.option("--address", help="Also forget the failed logins from this address (e.g. 192.168.1.20).")
def user_unlock(username: str, address: str | None):
    """Forget USERNAME's failed logins (from every address), so it may log in again at once."""
    core = _core()
    try:
        core.migrate()
        n = core.users.unlock(username, address)
        click.echo(f"{username}: {n} throttle record(s) cleared.")
    finally:
        core.close()


@user.command("logout")
@click.argument("username")
def user_logout(username: str):
    """End every console session and API token of a user now (a lost phone, a shared PC)."""
    core = _core()
    try:
        core.migrate()
        core.users.logout(SYSTEM, _user_id(core, username))
        click.echo(f"Every session and token of {username} has ended.")
    finally:
        core.close()


def _password(password: str | None, prompt: str = "Password") -> str:
    if password is None:
        if not sys.stdin.isatty():
            raise click.ClickException("--password is required when not run interactively")
        password = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return password


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    default=0,
    help="After the backup, keep only the newest N dated backups (antrean-*.db) in its folder.",
)
def backup(path: str | None, keep: int):
    """Copy the database while the server runs.

    PATH: a file, or a folder (existing, ending in /, or without extension) to put
    antrean-<UTC time>.db in; default <instance>/backups/."""
    settings = _checked_settings()
    source = bk.sqlite_path(settings.database_url)
    target = bk.target_path(path, settings.instance_path, ".db" if source else ".dump")
    try:
        if source is None:
            if shutil.which("pg_dump") is None:
                raise click.ClickException(
                    "PostgreSQL: pg_dump is not installed here (apt-get install postgresql-client), or run "
                    f"elsewhere: pg_dump --format=custom --no-owner --file={target} --dbname=DATABASE_URL "
                    "(restore with pg_restore --clean --if-exists --no-owner --dbname=DATABASE_URL FILE)"
                )
            done = bk.run_pg_dump(settings.database_url, target)
            click.echo(f"Backup written: {done['path']} ({done['bytes']} bytes, pg_dump custom format)")
        else:
            done = bk.backup_sqlite(source, target)
            click.echo(f"Backup written: {done['path']} ({done['bytes']} bytes, {done['tickets']} tickets)")
        if keep:
            for gone in bk.prune(Path(done["path"]).parent, keep):
                click.echo(f"Removed old backup {gone}")
    except bk.BackupError as exc:
        raise click.ClickException(f"backup failed: {exc}") from None


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: str, yes: bool):
    """Replace the database with a backup (the server must be stopped; the current one is kept aside)."""
    settings = _settings()
    database = bk.sqlite_path(settings.database_url)
    if database is None:
        raise click.ClickException(
            "PostgreSQL: restore with pg_restore, the server stopped: "
            "pg_restore --clean --if-exists --no-owner --dbname=DATABASE_URL BACKUP.dump"
        )
    try:
        info = bk.validate(Path(path), known_revisions())
        if not yes:
            click.confirm(
                f"Replace {database} with {path} ({info['tickets']} tickets, offices: {', '.join(info['offices'])})?",
                abort=True,
            )
        done = bk.restore_sqlite(Path(path), database, known_revisions())
    except bk.BackupError as exc:
        raise click.ClickException(f"restore refused: {exc}") from None
    core = _core()
    try:
        core.migrate()  # a backup from an older version is brought up to this one
    finally:
        core.close()
    if done["saved"]:
        click.echo(f"The database it replaced is kept as {done['saved']}")
    click.echo(f"Restored {path}: {done['tickets']} tickets (schema {done['revision']}).")


@main.group()
def calendar():
    """The office calendar: holidays, cuti bersama, closures (docs/calendar.md)."""


@calendar.group()
def holiday():
    """Add, list or remove one day of the calendar (one entry per date)."""


def _calendar_run(fn):
    """Run ``fn(core, actor)`` as the CLI admin; errors in Indonesian and English, exit status 1."""
    core = _core()
    try:
        core.migrate()
        return fn(core, CLI_ADMIN)
    except AntreanError as exc:
        text = exc.id_text if exc.id_text == exc.en_text else f"{exc.id_text}\n{exc.en_text}"
        raise click.ClickException(text) from None
    finally:
        core.close()


@holiday.command("add")
@click.argument("day", metavar="YYYY-MM-DD")
@click.argument("name")
@click.option(
    "--kind",
    default="libur_nasional",
    show_default=True,
    help="libur_nasional, cuti_bersama or penutupan (an ad-hoc closure of the whole day).",
)
def holiday_add(day: str, name: str, kind: str):
    """Add (or replace) the entry of DAY: a national holiday by default."""
    e = _calendar_run(lambda core, actor: core.calendar.add(actor, day, name, kind))
    click.echo(f"{e['date']} {e['kind']}: {e['name']}")


@holiday.command("list")
@click.option("--year", type=int, help="Only this year.")
def holiday_list(year: int | None):
    """List the calendar's entries (date, kind, name)."""
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
    """Add a sub-command to ``antrean`` (plugins: prefer the ``register_commands(cli)`` hook)."""
    main.add_command(cmd)


if __name__ == "__main__":
    main()
