"""The plugin module named by the entry point ``contoh`` (pyproject.toml): three hooks.

* ``register_sops``: the SOP "Surat Keterangan Domisili Usaha" (antrean_contoh/sop.py);
* ``register_settings``: ``masa_berlaku_bulan``, how many months the letter is valid
  (``ANTREAN_CONTOH_MASA_BERLAKU_BULAN`` or ``[contoh] masa_berlaku_bulan`` in antrean.toml),
  checked when Antrean starts;
* ``register_commands``: ``antrean contoh syarat [--json]``, the requirements of the service
  as the office's settings make them.
"""

from __future__ import annotations

import json

import click

from antrean import hookimpl
from antrean.core import Antrean
from antrean.kernel.config import load_settings

from . import __version__
from .sop import CODE, SOP

__all__ = ["__version__", "register_sops", "register_settings", "register_commands"]

NAMESPACE = "contoh"  # the entry-point name: the namespace of this plugin's settings


@hookimpl
def register_sops():
    return [SOP]


@hookimpl
def register_settings():
    return [
        {
            "name": "masa_berlaku_bulan",
            "type": "int",
            "default": 6,
            "min": 1,
            "max": 60,
            "description": "masa berlaku Surat Keterangan Domisili Usaha, dalam bulan / "
            "months the Surat Keterangan Domisili Usaha is valid",
        }
    ]


def requirements(core) -> dict:
    """What a citizen needs to know, from the SOP as loaded and this plugin's setting."""
    sop = core.sops[CODE]
    return {
        "service": sop.code,
        "name": sop.name,
        "standard_minutes": sop.standard_minutes,
        "documents": list(sop.documents),
        "steps": [{"no": s.no, "activity": s.activity, "role": s.role, "minutes": s.minutes} for s in sop.steps],
        "valid_months": core.plugin_settings(NAMESPACE)["masa_berlaku_bulan"],
    }


@hookimpl
def register_commands(cli):
    @cli.group(name="contoh")
    def contoh():
        """Example plugin antrean-contoh: Surat Keterangan Domisili Usaha."""

    @contoh.command()
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def syarat(as_json: bool):
        """Persyaratan, langkah dan masa berlaku / requirements, steps and validity."""
        core = Antrean(load_settings())  # the CLI has no core of its own: one per command; every setting checked
        try:
            info = requirements(core)
        finally:
            core.close()
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False, indent=2))
            return
        click.echo(
            f"{info['name']} — standar waktu / time standard: {info['standard_minutes']} menit (minutes); "
            f"berlaku / valid: {info['valid_months']} bulan (months)"
        )
        click.echo("Persyaratan / Requirements:")
        for doc in info["documents"]:
            click.echo(f"  - {doc}")
        click.echo("Langkah / Steps:")
        for s in info["steps"]:
            click.echo(f"  {s['no']}. {s['activity']} ({s['role']}, {s['minutes']} menit)")
