"""SOP 13: Rekomendasi Surat Keterangan Calon TKI (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="calon_tki",
    name="Surat Keterangan Calon TKI",
    short_name="Calon TKI",
    group="surat_keterangan",
    letter="M",
    agenda_code="TKI",
    icon="worker",
    documents=[
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK)",
        "Fotokopi akta kelahiran",
        "Surat izin dari orang tua, suami, atau istri",
    ],
    item="Surat Keterangan Calon TKI",
)


@hookimpl
def register_sops():
    return [SOP]
