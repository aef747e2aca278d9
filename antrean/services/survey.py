"""The SKM (Survei Kepuasan Masyarakat, Permenpan RB No. 14/2017), tied to the served ticket.

A citizen whose ticket was served (or whose application was completed) answers once, by the ticket's
status token: nine elements (U1…U9) on a 4-point scale, an optional coarse profile (sex, age group,
education, occupation) and an optional suggestion. No name, no NIK. One response per ticket (a unique
constraint: safe across threads and processes).

The IKM (Indeks Kepuasan Masyarakat) of any period:

    NRR_i  = mean of element i's answers over its respondents
    IKM    = 25 × Σ NRR_i × w_i          (w_i = 1/n by default: all-4 gives exactly 100.00;
                                           weight_mode "regulation": the printed 0.111 → 99.90;
                                           weight_mode "custom": the office's weights, summing to 1)
    grade  = A/B/C/D from the bands, on the IKM rounded to 2 decimals (half up)

Computed from per-element SUM/COUNT aggregates in SQL over a covering index, then exactly with
fractions (no float drift at the band edges). The queries never read who answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from antrean.kernel import i18n
from antrean.kernel.actors import Actor
from antrean.kernel.errors import Conflict, Invalid, NotFound
from antrean.kernel.i18n import N_
from antrean.kernel.models import Application, Counter, Setting, SurveyAnswer, SurveyFollowUp, SurveyResponse, Ticket
from antrean.kernel.policy import require
from antrean.kernel.timeutil import as_utc, iso, office_day, utcnow

if TYPE_CHECKING:  # type-only: the core composes the services; they never import it at run time
    from antrean.core import Antrean

#: The nine elements of Permenpan RB 14/2017 with the questionnaire's wording (answers 1 → 4).
DEFAULT_ELEMENTS: list[dict[str, Any]] = [
    {
        "code": "U1",
        "name": "Persyaratan",
        "name_en": "Requirements",
        "question": "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
        "question_en": "How well do the service's requirements fit the service?",
        "answers": ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"],
        "answers_en": ["Not appropriate", "Less appropriate", "Appropriate", "Very appropriate"],
    },
    {
        "code": "U2",
        "name": "Sistem, mekanisme dan prosedur",
        "name_en": "System, mechanism and procedure",
        "question": "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
        "question_en": "How easy was the service procedure here?",
        "answers": ["Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"],
        "answers_en": ["Not easy", "Less easy", "Easy", "Very easy"],
    },
    {
        "code": "U3",
        "name": "Waktu penyelesaian",
        "name_en": "Completion time",
        "question": "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
        "question_en": "How fast was the service?",
        "answers": ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"],
        "answers_en": ["Not fast", "Less fast", "Fast", "Very fast"],
    },
    {
        "code": "U4",
        "name": "Biaya/tarif",
        "name_en": "Cost/fee",
        "question": "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
        "question_en": "How fair was the cost of the service?",
        "answers": ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"],
        "answers_en": ["Very expensive", "Rather expensive", "Cheap", "Free"],
    },
    {
        "code": "U5",
        "name": "Produk spesifikasi jenis pelayanan",
        "name_en": "Service product",
        "question": "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam "
        "standar pelayanan dengan hasil yang diberikan?",
        "question_en": "Did what you received match what the service standard promises?",
        "answers": ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"],
        "answers_en": ["Not matching", "Partly matching", "Matching", "Fully matching"],
    },
    {
        "code": "U6",
        "name": "Kompetensi pelaksana",
        "name_en": "Staff competence",
        "question": "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
        "question_en": "How competent were the staff?",
        "answers": ["Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"],
        "answers_en": ["Not competent", "Less competent", "Competent", "Very competent"],
    },
    {
        "code": "U7",
        "name": "Perilaku pelaksana",
        "name_en": "Staff behaviour",
        "question": "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
        "question_en": "How polite and friendly were the staff?",
        "answers": ["Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"],
        "answers_en": [
            "Not polite or friendly",
            "Less polite and friendly",
            "Polite and friendly",
            "Very polite and friendly",
        ],
    },
    {
        "code": "U8",
        "name": "Penanganan pengaduan, saran dan masukan",
        "name_en": "Complaints and suggestions",
        "question": "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
        "question_en": "How are complaints from service users handled?",
        "answers": ["Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"],
        "answers_en": ["None", "Exists but does not work", "Works, not fully", "Well managed"],
    },
    {
        "code": "U9",
        "name": "Sarana dan prasarana",
        "name_en": "Facilities",
        "question": "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
        "question_en": "How good are the facilities?",
        "answers": ["Buruk", "Cukup", "Baik", "Sangat baik"],
        "answers_en": ["Poor", "Fair", "Good", "Very good"],
    },
]

WEIGHT_MODES = ("equal", "regulation", "custom")
#: The regulation prints the weight of nine elements rounded: 1/9 ≈ 0.111 (all-4 → 99.90).
REGULATION_WEIGHT = Fraction("0.111")

#: Grade bands on the IKM rounded to 2 decimals (lower bounds; the bands' gaps close by rounding first), with
#: the performance (kinerja) as a message id of the catalogs.
BANDS = (
    (Decimal("88.31"), "A", N_("Sangat baik")),
    (Decimal("76.61"), "B", N_("Baik")),
    (Decimal("65.00"), "C", N_("Kurang baik")),
    (Decimal("25.00"), "D", N_("Tidak baik")),
)

#: profile question -> answer code -> its label (a message id of the catalogs; translated where shown)
PROFILE_CHOICES: dict[str, dict[str, str]] = {
    "sex": {"L": "Laki-laki", "P": "Perempuan"},
    "age": {
        "u20": "< 20 tahun",
        "20_29": "20–29 tahun",
        "30_39": "30–39 tahun",
        "40_49": "40–49 tahun",
        "50_59": "50–59 tahun",
        "60p": "≥ 60 tahun",
    },
    "education": {"sd": "SD ke bawah", "smp": "SMP", "sma": "SMA/SMK", "d": "D1–D4", "s1": "S1", "s2": "S2/S3"},
    "occupation": {
        "pns": "PNS",
        "tni_polri": "TNI/Polri",
        "swasta": "Pegawai swasta",
        "wirausaha": "Wirausaha",
        "petani": "Petani/Nelayan",
        "pelajar": "Pelajar/Mahasiswa",
        "irt": "Ibu rumah tangga",
        "lainnya": "Lainnya",
    },
}
SUGGESTION_MAX = 1000
SETTING = "survey"
_PERIOD = re.compile(r"^\d{4}(-S[12]|-(0[1-9]|1[0-2]))?$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{10,64}$")


def age_group(age: int) -> str:
    for upper, code in ((20, "u20"), (30, "20_29"), (40, "30_39"), (50, "40_49"), (60, "50_59")):
        if age < upper:
            return code
    return "60p"


# -- the formula (pure) -----------------------------------------------------------
def round2(x: Fraction | float) -> Decimal:
    """Half-up to 2 decimals, exactly (a Fraction never drifts at 64.995)."""
    if isinstance(x, Fraction):
        return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade(ikm: Decimal | float | None) -> tuple[str, str, str] | None:
    """(mutu, kinerja, performance) of an IKM, graded on its value rounded to 2 decimals (kinerja in
    Indonesian, performance in English, both from the catalogs)."""
    if ikm is None:
        return None
    value = round2(Fraction(str(ikm)) if not isinstance(ikm, Decimal) else Fraction(ikm))
    letter, kinerja = next(((letter, kinerja) for low, letter, kinerja in BANDS if value >= low), BANDS[-1][1:])
    return letter, i18n.gettext(kinerja, "id"), i18n.gettext(kinerja, "en")


def weights_of(config: dict) -> dict[str, Fraction]:
    """Each element's weight as an exact fraction, by the configured mode."""
    codes = [e["code"] for e in config["elements"]]
    mode = config.get("weight_mode", "equal")
    if mode == "regulation" and len(codes) == 9:
        return {c: REGULATION_WEIGHT for c in codes}
    if mode == "regulation":  # the regulation's rounding for another element count: 1/n to 3 decimals
        return {c: Fraction(round(Fraction(1, len(codes)), 3)) for c in codes}
    if mode == "custom":
        return {c: Fraction(str(config["weights"][c])) for c in codes}
    return {c: Fraction(1, len(codes)) for c in codes}


