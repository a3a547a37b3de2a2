"""Issue 9: the rules other offices and KMK 127/2026 use, as rule-set or manual data (engine level).

Negative targets, target 0 with a worst realisation, window targets derived from quarterly
targets, incomplete sum/average windows, Konversi 120 against the agreement's target, the
KMK-127-2026 rule set of data migration 0004, one model for rule-set validation, and the report
check telling rounding from contradictions.
"""

from __future__ import annotations

import copy
import importlib.util
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.engine.analysis import explain_indicator, plain, report_check, what_it_takes
from services.scoring.engine.manual import ManualError, parse_manual
from services.scoring.engine.numbers import display
from services.scoring.engine.rules import RuleSet, RuleSetError, achievement, parse_rule_set, validate_rule_set
from services.scoring.engine.scorecard import prepare, score
from tests.scoring.reference import RULE_SET, kalbagtim_bundle, printed_values

MIGRATION = Path(__file__).resolve().parents[2] / "migrations/registry/versions/0004_rule_set_kmk_127_2026.py"


@cache
def _migration_0004() -> Any:
    spec = importlib.util.spec_from_file_location("migration_0004", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kmk_127() -> dict[str, Any]:
    """The rule set exactly as data migration 0004 ships it (a fresh copy: tests change it)."""
    return copy.deepcopy(_migration_0004().KMK_127_2026)  # type: ignore[no-any-return]


def rules_127() -> RuleSet:
    doc = kmk_127()
    return parse_rule_set(doc["code"], doc["version"], doc)


RULES_300 = parse_rule_set("KMK-300-2022", 1, RULE_SET)


def _index(rules: RuleSet, polarity: str, r: str | Decimal, t: str | Decimal, manual: Any = None) -> Decimal | None:
    return achievement(rules=rules, polarity=polarity, realization=Decimal(r), target=Decimal(t), manual=manual).index


def one_iku_bundle(
    *,
    polarity: str = "max",
    consolidation: str = "take_last_known_value",
    targets: dict[str, Any],
    measures: dict[str, dict[str, Any]],
    manual: dict[str, Any] | None = None,
    rule_set: dict[str, Any] | None = None,
) -> dict[str, Any]:
    doc = rule_set or copy.deepcopy(RULE_SET)
    return {
        "satker": {"code": "KBC.9901", "path": ["KBC.9901"]},
        "agreement": {"number": "PK-T/2026", "year": 2026},
        "rule_set": {"code": doc.get("code", "KMK-300-2022"), "version": doc.get("version", 1), "document": doc},
        "objectives": [{"code": "SS-1", "perspective": "stakeholder", "weight": 1}],
        "indicators": [
            {
                "code": "1x-N",
                "name": "1x-N",
                "objective": "SS-1",
                "polarity": polarity,
                "unit": None,
                "weight": 1,
                "region_aggregation": "own",
                "consolidation": consolidation,
                "manual": {"version": 1, "document": manual} if manual else None,
                "targets": {p: {"value": v, "document": "PK-T/2026", "version": 1} for p, v in targets.items()},
                "measures": measures,
            }
        ],
    }


def _score(bundle: dict[str, Any], period: str) -> Any:
    s = score(prepare(bundle), period, trace=True).iku("1x-N")
    assert s is not None
    return s


# ------------------------------------------------------------------------------ negative targets


def test_negative_target_of_a_max_iku_rewards_the_better_realisation() -> None:
    rules = rules_127()
    # target −10, maximize: −5 is better than −11 (before: −11 scored 110 green, −5 scored 50 red)
    assert _index(rules, "max", "-11", "-10") == Decimal(90)
    assert _index(rules, "max", "-5", "-10") == Decimal(120)  # (1 + (1 − 0.5)) × 100 = 150, clamped
    assert _index(rules, "max", "-10", "-10") == Decimal(100)


def test_negative_target_of_a_min_iku_is_the_mirror() -> None:
    rules = rules_127()
    assert _index(rules, "min", "-11", "-10") == Decimal(110)  # R / T × 100
    assert _index(rules, "min", "-5", "-10") == Decimal(50)


def test_a_rule_set_without_a_negative_target_formula_does_not_guess() -> None:
    a = achievement(rules=RULES_300, polarity="max", realization=Decimal(-11), target=Decimal(-10), manual=None)
    assert a.index is None and a.status == "grey"
    assert "negative" in (a.reason or "") and "KMK-300-2022" in (a.reason or "")


def _better(polarity: str, a: Decimal, b: Decimal, t: Decimal) -> bool:
    """Whether realisation ``a`` is strictly better than ``b`` for the polarity."""
    if polarity == "max":
        return a > b
    if polarity == "min":
        return a < b
    return abs(a - t) < abs(b - t)


nonzero = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2)
values = st.decimals(min_value=Decimal(-2000), max_value=Decimal(2000), places=2)


