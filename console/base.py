"""What every console module shares: the blueprint, the page decorator (``allowed``), the acting user. The page modules (views, admin, notify, reports, survey) import it; ``console.plugin`` imports them
all, so their routes are on the blueprint before the app registers it."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint
from flask_login import current_user, login_required

from antrean.kernel import policy
from antrean.web.app import get_core

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def actor():
    return current_user.actor


def allowed(action: str):
    """A console page: log-in required, then ``antrean.kernel.policy`` decides ``action`` (403 otherwise; the core
    decides again on the record itself, e.g. 404 for an application the user may not read). The action is
    kept on the view for the route × role test."""

    def deco(fn):
        @wraps(fn)
        @login_required
        def wrapper(*args, **kwargs):
            policy.require(get_core(), actor(), action)
            return fn(*args, **kwargs)

        wrapper.policy_action = action
        return wrapper

    return deco
