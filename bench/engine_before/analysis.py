"""Questions asked of a scorecard: explain a number, check a printed report, what it takes.

Everything here returns plain dicts of Decimals/strings; the API turns Decimals into JSON
numbers (full precision) next to their display strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from bench.engine_before import manual as m
from bench.engine_before.evaluate import Evidence, interpolate
from bench.engine_before.numbers import CONTEXT, HUNDRED, ONE, ZERO, display, normal, to_decimal
from bench.engine_before.periods import QUARTERS_IN, SCORE_PERIODS
from bench.engine_before.rules import FORMULA_TEXT
from bench.engine_before.scorecard import IkuScore, Prepared, Scorecard, score, score_indicator

# ---------------------------------------------------------------------------------------- explain


def explain_indicator(card: Scorecard, s: IkuScore) -> dict[str, Any]:
    """Every number of one IKU with its derivation (needs a scorecard scored with ``trace=True``)."""
    ind = s.indicator
    rules = card.prepared.rules
    ach = s.achievement
    target = s.target
    obj = next((o for o in card.objectives if o.objective.code == ind.objective), None)
    persp = next((p for p in card.perspectives if obj and p.code == obj.objective.perspective), None)
    ratio = None
    if s.realization is not None and target is not None and target.value:
        with localcontext(CONTEXT):
            ratio = s.realization / target.value
    return {
        "indicator": ind.code,
        "name": ind.name,
        "period": card.period,
        "polarity": ind.polarity,
        "consolidation": ind.consolidation,
        "unit": ind.unit,
        "inputs": {p: dict(parts) for p, parts in (s.inputs or {}).items()},
        "manual": {
            "version": ind.manual_version,
            "description": ind.manual.description,
            "precision": ind.manual.precision,
            "steps": [{"path": st.path, "op": st.op, "value": st.value, "note": st.note} for st in (s.trace or [])],
        },
        "realization": s.realization,
        "realization_unrounded": s.unrounded_realization,
        "target": None
        if target is None
        else {
            "value": target.value,
            "document": target.document,
            "version": target.version,
        },
        "addenda": card.prepared.addenda,
        "rule_set": {"code": rules.code, "version": rules.version},
        "formula": ach.formula,
        "ratio": ratio,
        "raw_index": ach.raw,
        "bounds": {"floor": rules.index.floor, "cap": rules.index.cap},
        "index": ach.index,
        "status": ach.status,
        "reason": ach.reason,
        "roll_up": {
            "objective": ind.objective,
            "objective_index": obj.index if obj else None,
            "objective_formula": "weighted mean of the indices of its IKU (IKU weights); IKU without index excluded",
            "objective_members": obj.included if obj else [],
            "objective_excluded": obj.excluded if obj else [],
            "perspective": persp.code if persp else None,
            "perspective_index": persp.index if persp else None,
            "perspective_weight": persp.weight if persp else None,
        },
    }


def explain_scorecard(card: Scorecard) -> dict[str, Any]:
    """The roll-up with its derivation: SS from IKU, perspectives from SS, NKO from perspectives."""
    rules = card.prepared.rules
    contributions = []
    with localcontext(CONTEXT):
        for p in card.perspectives:
            contributions.append(
                {
                    "perspective": p.code,
                    "weight": p.weight,
                    "index": p.index,
                    "contribution": None if p.index is None else p.weight * p.index,
                    "objectives": p.objectives,
                }
            )
    return {
        "period": card.period,
        "rule_set": {"code": rules.code, "version": rules.version},
        "formulas": {
            "index": {k: FORMULA_TEXT[v.formula] for k, v in rules.polarity.items()},
            "clamp": [rules.index.floor, rules.index.cap],
            "objective": "Σ w_iku × index / Σ w_iku over IKU with an index",
            "perspective": "mean of its SS indices (SS weights)",
            "nko": "Σ perspective weight × perspective index",
        },
        "objectives": [
            {
                "code": o.objective.code,
                "perspective": o.objective.perspective,
                "index": o.index,
                "included": o.included,
                "excluded": o.excluded,
            }
            for o in card.objectives
        ],
        "perspectives": contributions,
        "nko": card.nko,
        "predicate": card.predicate,
        "partial": card.partial,
        "notes": card.notes,
    }


# ----------------------------------------------------------------------------------- report check


def _tolerance(printed: Decimal) -> Decimal:
    """Half a unit of the printed figure's last decimal, never looser than 0.005 (2 decimals)."""
    exp = printed.as_tuple().exponent
    half = Decimal(5).scaleb(int(exp) - 1) if isinstance(exp, int) else Decimal("0.005")
    return min(half, Decimal("0.005"))