@given(
    t=nonzero,
    negative=st.booleans(),
    r1=values,
    r2=values,
    polarity=st.sampled_from(["max", "min", "stabilize"]),
)
def test_a_better_realisation_never_gets_a_lower_index(
    t: Decimal, negative: bool, r1: Decimal, r2: Decimal, polarity: str
) -> None:
    rules = rules_127()
    target = -t if negative else t
    i1, i2 = _index(rules, polarity, r1, target), _index(rules, polarity, r2, target)
    assert i1 is not None and i2 is not None
    if _better(polarity, r1, r2, target):
        assert i1 >= i2, (polarity, target, r1, r2, i1, i2)


# -------------------------------------------------------------------------------------- target 0


def test_target_zero_of_a_min_iku_with_a_worst_realisation() -> None:
    manual = {"realization": {"op": "reported"}, "target_zero": {"worst": {"op": "const", "value": 10}}}
    for r, want in {"2": "80.00", "0": "100.00", "12": "0.00", "-1": "110.00", "-10": "120.00"}.items():
        s = _score(
            one_iku_bundle(polarity="min", targets={"Y": 0}, measures={"Y": {"realization": r}}, manual=manual), "Y"
        )
        assert display(s.achievement.index) == want, r
    assert "worst" in (s.achievement.formula or "")


def test_the_worst_realisation_can_come_from_the_agreement_measures() -> None:
    manual = {"realization": {"op": "reported"}, "target_zero": {"worst": {"op": "part", "name": "baseline"}}}
    s = _score(
        one_iku_bundle(
            polarity="min", targets={"Y": 0}, measures={"Y": {"realization": 2, "baseline": 8}}, manual=manual
        ),
        "Y",
    )
    assert s.achievement.index == Decimal(75)
    s = _score(
        one_iku_bundle(
            polarity="min", targets={"Y": 0}, measures={"Y": {"realization": 2, "baseline": -8}}, manual=manual
        ),
        "Y",
    )
    assert s.achievement.index is None and "must be above 0" in (s.achievement.reason or "")


def test_a_negative_worst_value_in_a_manual_is_refused_with_its_path() -> None:
    with pytest.raises(ManualError) as info:
        parse_manual({"realization": {"op": "reported"}, "target_zero": {"worst": {"op": "const", "value": -5}}})
    assert info.value.errors[0][0] == "target_zero.worst.value"
    with pytest.raises(ManualError) as info:
        parse_manual({"realization": {"op": "reported"}, "target_zero": {}})
    assert info.value.errors[0][0] == "target_zero"


def test_target_zero_without_a_worst_value_is_not_computable_with_the_reason() -> None:
    s = _score(one_iku_bundle(polarity="min", targets={"Y": 0}, measures={"Y": {"realization": 2}}), "Y")
    assert s.achievement.index is None and "worst" in (s.achievement.reason or "")
    manual = {"realization": {"op": "reported"}, "target_zero": {"worst": {"op": "const", "value": 10}}}
    s = _score(one_iku_bundle(polarity="max", targets={"Y": 0}, measures={"Y": {"realization": 2}}, manual=manual), "Y")
    assert s.achievement.index is None and "target is 0" in (s.achievement.reason or "")


# ------------------------------------------------------------------- window targets from quarters


