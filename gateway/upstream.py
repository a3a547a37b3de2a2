"""Forwarding a request to a service: in-process (embedded) or over HTTP (distributed).

Both forwarders are raw ASGI: the request body is passed on as it arrives and the response
body as it comes back, so an evidence upload or download never sits whole in the gateway
(bodies up to ``buffer_limit`` bytes with a known length are forwarded in one piece, which is
what makes small JSON calls cheap). The caller's ``Authorization`` and the request id travel
with the request. A service that cannot be reached, or does not answer in time, is a 503
problem+json, never a hang; a service failing after it started answering aborts the response.

The HTTP client is aiohttp, a kept library (ADR 0006; ``bench/bench_gateway.py`` measures it
against calling the service directly). Each failure to reach a service is counted in
``kinerja_upstream_errors_total`` (``/metrics``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiohttp
import httpx
from starlette.types import ASGIApp, Receive, Scope, Send
from yarl import URL

from kernel.errors import ServiceUnavailable
from kernel.observability import UPSTREAM_ERRORS, request_id_var

log = logging.getLogger("kinerja.gateway")

#: RFC 9110 §7.6.1 connection-specific headers, plus ``host`` (the client sets its own).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)


#: response headers not passed back: hop-by-hop, and the ones uvicorn sets itself
RESPONSE_SKIP = (HOP_BY_HOP - {b"host"}) | {b"date", b"server"}


class Upstream(Protocol):
    service: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...

    async def ready(self) -> tuple[bool, str]: ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


def _request_headers(scope: Scope) -> tuple[list[tuple[bytes, bytes]], int | None]:
    """Headers to forward (hop-by-hop removed, request id and X-Forwarded-* added) and the body length."""
    out: list[tuple[bytes, bytes]] = []
    length: int | None = None
    host = b""
    for name, value in scope["headers"]:
        if name in HOP_BY_HOP:
            if name == b"host":
                host = value
            continue
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"x-request-id":
            continue  # replaced below by the id the edge kept or made (sanitised, the same on every hop)
        out.append((name, value))
    rid = request_id_var.get()
    if rid:
        out.append((b"x-request-id", rid.encode("latin-1")))
    client = scope.get("client")
    if client:
        out.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
    out.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode("latin-1")))
    if host:
        out.append((b"x-forwarded-host", host))
    return out, length


def _target(scope: Scope) -> str:
    path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    qs: bytes = scope.get("query_string", b"")
    return (path + b"?" + qs).decode("latin-1") if qs else path.decode("latin-1")


class ClientGone(Exception):
    """The caller disconnected while its request body was being forwarded."""


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _stream_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


class AsgiUpstream:
    """Embedded mode: hand the request to the service's ASGI app in this process (no copy, no socket)."""

    def __init__(self, service: str, app: ASGIApp) -> None:
        self.service = service
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rid = request_id_var.get()
        if rid:  # the edge's id (sanitised), not the caller's raw header: the same id on every hop
            headers = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
            scope = {**scope, "headers": [*headers, (b"x-request-id", rid.encode("latin-1"))]}
        await self.app(scope, receive, send)

    async def ready(self) -> tuple[bool, str]:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{self.service}.internal") as client:
            response = await client.get("/readyz")
        return response.status_code == 200, _readiness_detail(response.status_code, response.content)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _readiness_detail(status: int, body: bytes) -> str:
    if status == 200:
        return "ready"
    try:
        import orjson

        parsed = orjson.loads(body)
        return str(parsed.get("detail") or status) if isinstance(parsed, dict) else str(status)
    except ValueError:
        return f"answered {status}"


class AiohttpUpstream:
    """Distributed mode: forward over HTTP/1.1 keep-alive connections with aiohttp."""

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 30.0,
        max_connections: int = 256,
        buffer_limit: int = 1 << 20,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.buffer_limit = buffer_limit
        self._timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=read_timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30, ttl_dns_cache=60)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise ServiceUnavailable(f"the gateway's connection to {self.service} is not started")
        return self._session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers, length = _request_headers(scope)
        data: Any = None
        if length is not None and length <= self.buffer_limit:
            data = await _read_body(receive) if length else None
        elif length is not None or any(n == b"transfer-encoding" for n, _ in scope["headers"]):
            data = _stream_body(receive)
        url = URL(self.base_url + _target(scope), encoded=True)
        try:
            response = await self.session.request(
                scope["method"],
                url,
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
                data=data,
                allow_redirects=False,
            )
        except ClientGone:
            return
        except TimeoutError as exc:
            UPSTREAM_ERRORS.labels(self.service, "timeout").inc()
            raise ServiceUnavailable(f"{self.service} did not answer in time") from exc
        except aiohttp.ClientError as exc:
            UPSTREAM_ERRORS.labels(self.service, "unreachable").inc()
            raise ServiceUnavailable(f"{self.service} is unreachable: {type(exc).__name__}") from exc
        async with response:
            out = [(k.lower(), v) for k, v in response.raw_headers if k.lower() not in RESPONSE_SKIP]
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            if response.content_length is not None and response.content_length <= self.buffer_limit:
                await send({"type": "http.response.body", "body": await response.read()})
                return
            try:
                async for chunk in response.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (TimeoutError, aiohttp.ClientError) as exc:
                # too late for a problem document: abort, the client sees a truncated response
                log.warning("%s failed while streaming its response: %r", self.service, exc)
                raise
            await send({"type": "http.response.body", "body": b""})

    async def ready(self) -> tuple[bool, str]:
        try:
            async with self.session.get(
                self.base_url + "/readyz", timeout=aiohttp.ClientTimeout(total=3.0)
            ) as response:
                return response.status == 200, _readiness_detail(response.status, await response.read())
        except (TimeoutError, aiohttp.ClientError) as exc:
            return False, f"unreachable: {type(exc).__name__}"
