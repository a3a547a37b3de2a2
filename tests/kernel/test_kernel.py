"""The kernel's promises: problem+json errors, token verification, hierarchical authorisation."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from kernel.app import add_network_peers, new_service_app, token_verifier
from kernel.auth import Action, Principal, PrincipalDep, Role, TokenVerifier, ensure_allowed
from kernel.client import Peers, ServiceClient
from kernel.errors import Conflict, Forbidden, Unauthorized
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import libpq_url, sibling_database, temporary_database
from tests.conftest import TEST_SECRET, asgi_client, bearer

pytestmark = pytest.mark.anyio


class Body(BaseModel):
    weight: float


def _app() -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        yield

    app = new_service_app(service="demo", title="demo", description="demo", lifespan=lifespan)
    app.state.token_verifier = TokenVerifier(secret=TEST_SECRET)

    @app.post("/api/v1/demo/things")
    async def create(body: Body, who: PrincipalDep) -> dict[str, str]:
        if body.weight > 1:
            raise Conflict("weight too large", field="weight")
        return {"sub": who.subject}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    return app


async def test_missing_token_is_401_problem() -> None:
    async with asgi_client(_app()) as c:
        r = await c.post("/api/v1/demo/things", json={"weight": 1})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/unauthorized"
    assert "x-request-id" in r.headers


async def test_validation_error_names_the_field(mint) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as c:
        r = await c.post("/api/v1/demo/things", json={"weight": "heavy"}, headers=bearer(mint()))
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["field"] == "weight"
    assert r.headers["content-type"] == "application/problem+json"


async def test_domain_error_and_request_id_roundtrip(mint) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as c:
        r = await c.post("/api/v1/demo/things", json={"weight": 2}, headers=bearer(mint()) | {"X-Request-ID": "abc123"})
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "weight", "reason": "weight too large"}]
    assert r.headers["x-request-id"] == "abc123"


async def test_unexpected_error_is_problem_500_without_internals() -> None:
    app = _app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/boom")
    assert r.status_code == 500
    assert "bug" not in r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_tokens_round_trip_and_reject_tampering() -> None:
    v = TokenVerifier(secret=TEST_SECRET)
    tok = v.mint(subject="ana", role="satker_operator", satker="KBC.1602")
    p = v.verify(tok)
    assert (p.subject, p.role, p.satker) == ("ana", Role.SATKER_OPERATOR, "KBC.1602")
    with pytest.raises(Unauthorized):
        TokenVerifier(secret="another-secret-entirely-0123456789abcdef").verify(tok)
    with pytest.raises(Unauthorized):
        v.verify(v.mint(subject="x", role="admin", ttl_seconds=-3600))


def test_role_without_satker_is_refused() -> None:
    v = TokenVerifier(secret=TEST_SECRET)
    with pytest.raises(Unauthorized):
        v.verify(v.mint(subject="x", role="viewer"))


@pytest.mark.parametrize(
    ("role", "satker", "action", "path", "allowed"),
    [
        (Role.SATKER_OPERATOR, "KBC.1602", Action.WRITE, ["WBC.16", "KBC.1602"], True),
        (Role.SATKER_OPERATOR, "KBC.1602", Action.READ, ["WBC.16", "KBC.1603"], False),
        (Role.SATKER_OPERATOR, "WBC.16", Action.READ, ["WBC.16", "KBC.1603"], False),
        (Role.KANWIL_MANAGER, "WBC.16", Action.READ, ["WBC.16", "KBC.1603"], True),
        (Role.KANWIL_MANAGER, "WBC.16", Action.WRITE, ["WBC.16", "KBC.1603"], True),
        (Role.KANWIL_MANAGER, "WBC.16", Action.READ, ["WBC.17", "KBC.1701"], False),
        (Role.KANWIL_MANAGER, "KBC.1603", Action.READ, ["WBC.16"], False),
        (Role.REVIEWER, "WBC.16", Action.REVIEW, ["WBC.16", "KBC.1603"], True),
        (Role.REVIEWER, "WBC.16", Action.WRITE, ["WBC.16", "KBC.1603"], False),
        (Role.VIEWER, "WBC.16", Action.WRITE, ["WBC.16"], False),
        (Role.ADMIN, None, Action.MANAGE, ["WBC.17"], True),
        (Role.SERVICE, None, Action.MANAGE, ["WBC.17"], False),
    ],
)
def test_policy(role: Role, satker: str | None, action: Action, path: list[str], allowed: bool) -> None:
    p = Principal(subject="s", role=role, satker=satker)
    assert p.allows(action, path) is allowed
    if not allowed:
        with pytest.raises(Forbidden):
            ensure_allowed(p, action, path)


def test_temporary_database_is_created_and_dropped() -> None:
    import psycopg

    with temporary_database("kinerja_probe") as url:
        libpq = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(libpq) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(libpq, connect_timeout=3)


def test_sibling_database_is_created_next_to_the_given_one_and_dropped(pg_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    with sibling_database(pg_url, "probe") as url:
        assert make_url(url).database == f"{make_url(pg_url).database}_probe"
        with psycopg.connect(libpq_url(url)) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(libpq_url(url), connect_timeout=3)


def test_token_verifier_from_settings_verifies_what_it_mints(tmp_path: Path) -> None:
    common = CommonSettings(environment="test", data_dir=tmp_path)
    verifier = token_verifier(AuthSettings(secret=TEST_SECRET, leeway_seconds=5), common)
    assert verifier.verify(verifier.mint(subject="a", role=Role.ADMIN)).subject == "a"
    local = token_verifier(AuthSettings(), common)  # no secret: created in the data folder
    assert (tmp_path / "auth-secret").exists()
    with pytest.raises(Unauthorized):
        local.verify(verifier.mint(subject="a", role=Role.ADMIN))
    with pytest.raises(RuntimeError, match="JWKS_URL"):
        token_verifier(AuthSettings(), CommonSettings(environment="production", data_dir=tmp_path))


async def test_network_peers_only_where_a_url_is_set_and_none_is_configured() -> None:
    peers = Peers()
    embedded = ServiceClient("registry", app=FastAPI())
    peers.add(embedded)
    add_network_peers(peers, {"registry": "http://registry:8000", "evidence": None, "scoring": "http://scoring:8000"})
    assert peers["registry"] is embedded
    assert not peers.has("evidence")
    assert peers.has("scoring")
    await peers.aclose()
