"""Registry + scoring composed in-process (runner.composition), the shipped seed imported
through the registry API, the reference numbers asserted through the scoring API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.evidence.settings import EvidenceSettings
from services.registry.settings import RegistrySettings
from services.scoring.engine.scorecard import prepare, score
from services.scoring.schemas.scores import (
    ConsolidatedOut,
    ExplainOut,
    FrozenScorecardsOut,
    ReportCheckOut,
    ScorecardOut,
    WhatItTakesOut,
)
from tests.conftest import Mint, bearer
from tests.registry.conftest import import_seed
from tests.scoring.reference import CLEARANCE_TIME_BY_PERIOD, REPORT_CHECK, reference

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def scoring_db(pg_url: str) -> Iterator[str]:
    """A sibling database of ``pg_url`` of our own, so other folders' seed imports cannot collide."""
    with sibling_database(pg_url, "scoring") as url:
        yield url


@pytest.fixture(scope="module")
async def system(
    scoring_db: str, auth: AuthSettings, tmp_path_factory: pytest.TempPathFactory, mint: Mint
) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("scoring-data")))
    # The whole system, evidence included: with an evidence service that holds no verified
    # documents, the evidence-driven manuals (3a-CP, 8a-N, 8b-N) must fall back to the reported
    # realisation, not score an empty evidence set as 0 (a regression seen in embedded mode).
    settings = {
        "registry": RegistrySettings(database_url=scoring_db),
        "evidence": EvidenceSettings(database_url=scoring_db, scanner="disabled"),
    }
    built = build_system(common=common, auth=auth, settings=settings, services=("registry", "evidence", "scoring"))
    async with running(built):
        await import_seed(built, mint("admin"))
        yield built


@pytest.fixture
async def scoring(system: System) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=system.apps["scoring"])
    async with httpx.AsyncClient(transport=transport, base_url="http://scoring.test") as client:
        yield client


async def test_shipped_data_scores_like_the_report(scoring: httpx.AsyncClient, mint: Mint) -> None:
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/scores",
        params={"year": 2024, "period": "Y"},
        headers=bearer(mint("kanwil_manager", "WBC.16")),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert round(body["nko"], 4) == 118.2973 and body["nko_display"] == "118.30"
    assert body["predicate"] == "Istimewa"
    assert [p["index_display"] for p in body["perspectives"]] == ["116.54", "117.55", "119.79", "119.50"]
    ss = {o["code"]: o["index_display"] for o in body["objectives"]}
    assert ss["SS-9"] == "119.17" and ss["SS-10"] == "119.01"
    got = {i["code"]: i["index_display"] for i in body["indicators"]}
    assert got == {i["code"]: f"{i['printed_index']:.2f}" for i in reference()["indicators"]}


@pytest.mark.parametrize(("period", "value"), CLEARANCE_TIME_BY_PERIOD.items())
async def test_clearance_time_windows_through_the_api(
    scoring: httpx.AsyncClient, mint: Mint, period: str, value: str
) -> None:
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024, "period": period}, headers=bearer(mint())
    )
    assert r.status_code == 200, r.text
    iku = {i["code"]: i for i in r.json()["indicators"]}
    assert iku["1a-N"]["realization_display"] == value


async def test_explain_lists_only_the_addenda_that_touched_the_iku(scoring: httpx.AsyncClient, mint: Mint) -> None:
    async def addenda(code: str) -> list[str]:
        r = await scoring.get(
            "/api/v1/scoring/satkers/WBC.16/explain",
            params={"year": 2024, "period": "Q2", "indicator": code},
            headers=bearer(mint()),
        )
        assert r.status_code == 200, r.text
        return [a["number"] for a in r.json()["indicator"]["addenda"]]

    assert await addenda("4a-N") == ["PK-29A/BC/2024"]  # the addendum set 4a-N's quarterly targets
    assert await addenda("1a-N") == []  # ... and no target of 1a-N


async def test_the_shipped_report_check_on_the_demo(scoring: httpx.AsyncClient, mint: Mint) -> None:
    """The README's one-command report check: the shipped printed values against the shipped data."""
    r = await scoring.post(
        "/api/v1/scoring/satkers/WBC.16/report-check",
        params={"year": 2024},
        content=REPORT_CHECK.read_bytes(),
        headers=bearer(mint()) | {"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    found = {(d["where"], d["printed"]) for d in r.json()["differences"]}
    assert ("perspective internal_process", 119.97) in found and ("indicator 9a-N Y index", 120) in found
    assert round(r.json()["nko"], 4) == 118.2973


async def test_registry_errors_are_relayed(scoring: httpx.AsyncClient, mint: Mint) -> None:
    unknown = await scoring.get("/api/v1/scoring/satkers/NOPE.1/scores", params={"year": 2024}, headers=bearer(mint()))
    assert unknown.status_code == 404
    foreign = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024}, headers=bearer(mint("kanwil_manager", "WBC.17"))
    )
    assert foreign.status_code == 403


