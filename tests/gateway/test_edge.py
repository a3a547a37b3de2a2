"""The edge in process: shared rate limits (memory and the real local Redis), metrics, offline docs.

The gateway is put in front of a small service app built with the services' own frame
(``kernel.app.new_service_app``: request ids, metrics, docs) so that what is measured is the
real middleware stack, without a database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kernel.app import new_service_app
from kernel.settings import AuthSettings, CommonSettings
from tests.conftest import Mint, bearer
from tests.support.metrics import sample
from tests.support.redis import redis_url, unique

pytestmark = pytest.mark.anyio


def _registry_stub() -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield

    app = new_service_app(service="registry", title="registry stub", description="stub", lifespan=lifespan)

    @app.get("/api/v1/registry/satkers/{code}", tags=["satkers"])
    async def satker(code: str) -> dict[str, str]:
        return {"code": code}

    @app.post("/api/v1/registry/import", tags=["transfer"])
    async def import_(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    return app


@asynccontextmanager
async def _gateway(common: CommonSettings, auth: AuthSettings, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(**settings), common=common, auth=auth, apps={"registry": _registry_stub()})
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        yield client


async def test_two_gateways_on_one_redis_share_one_budget(
    common: CommonSettings, auth: AuthSettings, mint: Mint
) -> None:
    """Two replicas, one caller: 4 requests in all, not 4 per replica (what a dict per process gave)."""
    shared = {"rate_limit_per_second": 0.1, "rate_limit_burst": 4, "rate_limit_storage": redis_url()}
    token = bearer(mint(sub=unique("shared-budget")))
    async with _gateway(common, auth, **shared) as one, _gateway(common, auth, **shared) as two:
        codes = [(await gw.get("/api/v1/registry/satkers/WBC.16", headers=token)).status_code for gw in [one, two] * 4]
        assert codes == [200, 200, 200, 200, 429, 429, 429, 429]
        refused = await two.get("/api/v1/registry/satkers/WBC.16", headers=token)
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        # another caller has its own budget
        other = await one.get("/api/v1/registry/satkers/WBC.16", headers=bearer(mint(sub=unique("other"))))
        assert other.status_code == 200


async def test_memory_budget_is_per_process(common: CommonSettings, auth: AuthSettings, mint: Mint) -> None:
    token = bearer(mint(sub="memory-budget"))
    async with _gateway(common, auth, rate_limit_per_second=0.1, rate_limit_burst=2) as gw:
        codes = [(await gw.get("/api/v1/registry/satkers/X", headers=token)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


async def test_unreachable_rate_limit_storage_is_503_not_unlimited(
    common: CommonSettings, auth: AuthSettings, mint: Mint
) -> None:
    async with _gateway(common, auth, rate_limit_storage="redis://127.0.0.1:1/0") as gw:
        r = await gw.get("/api/v1/registry/satkers/WBC.16", headers=bearer(mint()))
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert "rate limiter" in r.json()["detail"]
        ready = await gw.get("/readyz")
        assert ready.status_code == 503
        assert "rate-limit storage" in ready.json()["detail"]


def test_storage_url_must_be_memory_or_redis() -> None:
    with pytest.raises(ValueError, match="RATE_LIMIT_STORAGE"):
        create_app(
            GatewaySettings(rate_limit_storage="memcached://127.0.0.1:11211"),
            common=CommonSettings(environment="test"),
            auth=AuthSettings(secret="x" * 40),
        )


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_requests_by_route_template_status_and_upload_bytes(
    common: CommonSettings, auth: AuthSettings, mint: Mint
) -> None:
    service = {"service": "registry", "method": "GET", "route": "/api/v1/registry/satkers/{code}", "status": "200"}
    edge = {"service": "gateway", "method": "GET", "route": "/api/v1/registry/{path}", "status": "200"}
    uploads = {"service": "registry", "route": "/api/v1/registry/import"}
    before = (
        _sample("kinerja_http_requests_total", **service),
        _sample("kinerja_http_requests_total", **edge),
        _sample("kinerja_http_request_body_bytes_total", **uploads),
    )
    async with _gateway(common, auth, rate_limit_per_second=0) as gw:
        for code in ("WBC.16", "KBC.1602", "KBC.1603"):  # three paths, one route template
            assert (await gw.get(f"/api/v1/registry/satkers/{code}", headers=bearer(mint()))).status_code == 200
        posted = await gw.post("/api/v1/registry/import", content=b"x" * 12345, headers=bearer(mint()))
        assert posted.json() == {"received": 12345}
        assert (await gw.get("/no-such-page")).status_code == 404
        text = (await gw.get("/metrics")).text
    assert _sample("kinerja_http_requests_total", **service) - before[0] == 3
    assert _sample("kinerja_http_requests_total", **edge) - before[1] == 3
    assert _sample("kinerja_http_request_body_bytes_total", **uploads) - before[2] == 12345
    duration = {"service": "registry", "method": "GET", "route": "/api/v1/registry/satkers/{code}"}
    assert (sample(text, "kinerja_http_request_duration_seconds_count", **duration) or 0) >= 3
    assert "WBC.16" not in text and "/no-such-page" not in text  # templates only: bounded series
    assert sample(text, "kinerja_http_requests_total", service="gateway", route="unmatched", status="404")


async def test_docs_load_nothing_from_outside(common: CommonSettings, auth: AuthSettings) -> None:
    async with _gateway(common, auth) as gw:
        for page in ("/docs", "/redoc", "/api/v1/registry/docs"):
            r = await gw.get(page)  # no token: the API description is public
            assert r.status_code == 200, page
            assert "http://" not in r.text and "https://" not in r.text, page  # no CDN, no web fonts
            for asset in _assets(r.text):
                got = await gw.get(asset)
                assert got.status_code == 200, asset
                assert len(got.content) > 1000, asset


def _assets(html: str) -> list[str]:
    import re

    found = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css|png))["']""", html)
    assert found, html
    return found
