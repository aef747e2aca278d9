"""SOP 06: Pembuatan Rekomendasi Administrasi Akta Kelahiran (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="akta_kelahiran",
    name="Rekomendasi Administrasi Akta Kelahiran",
    short_name="Akta Kelahiran",
    group="kependudukan",
    letter="F",
    agenda_code="AKL",
    icon="birth",
    documents=[
        "Surat keterangan lahir dari bidan/rumah sakit",
        "Fotokopi Kartu Keluarga (KK)",
        "Fotokopi KTP kedua orang tua",
        "Fotokopi buku nikah/akta perkawinan orang tua",
        "Fotokopi KTP dua orang saksi",
    ],
    item="administrasi akta kelahiran",
    recommendation="Rekomendasi administrasi akta kelahiran",
)


@hookimpl
def register_sops():
    return [SOP]
