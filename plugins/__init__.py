"""Built-in SOP plugins: the office's 20 procedures, one module each.

Each module is a pluggy plugin for the ``antrean`` project: it defines a plain
``SOP`` dict and implements the ``register_sops`` hook.  The shared flowchart
templates live in :mod:`plugins._templates`.
"""

BUILTIN_SOP_MODULES = tuple(
    f"{__name__}.{module}"
    for module in (
        "ektp",
        "ktp",
        "kk",
        "penduduk_datang",
        "penduduk_pindah",
        "akta_kelahiran",
        "akta_kematian",
        "kia",
        "ahli_waris",
        "bepergian",
        "sktm",
        "belum_menikah",
        "calon_tki",
        "izin_keramaian",
        "skck",
        "dispensasi_nikah",
        "daftar_susunan_keluarga",
        "proposal_bantuan",
        "oss",
        "pengaduan",
    )
)

__all__ = ["BUILTIN_SOP_MODULES"]
