"""Document kinds and their rules, as data (DOMAIN.md §6, contracts §8).

Everything a reviewer of the manuals may want to change lives in the tables of this module:
which number prefixes a kind uses, which file types it may carry, which fields it needs, which
parent it may be linked to, which follow-up type a document may prove. Score tables are *not*
here: evidence returns facts, the scoring service applies the manual's scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.periods import MEASURE_PERIODS, WINDOWS
from kernel.errors import Unprocessable, dotted, validation_problem

PDF = "application/pdf"
IMAGES = frozenset({"image/jpeg", "image/png", "image/tiff"})
OFFICE = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)
SCANS = frozenset({PDF}) | IMAGES  # a scanned signed document: PDF or an image of it

#: The file-name extensions of each storable type; the first is the one given to a download.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
}


def file_name(name: str, media_type: str) -> str:
    """``name`` ending in the extension of the *sniffed* type: ``LPT-12_WBC.16_2024`` → ``….pdf``.

    The type is what the server found, not what the client said, so a name the client chose
    keeps its own extension only when it agrees with the contents (``laporan.PDF``); otherwise the
    right one is appended (``laporan.doc`` → ``laporan.doc.pdf``), never replaced — what the
    client called the file stays readable. Idempotent, so stored and older names pass through it.
    """
    extensions = EXTENSIONS.get(media_type, ())
    if not extensions or name.lower().endswith(extensions):
        return name
    return name[: 255 - len(extensions[0])] + extensions[0]


@dataclass(frozen=True)
class KindSpec:
    code: str
    name: str
    prefixes: tuple[str, ...]  # allowed KIND part of the number
    media_types: frozenset[str] = SCANS
    parents: frozenset[str] = frozenset()  # kinds this kind may be linked under
    fields: type[BaseModel] | None = None


# --- kind-specific fields ------------------------------------------------------------------


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LptFields(_Fields):
    activity: Literal["patrol", "operation", "sea_patrol"]


class BaTegahFields(_Fields):
    special_criteria: bool = Field(description="seizure with the Director's special criteria (score 1.2)")


class BaSegelFields(_Fields):
    findings: bool = Field(default=False, description="sealing followed by findings at unloading (8b-N 1.5)")


class PrinFields(_Fields):
    """A sea patrol warrant carries ship class and days; other warrants carry neither."""

    ship_class: Literal["I", "II", "III", "IV", "V", "VI"] | None = None
    patrol_days: int | None = Field(default=None, ge=1, le=366)

    @model_validator(mode="after")
    def _both_or_neither(self) -> PrinFields:
        if (self.ship_class is None) != (self.patrol_days is None):
            raise ValueError("ship_class and patrol_days go together")
        return self


class FollowUpFields(_Fields):
    follow_up_type: str | None = None


# --- follow-ups (Tables 3.22 and 3.48): type -> kinds that may prove it ----------------------

_DECISION = frozenset({"SK", "KEP"})
_LETTER = frozenset({"S", "ND", "SK", "KEP", "LAP", "BA"})
FOLLOW_UP_TYPES: dict[str, frozenset[str]] = {
    "sptp_tppu": frozenset({"SPTP"}),
    "p21": frozenset({"P-21"}),
    "sptp": frozenset({"SPTP"}),
    "stck_ur_4x": frozenset({"STCK-UR"}),
    "stck_ur_3x": frozenset({"STCK-UR"}),
    "licence_freeze": _DECISION,
    "nppbkc_freeze": _DECISION,
    "excise_stamp_refusal": _LETTER,
    "stck_1": frozenset({"STCK-1"}),
    "spsa": frozenset({"SPSA"}),
    "customs_access_block": _LETTER,
    "lartas_licence": _LETTER,
    "tariff_value_change": frozenset({"SPTNP", "SPKTNP", "SPP", "SPPBK", "SPKPBK"}) | _LETTER,
    "audit_recommendation": _LETTER,
    "administrative_settlement": _LETTER,
    "bmn_decision": _DECISION,
    "referral": _LETTER,
    "reexport": _LETTER,
    "export_cancellation": _LETTER,
    "bdn_decision": _DECISION,
    "passenger_bkc_destruction": _LETTER,
    "no_violation": _LETTER | frozenset({"SBP"}),
}
#: Added by the aggregates (never uploaded): a BA Tegah dated after 15 December (Table 3.22 no. 12).
IMPLICIT_LATE_SEIZURE = "seizure_after_dec_15"
FOLLOW_UP_PARENTS = frozenset({"BA Tegah", "BA Segel"})
TARGETING_KINDS = frozenset({"NHI", "NI", "LB"})

_ENFORCEMENT = frozenset({"SBP", "LPT"})
_K = KindSpec
KINDS: dict[str, KindSpec] = {
    k.code: k
    for k in [
        _K("ND", "Nota Dinas", ("ND",), SCANS | OFFICE, FOLLOW_UP_PARENTS),
        _K("LPT", "Laporan Pelaksanaan Tugas", ("LPT",), SCANS | OFFICE, frozenset({"PRIN"}), LptFields),
        _K("SBP", "Surat Bukti Penindakan", ("SBP",), parents=frozenset({"LPT"})),
        _K("BA Tegah", "Berita Acara Penegahan", ("BA", "BAP"), parents=frozenset({"SBP"}), fields=BaTegahFields),
        _K("BA Segel", "Berita Acara Penyegelan", ("BA", "BAS"), parents=_ENFORCEMENT, fields=BaSegelFields),
        _K("BA Riksa", "Berita Acara Pemeriksaan", ("BA", "BAR"), parents=_ENFORCEMENT),
        _K("BA Titip", "Berita Acara Penitipan", ("BA", "BAT"), parents=_ENFORCEMENT | {"BA Segel"}),
        _K("SPTP", "Surat Perintah Tugas Penyidikan", ("SPTP",), parents=FOLLOW_UP_PARENTS),
        _K("P-21", "Pemberitahuan hasil penyidikan lengkap", ("P-21", "B"), parents=FOLLOW_UP_PARENTS),
        _K("SPDP", "Surat Pemberitahuan Dimulainya Penyidikan", ("SPDP",)),
        _K("SP3", "Surat Penetapan Penghentian Penyidikan", ("SP3",)),
        _K("PRIN", "Surat Perintah", ("PRIN",), fields=PrinFields),
        _K("NHI", "Nota Hasil Intelijen", ("NHI", "NHI-N"), parents=frozenset({"PRIN", "LPT", "BA Tegah"})),
        _K("NI", "Nota Informasi", ("NI", "NI-N"), parents=frozenset({"PRIN", "LPT", "BA Tegah"})),
        _K("LB", "Lembar Pemberian Data dan Informasi", ("LB",), parents=frozenset({"PRIN", "LPT", "BA Tegah"})),
        _K("STCK-1", "Surat Tagihan Cukai", ("STCK-1", "STCK"), parents=FOLLOW_UP_PARENTS),
        _K("STCK-UR", "Surat Tagihan Cukai (UR)", ("STCK-UR", "STCK"), parents=FOLLOW_UP_PARENTS),
        _K("SPSA", "Surat Penetapan Sanksi Administrasi", ("SPSA",), parents=FOLLOW_UP_PARENTS),
        _K("SPTNP", "Surat Penetapan Tarif dan/atau Nilai Pabean", ("SPTNP",), parents=FOLLOW_UP_PARENTS),
        _K("SPKTNP", "Surat Penetapan Kembali Tarif dan/atau Nilai Pabean", ("SPKTNP",), parents=FOLLOW_UP_PARENTS),
        _K("SPP", "Surat Penetapan Pabean", ("SPP",), parents=FOLLOW_UP_PARENTS),
        _K("SPPBK", "Surat Penetapan Perhitungan Bea Keluar", ("SPPBK",), parents=FOLLOW_UP_PARENTS),
        _K("SPKPBK", "Surat Penetapan Kembali Perhitungan Bea Keluar", ("SPKPBK",), parents=FOLLOW_UP_PARENTS),
        _K("SK", "Surat Keputusan", ("SK", "KEP"), parents=FOLLOW_UP_PARENTS),
        _K("KEP", "Keputusan", ("KEP",), parents=FOLLOW_UP_PARENTS),
        _K("LAP", "Laporan", ("LAP",), SCANS | OFFICE, FOLLOW_UP_PARENTS),
        _K("ST", "Surat Tugas", ("ST",)),
        _K("UND", "Undangan", ("UND",)),
        _K("S", "Surat", ("S",), parents=FOLLOW_UP_PARENTS),
        _K("BA", "Berita Acara (other)", ("BA",), parents=FOLLOW_UP_PARENTS | _ENFORCEMENT),
    ]
}

# --- numbers ---------------------------------------------------------------------------------------

_SEQ = r"(?P<seq>[0-9]+[A-Z]?)"
_ORG = r"(?P<org>[A-Za-z0-9][A-Za-z0-9.\-]*(?:/[A-Za-z0-9][A-Za-z0-9.\-]*)*)"
_YEAR = r"(?P<year>(?:19|20)[0-9]{2})"


def _number_re(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alt = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"^(?P<kind>{alt})-{_SEQ}/{_ORG}/{_YEAR}$")


_NUMBER_RES = {code: _number_re(spec.prefixes) for code, spec in KINDS.items()}


@dataclass(frozen=True)
class DocumentNumber:
    kind: str
    seq: str
    org: str
    year: int


def parse_number(kind: str, number: str) -> DocumentNumber:
    """``KIND-SEQ/ORG/YEAR`` (``ND-273/WBC.16/2024``, ``PRIN-222/BC/BC.10/2024``); 422 otherwise."""
    m = _NUMBER_RES[kind].match(number.strip())
    if not m:
        prefixes = "|".join(KINDS[kind].prefixes)
        example = f"{KINDS[kind].prefixes[0]}-12/WBC.16/2024"
        raise Unprocessable(
            f"number {number!r} is not a {kind} number ({prefixes})-SEQ/ORG/YEAR, e.g. {example}",
            field="number",
        )
    return DocumentNumber(m["kind"], m["seq"], m["org"], int(m["year"]))


#: Organisation codes of the head office (Kantor Pusat DJBC): ``BC`` and its units ``BC.01``..;
#: it is above every satker and not part of the registry's tree.
HEAD_OFFICE = re.compile(r"^BC(?:\.\d{1,3})?$")


def division_of(unit: str) -> list[str]:
    """The satker a division code belongs to: ``WBC.165`` → ``[WBC.16]`` (the satker's code plus
    one digit, DOMAIN §1); ``[]`` when the code cannot be one (the rest would be too short)."""
    head, sep, digits = unit.rpartition(".")
    if sep and digits.isdigit() and len(digits) >= 3:
        return [unit[:-1]]
    return []


# --- periods (contracts §5: contracts.periods) ---------------------------------------------------

PERIODS = MEASURE_PERIODS


def month_closed(month: int, closed_periods: list[str]) -> str | None:
    """The closed period whose window holds ``month`` (a closed S1 closes Q1 and Q2 too)."""
    for p in closed_periods:
        if month in WINDOWS.get(p, ()):
            return p
    return None


# --- fields ------------------------------------------------------------------------------------------


def check_fields(kind: str, raw: dict[str, Any], *, parent_kind: str | None) -> dict[str, Any]:
    """Validate the kind-specific fields; a document under a BA Tegah/BA Segel must name its follow-up."""
    spec = KINDS[kind]
    model = spec.fields
    data = dict(raw)
    follow_up = data.pop("follow_up_type", None)
    out: dict[str, Any] = {}
    if model is not None:
        try:
            out = model.model_validate(data).model_dump(exclude_none=True)
        except ValidationError as exc:
            raise validation_problem(
                exc, locate=partial(dotted, under="fields"), prefix=f"invalid fields for {kind}: "
            ) from exc
    elif data:
        raise Unprocessable(f"{kind} takes no field {sorted(data)[0]!r}", field=f"fields.{sorted(data)[0]}")
    if parent_kind in FOLLOW_UP_PARENTS:
        if follow_up is None:
            raise Unprocessable(
                f"a document linked under a {parent_kind} proves a follow-up: fields.follow_up_type is required",
                field="fields.follow_up_type",
            )
        allowed = FOLLOW_UP_TYPES.get(str(follow_up))
        if allowed is None:
            raise Unprocessable(f"unknown follow-up type {follow_up!r}", field="fields.follow_up_type")
        if kind not in allowed:
            raise Unprocessable(
                f"follow-up {follow_up} is proven by {', '.join(sorted(allowed))}, not by {kind}",
                field="fields.follow_up_type",
            )
        out["follow_up_type"] = follow_up
    elif follow_up is not None:
        raise Unprocessable("follow_up_type needs a parent BA Tegah or BA Segel", field="fields.follow_up_type")
    return out
