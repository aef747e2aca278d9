"""SOP 11: Rekomendasi Surat Keterangan Tidak Mampu (SKTM) (template S)."""

from ._templates import hookimpl, template_s

SOP = template_s(
    code="sktm",
    name="Rekomendasi Surat Keterangan Tidak Mampu (SKTM)",
    short_name="Rekomendasi SKTM",
    group="surat_keterangan",
    letter="K",
    agenda_code="SKTM",
    icon="money",
    documents=[
        "Surat pengantar RT/RW",
        "Surat keterangan tidak mampu dari desa/kelurahan",
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK)",
    ],
    item="Surat Keterangan Tidak Mampu (SKTM)",
    recommendation="Rekomendasi Surat Keterangan Tidak Mampu (SKTM)",
    form_output="Rekomendasi Surat Keterangan Tidak Mampu (SKTM)",
)


@hookimpl
def register_sops():
    return [SOP]
