"""The kernel's promises: problem+json errors, token verification, hierarchical authorisation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from kernel.app import new_service_app
from kernel.auth import Action, Principal, PrincipalDep, Role, TokenVerifier, ensure_allowed
from kernel.errors import Conflict, Forbidden, Unauthorized
from kernel.testing import temporary_database
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
