"""The console plugin: the ``console`` blueprint at /console and the Socket.IO namespace ``/console``.

Consoles are told that something changed (a ticket issued, called, skipped…,
a step completed) and re-read their state from the server; the events carry
no personal data, only what happened, the ticket number and the call ``seq``.
"""
from __future__ import annotations

import logging

from flask_login import current_user
from flask_socketio import Namespace, join_room

from antrean.hookspecs import hookimpl

log = logging.getLogger(__name__)

NAMESPACE = "/console"
ROOM = "staff"


class ConsoleNamespace(Namespace):
    """Only logged-in staff may connect; everyone joins the office's staff room."""

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            return False  # refused: the client sees a connect_error
        join_room(ROOM)
        return None

    def on_disconnect(self, reason=None):
        return None


@hookimpl
def init_app(app, core):
    from .views import bp

    app.register_blueprint(bp)
    socketio = app.extensions["antrean.socketio"]
    socketio.on_namespace(ConsoleNamespace(NAMESPACE))


def push(core, event: str, **data) -> None:
    socketio = core.extensions.get("socketio")
    if socketio is None:  # a core without a web app (CLI, unit tests)
        return
    try:
        socketio.emit("update", {"event": event, **data}, namespace=NAMESPACE, to=ROOM)
    except Exception:  # a broken push must never undo the committed action
        log.exception("console push failed (%s)", event)


@hookimpl
def ticket_issued(core, ticket):
    push(core, "ticket_issued", number=ticket["number"], service=ticket["service"])


@hookimpl
def ticket_called(core, call):
    push(core, "ticket_called", seq=call["seq"], number=call["number"], service=call["service"],
          counter=call["counter"]["id"], kind=call["kind"])


@hookimpl
def queue_changed(core, office_id, action, ticket):
    push(core, "queue_changed", action=action, number=ticket["number"], service=ticket["service"])


@hookimpl
def step_completed(core, application, step, log):
    push(core, "step_completed", application=application["id"], step=step.no, status=application["status"])
