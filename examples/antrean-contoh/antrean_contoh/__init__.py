"""antrean-contoh: an example third-party Antrean plugin (see README.md beside this package)."""

__version__ = "1.0.0"
