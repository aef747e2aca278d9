"""The one place that imports python-escpos.

Why this module exists: ``escpos.capabilities`` runs ``logging.basicConfig()``
at import time, which attaches a stderr handler to the root logger when it has
none.  After that, the application's own ``logging.basicConfig(...)`` silently
does nothing (basicConfig is a no-op once root has handlers), so importing
escpos before logging is configured would break our log format and level.
The drivers also log through the module-level ``logging.info()`` /
``logging.error()`` functions, which call ``basicConfig()`` in the same way the
first time they run on an unconfigured root logger.

:func:`preserve_root_logging` undoes exactly that: root handlers that appear
while it is active are removed again.  We import escpos under it here, and
:mod:`hardware.printers` wraps driver calls in it.  Every other module in this
package imports escpos names from here, never from ``escpos`` directly.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def preserve_root_logging() -> Iterator[None]:
    """Remove root-logger handlers added (by an implicit basicConfig) inside the block."""
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)


with preserve_root_logging():
    from escpos import exceptions as escpos_exceptions  # noqa: E402
    from escpos.escpos import Escpos  # noqa: E402
    from escpos.image import EscposImage  # noqa: E402
    from escpos.printer import (  # noqa: E402
        CupsPrinter,
        Dummy,
        File,
        Network,
        Serial,
        Usb,
    )

__all__ = [
    "CupsPrinter",
    "Dummy",
    "Escpos",
    "EscposImage",
    "File",
    "Network",
    "Serial",
    "Usb",
    "escpos_exceptions",
    "preserve_root_logging",
]
