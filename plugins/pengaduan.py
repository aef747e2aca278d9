"""SOP 20: Pelayanan Pengaduan Masyarakat (6 steps, 60 minutes).

The Petugas Pelayanan receives the complaint (the TMS branch) and later
delivers the decision to the complainant, who is called back for it.
"""

from ._templates import DOKUMEN_DAN_CHECKLIST, DOKUMEN_DAN_CHECKLIST_OUTPUT, DOKUMEN_PENDUKUNG, hookimpl, make_sop, step

BERITA_ACARA = "Berita acara kesepakatan"

SOP = make_sop(
    code="pengaduan",
    name="Pelayanan Pengaduan Masyarakat",
    short_name="Pengaduan Masyarakat",
    group="pengaduan",
    letter="T",
    agenda_code="ADUAN",
    icon="megaphone",
    documents=[
        "Fotokopi KTP pelapor",
        "Uraian singkat pengaduan (lisan atau tertulis)",
        "Bukti pendukung pengaduan (foto atau dokumen), bila ada",
    ],
    steps=[
        step(
            "Mengajukan permohonan pengaduan",
            "pemohon",
            0,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "submit",
            applicant_present=True,
        ),
        step(
            "Menerima laporan pengaduan, baik secara lisan maupun tertulis",
            "petugas_pelayanan",
            2,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "verify",
            applicant_present=True,
            tms=True,
        ),
        step(
            "Mengidentifikasi dan mengklasifikasi permasalahan",
            "tim_pengaduan",
            5,
            DOKUMEN_DAN_CHECKLIST,
            DOKUMEN_DAN_CHECKLIST_OUTPUT,
            "process",
        ),
        step(
            "Mengonfirmasi dan memberikan pertimbangan",
            "sekcam",
            18,
            DOKUMEN_DAN_CHECKLIST,
            DOKUMEN_DAN_CHECKLIST_OUTPUT,
            "process",
        ),
        step("Pengambilan keputusan atas permasalahan", "camat", 20, BERITA_ACARA, BERITA_ACARA, "sign"),
        step(
            "Penyampaian hasil keputusan kepada pelapor",
            "petugas_pelayanan",
            15,
            BERITA_ACARA,
            BERITA_ACARA,
            "handover",
            applicant_present=True,
        ),
    ],
)


@hookimpl
def register_sops():
    return [SOP]
