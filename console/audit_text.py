"""The audit log in words: each action as a sentence, each detail as "Label: value", in the page's language.

Action codes are those of ``antrean.kernel.events`` (``AUDIT_EVENTS`` and ``AUDIT_ONLY``); a test fails when an
audited action has no sentence here. Texts are message ids of the catalogs (Indonesian), translated when shown.
"""

from __future__ import annotations

from typing import Any

from antrean.kernel import i18n
from antrean.kernel.i18n import N_

#: action -> sentence; ``%(target)s`` is the object ("tiket A-007", "pengguna budi")
ACTIONS: dict[str, str] = {
    "auth.login": N_("Masuk ke konsol"),
    "auth.failed": N_("Gagal masuk (kata sandi salah atau akun tidak dikenal)"),
    "auth.locked": N_("Masuk dikunci sementara setelah terlalu banyak percobaan"),
    "auth.unlock": N_("Membuka kunci masuk %(target)s"),
    "auth.token": N_("Membuat token API"),
    "auth.logout": N_("Keluar dari semua sesi"),
    "application.reveal_nik": N_("Membuka NIK lengkap pada %(target)s"),
    "notify.optin": N_("Pemohon meminta kabar WhatsApp untuk %(target)s"),
    "notify.optout": N_("Nomor berhenti menerima pesan (%(target)s)"),
    "notify.resend": N_("Mengirim ulang %(target)s"),
    "ticket.call": N_("Memanggil %(target)s"),
    "ticket.step": N_("Memanggil %(target)s untuk langkah berikutnya"),
    "ticket.recall": N_("Memanggil ulang %(target)s"),
    "ticket.skip": N_("Melewati %(target)s (tidak hadir)"),
    "ticket.hold": N_("Menunda %(target)s"),
    "ticket.transfer": N_("Mengalihkan %(target)s ke layanan lain"),
    "ticket.start": N_("Mulai melayani %(target)s"),
    "ticket.finish": N_("Selesai melayani %(target)s"),
    "ticket.close": N_("Menutup %(target)s"),
    "ticket.reprint": N_("Mencetak ulang %(target)s"),
    "application.open": N_("Membuka %(target)s"),
    "step.complete": N_("Menyelesaikan satu langkah SOP pada %(target)s"),
    "application.return": N_("Mengembalikan %(target)s (tidak memenuhi syarat)"),
    "application.close": N_("Menutup %(target)s"),
    "setting.update": N_("Mengubah pengaturan %(target)s"),
    "counter.save": N_("Menyimpan %(target)s"),
    "service.update": N_("Mengubah %(target)s"),
    "office.update": N_("Mengubah data kantor"),
    "printer.create": N_("Menambahkan %(target)s"),
    "printer.update": N_("Mengubah %(target)s"),
    "kiosk.assign_printer": N_("Mengatur printer untuk %(target)s"),
    "kiosk.register": N_("Mendaftarkan %(target)s"),
    "kiosk.rekey": N_("Mengganti kunci %(target)s"),
    "kiosk.unregister": N_("Menghapus %(target)s"),
    "user.create": N_("Membuat %(target)s"),
    "user.update": N_("Mengubah %(target)s"),
    "calendar.hours": N_("Mengubah jam buka kantor"),
    "calendar.add": N_("Menambahkan hari libur atau penutupan %(target)s"),
    "calendar.remove": N_("Menghapus hari libur atau penutupan %(target)s"),
    "calendar.import": N_("Mengimpor kalender %(target)s"),
    "booking.create": N_("Booking baru %(target)s"),
    "booking.reschedule": N_("Menjadwal ulang %(target)s"),
    "booking.cancel": N_("Membatalkan %(target)s"),
    "booking.check_in": N_("Check-in %(target)s"),
    "booking.no_show": N_("%(target)s tidak hadir"),
    "survey.submit": N_("Mengisi survei kepuasan (%(target)s)"),
    "survey.offer": N_("Menawarkan survei di tablet loket untuk %(target)s"),
    "survey.followup": N_("Mencatat tindak lanjut survei %(target)s"),
}

#: target type -> its noun (translated in the context "audit": "layanan" here is one service)
TARGETS: dict[str, str] = {
    "ticket": N_("tiket"),
    "application": N_("permohonan"),
    "user": N_("pengguna"),
    "counter": N_("loket"),
    "service": N_("layanan"),
    "setting": N_("pengaturan"),
    "office": N_("kantor"),
    "printer": N_("printer"),
    "kiosk": N_("kios"),
    "kiosk_device": N_("perangkat kios"),
    "calendar": N_("kalender"),
    "booking": N_("booking"),
    "survey_response": N_("jawaban survei"),
    "survey_followup": N_("tindak lanjut"),
    "notify_message": N_("pesan"),
    "notify_contact": N_("kontak"),
    "address": N_("alamat"),
}

