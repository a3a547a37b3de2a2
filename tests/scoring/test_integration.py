"""Registry + scoring composed in-process (gateway.composition), the shipped seed imported
through the registry API, the reference numbers asserted through the scoring API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.composition import System, build_system, running
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from services.evidence.settings import EvidenceSettings
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import import_seed
from tests.scoring.reference import CLEARANCE_TIME_BY_PERIOD, reference

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
