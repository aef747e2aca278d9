"""Antrean: queue and SOP service tracking for Kecamatan service offices.

For plugin authors: ``from antrean import hookimpl`` (see docs/plugins.md).
"""

__version__ = "0.1.0"

from antrean.kernel.hookspecs import hookimpl  # noqa: E402  (pluggy only: no ssl, threading or Flask before gevent's patch)


def create_app(config=None, **kwargs):
    """Build the Flask app (see antrean.web.app.create_app).

    Imported when called, not with the package: ``import antrean`` (the ``antrean`` command's first
    import) must stay light, so that ``antrean.entry`` can monkey-patch for gevent before Flask, ssl
    or psycopg are imported.
    """
    from antrean.web.app import create_app as _create

    return _create(config, **kwargs)


__all__ = ["__version__", "create_app", "hookimpl"]
