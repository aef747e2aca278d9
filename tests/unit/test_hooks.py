"""One test per hook (tests/unit/test_hook_meta.py checks that every hookspec has one here)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from antrean.core import Antrean
from antrean.kernel.hookspecs import hookimpl
from plugins import BUILTIN_SOP_MODULES

pytestmark = pytest.mark.usefixtures("migrated_sqlite")  # cores built here start from the migrated template


class Recorder:
    def __init__(self):
        self.events = []
        self.seen_committed = None

    @hookimpl
    def ticket_issuing(self, core, conn, ticket):
        ticket["recorded_in_transaction"] = True
        self.events.append(("issuing", ticket["number"]))

    @hookimpl
    def ticket_replayed(self, core, conn, ticket):
        ticket["recorded_in_transaction"] = "replayed"
        self.events.append(("replayed", ticket["number"]))

    @hookimpl
    def event_published(self, core, event):
        self.events.append(("event", event.type))

    @hookimpl
    def ticket_issued(self, core, ticket):
        # after commit: a separate connection sees the row
        engine = create_engine(core.settings.database_url)
        with engine.connect() as c:
            self.seen_committed = c.execute(
                text("SELECT number FROM ticket WHERE id = :i"), {"i": ticket["id"]}
            ).scalar()
        engine.dispose()
        self.events.append(("issued", ticket["number"]))

    @hookimpl
    def ticket_called(self, core, call):
        self.events.append(("called", call["number"], call["kind"], call["seq"], call["counter"]["number"]))

    @hookimpl
    def queue_changed(self, core, office_id, action, ticket):
        self.events.append(("changed", action, ticket["number"], ticket["status"]))

    @hookimpl
    def step_completed(self, core, application, step, log):
        self.events.append(("step", application["id"], step.no, log["outcome"]))

    @hookimpl
    def shutdown(self, core):
        self.events.append(("shutdown",))


@pytest.fixture
def rec_core(settings_dict):
    rec = Recorder()
    c = Antrean(settings_dict, plugins=(rec,), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.migrate()
    c.recorder = rec
    yield c
    c.close()


@pytest.fixture
def clerk(rec_core, make_user):
    return make_user(rec_core, "clerk", ["petugas_pelayanan", "petugas_verifikasi"])


def test_hook_register_sops(settings_dict):
    c = Antrean(
        settings_dict,
        builtins=tuple(BUILTIN_SOP_MODULES) + ("tests.unit.fixtures.good_sop_plugin",),
        entry_points=False,
    )
    try:
        c.migrate()
        assert "legalisir" in c.sops and c.service("legalisir")["standard_minutes"] == 7
    finally:
        c.close()


def test_hook_register_printer_drivers(settings_dict):
    """The schemes a plugin registers go into that core's own registry (core.extensions["hardware"].drivers),
    when the core is built: another core, and the built-in registry, never see them."""
    import hardware.printers as printers
    from hardware.ticket import PAPER_80

    made = []

    class Drivers:
        @hookimpl
        def register_printer_drivers(self):
            return {"testprn": lambda spec, profile, timeout: made.append(spec) or "printer-object"}

    from antrean import create_app

    app = create_app(settings_dict, plugins=(Drivers(),))
    other = Antrean(settings_dict, builtins=("hardware.plugin",), entry_points=False)
    try:
        drivers = app.extensions["antrean"].extensions["hardware"].drivers
        assert "testprn" in drivers and "tcp" in drivers
        assert printers.open_printer("testprn://x", PAPER_80, drivers=drivers) == "printer-object"
        assert made
        assert "testprn" not in other.extensions["hardware"].drivers and "tcp" in other.extensions["hardware"].drivers
        assert "testprn" not in printers.BUILTIN_DRIVERS
        with pytest.raises(printers.PrinterConfigError, match="unknown scheme 'testprn'"):
            printers.open_printer("testprn://x", PAPER_80)
    finally:
        other.close()
        app.extensions["antrean"].close()


EXTRA_MIGRATION = """
from alembic import op
import sqlalchemy as sa

revision = "notes_0001"
down_revision = None
branch_labels = ("notes",)
depends_on = "0011"


def upgrade():
    op.create_table("notes_note", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("office_id", sa.Integer(), sa.ForeignKey("office.id"), nullable=False),
                    sa.Column("text", sa.String(200), nullable=False))


