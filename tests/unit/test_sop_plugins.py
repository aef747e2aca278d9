"""The 20 built-in SOP plugins against the reading of the office's SOP document.

The expected values below are written by hand from
/work/shared/sop/READING.md, not computed from the plugins.  No Flask, no
database, no ``antrean`` import: only pluggy and the ``plugins`` package.
"""

from __future__ import annotations

import importlib
import re

import pluggy
import pytest

from plugins import BUILTIN_SOP_MODULES

# --- expected table, from READING.md ------------------------------------------

PEM, PEL, VER, REG = ("pemohon", "petugas_pelayanan", "petugas_verifikasi", "petugas_register")
KASI, SEKCAM, CAMAT = "kasi_pelayanan", "sekcam", "camat"
TEKNIS, OLAH, ADUAN = "tim_teknis", "pengolah_data", "tim_pengaduan"

# Template R: Pemohon, Pelayanan, Verifikasi, Register, Kasi, Pelayanan, Pemohon
R = dict(
    roles=(PEM, PEL, VER, REG, KASI, PEL, PEM),
    minutes=(0, 2, 5, 2, 5, 1, 0),
    total=15,
    tms=(3,),
    present=(1, 2, 7),
    register=4,
    kinds=("submit", "receive", "verify", "register", "sign", "handover", "collect"),
)
EKTP = dict(R, minutes=(0, 1, 5, 2, 2, 5, 0), present=(1, 2, 6, 7))
# Template C: Pemohon, Pelayanan, Kasi, Register, Sekcam, Camat, Pelayanan, Pemohon
C = dict(
    roles=(PEM, PEL, KASI, REG, SEKCAM, CAMAT, PEL, PEM),
    minutes=(0, 2, 5, 2, 2, 3, 1, 0),
    total=15,
    tms=(3,),
    present=(1, 2, 8),
    register=4,
    kinds=("submit", "receive", "verify", "register", "sign", "sign", "handover", "collect"),
)
# Template S: as R, verified by the Kasi, signed by the Sekretaris Kecamatan
S = dict(R, roles=(PEM, PEL, KASI, REG, SEKCAM, PEL, PEM))
OSS = dict(
    roles=(PEM, TEKNIS, KASI, OLAH, PEM),
    minutes=(0, 2, 3, 10, 0),
    total=15,
    tms=(2,),
    present=(1, 5),
    register=None,
    kinds=("submit", "verify", "process", "process", "collect"),
)
PENGADUAN = dict(
    roles=(PEM, PEL, ADUAN, SEKCAM, CAMAT, PEL),
    minutes=(0, 2, 5, 18, 20, 15),
    total=60,
    tms=(2,),
    present=(1, 2, 6),
    register=None,
    kinds=None,
)

# (name, expected shape) in document order; letters A..T follow this order.
EXPECTED = [
    ("Permohonan Perekaman e-KTP", EKTP),
    ("Rekomendasi Kartu Tanda Penduduk (KTP)", R),
    ("Rekomendasi Perubahan Kartu Keluarga (KK)", R),
    ("Rekomendasi Administrasi Penduduk Datang", R),
    ("Rekomendasi Administrasi Penduduk Pindah", R),
    ("Rekomendasi Administrasi Akta Kelahiran", R),
    ("Rekomendasi Administrasi Akta Kematian", R),
    ("Rekomendasi Kartu Identitas Anak (KIA)", R),
    ("Surat Keterangan Ahli Waris", C),
    ("Surat Bepergian", C),
    ("Rekomendasi Surat Keterangan Tidak Mampu (SKTM)", S),
    ("Surat Keterangan Belum Pernah Menikah", C),
    ("Surat Keterangan Calon TKI", C),
    ("Surat Keterangan Izin Keramaian", C),
    ("Rekomendasi Surat Keterangan Catatan Kepolisian (SKCK)", S),
    ("Dispensasi Nikah", C),
    ("Pengesahan Daftar Susunan Keluarga", C),
    ("Proposal Permohonan Bantuan", C),
    ("Fasilitasi Permohonan Perizinan melalui OSS", OSS),
    ("Pelayanan Pengaduan Masyarakat", PENGADUAN),
]
STEP_COUNTS = [7] * 8 + [8, 8, 7, 8, 8, 8, 7, 8, 8, 8, 5, 6]  # READING summary

