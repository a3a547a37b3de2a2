"""Properties of the formula engine (hypothesis)."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.engine.evaluate import Evaluator
from services.scoring.engine.manual import parse_manual
from services.scoring.engine.numbers import CONTEXT
from services.scoring.engine.rules import RuleSet, achievement, parse_rule_set
from tests.scoring.reference import RULE_SET

RULES: RuleSet = parse_rule_set("KMK-300-2022", 1, RULE_SET)
positive = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100000"), places=4)
non_negative = st.decimals(min_value=Decimal(0), max_value=Decimal("100000"), places=4)
settings.register_profile("kinerja", max_examples=200, deadline=None)
settings.load_profile("kinerja")


def _index(polarity: str, r: Decimal, t: Decimal) -> Decimal | None:
    return achievement(rules=RULES, polarity=polarity, realization=r, target=t, manual=None).index


@given(r=non_negative, t=positive, polarity=st.sampled_from(["max", "min"]))
def test_index_is_clamped(r: Decimal, t: Decimal, polarity: str) -> None:
    i = _index(polarity, r, t)
    assert i is not None and Decimal(0) <= i <= Decimal(120)


@given(r=non_negative, t=positive)
def test_max_and_min_mirror_around_100(r: Decimal, t: Decimal) -> None:
    hi = achievement(rules=RULES, polarity="max", realization=r, target=t, manual=None).raw
    lo = achievement(rules=RULES, polarity="min", realization=r, target=t, manual=None).raw
    assert hi is not None and lo is not None and hi + lo == 200


@given(r1=non_negative, r2=non_negative, t=positive)
def test_index_is_monotone_in_the_realisation(r1: Decimal, r2: Decimal, t: Decimal) -> None:
    lo, hi = sorted((r1, r2))
    assert _index("max", lo, t) <= _index("max", hi, t)  # type: ignore[operator]
    assert _index("min", lo, t) >= _index("min", hi, t)  # type: ignore[operator]


@given(
    weights=st.lists(st.integers(min_value=1, max_value=100), min_size=2, max_size=6),
    values=st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=150)), min_size=6, max_size=6),
)
def test_not_applicable_components_drop_out_and_weights_renormalise(
    weights: list[int], values: list[int | None]
) -> None:
    comps = [{"name": f"c{i}", "weight": w, "value": {"op": "part", "name": f"p{i}"}} for i, w in enumerate(weights)]
    manual = parse_manual({"realization": {"op": "weighted", "components": comps}})
    parts = {f"p{i}": Decimal(v) for i, v in enumerate(values[: len(weights)]) if v is not None}
    got = Evaluator(measures={"Y": parts}).evaluate(manual.realization, "Y")
    applicable = [(Decimal(w), Decimal(v)) for w, v in zip(weights, values, strict=False) if v is not None]
    if not applicable:
        assert got is None
        return
    with localcontext(CONTEXT):
        w_app = sum(w for w, _ in applicable)
        expected = sum(w * v for w, v in applicable) * sum(Decimal(w) for w in weights) / w_app
    assert got is not None and abs(got - expected) < Decimal("1e-40")
    # all applicable components equal → the result is that value × the total weight, whatever drops out
    same = Evaluator(measures={"Y": dict.fromkeys(parts, Decimal(7))}).evaluate(manual.realization, "Y")
    assert same == 7 * sum(Decimal(w) for w in weights)


@given(
    caps=st.integers(min_value=1, max_value=50),
    weight=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1), places=2),
    value=st.integers(min_value=0, max_value=1000),
)
def test_component_contribution_never_exceeds_its_cap(caps: int, weight: Decimal, value: int) -> None:
    manual = parse_manual(
        {
            "realization": {
                "op": "weighted",
                "renormalise": False,
                "components": [{"name": "a", "weight": str(weight), "cap": caps, "value": {"op": "part", "name": "x"}}],
            }
        }
    )
    got = Evaluator(measures={"Y": {"x": Decimal(value)}}).evaluate(manual.realization, "Y")
    assert got == min(weight * value, Decimal(caps))


@given(st.lists(st.decimals(min_value=Decimal(0), max_value=Decimal(10**9), places=4), min_size=12, max_size=12))
def test_sum_parts_are_additive_over_windows(monthly: list[Decimal]) -> None:
    measures = {f"M{m:02d}": {"x": v} for m, v in enumerate(monthly, start=1)}
    ev = Evaluator(measures=measures)
    w = {p: ev.part("x", p) for p in ("Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y")}
    assert w["S1"] == w["Q1"] + w["Q2"]  # type: ignore[operator]
    assert w["TQ3"] == w["S1"] + w["Q3"]  # type: ignore[operator]
    assert w["Y"] == w["TQ3"] + w["Q4"] == sum(monthly)  # type: ignore[operator]


@given(
    num=st.lists(st.integers(min_value=0, max_value=10**6), min_size=12, max_size=12),
    den=st.lists(st.integers(min_value=1, max_value=10**6), min_size=12, max_size=12),
)
def test_ratio_iku_are_ratios_of_window_sums(num: list[int], den: list[int]) -> None:
    manual = parse_manual(
        {
            "realization": {
                "op": "ratio",
                "numerator": {"op": "part", "name": "n"},
                "denominator": {"op": "part", "name": "d"},
            }
        }
    )
    pairs = enumerate(zip(num, den, strict=True), 1)
    measures = {f"M{m:02d}": {"n": Decimal(a), "d": Decimal(b)} for m, (a, b) in pairs}
    got = Evaluator(measures=measures).evaluate(manual.realization, "S1")
    with localcontext(CONTEXT):
        expected = Decimal(sum(num[:6])) / Decimal(sum(den[:6]))
    assert got == expected
