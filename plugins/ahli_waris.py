"""SOP 09: Pembuatan Rekomendasi Surat Keterangan Ahli Waris (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="ahli_waris",
    name="Surat Keterangan Ahli Waris",
    short_name="Keterangan Ahli Waris",
    group="surat_keterangan",
    letter="I",
    agenda_code="AW",
    icon="home",
    documents=[
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi akta kematian pewaris",
        "Fotokopi KTP dan Kartu Keluarga (KK) para ahli waris",
        "Surat pernyataan ahli waris yang diketahui kepala desa/lurah",
        "Fotokopi KTP dua orang saksi",
    ],
    item="Surat Keterangan Ahli Waris",
)


@hookimpl
def register_sops():
    return [SOP]