async def test_consolidated_view_of_the_kanwil(scoring: httpx.AsyncClient, mint: Mint) -> None:
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/consolidated",
        params={"year": 2024},
        headers=bearer(mint("kanwil_manager", "WBC.16")),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["nko_display"] == "118.30" and body["satkers"][0]["code"] == "WBC.16"


async def test_one_evidence_request_per_satker(
    scoring: httpx.AsyncClient, system: System, mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every evidence-driven IKU of a satker (3a-CP, 8a-N, 8b-N) in ONE aggregates request (the
    multi-indicator form of contracts §8), and evidence asking the
    registry for the satker path once: 1 evidence + 1 registry hop per satker, not 2 per IKU;
    the next request within the path TTL reuses the path (ADR 0014): no registry hop from evidence."""
    from services.evidence.service.context import SatkerPaths

    runtime = system.apps["evidence"].state.evidence
    assert runtime.satker_paths.ttl > 0  # the default reuses paths
    monkeypatch.setattr(runtime, "satker_paths", SatkerPaths(ttl=runtime.satker_paths.ttl))  # none known yet
    calls: list[tuple[str, str, Any]] = []
    for name in ("evidence", "registry"):
        client = system.peers[name]
        original = client.get_json

        async def spy(path: str, *, token: str | None, params: Any = None, _n: str = name, _o: Any = original) -> Any:
            calls.append((_n, path, params))
            return await _o(path, token=token, params=params)

        monkeypatch.setattr(client, "get_json", spy)
    token = mint("kanwil_manager", "WBC.16")
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024, "period": "Y"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    assert round(r.json()["nko"], 4) == 118.2973
    evidence = [c for c in calls if c[0] == "evidence"]
    assert [p for _, p, _ in evidence] == ["/api/v1/evidence/satkers/WBC.16/aggregates"]
    assert {"3a-CP", "8a-N", "8b-N"} <= set(evidence[0][2]["indicator"])
    assert [p for n, p, _ in calls if n == "registry" and p == "/api/v1/registry/satkers/WBC.16"] == [
        "/api/v1/registry/satkers/WBC.16"
    ]

    calls.clear()
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024, "period": "Y"}, headers=bearer(token)
    )
    assert r.status_code == 200 and round(r.json()["nko"], 4) == 118.2973
    assert [p for n, p, _ in calls if n == "evidence"] == ["/api/v1/evidence/satkers/WBC.16/aggregates"]
    assert [p for n, p, _ in calls if n == "registry" and p == "/api/v1/registry/satkers/WBC.16"] == []

    calls.clear()
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/consolidated", params={"year": 2024, "period": "Y"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    members = [s["code"] for s in r.json()["satkers"]]
    asked = sorted(p.split("/")[5] for n, p, _ in calls if n == "evidence")
    assert asked == sorted(members)  # one evidence request per satker of the view (run concurrently)


async def test_evidence_refusal_is_relayed_from_the_consolidated_view(
    scoring: httpx.AsyncClient, system: System, mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 403 from evidence for one satker of the view reaches the caller as 403 (not a 500 from
    the concurrent fetch wrapping it)."""
    from kernel.errors import Forbidden

    async def refuse(path: str, *, token: str | None, params: Any = None) -> Any:
        raise Forbidden("not yours")

    monkeypatch.setattr(system.peers["evidence"], "get_json", refuse)
    r = await scoring.get(
        "/api/v1/scoring/satkers/WBC.16/consolidated",
        params={"year": 2024},
        headers=bearer(mint("kanwil_manager", "WBC.16")),
    )
    assert r.status_code == 403, r.text


async def test_evidence_configured_but_unreachable_is_503_not_a_silent_fallback(
    scoring: httpx.AsyncClient, system: System, mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the evidence service is part of the deployment but does not answer, the scores are not
    computed from the reported realisations behind the caller's back: the request fails with 503."""
    from kernel.client import ServiceClient
    from runner.devservers import free_ports

    nobody = ServiceClient("evidence", base_url=f"http://127.0.0.1:{free_ports(1)[0]}", timeout=2.0)
    monkeypatch.setitem(system.peers._clients, "evidence", nobody)  # a real connection, refused
    try:
        r = await scoring.get(
            "/api/v1/scoring/satkers/WBC.16/scores",
            params={"year": 2024, "period": "Y"},
            headers=bearer(mint("kanwil_manager", "WBC.16")),
        )
    finally:
        await nobody.aclose()
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "evidence" in r.json()["detail"]


async def test_a_reused_satker_path_still_checks_the_caller(system: System, mint: Mint) -> None:
    """Evidence reuses a satker's path only as the path (ADR 0014): with WBC.16's path known from
    an allowed caller, a caller of another Kanwil is still refused, without any registry hop."""
    evidence = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["evidence"]), base_url="http://e")
    path = "/api/v1/evidence/satkers/WBC.16/aggregates"
    params = {"year": 2024, "period": "Y", "indicator": "3a-CP"}
    own = await evidence.get(path, params=params, headers=bearer(mint("kanwil_manager", "WBC.16")))
    assert own.status_code == 200, own.text
    assert system.apps["evidence"].state.evidence.satker_paths.get("WBC.16") is not None
    foreign = await evidence.get(path, params=params, headers=bearer(mint("kanwil_manager", "WBC.17")))
    assert foreign.status_code in (403, 404), foreign.text
    await evidence.aclose()