@pytest.mark.parametrize(
    ("consolidation", "window", "target", "note"),
    [
        ("sum", "S1", "30", "derived from Q1 + Q2"),
        ("sum", "Y", "100", "derived from Q1 + Q2 + Q3 + Q4"),
        ("average", "TQ3", "20", "derived from the mean of Q1, Q2, Q3"),
        ("take_last_known_value", "Y", "40", "derived from Q4 (take last known value)"),
    ],
)
def test_window_targets_are_derived_from_the_quarters(consolidation: str, window: str, target: str, note: str) -> None:
    bundle = one_iku_bundle(
        consolidation=consolidation,
        targets={"Q1": 10, "Q2": 20, "Q3": 30, "Q4": 40},
        measures={q: {"realization": v} for q, v in {"Q1": 10, "Q2": 20, "Q3": 30, "Q4": 40}.items()},
    )
    card = score(prepare(bundle), window, trace=True)
    s = card.iku("1x-N")
    assert s is not None and s.target is not None
    assert s.target.value == Decimal(target) and s.target.derived_from
    assert s.achievement.index == Decimal(100)
    assert plain(explain_indicator(card, s))["target_derivation"] == note


def test_a_target_stated_for_the_window_wins_over_the_quarters() -> None:
    bundle = one_iku_bundle(
        consolidation="sum",
        targets={"Q1": 10, "Q2": 20, "S1": 60},  # contradicts 10 + 20: simply the stated one
        measures={"Q1": {"realization": 10}, "Q2": {"realization": 20}},
    )
    s = _score(bundle, "S1")
    assert s.target.value == Decimal(60) and s.target.derived_from is None
    assert s.achievement.index == Decimal(50)
    bundle["indicators"][0]["targets"]["Y"] = {"value": None}  # "-" stated for the year: no target
    assert _score(bundle, "Y").target.value is None


# -------------------------------------------------------------------------- incomplete windows


@pytest.mark.parametrize("consolidation", ["sum", "average"])
def test_a_quarter_with_a_target_but_no_realisation_makes_the_window_no_data_yet(consolidation: str) -> None:
    bundle = one_iku_bundle(
        consolidation=consolidation,
        targets={"Q1": 10, "Q2": 10, "Q3": 10, "Q4": 10},
        measures={"Q1": {"realization": 10}, "Q3": {"realization": 10}},
    )
    s = _score(bundle, "Y")
    assert s.realization is None and s.achievement.index is None and s.achievement.status == "grey"
    assert "no data yet" in (s.achievement.reason or "") and "Q2, Q4" in (s.achievement.reason or "")
    assert _score(bundle, "Q1").achievement.index == Decimal(100)


def test_quarters_without_a_target_do_not_count() -> None:
    bundle = one_iku_bundle(
        consolidation="sum",
        targets={"Q1": None, "Q2": 10, "Q3": 10, "Q4": 10},  # Q1 "-": neither missing nor summed
        measures={
            "Q1": {"realization": 99},
            "Q2": {"realization": 10},
            "Q3": {"realization": 10},
            "Q4": {"realization": 10},
        },
    )
    s = _score(bundle, "Y")
    assert s.target.value == Decimal(30) and s.realization == Decimal(30) and s.achievement.index == Decimal(100)


def test_take_last_known_value_keeps_the_last_known_value() -> None:
    bundle = one_iku_bundle(
        targets={"Q1": 10, "Q2": 10, "Q3": 10, "Q4": 10, "Y": 10},
        measures={"Q1": {"realization": 8}, "Q2": {"realization": 9}},
    )
    s = _score(bundle, "Y")
    assert s.realization == Decimal(9) and s.achievement.index == Decimal(90)


# ---------------------------------------------------------------- Konversi 120 against the target


def test_konversi_120_against_the_agreements_target() -> None:
    manual = {
        "realization": {"op": "konversi_120", "value": {"op": "part", "name": "v"}, "threshold": {"op": "target"}}
    }
    met = _score(one_iku_bundle(targets={"Y": 90}, measures={"Y": {"v": 92}}, manual=manual), "Y")
    assert met.realization == Decimal(120)
    missed = _score(one_iku_bundle(targets={"Y": 95}, measures={"Y": {"v": 92}}, manual=manual), "Y")
    assert display(missed.realization) == "96.84"  # 92 / 95 × 100
    assert any(st.op == "target" and st.value == Decimal(95) for st in missed.trace or [])


