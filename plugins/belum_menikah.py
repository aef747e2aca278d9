"""SOP 12: Rekomendasi Surat Keterangan Belum Pernah Menikah (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="belum_menikah",
    name="Surat Keterangan Belum Pernah Menikah",
    short_name="Belum Pernah Menikah",
    group="surat_keterangan",
    letter="L",
    agenda_code="BPM",
    icon="heart",
    documents=[
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK)",
        "Surat pernyataan belum pernah menikah bermeterai",
    ],
    item="Surat Keterangan Belum Pernah Menikah",
)


@hookimpl
def register_sops():
    return [SOP]
