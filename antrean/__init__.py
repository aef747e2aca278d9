"""Antrean: queue and SOP service tracking for Kecamatan service offices."""
__version__ = "0.1.0"


def create_app(config=None, **kwargs):
    """Build the Flask app (see antrean.web.app.create_app)."""
    from antrean.web.app import create_app as _create

    return _create(config, **kwargs)
