"""The ``publik`` face as a built-in plugin: registers the ``publik`` blueprint (/survei…, /publik…)."""
from __future__ import annotations

from antrean import hookimpl


@hookimpl
def init_app(app, core):
    from . import booking
    from .views import bp

    app.register_blueprint(bp)
    booking.register(app)
