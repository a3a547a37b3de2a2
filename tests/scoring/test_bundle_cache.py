"""Scoring's bundle cache (ADR 0026) against the real registry and evidence on PostgreSQL.

A copy is re-used only on the registry's 304; the answers are those of a scoring service without
the cache (size 0), read after read and after writes; a re-used copy stands for the moment of the
read that re-used it (the evidence facts are asked for at that moment, not at the copy's).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.evidence.settings import EvidenceSettings
from services.registry.settings import RegistrySettings
from services.scoring.settings import ScoringSettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import import_seed, mini_document

pytestmark = pytest.mark.anyio
S = "/api/v1/scoring/satkers"
OFFICE, YEAR = "KBC.1963", 2024
A = f"/api/v1/registry/satkers/{OFFICE}/agreements/{YEAR}"


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "bundle_cache") as url:
        yield url


def _system(db: str, common: CommonSettings, auth: AuthSettings, cache: int) -> System:
    return build_system(
        common=common,
        auth=auth,
        settings={
            "registry": RegistrySettings(database_url=db),
            "evidence": EvidenceSettings(database_url=db, scanner="disabled"),
            "scoring": ScoringSettings(bundle_cache_size=cache),
        },
        services=("registry", "evidence", "scoring"),
    )


@pytest.fixture(scope="module")
async def systems(
    db: str, auth: AuthSettings, tmp_path_factory: pytest.TempPathFactory, mint: Mint
) -> AsyncIterator[tuple[System, System]]:
    """(cached, uncached): two compositions over the same databases."""
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("bundle-cache")))
    cached, uncached = _system(db, common, auth, 256), _system(db, common, auth, 0)
    async with running(cached), running(uncached):
        await import_seed(cached, mint("admin"))
        async with _client(cached, "registry") as reg:
            doc = mini_document(OFFICE, YEAR, f"PK-98/{OFFICE}/{YEAR}")
            r = await reg.post("/api/v1/registry/import", json=doc, headers=bearer(mint("admin")))
            assert r.status_code == 201, r.text
        yield cached, uncached


def _client(system: System, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps[name]), base_url=f"http://{name}.test")


def _record(system: System, peer: str, path_end: str) -> list[httpx.Response]:
    """The answers the scoring app receives from ``peer`` for paths ending in ``path_end`` (a
    response hook on its client)."""
    seen: list[httpx.Response] = []

    async def hook(response: httpx.Response) -> None:
        if response.request.url.path.endswith(path_end):
            seen.append(response)

    system.apps["scoring"].state.peers[peer]._http.event_hooks["response"].append(hook)
    return seen


async def _scores(system: System, code: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    async with _client(system, "scoring") as sc:
        r = await sc.get(f"{S}/{code}/scores", params={"year": YEAR, **params}, headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


async def test_a_copy_is_reused_on_304_and_answers_like_a_fresh_read(
    systems: tuple[System, System], mint: Mint
) -> None:
    cached, uncached = systems
    manager = bearer(mint("kanwil_manager", "WBC.16"))
    registry = _record(cached, "registry", "/bundle")
    evidence = _record(cached, "evidence", "/aggregates")
    first = await _scores(cached, "WBC.16", manager, period="Y")
    again = await _scores(cached, "WBC.16", manager, period="Y")
    assert [r.status_code for r in registry] == [200, 304]
    assert registry[1].request.headers["if-none-match"] == registry[0].headers["etag"]
    fresh = await _scores(uncached, "WBC.16", manager, period="Y")
    for body in (first, again):
        assert {k: v for k, v in body.items() if k != "as_of"} == {k: v for k, v in fresh.items() if k != "as_of"}
    assert round(again["nko"], 4) == 118.2973
    # the re-used copy stands for the moment of this read: the answer and the evidence facts say so
    assert again["as_of"] > first["as_of"] and again["as_of"] == registry[1].headers["kinerja-as-of"]
    asked = [r.request.url.params.get("as_of") for r in evidence]
    assert asked == [first["as_of"], again["as_of"]]
    # every period from the one copy (the engine never changes it), as a fresh read scores them
    for period in ("Q1", "Q2", "S1", "Q3", "Q4"):
        got = await _scores(cached, "WBC.16", manager, period=period)
        want = await _scores(uncached, "WBC.16", manager, period=period)
        assert got["nko"] == want["nko"] and got["indicators"] == want["indicators"], period
    assert set(r.status_code for r in registry[2:]) == {304}


async def test_a_write_is_in_the_next_answer(systems: tuple[System, System], mint: Mint) -> None:
    cached, uncached = systems
    operator = bearer(mint("satker_operator", OFFICE, sub="ana"))
    before = await _scores(cached, OFFICE, operator, period="Q1")
    url = f"{A}/indicators/1b-N/measures/Q1"
    async with _client(cached, "registry") as reg:
        current = await reg.get(url, headers=operator)
        r = await reg.put(
            url, json={"parts": {"realization": 7.5}}, headers=operator | {"If-Match": current.headers["etag"]}
        )
        assert r.status_code in (200, 201), r.text
    after = await _scores(cached, OFFICE, operator, period="Q1")
    iku = {i["code"]: i for i in after["indicators"]}
    assert iku["1b-N"]["realization"] == 7.5 and after != before
    fresh = await _scores(uncached, OFFICE, operator, period="Q1")
    assert after["indicators"] == fresh["indicators"] and after["nko"] == fresh["nko"]


async def test_no_copy_without_the_right_to_read(systems: tuple[System, System], mint: Mint) -> None:
    """A copy another caller's read left behind is no answer for a caller who may not read it:
    the registry checks the right before its 304."""
    cached, _ = systems
    await _scores(cached, OFFICE, bearer(mint("kanwil_manager", "WBC.16")), period="Y")
    async with _client(cached, "scoring") as sc:
        r = await sc.get(
            f"{S}/{OFFICE}/scores", params={"year": YEAR}, headers=bearer(mint("satker_operator", "KBC.1602"))
        )
    assert r.status_code == 403


async def test_a_304_without_a_copy_asked_for_is_the_registrys_error() -> None:
    from fastapi import FastAPI, Response

    from kernel.client import ServiceClient
    from kernel.errors import UpstreamError

    rogue = FastAPI()

    @rogue.get("/x")
    async def not_modified() -> Response:
        return Response(status_code=304, headers={"Kinerja-As-Of": "2024-12-31T00:00:00Z"})

    client = ServiceClient("registry", app=rogue)
    with pytest.raises(UpstreamError, match="304"):
        await client.get_json_unless_current("/x", token=None, etag=None)
    body, headers = await client.get_json_unless_current("/x", token=None, etag='"held"')
    assert body is None and headers["kinerja-as-of"] == "2024-12-31T00:00:00Z"
    await client.aclose()
