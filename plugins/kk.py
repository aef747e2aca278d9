"""SOP 03: Pembuatan Rekomendasi Perubahan Kartu Keluarga (KK) (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="kk",
    name="Rekomendasi Perubahan Kartu Keluarga (KK)",
    short_name="Perubahan KK",
    group="kependudukan",
    letter="C",
    agenda_code="KK",
    icon="family",
    documents=[
        "Kartu Keluarga (KK) asli",
        "Fotokopi KTP kepala keluarga",
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "Dokumen dasar perubahan data (akta kelahiran, buku nikah, akta kematian, atau ijazah)",
    ],
    item="perubahan Kartu Keluarga (KK)",
    recommendation="Rekomendasi perubahan Kartu Keluarga baru",
    form_output="Rekomendasi formulir pembuatan Kartu Keluarga baru",
)


@hookimpl
def register_sops():
    return [SOP]