def compute_ikm(stats: dict[str, tuple[int, int]], config: dict, respondents: int) -> dict:
    """The IKM from per-element (sum, count) aggregates. An element nobody answered (added mid-period) is left
    out and the other weights are scaled so that they keep their total."""
    weights = weights_of(config)
    total_w = sum(weights.values())
    elements, acc, used_w = [], Fraction(0), Fraction(0)
    for e in config["elements"]:
        s, n = stats.get(e["code"], (0, 0))
        nrr = Fraction(int(s), int(n)) if n else None
        if nrr is not None:
            acc += nrr * weights[e["code"]]
            used_w += weights[e["code"]]
        elements.append(
            {
                "code": e["code"],
                "name": e["name"],
                "name_en": e.get("name_en", e["name"]),
                "nrr": None if nrr is None else float(round(Decimal(nrr.numerator) / nrr.denominator, 4)),
                "respondents": int(n),
                "weight": float(weights[e["code"]]),
                "_nrr": nrr,
            }
        )
    ikm = None
    if used_w:
        ikm = round2(acc * total_w / used_w * 25)
    g = grade(ikm) if ikm is not None else None
    uniform = len(set(weights.values())) == 1
    weakest = sorted((e for e in elements if e["_nrr"] is not None), key=lambda e: (e["_nrr"], e["code"]))[:3]
    for e in elements:
        del e["_nrr"]
    return {
        "ikm": None if ikm is None else float(ikm),
        "grade": g[0] if g else None,
        "kinerja": g[1] if g else None,
        "performance": g[2] if g else None,
        "respondents": int(respondents),
        "weight": float(next(iter(weights.values()))) if uniform and weights else None,
        "weight_mode": config.get("weight_mode", "equal"),
        "weight_label": weight_label(config),
        "elements": elements,
        "weakest": [e["code"] for e in weakest],
    }


