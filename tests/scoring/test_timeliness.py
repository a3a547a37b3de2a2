"""Timeliness is measured, not typed in (issue 11, ADR 0024): ``{op: on_time_reports}`` reads the
bundle's ``cycle[Q].on_time`` (the registry's first submission of each quarter against the
calendar's deadline), e.g. 1b-N component D "timely quarterly reports / 4 × 5 %"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.scoring.engine.manual import ManualError, parse_manual
from services.scoring.engine.scorecard import prepare, realise, score
from tests.scoring.reference import kalbagtim_bundle


def _report(on_time: bool | None) -> dict[str, Any]:
    if on_time is None:
        return {"state": "not_started", "submitted_at": None, "due": None, "on_time": None}
    return {
        "state": "submitted",
        "submitted_at": "2024-04-05T10:00:00+00:00" if on_time else "2024-04-20T10:00:00+00:00",
        "due": "2024-04-07T23:59:59+08:00",
        "on_time": on_time,
    }


#: 1b-N's manual (seed, L959-1068) with component D measured from the cycle instead of a typed part
ONE_B = {
    "version": 1,
    "realization": {
        "op": "weighted",
        "renormalise": False,
        "components": [
            {
                "name": "preliminary_analysis",
                "weight": 0.05,
                "cap": 10,
                "value": {"op": "part", "name": "analysis_pct"},
            },  # noqa: E501
            {"name": "assistance", "weight": 0.10, "value": {"op": "part", "name": "assistance_pct"}},
            {"name": "on_target", "weight": 0.20, "value": {"op": "part", "name": "on_target_pct"}},
            {
                "name": "timely_reports",
                "weight": 0.05,
                "value": {
                    "op": "ratio",
                    "numerator": {"op": "on_time_reports"},
                    "denominator": {"op": "const", "value": 4},
                    "scale": 100,
                },
            },
        ],
    },
}
PARTS = {"analysis_pct": 10, "assistance_pct": 100, "on_target_pct": 50}


def _bundle(cycle: dict[str, Any], manual: dict[str, Any] | None = None) -> dict[str, Any]:
    bundle = kalbagtim_bundle()
    ind = next(i for i in bundle["indicators"] if i["code"] == "1b-N")
    ind["manual"] = {"version": 1, "document": manual or ONE_B}
    ind["measures"]["Y"] = dict(PARTS)
    bundle["cycle"] = cycle
    return bundle


def _value(bundle: dict[str, Any], period: str = "Y") -> Decimal | None:
    prepared = prepare(bundle)
    ind = prepared.indicator("1b-N")
    assert ind is not None
    card = score(prepared, period)
    traced = score(prepared, period, trace=True)
    plain, with_trace = card.iku("1b-N"), traced.iku("1b-N")
    assert plain is not None and with_trace is not None
    assert plain.realization == with_trace.realization  # the plain and the traced closures agree
    return plain.realization


def test_component_d_counts_the_quarters_submitted_on_time() -> None:
    cycle = {"Q1": _report(True), "Q2": _report(False), "Q3": _report(True), "Q4": _report(None)}
    # A 10 × 0.05 + B 100 × 0.10 + C 50 × 0.20 + D (2 / 4 × 100) × 0.05
    expected = Decimal("0.5") + Decimal("10") + Decimal("10") + Decimal("2.5")
    assert _value(_bundle(cycle)) == expected
    every = {q: _report(True) for q in ("Q1", "Q2", "Q3", "Q4")}
    assert _value(_bundle(every)) == expected + Decimal("2.5")


def test_no_report_submitted_is_no_value_not_zero() -> None:
    nothing = {q: _report(None) for q in ("Q1", "Q2", "Q3", "Q4")}
    # component D has no value and drops out (renormalise off): only A + B + C
    assert _value(_bundle(nothing)) == Decimal("20.5")
    assert _value(_bundle({})) == Decimal("20.5")  # a bundle without a cycle (an older registry)


def test_the_window_of_the_period_and_the_share() -> None:
    manual = {"version": 1, "realization": {"op": "on_time_reports", "reduce": "share"}}
    cycle = {"Q1": _report(True), "Q2": _report(False), "Q3": _report(None), "Q4": _report(None)}
    bundle = _bundle(cycle, manual)
    ind = prepare(bundle).indicator("1b-N")
    assert ind is not None
    assert realise(ind, "Q1", cycle=cycle)[0] == Decimal(1)
    assert realise(ind, "Q2", cycle=cycle)[0] == Decimal(0)
    assert realise(ind, "S1", cycle=cycle)[0] == Decimal("0.5")
    assert realise(ind, "Y", cycle=cycle)[0] == Decimal("0.25")
    assert realise(ind, "Q3", cycle=cycle)[0] is None  # Q3 not submitted: nothing to measure yet
    assert realise(ind, "Y")[0] is None  # no cycle handed in


def test_the_explanation_says_which_reports_were_on_time() -> None:
    manual = {"version": 1, "realization": {"op": "on_time_reports"}}
    cycle = {"Q1": _report(True), "Q2": _report(False), "Q3": _report(True), "Q4": _report(False)}
    ind = prepare(_bundle(cycle, manual)).indicator("1b-N")
    assert ind is not None
    value, _, steps, _ = realise(ind, "Y", cycle=cycle, trace=True)
    assert value == Decimal(2)
    assert steps is not None and steps[-1].op == "on_time_reports"
    assert steps[-1].note == "2 of 4 reports on time (Q1, Q3)"


def test_the_operator_is_validated_like_every_other() -> None:
    parse_manual({"version": 1, "realization": {"op": "on_time_reports", "reduce": "count"}})
    with pytest.raises(ManualError) as err:
        parse_manual({"version": 1, "realization": {"op": "on_time_reports", "reduce": "median"}})
    assert any(path.startswith("realization") for path, _ in err.value.errors)
