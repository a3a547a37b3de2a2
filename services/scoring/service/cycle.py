"""The reporting cycle in scoring (ADR 0020): the evidence-path rule and frozen scorecards.

Evidence path: an IKU whose manual reads evidence (3a-CP, 8a-N, 8b-N, ...) is computed from the
verified evidence only once the period is *declared complete*: every quarter of its window is
submitted (or validated, published) in the bundle's ``cycle``. Before that the reported
realisation stands, and the scores answer shows beside it what the evidence verified so far
would give, which one is used and why.

Frozen scorecards: what a publication stores. Scoring keeps no data (no database); it computes
the scorecards at the publication instant and returns each with the SHA-256 of its inputs (the
bundle and the evidence facts exactly as received), so the registry can store them and anyone
can recompute later with the same ``as_of`` and compare the hashes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from services.scoring.engine.evaluate import Evidence
from services.scoring.engine.numbers import display
from services.scoring.engine.periods import SCORE_PERIODS
from services.scoring.engine.scorecard import IkuScore, Prepared, score_indicator
from services.scoring.schemas.scores import EvidenceChoice, EvidencePath, EvidenceSide, InputHashes

#: the quarters whose reports make up each score period
QUARTERS_OF: dict[str, tuple[str, ...]] = {
    "Q1": ("Q1",),
    "Q2": ("Q2",),
    "Q3": ("Q3",),
    "Q4": ("Q4",),
    "S1": ("Q1", "Q2"),
    "TQ3": ("Q1", "Q2", "Q3"),
    "Y": ("Q1", "Q2", "Q3", "Q4"),
}
DECLARED = frozenset({"submitted", "validated", "published"})
assert set(QUARTERS_OF) == set(SCORE_PERIODS)


def undeclared(prepared: Prepared, period: str) -> list[str]:
    """The quarters of the period's window whose report is not declared complete yet."""
    cycle = prepared.cycle  # a quarter without a submission by ``as_of`` is absent (contracts §6)
    return [q for q in QUARTERS_OF[period] if (facts := cycle.get(q)) is None or facts["state"] not in DECLARED]


def evidence_path_applies(prepared: Prepared, period: str) -> bool:
    return not undeclared(prepared, period)


def _side(s: IkuScore) -> EvidenceSide:
    return {
        "realization": s.realization,
        "index": s.achievement.index,
        "index_display": display(s.achievement.index),
        "status": s.achievement.status,
    }


def evidence_path_json(
    prepared: Prepared, period: str, evidence: dict[str, Evidence], *, as_submitted: bool = False
) -> EvidencePath | None:
    """Per evidence-driven IKU: the reported figure, what the verified evidence supports so far,
    which one the scores use and why (Indonesian: people read it)."""
    ikus = [i for i in prepared.indicators if i.uses_evidence]
    if not ikus:
        return None
    missing = undeclared(prepared, period)
    applies = as_submitted or not missing
    if as_submitted and missing:
        why = "dihitung seolah-olah laporan telah disampaikan (pemeriksaan sebelum penyampaian): jalur bukti berlaku"
    elif applies:
        why = "laporan periode telah disampaikan (bukti dinyatakan lengkap): jalur bukti terverifikasi berlaku"
    else:
        why = (
            f"laporan {', '.join(missing)} belum disampaikan: realisasi yang dilaporkan berlaku; "
            "jalur bukti berlaku sejak penyampaian"
        )
    out: dict[str, EvidenceChoice] = {}
    for ind in ikus:
        reported = score_indicator(prepared, ind, period, evidence=None)
        supported = score_indicator(prepared, ind, period, evidence=evidence.get(ind.code))
        out[ind.code] = {
            "used": "evidence" if applies else "reported",
            "reported": _side(reported),
            "evidence": _side(supported),
        }
    return {"applies": applies, "why": why, "undeclared_quarters": missing, "indicators": out}


def sha256_of(value: Any) -> str:
    """The hash of a JSON value in canonical form (keys sorted, orjson's number forms)."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def input_hashes(bundle: Any, evidence: dict[str, Evidence]) -> tuple[InputHashes, str]:
    hashes: InputHashes = {"bundle": sha256_of(bundle), "evidence": sha256_of(evidence)}
    return hashes, sha256_of(hashes)
