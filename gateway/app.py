"""``create_app()`` of the gateway: the one edge of kinerja.

The hot path is raw ASGI (:class:`EdgeMiddleware`): ``/api/v1/<service>/...`` is checked
(bearer token, caller's rate) and forwarded without FastAPI routing. Everything else — the
gateway's own endpoints (``/healthz``, ``/readyz``, ``/openapi.json``, ``/docs``,
``/api/v1/gateway/token``) — is an ordinary FastAPI app behind it.

Two modes, one code path (ADR 0002): embedded (``system`` given: the service apps run in this
process and requests are handed to them directly, their lifespans entered by ours) and
distributed (the services' URLs come from :class:`GatewaySettings` and requests go over HTTP).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.composition import SERVICES, System, running
from gateway.edge import CachedVerifier, RateLimiter, client_ip, retry_after_header, send_problem
from gateway.h1 import H1Upstream
from gateway.openapi import build_document, service_apps_for_docs
from gateway.settings import GatewaySettings
from gateway.upstream import AiohttpUpstream, AsgiUpstream, HttpxUpstream, Upstream
from kernel.app import operation_id, token_verifier
from kernel.auth import Role
from kernel.errors import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    BadRequest,
    FieldError,
    Problem,
    ProblemError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    install_problem_handlers,
    problem_response,
)
from kernel.observability import RequestIdMiddleware
from kernel.settings import AuthSettings, CommonSettings

log = logging.getLogger("kinerja.gateway")
API_PREFIX = "/api/v1/"
#: per-service paths reachable without a token (the service's own API description)
PUBLIC_SUFFIXES = ("/openapi.json", "/docs")
StartupHook = Callable[[System], Awaitable[object]]  # the result (e.g. what seeding did) is ignored


class NotImplementedProblem(ProblemError):
    status_code, slug, title = 501, "not-implemented", "Not implemented in this deployment"


class EdgeMiddleware:
    """Check and forward ``/api/v1/<service>/...``; pass everything else to the gateway's own routes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        upstreams: Mapping[str, Upstream],
        verifier: CachedVerifier | None,
        limiter: RateLimiter,
    ) -> None:
        self.app = app
        self.upstreams = upstreams
        self.verifier = verifier
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        service, _, rest = path[len(API_PREFIX) :].partition("/")
        upstream = self.upstreams.get(service)
        if upstream is None:
            if service in SERVICES:
                await send_problem(
                    send, ServiceUnavailable(f"the {service} service is not part of this deployment"), path
                )
            else:
                await self.app(scope, receive, send)  # the gateway's own routes, or a 404 problem
            return
        caller = ""
        if self.verifier is not None and not ("/" + rest).endswith(PUBLIC_SUFFIXES):
            token = _bearer(scope)
            if token is None:
                await send_problem(send, Unauthorized("missing bearer token"), path)
                return
            try:
                caller = self.verifier.verify(token).subject
            except ProblemError as exc:
                await send_problem(send, exc, path)
                return
        if self.limiter.enabled:
            wait = self.limiter.take(caller or "ip:" + client_ip(scope))
            if wait:
                await send_problem(
                    send, TooManyRequests("request rate exceeded", headers=retry_after_header(wait)), path
                )
                return
        try:
            await upstream(scope, receive, send)
        except ServiceUnavailable as exc:  # raised before the response started
            log.warning("%s %s: %s", scope["method"], path, exc.detail)
            await send_problem(send, exc, path)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


# --- the token endpoint (client credentials for internal applications) -----------------------


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
_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _TOKEN_SCHEMA},
            "application/json": {"schema": _TOKEN_SCHEMA},
        },
    }
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
    except (ValueError, UnicodeDecodeError) as exc:
        errors = (
            [FieldError(field=".".join(map(str, e["loc"])) or "body", reason=e["msg"]) for e in exc.errors()]
            if isinstance(exc, ValidationError)
            else None
        )
        err = BadRequest("invalid token request", errors=errors)
        raise err from None


# --- the app ----------------------------------------------------------------------------------