# --- format, as the core will validate it -------------------------------------

SOP_KEYS = {
    "code",
    "name",
    "short_name",
    "group",
    "letter",
    "agenda_code",
    "icon",
    "version",
    "standard_minutes",
    "front_desk_role",
    "documents",
    "steps",
}
STEP_KEYS = {"no", "activity", "role", "minutes", "kelengkapan", "output", "applicant_present", "tms", "kind"}
ROLES = {PEM, PEL, VER, REG, KASI, SEKCAM, CAMAT, TEKNIS, OLAH, ADUAN}
GROUPS = {"kependudukan", "surat_keterangan", "perizinan", "pengaduan"}
ICONS = {
    "idcard",
    "family",
    "child",
    "arrive",
    "move",
    "birth",
    "death",
    "letter",
    "travel",
    "heart",
    "worker",
    "crowd",
    "police",
    "ring",
    "people",
    "gift",
    "briefcase",
    "megaphone",
    "money",
    "home",
}
KINDS = {"submit", "receive", "verify", "register", "sign", "process", "handover", "collect"}

MISSPELLINGS = [
    "Identias",
    "Perizian",
    "Perizinaan",
    "Adminsitrasi",
    "Administasi",
    "cheklist",
    "member nomor",
    "Ijin",
    "mauapun",
    "antrian",
]  # KBBI: antrean
CORRECT_SPELLINGS = ["Identitas", "Perizinan", "Administrasi", "checklist", "memberi", "Izin", "maupun"]


def _load(dotted):
    module = importlib.import_module(dotted)
    sops = module.register_sops()
    assert isinstance(sops, list) and len(sops) == 1, dotted
    assert sops[0] is module.SOP
    return sops[0]


SOPS = [_load(m) for m in BUILTIN_SOP_MODULES]
CASES = list(zip(SOPS, EXPECTED))