def test_the_shipped_11a_n_manual_reads_the_agreements_target() -> None:
    bundle = kalbagtim_bundle()
    ind = next(i for i in bundle["indicators"] if i["code"] == "11a-N")
    assert {"op": "target"} in ind["manual"]["document"]["realization"]["args"][0]["threshold"]["args"]
    assert display(score(prepare(bundle), "Y").nko, 4) == "118.2973"
    ind["targets"]["Y"]["value"] = 90  # the maximal target follows the agreement's target (capped at 95)
    s = score(prepare(bundle), "Y", trace=True).iku("11a-N")
    assert s is not None
    thresholds = {st.path: st.value for st in s.trace or [] if st.path.endswith(".threshold")}
    assert thresholds == {"realization.args[0].threshold": Decimal(90)}


# -------------------------------------------------------------------------------- KMK 127/2026


@pytest.mark.parametrize(
    ("nko", "predicate"),
    [
        ("118.2973", "Sangat Baik"),
        ("110", "Sangat Baik"),
        ("109.99", "Baik"),
        ("100", "Baik"),
        ("95", "Cukup"),
        ("80", "Kurang"),
        ("79.99", "Buruk"),
    ],
)
def test_kmk_127_predicates(nko: str, predicate: str) -> None:
    assert rules_127().predicate(Decimal(nko)) == predicate


def test_an_agreement_on_kmk_127_scores_with_its_predicates_and_names_it() -> None:
    bundle = kalbagtim_bundle()
    doc = kmk_127()
    bundle["rule_set"] = {"code": doc["code"], "version": doc["version"], "document": doc}
    card = score(prepare(bundle), "Y")
    assert display(card.nko, 4) == "118.2973" and card.predicate == "Sangat Baik"
    assert (card.prepared.rules.code, card.prepared.rules.version) == ("KMK-127-2026", 1)


# ----------------------------------------------------------------------- one rule-set validator


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["polarity"]["max"].update(formula="ratoi"), "polarity.max.formula"),
        (
            lambda d: d["polarity"]["min"].update(negative_target={"formula": "ratoi"}),
            "polarity.min.negative_target.formula",
        ),
        (lambda d: d["polarity"]["max"].update(negativ_target={"formula": "ratio"}), "polarity.max.negativ_target"),
        (lambda d: d["perspectives"][1].pop("weight"), "perspectives[1].weight"),
    ],
)
def test_the_engine_model_refuses_a_rule_set_it_could_not_score(change: Any, field: str) -> None:
    doc = kmk_127()
    change(doc)
    with pytest.raises(RuleSetError) as info:
        validate_rule_set(doc)
    assert field in {p for p, _ in info.value.errors}
    if "ratoi" in str(doc):
        assert "unknown formula 'ratoi'" in info.value.errors[0][1]


def test_the_shipped_rule_sets_are_valid() -> None:
    assert validate_rule_set(kmk_127()).code == "KMK-127-2026"
    assert validate_rule_set(RULE_SET | {"code": "KMK-300-2022", "version": 1}).version == 1


# ------------------------------------------------------------------------------ what it takes


def test_what_it_takes_with_a_negative_target() -> None:
    bundle = one_iku_bundle(targets={"Y": -10}, measures={"Y": {"realization": -12}}, rule_set=kmk_127())
    r = what_it_takes(prepare(bundle), "1x-N", "Y", Decimal(100))
    assert r["reachable"] and r["direction"] == "at_least" and r["required_realization"] == Decimal(-10)


# ------------------------------------------------------------------------------- report check


def test_report_check_lists_rounding_apart_from_contradictions() -> None:
    prepared = prepare(kalbagtim_bundle())
    result = report_check(prepared, printed_values())
    contradictions = {d["where"] for d in result["differences"]}
    rounding = {d["where"]: d["rounding"] for d in result["rounding"]}
    assert "perspective internal_process" in contradictions and "indicator 9a-N Y index" in contradictions
    assert rounding["nko"] == "rounded"  # 118.30 printed for 118.2973
    assert not contradictions & set(rounding)
    # 2a-CP Y is 109.6254...: 109.62 is the figure truncated, 109.63 rounded, 109.61 a contradiction
    for printed, kind in (("109.62", "truncated"), ("109.63", "rounded")):
        r = report_check(prepared, {"indicators": {"2a-CP": {"Y": {"realization": printed}}}})
        assert r["consistent"] is True and [d["rounding"] for d in r["rounding"]] == [kind], printed
    r = report_check(prepared, {"indicators": {"2a-CP": {"Y": {"realization": "109.61"}}}})
    assert r["consistent"] is False and r["differences"][0]["where"] == "indicator 2a-CP Y realization"
