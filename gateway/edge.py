"""The hot path of the gateway: check ``/api/v1/<service>/...`` and forward it (raw ASGI).

Per proxied request: the bearer token is verified (by :class:`kernel.auth.TokenVerifier`, which
remembers what it already accepted: the one token cache), the caller's budget is spent
(:class:`gateway.ratelimit.RateLimiter`) and the request goes to its service's upstream. No
FastAPI routing on this path; everything else goes on to the gateway's own routers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.ratelimit import RateLimiter
from gateway.settings import SERVICES
from gateway.upstream import Upstream
from kernel.auth import TokenVerifier
from kernel.errors import PROBLEM_JSON, ProblemError, ServiceUnavailable, TooManyRequests, Unauthorized
from kernel.observability import UPSTREAM_ERRORS

log = logging.getLogger("kinerja.gateway")
API_PREFIX = "/api/v1/"
#: per-service paths reachable without a token (the service's own API description and its assets)
PUBLIC_PATHS = ("openapi.json", "docs")
PUBLIC_PREFIXES = ("docs-assets/",)


class EdgeMiddleware:
    """Check and forward ``/api/v1/<service>/...``; pass everything else to the gateway's own routes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        upstreams: Mapping[str, Upstream],
        verifier: TokenVerifier | None,
        limiter: RateLimiter,
    ) -> None:
        self.app = app
        self.upstreams = upstreams
        self.verifier = verifier
        self.limiter = limiter
        #: the route label of each service's requests in the metrics (the gateway knows no templates)
        self.routes = {name: f"{API_PREFIX}{name}/{{path}}" for name in SERVICES}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        service, _, rest = path[len(API_PREFIX) :].partition("/")
        upstream = self.upstreams.get(service)
        if upstream is None:
            if service in SERVICES:
                scope["kinerja.route"] = self.routes[service]
                await send_problem(
                    send, ServiceUnavailable(f"the {service} service is not part of this deployment"), path
                )
            else:
                await self.app(scope, receive, send)  # the gateway's own routes, or a 404 problem
            return
        scope["kinerja.route"] = self.routes[service]  # read by kernel.observability.MetricsMiddleware
        caller = ""
        if self.verifier is not None and not (rest in PUBLIC_PATHS or rest.startswith(PUBLIC_PREFIXES)):
            token = bearer_token(scope)
            if token is None:
                await send_problem(send, Unauthorized("missing bearer token"), path)
                return
            try:
                caller = self.verifier.verify(token).subject
            except ProblemError as exc:
                await send_problem(send, exc, path)
                return
        try:
            if self.limiter.enabled:
                wait = await self.limiter.take(caller or "ip:" + client_ip(scope))
                if wait:
                    raise TooManyRequests("request rate exceeded", headers=retry_after_header(wait))
            await upstream(scope, receive, send)
        except ServiceUnavailable as exc:  # raised before the response started
            log.warning("%s %s: %s", scope["method"], path, exc.detail)
            await send_problem(send, exc, path)
        except TooManyRequests as exc:
            await send_problem(send, exc, path)
        except Exception:
            UPSTREAM_ERRORS.labels(service, "failed").inc()  # failed after the response started
            raise


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


async def send_problem(send: Send, error: ProblemError, instance: str) -> None:
    """Answer a raw ASGI request with ``error`` as problem+json."""
    body = orjson.dumps(error.to_problem(instance))
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    for name, value in (error.headers or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def retry_after_header(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def client_ip(scope: MutableMapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
