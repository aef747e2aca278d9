"""SOP 01: Prosedur Permohonan Perekaman e-KTP (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="ektp",
    name="Permohonan Perekaman e-KTP",
    short_name="Perekaman e-KTP",
    group="kependudukan",
    letter="A",
    agenda_code="EKTP",
    icon="idcard",
    documents=[
        "Fotokopi Kartu Keluarga (KK)",
        "Surat pengantar RT/RW",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi akta kelahiran atau buku nikah (bagi pemohon pemula)",
    ],
    item="perekaman e-KTP",
    request="perekaman e-KTP",
    recommendation="Rekomendasi Dokumen Kependudukan baru",
    handover_activity="Melakukan perekaman e-KTP",
    handover_present=True,
    minutes=(0, 1, 5, 2, 2, 5, 0),
)


@hookimpl
def register_sops():
    return [SOP]