# --- typed answers with exact numbers (issue 10, ADR 0018 / 0023) -----------------------------

S = "/api/v1/scoring/satkers/WBC.16"


async def _answers(scoring: httpx.AsyncClient, mint: Mint) -> dict[str, tuple[Any, httpx.Response]]:
    h = bearer(mint("kanwil_manager", "WBC.16"))
    y = {"year": 2024}
    asks: dict[str, tuple[Any, Any]] = {
        "scores": (ScorecardOut, scoring.get(f"{S}/scores", params=y, headers=h)),
        "scores Q2 as submitted": (
            ScorecardOut,
            scoring.get(f"{S}/scores", params=y | {"period": "Q2", "as_submitted": "true"}, headers=h),
        ),
        "consolidated": (ConsolidatedOut, scoring.get(f"{S}/consolidated", params=y, headers=h)),
        "explain": (ExplainOut, scoring.get(f"{S}/explain", params=y, headers=h)),
        "explain 1a-N": (ExplainOut, scoring.get(f"{S}/explain", params=y | {"indicator": "1a-N"}, headers=h)),
        "explain 4a-N Q2": (
            ExplainOut,
            scoring.get(f"{S}/explain", params=y | {"indicator": "4a-N", "period": "Q2"}, headers=h),
        ),
        "what-it-takes 4a-N": (
            WhatItTakesOut,
            scoring.get(f"{S}/what-it-takes", params=y | {"indicator": "4a-N", "target_index": 110}, headers=h),
        ),
        "what-it-takes 1a-N": (
            WhatItTakesOut,
            scoring.get(f"{S}/what-it-takes", params=y | {"indicator": "1a-N", "target_index": 100}, headers=h),
        ),
        "what-it-takes unreachable": (
            WhatItTakesOut,
            scoring.get(f"{S}/what-it-takes", params=y | {"indicator": "1a-N", "target_index": 500}, headers=h),
        ),
        "report-check": (
            ReportCheckOut,
            scoring.post(
                f"{S}/report-check",
                params=y,
                content=REPORT_CHECK.read_bytes(),
                headers=h | {"Content-Type": "application/json"},
            ),
        ),
        "frozen-scorecards": (
            FrozenScorecardsOut,
            scoring.get(
                f"{S}/frozen-scorecards", params=y | {"period": "Q1", "as_of": "2030-01-01T00:00:00Z"}, headers=h
            ),
        ),
    }
    return {name: (model, await request) for name, (model, request) in asks.items()}


async def test_every_scoring_answer_meets_its_response_model(scoring: httpx.AsyncClient, mint: Mint) -> None:
    """The routes answer through ExactJSONResponse (no pydantic pass at run time), so this is
    where the answers are held to their models: every field, none more (``extra="forbid"``)."""
    for name, (model, r) in (await _answers(scoring, mint)).items():
        assert r.status_code == 200, (name, r.text)
        TypeAdapter(model).validate_json(r.content)
    scores = (await _answers(scoring, mint))["scores"][1].json()
    assert "evidence_path" in scores  # the evidence-driven IKU of the seed: that branch is checked too


async def test_numbers_carry_the_decimals_digits(scoring: httpx.AsyncClient, system: System, mint: Mint) -> None:
    """The NKO on the wire is the engine's Decimal digit for digit, not a float's 17 digits."""
    h = bearer(mint("kanwil_manager", "WBC.16"))
    r = await scoring.get(f"{S}/scores", params={"year": 2024}, headers=h)
    assert r.status_code == 200, r.text
    exact = json.loads(r.content, parse_float=Decimal)
    registry = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r")
    async with registry:
        bundle = (await registry.get("/api/v1/registry/satkers/WBC.16/agreements/2024/bundle", headers=h)).json()
    # the seed has no verified evidence: the engine's NKO from the bundle alone is the answer's
    expected = score(prepare(bundle), "Y").nko
    assert expected is not None and exact["nko"] == expected
    assert len(expected.as_tuple().digits) > 17  # more than a float could carry, so this is not float's text
    assert str(expected) in r.text
    assert float(exact["nko"]) == r.json()["nko"]  # a float reader still gets the nearest double