def downgrade():
    op.drop_table("notes_note")
"""


def test_hook_register_migrations(settings_dict, tmp_path):
    """A plugin's version folder is one more Alembic branch: migrate() creates its table beside the core's and
    the hardware plugin's; a core without the plugin refuses the database (its revision is unknown there)."""
    from antrean.kernel.config import ConfigError
    from antrean.kernel.migrate import current, known_revisions

    folder = tmp_path / "notes_migrations"
    folder.mkdir()
    (folder / "notes_0001_note.py").write_text(EXTRA_MIGRATION)

    class Notes:
        @hookimpl
        def register_migrations(self):
            return folder

    c = Antrean(settings_dict, plugins=(Notes(),), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        c.migrate()
        assert current(c.db) == ("hardware_0001", "notes_0001")
        assert {"notes_0001", "hardware_0001", "0011"} <= known_revisions(c.plugins)
        with c.db.engine.begin() as conn:
            conn.execute(text("INSERT INTO notes_note (office_id, text) VALUES (:o, 'catatan')"), {"o": c.office_id})
        c.migrate()  # again: nothing to do
    finally:
        c.close()
    bare = Antrean(settings_dict, builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        with pytest.raises(ConfigError, match="notes_0001 unknown to this installation"):
            bare.migrate()
    finally:
        bare.close()


def test_hook_init_core(settings_dict):
    """Called once per core, app or not: the hardware plugin registers its service there."""
    seen = []

    class Service:
        @hookimpl
        def init_core(self, core):
            seen.append(core)
            core.extensions["svc"] = "ready"

    c = Antrean(settings_dict, plugins=(Service(),), builtins=("hardware.plugin",), entry_points=False)
    try:
        assert seen == [c] and c.extensions["svc"] == "ready"
        assert c.extensions["hardware"].core is c and "tcp" in c.extensions["hardware"].drivers
    finally:
        c.close()


def test_hook_authenticate_device(settings_dict):
    """The web layer asks the hook who an X-Device-Key belongs to; the first plugin that knows answers."""
    from antrean import create_app

    class Badges:
        @hookimpl
        def authenticate_device(self, core, key):
            return "kiosk-badge" if key == "badge-123" else None

    app = create_app(settings_dict, plugins=(Badges(),))
    try:
        client = app.test_client()
        r = client.post(
            "/api/v1/tickets", json={"service": "ktp", "device_id": "claimed"}, headers={"X-Device-Key": "badge-123"}
        )
        assert r.status_code == 201 and r.get_json()["device_id"] == "kiosk-badge"
        r = client.post(
            "/api/v1/tickets", json={"service": "ktp", "device_id": "claimed"}, headers={"X-Device-Key": "ak_unknown"}
        )  # nobody knows it: only a claim
        assert r.status_code == 201 and r.get_json()["device_id"] == "claimed"
        key = app.extensions["antrean"].extensions["hardware"].devices.add("kiosk-lobi")  # the hardware plugin's
        r = client.post("/api/v1/tickets", json={"service": "ktp"}, headers={"X-Device-Key": key})
        assert r.status_code == 201 and r.get_json()["device_id"] == "kiosk-lobi"
    finally:
        app.extensions["antrean"].close()


def test_hook_health_check(settings_dict):
    """Sections come after the core's, in plugin order; problems are listed, never make it unhealthy; a failing
    check is one more problem, not an error page."""
    from antrean import create_app

    class Ups:
        @hookimpl
        def health_check(self, core, database):
            return {"ups": {"on_battery": True}, "problems": ["ups: on battery"]}

    class Broken:
        @hookimpl
        def health_check(self, core, database):
            raise RuntimeError("sensor gone")

    app = create_app(settings_dict, plugins=(Ups(), Broken()))
    try:
        r = app.test_client().get("/-/health")
        body = r.get_json()
        assert r.status_code == 200 and body["status"] == "ok"
        assert set(body) == {
            "status",
            "version",
            "office",
            "database",
            "redis",
            "printers",
            "spooler",
            "ups",
            "problems",
            "checked_at",
        }
        assert body["ups"] == {"on_battery": True} and [p["name"] for p in body["printers"]] == ["default"]
        assert body["problems"] == ["ups: on battery", "plugin Broken: health check failed (RuntimeError)"]
    finally:
        app.extensions["antrean"].close()


def test_hook_register_commands():
    """Plugins add sub-commands to ``antrean`` (no database opened); a failing plugin is reported, not fatal,
    and no plugin may replace a command."""
    import click
    from click.testing import CliRunner

    from antrean import hookimpl as public_hookimpl
    from antrean.cli import load_plugin_commands, main

    assert public_hookimpl is hookimpl

    class Hello:
        @public_hookimpl
        def register_commands(self, cli):
            @cli.command()
            @click.option("--name", default="Bu Sari")
            def hello(name):
                click.echo(f"Halo, {name}")

    class Broken:
        @hookimpl
        def register_commands(self, cli):
            raise RuntimeError("boom")

    class Thief:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("user", callback=lambda: None))

    cli = click.Group("antrean", commands=dict(main.commands))
    core_user = cli.commands["user"]
    load_plugin_commands(cli, plugins=(Hello(), Broken(), Thief()))
    assert {"printer", "kiosk", "hello"} <= set(cli.commands)  # the built-ins' commands come from their plugins
    assert cli.commands["user"] is core_user
    runner = CliRunner()
    assert runner.invoke(cli, ["hello", "--name", "Pak Budi"]).output == "Halo, Pak Budi\n"
    # the real command line finds the plugins' commands on its own
    result = runner.invoke(main, ["printer", "--help"])
    assert result.exit_code == 0 and "Ticket printers" in result.output
    assert "kiosk" in runner.invoke(main, ["--help"]).output


def test_hook_register_commands_reports_failures(capsys):
    import click

    from antrean.cli import load_plugin_commands

    class Broken:
        @hookimpl
        def register_commands(self, cli):
            raise RuntimeError("boom")

    class Thief:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(click.Command("printer", callback=lambda: None))

    cli = click.Group("antrean")
    load_plugin_commands(cli, plugins=(Broken(), Thief(), "no_such_plugin_xyz"))
    err = capsys.readouterr().err
    assert "register_commands failed: RuntimeError('boom')" in err
    assert "may not replace the command 'printer'" in err
    assert "no_such_plugin_xyz skipped" in err
    assert isinstance(cli.commands["printer"], click.Group)  # the hardware plugin's, kept


def test_hook_init_app(settings_dict):
    from flask import Blueprint

    from antrean import create_app

    class Face:
        @hookimpl
        def init_app(self, app, core):
            bp = Blueprint("extra", __name__)
            bp.add_url_rule("/extra", "extra", lambda: {"office": core.office()["name"]})
            app.register_blueprint(bp)

    app = create_app(settings_dict, plugins=(Face(),))
    try:
        assert app.test_client().get("/extra").json == {"office": "Kantor Kecamatan Uji"}
    finally:
        app.extensions["antrean"].close()


def test_hook_event_published(rec_core, counter, clerk, admin):
    rec_core.tickets.issue("ktp")
    rec_core.queue.call_next(counter["id"], clerk)
    rec_core.set_setting("running_text", "Halo", admin)
    events = rec_core.recorder.events
    # each event first, then the specific hook it belongs to: one dispatcher, one order
    assert [e for e in events if e[0] in ("event", "issued", "called") and e[1] != "user.changed"] == [
        ("event", "ticket.issued"),
        ("issued", "B001"),
        ("event", "ticket.called"),
        ("called", "B001", "call", 1, 1),
        ("event", "settings.changed"),
    ]


def test_hook_ticket_issuing(rec_core):
    ticket, _ = rec_core.tickets.issue("ktp")
    assert ticket["recorded_in_transaction"] is True
    assert ("issuing", "B001") in rec_core.recorder.events


def test_hook_ticket_replayed(rec_core):
    first, _ = rec_core.tickets.issue("ktp", idempotency_key="tap-123456")
    again, created = rec_core.tickets.issue("ktp", idempotency_key="tap-123456")
    assert first["recorded_in_transaction"] is True and not created
    assert again["recorded_in_transaction"] == "replayed"
    assert [e for e in rec_core.recorder.events if e[0] not in ("issued", "event")] == [
        ("issuing", "B001"),
        ("replayed", "B001"),
    ]


def test_hook_ticket_issued(rec_core):
    rec_core.tickets.issue("ktp")
    assert rec_core.recorder.events[-1] == ("issued", "B001")
    assert rec_core.recorder.seen_committed == "B001"


def test_hook_ticket_called(rec_core, counter, clerk):
    rec_core.tickets.issue("ktp")
    rec_core.queue.call_next(counter["id"], clerk)
    rec_core.queue.recall(counter["id"], clerk)
    called = [e for e in rec_core.recorder.events if e[0] == "called"]
    assert [e[1:3] + (e[4],) for e in called] == [("B001", "call", 1), ("B001", "recall", 1)]
    assert called[1][3] > called[0][3]


def test_hook_queue_changed(rec_core, counter, clerk):
    rec_core.tickets.issue("ktp")
    rec_core.queue.call_next(counter["id"], clerk)
    rec_core.queue.hold(counter["id"], clerk)
    assert rec_core.recorder.events[-1] == ("changed", "hold", "B001", "held")


def test_hook_step_completed(rec_core, counter, clerk):
    rec_core.tickets.issue("ktp")
    call = rec_core.queue.call_next(counter["id"], clerk)
    app = rec_core.workflow.open(clerk, ticket_id=call["ticket_id"], applicant_name="Ani")
    rec_core.workflow.complete_step(app["id"], 2, clerk, outcome="DONE")
    rec_core.workflow.complete_step(app["id"], 3, clerk, outcome="MS")
    assert [e for e in rec_core.recorder.events if e[0] == "step"] == [
        ("step", app["id"], 2, "DONE"),
        ("step", app["id"], 3, "MS"),
    ]


def test_hook_shutdown(settings_dict):
    rec = Recorder()
    c = Antrean(settings_dict, plugins=(rec,), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.close()
    assert rec.events == [("shutdown",)]


def test_hook_openapi_paths(settings_dict):
    """A plugin's hand-written paths are merged into /api/v1/openapi.json (over the generated ones)."""
    from antrean import create_app

    class Surveys:
        @hookimpl
        def openapi_paths(self, core):
            return {
                "/surveys": {"post": {"summary": "Answer the survey", "responses": {"201": {"description": "Saved"}}}}
            }

    app = create_app(settings_dict | {"start_workers": False}, plugins=(Surveys(),))
    try:
        paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
        assert paths["/surveys"]["post"]["summary"] == "Answer the survey" and "/tickets" in paths
    finally:
        app.extensions["antrean"].close()


def test_hook_register_settings(settings_dict, monkeypatch):
    """Declared settings are checked at start-up and read through core.plugin_settings (more: test_plugin_settings)."""
    from antrean.kernel.config import ConfigError

    class Kiosk2:
        __name__ = "kios2"

        @hookimpl
        def register_settings(self):
            return [
                {
                    "name": "idle_seconds",
                    "type": "int",
                    "default": 40,
                    "min": 5,
                    "max": 600,
                    "description": "back to the start after this long",
                }
            ]

    monkeypatch.setenv("ANTREAN_KIOS2_IDLE_SECONDS", "90")
    c = Antrean(settings_dict, plugins=(Kiosk2(),), builtins=(), entry_points=False)
    try:
        assert c.plugin_settings("kios2")["idle_seconds"] == 90
    finally:
        c.close()
    monkeypatch.setenv("ANTREAN_KIOS2_IDLE_SECONDS", "1")
    with pytest.raises(
        ConfigError,
        match="ANTREAN_KIOS2_IDLE_SECONDS: setting 'idle_seconds' of the plugin kios2: "
        "expected a whole number from 5 to 600, got '1'",
    ):
        Antrean(settings_dict, plugins=(Kiosk2(),), builtins=(), entry_points=False)


def test_hook_register_commands():
    """A plugin's commands join the click group it is given (antrean/cli.py passes its ``antrean`` group)."""
    import click
    from click.testing import CliRunner

    from antrean.kernel.plugins import build_plugin_host

    class Greeter:
        @hookimpl
        def register_commands(self, cli):
            @cli.command()
            @click.argument("name")
            def salam(name):
                """Say hello."""
                click.echo(f"Selamat pagi, {name}")

    @click.group()
    def cli():
        pass

    host = build_plugin_host((Greeter(),), builtins=(), entry_points=False)
    host.hook.register_commands(cli=cli)
    r = CliRunner().invoke(cli, ["salam", "Ani"])
    assert r.exit_code == 0 and r.output == "Selamat pagi, Ani\n"
