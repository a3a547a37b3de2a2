"""The scorecard's fast path must compute exactly what the traced (explain) path computes.

Scoring runs value-only closures (``Manual.compiled``), the explain output the traced ones
(``Manual.traced``); evidence facts are memoised per evaluation and item filters are compiled
to shortcut predicates (ADR 0004, speed). Every number, status, reason and note must be the
same Decimal — same value AND same representation — on both paths.
"""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from decimal import Decimal as D
from typing import Any

import pytest

from services.scoring.engine import manual as m
from services.scoring.engine.evaluate import _condition, _holds
from services.scoring.engine.scorecard import Scorecard, prepare, score
from tests.scoring.reference import kalbagtim_bundle

PERIODS = ("Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y")


def _evidence(rnd: random.Random) -> dict[str, Any]:
    lpt = [
        {
            "activity": rnd.choice(("patrol", "operation")),
            "outcomes": {o: rnd.randint(0, 2) for o in ("ba_tegah_special", "ba_tegah", "sbp")},
        }
        for _ in range(rnd.randint(0, 12))
    ]
    ba = [
        {"follow_ups": [{"type": rnd.choice(("p21", "sptp", "stck_1", "unknown"))} for _ in range(rnd.randint(0, 3))]}
        for _ in range(rnd.randint(0, 5))
    ]
    sea = [
        {
            "ship_class": rnd.choice(("I", "IV", "V", "VI", "X")),
            "patrol_days": rnd.choice((1, 4, 13, 14, 20, 3.5, "14", True, None)),
            "inspections": rnd.randint(0, 4),
            "seizures": rnd.choice((0, 1, 2, False)),
            "targeted_seizures": rnd.randint(0, 1),
        }
        for _ in range(rnd.randint(0, 8))
    ]
    return {
        "lpt": {
            "count": len(lpt),
            "by_activity": {a: sum(1 for i in lpt if i["activity"] == a) for a in ("patrol", "operation")},
            "items": lpt,
        },
        "ba_tegah": {"count": len(ba), "items": ba},
        "sea_patrols": {"count": len(sea), "items": sea},
    }


def _flatten(card: Scorecard) -> list[tuple[str, str]]:
    out = [("nko", repr(card.nko)), ("predicate", repr(card.predicate)), ("partial", repr(card.partial))]
    out += [("notes", repr(card.notes))]
    out += [(f"perspective {p.code}", repr((p.index, p.objectives))) for p in card.perspectives]
    out += [(f"objective {o.objective.code}", repr((o.index, o.included, o.excluded))) for o in card.objectives]
    for s in card.indicators:
        a = s.achievement
        out.append(
            (
                s.indicator.code,
                repr((s.realization, s.unrounded_realization, s.target, a.index, a.raw, a.status, a.formula, a.reason)),
            )
        )
    return out


def _bundles() -> list[dict[str, Any]]:
    base = kalbagtim_bundle()
    rnd = random.Random(9)
    out = [base]
    for _ in range(6):  # the reference with parts and targets knocked out or zeroed at random
        b = copy.deepcopy(base)
        for ind in b["indicators"]:
            for parts in (ind.get("measures") or {}).values():
                for k in list(parts):
                    if rnd.random() < 0.2:
                        del parts[k]
            for t in (ind.get("targets") or {}).values():
                if t is not None and rnd.random() < 0.1:
                    t["value"] = rnd.choice((0, None, 1))
            if ind["code"] in ("3a-CP", "8a-N", "8b-N"):
                ind.setdefault("measures", {}).setdefault("Y", {}).update(
                    {"lpt_plan": 10, "patrol_plan": 8, "operation_plan": 4, "sea_patrol_plan": 5}
                )
        out.append(b)
    return out


@pytest.mark.parametrize("case", range(7))
def test_fast_scorecard_equals_the_traced_one(case: int) -> None:
    bundle = _bundles()[case]
    prepared = prepare(bundle)
    rnd = random.Random(case)
    for period in PERIODS:
        evidence = {code: _evidence(rnd) for code in ("3a-CP", "8a-N", "8b-N")} if case % 2 else None
        fast = score(prepared, period, evidence=evidence)
        traced = score(prepared, period, evidence=evidence, trace=True)
        assert _flatten(fast) == _flatten(traced), period


ITEMS: list[dict[str, Any]] = [
    {"f": v}
    for v in (0, 1, 3, 4, 14, 15, -2, 13.9, 14.0, 14.5, "14", "x", "", True, False, None, [1], {"a": 1}, Decimal("14"))
] + [{}]
CONDITIONS = [
    {"field": "f", "at_least": 14},
    {"field": "f", "at_least": "13.5"},
    {"field": "f", "at_least": -1},
    {"field": "f", "at_least": "1E+30"},
    {"field": "f", "equals": 1},
    {"field": "f", "equals": "x"},
    {"field": "f", "equals": True},
    {"field": "f", "in": ["x", 14, "14"]},
    {"field": "f", "in": [1, 3]},
]


@pytest.mark.parametrize("raw", CONDITIONS, ids=lambda c: repr(c))
def test_compiled_conditions_are_the_generic_test(raw: dict[str, Any]) -> None:
    c = m.Condition.model_validate(raw)
    fast = _condition(c)
    for item in ITEMS:
        assert fast(item) == _holds(item, c), item


def _general_best(table: dict[str, Decimal], raw: dict[str, Any]) -> Decimal:
    """The definition: the highest score of the codes with a count (unknown 0; none: table['none']),
    the first of equal scores as ``max()`` keeps."""
    present = [str(k) for k, v in raw.items() if v]
    return max([table.get(c, Decimal(0)) for c in present], default=table.get("none", Decimal(0)))


@pytest.mark.parametrize(
    ("table", "shortcut"),
    [
        ({"ba_tegah_special": D("1.2"), "ba_tegah": D("1.0"), "sbp": D("0.75"), "none": D("0.5")}, True),
        ({"ba_tegah_special": D("1.2"), "ba_tegah": D("1"), "sbp": D("0.25"), "none": D("0")}, True),
        ({"a": D("1.0"), "b": D("1"), "none": D("0.5")}, False),  # a tie spelt two ways: general walk
        ({"a": D("2"), "b": D("-1"), "none": D("0")}, False),  # a negative score: general walk
        ({"a": D("0.0"), "b": D("3")}, False),  # 0.0 ties with an unknown code's 0: general walk
    ],
)
def test_the_priority_order_gives_the_general_best_score(table: dict[str, Decimal], shortcut: bool) -> None:
    """``score_documents`` over counts per code: the priority-order shortcut (ADR 0004 round 4) must
    give the same Decimal, spelt the same, as the general definition, for every table it accepts."""
    from services.scoring.engine.evaluate import Evaluator, _document_scores, _priority

    node = m.ScoreDocuments(op="score_documents", input="lpt", codes="outcomes", table="t")
    scores_of = _document_scores(node)
    rnd = random.Random(9)
    codes = [*table, "unknown", "other"]
    for _ in range(400):
        items = [{"outcomes": {c: rnd.choice((0, 0, 1, 2)) for c in rnd.sample(codes, rnd.randint(0, 4))}}]
        ev = Evaluator({}, evidence={"lpt": {"items": items}}, tables={"t": table})
        got = scores_of(ev)
        want = _general_best(table, items[0]["outcomes"])
        assert got is not None and len(got) == 1
        assert got[0] == want and str(got[0]) == str(want), (items, got, want)
    assert (_priority(table) is not None) == shortcut  # both ways are exercised above
