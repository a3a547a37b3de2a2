"""Embedded mode: the gateway in front of every service in one process (what `make run` starts)."""

from __future__ import annotations

import pytest

from gateway.settings import GatewaySettings
from kernel.errors import ServiceUnavailable
from kernel.settings import AuthSettings, CommonSettings
from runner.embedded import create_embedded_app, seed_demo_data
from tests.conftest import Mint, asgi_client, bearer

pytestmark = pytest.mark.anyio


def _app(common: CommonSettings, auth: AuthSettings, **gateway: object):  # type: ignore[no-untyped-def]
    return create_embedded_app(common=common, auth=auth, gateway=GatewaySettings(**gateway), seed=False)


def test_every_service_is_part_of_the_embedded_system(common: CommonSettings, auth: AuthSettings) -> None:
    """No service is left out quietly: the embedded system composes all three."""
    assert sorted(_app(common, auth).state.system.apps) == ["evidence", "registry", "scoring"]


async def test_health_and_aggregated_readiness(common: CommonSettings, auth: AuthSettings) -> None:
    app = create_embedded_app(common=common, auth=auth, services=["registry"], seed=False)
    async with asgi_client(app) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        r = await c.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "services": {"registry": "ready"}}


async def test_readiness_names_the_service_that_is_not_ready(common: CommonSettings, auth: AuthSettings) -> None:
    app = create_embedded_app(common=common, auth=auth, services=["registry"], seed=False)
    async with asgi_client(app) as c:
        registry = app.state.system.apps["registry"]

        async def broken() -> None:
            raise ServiceUnavailable("database unreachable: test")

        registry.state.readiness_checks.append(broken)
        r = await c.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["services"] == {"registry": "database unreachable: test"}
    assert "registry" in r.json()["detail"]


async def test_edge_rejects_missing_and_bad_tokens(common: CommonSettings, auth: AuthSettings) -> None:
    async with asgi_client(_app(common, auth)) as c:
        missing = await c.get("/api/v1/registry/satkers")
        bad = await c.get("/api/v1/registry/satkers", headers=bearer("not-a-token"))
    for r in (missing, bad):
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_request_reaches_the_service_with_its_request_id(
    common: CommonSettings, auth: AuthSettings, mint: Mint
) -> None:
    async with asgi_client(_app(common, auth)) as c:
        r = await c.get("/api/v1/registry/no-such-thing", headers=bearer(mint()) | {"X-Request-ID": "rid-embedded-1"})
    # the registry (not the gateway) answered: its 404 problem names the path
    assert r.status_code == 404
    assert r.json()["instance"] == "/api/v1/registry/no-such-thing"
    assert r.headers["x-request-id"] == "rid-embedded-1"


async def test_unknown_service_is_404_and_absent_service_is_503(
    common: CommonSettings, auth: AuthSettings, mint: Mint
) -> None:
    app = create_embedded_app(common=common, auth=auth, services=["registry"], seed=False)
    async with asgi_client(app) as c:
        unknown = await c.get("/api/v1/nothing/here", headers=bearer(mint()))
        absent = await c.get("/api/v1/evidence/documents", headers=bearer(mint()))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert absent.status_code == 503
    assert absent.json()["type"] == "/problems/service-unavailable"


async def test_rate_limit_per_caller_is_429_with_retry_after(
    common: CommonSettings, auth: AuthSettings, mint: Mint
) -> None:
    app = _app(common, auth, rate_limit_per_second=0.5, rate_limit_burst=2)
    ana, budi = bearer(mint("viewer", "KBC.1602", sub="ana")), bearer(mint("viewer", "KBC.1602", sub="budi"))
    async with asgi_client(app) as c:
        codes = [(await c.get("/api/v1/registry/x", headers=ana)).status_code for _ in range(3)]
        other = await c.get("/api/v1/registry/x", headers=budi)
        limited = await c.get("/api/v1/registry/x", headers=ana)
    assert codes[:2] == [404, 404] and codes[2] == 429
    assert other.status_code == 404  # the budget is per caller
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) >= 1


async def test_seed_is_skipped_or_loaded_once(common: CommonSettings, auth: AuthSettings) -> None:
    app = create_embedded_app(common=common, auth=auth, seed=False)
    async with asgi_client(app):
        first = await seed_demo_data(app.state.system)
        second = await seed_demo_data(app.state.system)
    assert first == "demo data loaded into the registry"
    assert second == "demo data present: the registry already has satker"
