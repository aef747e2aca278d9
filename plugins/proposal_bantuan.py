"""SOP 18: Rekomendasi Proposal Permohonan Bantuan (template C)."""

from ._templates import hookimpl, template_c

SOP = template_c(
    code="proposal_bantuan",
    name="Proposal Permohonan Bantuan",
    short_name="Proposal Bantuan",
    group="surat_keterangan",
    letter="R",
    agenda_code="PPB",
    icon="gift",
    documents=[
        "Proposal permohonan bantuan",
        "Surat pengantar dari desa/kelurahan",
        "Fotokopi KTP ketua atau penanggung jawab",
        "Susunan pengurus lembaga/kelompok",
        "Rencana anggaran biaya",
    ],
    item="Proposal Permohonan Bantuan",
)


@hookimpl
def register_sops():
    return [SOP]
