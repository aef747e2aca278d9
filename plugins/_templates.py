"""Builders shared by the built-in SOP plugins.

The office's SOP document (see /work/shared/sop/READING.md) uses three
recurring flowcharts plus two one-off procedures:

* Template R: recommendation signed by the Kasi Pelayanan dan Perizinan
  (7 steps, verification by the Petugas Verifikasi);
* Template C: letter signed by the Camat, submitted through the Sekretaris
  Kecamatan (8 steps);
* Template S: as R, but verified by the Kasi and signed by the Sekretaris
  Kecamatan (7 steps);
* OSS and Pengaduan, which are written out in their own modules with
  :func:`step` and :func:`make_sop`.

Every builder returns a plain dict in the format the core validates; no other
keys are added.  Texts follow the document with its misspellings corrected
(Identitas, Perizinan, Administrasi, checklist, memberi, Izin).
"""

from __future__ import annotations

from antrean import hookimpl  # noqa: F401  (the SOP modules import it from here)

VERSION = "1.0"
FRONT_DESK_ROLE = "petugas_pelayanan"

# Kelengkapan / output texts that recur in every procedure.
DOKUMEN_PENDUKUNG = "Dokumen pendukung"
CHECKLIST_PERMOHONAN = "Checklist permohonan"
BUKU_REGISTER = "Buku register"
DOKUMEN_DAN_CHECKLIST = [DOKUMEN_PENDUKUNG, CHECKLIST_PERMOHONAN]
DOKUMEN_DAN_CHECKLIST_OUTPUT = "Dokumen pendukung dan checklist permohonan"
REGISTER_KELENGKAPAN = [BUKU_REGISTER, DOKUMEN_PENDUKUNG, CHECKLIST_PERMOHONAN]
REGISTER_OUTPUT = "Buku register, dokumen pendukung dan checklist permohonan"

VERIFY_ACTIVITY = (
    "Memverifikasi kelengkapan berkas dan memberi nomor antrean"  # KBBI: antrean (the document writes "antrian")
)
REGISTER_ACTIVITY = "Validasi dan memberi nomor agenda/register"


def step(activity, role, minutes, kelengkapan, output, kind, applicant_present=False, tms=False):
    """One flowchart step; ``no`` is filled in by :func:`make_sop`."""
    if isinstance(kelengkapan, str):
        kelengkapan = [kelengkapan]
    return {
        "no": 0,
        "activity": activity,
        "role": role,
        "minutes": minutes,
        "kelengkapan": list(kelengkapan),
        "output": output,
        "applicant_present": applicant_present,
        "tms": tms,
        "kind": kind,
    }


def make_sop(
    *, code, name, short_name, group, letter, agenda_code, icon, documents, steps, front_desk_role=FRONT_DESK_ROLE
):
    """Assemble the SOP dict: number the steps, total the minutes."""
    numbered = [dict(s, no=i) for i, s in enumerate(steps, start=1)]
    return {
        "code": code,
        "name": name,
        "short_name": short_name,
        "group": group,
        "letter": letter,
        "agenda_code": agenda_code,
        "icon": icon,
        "version": VERSION,
        "standard_minutes": sum(s["minutes"] for s in numbered),
        "front_desk_role": front_desk_role,
        "documents": list(documents),
        "steps": numbered,
    }


def _intake_steps(request, receive_activity, verifier, receive_minutes):
    """Steps 1-4 common to templates R, C and S."""
    return [
        step(
            f"Mengajukan permohonan {request}",
            "pemohon",
            0,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "submit",
            applicant_present=True,
        ),
        step(
            receive_activity,
            "petugas_pelayanan",
            receive_minutes,
            DOKUMEN_PENDUKUNG,
            DOKUMEN_PENDUKUNG,
            "receive",
            applicant_present=True,
        ),
        step(VERIFY_ACTIVITY, verifier, 5, DOKUMEN_DAN_CHECKLIST, DOKUMEN_DAN_CHECKLIST_OUTPUT, "verify", tms=True),
        step(REGISTER_ACTIVITY, "petugas_register", 2, REGISTER_KELENGKAPAN, REGISTER_OUTPUT, "register"),
    ]


def _seven_step(
    *,
    item,
    recommendation,
    request=None,
    form_output=None,
    handover_activity=None,
    handover_present=False,
    verifier,
    signer,
    minutes=(0, 2, 5, 2, 5, 1, 0),
    **meta,
):
    """Templates R and S: 7 steps ending in a recommendation.

    ``item`` completes "rekomendasi …" (steps 6 and 7), ``request`` completes
    "permohonan …" (steps 1, 2 and 5; default "rekomendasi <item>"),
    ``recommendation`` is the document handed over (steps 6 and 7).
    """
    request = request or f"rekomendasi {item}"
    if form_output is None:
        form_output = recommendation.replace("Rekomendasi ", "Rekomendasi formulir pembuatan ", 1)
    steps = _intake_steps(request, f"Menerima formulir permohonan {request}", verifier, minutes[1])
    steps += [
        step(
            f"Mengajukan permohonan penandatanganan {request}",
            signer,
            minutes[4],
            DOKUMEN_DAN_CHECKLIST,
            DOKUMEN_DAN_CHECKLIST_OUTPUT,
            "sign",
        ),
        step(
            handover_activity or f"Penyerahan rekomendasi {item}",
            "petugas_pelayanan",
            minutes[5],
            recommendation,
            form_output,
            "handover",
            applicant_present=handover_present,
        ),
        step(
            f"Menerima rekomendasi {item}",
            "pemohon",
            minutes[6],
            recommendation,
            recommendation,
            "collect",
            applicant_present=True,
        ),
    ]
    return make_sop(steps=steps, **meta)


def template_r(**kwargs):
    """Recommendation verified by the Petugas Verifikasi, signed by the Kasi."""
    return _seven_step(verifier="petugas_verifikasi", signer="kasi_pelayanan", **kwargs)


def template_s(**kwargs):
    """Recommendation verified by the Kasi, signed by the Sekretaris Kecamatan."""
    return _seven_step(verifier="kasi_pelayanan", signer="sekcam", **kwargs)


def template_c(*, item, request=None, **meta):
    """Template C: 8-step letter signed by the Camat via the Sekretaris Kecamatan.

    ``item`` is the letter (e.g. "Surat Keterangan Ahli Waris"); it is the
    output of steps 5-8 ("Berkas <item>" at step 5).
    """
    request = request or item
    berkas = f"Berkas {item}"
    steps = _intake_steps(request, f"Menerima berkas permohonan {request}", "kasi_pelayanan", 2)
    steps += [
        step(
            f"Mengajukan permohonan penandatanganan {request} melalui Sekretaris Kecamatan",
            "sekcam",
            2,
            berkas,
            berkas,
            "sign",
        ),
        step(f"Penandatanganan {item}", "camat", 3, item, item, "sign"),
        step(f"Penyerahan {item}", "petugas_pelayanan", 1, item, item, "handover"),
        step(f"Menerima {item}", "pemohon", 0, item, item, "collect", applicant_present=True),
    ]
    return make_sop(steps=steps, **meta)
