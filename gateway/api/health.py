"""``/healthz`` and ``/readyz`` of the gateway: readiness covers every service and the rate limiter."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.ratelimit import RateLimiter
from gateway.upstream import Upstream
from kernel.errors import PROBLEM_JSON, Problem, ServiceUnavailable, problem_response

router = APIRouter(tags=["health"])


class GatewayReadiness(BaseModel):
    """The answer of the gateway's ``GET /readyz`` when every service is ready."""

    status: Literal["ready"]
    services: dict[str, str] = Field(description="service name → what its own /readyz answered")


@router.get(
    "/healthz",
    summary="Liveness: the gateway answers",
    description="Answers as long as the gateway process runs; says nothing about the services behind it.",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: every service of the deployment is ready",
    description=(
        "Asks every service's `/readyz` (database, storage, scanner) and checks the rate limiter's "
        "storage; 503 problem+json naming what is not ready."
    ),
    response_model=GatewayReadiness,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "status": "ready",
                        "services": {"registry": "ready", "evidence": "ready", "scoring": "ready"},
                    }
                }
            }
        },
        503: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "A service is not ready"},
    },
)
async def readyz(request: Request) -> GatewayReadiness | JSONResponse:
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    limiter: RateLimiter = request.app.state.limiter
    names = list(upstreams)
    results = await asyncio.gather(*(upstreams[n].ready() for n in names), return_exceptions=True)
    services: dict[str, str] = {}
    down: list[str] = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            services[name] = f"error: {type(result).__name__}"
            down.append(name)
        else:
            services[name] = result[1]
            if not result[0]:
                down.append(name)
    extra: dict[str, Any] = {"services": services}
    if limiter.enabled:
        ok, detail = await limiter.ready()
        if not ok:
            down.append("rate-limit storage")
            extra["rate_limit_storage"] = detail
    if not down:
        return GatewayReadiness(status="ready", services=services)
    err = ServiceUnavailable(f"not ready: {', '.join(sorted(down))}", extra=extra)
    return problem_response(503, err.to_problem(request.url.path))
