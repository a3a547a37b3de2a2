"""Consistency of the transcribed Zona Integritas data (seed ``zi-ngurah-rai``).

Checks the weights of the evaluation template, the order of the WBK/WBBM thresholds and that
each printed evaluation adds up and reaches the predicate the thresholds give it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import yaml

from services.registry.seed import SEED_DIR

FOLDER = SEED_DIR / "zi-ngurah-rai"
AREAS = {
    "change_management",
    "business_process",
    "hr_management",
    "performance_accountability",
    "supervision",
    "public_service",
}
ORDER = ["WBK", "WBBM"]  # ascending: WBBM is the higher predicate


def _load(name: str) -> dict[str, Any]:
    with (FOLDER / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _load("template-permenpanrb-90-2021.yaml")


@pytest.fixture(scope="module")
def thresholds() -> dict[str, Any]:
    return _load("thresholds.yaml")


@pytest.fixture(scope="module")
def evaluations() -> dict[str, Any]:
    return _load("evaluations.yaml")


def dec(value: Any) -> Decimal:
    assert isinstance(value, str), f"number must be a quoted string, got {value!r}"
    return Decimal(value)


def component(template: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in template["components"] if c["code"] == code]
    assert len(found) == 1, code
    return found[0]


def test_components_sum_to_100(template: dict[str, Any]) -> None:
    assert template["format"] == "kinerja.zi-template/v1"
    assert {c["code"] for c in template["components"]} == {"pengungkit", "hasil"}
    assert sum(dec(c["weight"]) for c in template["components"]) == dec(template["total_weight"]) == 100
    assert dec(component(template, "pengungkit")["weight"]) == 60
    assert dec(component(template, "hasil")["weight"]) == 40


def test_area_weights_sum_to_the_pengungkit_weight_in_each_half(template: dict[str, Any]) -> None:
    levers = component(template, "pengungkit")
    areas = levers["areas"]
    assert {a["code"] for a in areas} == AREAS
    halves = levers["halves"]
    assert {h["code"] for h in halves} == {"pemenuhan", "reform"}
    assert sum(dec(h["weight"]) for h in halves) == dec(levers["weight"])
    for half in halves:
        assert sum(dec(a["weights"][half["code"]]) for a in areas) == dec(half["weight"]), half["code"]
    for area in areas:
        assert set(area["weights"]) == {h["code"] for h in halves}, area["code"]
        # not in the seed: every such weight must say so
        assert area["status"].startswith("secondary_source"), area["code"]
        assert area["named_in_seed"].startswith("baris "), area["code"]


def test_hasil_sub_components_sum_to_the_hasil_weight(template: dict[str, Any]) -> None:
    results = component(template, "hasil")
    subs = results["sub_components"]
    assert sum(dec(s["weight"]) for s in subs) == dec(results["weight"])
    for sub in subs:
        assert sum(dec(i["weight"]) for i in sub["items"]) == dec(sub["weight"]), sub["code"]
        assert sub["status"].startswith("secondary_source"), sub["code"]


def test_thresholds_are_ordered_and_within_the_template(thresholds: dict[str, Any], template: dict[str, Any]) -> None:
    assert thresholds["format"] == "kinerja.zi-thresholds/v1"
    low, high = (thresholds["predicates"][p] for p in ORDER)
    numeric = [k for k in low if k.endswith("_min") or k == "area_min_share"]
    assert set(numeric) == {"total_min", "pengungkit_min", "area_min_share"}
    for key in numeric:
        assert dec(high[key]) >= dec(low[key]), key
    assert set(low["hasil"]) == set(high["hasil"])
    hasil_keys = [k for k in low["hasil"] if k.endswith("_min")]
    assert len(hasil_keys) == 6
    for key in hasil_keys:
        assert dec(high["hasil"][key]) >= dec(low["hasil"][key]), key
    for name in ORDER:
        limits = thresholds["predicates"][name]
        assert dec(limits["total_min"]) <= dec(template["total_weight"]), name
        assert dec(limits["pengungkit_min"]) <= dec(component(template, "pengungkit")["weight"]), name
        assert 0 < dec(limits["area_min_share"]) <= 1, name
        hasil = limits["hasil"]
        assert dec(hasil["clean_government_survey_min"]) <= dec(hasil["clean_government_min"]), name
        # the result minimums fit into the result component
        assert dec(hasil["clean_government_min"]) + dec(hasil["public_service_min"]) <= dec(
            component(template, "hasil")["weight"]
        ), name
    # the strict difference the seed prints: WBBM asks more in total, pengungkit, areas, public service
    for key in ("total_min", "pengungkit_min", "area_min_share"):
        assert dec(high[key]) > dec(low[key]), key
    assert dec(high["hasil"]["public_service_min"]) > dec(low["hasil"]["public_service_min"])


def test_table_2_reference_column_adds_up(thresholds: dict[str, Any]) -> None:
    column = thresholds["table_2_reference_column"]
    for name in ORDER:
        cell = column[name]
        assert dec(cell["pengungkit"]) + dec(cell["hasil"]) == dec(cell["total"]), name
        assert dec(cell["total"]) == dec(thresholds["predicates"][name]["total_min"]), name


def highest_predicate(result: dict[str, Any], thresholds: dict[str, Any]) -> str | None:
    """The highest predicate whose printed total and pengungkit minimums the result meets."""
    reached = None
    for name in ORDER:
        limits = thresholds["predicates"][name]
        if dec(result["total"]) >= dec(limits["total_min"]) and dec(result["pengungkit"]) >= dec(
            limits["pengungkit_min"]
        ):
            reached = name
    return reached


def test_each_evaluation_adds_up_and_reaches_its_predicate(
    evaluations: dict[str, Any], thresholds: dict[str, Any]
) -> None:
    assert evaluations["format"] == "kinerja.zi-evaluations/v1"
    assert re.fullmatch(r"[A-Z]{3}\.[A-Z]{2}\.\d{2}", evaluations["satker"]["code"])
    years = [e["year"] for e in evaluations["evaluations"]]
    assert years == [2018, 2019, 2020]
    results = 0
    for evaluation in evaluations["evaluations"]:
        assert evaluation["proposed_predicate"] in ORDER
        assert evaluation["predicate_reached"] in {None, *ORDER}
        assert evaluation["source"].startswith("seed 002, ")
        for result in evaluation["results"]:
            results += 1
            assert result["team"] in {"tpi", "tpn"}
            assert dec(result["pengungkit"]) + dec(result["hasil"]) == dec(result["total"]), (
                evaluation["year"],
                result["team"],
            )
        national = [r for r in evaluation["results"] if r["team"] == "tpn"]
        if national:
            # the national team decides the predicate
            assert highest_predicate(national[0], thresholds) == evaluation["predicate_reached"]
        if evaluation["predicate_reached"] is not None:
            reached = thresholds["predicates"][evaluation["predicate_reached"]]
            assert reached["ngurah_rai_reached_in"] == evaluation["year"]
    assert results == 2  # Tabel 2 of the seed: one ministry and one national result (2018)


def test_highest_predicate_helper(thresholds: dict[str, Any]) -> None:
    assert highest_predicate({"total": "88.94", "pengungkit": "52.07"}, thresholds) == "WBBM"
    assert highest_predicate({"total": "88.94", "pengungkit": "47.99"}, thresholds) == "WBK"
    assert highest_predicate({"total": "74.99", "pengungkit": "52.07"}, thresholds) is None


@pytest.mark.parametrize("name", ["template-permenpanrb-90-2021.yaml", "thresholds.yaml", "evaluations.yaml"])
def test_data_files_cite_documents_not_paths(name: str) -> None:
    text = (FOLDER / name).read_text(encoding="utf-8")
    assert not re.search(r"/work|\.\./shared|seeds/|\.txt\b", text)
