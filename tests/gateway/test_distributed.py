"""Distributed mode: each service its own uvicorn process on PostgreSQL, the gateway calling them over HTTP.

Processes on free loopback ports (``kinerja serve <part>``): the registry (and scoring when it
exists) on the session's throw-away PostgreSQL database, a stand-in service for the streaming
checks (tests/gateway/echo_app.py, routed as ``evidence`` while that service is being written),
and the gateway. The last test stops the registry: the gateway answers 503, not a hang.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from gateway.app import available_services
from gateway.processes import Served, served
from tests.conftest import TEST_SECRET, Mint, bearer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def parts(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    data = tmp_path_factory.mktemp("distributed")
    common = {"KINERJA_AUTH_SECRET": TEST_SECRET, "KINERJA_ENVIRONMENT": "test", "KINERJA_DATA_DIR": str(data)}
    schema = f"registry_gw_{uuid.uuid4().hex[:8]}"  # own schema: other tests share the session database
    with ExitStack() as stack:
        out: dict[str, Served] = {}
        out["registry"] = stack.enter_context(
            served(
                "registry",
                common | {"KINERJA_REGISTRY_DATABASE_URL": pg_url, "KINERJA_REGISTRY_DATABASE_SCHEMA": schema},
            )
        )
        if "scoring" in available_services():
            out["scoring"] = stack.enter_context(
                served("scoring", common | {"KINERJA_SCORING_REGISTRY_URL": out["registry"].url})
            )
        out["echo"] = stack.enter_context(served("echo", {}, app="tests.gateway.echo_app:app"))
        urls = {f"KINERJA_GATEWAY_{name.upper()}_URL": s.url for name, s in out.items() if name != "echo"}
        urls["KINERJA_GATEWAY_EVIDENCE_URL"] = out["echo"].url
        out["gateway"] = stack.enter_context(
            served(
                "gateway",
                common | urls | {"KINERJA_GATEWAY_BUFFER_LIMIT": "65536", "KINERJA_GATEWAY_READ_TIMEOUT": "5"},
                extra_args=(),
            )
        )
        yield out


@pytest.fixture
async def gw(parts: dict[str, Served]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=parts["gateway"].url, timeout=10) as client:
        yield client


async def test_readiness_aggregates_every_service(gw: httpx.AsyncClient, parts: dict[str, Served]) -> None:
    r = await gw.get("/readyz")
    assert r.status_code == 200, r.text
    expected = {n for n in parts if n not in ("gateway", "echo")} | {"evidence"}
    assert set(r.json()["services"]) == expected


async def test_request_end_to_end_through_the_gateway(gw: httpx.AsyncClient, mint: Mint) -> None:
    r = await gw.get("/api/v1/registry/satkers", headers=bearer(mint()) | {"X-Request-ID": "e2e-rid-42"})
    assert r.status_code == 200, r.text
    assert "items" in r.json()
    assert r.headers["x-request-id"] == "e2e-rid-42"
    assert r.headers.get_list("date") == [r.headers["date"]]  # one date header, not the service's and ours
    # the service authorises the caller too: no token never gets past the edge
    assert (await gw.get("/api/v1/registry/satkers")).status_code == 401


async def test_caller_token_and_request_id_are_forwarded(gw: httpx.AsyncClient, mint: Mint) -> None:
    token = mint("viewer", "WBC.16")
    r = await gw.get("/api/v1/evidence/headers?x=1", headers=bearer(token) | {"X-Request-ID": "rid-fwd-7"})
    assert r.status_code == 200
    seen = r.json()
    assert seen["authorization"] == f"Bearer {token}"
    assert seen["x-request-id"] == "rid-fwd-7"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    generated = await gw.get("/api/v1/evidence/headers", headers=bearer(token))
    assert generated.json()["x-request-id"] == generated.headers["x-request-id"]  # made at the edge, passed on


async def test_upload_is_streamed_not_buffered(gw: httpx.AsyncClient, mint: Mint) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"x" * 100_000
        await asyncio.sleep(0.8)
        yield b"y" * 100_000

    for extra in ({}, {"content-length": "200000"}):  # chunked, and a known length above the buffer limit
        r = await gw.post("/api/v1/evidence/echo-timing", content=body(), headers=bearer(mint()) | extra)
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["bytes"] == 200_000
        # the first part reached the service before the caller sent the second
        assert got["last"] - got["first"] >= 0.6, got


async def test_download_is_streamed_not_buffered(gw: httpx.AsyncClient, mint: Mint) -> None:
    started = time.monotonic()
    async with gw.stream("GET", "/api/v1/evidence/slow-download", headers=bearer(mint())) as r:
        assert r.status_code == 200
        chunks = r.aiter_raw()
        first = await chunks.__anext__()
        first_at = time.monotonic() - started
        size = len(first) + sum([len(c) async for c in chunks])
    total = time.monotonic() - started
    assert size == 17 * 65536
    assert first_at < 0.7 <= total, (first_at, total)


async def test_stopped_service_is_503_problem_not_a_hang(
    gw: httpx.AsyncClient, parts: dict[str, Served], mint: Mint
) -> None:
    parts["registry"].stop()
    started = time.monotonic()
    r = await gw.get("/api/v1/registry/satkers", headers=bearer(mint()))
    assert time.monotonic() - started < 5
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/service-unavailable"
    ready = await gw.get("/readyz")
    assert ready.status_code == 503
    assert "registry" in ready.json()["detail"]


def test_gateway_log_has_one_line_per_request(parts: dict[str, Served]) -> None:
    assert "kinerja.access.gateway" in Path(parts["gateway"].log_path).read_text()