def _make_upstreams(settings: GatewaySettings, client: str) -> dict[str, Upstream]:
    kinds: dict[str, Callable[..., Upstream]] = {"h1": H1Upstream, "aiohttp": AiohttpUpstream, "httpx": HttpxUpstream}
    kind = kinds[client]
    upstreams: dict[str, Upstream] = {}
    for name in SERVICES:
        url = settings.service_url(name)
        if url:
            upstreams[name] = kind(
                name,
                url,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                max_connections=settings.max_connections,
                buffer_limit=settings.buffer_limit,
            )
    return upstreams


def create_app(
    settings: GatewaySettings | None = None,
    *,
    common: CommonSettings | None = None,
    auth: AuthSettings | None = None,
    system: System | None = None,
    on_startup: StartupHook | None = None,
) -> FastAPI:
    """The gateway. With ``system``: embedded (services in this process); else over HTTP from settings."""
    settings = settings or GatewaySettings()
    if system is not None:
        common, auth = system.common, system.auth
    common = common or CommonSettings()
    auth = auth or AuthSettings()
    if system is not None:
        upstreams: dict[str, Upstream] = {n: AsgiUpstream(n, a) for n, a in system.apps.items()}
    else:
        upstreams = _make_upstreams(settings, settings.http_client)
    verifier = token_verifier(auth, common)
    limiter = RateLimiter(rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
    clients = settings.all_clients()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for upstream in upstreams.values():
                await upstream.start()
                stack.push_async_callback(upstream.aclose)
            if system is not None:
                await stack.enter_async_context(running(system))
                if on_startup is not None:
                    await on_startup(system)
            yield

    app = FastAPI(
        title="kinerja gateway",
        description="The edge of kinerja: routing, token checks, rate limits, service-account tokens.",
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_middleware(
        EdgeMiddleware,
        upstreams=upstreams,
        verifier=CachedVerifier(verifier) if settings.verify_tokens else None,
        limiter=limiter,
    )
    app.add_middleware(RequestIdMiddleware, service="gateway", access_log=settings.access_log)
    app.state.settings = settings
    app.state.upstreams = upstreams
    app.state.token_verifier = verifier
    app.state.limiter = limiter
    app.state.system = system
    openapi_cache: dict[str, Any] = {}

    @app.get("/healthz", tags=["health"], summary="Liveness: the gateway answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: every service of the deployment is ready",
        response_model=None,
        responses={503: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "A service is not ready"}},
    )
    async def readyz(request: Request) -> dict[str, Any] | JSONResponse:
        names = list(upstreams)
        results = await asyncio.gather(*(upstreams[n].ready() for n in names), return_exceptions=True)
        services: dict[str, str] = {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                services[name] = f"error: {type(result).__name__}"
            else:
                services[name] = result[1]
        if all(not isinstance(r, BaseException) and r[0] for r in results):
            return {"status": "ready", "services": services}
        down = sorted(n for n, r in zip(names, results, strict=True) if isinstance(r, BaseException) or not r[0])
        err = ServiceUnavailable(f"not ready: {', '.join(down)}", extra={"services": services})
        return problem_response(503, err.to_problem(request.url.path))

    @app.post(
        "/api/v1/gateway/token",
        tags=["gateway"],
        summary="Exchange client credentials of an internal application for a short service token",
        response_model=TokenResponse,
        responses={
            400: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Bad request"},
            401: PROBLEM_RESPONSES[401],
            429: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Too many requests"},
            501: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Tokens come from the OIDC provider"},
        },
        openapi_extra=_TOKEN_BODY,
    )
    async def token(request: Request) -> TokenResponse:
        if limiter.enabled:
            wait = limiter.take("token:" + client_ip(request.scope))
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

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        if "doc" not in openapi_cache:
            apps = system.apps if system is not None else service_apps_for_docs(list(SERVICES))
            openapi_cache["doc"] = build_document(app, apps)
        return JSONResponse(openapi_cache["doc"])

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="kinerja API")

    return app
