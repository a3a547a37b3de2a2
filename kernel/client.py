"""How one service calls another: the same code in one process and over the network.

A :class:`ServiceClient` wraps an ``httpx.AsyncClient`` whose transport is either
``httpx.ASGITransport(app)`` (embedded mode: every service in one process, no sockets) or a
real connection pool to ``base_url`` (distributed mode). Callers cannot tell the difference,
which is the point (ADR 0002). The caller's bearer token and the request id are forwarded, so
the called service authorises the *caller*, not the calling service.

Errors of the called service come back as the same :class:`ProblemError` status, so a 404 or
403 from the registry reaches the client of the scoring service unchanged; an unreachable
service is a 503, a timeout a 503 too, never a hang.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import orjson
from starlette.types import ASGIApp

from kernel.errors import ProblemError, ServiceUnavailable, UpstreamError
from kernel.observability import request_id_var


class _Relayed(ProblemError):
    """An error answered by another service, relayed with its status and detail."""


def _relay(response: httpx.Response, service: str) -> ProblemError:
    detail = f"{service} answered {response.status_code}"
    body: dict[str, Any] = {}
    try:
        parsed = response.json()
        if isinstance(parsed, dict):
            body = parsed
            detail = str(body.get("detail") or body.get("title") or detail)
    except ValueError:
        pass
    if response.status_code >= 500:
        return UpstreamError(f"{service}: {detail}")
    err = _Relayed(detail)
    err.status_code = response.status_code
    err.slug = str(body.get("type", "/problems/upstream")).rsplit("/", 1)[-1]
    err.title = str(body.get("title", "Upstream error"))
    if isinstance(body.get("errors"), list):
        from kernel.errors import FieldError

        err.errors = [FieldError(**e) for e in body["errors"] if isinstance(e, dict) and "field" in e]
    return err


def _decoded(response: httpx.Response) -> Any:
    """The body's JSON by orjson (fast); the few bodies it refuses and the stdlib accepts (integers
    beyond 64 bits, numbers overflowing to infinity) by the stdlib decoder."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


class ServiceClient:
    def __init__(
        self,
        service: str,
        *,
        base_url: str | None = None,
        app: ASGIApp | None = None,
        timeout: float = 10.0,
    ) -> None:
        if (base_url is None) == (app is None):
            raise ValueError("give exactly one of base_url (network) or app (in-process)")
        self.service = service
        transport: httpx.AsyncBaseTransport
        if app is not None:
            transport = httpx.ASGITransport(app=app)
            base_url = f"http://{service}.internal"
        else:
            transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        self._http = httpx.AsyncClient(transport=transport, base_url=base_url or "", timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _headers(self, token: str | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        rid = request_id_var.get()
        if rid:
            headers["X-Request-ID"] = rid
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = self._headers(token) | (headers or {})  # e.g. If-Match of a conditional write
        try:
            response = await self._http.request(method, path, params=params, json=json, headers=sent)
        except httpx.TimeoutException as exc:
            raise ServiceUnavailable(f"{self.service} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{self.service} is unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _relay(response, self.service)
        return response

    async def get_json(
        self, path: str, *, token: str | None, params: dict[str, Any] | None = None, exact: bool = False
    ) -> Any:
        """The answer's JSON. ``exact``: numbers with a fraction or exponent as ``Decimal``, with
        exactly the digits sent (:mod:`kernel.wire`); else as ``float`` (orjson, the fast path)."""
        # orjson instead of httpx's ``Response.json()`` (stdlib json): the registry bundle behind
        # every score request is tens of kB, which the stdlib decodes several times slower.
        # Same result: orjson refuses a few things the stdlib accepts (integers beyond 64 bits,
        # numbers overflowing to infinity), so those bodies fall back to the stdlib decoder.
        response = await self.request("GET", path, token=token, params=params)
        if exact:
            return json.loads(response.content, parse_float=Decimal)
        return _decoded(response)

    async def get_json_unless_current(
        self, path: str, *, token: str | None, etag: str | None, params: dict[str, Any] | None = None
    ) -> tuple[Any | None, httpx.Headers]:
        """A conditional GET (RFC 9110 §13.1.2): with ``etag`` (of a copy the caller holds) sent as
        ``If-None-Match``, the answer is ``(None, headers)`` when the service says the copy is
        current (304), else ``(json, headers)`` as :meth:`get_json` reads it. A 304 to a request
        that named no copy is the peer's error (502), never taken for an empty answer."""
        headers = {"If-None-Match": etag} if etag else None
        response = await self.request("GET", path, token=token, params=params, headers=headers)
        if response.status_code == 304:
            if not etag:
                raise UpstreamError(f"{self.service} answered 304 Not Modified to a request without If-None-Match")
            return None, response.headers
        return _decoded(response), response.headers


class Peers:
    """The services a service talks to, by name, filled in by whoever composes the system.

    The embedded runner adds in-process clients after creating every app (so two services may
    call each other); a distributed deployment adds network clients built from the service's
    settings. Asking for a peer nobody configured is a 503, never a silent no-op.
    """

    def __init__(self) -> None:
        self._clients: dict[str, ServiceClient] = {}

    def add(self, client: ServiceClient) -> None:
        self._clients[client.service] = client

    def has(self, service: str) -> bool:
        return service in self._clients

    def __getitem__(self, service: str) -> ServiceClient:
        try:
            return self._clients[service]
        except KeyError:
            raise ServiceUnavailable(f"the {service} service is not configured for this deployment") from None

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
