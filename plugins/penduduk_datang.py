"""SOP 04: Pembuatan Rekomendasi Administrasi Penduduk Datang (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="penduduk_datang",
    name="Rekomendasi Administrasi Penduduk Datang",
    short_name="Penduduk Datang",
    group="kependudukan",
    letter="D",
    agenda_code="DATANG",
    icon="arrive",
    documents=[
        "Surat Keterangan Pindah Warga Negara Indonesia (SKPWNI) dari daerah asal",
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK) daerah asal",
        "Surat pengantar RT/RW tempat tinggal baru",
    ],
    item="administrasi penduduk datang",
    recommendation="Rekomendasi dokumen penduduk datang",
)


@hookimpl
def register_sops():
    return [SOP]
