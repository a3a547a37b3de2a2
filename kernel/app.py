"""The common frame of every service app: errors, request ids, health, auth, operation ids.

Each service's ``create_app()`` calls :func:`new_service_app` and adds its routers. No work
happens at import time; resources are created in the lifespan and kept on ``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from kernel.errors import ProblemError, install_problem_handlers, problem_response
from kernel.observability import RequestIdMiddleware

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
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        openapi_url=f"/api/v1/{service}/openapi.json",
        docs_url=f"/api/v1/{service}/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware, service=service, access_log=access_log)
    app.include_router(health_router())
    app.state.service_name = service
    app.state.readiness_checks = []
    return app
