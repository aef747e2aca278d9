"""SOP 15: Rekomendasi Surat Keterangan Catatan Kepolisian (SKCK) (template S)."""

from ._templates import hookimpl, template_s

SOP = template_s(
    code="skck",
    name="Rekomendasi Surat Keterangan Catatan Kepolisian (SKCK)",
    short_name="Rekomendasi SKCK",
    group="surat_keterangan",
    letter="O",
    agenda_code="SKCK",
    icon="police",
    documents=[
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK)",
        "Pas foto berwarna ukuran 4x6",
    ],
    item="Surat Keterangan Catatan Kepolisian (SKCK)",
    recommendation="Rekomendasi Surat Keterangan Catatan Kepolisian (SKCK)",
    form_output="Rekomendasi Surat Keterangan Catatan Kepolisian (SKCK)",
)


@hookimpl
def register_sops():
    return [SOP]
