"""SOP 17: Rekomendasi Pengesahan Daftar Susunan Keluarga (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="daftar_susunan_keluarga",
    name="Pengesahan Daftar Susunan Keluarga",
    short_name="Daftar Susunan Keluarga",
    group="surat_keterangan",
    letter="Q",
    agenda_code="DSK",
    icon="people",
    documents=[
        "Surat pengantar dari desa/kelurahan",
        "Daftar susunan keluarga yang ditandatangani kepala desa/lurah",
        "Fotokopi Kartu Keluarga (KK)",
        "Fotokopi KTP pemohon",
        "Fotokopi akta kematian (bila untuk keperluan waris)",
    ],
    item="Pengesahan Daftar Susunan Keluarga",
)


@hookimpl
def register_sops():
    return [SOP]
