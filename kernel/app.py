"""The common frame of every service app: errors, request ids, health, auth, operation ids.

Each service's ``create_app()`` calls :func:`new_service_app`, puts :func:`token_verifier` on
``app.state`` and adds its routers; its lifespan uses :func:`service_database` (a service that
owns data) and :func:`add_network_peers` (distributed mode). No work happens at import time;
resources are created in the lifespan and kept on ``app.state``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from kernel.auth import TokenVerifier
from kernel.client import Peers, ServiceClient
from kernel.db import Database, database_problem, readiness, run_migrations
from kernel.errors import ProblemError, install_problem_handlers, internal_problem, problem_response
from kernel.guards import NulGuardMiddleware
from kernel.observability import MetricsMiddleware, RequestIdMiddleware, metrics_exposition
from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret

ReadinessCheck = Callable[[], Awaitable[None]]
log = logging.getLogger("kinerja.db")


def operation_id(route: APIRoute) -> str:
    """Clean, stable operation ids: ``<tag>_<function name>`` (unique per service)."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}_{route.name}"


class Readiness(BaseModel):
    """The answer of ``GET /readyz`` when the part is ready."""

    status: Literal["ready"]


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: dependencies (database, storage) reachable",
        description='200 `{"status": "ready"}` when every readiness check of the part passes; '
        "else 503 problem+json naming the dependency that failed.",
        response_model=Readiness,
        responses={503: {"description": "a dependency is not reachable (problem+json)"}},
    )
    async def readyz(request: Request) -> Readiness | JSONResponse:
        checks: list[ReadinessCheck] = getattr(request.app.state, "readiness_checks", [])
        for check in checks:
            try:
                await check()
            except ProblemError as exc:
                return problem_response(503, exc.to_problem(request.url.path) | {"status": 503})
        return Readiness(status="ready")

    return router


def metrics_router() -> APIRouter:
    """``GET /metrics``: this process's metrics in the Prometheus text format (scraped, not documented)."""
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = metrics_exposition()
        return Response(body, media_type=content_type)

    return router


#: where the Swagger UI and ReDoc assets are served from: files of the installed ``fastapi-offline``
#: package, so ``/docs`` works on an intranet without internet (FastAPI's default loads them from a CDN)
DOCS_ASSETS_URL = "/docs-assets"


def add_offline_docs(app: FastAPI, *, openapi_url: str, docs_url: str, redoc_url: str | None, title: str) -> None:
    """Serve Swagger UI at ``docs_url`` (and ReDoc at ``redoc_url``) with assets from this server."""
    import importlib.resources

    assets = importlib.resources.files("fastapi_offline") / "static"
    static = f"{docs_url.rsplit('/', 1)[0]}{DOCS_ASSETS_URL}"
    app.mount(static, StaticFiles(directory=str(assets)), name=f"docs-assets{static}")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon.png",
        )

    if redoc_url is not None:

        @app.get(redoc_url, include_in_schema=False)
        async def redoc() -> HTMLResponse:
            return get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title} - ReDoc",
                redoc_js_url=f"{static}/redoc.standalone.js",
                redoc_favicon_url=f"{static}/favicon.png",
                with_google_fonts=False,
            )


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


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """A driver error (at a statement or at the commit of :data:`kernel.db.SessionDep`) as the
    problem it means to the client (:func:`kernel.db.database_problem`); a bug stays a 500."""
    assert isinstance(exc, DBAPIError)
    problem = database_problem(exc)
    if problem is None:
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, internal_problem(request.url.path))
    log.warning("database error on %s %s answered %s: %s", request.method, request.url.path, problem.status_code, exc)
    return problem_response(problem.status_code, problem.to_problem(request.url.path), problem.headers)


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
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(RequestIdMiddleware, service=service, access_log=access_log)
    app.include_router(health_router())
    app.include_router(metrics_router())
    prefix = f"/api/v1/{service}"
    add_offline_docs(app, openapi_url=f"{prefix}/openapi.json", docs_url=f"{prefix}/docs", redoc_url=None, title=title)
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
