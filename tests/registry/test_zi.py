"""Zona Integritas LKE templates: the shipped PermenPANRB-90-2021 v1, versions chosen per year,
validation of weights and thresholds, immutability of a stored version, who may write."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.conftest import Mint, bearer

pytestmark = pytest.mark.anyio
Z = "/api/v1/registry/zi/templates"


async def _shipped(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.get(f"{Z}/PermenPANRB-90-2021/versions/1", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["document"]  # type: ignore[no-any-return]


async def test_shipped_template_and_thresholds(api: httpx.AsyncClient, mint: Mint) -> None:
    doc = await _shipped(api, bearer(mint("viewer", "KBC.1602")))  # regulation data: any caller reads it
    levers = doc["template"]["components"][0]
    assert levers["code"] == "pengungkit" and levers["weight"] == "60"
    assert [a["weights"]["reform"] for a in levers["areas"]] == ["4", "3.5", "5", "5", "7.5", "5"]
    wbk, wbbm = doc["thresholds"]["predicates"]["WBK"], doc["thresholds"]["predicates"]["WBBM"]
    assert (wbk["total_min"], wbk["pengungkit_min"], wbk["area_min_share"]) == ("75", "40", "0.60")
    assert (wbbm["total_min"], wbbm["pengungkit_min"], wbbm["area_min_share"]) == ("85", "48", "0.75")
    assert wbbm["hasil"]["public_service_survey_min"] == "3.60"


def _areas(d: dict[str, Any]) -> list[dict[str, Any]]:
    areas: list[dict[str, Any]] = d["template"]["components"][0]["areas"]
    return areas


def _wbbm(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = d["thresholds"]["predicates"]["WBBM"]
    return found


QUESTIONS = [
    {
        "code": "q1",
        "text": "Apakah unit telah membentuk tim kerja ZI?",
        "scale": "yes_no",
        "weight": "4",
        "area": "change_management",
        "half": "pemenuhan",
    },
]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: _areas(d)[0]["weights"].update(reform="4.5"), "template.components.pengungkit.areas"),
        (
            lambda d: _areas(d)[1]["weights"].update(reform="-3.5"),
            "template.components.pengungkit.areas[1].weights.reform",
        ),
        (lambda d: _areas(d)[2]["weights"].pop("reform"), "template.components.pengungkit.areas[2].weights"),
        (
            lambda d: d["template"]["components"][1]["sub_components"][0]["items"][1].update(weight="4"),
            "template.components.hasil.sub_components[0].items",
        ),
        (lambda d: d["template"]["components"][1].update(weight="41"), "template.components"),
        (lambda d: _wbbm(d).update(pengungkit_min="39"), "thresholds.predicates.WBBM.pengungkit_min"),
        (lambda d: _wbbm(d).update(area_min_share="0.5"), "thresholds.predicates.WBBM.area_min_share"),
        (
            lambda d: _wbbm(d)["hasil"].update(public_service_min="15"),
            "thresholds.predicates.WBBM.hasil.public_service_min",
        ),
        (lambda d: _wbbm(d).update(total_min="101"), "thresholds.predicates.WBBM.total_min"),
        (lambda d: _wbbm(d)["hasil"].update(tlhp_min="x"), "thresholds.predicates.WBBM.hasil.tlhp_min"),
        (lambda d: d["thresholds"]["predicates"].pop("WBK"), "thresholds.predicates"),
        (lambda d: d["template"].update(questions=copy.deepcopy(QUESTIONS)), "template.questions"),  # 4 of 60
        (
            lambda d: d["template"].update(questions=[QUESTIONS[0] | {"scale": "likert"}]),
            "template.questions[0].scale",
        ),
        (lambda d: d["template"].update(questions=[QUESTIONS[0] | {"area": "nope"}]), "template.questions[0]"),
        (lambda d: d.update(valid_from_year="2024"), "valid_from_year"),
    ],
)
async def test_invalid_templates_are_refused_naming_the_field(
    api: httpx.AsyncClient, admin: dict[str, str], change: Any, field: str
) -> None:
    doc = copy.deepcopy(await _shipped(api, admin)) | {"version": 90}
    change(doc)
    r = await api.post(Z, json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()["errors"]
    assert (await api.get(f"{Z}/PermenPANRB-90-2021/versions/90", headers=admin)).status_code == 404  # nothing written


async def test_new_version_chosen_by_year_and_never_overwritten(
    api: httpx.AsyncClient, admin: dict[str, str], mint: Mint
) -> None:
    doc = copy.deepcopy(await _shipped(api, admin)) | {"code": "ZI-TEST", "version": 1, "valid_from_year": 2031}
    _areas(doc)[0]["weights"].update(pemenuhan="3.5")  # moved half a point to another area: still 60
    _areas(doc)[1]["weights"].update(pemenuhan="4")
    assert (await api.post(Z, json=doc, headers=bearer(mint("kanwil_manager", "WBC.16")))).status_code == 403
    r = await api.post(Z, json=doc, headers=admin)
    assert r.status_code == 201, r.text
    changed = copy.deepcopy(doc)
    _wbbm(changed).update(total_min="86")
    again = await api.post(Z, json=changed, headers=admin)
    assert again.status_code == 409
    assert "new version" in again.json()["detail"]
    stored = await api.get(f"{Z}/ZI-TEST/versions/1", headers=admin)
    assert _wbbm(stored.json()["document"])["total_min"] == "85"
    assert (await api.get(f"{Z}/for-year/2031", headers=admin)).json()["code"] == "ZI-TEST"
    assert (await api.get(f"{Z}/for-year/2024", headers=admin)).json()["code"] == "PermenPANRB-90-2021"
    missing = await api.get(f"{Z}/for-year/2021", headers=admin)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "year"
    listed = await api.get(Z, headers=admin)
    assert {(t["code"], t["version"]) for t in listed.json()["items"]} >= {("PermenPANRB-90-2021", 1), ("ZI-TEST", 1)}
