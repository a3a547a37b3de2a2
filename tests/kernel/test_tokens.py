"""Token verification refuses what a lenient JWT library lets through, and fails closed on scopes."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from fastapi import FastAPI

from kernel.app import new_service_app, token_verifier
from kernel.auth import Action, Principal, PrincipalDep, Role, TokenVerifier
from kernel.errors import Unauthorized
from kernel.settings import AuthSettings, CommonSettings
from tests.conftest import TEST_SECRET, asgi_client, bearer

pytestmark = pytest.mark.anyio


def _signed(**claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "ana", "role": "admin", "iss": "kinerja", "aud": "kinerja", "iat": now, "exp": now + 600}
    return jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, TEST_SECRET, algorithm="HS256")


def _refusal(token: str, verifier: TokenVerifier | None = None) -> str:
    with pytest.raises(Unauthorized) as info:
        (verifier or TokenVerifier(secret=TEST_SECRET)).verify(token)
    return info.value.detail


def test_exp_as_a_numeric_string_is_refused() -> None:
    # PyJWT converts "exp": "..." with int() and accepts it; a NumericDate is a JSON number
    assert "exp must be an integer" in _refusal(_signed(exp=str(int(time.time()) + 600)))
    assert "exp must be an integer" in _refusal(_signed(exp=float(int(time.time()) + 600)))
    assert "iat must be an integer" in _refusal(_signed(iat=str(int(time.time()))))


def test_a_token_living_longer_than_the_maximum_is_refused() -> None:
    now = int(time.time())
    ten_years = now + 10 * 365 * 86400
    assert "lifetime exceeds 86400" in _refusal(_signed(exp=ten_years))
    assert "lifetime exceeds 86400" in _refusal(_signed(exp=ten_years, iat=None))  # without iat too
    # an old iat with a near exp: the token was issued for longer than allowed
    assert "lifetime exceeds" in _refusal(_signed(iat=now - 2 * 86400, exp=now + 600))
    # the maximum comes from AuthSettings
    auth = AuthSettings(secret=TEST_SECRET, max_token_lifetime_seconds=3600)
    short = token_verifier(auth, CommonSettings(environment="test"))
    assert "lifetime exceeds 3600" in _refusal(_signed(exp=now + 7200), short)
    assert TokenVerifier(secret=TEST_SECRET).verify(_signed(exp=now + 8 * 3600)).subject == "ana"
    with pytest.raises(ValueError, match="at most"):
        short.mint(subject="ana", role="admin", ttl_seconds=7200)


def test_pyjwt_text_is_not_echoed() -> None:
    wrong_aud = _signed(aud="somebody-else-<script>")
    assert _refusal(wrong_aud) == "invalid token: wrong audience"
    assert _refusal(_signed(iss="evil")) == "invalid token: wrong issuer"
    assert _refusal(_signed()[:-3] + "AAA") == "invalid token: bad signature"
    assert _refusal("not.a.token") == "invalid token: malformed"
    assert _refusal(_signed(sub=None)) == "invalid token: claim sub missing"
    assert _refusal(_signed(role="<b>root</b>")) == "invalid token: unknown role"


def test_subject_and_satker_claims_are_bounded() -> None:
    long_but_real = "auth0|" + "a" * 240  # a long provider subject: accepted (columns hold 255)
    assert TokenVerifier(secret=TEST_SECRET).verify(_signed(sub=long_but_real)).subject == long_but_real
    assert "sub must be a string of 1 to 255" in _refusal(_signed(sub="x" * 256))
    assert "sub must be a string" in _refusal(_signed(sub=12345))
    assert "sub must be a string" in _refusal(_signed(sub=""))
    op = {"role": "satker_operator"}
    assert TokenVerifier(secret=TEST_SECRET).verify(_signed(**op, satker="KBC.1602")).satker == "KBC.1602"
    assert "satker must be an org code" in _refusal(_signed(**op, satker="K" * 33))
    assert "satker must be an org code" in _refusal(_signed(**op, satker="WBC 16"))
    assert "satker must be an org code" in _refusal(_signed(**op, satker=["WBC.16"]))
    assert "scope must be" in _refusal(_signed(role="service", scope=["read"]))


def test_a_service_token_without_scopes_may_do_nothing() -> None:
    verifier = TokenVerifier(secret=TEST_SECRET)
    bare = verifier.verify(verifier.mint(subject="client:app", role=Role.SERVICE))
    assert bare.scopes == frozenset()
    for action in Action:
        assert not bare.allows(action, ["WBC.16"]), action
    reader = verifier.verify(verifier.mint(subject="client:app", role=Role.SERVICE, scopes=["read"]))
    assert reader.allows(Action.READ, ["WBC.16"]) and not reader.allows(Action.WRITE, ["WBC.16"])
    star = Principal(subject="client:app", role=Role.SERVICE, satker=None, scopes=frozenset({"*"}))
    assert star.allows(Action.WRITE, ["WBC.16"]) and not star.allows(Action.MANAGE, [])
    # admins from the provider carry no scope claim: unrestricted, as before
    admin = verifier.verify(verifier.mint(subject="ana", role=Role.ADMIN))
    assert admin.allows(Action.MANAGE, ["WBC.16"])


def _app() -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        yield

    app = new_service_app(service="demo", title="demo", description="demo", lifespan=lifespan)
    app.state.token_verifier = TokenVerifier(secret=TEST_SECRET)

    @app.get("/api/v1/demo/me")
    async def me(who: PrincipalDep) -> dict[str, str]:
        return {"sub": who.subject}

    return app


async def test_refusals_are_401_problems_over_http() -> None:
    async with asgi_client(_app()) as c:
        for token in (_signed(exp=str(int(time.time()) + 60)), _signed(sub="x" * 300), _signed(aud="other")):
            r = await c.get("/api/v1/demo/me", headers=bearer(token))
            assert r.status_code == 401, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert "other" not in r.json()["detail"]
