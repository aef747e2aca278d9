"""SOP 07: Pembuatan Rekomendasi Administrasi Akta Kematian (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="akta_kematian",
    name="Rekomendasi Administrasi Akta Kematian",
    short_name="Akta Kematian",
    group="kependudukan",
    letter="G",
    agenda_code="AKM",
    icon="death",
    documents=[
        "Surat keterangan kematian dari desa/kelurahan atau rumah sakit",
        "KTP dan Kartu Keluarga (KK) almarhum/almarhumah",
        "Fotokopi KTP pelapor",
        "Fotokopi KTP dua orang saksi",
    ],
    item="administrasi akta kematian",
    recommendation="Rekomendasi administrasi akta kematian",
)


@hookimpl
def register_sops():
    return [SOP]
