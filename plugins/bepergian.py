"""SOP 10: Rekomendasi Surat Bepergian (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="bepergian",
    name="Surat Bepergian",
    short_name="Surat Bepergian",
    group="surat_keterangan",
    letter="J",
    agenda_code="SB",
    icon="travel",
    documents=[
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK)",
    ],
    item="Surat Bepergian",
)


@hookimpl
def register_sops():
    return [SOP]
