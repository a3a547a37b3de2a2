"""A minimal HTTP/1.1 forwarder: asyncio protocol + the httptools (llhttp) parser uvicorn uses.

Why not aiohttp or httpx: on our 2-core machines the client side of a proxy hop is most of the
gateway's CPU. Measured with ``bench/bench_gateway.py``: httpx ≈ 0.04×, aiohttp ≈ 0.4×, this
forwarder ≈ see ADR 0006. It does only what a reverse proxy needs: keep-alive pool per service,
request and response bodies streamed with back-pressure both ways (full duplex, like aiohttp),
small bodies with a known length written/sent in one piece, timeouts on connect and on every
wait for the service, and one retry on a fresh connection when a pooled keep-alive connection
turns out to be closed before the service sent a byte (only when the body is replayable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

import httptools
import httpx
from starlette.types import Receive, Scope, Send

from gateway.upstream import RESPONSE_SKIP, ClientGone, _read_body, _readiness_detail, _request_headers, _target
from kernel.errors import ServiceUnavailable

log = logging.getLogger("kinerja.gateway")
HIGH_WATER = 256 * 1024  # pause reading from the service above this much unsent response body


class _Stale(Exception):
    """A pooled connection was closed by the service before it answered."""


class _Conn(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reused = False
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.headers_done = False
        self.keep_alive = False
        self.complete = False
        self.got_bytes = False
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._read_paused = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = exc
            self.close()
            self._wake()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        if not self.complete and self.error is None:
            self.error = exc or ConnectionResetError("connection closed by the service")
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_exception(ConnectionResetError("connection closed by the service"))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # read here: llhttp resets it after the message
        self.headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()

    # used by the forwarder
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, seconds: float) -> None:
        """Wait until something happens on the connection (headers, body, end, error); TimeoutError after ``seconds``.

        A timer on the future instead of ``asyncio.timeout``: this runs for every response, and the timer is cheaper.
        """
        waiter = self._waiter = self.loop.create_future()
        timer = self.loop.call_later(seconds, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()
        return data

    async def drain(self) -> None:
        if self._write_paused:
            self._drain = self.loop.create_future()
            await self._drain

    def write(self, data: bytes) -> None:
        if self.closed or self.transport is None:
            raise ConnectionResetError("connection closed by the service")
        self.transport.write(data)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class H1Upstream:
    """Distributed mode: forward over pooled HTTP/1.1 keep-alive connections."""

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
        url = httpx.URL(base_url)
        if url.scheme != "http":
            raise ValueError(f"{service}: the HTTP/1.1 forwarder speaks plain http on the internal network, not {url}")
        self.service = service
        self.base_url = str(url).rstrip("/")
        self.host = url.host
        self.port = url.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self.prefix = url.path.rstrip("/").encode()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.buffer_limit = buffer_limit
        self._idle: deque[_Conn] = deque()
        self._max_idle = max_connections
        self._slots = asyncio.Semaphore(max_connections)
        self._probe: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._probe = httpx.AsyncClient(base_url=self.base_url, timeout=3.0)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
        if self._probe is not None:
            await self._probe.aclose()

    async def ready(self) -> tuple[bool, str]:
        assert self._probe is not None
        try:
            r = await self._probe.get("/readyz")
        except httpx.HTTPError as exc:
            return False, f"unreachable: {type(exc).__name__}"
        return r.status_code == 200, _readiness_detail(r.status_code, r.content)

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Conn(loop), self.host, self.port), self.connect_timeout
            )
        except TimeoutError as exc:
            raise ServiceUnavailable(f"{self.service} did not accept a connection in time") from exc
        except OSError as exc:
            raise ServiceUnavailable(f"{self.service} is unreachable: {type(exc).__name__}") from exc
        return conn

    async def _acquire(self) -> _Conn:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                conn.reused = True
                return conn
        return await self._connect()

    def _release(self, conn: _Conn) -> None:
        if conn.closed or len(self._idle) >= self._max_idle:
            conn.close()
            return
        conn._reset()
        self._idle.append(conn)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers, length = _request_headers(scope)
        method: str = scope["method"]
        head = [f"{method} ".encode(), self.prefix, _target(scope).encode("latin-1"), b" HTTP/1.1\r\nhost: ",
                self.host_header, b"\r\n"]  # fmt: skip
        for name, value in headers:
            if name != b"expect":  # the gateway already answered 100-continue to the caller
                head += (name, b": ", value, b"\r\n")
        body: bytes | None = None
        streamed = False
        if length is not None and length <= self.buffer_limit:
            try:
                body = await _read_body(receive) if length else b""
            except ClientGone:
                return
        elif length is not None:
            streamed = True
        elif any(n == b"transfer-encoding" for n, _ in scope["headers"]):
            streamed = True
            head.append(b"transfer-encoding: chunked\r\n")
        head.append(b"\r\n")
        request_head = b"".join(head)
        async with self._slots:
            for attempt in (1, 2):
                conn = await self._acquire()
                try:
                    await self._exchange(conn, scope, receive, send, request_head, body, streamed, length)
                    return
                except _Stale:
                    conn.close()
                    if attempt == 2 or streamed:
                        raise ServiceUnavailable(f"{self.service} closed the connection") from None
                except BaseException:
                    conn.close()
                    raise

    async def _exchange(
        self,
        conn: _Conn,
        scope: Scope,
        receive: Receive,
        send: Send,
        head: bytes,
        body: bytes | None,
        streamed: bool,
        length: int | None,
    ) -> None:
        writer: asyncio.Task[None] | None = None
        try:
            conn.write(head + body if body else head)
        except ConnectionResetError:
            raise _Stale from None
        if streamed:
            writer = asyncio.ensure_future(self._write_body(conn, receive, chunked=length is None))
        try:
            while not conn.headers_done:
                if conn.error is not None:
                    if writer is not None and writer.done() and writer.exception() is not None:
                        raise writer.exception()  # type: ignore[misc]
                    if conn.reused and not conn.got_bytes:
                        raise _Stale
                    raise ServiceUnavailable(f"{self.service} is unreachable: {type(conn.error).__name__}")
                try:
                    await conn.wait(self.read_timeout)
                except TimeoutError:
                    raise ServiceUnavailable(f"{self.service} did not answer in time") from None
            out: list[tuple[bytes, bytes]] = [(k, v) for k, v in conn.headers if k not in RESPONSE_SKIP]
            if scope["method"] == "HEAD":
                conn.complete = True
                conn.closed = True  # llhttp does not know the request was HEAD: never reuse
            await send({"type": "http.response.start", "status": conn.status, "headers": out})
            while not conn.complete:
                if conn.error is not None:
                    log.warning("%s failed while streaming its response: %r", self.service, conn.error)
                    raise ConnectionResetError(f"{self.service} broke off its response")
                if conn.chunks:
                    await send({"type": "http.response.body", "body": conn.take(), "more_body": True})
                    continue
                await conn.wait(self.read_timeout)  # a TimeoutError here aborts the response
            await send({"type": "http.response.body", "body": conn.take()})
        except ClientGone:
            conn.close()
            return
        finally:
            if writer is not None:
                if not writer.done():
                    writer.cancel()
                    conn.close()
                with contextlib.suppress(BaseException):
                    await writer
        if conn.keep_alive and not conn.closed:
            self._release(conn)
        else:
            conn.close()

    async def _write_body(self, conn: _Conn, receive: Receive, *, chunked: bool) -> None:
        while True:
            message: dict[str, Any] = await receive()  # type: ignore[assignment]
            if message["type"] == "http.disconnect":
                conn.close()
                raise ClientGone
            chunk: bytes = message.get("body", b"")
            if chunk:
                conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                await conn.drain()
            if not message.get("more_body", False):
                if chunked:
                    conn.write(b"0\r\n\r\n")
                return
