"""The common frame of every service app: errors, request ids, health, auth, operation ids.

Each service's ``create_app()`` calls :func:`new_service_app`, puts :func:`token_verifier` on
``app.state`` and adds its routers; its lifespan uses :func:`service_database` (a service that
owns data) and :func:`add_network_peers` (distributed mode). No work happens at import time;
resources are created in the lifespan and kept on ``app.state``.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from kernel.auth import TokenVerifier
from kernel.client import Peers, ServiceClient
from kernel.db import Database, readiness, run_migrations
from kernel.errors import ProblemError, install_problem_handlers, problem_response
from kernel.guards import NulGuardMiddleware
from kernel.observability import RequestIdMiddleware
from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret

ReadinessCheck = Callable[[], Awaitable[None]]


def operation_id(route: APIRoute) -> str:
    """Clean, stable operation ids: ``<tag>_<function name>`` (unique per service)."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}_{route.name}"


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: dependencies (database, storage) reachable", response_model=None)
    async def readyz(request: Request) -> dict[str, str] | JSONResponse:
        checks: list[ReadinessCheck] = getattr(request.app.state, "readiness_checks", [])
        for check in checks:
            try:
                await check()
            except ProblemError as exc:
                return problem_response(503, exc.to_problem(request.url.path) | {"status": 503})
        return {"status": "ready"}

    return router


#: gen-1 collections between two full ones while a service runs (CPython's default: 10)
FULL_COLLECTION_EVERY = 100


def frozen_heap_after_startup(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[Any]]:
    """The lifespan, plus ``gc.freeze()`` once the service has started (undone at shutdown).

    Why: after start a service process holds ~200k long-lived objects (modules, pydantic
    validators, SQLAlchemy mappers, FastAPI routes) that are never garbage. Every full (gen-2)
    collection walks all of them: ~100 ms on our 2-core machines, triggered every few dozen
    consolidated views by the garbage of the requests; that pause *was* the consolidated view's
    p99 (p50 30-50 ms, p99 170-180 ms; measured with ``gc.callbacks``). Frozen objects sit in
    the permanent generation, which collections skip, so a full collection only walks what was
    allocated since the start. Nothing changes for what the requests allocate: their cycles are
    collected as before. (Cyclic garbage left from the start is frozen with them and only
    reclaimed after shutdown: a one-off, not a growth.) Several services in one process (embedded mode, tests)
    each freeze at their start; freezing twice is harmless, and ``gc.unfreeze()`` at shutdown
    hands the objects back to the collector so a process that starts apps repeatedly (tests)
    does not accumulate them.

    One more knob goes with it: CPython runs a full collection only when the objects promoted
    since the last one exceed 25 % of the long-lived ones, and frozen objects do not count, so
    after a freeze that rule no longer rations full collections (one every 10 gen-1 collections,
    a few ms each, measurable in the p50). The third threshold (young collections between full ones,
    default 10) is raised to :data:`FULL_COLLECTION_EVERY` while the service runs instead.
    """

    @asynccontextmanager
    async def lifespan_with_frozen_heap(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_COLLECTION_EVERY))
            try:
                yield state
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()

    return lifespan_with_frozen_heap


def new_service_app(
    *,
    service: str,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
    access_log: bool = True,
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=frozen_heap_after_startup(lifespan),
        generate_unique_id_function=operation_id,
        openapi_url=f"/api/v1/{service}/openapi.json",
        docs_url=f"/api/v1/{service}/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(RequestIdMiddleware, service=service, access_log=access_log)
    app.include_router(health_router())
    app.state.service_name = service
    app.state.readiness_checks = []
    return app


def token_verifier(auth: AuthSettings, common: CommonSettings) -> TokenVerifier:
    """The bearer-token verifier the settings describe: the local HS256 secret or the OIDC JWKS URL.

    Resolving the secret may create it in the data folder (embedded) and fails in production
    without a JWKS URL (:func:`kernel.settings.resolve_auth_secret`).
    """
    return TokenVerifier(
        secret=resolve_auth_secret(auth, common),
        jwks_url=auth.jwks_url,
        issuer=auth.issuer,
        audience=auth.audience,
        algorithms=auth.algorithms,
        leeway=auth.leeway_seconds,
        max_lifetime=auth.max_token_lifetime_seconds,
    )


def add_network_peers(peers: Peers, urls: Mapping[str, str | None], *, timeout: float = 10.0) -> None:
    """Distributed mode: a network client for every peer with a URL in the service's settings,
    unless the composer already added one (embedded mode adds in-process clients)."""
    for service, base_url in urls.items():
        if base_url and not peers.has(service):
            peers.add(ServiceClient(service, base_url=base_url, timeout=timeout))


@asynccontextmanager
async def service_database(
    app: FastAPI, *, service: str, url: str, schema: str, migrate: bool
) -> AsyncIterator[Database]:
    """The database of a service that owns data, for its lifespan: migrated first when ``migrate``
    (embedded/test), then on ``app.state.db`` with a readiness check, disposed at the end."""
    if migrate:
        await anyio.to_thread.run_sync(lambda: run_migrations(service, url, schema=schema))
    db = Database.create(url, schema=schema)
    app.state.db = db
    app.state.readiness_checks.append(lambda: readiness(db))
    try:
        yield db
    finally:
        await db.dispose()
