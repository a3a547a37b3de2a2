"""Agreements: the seed's 16 IKU and targets, the 4a-N addendum with history and as_of, authorisation."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
A = f"{R}/satkers/WBC.16/agreements/2024"


async def test_summary_has_16_iku_and_11_ss(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await api.get(A, headers=admin)
    assert r.status_code == 200
    body = r.json()
    assert body["number"] == "PK-29/BC/2024" and body["level"] == "Kemenkeu-Two" and body["version"] == 2
    assert len(body["objectives"]) == 11 and len(body["indicators"]) == 16
    by_code = {i["code"]: i for i in body["indicators"]}
    assert by_code["1a-N"]["polarity"] == "min" and by_code["1a-N"]["unit"] == "days"
    assert by_code["2a-CP"]["validity_control"] == "E/M" and by_code["2a-CP"]["objective"] == "SS-2"
    assert {i["consolidation"] for i in body["indicators"]} == {"take_last_known_value"}
    assert [d["number"] for d in body["documents"]] == ["PK-29/BC/2024", "PK-29A/BC/2024"]
    assert body["closed_periods"] == []
    assert "targets" not in by_code["1a-N"]


async def test_targets_of_the_16_iku(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    bundle = (await api.get(f"{A}/bundle", headers=admin)).json()
    targets = {i["code"]: {p: t["value"] for p, t in i["targets"].items()} for i in bundle["indicators"]}
    assert len(targets) == 16
    assert targets["1a-N"]["Y"] == 0.75
    assert targets["2a-CP"] == {"Q1": 21.33, "Q2": 46.86, "S1": 46.86, "Q3": 72.41, "Q4": 72.41, "Y": 100}
    assert targets["8b-N"] == {"Y": 74.5}
    assert targets["9b-N"]["Q1"] == 21 and targets["9a-N"]["Y"] == 84.5
    assert targets["6a-N"]["Q1"] is None  # "-" in the agreement: present, null
    assert targets["10b-N"]["Y"] == 82  # not the misprinted 81 of Table 3.77


async def test_4a_n_addendum_history_and_as_of(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    url = f"{A}/indicators/4a-N/targets"
    now = (await api.get(url, headers=admin)).json()["targets"]
    assert now["Q2"] == {"value": 3.0, "document": "PK-29A/BC/2024", "version": 2}
    assert now["Q1"] == {"value": None, "document": "PK-29/BC/2024", "version": 1}
    assert now["Y"]["document"] == "PK-29/BC/2024"

    before = (await api.get(url, params={"as_of": "2024-03-01T00:00:00Z"}, headers=admin)).json()["targets"]
    assert before["Q2"] == {"value": None, "document": "PK-29/BC/2024", "version": 1}
    assert before["Q4"]["value"] == 3.0

    summary_before = (await api.get(A, params={"as_of": "2024-03-01T00:00:00Z"}, headers=admin)).json()
    assert summary_before["version"] == 1 and len(summary_before["documents"]) == 1
    too_early = await api.get(A, params={"as_of": "2023-12-31T00:00:00Z"}, headers=admin)
    assert too_early.status_code == 404

    history = (await api.get(f"{url}/history", headers=admin)).json()["items"]
    q2 = [h for h in history if h["period"] == "Q2"]
    assert [(h["value"], h["document"]) for h in q2] == [(None, "PK-29/BC/2024"), (3.0, "PK-29A/BC/2024")]
    assert q2[0]["superseded_at"] == q2[1]["recorded_at"] and q2[1]["superseded_at"] is None
    assert len(history) == 7 + 4  # 7 original periods, 4 changed by the addendum


async def test_addendum_through_the_api(api: httpx.AsyncClient, admin: dict[str, str], mint: Mint) -> None:
    doc = mini_document("KBC.1681", 2024, "PK-81/KBC.1681/2024")
    assert (await api.post(f"{R}/import", json=doc, headers=admin)).status_code == 201
    base = f"{R}/satkers/KBC.1681/agreements/2024"
    body = {"number": "PK-81A/KBC.1681/2024", "note": "Q2 target", "targets": {"1b-N": {"Q2": 31, "Y": 82}}}

    operator = bearer(mint("satker_operator", "KBC.1681"))
    assert (await api.post(f"{base}/addenda", json=body, headers=operator)).status_code == 403

    r = await api.post(f"{base}/addenda", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2 and r.json()["recorded_by"] == "admin@kanwil"
    targets = (await api.get(f"{base}/indicators/1b-N/targets", headers=admin)).json()["targets"]
    assert targets["Q2"]["document"] == "PK-81A/KBC.1681/2024"
    assert targets["Y"]["document"] == "PK-81/KBC.1681/2024"  # unchanged value: not re-recorded

    again = await api.post(f"{base}/addenda", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "number"
    nothing = await api.post(f"{base}/addenda", json=body | {"number": "PK-81B/KBC.1681/2024"}, headers=admin)
    assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "targets"
    unknown = await api.post(
        f"{base}/addenda", json={"number": "PK-81C/KBC.1681/2024", "targets": {"99z-N": {"Y": 1}}}, headers=admin
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "targets.99z-N"
    bad_period = await api.post(
        f"{base}/addenda", json={"number": "PK-81D/KBC.1681/2024", "targets": {"1b-N": {"Q5": 1}}}, headers=admin
    )
    assert bad_period.status_code == 422 and "Q5" in bad_period.json()["errors"][0]["field"]
    docs = (await api.get(f"{base}/documents", headers=admin)).json()["items"]
    assert [d["number"] for d in docs] == ["PK-81/KBC.1681/2024", "PK-81A/KBC.1681/2024"]


async def test_operator_of_samarinda_cannot_read_bontang(
    api: httpx.AsyncClient, admin: dict[str, str], mint: Mint
) -> None:
    for code in ("KBC.1602", "KBC.1603"):
        doc = mini_document(code, 2025, f"PK-1/{code}/2025")
        assert (await api.post(f"{R}/import", json=doc, headers=admin)).status_code == 201
    operator = bearer(mint("satker_operator", "KBC.1602"))
    own = await api.get(f"{R}/satkers/KBC.1602/agreements/2025", headers=operator)
    assert own.status_code == 200
    for path in ("", "/bundle", "/indicators/1a-N/targets", "/indicators/1a-N/measures/Q1", "/export"):
        r = await api.get(f"{R}/satkers/KBC.1603/agreements/2025{path}", headers=operator)
        assert r.status_code == 403, path
        assert r.headers["content-type"] == "application/problem+json"
    assert (await api.get(f"{R}/satkers/KBC.1603/agreements/2025")).status_code == 401


async def test_unknowns_are_404_and_bad_period_422(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await api.get(f"{R}/satkers/KBC.9999/agreements/2024", headers=admin)).status_code == 404
    r = await api.get(f"{R}/satkers/WBC.16/agreements/2031", headers=admin)
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "year"
    r = await api.get(f"{A}/indicators/99z-N/targets", headers=admin)
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "indicator"
    r = await api.get(f"{A}/indicators/1a-N/measures/Q5", headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"


async def test_create_agreement_validates_structure(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    doc = mini_document("KBC.1682", 2024, "PK-82/KBC.1682/2024")["agreement"]
    await api.post(
        f"{R}/satkers", json={"code": "KBC.1682", "name": "T", "kind": "pso", "parent": "WBC.16"}, headers=admin
    )
    body = {k: v for k, v in doc.items() if k != "satker"}
    broken = body | {
        "objectives": [*body["objectives"], {"code": "SS-1", "name": "dup", "perspective": "financial"}],
        "indicators": [
            *body["indicators"],
            {"code": "1a-N", "objective": "SS-9", "name": "x", "polarity": "max", "unit": "percent", "weight": 0},
        ],
    }
    r = await api.post(f"{R}/satkers/KBC.1682/agreements", json=broken, headers=admin)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {
        "objectives[2].code",
        "objectives[2].perspective",
        "indicators[3].code",
        "indicators[3].objective",
        "indicators[3].weight",
    } <= fields
    ok = await api.post(f"{R}/satkers/KBC.1682/agreements", json=body, headers=admin)
    assert ok.status_code == 201 and ok.json()["version"] == 1
    dup = await api.post(f"{R}/satkers/KBC.1682/agreements", json=body, headers=admin)
    assert dup.status_code == 409