def weight_text(config: dict) -> i18n.LazyString:
    """Which weight the IKM uses, as a catalog message (decimal comma in Indonesian, point in English)."""
    n = len(config["elements"])
    mode = config.get("weight_mode", "equal")

    def dec(x: float, digits: int) -> i18n.PerLanguage:
        return i18n.PerLanguage(id=f"{x:.{digits}f}".replace(".", ","), en=f"{x:.{digits}f}")

    if mode == "regulation":
        w = weights_of(config)[config["elements"][0]["code"]]
        return i18n.LazyString(
            "bobot %(weight)s per unsur (angka tercetak Permenpan RB 14/2017; 1/%(n)s = %(exact)s)",
            weight=dec(float(w), 3),
            n=n,
            exact=dec(1 / n, 6),
        )
    if mode == "custom":
        return i18n.LazyString("bobot khusus kantor (jumlah = 1)")
    return i18n.LazyString("bobot 1/%(n)s = %(exact)s per unsur (tidak dibulatkan)", n=n, exact=dec(1 / n, 6))


def weight_label(config: dict) -> str:
    """:func:`weight_text` in Indonesian, for the reports' and /publik's data (pages show ``weight_text``)."""
    return weight_text(config).render("id")


# -- settings -------------------------------------------------------------------------
def validate_config(value: Any) -> dict:
    """The office setting ``survey``: {"elements": [...], "weight_mode": "equal"|"regulation"|"custom",
    "weights": {code: number}} — elements have code, name, question and four answers; custom weights sum to 1."""
    if not isinstance(value, dict):
        raise Invalid("Pengaturan survei tidak sah.", detail="expected an object")
    elements = value.get("elements", DEFAULT_ELEMENTS)
    if not isinstance(elements, list) or not 1 <= len(elements) <= 20:
        raise Invalid("Daftar unsur survei harus berisi 1–20 unsur.", detail="elements: a list of 1..20 objects")
    seen, out = set(), []
    for i, e in enumerate(elements):
        where = f"elements[{i}]"
        if not isinstance(e, dict):
            raise Invalid("Unsur survei tidak sah.", detail=where)
        code = e.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z][A-Z0-9]{0,11}", code) or code in seen:
            raise Invalid(
                "Kode unsur ke-%(value)s tidak sah atau ganda.",
                params={"value": i + 1},
                detail=f"{where}.code: unique, A-Z0-9, max 12",
            )
        seen.add(code)
        clean: dict[str, Any] = {"code": code}
        for key in ("name", "question"):
            text = e.get(key)
            if not isinstance(text, str) or not text.strip() or len(text) > 300:
                raise Invalid(
                    "Unsur %(code)s: '%(key)s' wajib diisi.",
                    params={"code": code, "key": key},
                    detail=f"{where}.{key}: 1..300 characters",
                )
            clean[key] = text.strip()
            en = e.get(key + "_en")
            clean[key + "_en"] = en.strip() if isinstance(en, str) and en.strip() else clean[key]
        answers = e.get("answers")
        if (
            not isinstance(answers, list)
            or len(answers) != 4
            or not all(isinstance(a, str) and a.strip() and len(a) <= 80 for a in answers)
        ):
            raise Invalid(
                "Unsur %(code)s: harus ada empat jawaban (1–4).",
                params={"code": code},
                detail=f"{where}.answers: 4 non-empty strings",
            )
        clean["answers"] = [a.strip() for a in answers]
        en = e.get("answers_en")
        clean["answers_en"] = (
            [a.strip() for a in en]
            if isinstance(en, list) and len(en) == 4 and all(isinstance(a, str) and a.strip() for a in en)
            else list(clean["answers"])
        )
        out.append(clean)
    mode = value.get("weight_mode", "equal")
    if mode not in WEIGHT_MODES:
        raise Invalid("Cara pembobotan tidak dikenal.", detail=f"weight_mode: {WEIGHT_MODES}")
    config = {"elements": out, "weight_mode": mode}
    if mode == "custom":
        weights = value.get("weights")
        if (
            not isinstance(weights, dict)
            or set(weights) != seen
            or not all(isinstance(w, (int, float)) and not isinstance(w, bool) and 0 < w <= 1 for w in weights.values())
        ):
            raise Invalid(
                "Setiap unsur perlu bobot antara 0 dan 1.", detail="weights: {code: number} for exactly the elements"
            )
        total = sum((Fraction(str(w)) for w in weights.values()), Fraction(0))
        if abs(total - 1) > Fraction(1, 10**6):
            raise Invalid(
                "Jumlah bobot harus 1 (sekarang %(value).4f).",
                params={"value": float(total)},
                detail="sum(weights) == 1",
            )
        config["weights"] = {c: float(weights[c]) for c in (e["code"] for e in out)}
    return config


