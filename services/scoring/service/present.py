"""JSON shapes of the answers: full-precision numbers next to their display strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.scoring.engine.analysis import plain
from services.scoring.engine.numbers import display
from services.scoring.engine.scorecard import IkuScore, Scorecard


def value_display(v: Decimal | None) -> str | None:
    """Realisations/targets: 2 decimals, 4 below 1 (clearance time 0.3969 days)."""
    if v is None:
        return None
    return display(v, 4 if abs(v) < 1 else 2)


def iku_json(s: IkuScore) -> dict[str, Any]:
    ind, ach = s.indicator, s.achievement
    return {
        "code": ind.code,
        "name": ind.name,
        "objective": ind.objective,
        "polarity": ind.polarity,
        "unit": ind.unit,
        "weight": plain(ind.weight),
        "target": plain(s.target.value) if s.target else None,
        "target_display": value_display(s.target.value) if s.target else None,
        "target_document": s.target.document if s.target else None,
        "realization": plain(s.realization),
        "realization_display": value_display(s.realization),
        "index": plain(ach.index),
        "index_display": display(ach.index),
        "status": ach.status,
        "reason": ach.reason,
    }


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    prep = card.prepared
    return {
        "satker": {k: prep.satker[k] for k in ("code", "name", "kind", "parent", "path")},
        "agreement": prep.agreement,
        "period": card.period,
        "as_of": prep.as_of,
        "rule_set": {"code": prep.rules.code, "version": prep.rules.version},
        "nko": plain(card.nko),
        "nko_display": display(card.nko),
        "predicate": card.predicate,
        "partial": card.partial,
        "perspectives": [
            {
                "code": p.code,
                "name": p.name,
                "weight": plain(p.weight),
                "index": plain(p.index),
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
                "index": plain(o.index),
                "index_display": display(o.index),
                "included": o.included,
                "excluded": o.excluded,
            }
            for o in card.objectives
        ],
        "indicators": [iku_json(s) for s in card.indicators],
        "notes": card.notes,
    }
