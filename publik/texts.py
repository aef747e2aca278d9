"""Every word of the survey and transparency pages, in Bahasa Indonesia (default) and English."""

from __future__ import annotations

from antrean.kernel import i18n

ID = {
    "sv_title": "Survei Kepuasan Masyarakat",
    "sv_intro": "Bantu kami memperbaiki pelayanan. Ada 9 pertanyaan singkat; sentuh satu jawaban untuk setiap "
    "pertanyaan. Survei ini tanpa nama dan tanpa NIK.",
    "sv_ticket": "Nomor antrean {number} · {service}",
    "sv_start": "Mulai survei",
    "sv_question_n": "Pertanyaan {n} dari {total}",
    "sv_back": "Kembali",
    "sv_profile_title": "Tentang Anda (boleh dilewati)",
    "sv_profile_hint": "Untuk mengelompokkan hasil survei. Tidak ada nama atau NIK.",
    "sv_sex": "Jenis kelamin",
    "sv_age": "Usia",
    "sv_education": "Pendidikan terakhir",
    "sv_occupation": "Pekerjaan",
    "sv_next": "Lanjut",
    "sv_suggestion_title": "Saran dan masukan (boleh dikosongkan)",
    "sv_suggestion_hint": "Jangan menulis nama, NIK atau nomor telepon.",
    "sv_send": "Kirim jawaban",
    "sv_sending": "Mengirim…",
    "sv_thanks": "Terima kasih!",
    "sv_thanks_hint": "Jawaban Anda sudah kami terima dan akan dipakai untuk memperbaiki pelayanan.",
    "sv_error": "Jawaban belum terkirim. Periksa sambungan lalu coba lagi.",
    "sv_retry": "Coba lagi",
    "sv_answered": "Survei untuk tiket ini sudah diisi. Terima kasih.",
    "sv_not_served": "Survei dapat diisi setelah Anda selesai dilayani.",
    "sv_missing": "Tiket tidak ditemukan. Pindai lagi kode QR pada tiket Anda atau tanyakan kepada petugas.",
    "sv_rate_link": "Nilai layanan kami",
    "sv_wait_title": "Survei Kepuasan Masyarakat",
    "sv_wait_hint": "Setelah selesai dilayani, petugas akan menyiapkan survei di layar ini untuk Anda.",
    "sv_wait_counter": "{name}",
    "sv_choose_counter": "Pilih loket tablet ini (petugas)",
    "sv_offline": "Tidak terhubung ke server. Mencoba lagi…",
    "pb_title": "Informasi Pelayanan Publik",
    "pb_maklumat": "Maklumat Pelayanan",
    "pb_camat": "Camat",
    "pb_figures": "Kinerja pelayanan bulan {label}",
    "pb_ikm": "Indeks Kepuasan Masyarakat (IKM)",
    "pb_respondents": "{n} responden",
    "pb_within": "Permohonan selesai tepat waktu",
    "pb_wait": "Median waktu tunggu",
    "pb_minutes": "{n} menit",
    "pb_served": "Tiket dilayani",
    "pb_none": "belum ada data",
    "pb_services": "Standar pelayanan per layanan",
    "pb_persyaratan": "Persyaratan",
    "pb_prosedur": "Sistem, mekanisme dan prosedur",
    "pb_jangka": "Jangka waktu penyelesaian",
    "pb_jangka_value": "{n} menit",
    "pb_biaya": "Biaya/tarif",
    "pb_produk": "Produk pelayanan",
    "pb_pengaduan": "Penanganan pengaduan, saran dan masukan",
    "pb_back": "Kembali ke layar antrean",
    "pb_grade": "Mutu {grade} ({kinerja})",
    "pb_weight": "Dihitung menurut Permenpan RB No. 14 Tahun 2017; {weight}.",
}


def for_lang(lang: str) -> dict:
    """Every text in ``lang``, from the catalogs (``ID`` holds the message ids; ``{n}`` placeholders are
    filled by the page or script that shows them)."""
    return {key: i18n.gettext(msgid, lang) for key, msgid in ID.items()}
