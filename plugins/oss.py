"""SOP 19: Fasilitasi Permohonan Perizinan melalui OSS (5 steps).

The Tim Teknis staffs the front desk; the Kasi validates (a process step, not
an agenda/register number); the Pengolah Data enters the application in OSS.
"""

from ._templates import DOKUMEN_DAN_CHECKLIST, DOKUMEN_DAN_CHECKLIST_OUTPUT, DOKUMEN_PENDUKUNG, hookimpl, make_sop, step

SERTIFIKAT = "Sertifikat NIB dan IUM"

SOP = make_sop(
    code="oss",
    name="Fasilitasi Permohonan Perizinan melalui OSS",
    short_name="Perizinan OSS",
    group="perizinan",
    letter="S",
    agenda_code="OSS",
    icon="briefcase",
    front_desk_role="tim_teknis",
    documents=[
        "Fotokopi KTP",
        "Fotokopi Kartu Keluarga (KK)",
        "Nomor Pokok Wajib Pajak (NPWP), bila ada",
        "Nomor telepon seluler aktif",
        "Keterangan jenis dan lokasi usaha",
    ],
    steps=[
        step(
            "Mengisi dan menyerahkan formulir permohonan perizinan melalui OSS",
            "pemohon",
            0,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "submit",
            applicant_present=True,
        ),
        step(
            "Menerima berkas permohonan, memverifikasi, dan membuat email",
            "tim_teknis",
            2,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "verify",
            tms=True,
        ),
        step(
            "Validasi oleh Kasi Pelayanan dan Perizinan",
            "kasi_pelayanan",
            3,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "process",
        ),
        step(
            "Input data permohonan ke sistem OSS",
            "pengolah_data",
            10,
            DOKUMEN_DAN_CHECKLIST,
            DOKUMEN_DAN_CHECKLIST_OUTPUT,
            "process",
        ),
        step(
            "Menerima Sertifikat NIB dan IUM", "pemohon", 0, SERTIFIKAT, SERTIFIKAT, "collect", applicant_present=True
        ),
    ],
)


@hookimpl
def register_sops():
    return [SOP]
