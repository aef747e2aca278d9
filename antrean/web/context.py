"""What every web module needs from the running app, without importing the app factory
(``antrean.web.app`` imports the API and meta blueprints; they must not import it back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from antrean.core import Antrean


def get_core(app: Flask | None = None) -> Antrean:
    return (app or current_app).extensions["antrean"]
