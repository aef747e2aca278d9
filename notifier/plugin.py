"""The notifier plugin: messages to citizens through a gateway, never in the request.

Hooks (see docs/notifications.md):

* ``init_app`` - check ``notify_url`` (one-line ConfigError), build the driver and the worker
  (started when ``settings.start_workers``), register the public opt-in/opt-out pages.
* ``event_published`` - after commit: hand the event to the worker's queue (the messages it calls
  for are queued off the request's thread).
* ``shutdown`` - stop the worker.
"""

from __future__ import annotations

from antrean import hookimpl
from antrean.kernel.config import ConfigError

from .drivers import NotifyConfigError, open_driver
from .views import bp
from .worker import Notifier

__version__ = "1.0"

KEY = "notify.worker"


def get_notifier(core):
    return core.extensions.get(KEY)


@hookimpl
def init_app(app, core):
    try:
        driver = open_driver(core.settings, timeout=float(core.settings.extra.get("notify_timeout", 10.0)))
    except NotifyConfigError as exc:
        raise ConfigError(f"notify_url: {exc}") from None
    app.register_blueprint(bp)
    app.extensions["antrean.csrf"].exempt(bp)  # public, token-scoped forms of the citizen's phone
    if driver is None:
        return
    notifier = core.extensions[KEY] = Notifier(core, driver)
    core.extensions["notify.wake"] = notifier.wake
    if core.settings.start_workers:
        notifier.start()


@hookimpl
def event_published(core, event):
    notifier = core.extensions.get(KEY)
    if notifier is not None:
        notifier.submit(event)


@hookimpl
def shutdown(core):
    notifier = core.extensions.pop(KEY, None)
    core.extensions.pop("notify.wake", None)
    if notifier is not None:
        notifier.stop()