@dataclass
class SurveyService:
    core: Antrean

    # -- settings -------------------------------------------------------------------
    def config(self, office: int | None = None, session=None) -> dict:
        """The office's elements and weights (the nine of Permenpan 14/2017 with 1/9 by default)."""
        office = self.core.office_id if office is None else office

        def q(s):
            row = s.get(Setting, (office, SETTING))
            return row.value if row is not None and isinstance(row.value, dict) else None

        if session is not None:
            stored = q(session)
        else:
            with self.core.db.read() as s:
                stored = q(s)
        if stored is None:
            return {"elements": [dict(e) for e in DEFAULT_ELEMENTS], "weight_mode": "equal"}
        try:
            return validate_config(stored)
        except Invalid:  # a setting broken by hand in the database: fall back, never a 500 for citizens
            return {"elements": [dict(e) for e in DEFAULT_ELEMENTS], "weight_mode": "equal"}

    def set_config(self, actor, value: dict) -> dict:
        config = validate_config(value)
        self.core.set_setting(SETTING, config, actor)  # admin only; audited
        return config

    # -- eligibility ----------------------------------------------------------------
    @staticmethod
    def _is_served(ticket: Ticket) -> bool:
        """Served-ness of a ticket, read in ONE place. With the records-lifecycle ``outcome`` column:
        ``outcome == "served"``; before it: finished after being started."""
        if hasattr(Ticket, "outcome"):
            return ticket.outcome == "served"
        return ticket.status == "done" and ticket.started_at is not None

    def last_served(self, counter_id: int, now: datetime | None = None) -> dict | None:
        """The ticket this counter served last today, for the console's "Survei" button:
        {"id", "number", "token", "answered"} or None."""
        core = self.core
        with core.db.read() as s:
            t = s.execute(
                select(Ticket)
                .where(
                    Ticket.office_id == core.office_id,
                    Ticket.counter_id == counter_id,
                    Ticket.day == office_day(core.tz, now),
                    served_clause(),
                )
                .order_by(Ticket.finished_at.desc(), Ticket.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if t is None:
                return None
            answered = s.execute(select(SurveyResponse.id).where(SurveyResponse.ticket_id == t.id)).scalar()
            return {"id": t.id, "number": t.number, "token": t.token, "answered": bool(answered)}

    def _eligible(self, s, ticket: Ticket) -> bool:
        if self._is_served(ticket):
            return True
        closed = s.execute(select(Application.status).where(Application.ticket_id == ticket.id)).scalar()
        return closed == "done"

    #: public, for the notify service: whether the ticket may answer the survey (read in the caller's session)
    eligible_in = _eligible

    def _ticket(self, s, token: Any) -> Ticket:
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise NotFound("Tiket tidak ditemukan.", detail="unknown status token")
        t = s.execute(
            select(Ticket).where(Ticket.token == token, Ticket.office_id == self.core.office_id)
        ).scalar_one_or_none()
        if t is None:
            raise NotFound("Tiket tidak ditemukan.", detail="unknown status token")
        return t

    def status(self, token: str) -> dict:
        """Can this ticket's holder answer? {"state": "open"|"answered"|"not_served", "number", "service", …}.
        Raises NotFound for an unknown token. Nothing personal in it."""
        with self.core.db.read() as s:
            t = self._ticket(s, token)
            answered = s.execute(select(SurveyResponse.id).where(SurveyResponse.ticket_id == t.id)).scalar()
            state = "answered" if answered else ("open" if self._eligible(s, t) else "not_served")
            sop = self.core.sops.get(t.service_code)
            return {
                "state": state,
                "number": t.number,
                "service": t.service_code,
                "service_name": sop.name if sop else t.service_code,
                "day": t.day.isoformat(),
            }

    # -- answering --------------------------------------------------------------------
    def submit(
        self,
        token: str,
        answers: Any,
        profile: Any = None,
        suggestion: Any = None,
        *,
        channel: str = "api",
        now: datetime | None = None,
    ) -> dict:
        """Record one response for the served ticket ``token``. 404 unknown token, 409 not served or answered
        already, 422 bad answers. Returns {"id", "ticket", "service", "day"} (nothing about the respondent)."""
        config = self.config()
        codes = [e["code"] for e in config["elements"]]
        if (
            not isinstance(answers, list)
            or len(answers) != len(codes)
            or not all(isinstance(a, int) and not isinstance(a, bool) and 1 <= a <= 4 for a in answers)
        ):
            raise Invalid(
                "Jawaban harus %(value)s angka 1–4, satu untuk setiap unsur.",
                params={"value": len(codes)},
                field="answers",
                detail=f"answers: list of {len(codes)} integers in 1..4 ({', '.join(codes)})",
            )
        prof = self._profile(profile)
        if suggestion is not None and not isinstance(suggestion, str):
            raise Invalid("Saran harus berupa teks.", field="suggestion")
        suggestion = (suggestion or "").strip()[:SUGGESTION_MAX] or None
        if channel not in ("phone", "tablet", "api"):
            channel = "api"
        now = now or utcnow()
        day = office_day(self.core.tz, now)
        try:
            with self.core.db.write() as s:
                t = self._ticket(s, token)
                if s.execute(select(SurveyResponse.id).where(SurveyResponse.ticket_id == t.id)).scalar():
                    raise _answered()
                if not self._eligible(s, t):
                    raise Conflict(
                        "Survei dapat diisi setelah Anda selesai dilayani.",
                        code="not_served",
                        detail=f"ticket {t.number} is {t.status}, not served",
                    )
                r = SurveyResponse(
                    office_id=t.office_id,
                    ticket_id=t.id,
                    service_code=t.service_code,
                    day=day,
                    submitted_at=now,
                    channel=channel,
                    suggestion=suggestion,
                    **prof,
                )
                s.add(r)
                s.flush()
                s.add_all(
                    [
                        SurveyAnswer(
                            response_id=r.id,
                            element=c,
                            value=v,
                            office_id=t.office_id,
                            day=day,
                            service_code=t.service_code,
                        )
                        for c, v in zip(codes, answers)
                    ]
                )
                self.core.audit(
                    s,
                    Actor(None, f"survei:{channel}"),
                    "survey.submit",
                    "survey_response",
                    r.id,
                    event={"service": t.service_code, "channel": channel},
                    at=now,
                )
                out = {"id": r.id, "ticket": t.number, "service": t.service_code, "day": day.isoformat()}
        except IntegrityError:  # another request for the same ticket committed first (unique ticket_id)
            raise _answered() from None
        return out

    @staticmethod
    def _profile(profile: Any) -> dict:
        out: dict[str, str | None] = {"sex": None, "age_group": None, "education": None, "occupation": None}
        if profile is None:
            return out
        if not isinstance(profile, dict) or set(profile) - {"sex", "age", "education", "occupation"}:
            raise Invalid(
                "Profil responden tidak sah.",
                field="profile",
                detail="profile: {sex, age, education, occupation}, each optional",
            )
        for key, column in (
            ("sex", "sex"),
            ("age", "age_group"),
            ("education", "education"),
            ("occupation", "occupation"),
        ):
            value = profile.get(key)
            if value in (None, ""):
                continue
            if key == "age" and isinstance(value, int) and not isinstance(value, bool):
                if not 10 <= value <= 120:
                    raise Invalid("Usia tidak sah.", field="profile.age", detail="age: 10..120")
                value = age_group(value)
            if value not in PROFILE_CHOICES[key]:
                raise Invalid(
                    "Isian profil '%(key)s' tidak dikenal.",
                    params={"key": key},
                    field=f"profile.{key}",
                    detail=f"{key}: one of {sorted(PROFILE_CHOICES[key])}",
                )
            out[column] = value
        return out

    # -- the tablet at a counter ---------------------------------------------------------
    def offer(self, counter_id: int, ticket_id: int, actor) -> dict:
        """A clerk hands the survey of a just-served ticket to the tablet of their counter (no typing for the
        citizen). Stored as the office setting ``survey_offer:<counter>``; audited."""
        with self.core.db.write() as s:
            c = self.core.lock_row(s, Counter, counter_id, ("Loket", "Counter"))
            t = self.core.lock_row(s, Ticket, ticket_id, ("Tiket", "Ticket"))
            if s.execute(select(SurveyResponse.id).where(SurveyResponse.ticket_id == t.id)).scalar():
                raise _answered()
            if not self._eligible(s, t):
                raise Conflict("Survei hanya untuk tiket yang sudah dilayani.", code="not_served")
            key = f"survey_offer:{c.id}"
            row = s.get(Setting, (self.core.office_id, key))
            value = {"ticket": t.id, "at": iso(utcnow())}
            if row is None:
                s.add(Setting(office_id=self.core.office_id, key=key, value=value))
            else:
                row.value = value
            self.core.audit(
                s,
                actor,
                "survey.offer",
                "ticket",
                t.id,
                event={"counter": c.id, "number": t.number},
                counter=c.id,
                number=t.number,
            )
            return {"counter": c.id, "number": t.number}

    def offered(self, counter_id: int, max_minutes: int = 15) -> dict | None:
        """The survey waiting on a counter's tablet: {"token", "number", "service_name"} or None."""
        with self.core.db.read() as s:
            row = s.get(Setting, (self.core.office_id, f"survey_offer:{counter_id}"))
            if row is None or not isinstance(row.value, dict) or not row.value.get("ticket"):
                return None
            at = datetime.fromisoformat(row.value["at"].replace("Z", "+00:00"))
            if (as_utc(utcnow()) - at).total_seconds() > max_minutes * 60:
                return None
            t = s.get(Ticket, row.value["ticket"])
            if t is None or s.execute(select(SurveyResponse.id).where(SurveyResponse.ticket_id == t.id)).scalar():
                return None
            sop = self.core.sops.get(t.service_code)
            return {"token": t.token, "number": t.number, "service_name": sop.name if sop else t.service_code}

    # -- the IKM ----------------------------------------------------------------------------
    def ikm(self, from_day: date, to_day: date, service: str | None = None, office: int | None = None) -> dict:
        """IKM of responses given from ``from_day`` to ``to_day`` (office-local dates, inclusive), optionally of one
        service, for ``office`` (an office id; default this core's office). Two aggregate queries."""
        office = self.core.office_id if office is None else office
        with self.core.db.read() as s:
            config = self.config(office, session=s)
            conds = [SurveyAnswer.office_id == office, SurveyAnswer.day >= from_day, SurveyAnswer.day <= to_day]
            rconds = [SurveyResponse.office_id == office, SurveyResponse.day >= from_day, SurveyResponse.day <= to_day]
            if service is not None:
                conds.append(SurveyAnswer.service_code == service)
                rconds.append(SurveyResponse.service_code == service)
            stats = {
                e: (total, n)
                for e, total, n in s.execute(
                    select(SurveyAnswer.element, func.sum(SurveyAnswer.value), func.count())
                    .where(*conds)
                    .group_by(SurveyAnswer.element)
                ).all()
            }
            respondents = s.execute(select(func.count()).select_from(SurveyResponse).where(*rconds)).scalar_one()
        out = compute_ikm(stats, config, respondents)
        out.update({"from": from_day.isoformat(), "to": to_day.isoformat(), "service": service})
        return out

    def ikm_by_service(self, from_day: date, to_day: date, office: int | None = None) -> list[dict]:
        """One IKM per service that has responses in the period (one grouped query)."""
        return self.ikm_with_services(from_day, to_day, office)[1]

    def ikm_with_services(self, from_day: date, to_day: date, office: int | None = None) -> tuple[dict, list[dict]]:
        """(the period's IKM, one IKM per service with responses) from the same grouped read: sums, counts and
        respondents add up over services (a response has one service), so the overall figure is exactly
        :meth:`ikm`'s; a report needs both and reads the answers once."""
        office = self.core.office_id if office is None else office
        with self.core.db.read() as s:
            config = self.config(office, session=s)
            rows = s.execute(
                select(SurveyAnswer.service_code, SurveyAnswer.element, func.sum(SurveyAnswer.value), func.count())
                .where(SurveyAnswer.office_id == office, SurveyAnswer.day >= from_day, SurveyAnswer.day <= to_day)
                .group_by(SurveyAnswer.service_code, SurveyAnswer.element)
            ).all()
            counts = dict(
                s.execute(
                    select(SurveyResponse.service_code, func.count())
                    .where(
                        SurveyResponse.office_id == office, SurveyResponse.day >= from_day, SurveyResponse.day <= to_day
                    )
                    .group_by(SurveyResponse.service_code)
                ).all()
            )
        stats: dict[str, dict] = {}
        overall: dict[str, list] = {}
        for code, element, total, n in rows:
            stats.setdefault(code, {})[element] = (total, n)
            acc = overall.setdefault(element, [0, 0])
            acc[0] += total
            acc[1] += n
        out = []
        for code in sorted(stats):
            sop = self.core.sops.get(code)
            out.append(
                compute_ikm(stats[code], config, counts.get(code, 0))
                | {"service": code, "service_name": sop.name if sop else code}
            )
        summary = compute_ikm({e: (t, n) for e, (t, n) in overall.items()}, config, sum(counts.values()))
        summary.update({"from": from_day.isoformat(), "to": to_day.isoformat(), "service": None})
        return summary, out

    def ikm_by_month(self, year: int, office: int | None = None, service: str | None = None) -> list[dict]:
        """Twelve entries {"month": "YYYY-MM", …IKM…} of a year (months without responses have ikm None)."""
        office = self.core.office_id if office is None else office
        first, last = date(year, 1, 1), date(year, 12, 31)
        with self.core.db.read() as s:
            config = self.config(office, session=s)
            month = self._month(SurveyAnswer.day)
            conds = [SurveyAnswer.office_id == office, SurveyAnswer.day >= first, SurveyAnswer.day <= last]
            rmonth = self._month(SurveyResponse.day)
            rconds = [SurveyResponse.office_id == office, SurveyResponse.day >= first, SurveyResponse.day <= last]
            if service is not None:
                conds.append(SurveyAnswer.service_code == service)
                rconds.append(SurveyResponse.service_code == service)
            rows = s.execute(
                select(month, SurveyAnswer.element, func.sum(SurveyAnswer.value), func.count())
                .where(*conds)
                .group_by(month, SurveyAnswer.element)
            ).all()
            counts = {
                str(m): n for m, n in s.execute(select(rmonth, func.count()).where(*rconds).group_by(rmonth)).all()
            }
        stats: dict[str, dict] = {}
        for m, element, total, n in rows:
            stats.setdefault(str(m), {})[element] = (total, n)
        return [
            compute_ikm(stats.get(key, {}), config, counts.get(key, 0)) | {"month": key}
            for key in (f"{year:04d}-{m:02d}" for m in range(1, 13))
        ]

    def _month(self, column):
        if self.core.db.dialect == "postgresql":
            return func.to_char(column, "YYYY-MM")
        return func.substr(column, 1, 7)  # SQLite stores dates as 'YYYY-MM-DD'

    def profile_counts(self, from_day: date, to_day: date, office: int | None = None) -> dict:
        """Respondents per profile answer: {"sex": {"L": n, …, None: n}, "age": …, …}."""
        office = self.core.office_id if office is None else office
        out = {}
        with self.core.db.read() as s:
            for key, col in (
                ("sex", SurveyResponse.sex),
                ("age", SurveyResponse.age_group),
                ("education", SurveyResponse.education),
                ("occupation", SurveyResponse.occupation),
            ):
                out[key] = dict(
                    s.execute(
                        select(col, func.count())
                        .where(
                            SurveyResponse.office_id == office,
                            SurveyResponse.day >= from_day,
                            SurveyResponse.day <= to_day,
                        )
                        .group_by(col)
                    ).all()
                )
        return out

    def suggestions(self, actor, from_day: date, to_day: date, limit: int = 200) -> list[dict]:
        """The free-text suggestions of a period, newest first (report roles only; shown without the ticket)."""
        require_report_reader(self.core, actor)
        with self.core.db.read() as s:
            rows = s.execute(
                select(SurveyResponse.day, SurveyResponse.service_code, SurveyResponse.suggestion)
                .where(
                    SurveyResponse.office_id == self.core.office_id,
                    SurveyResponse.day >= from_day,
                    SurveyResponse.day <= to_day,
                    SurveyResponse.suggestion.is_not(None),
                )
                .order_by(SurveyResponse.id.desc())
                .limit(limit)
            ).all()
        return [{"day": d.isoformat(), "service": c, "suggestion": text} for d, c, text in rows]

    # -- rencana tindak lanjut ----------------------------------------------------------------
    def followups(self, period: str) -> dict[str, dict]:
        check_period(period)
        with self.core.db.read() as s:
            rows = (
                s.execute(
                    select(SurveyFollowUp).where(
                        SurveyFollowUp.office_id == self.core.office_id, SurveyFollowUp.period == period
                    )
                )
                .scalars()
                .all()
            )
            return {
                r.element: {"plan": r.plan, "updated_at": iso(r.updated_at), "updated_by": r.updated_by} for r in rows
            }

    def set_followup(self, actor, period: str, element: str, plan: str) -> dict:
        """Store the office's follow-up plan for an element in a period (report roles; audited with old and new)."""
        require_report_reader(self.core, actor)
        check_period(period)
        if element not in {e["code"] for e in self.config()["elements"]}:
            raise Invalid("Unsur tidak dikenal.", field="element")
        if not isinstance(plan, str) or len(plan) > 2000:
            raise Invalid("Rencana tindak lanjut maksimal 2000 karakter.", field="plan")
        plan = plan.strip()
        with self.core.db.write() as s:
            row = s.execute(
                select(SurveyFollowUp).where(
                    SurveyFollowUp.office_id == self.core.office_id,
                    SurveyFollowUp.period == period,
                    SurveyFollowUp.element == element,
                )
            ).scalar_one_or_none()
            old = None if row is None else row.plan
            if row is None:
                row = SurveyFollowUp(office_id=self.core.office_id, period=period, element=element)
                s.add(row)
            row.plan, row.updated_by, row.updated_at = plan, actor.id, utcnow()
            self.core.audit(
                s,
                actor,
                "survey.followup",
                "survey_followup",
                f"{period}/{element}",
                event={"period": period, "element": element},
                old=old,
                new=plan,
            )
        return {"period": period, "element": element, "plan": plan}


def served_clause():
    """The SQL twin of ``SurveyService._is_served`` (keep the two together)."""
    if hasattr(Ticket, "outcome"):
        return Ticket.outcome == "served"
    return and_(Ticket.status == "done", Ticket.started_at.is_not(None))


def period_bounds(period: str) -> tuple[date, date]:
    """'2026' → the year, '2026-S1' → Jan–Jun, '2026-11' → November (inclusive bounds)."""
    check_period(period)
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    if period[5] == "S":
        return (date(year, 1, 1), date(year, 6, 30)) if period[6] == "1" else (date(year, 7, 1), date(year, 12, 31))
    month = int(period[5:])
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), date.fromordinal(nxt.toordinal() - 1)


def check_period(period: Any) -> str:
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise Invalid("Periode tidak sah (contoh: 2026, 2026-S1, 2026-11).", field="period")
    return period


def require_report_reader(core: Antrean, actor) -> None:
    """The one permission check of survey reports: ``antrean.kernel.policy``, action ``report.read``."""
    require(core, actor, "report.read")


def _answered() -> Conflict:
    return Conflict("Survei untuk tiket ini sudah diisi. Terima kasih.", code="already_answered")
