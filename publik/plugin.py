"""The ``publik`` face as a built-in plugin: registers the ``publik`` blueprint (/survei…, /publik…)."""
from __future__ import annotations

from antrean.hookspecs import hookimpl


@hookimpl
def init_app(app, core):
    from .views import bp

    app.register_blueprint(bp)