#: detail key -> its label
FIELDS: dict[str, str] = {
    "number": N_("Nomor"),
    "counter": N_("Loket"),
    "service": N_("Layanan"),
    "username": N_("Nama pengguna"),
    "roles": N_("Peran"),
    "offices": N_("Kantor"),
    "changes": N_("Perubahan"),
    "source": N_("Dari"),
    "address": N_("Alamat"),
    "rows": N_("Jumlah baris"),
    "key": N_("Pengaturan"),
    "url": N_("Alamat printer"),
    "profile": N_("Profil"),
    "printer": N_("Printer"),
    "job": N_("Tugas cetak"),
    "phone": N_("Nomor WhatsApp"),
    "name": N_("Nama"),
    "step": N_("Langkah"),
    "outcome": N_("Hasil"),
    "reason": N_("Alasan"),
    "status": N_("Status"),
    "kind": N_("Jenis"),
    "day": N_("Tanggal"),
    "date": N_("Tanggal"),
    "start": N_("Mulai"),
    "end": N_("Selesai"),
    "channel": N_("Saluran"),
    "element": N_("Unsur"),
    "period": N_("Periode"),
    "active": N_("Aktif"),
    "letter": N_("Huruf"),
    "quota": N_("Kuota"),
    "to_service": N_("Ke layanan"),
    "from_service": N_("Dari layanan"),
    "ticket": N_("Tiket"),
    "application": N_("Permohonan"),
    "agenda": N_("Nomor agenda"),
    "code": N_("Kode"),
    "years": N_("Tahun"),
    "added": N_("Ditambahkan"),
    "replaced": N_("Diganti"),
    "priority": N_("Prioritas"),
    "value": N_("Nilai"),
    "device": N_("Perangkat"),
    "slot": N_("Slot"),
    "hours": N_("Jam buka"),
    "missing_documents": N_("Dokumen kurang"),
    "services": N_("Layanan"),
    "old": N_("Sebelumnya"),
    "new": N_("Sesudah"),
    "number_of": N_("Jumlah"),
}

#: keys shown elsewhere on the row or of no use to a reader
HIDDEN = frozenset({"at", "office", "office_id", "ticket_id", "counter_id", "application_id", "id"})


def _value(v: Any, lang: str) -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return i18n.gettext("ya", lang) if v else i18n.gettext("tidak", lang)
    if isinstance(v, (list, tuple, set, frozenset)):
        return ", ".join(_value(x, lang) for x in v) or "–"
    if isinstance(v, dict):
        return "; ".join(f"{_label(k, lang)}: {_value(x, lang)}" for k, x in v.items()) or "–"
    return str(v)


def _label(key: str, lang: str) -> str:
    return i18n.gettext(FIELDS[key], lang) if key in FIELDS else key.replace("_", " ")


def target(entry: dict, lang: str) -> str:
    kind, ident = entry.get("target_type") or "", entry.get("target_id")
    detail = entry.get("detail") or {}
    event = detail.get("event") if isinstance(detail.get("event"), dict) else {}
    shown = detail.get("number") or event.get("number") or detail.get("username") or ident
    noun = i18n.pgettext("audit", TARGETS[kind], lang) if kind in TARGETS else kind
    return f"{noun} {shown}".strip() if shown not in (None, "") else noun


def action(entry: dict, lang: str) -> str:
    text = ACTIONS.get(entry.get("action") or "")
    if text is None:
        return entry.get("action") or ""
    return i18n.gettext(text, lang, target=target(entry, lang))


def details(entry: dict, lang: str) -> list[str]:
    """The detail as lines "Label: value"; ``old``/``new`` as "Label: before → after" for what changed."""
    detail = dict(entry.get("detail") or {})
    lines = []
    event = detail.pop("event", None)
    if isinstance(event, dict):
        detail = {**{k: v for k, v in event.items() if k not in detail}, **detail}
    old, new = detail.pop("old", None), detail.pop("new", None)
    if isinstance(old, dict) or isinstance(new, dict):
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        for key in dict.fromkeys([*old, *new]):
            if old.get(key) != new.get(key):
                lines.append(f"{_label(key, lang)}: {_value(old.get(key), lang)} → {_value(new.get(key), lang)}")
    elif old is not None or new is not None:
        lines.append(f"{_value(old, lang)} → {_value(new, lang)}")
    for key, value in detail.items():
        if key in HIDDEN or (key == "number" and entry.get("target_type") == "ticket"):
            continue
        lines.append(f"{_label(key, lang)}: {_value(value, lang)}")
    return lines


def describe(entry: dict, lang: str) -> dict:
    return {
        **entry,
        "action_text": action(entry, lang),
        "target_text": target(entry, lang),
        "detail_lines": details(entry, lang),
    }
