"""SOP 02: Pembuatan Rekomendasi Kartu Tanda Penduduk (KTP) (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="ktp",
    name="Rekomendasi Kartu Tanda Penduduk (KTP)",
    short_name="Rekomendasi KTP",
    group="kependudukan",
    letter="B",
    agenda_code="KTP",
    icon="idcard",
    documents=[
        "Fotokopi Kartu Keluarga (KK)",
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "KTP lama (bila rusak atau ada perubahan data)",
        "Surat keterangan kehilangan dari kepolisian (bila KTP hilang)",
    ],
    item="Kartu Tanda Penduduk (KTP)",
    request="Kartu Tanda Penduduk (KTP)",
    recommendation="Rekomendasi Dokumen Kependudukan baru",
)


@hookimpl
def register_sops():
    return [SOP]
