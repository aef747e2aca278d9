"""SOP 14: Rekomendasi Surat Keterangan Izin Keramaian (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="izin_keramaian",
    name="Surat Keterangan Izin Keramaian",
    short_name="Izin Keramaian",
    group="perizinan",
    letter="N",
    agenda_code="IK",
    icon="crowd",
    documents=[
        "Surat permohonan izin keramaian",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi KTP penanggung jawab acara",
        "Surat pernyataan tidak keberatan dari warga sekitar",
        "Susunan acara kegiatan",
    ],
    item="Surat Keterangan Izin Keramaian",
)


@hookimpl
def register_sops():
    return [SOP]
