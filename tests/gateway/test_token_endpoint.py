"""Client credentials: internal applications exchange a configured secret for a short service token."""

from __future__ import annotations

import hashlib

import pytest

from gateway.settings import ClientCredential, GatewaySettings
from kernel.auth import Action, Role, TokenVerifier
from kernel.settings import AuthSettings, CommonSettings
from runner.embedded import create_embedded_app
from tests.conftest import TEST_SECRET, asgi_client, bearer

pytestmark = pytest.mark.anyio
SECRET = "batch-secret-0123456789"


def _app(common: CommonSettings, auth: AuthSettings):  # type: ignore[no-untyped-def]
    clients = {
        "scoring-batch": ClientCredential(
            secret_sha256=hashlib.sha256(SECRET.encode()).hexdigest(), scopes=["read"], ttl_seconds=300
        )
    }
    gw = GatewaySettings(clients=clients)
    return create_embedded_app(common=common, auth=auth, gateway=gw, services=["registry"], seed=False)


async def test_form_grant_gives_a_scoped_service_token(common: CommonSettings, auth: AuthSettings) -> None:
    async with asgi_client(_app(common, auth)) as c:
        r = await c.post(
            "/api/v1/gateway/token",
            data={"grant_type": "client_credentials", "client_id": "scoring-batch", "client_secret": SECRET},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 300, "read")
        # the token passes the edge and reaches the service
        through = await c.get("/api/v1/registry/unknown", headers=bearer(body["access_token"]))
    assert through.status_code == 404
    p = TokenVerifier(secret=TEST_SECRET).verify(body["access_token"])
    assert (p.subject, p.role, p.scopes) == ("client:scoring-batch", Role.SERVICE, frozenset({"read"}))
    assert p.allows(Action.READ, ["WBC.16"]) and not p.allows(Action.WRITE, ["WBC.16"])


async def test_json_grant_and_the_refusals(common: CommonSettings, auth: AuthSettings) -> None:
    ok = {"grant_type": "client_credentials", "client_id": "scoring-batch", "client_secret": SECRET}
    async with asgi_client(_app(common, auth)) as c:
        good = await c.post("/api/v1/gateway/token", json=ok)
        wrong = await c.post("/api/v1/gateway/token", json=ok | {"client_secret": "nope"})
        unknown = await c.post("/api/v1/gateway/token", json=ok | {"client_id": "who"})
        too_much = await c.post("/api/v1/gateway/token", json=ok | {"scope": "read write"})
        bad_grant = await c.post("/api/v1/gateway/token", json=ok | {"grant_type": "password"})
        bad_type = await c.post("/api/v1/gateway/token", content=b"x", headers={"content-type": "text/plain"})
    assert good.status_code == 200
    for r, status in ((wrong, 401), (unknown, 401), (too_much, 400), (bad_grant, 400), (bad_type, 400)):
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
    assert too_much.json()["errors"][0]["field"] == "scope"
    assert bad_grant.json()["errors"][0]["field"] == "grant_type"
