"""Rule sets: the shipped KMK-300-2022 v1 and the validation of new versions."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.conftest import Mint, bearer

pytestmark = pytest.mark.anyio
R = "/api/v1/registry/rule-sets"


async def _shipped(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.get(f"{R}/KMK-300-2022/versions/1", headers=headers)
    assert r.status_code == 200
    return r.json()["document"]  # type: ignore[no-any-return]


async def test_shipped_rule_set(api: httpx.AsyncClient, mint: Mint) -> None:
    doc = await _shipped(api, bearer(mint("viewer", "KBC.1602")))  # regulations: any caller reads them
    assert [p["weight"] for p in doc["perspectives"]] == [0.3, 0.2, 0.25, 0.25]
    assert doc["index"] == {"floor": 0, "cap": 120}
    assert doc["predicates"][0] == {"name": "Istimewa", "above": 100}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["perspectives"][0].update(weight=0.31), "perspectives"),  # sums to 1.01
        (lambda d: d["perspectives"][3].update(weight=0.2499999), "perspectives"),  # exact, not "close"
        (lambda d: d["perspectives"][1].update(weight=-0.2), "perspectives[1].weight"),
        (lambda d: d["perspectives"][1].update(code="stakeholder"), "perspectives[1].code"),
        (lambda d: d["index"].update(floor=120), "index.floor"),
        (lambda d: d["predicates"].reverse(), "predicates[0]"),
        (lambda d: d["predicates"][2].update(at_least=95), "predicates[2]"),
        (lambda d: d["status_bands"][-1].update(at_least=0), "status_bands[2]"),
        (lambda d: d["polarity"].pop("min"), "polarity.min"),
        # the contract (contracts/rule_set.py) knows every key: a misspelt one is named, not ignored
        (lambda d: d["predicates"][1].update(at_leats=90), "predicates[1].at_leats"),
        (lambda d: d.update(perspectivs=[]), "perspectivs"),
    ],
)
async def test_invalid_rule_sets_are_refused(
    api: httpx.AsyncClient, admin: dict[str, str], change: Any, field: str
) -> None:
    doc = copy.deepcopy(await _shipped(api, admin)) | {"version": 90}
    change(doc)
    r = await api.post(R, json=doc, headers=admin)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


async def test_new_version_is_stored_once(api: httpx.AsyncClient, admin: dict[str, str], mint: Mint) -> None:
    doc = copy.deepcopy(await _shipped(api, admin)) | {"version": 2}
    doc["perspectives"][0]["weight"], doc["perspectives"][1]["weight"] = 0.4, 0.1  # still sums to 1
    assert (await api.post(R, json=doc, headers=bearer(mint("kanwil_manager", "WBC.16")))).status_code == 403
    r = await api.post(R, json=doc, headers=admin)
    assert r.status_code == 201 and r.json()["version"] == 2
    assert (await api.post(R, json=doc, headers=admin)).status_code == 409
    versions = [
        (x["code"], x["version"])
        for x in (await api.get(R, params={"code": "KMK-300-2022"}, headers=admin)).json()["items"]
    ]
    assert versions == [("KMK-300-2022", 1), ("KMK-300-2022", 2)]
