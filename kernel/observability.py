"""Structured logging and the request id that crosses service hops.

``RequestIdMiddleware`` is raw ASGI (no ``BaseHTTPMiddleware``: that would buffer streamed
bodies such as evidence uploads). It takes ``X-Request-ID`` from the caller or makes one, puts
it in a context variable (so logs and outgoing service calls carry it) and echoes it back.

A caller's id is kept only when it is 1-128 visible ASCII characters (:data:`REQUEST_ID`);
anything else (non-ASCII, spaces, control characters, too long) is replaced by a fresh id. The
id travels on in HTTP headers of service calls, which are ASCII-only: a ``X-Request-ID: ñ`` used
to fail every evidence and scoring route with a 500 when the call to the registry was built.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
#: a caller-supplied request id is kept only in this shape (visible ASCII, no spaces)
REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key in ("method", "path", "status", "duration_ms", "service"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id_var.get()
        base = super().format(record)
        return f"{base} [rid={rid}]" if rid else base


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _JsonFormatter() if fmt == "json" else _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, access_log: bool = True) -> None:
        self.app = app
        self.service = service
        self.access_log = access_log
        self.log = logging.getLogger(f"kinerja.access.{service}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                if REQUEST_ID.fullmatch(value):
                    rid = value.decode("ascii")
                break
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # isEnabledFor first: with access logs off (``--no-access-log`` raises the logger's
            # level) the line's arguments are not even built
            if self.access_log and self.log.isEnabledFor(logging.INFO):
                self.log.info(
                    "%s %s %s",
                    scope.get("method"),
                    scope.get("path"),
                    status,
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "service": self.service,
                    },
                )
            request_id_var.reset(token)


# --- Prometheus metrics (``GET /metrics`` on every part) ------------------------------------------
#
# One set of series per process, labelled by ``service``: in the embedded mode every service runs
# in the gateway's process and the gateway's ``/metrics`` shows them all; in the distributed mode
# each process shows its own. The route label is the route *template* (``/api/v1/registry/satkers/
# {code}``), never the raw path: a label per satker code or per random 404 path would make the
# series grow without bound.

HTTP_REQUESTS = Counter(
    "kinerja_http_requests_total",
    "HTTP requests answered, by part, method, route template and status",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "kinerja_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by part, method and route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_REQUEST_BYTES = Counter(
    "kinerja_http_request_body_bytes_total",
    "Request body bytes received (uploads), by part and route template",
    ["service", "route"],
)
UPSTREAM_ERRORS = Counter(
    "kinerja_upstream_errors_total",
    "Requests the gateway could not complete with a service, by service and reason",
    ["service", "reason"],
)
#: the route label of a request no route matched (any path: kept as one series)
UNMATCHED_ROUTE = "unmatched"


def route_template(scope: Scope) -> str:
    """The template of the route that handled ``scope`` (set by the router), else :data:`UNMATCHED_ROUTE`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    template = scope.get("kinerja.route")  # set by raw ASGI handlers (the gateway's forwarding)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Count and time every HTTP request (raw ASGI, like :class:`RequestIdMiddleware`: bodies stream)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        received = 0
        started = time.perf_counter()

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, counting_receive, send_status)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", ""))
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_DURATION.labels(self.service, method, route).observe(time.perf_counter() - started)
            if received:
                HTTP_REQUEST_BYTES.labels(self.service, route).inc(received)


def metrics_exposition() -> tuple[bytes, str]:
    """The process's metrics in the Prometheus text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies if net.version == ip.version)


def client_origin(
    peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[Network]
) -> tuple[str | None, list[str]]:
    """Where a request came from, and the trusted proxies it passed (nearest first).

    ``X-Forwarded-For`` is the client's to write: only a hop added by a trusted proxy (the
    gateway, :attr:`kernel.settings.CommonSettings.trusted_proxies`) is believed. The list is
    read from the right (each proxy appends the address it saw): while the address we have is a
    trusted proxy, the entry it appended is taken; the first address that is not a trusted proxy
    is the origin. A peer that is not trusted is the origin itself, whatever the header says; an
    entry that is not an IP address ends the walk at the proxy that passed it on.
    """
    if peer is None:
        return None, []
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    origin, via = peer, []
    while hops and _trusted(origin, proxies):
        try:
            previous = str(ipaddress.ip_address(hops.pop()))
        except ValueError:
            break
        via.append(origin)
        origin = previous
    return origin, via
