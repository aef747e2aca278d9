"""SOP 05: Pembuatan Rekomendasi Administrasi Penduduk Pindah (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="penduduk_pindah",
    name="Rekomendasi Administrasi Penduduk Pindah",
    short_name="Penduduk Pindah",
    group="kependudukan",
    letter="E",
    agenda_code="PINDAH",
    icon="move",
    documents=[
        "Kartu Keluarga (KK) asli",
        "Fotokopi KTP",
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
    ],
    item="administrasi penduduk pindah",
    recommendation="Rekomendasi dokumen penduduk pindah",
)


@hookimpl
def register_sops():
    return [SOP]
