"""The gateway's HTTP forwarder streams both ways (ADR 0006): timing checks against a stand-in.

A real service cannot say *when* each part of a body arrived, so these checks put a small raw
ASGI app (tests/gateway/echo_app.py, served by uvicorn in its own process) in the evidence slot of
a real gateway process: the upload reaches the service before the caller has sent all of it, and
the download reaches the caller before the service has produced all of it. The real evidence
service through the gateway is tested in test_distributed.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import httpx
import pytest

from runner.processes import Served, served
from tests.conftest import TEST_SECRET, Mint, bearer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    data = tmp_path_factory.mktemp("streaming")
    common = {"KINERJA_AUTH_SECRET": TEST_SECRET, "KINERJA_ENVIRONMENT": "test", "KINERJA_DATA_DIR": str(data)}
    with ExitStack() as stack:
        echo = stack.enter_context(served("echo", {}, app="tests.gateway.echo_app:app"))
        gateway = stack.enter_context(
            served(
                "gateway",
                common
                | {
                    "KINERJA_GATEWAY_EVIDENCE_URL": echo.url,
                    "KINERJA_GATEWAY_BUFFER_LIMIT": "65536",
                    "KINERJA_GATEWAY_READ_TIMEOUT": "5",
                },
            )
        )
        yield {"echo": echo, "gateway": gateway}


@pytest.fixture
async def gw(parts: dict[str, Served]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=parts["gateway"].url, timeout=10) as client:
        yield client


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
