"""The ``antrean`` command's entry point: gevent's monkey-patching first, then the CLI.

Nothing above the patch may import ssl, threading, psycopg or the app; this module imports
only ``sys`` until it has decided. Only ``antrean run`` (without ``--dev``) is patched.
"""

import sys


def prepare(argv: list[str]) -> None:
    """Patch the standard library for gevent when ``argv`` starts the production server."""
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] == "run" and "--dev" not in argv:
        from gevent import monkey

        if not monkey.is_module_patched("socket"):
            monkey.patch_all()


def main() -> None:
    prepare(sys.argv[1:])
    from antrean.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
