"""The kiosk face as a built-in plugin: registers the ``kiosk`` blueprint (/kiosk and /t/<token>)."""
from __future__ import annotations

from antrean.kernel.hookspecs import hookimpl


@hookimpl
def init_app(app, core):
    from .views import register

    register(app, core)
