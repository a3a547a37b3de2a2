"""Receive an upload body into a local spool file: hashed, size-capped, never whole in memory.

The body is read from ``request.stream()`` chunk by chunk; chunks are gathered up to 1 MiB and
written (and hashed) in a worker thread, so memory stays at about one buffer per upload whatever
the file size. The cap is enforced on the bytes actually received (a lying or absent
Content-Length changes nothing): past the cap we stop reading and answer 413.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from kernel.errors import PayloadTooLarge
from services.evidence.sniff import HEAD_BYTES

FLUSH_AT = 1024 * 1024


@dataclass
class Spooled:
    path: Path
    sha256: str
    size: int
    head: bytes


async def spool(body: AsyncIterator[bytes], path: Path, *, limit: int) -> Spooled:
    """Write ``body`` to ``path``; remove the partial file on any failure (413, client gone...)."""
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    buf: list[bytes] = []
    buffered = 0
    fd = await anyio.to_thread.run_sync(lambda: os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    def _write(chunks: list[bytes]) -> None:
        data = b"".join(chunks)
        digest.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    try:
        async for chunk in body:
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the file exceeds the upload limit of {limit} bytes", field="content")
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            buf.append(chunk)
            buffered += len(chunk)
            if buffered >= FLUSH_AT:
                pending, buf, buffered = buf, [], 0
                await anyio.to_thread.run_sync(_write, pending)
        if buf:
            await anyio.to_thread.run_sync(_write, buf)
        await anyio.to_thread.run_sync(os.fsync, fd)
    except BaseException:
        os.close(fd)
        # synchronous on purpose: this must also run when the upload is cancelled (client gone)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    os.close(fd)
    return Spooled(path=path, sha256=digest.hexdigest(), size=size, head=bytes(head))