def _compare(out: list[dict[str, Any]], where: str, printed: Any, recomputed: Decimal | None, **ctx: Any) -> None:
    if printed is None and recomputed is None:
        return
    if printed is None:
        return  # nothing printed: nothing to check
    p = to_decimal(printed)
    if recomputed is None:
        out.append(
            {
                "where": where,
                **ctx,
                "printed": p,
                "recomputed": None,
                "recomputed_display": None,
                "difference": None,
                "reason": "printed, but the recomputation gives no value",
            }
        )
        return
    with localcontext(CONTEXT):
        diff = p - recomputed
    if abs(diff) > _tolerance(p):
        out.append(
            {
                "where": where,
                **ctx,
                "printed": p,
                "recomputed": recomputed,
                "recomputed_display": display(recomputed, max(2, -int(p.as_tuple().exponent))),
                "difference": diff,
                "reason": "printed value differs from the recomputation",
            }
        )


def report_check(
    prepared: Prepared,
    printed: Mapping[str, Any],
    *,
    evidence: Mapping[str, Mapping[str, Evidence]] | None = None,
) -> dict[str, Any]:
    """Compare printed values with the recomputation. ``printed``:
    ``{nko, predicate, perspectives: {code: v}, objectives: {code: v},
    indicators: {code: {period: {index, realization, target}}}, period (default Y)}``;
    ``evidence``: period → indicator → evidence aggregates."""
    period = str(printed.get("period") or "Y")
    cards = {p: score(prepared, p, evidence=(evidence or {}).get(p)) for p in SCORE_PERIODS}
    card = cards[period]
    out: list[dict[str, Any]] = []
    if printed.get("nko") is not None:
        _compare(out, "nko", printed["nko"], card.nko, kind="nko", period=period)
    if printed.get("predicate") is not None and printed["predicate"] != card.predicate:
        out.append(
            {
                "where": "predicate",
                "kind": "predicate",
                "period": period,
                "printed": printed["predicate"],
                "recomputed": card.predicate,
                "reason": "printed predicate differs",
            }
        )
    for code, value in (printed.get("perspectives") or {}).items():
        p = next((x for x in card.perspectives if x.code == code), None)
        _compare(
            out, f"perspective {code}", value, p.index if p else None, kind="perspective", code=code, period=period
        )
    for code, value in (printed.get("objectives") or {}).items():
        o = next((x for x in card.objectives if x.objective.code == code), None)
        _compare(out, f"objective {code}", value, o.index if o else None, kind="objective", code=code, period=period)
    for code, periods in (printed.get("indicators") or {}).items():
        for per, values in (periods or {}).items():
            if per not in cards:
                continue
            s = cards[per].iku(code)
            if s is None:
                out.append(
                    {
                        "where": f"indicator {code}",
                        "kind": "indicator",
                        "code": code,
                        "period": per,
                        "reason": "printed IKU is not in the agreement",
                    }
                )
                continue
            for fld, recomputed in (
                ("index", s.achievement.index),
                ("realization", s.realization),
                ("target", s.target.value if s.target else None),
            ):
                if fld in (values or {}):
                    _compare(
                        out,
                        f"indicator {code} {per} {fld}",
                        values[fld],
                        recomputed,
                        kind="indicator",
                        code=code,
                        period=per,
                        field=fld,
                    )
    return {
        "period": period,
        "checked_against": {"rule_set": prepared.rules.code, "agreement": prepared.agreement.get("number")},
        "nko": card.nko,
        "differences": out,
        "consistent": not out,
    }


# ---------------------------------------------------------------------------------- what it takes


def _inverse_scale(points: list[tuple[Decimal, Decimal]], y: Decimal) -> Decimal | None:
    """Smallest x whose scale value reaches y (linear segments, y increasing along the points)."""
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if y0 <= y <= y1 and y1 != y0:
            return x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return None


