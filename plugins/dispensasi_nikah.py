"""SOP 16: Rekomendasi Dispensasi Nikah (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="dispensasi_nikah",
    name="Dispensasi Nikah",
    short_name="Dispensasi Nikah",
    group="surat_keterangan",
    letter="P",
    agenda_code="DN",
    icon="ring",
    documents=[
        "Surat pengantar nikah dari desa/kelurahan",
        "Surat pemberitahuan dari KUA (kurang dari 10 hari kerja)",
        "Fotokopi KTP kedua calon pengantin",
        "Fotokopi Kartu Keluarga (KK)",
        "Fotokopi akta kelahiran kedua calon pengantin",
    ],
    item="Dispensasi Nikah",
)


@hookimpl
def register_sops():
    return [SOP]
