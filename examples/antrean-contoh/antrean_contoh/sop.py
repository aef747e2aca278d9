"""The SOP this plugin adds: Surat Keterangan Domisili Usaha (SKDU), as data.

Eight steps, the Kecamatan's usual letter signed by the Camat through the Sekretaris Kecamatan:
the applicant hands in the file, the front desk receives it, the Kasi Pelayanan checks it (TMS:
the file goes back when something is missing), the register clerk gives the agenda number, the
Sekcam initials it, the Camat signs, the front desk hands the letter over, the applicant takes it.
Written out in full (no helper from Antrean's built-in ``plugins/``: a third-party plugin uses
only Antrean's public API).
"""

CODE = "domisili_usaha"

DOCUMENTS = [
    "Surat pengantar RT/RW dan desa/kelurahan",
    "Fotokopi KTP pemilik usaha",
    "Fotokopi Kartu Keluarga (KK)",
    "Surat pernyataan tidak keberatan dari tetangga sekitar lokasi usaha",
    "Fotokopi bukti lunas PBB tahun berjalan (tempat usaha)",
    "Foto lokasi usaha",
]
BERKAS = ["Dokumen persyaratan", "Checklist permohonan"]
SURAT = "Surat Keterangan Domisili Usaha"


def _step(no, activity, role, minutes, kelengkapan, output, kind, *, present=False, tms=False):
    return {
        "no": no,
        "activity": activity,
        "role": role,
        "minutes": minutes,
        "kelengkapan": kelengkapan,
        "output": output,
        "applicant_present": present,
        "tms": tms,
        "kind": kind,
    }


STEPS = [
    _step(
        1,
        "Mengajukan permohonan Surat Keterangan Domisili Usaha",
        "pemohon",
        0,
        ["Dokumen persyaratan"],
        "Dokumen persyaratan",
        "submit",
        present=True,
    ),
    _step(
        2,
        "Menerima berkas dan mengisi checklist permohonan",
        "petugas_pelayanan",
        3,
        ["Dokumen persyaratan"],
        "Dokumen persyaratan dan checklist permohonan",
        "receive",
        present=True,
    ),
    _step(
        3,
        "Memverifikasi kelengkapan dan kebenaran berkas",
        "kasi_pelayanan",
        5,
        BERKAS,
        "Berkas terverifikasi",
        "verify",
        tms=True,
    ),
    _step(
        4,
        "Validasi dan memberi nomor agenda/register",
        "petugas_register",
        2,
        ["Buku register"] + BERKAS,
        "Nomor agenda",
        "register",
    ),
    _step(
        5,
        "Memaraf konsep Surat Keterangan Domisili Usaha",
        "sekcam",
        2,
        ["Konsep " + SURAT],
        "Konsep surat berparaf",
        "sign",
    ),
    _step(6, "Menandatangani Surat Keterangan Domisili Usaha", "camat", 3, ["Konsep surat berparaf"], SURAT, "sign"),
    _step(7, "Menyerahkan Surat Keterangan Domisili Usaha", "petugas_pelayanan", 1, [SURAT], SURAT, "handover"),
    _step(8, "Menerima Surat Keterangan Domisili Usaha", "pemohon", 0, [SURAT], SURAT, "collect", present=True),
]

SOP = {
    "code": CODE,
    "name": SURAT,
    "short_name": "Domisili Usaha",
    "group": "perizinan",
    "letter": "U",  # the built-ins use A–T; a taken letter would be replaced by a free one
    "agenda_code": "SKDU",
    "icon": "briefcase",
    "version": "1.0",
    "standard_minutes": sum(s["minutes"] for s in STEPS),  # 16: must equal the steps' sum
    "front_desk_role": "petugas_pelayanan",
    "documents": DOCUMENTS,
    "steps": STEPS,
}
