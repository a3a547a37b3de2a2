"""The engine on the LAKIN 2024 reference data (in-memory bundles, no services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.scoring.engine.analysis import explain_indicator, plain, report_check, what_it_takes
from services.scoring.engine.manual import ManualError, parse_manual
from services.scoring.engine.numbers import display
from services.scoring.engine.scorecard import BundleError, Prepared, prepare, score
from services.scoring.service.present import scorecard_json
from tests.scoring.reference import CLEARANCE_TIME_BY_PERIOD, kalbagtim_bundle, printed_values, reference


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(kalbagtim_bundle())


def test_nko_perspectives_and_objectives_of_the_year(prepared: Prepared) -> None:
    card = score(prepared, "Y")
    assert display(card.nko, 4) == "118.2973"
    assert display(card.nko) == "118.30"
    assert card.predicate == "Istimewa"
    assert [display(p.index) for p in card.perspectives] == ["116.54", "117.55", "119.79", "119.50"]
    expected = reference()["expected_rollup"]["objectives"]
    assert {o.objective.code: display(o.index) for o in card.objectives} == {k: f"{v:.2f}" for k, v in expected.items()}
    assert not card.partial and not card.notes


def test_every_iku_index_of_the_reference(prepared: Prepared) -> None:
    card = score(prepared, "Y")
    got = {s.indicator.code: display(s.achievement.index) for s in card.indicators}
    want = {i["code"]: f"{i['printed_index']:.2f}" for i in reference()["indicators"]}
    assert got == want
    assert got["9a-N"] == "118.34"  # R/T, not the 120 of the IKU table


@pytest.mark.parametrize(
    ("code", "realization"),
    [
        ("2a-CP", "109.63"),
        ("5a-CP", "96.69"),
        ("6b-N", "3.80"),
        ("10a-N", "95.59"),
        ("10b-N", "99.38"),
        ("11a-N", "120.00"),
        ("1a-N", "0.40"),
    ],
)
def test_component_manuals_recompute_the_realisation(prepared: Prepared, code: str, realization: str) -> None:
    s = score(prepared, "Y").iku(code)
    assert s is not None and display(s.realization) == realization


def test_component_realisations_come_from_parts_not_the_reported_figure() -> None:
    bundle = kalbagtim_bundle()
    for ind in bundle["indicators"]:
        if ind["code"] in ("1a-N", "2a-CP", "5a-CP", "6b-N", "10a-N", "10b-N", "11a-N"):
            ind["measures"]["Y"]["realization"] = 1  # a wrong reported figure must not matter
    card = score(prepare(bundle), "Y")
    assert display(card.nko, 4) == "118.2973"
    s = card.iku("2a-CP")
    assert s is not None and display(s.realization, 20) == "109.62543651590529115673"


@pytest.mark.parametrize(("period", "value"), CLEARANCE_TIME_BY_PERIOD.items())
def test_clearance_time_windows_are_ratios_of_sums(prepared: Prepared, period: str, value: str) -> None:
    s = score(prepared, period).iku("1a-N")
    assert s is not None and display(s.realization, 4) == value
    assert s.achievement.index == 120


def test_clearance_time_year_is_not_the_mean_of_months() -> None:
    monthly = reference()["clearance_time_monthly"]
    mean = sum(Decimal(str(r[-1])) for r in monthly["rows"]) / 12
    assert display(mean, 4) == "0.4074"
    bundle = kalbagtim_bundle()
    ind = next(i for i in bundle["indicators"] if i["code"] == "1a-N")
    del ind["measures"]["Y"]  # no reported year figure: the parts decide
    s = score(prepare(bundle), "Y").iku("1a-N")
    assert s is not None and display(s.realization, 4) == "0.3969"


def test_missing_realisation_is_grey_and_excluded_not_zero() -> None:
    bundle = kalbagtim_bundle()
    card = score(prepare(bundle), "Q1")
    s = card.iku("4a-N")  # no Q1 target or realisation
    assert s is not None and s.achievement.index is None and s.achievement.status == "grey"
    ss4 = next(o for o in card.objectives if o.objective.code == "SS-4")
    assert ss4.index is None and ss4.excluded == ["4a-N"]
    assert any("4a-N" in n and "excluded" in n for n in card.notes)
    customer = next(p for p in card.perspectives if p.code == "customer")
    assert customer.index == next(o for o in card.objectives if o.objective.code == "SS-5").index


def test_partial_says_when_any_ss_or_iku_is_left_out() -> None:
    """Q1 2024: several SS have no index (4a-N has no Q1 target...), yet every perspective has one."""
    q1 = score(prepare(kalbagtim_bundle()), "Q1")
    assert all(p.index is not None for p in q1.perspectives)
    assert "SS-4" in [o.objective.code for o in q1.objectives if o.index is None]
    assert q1.partial
    assert scorecard_json(q1)["partial"] is True
    assert score(prepare(kalbagtim_bundle()), "Y").partial is False  # nothing left out
    bundle = kalbagtim_bundle()  # one IKU without index, its SS still scored by the other
    ind = next(i for i in bundle["indicators"] if i["code"] == "10b-N")
    # a stated "-" (no value): deleting Y would derive it from Q4 (take last known value, ADR 0004 §8)
    ind["targets"]["Y"]["value"] = None
    card = score(prepare(bundle), "Y")
    assert next(o for o in card.objectives if o.objective.code == "SS-10").excluded == ["10b-N"]
    assert card.partial


def test_target_zero_is_not_computable_unless_the_manual_says() -> None:
    bundle = kalbagtim_bundle()
    ind = next(i for i in bundle["indicators"] if i["code"] == "7a-N")
    ind["targets"]["Y"]["value"] = 0
    s = score(prepare(bundle), "Y").iku("7a-N")
    assert s is not None and s.achievement.index is None and "target is 0" in (s.achievement.reason or "")
    ind["manual"]["document"]["target_zero"] = {"met": 120, "missed": 0}
    s = score(prepare(bundle), "Y").iku("7a-N")
    assert s is not None and s.achievement.index == 120


def test_stabilize_with_a_conversion_scale() -> None:
    bundle = kalbagtim_bundle()
    bundle["rule_set"]["document"]["polarity"]["stabilize"] = {"formula": "stabilize"}
    ind = next(i for i in bundle["indicators"] if i["code"] == "7a-N")
    ind["polarity"] = "stabilize"
    ind["manual"]["document"]["stabilize_scale"] = [[0, 0], [90, 100], [100, 120]]
    ind["targets"]["Y"]["value"] = 100
    cases = {"100": "120.00", "90": "100.00", "95": "110.00", "45": "50.00", "110": "100.00", "0": "0.00"}
    for r, want in cases.items():
        ind["measures"]["Y"] = {"realization": r}
        s = score(prepare(bundle), "Y").iku("7a-N")
        assert s is not None and display(s.achievement.index) == want, r


def test_explain_lists_inputs_formula_target_document_and_rule_set(prepared: Prepared) -> None:
    card = score(prepared, "Y", trace=True)
    s = card.iku("5a-CP")
    assert s is not None
    e = plain(explain_indicator(card, s))
    assert e["inputs"]["Y"] == {
        "red_lane_compliant": 347,
        "red_lane_importers": 350,
        "npd_compliant": 5,
        "npd_importers": 10,
    }
    assert e["target"] == {"value": 84, "document": "PK-29/BC/2024", "version": 1}
    assert e["rule_set"] == {"code": "KMK-300-2022", "version": 1}
    assert e["formula"] == "R / T × 100"
    assert e["realization"] == 96.69 and abs(e["realization_unrounded"] - 96.685714) < 1e-6
    assert {st["note"].split(":")[0] for st in e["manual"]["steps"] if st["op"] == "component"} == {"red_lane", "npd"}
    assert e["roll_up"]["objective"] == "SS-5" and e["roll_up"]["perspective"] == "customer"


def test_report_check_finds_the_misprints(prepared: Prepared) -> None:
    result = report_check(prepared, printed_values())
    found = {(d["where"], str(d["printed"]), d.get("recomputed_display")) for d in result["differences"]}
    assert ("perspective internal_process", "119.97", "119.79") in found
    assert ("indicator 9a-N Y index", "120", "118.34") in found
    assert ("indicator 5a-CP Q1 index", "112.57", "111.23") in found
    assert ("indicator 7a-N Q1 index", "100", "108.89") in found
    assert ("indicator 6b-N Q2 index", "120", "110.00") in found
    assert ("indicator 10b-N Y realization", "95.59", "99.38") in found  # Table 3.77's Y column
    assert not any(d["where"] in ("nko", "predicate") for d in result["differences"])
    assert not any(d["where"].startswith("objective") for d in result["differences"])


def test_report_check_of_consistent_values_is_clean(prepared: Prepared) -> None:
    result = report_check(prepared, {"nko": 118.30, "perspectives": {"internal_process": 119.79}})
    assert result["consistent"] is True


@pytest.mark.parametrize(
    ("code", "target_index", "direction", "required"),
    [
        ("2a-CP", 100, "at_least", "100.00"),
        ("2a-CP", 120, "at_least", "120.00"),
        ("9a-N", 120, "at_least", "101.40"),
        ("1a-N", 100, "at_most", "0.75"),
        ("1a-N", 120, "at_most", "0.60"),
    ],
)
def test_what_it_takes(prepared: Prepared, code: str, target_index: int, direction: str, required: str) -> None:
    r = what_it_takes(prepared, code, "Y", Decimal(target_index))
    assert r["reachable"] and r["direction"] == direction
    assert display(r["required_realization"]) == required


def test_what_it_takes_beyond_the_cap_is_unreachable(prepared: Prepared) -> None:
    r = what_it_takes(prepared, "2a-CP", "Y", Decimal(121))
    assert r["reachable"] is False and "clamped" in r["reason"]


def test_what_it_takes_for_a_sum_iku_splits_over_the_remaining_quarters() -> None:
    bundle = kalbagtim_bundle()
    ind = next(i for i in bundle["indicators"] if i["code"] == "7a-N")
    ind["consolidation"] = "sum"
    ind["manual"] = None
    ind["measures"] = {"Q1": {"realization": 20}, "Q2": {"realization": 25}}
    ind["targets"]["Y"]["value"] = 100
    r = what_it_takes(prepare(bundle), "7a-N", "Y", Decimal(100))
    # Q3 and Q4 have targets but no realisation: the year is "no data yet", not the 45 so far (issue 9)
    assert r["current_realization"] is None and r["remaining"]["so_far"] == 45
    assert r["remaining"]["periods"] == ["Q3", "Q4"] and r["remaining"]["required_per_period"] == Decimal("27.5")


def _bad(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(ManualError) as info:
        parse_manual(document)
    return info.value.errors


def test_manual_errors_carry_json_paths() -> None:
    errors = _bad(
        {
            "realization": {
                "op": "ratio",
                "numerator": {"op": "part", "name": "a"},
                "denominator": {"op": "eval", "code": "__import__('os')"},
            }
        }
    )
    assert errors[0][0] == "realization.denominator" and "unknown op 'eval'" in errors[0][1]
    errors = _bad(
        {
            "realization": {
                "op": "weighted",
                "components": [
                    {"name": "a", "weight": 0.5, "value": {"op": "part", "name": "x"}},
                    {"name": "b", "weight": -1, "value": {"op": "part", "name": "y"}},
                ],
            }
        }
    )
    assert errors[0][0] == "realization.components[1].weight"
    errors = _bad({"realization": {"op": "score_documents", "input": "lpt", "table": "missing"}})
    assert errors == [("realization.table", "unknown table 'missing' (define it under tables)")]
    errors = _bad({"realization": {"op": "convert", "value": {"op": "reported"}, "points": [[0, 0], [0, 1]]}})
    assert errors[0][0] == "realization.points"
    assert _bad([1, 2])[0][0] == "$"


def test_a_broken_stored_manual_is_reported_with_its_path() -> None:
    bundle = kalbagtim_bundle()
    bundle["indicators"][3]["manual"]["document"] = {"realization": {"op": "sum", "args": []}}
    with pytest.raises(BundleError) as info:
        prepare(bundle)
    assert info.value.errors[0][0] == "indicators[3].manual.document.realization.args"


def test_evidence_inputs_compute_3a_cp_with_component_i_not_applicable() -> None:
    bundle = kalbagtim_bundle()
    ind = next(i for i in bundle["indicators"] if i["code"] == "3a-CP")
    ind["measures"]["Y"].update({"lpt_plan": 4, "seized_goods_cluster_index": 5})
    ind2 = prepare(bundle).indicator("3a-CP")
    assert ind2 is not None and ind2.uses_evidence
    evidence = {
        "lpt": {
            "count": 4,
            "items": [
                {"outcomes": {"ba_tegah_special": 1, "sbp": 2}},
                {"outcomes": {"ba_tegah": 1}},
                {"outcomes": {"sbp": 1}},
                {"outcomes": {}},
            ],
        },
        "ba_tegah": {
            "count": 2,
            "items": [{"follow_ups": [{"type": "p21"}, {"type": "bdn_decision"}]}, {"follow_ups": []}],
        },
    }
    from services.scoring.engine.scorecard import realise

    value, _, _, _ = realise(ind2, "Y", evidence=evidence)
    # executions 4/4 → 15; effectiveness (1.2+1+0.25+0)/4 → 61.25 % × 0.30 = 18.375;
    # goods 5/5 → 20; follow-up (3 + 0)/2 = 150 % × 0.35 = 52.5 → cap 42. Component I N/A.
    assert value == Decimal("15") + Decimal("18.375") + Decimal("20") + Decimal("42")
