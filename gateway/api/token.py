"""``POST /api/v1/gateway/token``: client credentials of an internal application -> a short service token."""

from __future__ import annotations

import hashlib
import hmac
from functools import partial
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from gateway.edge import client_ip, retry_after_header
from gateway.ratelimit import RateLimiter
from gateway.settings import ClientCredential
from kernel.auth import Role, TokenVerifier
from kernel.errors import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    BadRequest,
    Problem,
    ProblemError,
    TooManyRequests,
    Unauthorized,
    dotted,
    validation_problem,
)

router = APIRouter(tags=["gateway"])


class NotImplementedProblem(ProblemError):
    status_code, slug, title = 501, "not-implemented", "Not implemented in this deployment"


class TokenRequest(BaseModel):
    """RFC 6749 §4.4 client credentials grant (form-encoded or JSON)."""

    grant_type: Literal["client_credentials"]
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)
    scope: str | None = Field(default=None, description="space-separated subset of the client's scopes")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    scope: str


_TOKEN_SCHEMA = TokenRequest.model_json_schema()
_TOKEN_EXAMPLE = {"grant_type": "client_credentials", "client_id": "sikka", "client_secret": "s3cret", "scope": "read"}
_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _TOKEN_SCHEMA, "example": _TOKEN_EXAMPLE},
            "application/json": {"schema": _TOKEN_SCHEMA, "example": _TOKEN_EXAMPLE},
        },
    }
}
_TOKEN_OUT_EXAMPLE = {
    "access_token": "eyJhbGciOiJIUzI1NiJ9...",
    "token_type": "bearer",
    "expires_in": 900,
    "scope": "read",
}


async def _token_request(request: Request) -> TokenRequest:
    raw = await request.body()
    if len(raw) > 4096:
        raise BadRequest("token request too large")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if ctype == "application/json":
            data: Any = orjson.loads(raw)
        elif ctype == "application/x-www-form-urlencoded":
            data = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        else:
            raise BadRequest("send application/x-www-form-urlencoded or application/json", field="content-type")
        return TokenRequest.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(
            exc, locate=partial(dotted, empty="body"), error=BadRequest, detail="invalid token request"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("invalid token request") from None


@router.post(
    "/api/v1/gateway/token",
    summary="Exchange client credentials of an internal application for a short service token",
    description=(
        "OAuth 2.0 client credentials grant (RFC 6749 §4.4) for internal applications configured in "
        "`KINERJA_GATEWAY_CLIENTS` / `_CLIENTS_FILE`. The token has role `service`, the requested "
        "scopes (a subset of the client's) and a lifetime of the client's `ttl_seconds`."
    ),
    response_model=TokenResponse,
    responses={
        200: {"content": {"application/json": {"example": _TOKEN_OUT_EXAMPLE}}},
        400: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Bad request"},
        401: PROBLEM_RESPONSES[401],
        429: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Too many requests"},
        501: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Tokens come from the OIDC provider"},
    },
    openapi_extra=_TOKEN_BODY,
)
async def token(request: Request) -> TokenResponse:
    limiter: RateLimiter = request.app.state.limiter
    clients: dict[str, ClientCredential] = request.app.state.clients
    verifier: TokenVerifier = request.app.state.token_verifier
    if limiter.enabled:
        wait = await limiter.take("token:" + client_ip(request.scope))
        if wait:
            raise TooManyRequests("too many token requests", headers=retry_after_header(wait))
    body = await _token_request(request)
    client = clients.get(body.client_id)
    digest = hashlib.sha256(body.client_secret.encode()).hexdigest()
    # compare even for unknown clients, so timing does not tell which client ids exist
    expected = client.secret_sha256.lower() if client else "0" * 64
    if not hmac.compare_digest(digest, expected) or client is None:
        raise Unauthorized("invalid client credentials")
    requested = body.scope.split() if body.scope else client.scopes
    extra = sorted(set(requested) - set(client.scopes))
    if extra:
        raise BadRequest(f"scope not granted to this client: {' '.join(extra)}", field="scope")
    try:
        access = verifier.mint(
            subject=f"client:{body.client_id}", role=Role.SERVICE, ttl_seconds=client.ttl_seconds, scopes=requested
        )
    except RuntimeError as exc:
        raise NotImplementedProblem("service tokens come from the OIDC provider in this deployment") from exc
    return TokenResponse(access_token=access, expires_in=client.ttl_seconds, scope=" ".join(requested))
