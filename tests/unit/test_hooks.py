"""One test per hook (tests/unit/test_hook_meta.py checks that every hookspec has one here)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

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
            self.seen_committed = c.execute(text("SELECT number FROM ticket WHERE id = :i"), {"i": ticket["id"]}).scalar()
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
    c = Antrean(settings_dict, builtins=tuple(BUILTIN_SOP_MODULES) + ("tests.unit.fixtures.good_sop_plugin",),
                entry_points=False)
    try:
        c.migrate()
        assert "legalisir" in c.sops and c.service("legalisir")["standard_minutes"] == 7
    finally:
        c.close()


def test_hook_register_printer_drivers(settings_dict):
    import hardware.printers as printers

    made = []

    class Drivers:
        @hookimpl
        def register_printer_drivers(self):
            return {"testprn": lambda spec, profile, timeout: made.append(spec) or "printer-object"}

    from antrean import create_app
    app = create_app(settings_dict, plugins=(Drivers(),))
    try:
        assert "testprn" in printers.DRIVERS
        assert printers.open_printer("testprn://x", printers.PAPER_80 if hasattr(printers, "PAPER_80") else None) \
            == "printer-object"
        assert made
    finally:
        printers.DRIVERS.pop("testprn", None)
        app.extensions["antrean"].close()


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
        ("event", "ticket.issued"), ("issued", "B001"), ("event", "ticket.called"), ("called", "B001", "call", 1, 1),
        ("event", "settings.changed")]


def test_hook_ticket_issuing(rec_core):
    ticket, _ = rec_core.tickets.issue("ktp")
    assert ticket["recorded_in_transaction"] is True
    assert ("issuing", "B001") in rec_core.recorder.events


def test_hook_ticket_replayed(rec_core):
    first, _ = rec_core.tickets.issue("ktp", idempotency_key="tap-123456")
    again, created = rec_core.tickets.issue("ktp", idempotency_key="tap-123456")
    assert first["recorded_in_transaction"] is True and not created
    assert again["recorded_in_transaction"] == "replayed"
    assert [e for e in rec_core.recorder.events if e[0] not in ("issued", "event")] == [("issuing", "B001"),
                                                                                       ("replayed", "B001")]


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
    assert [e for e in rec_core.recorder.events if e[0] == "step"] == [("step", app["id"], 2, "DONE"),
                                                                        ("step", app["id"], 3, "MS")]


def test_hook_shutdown(settings_dict):
    rec = Recorder()
    c = Antrean(settings_dict, plugins=(rec,), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    c.close()
    assert rec.events == [("shutdown",)]


def test_hook_openapi_paths(settings_dict):
    """A plugin's paths are merged into /api/v1/openapi.json."""
    from antrean.web.openapi import spec

    class Surveys:
        @hookimpl
        def openapi_paths(self, core):
            return {"/surveys": {"post": {"summary": "Answer the survey",
                                          "responses": {"201": {"description": "Saved"}}}}}
    c = Antrean(settings_dict, plugins=(Surveys(),), builtins=tuple(BUILTIN_SOP_MODULES), entry_points=False)
    try:
        paths = spec(c)["paths"]
        assert paths["/surveys"]["post"]["summary"] == "Answer the survey" and "/tickets" in paths
    finally:
        c.close()
