"""``create_app()`` of the gateway: the one edge of kinerja, and nothing else.

The hot path is raw ASGI (:class:`gateway.edge.EdgeMiddleware`): ``/api/v1/<service>/...`` is
checked (bearer token, caller's rate) and forwarded without FastAPI routing. The gateway's own
endpoints are routers (``gateway/api/``): ``/healthz``, ``/readyz``, ``/metrics``,
``/openapi.json``, ``/docs``, ``/redoc``, ``/api/v1/gateway/token``.

Where requests go (ADR 0002): given ``apps`` (the service apps in this process: the embedded mode,
composed by ``runner.embedded``), requests are handed to them directly; else the services' URLs
come from :class:`GatewaySettings` and requests go over HTTP (aiohttp). Whoever composes the
process passes its own ``lifespan`` (entering the services' lifespans, loading demo data): the
gateway knows nothing of how the services are run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from gateway.api import health, token
from gateway.api.docs import add_docs
from gateway.edge import EdgeMiddleware
from gateway.ratelimit import RateLimiter
from gateway.settings import SERVICES, GatewaySettings
from gateway.upstream import AiohttpUpstream, AsgiUpstream, Upstream
from kernel.app import metrics_router, operation_id, token_verifier
from kernel.errors import install_problem_handlers
from kernel.observability import MetricsMiddleware, RequestIdMiddleware
from kernel.settings import AuthSettings, CommonSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def http_upstreams(settings: GatewaySettings) -> dict[str, Upstream]:
    """Distributed mode: an aiohttp forwarder for every service with a URL in the settings."""
    upstreams: dict[str, Upstream] = {}
    for name in SERVICES:
        url = settings.service_url(name)
        if url:
            upstreams[name] = AiohttpUpstream(
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
    apps: Mapping[str, FastAPI] | None = None,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """The gateway. With ``apps``: the services run in this process; else over HTTP from settings."""
    settings = settings or GatewaySettings()
    common = common or CommonSettings()
    auth = auth or AuthSettings()
    if apps is not None:
        upstreams: dict[str, Upstream] = {n: AsgiUpstream(n, a) for n, a in apps.items()}
    else:
        upstreams = http_upstreams(settings)
    verifier = token_verifier(auth, common)
    limiter = RateLimiter(
        rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst, storage_url=settings.rate_limit_storage
    )

    @asynccontextmanager
    async def gateway_lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(limiter.aclose)
            for upstream in upstreams.values():
                await upstream.start()
                stack.push_async_callback(upstream.aclose)
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            yield

    app = FastAPI(
        title="kinerja gateway",
        description="The edge of kinerja: routing, token checks, rate limits, service-account tokens.",
        version="1.0.0",
        lifespan=gateway_lifespan,
        generate_unique_id_function=operation_id,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_middleware(
        EdgeMiddleware,
        upstreams=upstreams,
        verifier=verifier if settings.verify_tokens else None,
        limiter=limiter,
    )
    app.add_middleware(MetricsMiddleware, service="gateway")
    app.add_middleware(RequestIdMiddleware, service="gateway", access_log=settings.access_log)
    app.state.settings = settings
    app.state.upstreams = upstreams
    app.state.token_verifier = verifier
    app.state.limiter = limiter
    app.state.clients = settings.all_clients()
    app.state.service_apps = dict(apps) if apps is not None else None
    app.include_router(health.router)
    app.include_router(metrics_router())
    app.include_router(token.router)
    add_docs(app)
    return app
