"""SOP 08: Pembuatan Rekomendasi Kartu Identitas Anak (KIA) (template R)."""

from ._templates import hookimpl, template_r

SOP = template_r(
    code="kia",
    name="Rekomendasi Kartu Identitas Anak (KIA)",
    short_name="Kartu Identitas Anak",
    group="kependudukan",
    letter="H",
    agenda_code="KIA",
    icon="child",
    documents=[
        "Fotokopi akta kelahiran anak",
        "Fotokopi Kartu Keluarga (KK)",
        "Fotokopi KTP kedua orang tua",
        "Pas foto anak berwarna ukuran 2x3 (bagi anak usia 5 tahun ke atas)",
    ],
    item="Kartu Identitas Anak (KIA)",
    recommendation="Rekomendasi Kartu Identitas Anak (KIA) baru",
    handover_activity="Penyerahan rekomendasi Kartu Identitas Anak (KIA) kepada pemohon",
)


@hookimpl
def register_sops():
    return [SOP]