def what_it_takes(
    prepared: Prepared, code: str, period: str, target_index: Decimal, *, evidence: Evidence | None = None
) -> dict[str, Any]:
    """The realisation needed in ``period`` for ``target_index``, by polarity; for Sum/Average IKU
    also what the remaining quarters of the window must deliver."""
    ind = prepared.indicator(code)
    if ind is None:
        raise KeyError(code)
    rules = prepared.rules
    current = score_indicator(prepared, ind, period, evidence=evidence)
    target = current.target.value if current.target else None
    base: dict[str, Any] = {
        "indicator": code,
        "period": period,
        "polarity": ind.polarity,
        "consolidation": ind.consolidation,
        "target": target,
        "target_index": target_index,
        "current_realization": current.realization,
        "current_index": current.achievement.index,
        "rule_set": {"code": rules.code, "version": rules.version},
    }
    if target_index > rules.index.cap or target_index < rules.index.floor:
        return base | {
            "reachable": False,
            "reason": f"the index is clamped to [{rules.index.floor}, {rules.index.cap}]",
        }
    if target is None:
        return base | {"reachable": False, "reason": "no target for the period"}
    if target == 0:
        return base | {"reachable": False, "reason": "target is 0: the index is not a function of the realisation"}
    formula = rules.polarity[ind.polarity].formula if ind.polarity in rules.polarity else None
    with localcontext(CONTEXT):
        t = target_index / HUNDRED
        if formula == "ratio":
            need, direction = t * target, "at_least"
        elif formula == "two_minus_ratio":
            need, direction = (2 * ONE - t) * target, "at_most"
        elif formula == "inverse_ratio":
            if t == 0:
                return base | {"reachable": True, "required_realization": None, "direction": "any"}
            need, direction = target / t, "at_most"
        elif formula == "stabilize":
            scale = list(ind.manual.stabilize_scale) if ind.manual.stabilize_scale else None
            ca = _inverse_scale(scale, target_index) if scale else target_index
            if ca is None or ca > HUNDRED:
                return base | {"reachable": False, "reason": f"the conversion scale never reaches {target_index}"}
            low, high = ca / HUNDRED * target, (2 * HUNDRED - ca) / HUNDRED * target
            return base | {
                "reachable": True,
                "direction": "between",
                "required_realization": [low, high],
                "formula": FORMULA_TEXT["stabilize"],
                "already_reached": current.realization is not None and low <= current.realization <= high,
            }
        else:
            return base | {"reachable": False, "reason": f"polarity {ind.polarity!r} has no formula in the rule set"}
        out = base | {
            "reachable": True,
            "direction": direction,
            "required_realization": need,
            "formula": FORMULA_TEXT[formula],
        }
        r = current.realization
        if r is not None:
            out["already_reached"] = r >= need if direction == "at_least" else r <= need
            out["gap"] = need - r
        quarters = QUARTERS_IN.get(period, ())
        if (
            ind.consolidation in ("sum", "average")
            and len(quarters) > 1
            and isinstance(ind.manual.realization, m.Reported)
        ):
            known = {q: score_indicator(prepared, ind, q, evidence=evidence).realization for q in quarters}
            done = {q: v for q, v in known.items() if v is not None}
            remaining = [q for q in quarters if q not in done]
            so_far = sum(done.values(), ZERO)
            if remaining:
                total_needed = need if ind.consolidation == "sum" else need * len(quarters)
                per = (total_needed - so_far) / len(remaining)
                out["remaining"] = {
                    "periods": remaining,
                    "so_far": so_far,
                    "required_per_period": per,
                    "required_total": total_needed - so_far,
                }
        elif ind.consolidation == "take_last_known_value":
            out["remaining"] = {
                "note": "take last known value: the realisation reported at the end of the "
                "window must reach the required value"
            }
    return out


def stabilize_ca(realization: Decimal, target: Decimal, scale: list[tuple[Decimal, Decimal]] | None) -> Decimal:
    """Ca of the stabilize polarity and its conversion (exposed for tests)."""
    with localcontext(CONTEXT):
        ca = realization / target * HUNDRED
        if realization > target:
            ca = 2 * HUNDRED - ca
        return interpolate(scale, ca) if scale else ca


def plain(value: Any) -> Any:
    """Decimals → JSON numbers (full precision as far as a float carries), recursively."""
    if isinstance(value, Decimal):
        v = normal(value)
        return int(v) if v is not None and v == v.to_integral_value() and abs(v) < 2**53 else float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
