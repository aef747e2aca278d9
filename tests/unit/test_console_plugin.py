"""The console's hook implementations, without Flask: what they push, and that a core without a web app is fine."""

from __future__ import annotations

import pytest

import console.plugin as plugin
from plugins import BUILTIN_SOP_MODULES


@pytest.fixture
def core(settings_dict, migrated_sqlite):
    """A core with the SOPs and the console plugin only (no Flask app)."""
    from antrean.core import Antrean

    c = Antrean(settings_dict, builtins=BUILTIN_SOP_MODULES + ("console.plugin",), entry_points=False)
    c.migrate()
    yield c
    c.close()


class FakeSocketIO:
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def emit(self, event, data, namespace, to):
        if self.fail:
            raise ConnectionError("redis down")
        self.sent.append((event, data, namespace, to))


def test_hooks_push_updates_without_personal_data(core, counter, make_user):
    sio = FakeSocketIO()
    core.extensions["socketio"] = sio
    clerk = make_user(core, "loket", ["petugas_pelayanan"])
    ticket, _ = core.tickets.issue("sktm")
    call = core.queue.call_next(counter["id"], clerk)
    app = core.workflow.open(clerk, ticket_id=ticket["id"], applicant_name="Rahasia", nik="3201234507890001")
    core.workflow.complete_step(app["id"], 2, clerk, outcome="DONE")
    events = [d for e, d, ns, to in sio.sent if (e, ns, to) == ("update", "/console", "staff")]
    assert len(events) == len(sio.sent)
    assert [e["event"] for e in events] == [
        "ticket.issued",
        "ticket.called",
        "ticket.started",
        "application.opened",
        "application.step_completed",
    ]
    assert events[1] == {
        "event": "ticket.called",
        "seq": call["seq"],
        "number": ticket["number"],
        "ticket_id": ticket["id"],
        "status": "called",
        "service": "sktm",
        "recalls": 0,
        "counter": {"id": counter["id"], "number": 1, "name": "Loket 1"},
        "kind": "call",
    }
    assert "Rahasia" not in repr(events) and "3201234507890001" not in repr(events)


def test_a_failing_push_never_undoes_the_action(core, counter, make_user):
    core.extensions["socketio"] = FakeSocketIO(fail=True)
    ticket, created = core.tickets.issue("kk")
    assert created and core.tickets.get(ticket["id"])["status"] == "waiting"


def test_no_web_app_no_push(core):
    core.extensions.pop("socketio", None)
    plugin.push(core, "ticket_issued", number="A001")  # nothing to push to: no error
