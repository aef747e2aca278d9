"""The console plugin: the ``console`` blueprint at /console and the Socket.IO namespace ``/console``.

Consoles are told that something changed (every core event about tickets,
applications, lokets, services and printers, through the ``event_published`` hook)
and re-read their state from the server; the events carry no personal data.
"""

from __future__ import annotations

import logging

from flask_login import current_user
from flask_socketio import Namespace, join_room

from antrean import hookimpl

from . import admin, notify, reports, survey, views  # noqa: F401  (their routes, on the one blueprint)
from .base import bp

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


#: event types that change what a console shows (queues, worklists, printers, the live board's IKM)
PUSHED = ("ticket.", "application.", "counter.", "service.", "printer.state_changed", "print.", "survey.submitted")


@hookimpl
def event_published(core, event):
    """Tell the consoles what happened (the event's public data only); they re-read their state."""
    if event.type.startswith(PUSHED):
        push(core, event.type, **event.data)
