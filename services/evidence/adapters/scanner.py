"""Malware scanning: a small async clamd INSTREAM client, or the explicit "disabled" mode.

Why our own client: clamav-client is synchronous and reads a file object in one go; INSTREAM is
five lines of protocol (``zINSTREAM\\0``, then ``<uint32 length><bytes>`` chunks, then a zero
length) and an async client lets the event loop serve other requests while clamd works.
clamd's ``StreamMaxLength`` must be at least ``max_upload_bytes`` (else clamd answers
"INSTREAM size limit exceeded", which we treat as a scanner failure: fail closed, 503).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

from kernel.errors import ServiceUnavailable

log = logging.getLogger("kinerja.evidence.scanner")
CHUNK = 256 * 1024


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    status: str  # "clean" | "infected" | "not_scanned"
    signature: str | None
    scanner: str  # recorded on the document


class Scanner(Protocol):
    name: str

    async def scan_file(self, path: Path) -> ScanResult: ...

    async def ping(self) -> None: ...


class DisabledScanner:
    """Embedded mode without clamd: every document is recorded as ``not_scanned``."""

    name = "disabled"

    async def scan_file(self, path: Path) -> ScanResult:
        return ScanResult(clean=True, status="not_scanned", signature=None, scanner="disabled")

    async def ping(self) -> None:
        return None


class ClamdScanner:
    def __init__(self, *, socket_path: str | None, host: str | None = None, port: int = 3310, timeout: float = 120.0):
        if not socket_path and not host:
            raise ValueError("clamd needs a unix socket path or a host")
        self._socket = socket_path
        self._host = host
        self._port = port
        self._timeout = timeout
        self.name = "clamd"

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            if self._host:
                return await asyncio.wait_for(asyncio.open_connection(self._host, self._port), 5)
            assert self._socket is not None
            return await asyncio.wait_for(asyncio.open_unix_connection(self._socket), 5)
        except (OSError, TimeoutError) as exc:
            raise ServiceUnavailable(f"malware scanner unreachable ({type(exc).__name__})") from exc

    async def _command(self, command: bytes) -> str:
        reader, writer = await self._open()
        try:
            writer.write(b"z" + command + b"\0")
            await writer.drain()
            reply = await asyncio.wait_for(reader.readuntil(b"\0"), self._timeout)
            return reply.rstrip(b"\0").decode("utf-8", "replace")
        finally:
            writer.close()

    async def ping(self) -> None:
        try:
            reply = await self._command(b"PING")
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            raise ServiceUnavailable(f"malware scanner unreachable ({type(exc).__name__})") from exc
        if reply != "PONG":
            raise ServiceUnavailable(f"malware scanner answered {reply!r}")

    async def version(self) -> str:
        return await self._command(b"VERSION")

    async def scan_file(self, path: Path) -> ScanResult:
        reader, writer = await self._open()
        try:
            writer.write(b"zINSTREAM\0")
            async with await anyio.open_file(path, "rb") as f:
                while chunk := await f.read(CHUNK):
                    writer.write(struct.pack(">I", len(chunk)) + chunk)
                    await writer.drain()
            writer.write(struct.pack(">I", 0))
            await writer.drain()
            raw = await asyncio.wait_for(reader.readuntil(b"\0"), self._timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            # clamd closes the connection when the stream exceeds StreamMaxLength
            raise ServiceUnavailable(f"malware scan failed ({type(exc).__name__}); upload refused") from exc
        finally:
            writer.close()
        reply = raw.rstrip(b"\0").decode("utf-8", "replace")
        # "stream: OK" | "stream: <signature> FOUND" | "INSTREAM size limit exceeded. ERROR"
        body = reply.split(":", 1)[1].strip() if reply.startswith("stream:") else reply
        if body == "OK":
            return ScanResult(clean=True, status="clean", signature=None, scanner="clamd")
        if body.endswith(" FOUND"):
            return ScanResult(clean=False, status="infected", signature=body[: -len(" FOUND")], scanner="clamd")
        log.error("clamd refused the scan: %s", reply)
        raise ServiceUnavailable(f"malware scan failed: {reply}; upload refused")
