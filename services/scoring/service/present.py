"""JSON shapes of the answers: exact numbers (``Decimal``) next to their display strings.

The dicts are the response models of :mod:`services.scoring.schemas` (TypedDicts: mypy checks
the keys); the routes write them with ``kernel.wire.ExactJSONResponse``, so a number goes out
with the Decimal's own digits (ADR 0018), not a float's 17.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from contracts.bundle import BundleAgreement
from services.scoring.engine.numbers import display
from services.scoring.engine.scorecard import IkuScore, Scorecard
from services.scoring.schemas.scores import IkuOut, SatkerOut, ScorecardOut


def value_display(v: Decimal | None) -> str | None:
    """Realisations/targets: 2 decimals, 4 below 1 (clearance time 0.3969 days)."""
    if v is None:
        return None
    return display(v, 4 if abs(v) < 1 else 2)


def satker_out(satker: Mapping[str, Any]) -> SatkerOut:
    """The satker as the answers name it (the bundle's, without ``staff``)."""
    return {
        "code": satker["code"],
        "name": satker["name"],
        "kind": satker["kind"],
        "parent": satker["parent"],
        "path": satker["path"],
    }


def iku_json(s: IkuScore) -> IkuOut:
    ind, ach = s.indicator, s.achievement
    return {
        "code": ind.code,
        "name": ind.name,
        "objective": ind.objective,
        "polarity": ind.polarity,
        "unit": ind.unit,
        "weight": ind.weight,
        "target": s.target.value if s.target else None,
        "target_display": value_display(s.target.value) if s.target else None,
        "target_document": s.target.document if s.target else None,
        "realization": s.realization,
        "realization_display": value_display(s.realization),
        "index": ach.index,
        "index_display": display(ach.index),
        "status": ach.status,
        "reason": ach.reason,
    }


def scorecard_json(card: Scorecard) -> ScorecardOut:
    prep = card.prepared
    return {
        "satker": satker_out(prep.satker),
        "agreement": cast(BundleAgreement, prep.agreement),  # the bundle's, checked when read
        "period": card.period,
        "as_of": prep.as_of,
        "rule_set": {"code": prep.rules.code, "version": prep.rules.version},
        "nko": card.nko,
        "nko_display": display(card.nko),
        "predicate": card.predicate,
        "partial": card.partial,
        "perspectives": [
            {
                "code": p.code,
                "name": p.name,
                "weight": p.weight,
                "index": p.index,
                "index_display": display(p.index),
                "objectives": p.objectives,
            }
            for p in card.perspectives
        ],
        "objectives": [
            {
                "code": o.objective.code,
                "name": o.objective.name,
                "perspective": o.objective.perspective,
                "index": o.index,
                "index_display": display(o.index),
                "included": o.included,
                "excluded": o.excluded,
            }
            for o in card.objectives
        ],
        "indicators": [iku_json(s) for s in card.indicators],
        "notes": card.notes,
    }