def _strings(value):
    """Every string inside a (nested) SOP dict, keys excluded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _ids(cases):
    return [sop["code"] for sop, _ in cases]


# --- package ---------------------------------------------------------------------


def test_twenty_modules_in_document_order():
    assert len(BUILTIN_SOP_MODULES) == 20
    assert len(set(BUILTIN_SOP_MODULES)) == 20
    assert all(m.startswith("plugins.") for m in BUILTIN_SOP_MODULES)
    assert [s["name"] for s in SOPS] == [name for name, _ in EXPECTED]
    assert [len(s["steps"]) for s in SOPS] == STEP_COUNTS


def test_letters_a_to_t_and_unique_identifiers():
    assert [s["letter"] for s in SOPS] == [chr(ord("A") + i) for i in range(20)]
    for key in ("code", "agenda_code", "name", "short_name"):
        values = [s[key] for s in SOPS]
        assert len(set(values)) == 20, key


def test_hooks_register_through_pluggy():
    class Spec:
        @pluggy.HookspecMarker("antrean")
        def register_sops(self):
            """Return a list of SOP dicts."""

    pm = pluggy.PluginManager("antrean")
    pm.add_hookspecs(Spec)
    for dotted in BUILTIN_SOP_MODULES:
        pm.register(importlib.import_module(dotted))
    registered = [sop for batch in pm.hook.register_sops() for sop in batch]
    assert sorted(s["code"] for s in registered) == sorted(s["code"] for s in SOPS)


# --- each SOP against READING.md ------------------------------------------------


@pytest.mark.parametrize("sop,expected", CASES, ids=_ids(CASES))
def test_matches_reading(sop, expected):
    name, shape = expected
    steps = sop["steps"]
    assert sop["name"] == name
    assert [s["no"] for s in steps] == list(range(1, len(steps) + 1))
    assert tuple(s["role"] for s in steps) == shape["roles"]
    assert tuple(s["minutes"] for s in steps) == shape["minutes"]
    assert sop["standard_minutes"] == shape["total"]
    assert sop["standard_minutes"] == sum(s["minutes"] for s in steps)
    assert tuple(s["no"] for s in steps if s["tms"]) == shape["tms"]
    assert tuple(s["no"] for s in steps if s["applicant_present"]) == shape["present"]
    registers = [s["no"] for s in steps if s["kind"] == "register"]
    assert registers == ([shape["register"]] if shape["register"] else [])
    if shape["kinds"] is not None:
        assert tuple(s["kind"] for s in steps) == shape["kinds"]
    assert steps[0]["kind"] == "submit"


@pytest.mark.parametrize("sop,expected", CASES, ids=_ids(CASES))
def test_format(sop, expected):
    assert set(sop) == SOP_KEYS
    assert re.fullmatch(r"[a-z][a-z0-9_]*", sop["code"])
    assert re.fullmatch(r"[A-Z0-9-]{2,12}", sop["agenda_code"])
    assert 0 < len(sop["short_name"]) <= 32
    assert sop["group"] in GROUPS
    assert sop["icon"] in ICONS
    assert sop["version"] == "1.0"
    expected_desk = TEKNIS if expected[1] is OSS else PEL
    assert sop["front_desk_role"] == expected_desk
    docs = sop["documents"]
    assert 3 <= len(docs) <= 6 and len(set(docs)) == len(docs)
    assert all(isinstance(d, str) and d.strip() == d and d for d in docs)
    for step in sop["steps"]:
        assert set(step) == STEP_KEYS
        assert step["role"] in ROLES and step["kind"] in KINDS
        assert isinstance(step["minutes"], int) and step["minutes"] >= 0
        assert isinstance(step["applicant_present"], bool)
        assert isinstance(step["tms"], bool)
        assert isinstance(step["output"], str) and step["output"]
        assert isinstance(step["kelengkapan"], list) and step["kelengkapan"]
        assert all(isinstance(k, str) and k for k in step["kelengkapan"])
        activity = step["activity"]
        assert activity[0].isupper(), activity  # sentence case
        assert not activity.endswith(" i"), activity  # stray "i"
        assert "  " not in activity and activity.strip() == activity


def test_steps_share_the_documented_mutu_baku():
    """Steps 1-4 of templates R/C/S carry the document's Kelengkapan/Output."""
    for sop, (_, shape) in CASES:
        if shape["register"] is None:
            continue
        s1, s2, s3, s4 = sop["steps"][:4]
        assert s1["kelengkapan"] == s2["kelengkapan"] == ["Dokumen pendukung"]
        assert s3["kelengkapan"] == ["Dokumen pendukung", "Checklist permohonan"]
        assert s4["kelengkapan"] == ["Buku register", "Dokumen pendukung", "Checklist permohonan"]
        assert s3["activity"] == ("Memverifikasi kelengkapan berkas dan memberi nomor antrean")
        assert s4["activity"] == "Validasi dan memberi nomor agenda/register"
    oss, pengaduan = SOPS[18], SOPS[19]
    assert oss["steps"][-1]["output"] == "Sertifikat NIB dan IUM"
    assert [s["output"] for s in pengaduan["steps"][4:]] == ["Berita acara kesepakatan"] * 2


def test_template_c_letter_is_the_output_of_steps_5_to_8():
    for sop, (name, shape) in CASES:
        if shape is not C:
            continue
        outputs = [s["output"] for s in sop["steps"][4:]]
        assert outputs[0].startswith("Berkas "), name
        assert outputs[1:] == [outputs[0][len("Berkas ") :]] * 3, name


def test_no_misspellings_anywhere():
    text = "\n".join(s for sop in SOPS for s in _strings(sop))
    for wrong in MISSPELLINGS:
        assert wrong.lower() not in text.lower(), wrong
    assert "Dok." not in text
    for word in CORRECT_SPELLINGS:
        assert word in text, word
    # The names themselves use the corrected forms.
    names = {s["code"]: s["name"] for s in SOPS}
    assert "Identitas" in names["kia"]
    assert "Perizinan" in names["oss"]
    assert "Administrasi" in names["akta_kelahiran"]
    assert "Izin" in names["izin_keramaian"]
