"""The scoring API against a stand-in registry (an in-process ASGI app serving reference bundles).

The stand-in only serves bundles (contracts §6) and does not enforce scope, so the scoring
service's own ``ensure_allowed`` is what answers 403 here. The real registry is composed in
``test_integration.py``.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Query

from contracts.bundle import BUNDLE, BUNDLES
from contracts.evidence import EXAMPLE as FACTS_EXAMPLE
from kernel.client import Peers, ServiceClient
from kernel.errors import NotFound, install_problem_handlers
from kernel.settings import AuthSettings, CommonSettings
from services.scoring.app import create_app
from tests.conftest import Mint, asgi_client, bearer
from tests.scoring.reference import kalbagtim_bundle, printed_values

pytestmark = pytest.mark.anyio


def _child(bundle: dict[str, Any], code: str, factor: float) -> dict[str, Any]:
    b = copy.deepcopy(bundle)
    b["satker"] = {
        "code": code,
        "name": code,
        "kind": "kppbc",
        "parent": "WBC.16",
        "path": ["WBC.16", code],
        "staff": None,
    }
    for ind in b["indicators"]:
        for parts in ind["measures"].values():
            for k in list(parts):
                if k.endswith("_docs") or k.endswith("_days") or k == "realization":
                    parts[k] = parts[k] * factor
    return b


def fake_registry(calls: list[str]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    state = {"WBC.16": kalbagtim_bundle()}
    state["KBC.1602"] = _child(state["WBC.16"], "KBC.1602", 0.5)
    app.state.bundles = state
    app.state.break_contract = False  # a test may serve a bundle that breaks the contract

    @app.get("/api/v1/registry/satkers/{code}/agreements/{year}/bundle")
    async def bundle(code: str, year: int) -> dict[str, Any]:
        calls.append(f"bundle {code}")
        if code not in state or year != 2024:
            raise NotFound(f"satker {code} has no agreement for {year}")
        if not app.state.break_contract:
            BUNDLE.validate_python(state[code])  # the stand-in serves exactly the contract (forbid)
        return state[code]

    @app.get("/api/v1/registry/satkers/{code}/agreements/{year}/bundles")
    async def bundles(code: str, year: int) -> dict[str, Any]:
        calls.append(f"bundles {code}")
        if code not in state:
            raise NotFound(f"satker {code} not found")
        body = {"as_of": "2025-01-31T00:00:00Z", "items": [b for b in state.values() if code in b["satker"]["path"]]}
        return BUNDLES.validate_python(body)  # exactly the contract (forbid)

    return app


@asynccontextmanager
async def scoring_client(
    auth: AuthSettings, common: CommonSettings, calls: list[str]
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    registry = fake_registry(calls)
    peers = Peers()
    peers.add(ServiceClient("registry", app=registry))
    app = create_app(common=common, auth=auth, peers=peers)
    async with asgi_client(app) as client:
        yield client, registry
    await peers.aclose()


async def test_scores_of_the_kanwil(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    calls: list[str] = []
    async with scoring_client(auth, common, calls) as (c, _):
        r = await c.get(
            "/api/v1/scoring/satkers/WBC.16/scores",
            params={"year": 2024, "period": "Y"},
            headers=bearer(mint("kanwil_manager", "WBC.16")),
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert calls == ["bundle WBC.16"]  # ONE registry request per score request
    assert round(body["nko"], 4) == 118.2973 and body["nko_display"] == "118.30"
    assert body["predicate"] == "Istimewa"
    assert [p["index_display"] for p in body["perspectives"]] == ["116.54", "117.55", "119.79", "119.50"]
    ss = {o["code"]: o["index_display"] for o in body["objectives"]}
    assert ss["SS-9"] == "119.17" and ss["SS-10"] == "119.01"
    iku = {i["code"]: i for i in body["indicators"]}
    assert iku["9a-N"]["index_display"] == "118.34" and iku["9a-N"]["status"] == "green"
    assert iku["1a-N"]["realization_display"] == "0.3969" and iku["1a-N"]["target"] == 0.75


async def test_scores_follow_registry_changes(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    calls: list[str] = []
    async with scoring_client(auth, common, calls) as (c, registry):
        url, params, h = "/api/v1/scoring/satkers/WBC.16/scores", {"year": 2024}, bearer(mint())
        before = (await c.get(url, params=params, headers=h)).json()
        ind = next(i for i in registry.state.bundles["WBC.16"]["indicators"] if i["code"] == "9a-N")
        ind["measures"]["Y"]["realization"] = 50
        after = (await c.get(url, params=params, headers=h)).json()
    assert before["nko"] != after["nko"]
    assert next(i for i in after["indicators"] if i["code"] == "9a-N")["status"] == "red"


async def test_a_bundle_without_polarity_is_a_502_naming_it(
    auth: AuthSettings, common: CommonSettings, mint: Mint
) -> None:
    """A missing contract field is an error, never a default (it used to become ``max``)."""
    async with scoring_client(auth, common, []) as (c, registry):
        registry.state.break_contract = True
        del registry.state.bundles["WBC.16"]["indicators"][3]["polarity"]
        registry.state.bundles["WBC.16"]["satker"]["added_by_a_newer_registry"] = 1  # ignored (ADR 0016)
        r = await c.get("/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024}, headers=bearer(mint()))
    assert r.status_code == 502 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"field": "indicators.3.polarity", "reason": "Field required"}]


def fake_evidence(drop: str | None) -> FastAPI:
    """Evidence facts for every IKU asked for (the contract's example), one field dropped from 3a-CP's."""
    app = FastAPI()

    @app.get("/api/v1/evidence/satkers/{code}/aggregates")
    async def aggregates(code: str, indicator: list[str] = Query()) -> dict[str, Any]:
        facts = {c: copy.deepcopy(FACTS_EXAMPLE) | {"satker": code, "indicator": c} for c in indicator}
        if drop is not None:
            del facts["3a-CP"][drop]
        first = facts[indicator[0]]
        keys = ("year", "period", "window", "as_of", "basis")
        return {"satker": code, **{k: first[k] for k in keys}, "indicators": facts}

    return app


async def _scores_with_evidence(auth: AuthSettings, common: CommonSettings, mint: Mint, drop: str | None) -> Any:
    peers = Peers()
    peers.add(ServiceClient("registry", app=fake_registry([])))
    peers.add(ServiceClient("evidence", app=fake_evidence(drop)))
    app = create_app(common=common, auth=auth, peers=peers)
    async with asgi_client(app) as c:
        r = await c.get("/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024}, headers=bearer(mint()))
    await peers.aclose()
    return r


async def test_evidence_facts_without_a_field_are_a_502_naming_it(
    auth: AuthSettings, common: CommonSettings, mint: Mint
) -> None:
    assert (await _scores_with_evidence(auth, common, mint, None)).status_code == 200  # the stand-in is valid
    r = await _scores_with_evidence(auth, common, mint, "lpt")
    assert r.status_code == 502 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"field": "indicators.3a-CP.lpt", "reason": "Field required"}]


async def test_unknown_satker_is_relayed_404(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.get("/api/v1/scoring/satkers/XXX.1/scores", params={"year": 2024}, headers=bearer(mint()))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "XXX.1" in r.json()["detail"]


async def test_bad_period_is_422(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.get(
            "/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024, "period": "Q5"}, headers=bearer(mint())
        )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"


async def test_out_of_scope_is_403(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        h = bearer(mint("satker_operator", "KBC.1602"))
        r = await c.get("/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024}, headers=h)
        own = await c.get("/api/v1/scoring/satkers/KBC.1602/scores", params={"year": 2024}, headers=h)
        anon = await c.get("/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024})
    assert r.status_code == 403 and own.status_code == 200 and anon.status_code == 401


async def test_consolidated_view(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    calls: list[str] = []
    async with scoring_client(auth, common, calls) as (c, _):
        r = await c.get(
            "/api/v1/scoring/satkers/WBC.16/consolidated",
            params={"year": 2024, "period": "Y"},
            headers=bearer(mint("kanwil_manager", "WBC.16")),
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert calls == ["bundles WBC.16"]
    assert body["nko_display"] == "118.30"
    assert [s["code"] for s in body["satkers"]] == ["WBC.16", "KBC.1602"]
    assert body["satkers"][0]["statuses"]["9a-N"] == "green"
    region = {x["code"]: x for x in body["region"]}
    # sum of parts: both satkers' clearance parts added, then the ratio (half-size child: same ratio)
    assert round(region["1a-N"]["realization"], 4) == 0.3969 and region["1a-N"]["satkers"] == 2


async def test_explain_an_indicator(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.get(
            "/api/v1/scoring/satkers/WBC.16/explain",
            params={"year": 2024, "period": "Q1", "indicator": "1a-N"},
            headers=bearer(mint()),
        )
        missing = await c.get(
            "/api/v1/scoring/satkers/WBC.16/explain",
            params={"year": 2024, "indicator": "99z-N"},
            headers=bearer(mint()),
        )
    assert r.status_code == 200, r.text
    e = r.json()["indicator"]
    assert set(e["inputs"]) == {"M01", "M02", "M03"}
    assert e["formula"] == "(1 + (1 − R / T)) × 100" and e["index"] == 120
    assert e["reason"] == "clamped to [0, 120]" and e["rule_set"]["code"] == "KMK-300-2022"
    assert e["target"]["document"] == "PK-29/BC/2024"
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "indicator"


async def test_report_check(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.post(
            "/api/v1/scoring/satkers/WBC.16/report-check",
            params={"year": 2024},
            json=printed_values(),
            headers=bearer(mint()),
        )
    assert r.status_code == 200, r.text
    found = {(d["where"], d["printed"]) for d in r.json()["differences"]}
    assert ("perspective internal_process", 119.97) in found
    assert ("indicator 9a-N Y index", 120) in found


async def test_what_it_takes(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.get(
            "/api/v1/scoring/satkers/WBC.16/what-it-takes",
            params={"year": 2024, "indicator": "9a-N", "target_index": 120},
            headers=bearer(mint()),
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["direction"] == "at_least" and round(body["required_realization"], 2) == 101.4
    assert body["already_reached"] is False


async def test_manual_validation(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        url, h = "/api/v1/scoring/manuals/validate", bearer(mint("service"))
        ok = await c.post(url, json=kalbagtim_bundle()["indicators"][0]["manual"]["document"], headers=h)
        bad = await c.post(
            url,
            json={
                "realization": {
                    "op": "weighted",
                    "components": [
                        {"name": "a", "weight": 0.5, "value": {"op": "ratio", "numerator": {"op": "part", "name": "x"}}}
                    ],
                }
            },
            headers=h,
        )
    assert ok.status_code == 200 and ok.json() == {"valid": True}
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"] == [
        {"field": "realization.components[0].value.denominator", "reason": "Field required"}
    ]
