"""The ``publik`` face as a built-in plugin: registers the ``publik`` blueprint (/survei…, /publik…)."""

from __future__ import annotations

from antrean import hookimpl

from . import booking
from .views import bp


@hookimpl
def init_app(app, core):
    app.register_blueprint(bp)
    booking.register(app)
